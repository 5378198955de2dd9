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

from ml4phys.checks._core import (
    as_numpy,
    call_student,
    digest,
    isolated_rng,
    n_parameters,
    passed,
    require,
    unmask_floats,
)
from ml4phys.nn import kan

__all__ = [
    "product_target",
    "three_input_target",
    "oscillator_energy",
    "check_bspline_derivative",
    "check_parameter_count",
    "check_product_kan",
    "check_relevant_inputs",
    "check_oscillator_formula",
]

_PRODUCT_RMSE = 0.02
_PRODUCT_MAX_PARAMETERS = 300
_PRUNED_RMSE = 0.05
_FORMULA_RELATIVE_RMSE = 0.02
_PARAMETER_TOLERANCE = 0.03

# The unknowns of exercises 7.4 and 7.5 are not written out here: the roles of the three inputs
# come from a seeded permutation, the oscillator's mass and angular frequency are stored masked,
# and the set of relevant inputs only as a salted hash.
_THREE_INPUT_SEED = 7008
_RELEVANT_SALT = "ml4phys.checks.ch07.relevant_inputs"
_RELEVANT_DIGEST = "70899c63149f7894dd14279019c9f7db5ded0892b3653051c5f875cbc5bee391"
_OSCILLATOR_SALT = "ml4phys.checks.ch07.oscillator"
_OSCILLATOR_MASKED = "ddd5c7fbb6fd311151144f1aa88a2ab8"


def _oscillator_parameters() -> tuple[float, float]:
    """``(mass, omega)`` of the oscillator of exercise 7.5, unmasked when needed."""
    mass, omega = unmask_floats(_OSCILLATOR_MASKED, _OSCILLATOR_SALT)
    return mass, omega


def product_target(X: torch.Tensor) -> torch.Tensor:
    """Exercise 7.3: ``f(x, y) = x y`` for ``X`` of shape ``(n, 2)``; returns ``(n, 1)``."""
    return X[:, :1] * X[:, 1:2]


def three_input_target(X: torch.Tensor) -> torch.Tensor:
    """Exercise 7.4: the target function of three inputs, ``(n, 3) -> (n, 1)``.

    Which of its inputs it depends on is what the exercise asks you to find out.
    """
    wave, square, _ = (
        int(i) for i in np.random.default_rng(_THREE_INPUT_SEED).permutation(3)
    )
    return torch.sin(math.pi * X[:, wave : wave + 1]) + X[:, square : square + 1] ** 2


