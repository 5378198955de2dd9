"""Self-checks for the exercises of chapter 12 (generative adversarial networks).

Each ``check_*`` function tests one exercise of ``solutions/12_gans.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. The test
inputs are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.

Also here: :func:`digits_data`, the fixed split of scikit-learn's digits used by exercise 12.4.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ml4phys import data
from ml4phys.checks._core import (
    as_number,
    as_numpy,
    call_student,
    isolated_rng,
    passed,
    require,
)
from ml4phys.generative import gan, metrics

__all__ = [
    "DIGITS_SPLIT_SEED",
    "digits_data",
    "check_optimal_value",
    "check_logit_gradients",
    "check_one_sided_penalty",
    "check_digits_gan",
]

DIGITS_SPLIT_SEED = 1212
"""Seed of the split of the digits into training and held-out images (exercise 12.4)."""

_N_TRAIN_DIGITS = 1297
_MIN_SAMPLES = 500
_MIN_CLASS_SHARE = 0.03
_MIN_CLASSES = 8
_CONFIDENCE_MARGIN = 0.02


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8x8 digits as vectors in [-1, 1], split into training and held-out images.

    Returns:
        ``(X_train, y_train, X_test, y_test)``: ``X`` of shape ``(n, 64)``, float32, with
        -1 for paper and 1 for ink; 1297 training and 500 held-out images, split with
        :data:`DIGITS_SPLIT_SEED`.
    """
    images, y = data.load_digits()
    X = images.reshape(len(images), 64) * 2 - 1
    perm = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(X))
    train, test = perm[:_N_TRAIN_DIGITS], perm[_N_TRAIN_DIGITS:]
    return X[train], y[train], X[test], y[test]


# ----------------------------------------------------------------------------------------------
# Exercise 12.1
# ----------------------------------------------------------------------------------------------


def _reference_value(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    total = p + q
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / total), 0.0)
        b = np.where(q > 0, q * np.log(q / total), 0.0)
    return float(np.sum(a + b) * dx)


