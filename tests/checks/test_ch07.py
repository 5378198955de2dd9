"""Tests of ml4phys.checks.ch07: right answers pass, wrong ones fail, stubs pass through."""

import math

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline

from ml4phys.checks import CheckFailed, ch07
from ml4phys.nn import kan, training


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 7.x")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --------------------------------------------------------------------------- Exercise 7.1


def derivative_right(x, t, k):
    n_basis = len(t) - k - 1
    return BSpline(t.numpy(), np.eye(n_basis), k).derivative()(x.numpy())


def derivative_missing_factor(x, t, k):
    return derivative_right(x, t, k) / k


def derivative_wrong_shape(x, t, k):
    return derivative_right(x, t, k)[:, :-1]


def test_bspline_derivative():
    assert ch07.check_bspline_derivative(derivative_right) is True
    for wrong in (
        derivative_missing_factor,
        derivative_wrong_shape,
        lambda x, t, k: kan.bspline_basis(x, t, k),
    ):
        with pytest.raises(CheckFailed):
            ch07.check_bspline_derivative(wrong)
    with pytest.raises(NotImplementedError):
        ch07.check_bspline_derivative(stub)


# --------------------------------------------------------------------------- Exercise 7.2


def count_right(widths, grid_size, spline_order):
    return (grid_size + spline_order + 2) * sum(
        a * b for a, b in zip(widths[:-1], widths[1:])
    )


def test_parameter_count():
    mlp = training.make_mlp([3, 10, 10, 1])
    assert ch07.check_parameter_count(count_right, mlp) is True
    with pytest.raises(CheckFailed):  # forgets w_b and w_s
        ch07.check_parameter_count(lambda w, G, k: count_right(w, G, k) - 2 * 16, mlp)
    with pytest.raises(CheckFailed):  # MLP too large
        ch07.check_parameter_count(count_right, training.make_mlp([3, 20, 20, 1]))
    with pytest.raises(CheckFailed):  # a KAN is not an MLP
        ch07.check_parameter_count(count_right, kan.KAN([3, 4, 1]))
    with pytest.raises(NotImplementedError):
        ch07.check_parameter_count(stub, mlp)


# --------------------------------------------------------------------------- Exercise 7.3


def _fit_kan(
    widths, target, n_inputs, n_adam=300, sparsity=0.0, threshold=None, seed=0
):
    g = torch.Generator().manual_seed(seed)
    X = 2 * torch.rand(300, n_inputs, generator=g) - 1
    y = target(X)
    model = kan.KAN(widths, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(n_adam):
        optimizer.zero_grad()
        y_hat, scores = model.forward_with_importance(X)
        loss = torch.nn.functional.mse_loss(y_hat, y) + sparsity * kan.sparsity_penalty(
            scores
        )
        loss.backward()
        optimizer.step()
    if threshold is not None:
        kan.prune(model, X, threshold)
    optimizer = torch.optim.LBFGS(
        model.parameters(), max_iter=100, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return model


def test_product_kan():
    model = _fit_kan([2, 2, 1], ch07.product_target, 2, n_adam=300)
    assert ch07.check_product_kan(model) is True
    with pytest.raises(CheckFailed):  # untrained
        ch07.check_product_kan(kan.KAN([2, 2, 1]))
    with pytest.raises(CheckFailed):  # too many parameters
        ch07.check_product_kan(kan.KAN([2, 20, 1]))
    with pytest.raises(CheckFailed):  # not a KAN
        ch07.check_product_kan(training.make_mlp([2, 8, 1]))


# --------------------------------------------------------------------------- Exercise 7.4


def test_relevant_inputs():
    model = _fit_kan(
        [3, 3, 1], ch07.three_input_target, 3, n_adam=600, sparsity=1e-2, threshold=0.01
    )
    live = [
        int(i) for i in torch.nonzero(model.layers[0].mask.amax(dim=0) > 0).flatten()
    ]
    assert ch07.check_relevant_inputs(model, live) is True
    with pytest.raises(CheckFailed):  # claims do not match the model
        ch07.check_relevant_inputs(model, [0, 1])
    unpruned = kan.KAN([3, 3, 1])
    with pytest.raises(CheckFailed):
        ch07.check_relevant_inputs(unpruned, [0, 1, 2])
    with pytest.raises(CheckFailed):
        ch07.check_relevant_inputs(model, 3)


# --------------------------------------------------------------------------- Exercise 7.5


def test_oscillator_formula():
    m, w = ch07._oscillator_parameters()

    def formula(
        x, p
    ):  # a student's formula: the same numbers, not the check's own function
        return ch07.oscillator_energy(x, p)

    assert ch07.check_oscillator_formula(formula, m * 1.01, w) is True
    with pytest.raises(CheckFailed):  # the check's own function is not an answer
        ch07.check_oscillator_formula(ch07.oscillator_energy, m, w)
    with pytest.raises(CheckFailed):  # wrong formula
        ch07.check_oscillator_formula(lambda x, p: p**2 + x**2, m, w)
    with pytest.raises(CheckFailed):  # right formula, omega squared by mistake
        ch07.check_oscillator_formula(formula, m, w**2)
    with pytest.raises(CheckFailed):  # 1/(2m) reported instead of m
        ch07.check_oscillator_formula(formula, 1 / (2 * m), w)
    with pytest.raises(NotImplementedError):
        ch07.check_oscillator_formula(stub, m, w)
    assert math.isclose(
        float(ch07.oscillator_energy(np.array(1.0), np.array(0.0))), m * w**2 / 2
    )