def oscillator_energy(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exercise 7.5: ``E = p^2 / (2 m) + m omega^2 x^2 / 2`` for the oscillator of unknown m, omega."""
    m, w = _oscillator_parameters()
    return p**2 / (2 * m) + m * w**2 * x**2 / 2


def _reference_count(widths: list[int], grid_size: int, spline_order: int) -> int:
    return (grid_size + spline_order + 2) * sum(
        a * b for a, b in zip(widths[:-1], widths[1:])
    )


# ------------------------------------------------------------------------------ Exercise 7.1


def check_bspline_derivative(bspline_derivative: Callable[..., Any]) -> bool:
    """Exercise 7.1: derivatives of all B-splines, against SciPy, on knots the notebook never saw."""
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
        result = as_numpy(
            call_student(
                bspline_derivative, x, t, k, name="bspline_derivative(x, t, k)"
            ),
            "the result of bspline_derivative",
        )
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
    return passed(
        "Exercise 7.1: the B-spline derivatives agree with SciPy on unseen knots and points."
    )


# ------------------------------------------------------------------------------ Exercise 7.2


def check_parameter_count(kan_n_parameters: Callable[..., Any], mlp: nn.Module) -> bool:
    """Exercise 7.2: the KAN parameter count, and an MLP of the size of ``KAN([3, 4, 1])``."""
    for widths, G, k in [
        ([2, 5, 1], 5, 3),
        ([3, 4, 2, 1], 8, 2),
        ([4, 1], 3, 1),
        ([1, 1], 1, 0),
    ]:
        count = call_student(
            kan_n_parameters,
            list(widths),
            G,
            k,
            name="kan_n_parameters(widths, grid_size, spline_order)",
            expects=(int, np.integer),
        )
        expected = _reference_count(widths, G, k)
        with isolated_rng(0):  # building a KAN draws its initial weights
            actual = n_parameters(
                kan.KAN(widths, grid_size=G, spline_order=k), trainable_only=False
            )
        assert expected == actual  # internal invariant of this check
        require(
            isinstance(count, (int, np.integer)) and int(count) == expected,
            f"kan_n_parameters({widths}, grid_size={G}, spline_order={k}) returned {count!r}, "
            "which does not match the number of parameters of such a KAN.",
        )
    require(
        isinstance(mlp, nn.Module),
        f"mlp must be a torch nn.Module; got {type(mlp).__name__}.",
    )
    with torch.no_grad():
        out = call_student(mlp, torch.zeros(5, 3), name="mlp(X)", expects=torch.Tensor)
    require(
        tuple(out.shape) == (5, 1),
        f"the MLP must map (batch, 3) to (batch, 1); got {tuple(out.shape)}.",
    )
    target = _reference_count([3, 4, 1], 5, 3)
    n = n_parameters(mlp, trainable_only=False, name="mlp")
    require(
        abs(n - target) <= _PARAMETER_TOLERANCE * target,
        f"your MLP has {n} parameters; it must be within {_PARAMETER_TOLERANCE:.0%} of the KAN's count.",
    )
    require(
        not isinstance(mlp, kan.KAN), "mlp must be a multilayer perceptron, not a KAN."
    )
    return passed(f"Exercise 7.2: parameter counts right; your MLP has {n} parameters.")


# ------------------------------------------------------------------------------ Exercise 7.3


def _fresh_points(n: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, d, generator=g) - 1


def check_product_kan(model: nn.Module) -> bool:
    """Exercise 7.3: a small KAN that fits ``x y`` on ``[-1, 1]^2`` to RMSE 0.02 on fresh points."""
    require(
        isinstance(model, kan.KAN),
        f"model must be an ml4phys.nn.kan.KAN; got {type(model).__name__}.",
    )
    require(
        model.widths[0] == 2 and model.widths[-1] == 1,
        "the KAN must have 2 inputs and 1 output.",
    )
    n = n_parameters(model, trainable_only=False)
    require(
        n <= _PRODUCT_MAX_PARAMETERS,
        f"the KAN has {n} parameters; at most {_PRODUCT_MAX_PARAMETERS} are allowed.",
    )
    X = _fresh_points(4000, 2, 77)
    with torch.no_grad():
        y_hat = call_student(
            model,
            X.to(next(model.parameters()).dtype),
            name="model(X)",
            expects=torch.Tensor,
        )
    error = float(
        torch.sqrt(torch.mean((y_hat.double() - product_target(X).double()) ** 2))
    )
    require(
        error < _PRODUCT_RMSE,
        f"the RMSE on fresh points is {error:.4f}; it must be below {_PRODUCT_RMSE}. Train longer, "
        "or try another width or grid.",
    )
    return passed(
        f"Exercise 7.3: RMSE {error:.4f} on fresh points with {n} parameters."
    )


# ------------------------------------------------------------------------------ Exercise 7.4


def check_relevant_inputs(model: nn.Module, relevant_inputs: Any) -> bool:
    """Exercise 7.4: the pruned KAN still fits, and the relevant inputs are identified."""
    require(
        isinstance(model, kan.KAN),
        f"model must be an ml4phys.nn.kan.KAN; got {type(model).__name__}.",
    )
    require(model.widths[0] == 3, "the KAN must have 3 inputs.")
    try:
        chosen = {int(i) for i in relevant_inputs}
    except (TypeError, ValueError):
        require(False, "relevant_inputs must be a list of input indices (0, 1 or 2).")
    require(
        chosen <= {0, 1, 2},
        f"relevant_inputs must be indices 0, 1 or 2; got {sorted(chosen)}.",
    )
    live_from = model.layers[0].mask.amax(dim=0) > 0  # (3,): inputs with a live edge
    from_model = {int(i) for i in torch.nonzero(live_from).flatten()}
    require(
        chosen == from_model,
        f"relevant_inputs {sorted(chosen)} does not agree with the inputs that still have live edges "
        f"in your pruned model, {sorted(from_model)}.",
    )
    X = _fresh_points(3000, 3, 78)
    with torch.no_grad():
        y_hat = call_student(model, X, name="model(X)", expects=torch.Tensor)
        error = float(torch.sqrt(torch.mean((y_hat - three_input_target(X)) ** 2)))
    require(
        error < _PRUNED_RMSE,
        f"the pruned KAN has RMSE {error:.3f} on fresh points; it must be below {_PRUNED_RMSE}.",
    )
    require(
        digest(tuple(sorted(from_model)), _RELEVANT_SALT) == _RELEVANT_DIGEST,
        f"your pruned model uses the inputs {sorted(from_model)}, which are not the inputs the "
        "target depends on. Strengthen the sparsity penalty or raise the threshold (or lower it, "
        "if it fits badly).",
    )
    return passed(
        f"Exercise 7.4: the pruned KAN uses inputs {sorted(from_model)}; RMSE {error:.3f} on fresh points."
    )


# ------------------------------------------------------------------------------ Exercise 7.5


def check_oscillator_formula(
    energy_formula: Callable[..., Any], mass: float, omega: float
) -> bool:
    """Exercise 7.5: the recovered energy function on fresh phase-space points, and m, omega."""
    require(
        energy_formula is not oscillator_energy,
        "energy_formula must be your extracted formula, not ch07.oscillator_energy.",
    )
    g = np.random.default_rng(75)
    x, p = g.uniform(-1, 1, 2000), g.uniform(-1, 1, 2000)
    values = as_numpy(
        call_student(energy_formula, x, p, name="energy_formula(x, p)"),
        "the result of energy_formula",
    )
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
    true_mass, true_omega = _oscillator_parameters()
    for name, value, true_value in [
        ("mass", mass, true_mass),
        ("omega", omega, true_omega),
    ]:
        require(
            isinstance(value, (int, float, np.floating, np.integer))
            and not isinstance(value, bool),
            f"{name} must be a number; got {type(value).__name__}.",
        )
        require(
            abs(float(value) - true_value) < 0.05 * true_value,
            f"your {name} is off by more than 5%. Read it off the coefficients of x^2 and p^2.",
        )
    return passed(
        f"Exercise 7.5: formula within {relative:.2%} on fresh points; mass and omega recovered."
    )
