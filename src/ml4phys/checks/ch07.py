"""Self-checks for the exercises of chapter 7 (Kolmogorov-Arnold networks).

Each ``check_*`` function tests one exercise of ``solutions/07_kans.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test points
are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.

Also here: the target functions of exercises 7.3 to 7.5, so that notebook and check agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy.interpolate import BSpline
from torch import nn

from ml4phys.checks._core import passed, require
from ml4phys.nn import kan

__all__ = [
    "product_target",
    "three_input_target",
    "OSCILLATOR_MASS",
    "OSCILLATOR_OMEGA",
    "oscillator_energy",
    "check_bspline_derivative",
    "check_parameter_count",
    "check_product_kan",
    "check_relevant_inputs",
    "check_oscillator_formula",
]

OSCILLATOR_MASS = 2.0
"""Mass of the oscillator of exercise 7.5."""
OSCILLATOR_OMEGA = 1.5
"""Angular frequency of the oscillator of exercise 7.5."""

_PRODUCT_RMSE = 0.02
_PRODUCT_MAX_PARAMETERS = 300
_PRUNED_RMSE = 0.05
_FORMULA_RELATIVE_RMSE = 0.02
_PARAMETER_TOLERANCE = 0.03


def product_target(X: torch.Tensor) -> torch.Tensor:
    """Exercise 7.3: ``f(x, y) = x y`` for ``X`` of shape ``(n, 2)``; returns ``(n, 1)``."""
    return X[:, :1] * X[:, 1:2]


def three_input_target(X: torch.Tensor) -> torch.Tensor:
    """Exercise 7.4: ``f(x_0, x_1, x_2) = sin(pi x_0) + x_2^2`` for ``X`` of shape ``(n, 3)``."""
    return torch.sin(math.pi * X[:, :1]) + X[:, 2:3] ** 2


def oscillator_energy(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exercise 7.5: ``E = p^2 / (2 m) + m omega^2 x^2 / 2`` for the oscillator above."""
    m, w = OSCILLATOR_MASS, OSCILLATOR_OMEGA
    return p**2 / (2 * m) + m * w**2 * x**2 / 2


