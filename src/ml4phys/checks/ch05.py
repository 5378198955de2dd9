"""Self-checks for the exercises of chapter 5 (convolutional networks).

Each ``check_*`` function tests one exercise of ``solutions/05_cnns.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test data
are drawn inside the checks from generators the notebook does not see (or are the Fashion-MNIST
test set, which the notebook must not train on). A ``NotImplementedError`` raised by a stub
passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys import data
from ml4phys.checks._core import (
    as_numpy,
    as_tensor,
    call_student,
    isolated_rng,
    n_parameters,
    passed,
    require,
)
from ml4phys.nn import conv

__all__ = [
    "FASHION_MAX_PARAMETERS",
    "FASHION_THRESHOLD",
    "UNET_IOU_THRESHOLD",
    "check_conv_matrix",
    "check_fashion_classifier",
    "check_maximise_channel",
    "check_residual_block",
    "check_circles_to_squares",
    "check_ising_energy",
]

FASHION_MAX_PARAMETERS = 15_000
"""Largest number of trainable parameters allowed in exercise 5.2."""

FASHION_THRESHOLD = 0.87
"""Test accuracy required in exercise 5.2."""

UNET_IOU_THRESHOLD = 0.90
"""Mean intersection over union required in exercise 5.5."""

_MAXIMISE_FRACTION = 0.9
_SEED = 5005


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


def _require_module(model: object, what: str) -> None:
    require(
        isinstance(model, nn.Module),
        f"{what} must be a torch.nn.Module; you passed a {type(model).__name__}.",
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5.1
# ----------------------------------------------------------------------------------------------


def check_conv_matrix(conv_matrix: Callable[..., Any]) -> bool:
    """Exercise 5.1: ``conv_matrix(w, n, stride, padding)`` is the matrix of a 1-D convolution.

    For a kernel ``w`` (1-D array of length ``k``) and a signal length ``n``, the returned array
    ``M`` of shape ``(n_out, n)`` must satisfy ``M @ x == F.conv1d(x, w, stride, padding)`` for
    every signal ``x`` (one channel, zero padding, PyTorch's cross-correlation). Tested for
    random kernels of lengths 1 to 5 and several lengths, strides and paddings.

    Args:
        conv_matrix: the student's function.
    """
    r = np.random.default_rng(_SEED)
    cases = [
        (3, 10, 1, 0),
        (3, 10, 1, 1),
        (4, 11, 2, 0),
        (5, 12, 2, 2),
        (1, 7, 3, 0),
        (2, 9, 3, 1),
    ]
    for k, n, stride, padding in cases:
        w = r.standard_normal(k)
        M = as_numpy(
            call_student(
                conv_matrix,
                w.copy(),
                n,
                name="conv_matrix(w, n, stride=stride, padding=padding)",
                kwargs={"stride": stride, "padding": padding},
            ),
            "the matrix returned by conv_matrix",
        )
        n_out = conv.conv_output_size(n, k, stride, padding)
        setting = (
            f"for a kernel of length {k}, n = {n}, stride {stride}, padding {padding}"
        )
        require(
            M.ndim == 2 and M.shape[1] == n,
            f"{setting} the matrix must have shape (n_out, n), one column per input sample; "
            f"yours has shape {M.shape}.",
        )
        require(
            M.shape[0] == n_out,
            f"{setting} your matrix has {M.shape[0]} rows, too {'many' if M.shape[0] > n_out else 'few'}: "
            "it needs one row per output of conv1d with this stride and padding (n_out).",
        )
        x = r.standard_normal((n, 3))
        expected = (
            F.conv1d(
                torch.from_numpy(x.T)[:, None],
                torch.from_numpy(w)[None, None],
                stride=stride,
                padding=padding,
            )[:, 0]
            .numpy()
            .T
        )  # (n_out, 3)
        require(
            np.allclose(M @ x, expected, atol=1e-8),
            f"M @ x differs from torch's conv1d for a kernel of length {k}, n = {n}, stride "
            f"{stride}, padding {padding} (largest difference "
            f"{np.abs(M @ x - expected).max():.3g}). Is the kernel flipped, or the stride or "
            "padding handled differently?",
        )
    return passed(
        "Exercise 5.1: your matrices reproduce torch's conv1d for all strides and paddings tested."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5.2
# ----------------------------------------------------------------------------------------------


def check_fashion_classifier(model: nn.Module) -> bool:
    """Exercise 5.2: a Fashion-MNIST classifier with at most 15 000 parameters.

    The model must map float32 images of shape ``(n, 1, 28, 28)`` with values in [0, 1] (the
    uint8 pixels divided by 255) to logits of shape ``(n, 10)``, have at most
    :data:`FASHION_MAX_PARAMETERS` trainable parameters, and classify at least
    :data:`FASHION_THRESHOLD` of the 10 000 test images correctly. The model is put into
    ``eval()`` mode.

    Args:
        model: the trained network.
    """
    n_params = n_parameters(model)
    require(
        n_params <= FASHION_MAX_PARAMETERS,
        f"your model has {n_params} trainable parameters; at most {FASHION_MAX_PARAMETERS} are allowed.",
    )
    images, labels = data.load_fashion_mnist("test")
    X = torch.from_numpy(images).float().div_(255)[:, None]
    model.eval()
    with torch.no_grad():
        logits = call_student(model, X[:2], name="model(X)")
        require(
            isinstance(logits, torch.Tensor) and tuple(logits.shape) == (2, 10),
            "for input of shape (2, 1, 28, 28) the model must return logits of shape (2, 10); "
            f"it returned {getattr(logits, 'shape', type(logits).__name__)}.",
        )
        predicted = torch.cat(
            [
                call_student(model, X[i : i + 2000], name="model(X)").argmax(1)
                for i in range(0, len(X), 2000)
            ]
        )
    accuracy = (predicted.numpy() == labels).mean()
    require(
        accuracy >= FASHION_THRESHOLD,
        f"your model classifies {accuracy:.1%} of the 10000 test images correctly; at least "
        f"{FASHION_THRESHOLD:.0%} are needed.",
    )
    return passed(
        f"Exercise 5.2: {accuracy:.2%} test accuracy with {n_params} parameters "
        f"(needed: {FASHION_THRESHOLD:.0%}, at most {FASHION_MAX_PARAMETERS} parameters)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5.3
# ----------------------------------------------------------------------------------------------


def _centre_activation(
    model: nn.Module, image: torch.Tensor, channel: int
) -> torch.Tensor:
    out = model(image[None, None])  # (1, C, H', W')
    return out[0, channel, out.shape[2] // 2, out.shape[3] // 2]


def _reference_maximum(
    model: nn.Module, channel: int, size: int, n_restarts: int = 3
) -> float:
    """Projected, normalised gradient ascent on the unit ball, best of a few random starts."""
    best = -np.inf
    generator = torch.Generator().manual_seed(_SEED + channel)
    for _ in range(n_restarts):
        x = torch.randn(size, size, generator=generator)
        x = x / x.norm()
        for step in range(200):
            x.requires_grad_(True)
            (grad,) = torch.autograd.grad(_centre_activation(model, x, channel), x)
            with torch.no_grad():
                x = x + (0.2 if step < 100 else 0.05) * grad / grad.norm().clamp(
                    min=1e-12
                )
                x = x / x.norm().clamp(min=1.0)
        with torch.no_grad():
            best = max(best, _centre_activation(model, x, channel).item())
    return best


def _maximise_test_models() -> list[nn.Module]:
    with isolated_rng(_SEED):
        linear = nn.Conv2d(1, 3, 5)
        deep = nn.Sequential(nn.Conv2d(1, 4, 5), nn.Tanh(), nn.Conv2d(4, 3, 5))
    return [linear.eval(), deep.eval()]


def check_maximise_channel(maximise_channel: Callable[..., Any]) -> bool:
    """Exercise 5.3: ``maximise_channel(model, channel, size)`` finds a maximally exciting input.

    The function must return an image of shape ``(size, size)`` with Euclidean norm at most 1
    that (approximately) maximises the activation of output channel ``channel`` at the centre
    position ``(H' // 2, W' // 2)`` of ``model(image[None, None])``. Tested on a single
    convolution layer, where the maximum is known exactly (the normalised kernel, by the
    Cauchy-Schwarz inequality), and on a two-layer network, where the activation reached must
    be at least 90 % of what a reference optimiser finds.

    Args:
        maximise_channel: the student's function.
    """
    size = 13
    linear, deep = _maximise_test_models()
    for model, name in [
        (linear, "a single 5x5 convolution"),
        (deep, "a two-layer network"),
    ]:
        for channel in (0, 2):
            image = as_tensor(
                call_student(
                    maximise_channel,
                    model,
                    channel,
                    size,
                    name="maximise_channel(model, channel, size)",
                ),
                "the image returned by maximise_channel",
            ).float()
            require(
                tuple(image.shape) == (size, size),
                f"for size = {size} the image must have shape ({size}, {size}); yours has {tuple(image.shape)}.",
            )
            norm = image.norm().item()
            require(
                norm <= 1 + 1e-4,
                f"the image must have norm at most 1; yours has norm {norm:.4f}.",
            )
            with torch.no_grad():
                reached = _centre_activation(model, image, channel).item()
            if model is linear:
                w = linear.weight[channel].detach()
                optimum = (w.norm() + linear.bias[channel]).item()
                require(
                    reached >= optimum - 0.02 * w.norm().item(),
                    f"on {name}, channel {channel}, your image reaches an activation of {reached:.4f}; "
                    f"the maximum over images of norm 1 is higher. Run more ascent steps?",
                )
            else:
                reference = _reference_maximum(model, channel, size)
                require(
                    reached >= _MAXIMISE_FRACTION * reference,
                    f"on {name}, channel {channel}, your image reaches an activation of {reached:.4f}, "
                    f"less than {_MAXIMISE_FRACTION:.0%} of what a reference optimiser reaches. Run "
                    "more ascent steps, or start from several random images?",
                )
    return passed(
        "Exercise 5.3: your images excite the channels (nearly) as much as an image of norm 1 can."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5.4
# ----------------------------------------------------------------------------------------------


def check_residual_block(block_class: type) -> bool:
    """Exercise 5.4: ``block_class(channels)`` is the residual block ``x + conv2(relu(conv1(x)))``.

    Instances must have attributes ``conv1`` and ``conv2``, both ``nn.Conv2d`` from
    ``channels`` to ``channels`` channels with 3x3 kernels that keep the image size, and
    compute ``conv2(relu(conv1(x))) + x``. Tested with random weights for several channel
    numbers and image sizes, and for the identity when ``conv2``'s weights and bias are zero.

    Args:
        block_class: the student's class (not an instance).
    """
    require(
        isinstance(block_class, type) and issubclass(block_class, nn.Module),
        f"block_class must be the class itself (a subclass of nn.Module), not an instance; got a "
        f"{type(block_class).__name__}.",
    )
    generator = torch.Generator().manual_seed(_SEED)
    for channels, shape in [(1, (9, 9)), (3, (8, 12)), (6, (5, 7))]:
        with isolated_rng():
            block = call_student(
                block_class, channels, name="block_class(channels)", expects=nn.Module
            )
        for name in ("conv1", "conv2"):
            layer = getattr(block, name, None)
            require(
                isinstance(layer, nn.Conv2d),
                f"the block needs an attribute {name} that is an nn.Conv2d.",
            )
            require(
                layer.in_channels == channels == layer.out_channels
                and layer.kernel_size == (3, 3),
                f"{name} must map {channels} to {channels} channels with a 3x3 kernel; it maps "
                f"{layer.in_channels} to {layer.out_channels} with {layer.kernel_size}.",
            )
            require(
                layer.stride == (1, 1) and layer.padding == (1, 1),
                f"{name} must keep the image size (stride 1, padding 1); it has stride "
                f"{layer.stride} and padding {layer.padding}.",
            )
        x = torch.randn(2, channels, *shape, generator=generator)
        with torch.no_grad():
            for p in block.parameters():
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))
            y = call_student(block, x, name=f"block(x) for x of shape {tuple(x.shape)}")
            require(
                isinstance(y, torch.Tensor) and y.shape == x.shape,
                f"the block must keep the shape {tuple(x.shape)}; it returned {getattr(y, 'shape', None)}.",
            )
            expected = block.conv2(torch.relu(block.conv1(x))) + x
            require(
                torch.allclose(y, expected, atol=1e-5),
                f"with {channels} channels the output differs from conv2(relu(conv1(x))) + x "
                f"(largest difference {(y - expected).abs().max():.3g}).",
            )
            block.conv2.weight.zero_()
            if block.conv2.bias is not None:
                block.conv2.bias.zero_()
            require(
                torch.allclose(
                    call_student(block, x, name="block(x)", expects=torch.Tensor),
                    x,
                    atol=1e-6,
                ),
                "with conv2's weights and bias set to zero the block must be the identity.",
            )
    return passed(
        "Exercise 5.4: your block computes x + conv2(relu(conv1(x))) and keeps the shape."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5.5
# ----------------------------------------------------------------------------------------------


def _mean_iou(prediction: np.ndarray, target: np.ndarray) -> float:
    intersection = (prediction & target).sum(axis=(1, 2))
    union = (prediction | target).sum(axis=(1, 2))
    return float(np.mean(intersection / np.maximum(union, 1)))


def check_circles_to_squares(model: nn.Module) -> bool:
    """Exercise 5.5: an image-to-image network that turns discs into their bounding squares.

    The model must map float32 images of shape ``(n, 1, 32, 32)`` from
    ``data.circles_to_squares`` (default settings) to logits of the same shape; a pixel is
    predicted white where the logit is positive. On 500 fresh image pairs the mean
    intersection over union with the targets must reach :data:`UNET_IOU_THRESHOLD`. The
    package's ``conv.UNet`` is not accepted: build your own.

    Args:
        model: the trained network.
    """
    _require_module(model, "model")
    require(
        not isinstance(model, conv.UNet),
        "build your own network; conv.UNet is the lecture's.",
    )
    inputs, targets = data.circles_to_squares(500, np.random.default_rng(_SEED))
    model.eval()
    with torch.no_grad():
        logits = call_student(model, torch.from_numpy(inputs)[:, None], name="model(X)")
    require(
        isinstance(logits, torch.Tensor) and tuple(logits.shape) == (500, 1, 32, 32),
        "for input of shape (500, 1, 32, 32) the model must return logits of the same shape; it "
        f"returned {getattr(logits, 'shape', type(logits).__name__)}.",
    )
    prediction = logits[:, 0].numpy() > 0
    score = _mean_iou(prediction, targets > 0.5)
    require(
        score >= UNET_IOU_THRESHOLD,
        f"mean intersection over union on fresh images: {score:.3f}; at least {UNET_IOU_THRESHOLD} is needed.",
    )
    return passed(
        f"Exercise 5.5: mean IoU {score:.3f} on 500 fresh image pairs (needed: {UNET_IOU_THRESHOLD})."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5.6
# ----------------------------------------------------------------------------------------------


def _ising_energy_reference(spins: np.ndarray, J: float) -> np.ndarray:
    right = np.roll(spins, -1, axis=2)
    down = np.roll(spins, -1, axis=1)
    return -J * (spins * (right + down)).sum(axis=(1, 2))


def check_ising_energy(ising_energy: Callable[..., Any]) -> bool:
    """Exercise 5.6: ``ising_energy(spins, J)`` is the periodic nearest-neighbour Ising energy.

    For spins of shape ``(n, L, L)`` (a float32 tensor of +-1) it must return the ``n``
    energies :math:`E = -J \\sum_{\\langle ij \\rangle} s_i s_j`, each nearest-neighbour bond
    of the periodic ``L x L`` lattice counted once. Tested on random configurations for
    several ``L`` and ``J``, and on the ordered states.

    Args:
        ising_energy: the student's function.
    """
    r = np.random.default_rng(_SEED)
    for L, J in [(3, 1.0), (6, 1.0), (8, -0.5), (11, 2.0)]:
        spins = r.choice([-1.0, 1.0], size=(5, L, L))
        spins[0] = 1.0
        spins[1] = -1.0
        energy = as_numpy(
            call_student(
                ising_energy,
                torch.from_numpy(spins).float(),
                J,
                name="ising_energy(spins, J)",
            ),
            "the energies returned by ising_energy",
        )
        require(
            energy.shape == (5,),
            f"for 5 configurations the energies must have shape (5,); yours has {energy.shape}.",
        )
        expected = _ising_energy_reference(spins, J)
        require(
            np.allclose(energy[:2], expected[:2], atol=1e-4),
            f"the ordered states on an {L}x{L} lattice with J = {J} have the wrong energy: {energy[:2]} "
            "(each nearest-neighbour bond of the torus counts once).",
        )
        require(
            np.allclose(energy, expected, atol=1e-4),
            f"on random {L}x{L} configurations with J = {J} your energies differ from the periodic "
            f"nearest-neighbour energy (largest difference {np.abs(energy - expected).max():.3g}).",
        )
    return passed(
        "Exercise 5.6: your energies agree with the periodic Ising energy for all sizes and couplings tested."
    )
