"""Symmetry in networks: group actions, equivariance errors, Deep Sets and C4 group convolutions.

The building blocks of chapter 6, reused by the physics chapters (the particle data of the
chapter are in :mod:`ml4phys.physics.particles`, the rotated digits in
:mod:`ml4phys.data.images`):

* :func:`rotate90` and :func:`rotate_c4_features`: the action of the rotation group
  :math:`C_4` on images ``(..., H, W)`` and on "lifted" feature maps ``(..., 4, H, W)``;
* :func:`equivariance_error`: the measured equivariance error of any function;
* :class:`DeepSet`: a permutation-invariant network :math:`\\rho(\\sum_i \\phi(x_i))`;
* :func:`radial_features`: permutation- and rotation-invariant per-particle descriptors
  (radial symmetry functions in the spirit of Behler and Parrinello);
* :func:`c4_lift`, :func:`c4_group_conv` and their modules :class:`C4LiftingConv`,
  :class:`C4GroupConv`, :class:`C4Pool`: the group convolutions of Cohen and Welling on the
  square lattice, exactly equivariant under rotations by multiples of 90 degrees;
* :class:`C4Classifier` and :class:`SmallCNN`: a rotation-invariant image classifier and a
  plain CNN of the same layout, and :class:`RandomRot90`, rotation augmentation as a module.

Conventions: images are ``(batch, channels, H, W)``; lifted feature maps carry a rotation axis,
``(batch, channels, 4, H, W)``, whose index ``r`` says which rotated copy ``rot90(w, r)`` of the
filter produced the map. A rotation by ``k`` quarter turns acts on them by rotating every map
and shifting the rotation axis cyclically by ``k``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys._validation import check_int

__all__ = [
    "rotate90",
    "rotate_c4_features",
    "equivariance_error",
    "DeepSet",
    "radial_features",
    "c4_lift",
    "c4_group_conv",
    "C4LiftingConv",
    "C4GroupConv",
    "C4Pool",
    "C4Classifier",
    "SmallCNN",
    "RandomRot90",
]


# ----------------------------------------------------------------------------------------------
# Group actions
# ----------------------------------------------------------------------------------------------


def _check_tensor(x: object, name: str, min_dim: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < min_dim:
        raise ValueError(
            f"{name} must have at least {min_dim} dimensions, got shape {tuple(x.shape)}"
        )
    return x


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(
            f"k (the number of quarter turns) must be an int, got {type(k).__name__}"
        )
    return int(k) % 4


def rotate90(x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Rotate images by ``k`` quarter turns, counterclockwise as shown by ``imshow``.

    Args:
        x: tensor of shape ``(..., H, W)``; the last two axes are the image.
        k: number of quarter turns (any integer; negative turns clockwise).

    Returns:
        The rotated tensor, shape ``(..., W, H)``. It is a permutation of the pixels, so it is
        exact in any precision.
    """
    x = _check_tensor(x, "x", 2)
    return torch.rot90(x, _check_k(k), dims=(-2, -1))


def rotate_c4_features(y: torch.Tensor, k: int = 1) -> torch.Tensor:
    """The action of a rotation by ``k`` quarter turns on lifted feature maps.

    Every map is rotated by ``k`` quarter turns and the rotation axis is shifted cyclically by
    ``k``: ``out[..., r, :, :] = rotate90(y[..., r - k, :, :], k)``.

    Args:
        y: tensor of shape ``(..., 4, H, W)``, the rotation axis third from the end.
        k: number of quarter turns.

    Returns:
        Tensor of shape ``(..., 4, W, H)``.
    """
    y = _check_tensor(y, "y", 3)
    if y.shape[-3] != 4:
        raise ValueError(
            f"y must have a rotation axis of length 4 at dim -3, got shape {tuple(y.shape)}"
        )
    k = _check_k(k)
    return torch.roll(torch.rot90(y, k, dims=(-2, -1)), shifts=k, dims=-3)