def _as_numpy(value: Any, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array or a tensor, got {type(value).__name__}") from err


def _n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _reference_count(widths: list[int], grid_size: int, spline_order: int) -> int:
    return (grid_size + spline_order + 2) * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


# ------------------------------------------------------------------------------ Exercise 7.1


def check_bspline_derivative(bspline_derivative: Callable[..., Any]) -> bool:
    """Exercise 7.1: derivatives of all B-splines, against SciPy, on knots the notebook never saw."""
    require(callable(bspline_derivative), "bspline_derivative must be a function.")
    g = np.random.default_rng(2024)
    cases = [
        (kan.uniform_knots(4, 3, (-1, 1)), 3),
        (kan.uniform_knots(7, 2, (0, 2)), 2),
        (torch.tensor(np.sort(g.uniform(-1, 1, 11)), dtype=torch.float64), 3),
        (kan.uniform_knots(5, 1, (-1, 1)), 1),
    ]
    for t, k in cases:
        n_basis = len(t) - k - 1
        inner = (float(t[k]), float(t[n_basis]))
        x = torch.from_numpy(np.sort(g.uniform(*inner, 60)))
        result = _as_numpy(bspline_derivative(x, t, k), "the result of bspline_derivative")
        require(
            result.shape == (60, n_basis),
            f"for 60 points and {len(t)} knots of order k = {k}, the result must have shape "
            f"(60, {n_basis}); got {result.shape}.",
        )
        reference = BSpline(t.numpy(), np.eye(n_basis), k).derivative()(x.numpy())
        error = float(np.abs(result - reference).max())
        require(
            error < 1e-6,
            f"for order k = {k} on {len(t)} knots the derivatives differ from the reference by up to "
            f"{error:.2e} (tolerance 1e-6). Check the factor in front and the two denominators.",
        )
    return passed("Exercise 7.1: the B-spline derivatives agree with SciPy on unseen knots and points.")


# ------------------------------------------------------------------------------ Exercise 7.2


def check_parameter_count(kan_n_parameters: Callable[..., Any], mlp: nn.Module) -> bool:
    """Exercise 7.2: the KAN parameter count, and an MLP of the size of ``KAN([3, 4, 1])``."""
    require(callable(kan_n_parameters), "kan_n_parameters must be a function.")
    for widths, G, k in [([2, 5, 1], 5, 3), ([3, 4, 2, 1], 8, 2), ([4, 1], 3, 1), ([1, 1], 1, 0)]:
        count = kan_n_parameters(widths, G, k)
        expected = _reference_count(widths, G, k)
        actual = _n_parameters(kan.KAN(widths, grid_size=G, spline_order=k))
        assert expected == actual  # internal invariant of this check
        require(
            isinstance(count, (int, np.integer)) and int(count) == expected,
            f"kan_n_parameters({widths}, grid_size={G}, spline_order={k}) returned {count!r}, "
            "which does not match the number of parameters of such a KAN.",
        )
    require(isinstance(mlp, nn.Module), f"mlp must be a torch nn.Module; got {type(mlp).__name__}.")
    target = _reference_count([3, 4, 1], 5, 3)
    n = _n_parameters(mlp)
    require(
        abs(n - target) <= _PARAMETER_TOLERANCE * target,
        f"your MLP has {n} parameters; it must be within {_PARAMETER_TOLERANCE:.0%} of the KAN's count.",
    )
    with torch.no_grad():
        out = mlp(torch.zeros(5, 3))
    require(tuple(out.shape) == (5, 1), f"the MLP must map (batch, 3) to (batch, 1); got {tuple(out.shape)}.")
    require(not isinstance(mlp, kan.KAN), "mlp must be a multilayer perceptron, not a KAN.")
    return passed(f"Exercise 7.2: parameter counts right; your MLP has {n} parameters.")


# ------------------------------------------------------------------------------ Exercise 7.3


def _fresh_points(n: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, d, generator=g) - 1


def check_product_kan(model: nn.Module) -> bool:
    """Exercise 7.3: a small KAN that fits ``x y`` on ``[-1, 1]^2`` to RMSE 0.02 on fresh points."""
    require(isinstance(model, kan.KAN), f"model must be an ml4phys.nn.kan.KAN; got {type(model).__name__}.")
    require(model.widths[0] == 2 and model.widths[-1] == 1, "the KAN must have 2 inputs and 1 output.")
    n = _n_parameters(model)
    require(
        n <= _PRODUCT_MAX_PARAMETERS,
        f"the KAN has {n} parameters; at most {_PRODUCT_MAX_PARAMETERS} are allowed.",
    )
    X = _fresh_points(4000, 2, 77)
    with torch.no_grad():
        y_hat = model(X.to(next(model.parameters()).dtype))
    error = float(torch.sqrt(torch.mean((y_hat.double() - product_target(X).double()) ** 2)))
    require(
        error < _PRODUCT_RMSE,
        f"the RMSE on fresh points is {error:.4f}; it must be below {_PRODUCT_RMSE}. Train longer, "
        "or try another width or grid.",
    )
    return passed(f"Exercise 7.3: RMSE {error:.4f} on fresh points with {n} parameters.")


# ------------------------------------------------------------------------------ Exercise 7.4


def check_relevant_inputs(model: nn.Module, relevant_inputs: Any) -> bool:
    """Exercise 7.4: the pruned KAN still fits, and the relevant inputs are identified."""
    require(isinstance(model, kan.KAN), f"model must be an ml4phys.nn.kan.KAN; got {type(model).__name__}.")
    require(model.widths[0] == 3, "the KAN must have 3 inputs.")
    try:
        chosen = {int(i) for i in relevant_inputs}
    except (TypeError, ValueError) as err:
        raise TypeError("relevant_inputs must be a collection of input indices (0, 1 or 2)") from err
    require(chosen <= {0, 1, 2}, f"relevant_inputs must be indices 0, 1 or 2; got {sorted(chosen)}.")
    live_from = model.layers[0].mask.amax(dim=0) > 0  # (3,): inputs with a live edge
    from_model = {int(i) for i in torch.nonzero(live_from).flatten()}
    require(
        chosen == from_model,
        f"relevant_inputs {sorted(chosen)} does not agree with the inputs that still have live edges "
        f"in your pruned model, {sorted(from_model)}.",
    )
    X = _fresh_points(3000, 3, 78)
    with torch.no_grad():
        error = float(torch.sqrt(torch.mean((model(X) - three_input_target(X)) ** 2)))
    require(
        error < _PRUNED_RMSE,
        f"the pruned KAN has RMSE {error:.3f} on fresh points; it must be below {_PRUNED_RMSE}.",
    )
    require(
        len(from_model) == 2,
        f"your pruned model uses {len(from_model)} input(s). The target depends on exactly two of the three; "
        "strengthen the sparsity penalty or raise the threshold (or lower it, if it fits badly).",
    )
    X_alt = X.clone()
    X_alt[:, sorted({0, 1, 2} - from_model)[0]] = _fresh_points(3000, 1, 79)[:, 0]
    change = float(torch.max(torch.abs(three_input_target(X_alt) - three_input_target(X))))
    require(change == 0.0, "the input you dropped does matter for the target function.")
    return passed(
        f"Exercise 7.4: the pruned KAN uses inputs {sorted(from_model)}; RMSE {error:.3f} on fresh points."
    )


# ------------------------------------------------------------------------------ Exercise 7.5


def check_oscillator_formula(energy_formula: Callable[..., Any], mass: float, omega: float) -> bool:
    """Exercise 7.5: the recovered energy function on fresh phase-space points, and m, omega."""
    require(callable(energy_formula), "energy_formula must be a function of (x, p).")
    g = np.random.default_rng(75)
    x, p = g.uniform(-1, 1, 2000), g.uniform(-1, 1, 2000)
    values = _as_numpy(energy_formula(x, p), "the result of energy_formula")
    require(
        values.shape == (2000,),
        f"energy_formula(x, p) for arrays of shape (2000,) must return (2000,); got {values.shape}.",
    )
    true = oscillator_energy(x, p)
    relative = float(np.sqrt(np.mean((values - true) ** 2)) / np.std(true))
    require(
        relative < _FORMULA_RELATIVE_RMSE,
        f"on fresh points the formula's RMSE is {relative:.1%} of the energy's spread; it must be "
        f"below {_FORMULA_RELATIVE_RMSE:.0%}.",
    )
    for name, value, true_value in [("mass", mass, OSCILLATOR_MASS), ("omega", omega, OSCILLATOR_OMEGA)]:
        require(
            isinstance(value, (int, float, np.floating)),
            f"{name} must be a number; got {type(value).__name__}.",
        )
        require(
            abs(float(value) - true_value) < 0.05 * true_value,
            f"your {name} is off by more than 5%. Read it off the coefficients of x^2 and p^2.",
        )
    return passed(f"Exercise 7.5: formula within {relative:.2%} on fresh points; mass and omega recovered.")