def check_optimal_value(optimal_value: Callable[..., Any]) -> bool:
    """Exercise 12.1: ``optimal_value(p_data, p_g, dx)`` is :math:`V(D^*, G)` on a grid.

    Compared with a quadrature of the same sum on pairs of densities sampled on uniform
    grids: two Gaussians, a Gaussian and a uniform density (zero on part of the grid),
    identical densities, and two densities with disjoint supports.

    Args:
        optimal_value: the student's function.
    """
    x = np.linspace(-8, 8, 4001)
    dx = float(x[1] - x[0])

    def gauss(mu, s):
        return np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    uniform = np.where((x > -1) & (x < 2), 1 / 3, 0.0)
    box = np.where((x > 3) & (x < 5), 0.5, 0.0)
    cases = [
        ("two Gaussians N(0, 1) and N(1.3, 0.6^2)", gauss(0, 1), gauss(1.3, 0.6)),
        ("a Gaussian and a uniform density on (-1, 2)", gauss(0.5, 1.2), uniform),
        ("identical Gaussians", gauss(-1, 0.8), gauss(-1, 0.8)),
        ("two densities with disjoint supports", uniform, box),
    ]
    for label, p, q in cases:
        value = as_number(
            call_student(
                optimal_value, p, q, dx, name="optimal_value(p_data, p_g, dx)"
            ),
            "the value of optimal_value",
            finite=False,  # a NaN from 0 log 0 gets the hint below
        )
        require(
            math.isfinite(value),
            f"Exercise 12.1: for {label} your value is {value}; it must be finite. Where "
            "a density is zero its term must count as 0 (the limit of t log t as t -> 0).",
        )
        reference = _reference_value(p, q, dx)
        require(
            abs(value - reference) < 1e-6,
            f"Exercise 12.1: for {label} your value {value:.6f} is not V(D*, G) of the "
            "two densities (tolerance 1e-6). Check that D* = p_data / (p_data + p_g) and "
            "that the sum is multiplied by dx.",
        )
    return passed(
        "Exercise 12.1: V(D*, G) by quadrature, also where a density vanishes."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 12.2
# ----------------------------------------------------------------------------------------------


def check_logit_gradients(logit_gradients: Callable[..., Any]) -> bool:
    """Exercise 12.2: ``logit_gradients(d) -> (g_sat, g_nonsat)`` in closed form.

    ``d`` holds discriminator outputs :math:`D = \\sigma(a)` in (0, 1); the answer is the
    derivative of the saturating loss :math:`\\log(1 - D)` and of the non-saturating loss
    :math:`-\\log D` with respect to the logit :math:`a`, per element, compared with autograd
    through :mod:`ml4phys.generative.gan`'s losses.

    Args:
        logit_gradients: the student's function.
    """
    with isolated_rng(120_002) as r:
        d = np.concatenate([[1e-4, 0.5, 1 - 1e-4], r.uniform(0.01, 0.99, size=20)])
    a = torch.logit(torch.tensor(d, dtype=torch.float64)).requires_grad_(True)
    (ref_sat,) = torch.autograd.grad(gan.generator_loss_saturating(a) * len(d), a)
    (ref_non,) = torch.autograd.grad(gan.generator_loss_nonsaturating(a) * len(d), a)
    result = call_student(
        logit_gradients, d.copy(), name="logit_gradients(d)", expects=(tuple, list)
    )
    require(
        len(result) == 2,
        "Exercise 12.2: logit_gradients must return a pair (g_sat, g_nonsat); "
        f"it returned {len(result)} items.",
    )
    for got, ref, label in zip(
        result, (ref_sat, ref_non), ("saturating", "non-saturating")
    ):
        got = as_numpy(got, f"the {label} gradient")
        require(
            got.shape == d.shape,
            f"Exercise 12.2: the {label} gradient must have the shape of d, {d.shape}; "
            f"yours has {got.shape}.",
        )
        ref = ref.numpy()
        if np.allclose(got, -ref, atol=1e-6) and not np.allclose(got, ref, atol=1e-6):
            require(False, f"Exercise 12.2: the {label} gradient has the wrong sign.")
        error = float(np.max(np.abs(got - ref)))
        require(
            error < 1e-6,
            f"Exercise 12.2: your {label} gradient differs from autograd by up to "
            f"{error:.2e} (tolerance 1e-6). Differentiate with respect to the logit a, "
            "using sigma'(a) = sigma(a) (1 - sigma(a)), and express it through D.",
        )
    return passed("Exercise 12.2: both logit gradients agree with autograd.")


# ----------------------------------------------------------------------------------------------
# Exercise 12.3
# ----------------------------------------------------------------------------------------------


def _reference_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return torch.relu(grad.norm(dim=1) - 1).pow(2).mean()


def _penalty_of(penalty: Callable[..., Any], critic: nn.Module, x: torch.Tensor, label):
    value = call_student(
        penalty,
        critic,
        x.clone(),
        name="one_sided_penalty(critic, x)",
        expects=torch.Tensor,
    )
    require(
        value.numel() == 1,
        f"Exercise 12.3: for {label} the penalty must be a scalar tensor; yours has "
        f"shape {tuple(value.shape)}.",
    )
    return value.reshape(())


def check_one_sided_penalty(one_sided_penalty: Callable[..., Any]) -> bool:
    """Exercise 12.3: the one-sided penalty :math:`\\mathbb E\\,\\max(0, |\\nabla f(x)|-1)^2`.

    Tested on linear critics (whose gradient is the weight vector everywhere) with gradient
    norm below and above 1, and on a small MLP critic against autograd; the penalty must be
    differentiable with respect to the critic's weights, with the right gradient.

    Args:
        one_sided_penalty: the student's function ``(critic, x) -> scalar tensor``.
    """
    with isolated_rng(120_003):
        x = torch.randn(16, 3, dtype=torch.float64)
        small, large = nn.Linear(3, 1).double(), nn.Linear(3, 1).double()
        with torch.no_grad():
            small.weight.copy_(torch.tensor([[0.3, -0.4, 0.0]]))
            large.weight.copy_(torch.tensor([[2.0, 0.0, -2.0]]))
        mlp = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1)).double()
        with torch.no_grad():
            mlp[0].weight.mul_(4)
    for critic, label in [
        (small, "a linear critic with gradient norm 1/2"),
        (large, "a linear critic with gradient norm > 1"),
        (mlp, "an MLP critic"),
    ]:
        value = _penalty_of(one_sided_penalty, critic, x, label)
        reference = _reference_penalty(critic, x)
        require(
            math.isclose(value.item(), reference.item(), rel_tol=1e-6, abs_tol=1e-9),
            f"Exercise 12.3: for {label} your penalty is {value.item():.6g}, which is "
            "not mean(max(0, |grad_x f| - 1)^2) (relative tolerance 1e-6). The norm "
            "is taken per sample, over the coordinates of x.",
        )
    require(
        value.requires_grad,
        "Exercise 12.3: the penalty must be differentiable with respect to the critic's "
        "weights (it has no grad_fn); compute the input gradient with create_graph=True.",
    )
    params = list(mlp.parameters())
    mine = torch.autograd.grad(value, params, allow_unused=True)
    theirs = torch.autograd.grad(reference, params, allow_unused=True)
    # the output bias does not change grad_x f: its gradient is zero (None)
    mine = [torch.zeros_like(p) if g is None else g for g, p in zip(mine, params)]
    theirs = [torch.zeros_like(p) if g is None else g for g, p in zip(theirs, params)]
    require(
        all(torch.allclose(g, h, rtol=1e-5, atol=1e-9) for g, h in zip(mine, theirs)),
        "Exercise 12.3: the gradient of your penalty with respect to the critic's weights "
        "is wrong; the penalty must depend on the weights through grad_x f (use "
        "create_graph=True and do not detach it).",
    )
    return passed(
        "Exercise 12.3: the one-sided penalty and its gradient agree with autograd."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 12.4
# ----------------------------------------------------------------------------------------------


def _digits_classifier():
    from sklearn.linear_model import LogisticRegression

    X_train, y_train, _, _ = digits_data()
    return LogisticRegression(max_iter=2000).fit(X_train, y_train), X_train


def check_digits_gan(samples: Any) -> bool:
    """Exercise 12.4: samples of a GAN trained on :func:`digits_data` look like digits.

    ``samples`` (at least 500 rows of 64 values in [-1, 1]) are classified by a logistic
    regression trained on the real training digits. The mean confidence of its predictions
    must exceed the one it has on samples of a Gaussian fitted to the training digits (by
    more than 0.02, the spread of that baseline between samples of 500), and
    at least 8 of the 10 classes must each take at least 3% of the samples (no collapse onto a
    few digits).

    Args:
        samples: the student's generated images, shape ``(n, 64)`` or ``(n, 8, 8)``.
    """
    X = as_numpy(samples, "samples")
    require(
        X.ndim in (2, 3) and X.shape[0] >= _MIN_SAMPLES and X[0].size == 64,
        f"Exercise 12.4: samples must have shape (n, 64) or (n, 8, 8) with n >= "
        f"{_MIN_SAMPLES}; got {X.shape}.",
    )
    X = X.reshape(len(X), 64)
    require(
        bool(np.all(np.isfinite(X))), "Exercise 12.4: samples must be finite (no NaN)."
    )
    require(
        float(X.min()) >= -1.0001 and float(X.max()) <= 1.0001,
        "Exercise 12.4: samples must lie in [-1, 1], the scale of digits_data() "
        f"(yours range from {X.min():.2f} to {X.max():.2f}; clip them).",
    )
    classifier, X_train = _digits_classifier()
    with isolated_rng(120_004) as r:
        gaussian = np.clip(metrics.gaussian_baseline(X_train, 4000, r), -1, 1)
    confidence = float(classifier.predict_proba(X).max(axis=1).mean())
    baseline = float(classifier.predict_proba(gaussian).max(axis=1).mean())
    shares = np.bincount(classifier.predict(X), minlength=10) / len(X)
    n_classes = int(np.sum(shares >= _MIN_CLASS_SHARE))
    require(
        confidence > baseline + _CONFIDENCE_MARGIN,
        f"Exercise 12.4: the classifier's mean confidence on your samples is "
        f"{confidence:.3f}; it must exceed its confidence on the Gaussian baseline "
        f"({baseline:.3f}) by more than {_CONFIDENCE_MARGIN}. Train longer, or check the "
        "scale of your samples.",
    )
    require(
        n_classes >= _MIN_CLASSES,
        f"Exercise 12.4: only {n_classes} digit classes take at least "
        f"{_MIN_CLASS_SHARE:.0%} of your samples; at least {_MIN_CLASSES} are needed. "
        "Your generator has collapsed onto a few digits.",
    )
    return passed(
        f"Exercise 12.4: mean classifier confidence {confidence:.3f} (Gaussian baseline "
        f"{baseline:.3f}), {n_classes} classes with at least {_MIN_CLASS_SHARE:.0%} each."
    )