def equivariance_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    xs: torch.Tensor,
    transform_in: Callable[[torch.Tensor, Any], torch.Tensor],
    transform_out: Callable[[torch.Tensor, Any], torch.Tensor] | None = None,
    group: Iterable[Any] = (1, 2, 3),
) -> float:
    """The mean relative equivariance error of ``f`` on a batch of inputs.

    .. math::
        \\varepsilon(f) = \\frac{1}{|G'|\\,N} \\sum_{g \\in G'} \\sum_{n=1}^{N}
        \\frac{\\lVert f(\\rho_\\text{in}(g) x_n) - \\rho_\\text{out}(g) f(x_n) \\rVert}
             {\\lVert f(x_n) \\rVert}

    with Euclidean norms over all non-batch axes of the output. It is 0 for an exactly
    equivariant ``f`` (up to rounding) and of order 1 for a function that ignores the symmetry.

    Args:
        f: maps a batch ``(N, ...)`` to outputs ``(N, ...)``; evaluated without gradients.
        xs: the inputs, a tensor with the batch along the first axis.
        transform_in: ``transform_in(x, g)``, the input action :math:`\\rho_\\text{in}(g)` on a
            batch.
        transform_out: ``transform_out(y, g)``, the output action :math:`\\rho_\\text{out}(g)`
            on a batch of outputs; ``None`` for the trivial action (invariance).
        group: the group elements ``g`` to average over, ``G'``; the default, the three
            non-trivial rotations of :math:`C_4` as quarter-turn counts, leaves out the
            identity, for which the error is always 0.

    Returns:
        The error as a Python float.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    xs = _check_tensor(xs, "xs", 1)
    if not callable(transform_in):
        raise TypeError("transform_in must be a function transform_in(x, g)")
    if transform_out is not None and not callable(transform_out):
        raise TypeError("transform_out must be a function transform_out(y, g) or None")
    elements = list(group)
    if not elements:
        raise ValueError("group must contain at least one element")
    errors = []
    with torch.no_grad():
        y = f(xs)
        norm = y.reshape(len(y), -1).norm(dim=1).clamp_min(torch.finfo(y.dtype).tiny)
        for g in elements:
            y_g = f(transform_in(xs, g))
            target = y if transform_out is None else transform_out(y, g)
            if y_g.shape != target.shape:
                raise ValueError(
                    f"f(transform_in(x, {g!r})) has shape {tuple(y_g.shape)}, "
                    f"but the transformed output has shape {tuple(target.shape)}"
                )
            diff = (y_g - target).reshape(len(y), -1).norm(dim=1)
            errors.append(diff / norm)
    return float(torch.stack(errors).mean())


# ----------------------------------------------------------------------------------------------
# Sets
# ----------------------------------------------------------------------------------------------


class DeepSet(nn.Module):
    """A permutation-invariant network on sets, :math:`\\rho\\bigl(\\sum_i \\phi(x_i)\\bigr)`.

    Args:
        phi: maps elements ``(..., d_in)`` to features ``(..., d_hidden)``; applied to every
            element of every set.
        rho: maps pooled features ``(batch, d_hidden)`` to outputs ``(batch, d_out)``.
        pooling: ``"sum"`` or ``"mean"`` over the elements of a set.

    Shapes:
        input ``(batch, n_elements, d_in)`` -> output ``(batch, d_out)``.
    """

    def __init__(self, phi: nn.Module, rho: nn.Module, pooling: str = "sum") -> None:
        super().__init__()
        if not isinstance(phi, nn.Module) or not isinstance(rho, nn.Module):
            raise TypeError(
                "phi and rho must be nn.Modules (e.g. training.make_mlp([...]))"
            )
        if pooling not in ("sum", "mean"):
            raise ValueError(f"pooling must be 'sum' or 'mean', got {pooling!r}")
        self.phi, self.rho, self.pooling = phi, rho, pooling

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = _check_tensor(X, "X", 3)
        h = self.phi(X)  # (batch, n, d_hidden)
        pooled = (
            h.sum(dim=1) if self.pooling == "sum" else h.mean(dim=1)
        )  # (batch, d_hidden)
        return self.rho(pooled)  # (batch, d_out)


def radial_features(
    positions: torch.Tensor, centres: torch.Tensor, width: float
) -> torch.Tensor:
    """Radial symmetry functions: Gaussian-smeared counts of the neighbours of each particle.

    .. math:: G_{ik} = \\sum_{j \\ne i} \\exp\\bigl(-(r_{ij} - \\mu_k)^2 / (2 w^2)\\bigr)

    They are invariant under rotations, reflections and translations of the whole set and under
    permutations of the other particles, and permute with the particles (equivariant).

    Args:
        positions: ``(batch, n, d)`` particle positions.
        centres: ``(n_centres,)`` the distances :math:`\\mu_k`.
        width: the Gaussian width :math:`w > 0`.

    Returns:
        ``(batch, n, n_centres)``, in the dtype of ``positions``.
    """
    positions = _check_tensor(positions, "positions", 3)
    centres = _check_tensor(centres, "centres", 1)
    if not width > 0:
        raise ValueError(f"width must be positive, got {width}")
    n = positions.shape[1]
    diff = positions[:, :, None, :] - positions[:, None, :, :]  # (batch, n, n, d)
    r = diff.pow(2).sum(-1).clamp_min(0).sqrt()  # (batch, n, n)
    g = torch.exp(
        -((r[..., None] - centres.to(r)) ** 2) / (2 * width**2)
    )  # (batch, n, n, K)
    not_self = 1.0 - torch.eye(n, dtype=r.dtype, device=r.device)
    return (g * not_self[None, :, :, None]).sum(dim=2)  # (batch, n, K)


# ----------------------------------------------------------------------------------------------
# C4 group convolutions
# ----------------------------------------------------------------------------------------------


def _check_conv_inputs(
    x: torch.Tensor, weight: torch.Tensor, x_dim: int, w_dim: int
) -> None:
    _check_tensor(x, "x", x_dim)
    _check_tensor(weight, "weight", w_dim)
    if x.dim() != x_dim or weight.dim() != w_dim:
        raise ValueError(
            f"expected x with {x_dim} and weight with {w_dim} dimensions, got shapes "
            f"{tuple(x.shape)} and {tuple(weight.shape)}"
        )
    if weight.shape[-1] != weight.shape[-2] or weight.shape[-1] % 2 == 0:
        raise ValueError(
            f"filters must be square with an odd size, got shape {tuple(weight.shape)}"
        )


def c4_lift(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """The lifting convolution from images to functions on :math:`C_4 \\times \\mathbb{Z}^2`.

    ``out[:, o, r] = conv2d(x, rotate90(weight, r))[:, o] + bias[o]``, with zero padding that
    keeps the image size.

    Args:
        x: ``(batch, C_in, H, W)`` images.
        weight: ``(C_out, C_in, k, k)`` filters, ``k`` odd.
        bias: ``(C_out,)`` or ``None``; shared by the four rotated copies.

    Returns:
        ``(batch, C_out, 4, H, W)``.
    """
    _check_conv_inputs(x, weight, 4, 4)
    c_out, _, k, _ = weight.shape
    w = torch.stack(
        [torch.rot90(weight, r, dims=(-2, -1)) for r in range(4)], dim=1
    )  # (C_out, 4, C_in, k, k)
    b = None if bias is None else bias.repeat_interleave(4)  # (C_out * 4,)
    out = F.conv2d(
        x, w.reshape(c_out * 4, -1, k, k), b, padding=k // 2
    )  # (batch, C_out * 4, H, W)
    return out.reshape(len(x), c_out, 4, *out.shape[-2:])


def c4_group_conv(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """The group convolution on :math:`C_4 \\times \\mathbb{Z}^2`.

    ``out[:, o, r] = sum_{c, s} conv2d(x[:, c, s], rotate90(weight[o, c, s - r], r))``:
    for output orientation ``r`` the filter is rotated by ``r`` quarter turns in space
    and shifted cyclically by ``r`` along its rotation axis. Zero padding keeps the
    image size.

    Args:
        x: ``(batch, C_in, 4, H, W)`` lifted feature maps.
        weight: ``(C_out, C_in, 4, k, k)`` filters, ``k`` odd.
        bias: ``(C_out,)`` or ``None``.

    Returns:
        ``(batch, C_out, 4, H, W)``.
    """
    _check_conv_inputs(x, weight, 5, 5)
    if x.shape[2] != 4 or weight.shape[2] != 4:
        raise ValueError(
            f"x and weight need a rotation axis of length 4 at dim 2, got shapes "
            f"{tuple(x.shape)} and {tuple(weight.shape)}"
        )
    c_out, c_in, _, k, _ = weight.shape
    w = torch.stack(
        [
            torch.rot90(torch.roll(weight, shifts=r, dims=2), r, dims=(-2, -1))
            for r in range(4)
        ],
        dim=1,
    )  # (C_out, 4, C_in, 4, k, k)
    b = None if bias is None else bias.repeat_interleave(4)
    out = F.conv2d(
        x.reshape(len(x), c_in * 4, *x.shape[-2:]),
        w.reshape(c_out * 4, c_in * 4, k, k),
        b,
        padding=k // 2,
    )  # (batch, C_out * 4, H, W)
    return out.reshape(len(x), c_out, 4, *out.shape[-2:])


def _init_conv_weight(
    shape: tuple[int, ...], fan_in: int
) -> tuple[nn.Parameter, nn.Parameter]:
    bound = 1.0 / np.sqrt(fan_in)  # PyTorch's default for conv layers
    weight = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
    bias = nn.Parameter(torch.empty(shape[0]).uniform_(-bound, bound))
    return weight, bias


class C4LiftingConv(nn.Module):
    """Lifting convolution ``(batch, C_in, H, W) -> (batch, C_out, 4, H, W)``; see :func:`c4_lift`.

    Args:
        in_channels: ``C_in``.
        out_channels: ``C_out``.
        kernel_size: odd filter size ``k``; padding ``k // 2`` keeps the image size.
        bias: whether to add a learned bias per output channel.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        bias: bool = True,
    ) -> None:
        super().__init__()
        c_in, c_out = (
            check_int(in_channels, "in_channels"),
            check_int(out_channels, "out_channels"),
        )
        k = check_int(kernel_size, "kernel_size")
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {k}")
        self.weight, b = _init_conv_weight((c_out, c_in, k, k), c_in * k * k)
        self.bias = b if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return c4_lift(x, self.weight, self.bias)


