"""Self-checks for the exercises of chapter 10 (autoencoders, PCA and t-SNE).

Each ``check_*`` function tests one exercise of ``solutions/10_autoencoders.ipynb``. It prints
a confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. The
test inputs (random matrices, fresh circle images) are drawn inside the checks from generators
the notebook does not see. A ``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ml4phys import data, manifold
from ml4phys.checks._core import (
    as_number,
    as_tensor,
    call_student,
    evaluating,
    isolated_rng,
    passed,
    require,
)

__all__ = [
    "check_pca_error",
    "check_circle_challenge_medium",
    "check_circle_challenge_hard",
    "check_neighbourhood_preservation",
]

_IMAGE_SIZE = 27
"""Side of the circle images of the challenge (exercises 10.2 and 10.3)."""

_N_CHALLENGE_IMAGES = 1000
_MEDIUM = (9, 0.0015)  # bottleneck at most, MSE per pixel below
_HARD = (3, 0.012)


# ----------------------------------------------------------------------------------------------
# Exercise 10.1
# ----------------------------------------------------------------------------------------------


def _direct_pca_error(X: np.ndarray, k: int) -> float:
    """The MSE per entry of the projection onto the first k components (or the mean)."""
    if k == 0:
        return float(np.mean((X - X.mean(axis=0)) ** 2))
    return float(np.mean((manifold.pca(X, k).reconstruct(X) - X) ** 2))


def check_pca_error(pca_error: Callable[..., Any]) -> bool:
    """Exercise 10.1: ``pca_error(X, k)`` is the MSE per entry of PCA with ``k`` components.

    Compared with the error of the explicit reconstruction on random matrices of different
    shapes (more rows than columns and the other way round, a non-zero mean, an uneven
    spectrum) for several ``k``, including ``k = 0`` (the mean alone).

    Args:
        pca_error: the student's function.
    """
    g = np.random.default_rng(100_001)
    cases = []
    for n, d in ((40, 6), (7, 12), (200, 30)):
        X = g.standard_normal((n, d)) * np.geomspace(3, 0.1, d) + g.normal(0, 2, d)
        cases += [(X, k) for k in (0, 1, 2, min(n, d) // 2, min(n, d) - 1)]
    for X, k in cases:
        value = as_number(
            call_student(pca_error, X.copy(), k, name="pca_error(X, k)"),
            "the result of pca_error(X, k)",
        )
        expected = _direct_pca_error(X, k)
        require(
            abs(value - expected) <= 1e-6 * expected + 1e-12,
            f"for X of shape {X.shape} and k = {k}, pca_error returned {value:.6g}, which is "
            "not the mean squared error per entry of the reconstruction from k components. "
            "Did you centre X, square the singular values, keep the right ones, and divide "
            "by n * d?",
        )
    return passed(
        "Exercise 10.1: the error of PCA from the singular values alone agrees with the "
        "explicit reconstruction for every shape and every k."
    )


# ----------------------------------------------------------------------------------------------
# Exercises 10.2 and 10.3
# ----------------------------------------------------------------------------------------------


def _device(model: nn.Module) -> torch.device:
    parameter = next(iter(model.parameters()), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _check_challenge(model: Any, level: str, max_width: int, threshold: float) -> bool:
    exercise = "Exercise 10.2" if level == "medium" else "Exercise 10.3"
    require(
        isinstance(model, nn.Module),
        f"{exercise}: model must be a torch.nn.Module (your trained autoencoder); got a "
        f"{type(model).__name__}.",
    )
    with isolated_rng(100_002 if level == "medium" else 100_003) as rng:
        circles, _ = data.random_circles(_N_CHALLENGE_IMAGES, rng, _IMAGE_SIZE)
    images = torch.from_numpy(circles)[:, None].to(_device(model))
    shape = tuple(images.shape)
    with evaluating(model):
        out = call_student(
            model, images, name="model(images)", expects=torch.Tensor, exercise=exercise
        )
        require(
            tuple(out.shape) == shape,
            f"{exercise}: for images of shape {shape} the model must return "
            f"reconstructions of the same shape; it returned {tuple(out.shape)}.",
        )
        for method in ("encode", "decode"):
            require(
                callable(getattr(model, method, None)),
                f"{exercise}: the model must have a method {method} (encode(images) -> "
                "codes, decode(codes) -> images), so that the check can see the bottleneck.",
            )
        codes = call_student(
            model.encode,
            images,
            name="model.encode(images)",
            expects=torch.Tensor,
            exercise=exercise,
        )
        require(
            codes.dim() >= 1 and codes.shape[0] == shape[0],
            f"{exercise}: model.encode(images) must return one code per image (first axis "
            f"{shape[0]}); it returned shape {tuple(codes.shape)}.",
        )
        width = codes[0].numel()
        require(
            width <= max_width,
            f"{exercise}: the bottleneck must hold at most {max_width} numbers per image; "
            f"your codes have {width}.",
        )
        decoded = call_student(
            model.decode,
            codes,
            name="model.decode(codes)",
            expects=torch.Tensor,
            exercise=exercise,
        )
        require(
            tuple(decoded.shape) == shape
            and torch.allclose(decoded.float(), out.float(), atol=1e-4),
            f"{exercise}: model(images) must equal model.decode(model.encode(images)), so "
            "that everything passes through the bottleneck.",
        )
    mse = float(((as_tensor(out, "the reconstructions").float() - images) ** 2).mean())
    require(
        np.isfinite(mse),
        f"{exercise}: the reconstructions must be finite numbers; they contain NaN or inf.",
    )
    require(
        mse < threshold,
        f"{exercise}: on fresh circles the test MSE per pixel of your autoencoder is "
        f"{mse:.4f}; it must be below the threshold of the exercise. Train longer, or try "
        "another architecture.",
    )
    return passed(
        f"{exercise}: with a bottleneck of {width} numbers your autoencoder reconstructs "
        f"fresh circles with an MSE per pixel of {mse:.4f}, below the threshold."
    )


def check_circle_challenge_medium(model: nn.Module) -> bool:
    """Exercise 10.2: an autoencoder with at most 9 numbers in its bottleneck.

    The model maps images ``(batch, 1, 27, 27)`` to reconstructions of the same shape, has
    methods ``encode`` and ``decode`` with ``model(x) == decode(encode(x))``, and codes of at
    most 9 numbers per image. It passes when its MSE per pixel on 1000 fresh circles (drawn
    here with :func:`ml4phys.data.random_circles`) is below the exercise's threshold.

    Args:
        model: the student's trained autoencoder.
    """
    return _check_challenge(model, "medium", *_MEDIUM)


def check_circle_challenge_hard(model: nn.Module) -> bool:
    """Exercise 10.3: the same with at most 3 numbers in the bottleneck.

    Args:
        model: the student's trained autoencoder.
    """
    return _check_challenge(model, "hard", *_HARD)


# ----------------------------------------------------------------------------------------------
# Exercise 10.4
# ----------------------------------------------------------------------------------------------


def _neighbours(X: np.ndarray, k: int) -> np.ndarray:
    D = manifold.squared_distances(X)
    np.fill_diagonal(D, np.inf)
    return np.argsort(D, axis=1)[:, :k]


def _preservation(X: np.ndarray, Y: np.ndarray, k: int) -> float:
    a, b = _neighbours(X, k), _neighbours(Y, k)
    return float(np.mean([len(set(r) & set(s)) / k for r, s in zip(a, b)]))


def check_neighbourhood_preservation(preservation: Callable[..., Any]) -> bool:
    """Exercise 10.4: ``preservation(X, Y, k)``, the share of kept k-nearest neighbours.

    Compared with a reference on random data and maps (a noisy copy, an unrelated map, the
    data themselves) for several ``k``. The result must lie in [0, 1], equal one for
    ``Y = X`` and not count a point as its own neighbour.

    Args:
        preservation: the student's function.
    """
    g = np.random.default_rng(100_004)
    X = g.standard_normal((60, 5))
    maps = {
        "Y = X": X,
        "a noisy projection of X": X[:, :2] + 0.3 * g.standard_normal((60, 2)),
        "an unrelated map": g.standard_normal((60, 2)),
    }
    for label, Y in maps.items():
        for k in (1, 5, 12):
            value = as_number(
                call_student(
                    preservation, X.copy(), Y.copy(), k, name="preservation(X, Y, k)"
                ),
                "the result of preservation(X, Y, k)",
            )
            require(
                0 <= value <= 1,
                f"for {label} and k = {k}, preservation returned {value:.4g}; it must be "
                "a share between 0 and 1 (divide by k and by the number of points).",
            )
            expected = _preservation(X, Y, k)
            require(
                abs(value - expected) < 1e-9,
                f"for {label} and k = {k}, preservation returned {value:.4g}, which is not "
                "the mean share of each point's k nearest neighbours in X (not counting the "
                "point itself) that are also among its k nearest neighbours in Y.",
            )
    return passed(
        "Exercise 10.4: your neighbourhood preservation agrees with the reference on "
        "every map and every k."
    )
