"""Autoencoders: a dense one for vectors or images and a small convolutional one for images.

Both have the same interface: an ``encoder`` and a ``decoder`` (``nn.Sequential``), methods
``encode(x) -> z`` of shape ``(batch, bottleneck)`` and ``decode(z)`` back to the shape of
the input, and ``forward(x) = decode(encode(x))``, so that they train with
:func:`ml4phys.nn.training.fit` on the pair ``(X, X)`` and a reconstruction loss such as
``nn.MSELoss()``. Chapter 10 uses them on images of circles and squares; with
``activation="identity"`` the dense one is the *linear* autoencoder whose optimum spans the
principal subspace (Baldi and Hornik, 1989).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ml4phys._validation import check_int, check_tensor

__all__ = ["DenseAutoencoder", "ConvAutoencoder"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}
_OUTPUTS = {"identity": nn.Identity, "sigmoid": nn.Sigmoid}


def _choice(value: object, name: str, options: dict) -> type[nn.Module]:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return options[value]


def _check_shape(shape: object) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"input_shape must be a tuple of ints, got {shape!r}")
    return tuple(check_int(s, "input_shape[i]") for s in shape)


class _Autoencoder(nn.Module):
    """What both autoencoders share: encode, decode, forward, and input checks."""

    input_shape: tuple[int, ...]
    bottleneck: int
    encoder: nn.Sequential
    decoder: nn.Sequential

    def _check_input(self, x: torch.Tensor) -> None:
        check_tensor(x, "x", ndim=len(self.input_shape) + 1, floating=True)
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"x must have shape (batch, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(x.shape)}"
            )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The codes ``(batch, bottleneck)`` of inputs ``x (batch, *input_shape)``."""
        self._check_input(x)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The reconstructions ``(batch, *input_shape)`` of codes ``z (batch, bottleneck)``."""
        check_tensor(z, "z", ndim=2, floating=True)
        if z.shape[1] != self.bottleneck:
            raise ValueError(
                f"z must have shape (batch, {self.bottleneck}), got {tuple(z.shape)}"
            )
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``decode(encode(x))``, of the shape of ``x``."""
        return self.decode(self.encode(x))


class DenseAutoencoder(_Autoencoder):
    """Fully connected autoencoder ``input -> hidden... -> bottleneck -> ...hidden -> input``.

    Args:
        input_shape: shape of one input without the batch axis, e.g. ``(64,)`` or
            ``(1, 27, 27)``; inputs are flattened on the way in and reshaped on the way out.
        bottleneck: width of the code, >= 1.
        hidden: widths of the hidden layers of the encoder (the decoder mirrors them).
        activation: ``"relu"``, ``"tanh"`` or ``"identity"`` (a linear autoencoder).
        output: ``"identity"`` or ``"sigmoid"`` (outputs in (0, 1), for grey values).
    """

    def __init__(
        self,
        input_shape: Sequence[int] | int,
        bottleneck: int,
        hidden: Sequence[int] = (256,),
        activation: str = "relu",
        output: str = "identity",
    ) -> None:
        super().__init__()
        self.input_shape = _check_shape(input_shape)
        self.bottleneck = check_int(bottleneck, "bottleneck")
        hidden = [check_int(h, "hidden[i]") for h in hidden]
        act = _choice(activation, "activation", _ACTIVATIONS)
        out = _choice(output, "output", _OUTPUTS)
        widths = [math.prod(self.input_shape), *hidden, self.bottleneck]
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers += [nn.Linear(a, b)] + ([act()] if i < len(widths) - 2 else [])
        self.encoder = nn.Sequential(*layers)
        widths = widths[::-1]
        layers = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers += [nn.Linear(a, b)] + ([act()] if i < len(widths) - 2 else [])
        self.decoder = nn.Sequential(*layers, out(), nn.Unflatten(1, self.input_shape))


class ConvAutoencoder(_Autoencoder):
    """Convolutional autoencoder for one-channel square images.

    Encoder: two 3x3 convolutions of stride 2 (``size -> ceil(size/2) -> ceil(size/4)``)
    with ReLU, then a linear map to the bottleneck. Decoder: a linear map back, then two
    transposed convolutions of stride 2 to the original size, with a sigmoid at the end
    (grey values in (0, 1)).

    Args:
        image_size: side of the images, >= 4; inputs have shape ``(batch, 1, size, size)``.
        bottleneck: width of the code, >= 1.
        channels: channels ``(c1, c2)`` of the two convolutions.
    """

    def __init__(
        self, image_size: int, bottleneck: int, channels: Sequence[int] = (8, 16)
    ) -> None:
        super().__init__()
        size = check_int(image_size, "image_size", minimum=4)
        self.input_shape = (1, size, size)
        self.bottleneck = check_int(bottleneck, "bottleneck")
        if len(channels) != 2:
            raise ValueError(f"channels must be a pair (c1, c2), got {channels!r}")
        c1, c2 = (check_int(c, "channels[i]") for c in channels)
        s1 = (size + 1) // 2  # after the first stride-2 convolution
        s2 = (s1 + 1) // 2  # after the second
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(c2 * s2 * s2, self.bottleneck),
        )
        # a transposed convolution (3x3, stride 2, padding 1) maps s to 2 s - 1 + extra
        self.decoder = nn.Sequential(
            nn.Linear(self.bottleneck, c2 * s2 * s2),
            nn.ReLU(),
            nn.Unflatten(1, (c2, s2, s2)),
            nn.ConvTranspose2d(
                c2, c1, 3, stride=2, padding=1, output_padding=s1 - 2 * s2 + 1
            ),
            nn.ReLU(),
            nn.ConvTranspose2d(
                c1, 1, 3, stride=2, padding=1, output_padding=size - 2 * s1 + 1
            ),
            nn.Sigmoid(),
        )