class C4GroupConv(nn.Module):
    """Group convolution ``(batch, C_in, 4, H, W) -> (batch, C_out, 4, H, W)``; see
    :func:`c4_group_conv`.

    Args:
        in_channels: ``C_in``.
        out_channels: ``C_out``.
        kernel_size: odd filter size ``k``.
        bias: whether to add a learned bias per output channel.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        bias: bool = True,
    ) -> None:
        super().__init__()
        c_in, c_out = (
            check_int(in_channels, "in_channels"),
            check_int(out_channels, "out_channels"),
        )
        k = check_int(kernel_size, "kernel_size")
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {k}")
        self.weight, b = _init_conv_weight((c_out, c_in, 4, k, k), c_in * 4 * k * k)
        self.bias = b if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return c4_group_conv(x, self.weight, self.bias)


class C4Pool(nn.Module):
    """Pool over the rotation axis: ``(batch, C, 4, H, W) -> (batch, C, H, W)``.

    The result rotates with the input like an ordinary feature map (rotation equivariant); a
    further average over space makes it invariant.

    Args:
        reduce: ``"max"`` or ``"mean"``.
    """

    def __init__(self, reduce: str = "max") -> None:
        super().__init__()
        if reduce not in ("max", "mean"):
            raise ValueError(f"reduce must be 'max' or 'mean', got {reduce!r}")
        self.reduce = reduce

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tensor(x, "x", 5)
        return x.amax(dim=2) if self.reduce == "max" else x.mean(dim=2)


def _spatial_max_pool(x: torch.Tensor) -> torch.Tensor:
    """2x2 max pooling of the last two axes of ``(batch, C, 4, H, W)``."""
    b, c, g, h, w = x.shape
    return F.max_pool2d(x.reshape(b, c * g, h, w), 2).reshape(b, c, g, h // 2, w // 2)


class C4Classifier(nn.Module):
    """A small image classifier invariant under rotations by multiples of 90 degrees.

    Lifting conv, ReLU, group conv, ReLU, 2x2 max pooling, group conv, ReLU, then an invariant
    read-out that keeps the spatial layout: the map of orientation ``r`` is rotated back by
    ``r`` quarter turns, ``z_r = rotate90(y[:, :, r], -r)``; a rotation of the input permutes
    the ``z_r`` cyclically, so their element-wise maximum is invariant; a linear layer on it
    gives the logits. Exactly invariant for square images with an even side (2x2 pooling then
    maps blocks onto blocks under rotation).

    Args:
        in_channels: channels of the input images.
        n_classes: number of outputs (logits).
        image_size: side ``H`` of the square input images, even.
        width: channels of every hidden layer (each has 4 orientations).
        kernel_size: odd filter size.

    Shapes:
        ``(batch, in_channels, H, H)`` -> ``(batch, n_classes)``.
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        image_size: int,
        width: int = 8,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        size = check_int(image_size, "image_size", minimum=2)
        if size % 2:
            raise ValueError(f"image_size must be even, got {size}")
        self.image_size = size
        self.lift = C4LiftingConv(in_channels, width, kernel_size)
        self.conv1 = C4GroupConv(width, width, kernel_size)
        self.conv2 = C4GroupConv(width, width, kernel_size)
        self.head = nn.Linear(
            width * (size // 2) ** 2, check_int(n_classes, "n_classes")
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The lifted feature maps before the read-out, ``(batch, width, 4, H/2, H/2)``."""
        h = F.relu(self.conv1(F.relu(self.lift(x))))
        return F.relu(self.conv2(_spatial_max_pool(h)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tensor(x, "x", 4)
        if x.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(
                f"expected images of size {self.image_size}x{self.image_size}, got shape {tuple(x.shape)}"
            )
        y = self.features(x)  # (batch, C, 4, h, h)
        z = torch.stack(
            [torch.rot90(y[:, :, r], -r, dims=(-2, -1)) for r in range(4)], dim=2
        )
        return self.head(z.amax(dim=2).flatten(1))  # (batch, n_classes)


class SmallCNN(nn.Module):
    """A plain CNN with the layout of :class:`C4Classifier`, for comparison.

    Conv, ReLU, conv, ReLU, 2x2 max pooling, conv, ReLU, flatten, linear layer. Translation
    equivariant up to the borders in its convolutions, and not rotation invariant.

    Args:
        in_channels: channels of the input images.
        n_classes: number of outputs (logits).
        image_size: side ``H`` of the square input images, even.
        width: channels of every hidden layer.
        kernel_size: odd filter size.

    Shapes:
        ``(batch, in_channels, H, H)`` -> ``(batch, n_classes)``.
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        image_size: int,
        width: int = 16,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        c_in, width = check_int(in_channels, "in_channels"), check_int(width, "width")
        k = check_int(kernel_size, "kernel_size")
        size = check_int(image_size, "image_size", minimum=2)
        if k % 2 == 0 or size % 2:
            raise ValueError(
                f"kernel_size must be odd and image_size even, got {k} and {size}"
            )
        self.conv0 = nn.Conv2d(c_in, width, k, padding=k // 2)
        self.conv1 = nn.Conv2d(width, width, k, padding=k // 2)
        self.conv2 = nn.Conv2d(width, width, k, padding=k // 2)
        self.head = nn.Linear(
            width * (size // 2) ** 2, check_int(n_classes, "n_classes")
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature maps, ``(batch, width, H/2, W/2)``."""
        h = F.relu(self.conv1(F.relu(self.conv0(x))))
        return F.relu(self.conv2(F.max_pool2d(h, 2)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tensor(x, "x", 4)
        return self.head(self.features(x).flatten(1))


class RandomRot90(nn.Module):
    """Rotation augmentation: in training mode, rotate each image by a random multiple of 90°.

    In ``eval()`` mode it is the identity. Put it in front of a model,
    ``nn.Sequential(RandomRot90(), model)``, to train with augmentation.

    Args:
        generator: the ``torch.Generator`` for the random rotations; ``None`` uses PyTorch's
            global generator.

    Shapes:
        ``(batch, ..., H, H)`` -> the same.
    """

    def __init__(self, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator or None, got {type(generator).__name__}"
            )
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tensor(x, "x", 3)
        if not self.training:
            return x
        if x.shape[-1] != x.shape[-2]:
            raise ValueError(
                f"RandomRot90 needs square images, got shape {tuple(x.shape)}"
            )
        ks = torch.randint(0, 4, (len(x),), generator=self.generator)
        out = x.clone()
        for k in (1, 2, 3):
            mask = ks == k
            if mask.any():
                out[mask] = torch.rot90(x[mask], k, dims=(-2, -1))
        return out
