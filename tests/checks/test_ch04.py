"""Tests of the chapter 4 self-checks: right answers pass, wrong ones fail, stubs pass through."""

import math

import numpy as np
import pytest
import torch
from scipy.optimize import curve_fit

from ml4phys.checks import CheckFailed, ch04


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 4.x")


def derivative(y, x):
    (dy,) = torch.autograd.grad(
        y, x, grad_outputs=torch.ones_like(y), create_graph=True
    )
    return dy


# --- Exercise 4.1 (a): residual loss -------------------------------------------------------------


def oscillator_loss(x_fn, t, omega):
    x = x_fn(t)
    return (derivative(derivative(x, t), t) + omega**2 * x).pow(2).mean()


def test_oscillator_loss_right_answer_passes(capsys):
    assert ch04.check_oscillator_loss(oscillator_loss)
    assert "Correct" in capsys.readouterr().out


def test_oscillator_loss_wrong_sign_fails():
    def wrong(x_fn, t, omega):
        x = x_fn(t)
        return (derivative(derivative(x, t), t) - omega**2 * x).pow(2).mean()

    with pytest.raises(CheckFailed, match="vanish"):
        ch04.check_oscillator_loss(wrong)


def test_oscillator_loss_sum_instead_of_mean_fails():
    def wrong(x_fn, t, omega):
        x = x_fn(t)
        return (derivative(derivative(x, t), t) + omega**2 * x).pow(2).sum()

    with pytest.raises(CheckFailed, match="mean, not the sum"):
        ch04.check_oscillator_loss(wrong)


def test_oscillator_loss_without_create_graph_fails():
    def wrong(x_fn, t, omega):
        x = x_fn(t)
        (dx,) = torch.autograd.grad(x, t, torch.ones_like(x))  # graph not kept
        (d2x,) = torch.autograd.grad(dx, t, torch.ones_like(dx))
        return (d2x + omega**2 * x).pow(2).mean()

    with pytest.raises(CheckFailed, match="create_graph"):
        ch04.check_oscillator_loss(wrong)


def test_oscillator_loss_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch04.check_oscillator_loss(stub)


# --- Exercise 4.1 (b): trained solution ----------------------------------------------------------


def test_oscillator_solution_exact_passes(capsys):
    assert ch04.check_oscillator_solution(
        lambda t: torch.cos(ch04.OSCILLATOR_OMEGA * t)
    )
    assert "Correct" in capsys.readouterr().out


def test_oscillator_solution_damped_fails():
    omega = ch04.OSCILLATOR_OMEGA
    with pytest.raises(CheckFailed, match="close to cos"):
        ch04.check_oscillator_solution(
            lambda t: torch.exp(-0.3 * t) * torch.cos(omega * t)
        )


def test_oscillator_solution_wrong_initial_velocity_fails():
    omega = ch04.OSCILLATOR_OMEGA
    with pytest.raises(CheckFailed, match="x'\\(0\\)"):
        ch04.check_oscillator_solution(
            lambda t: torch.cos(omega * t) + 0.1 * torch.sin(omega * t)
        )


def test_oscillator_solution_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch04.check_oscillator_solution(stub)


# --- Exercise 4.2 (a): Laplace residual ----------------------------------------------------------


def laplace_residual(u_fn, xy):
    u = u_fn(xy)
    du = derivative(u, xy)
    u_xx = derivative(du[:, :1], xy)[:, :1]
    u_yy = derivative(du[:, 1:], xy)[:, 1:]
    return u_xx + u_yy


def test_laplace_residual_right_answer_passes(capsys):
    assert ch04.check_laplace_residual(laplace_residual)
    assert "Correct" in capsys.readouterr().out


def test_laplace_residual_flat_shape_is_accepted():
    assert ch04.check_laplace_residual(
        lambda u_fn, xy: laplace_residual(u_fn, xy)[:, 0]
    )


def test_laplace_residual_only_xx_fails():
    def wrong(u_fn, xy):
        du = derivative(u_fn(xy), xy)
        return derivative(du[:, :1], xy)[:, :1]

    with pytest.raises(CheckFailed, match="u_xx \\+ u_yy"):
        ch04.check_laplace_residual(wrong)


def test_laplace_residual_mixed_derivative_fails():
    def wrong(u_fn, xy):
        du = derivative(u_fn(xy), xy)
        return (
            derivative(du[:, :1], xy)[:, :1] + derivative(du[:, 1:], xy)[:, :1]
        )  # u_xx + u_yx

    with pytest.raises(CheckFailed):
        ch04.check_laplace_residual(wrong)


def test_laplace_residual_detached_fails():
    with pytest.raises(CheckFailed, match="differentiabl|gradient"):
        ch04.check_laplace_residual(
            lambda u_fn, xy: laplace_residual(u_fn, xy).detach()
        )


def test_laplace_residual_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch04.check_laplace_residual(stub)


# --- Exercise 4.2 (b): trained solution ----------------------------------------------------------


def test_laplace_solution_accurate_passes(capsys):
    assert ch04.check_laplace_solution(lambda xy: 1.001 * ch04.laplace_exact(xy))
    assert "Correct" in capsys.readouterr().out


def test_laplace_solution_refuses_the_exact_solution_itself():
    with pytest.raises(CheckFailed, match="trained network"):
        ch04.check_laplace_solution(ch04.laplace_exact)


def test_laplace_solution_boundary_interpolation_fails():
    # y sin(pi x) satisfies the boundary conditions but not the equation
    with pytest.raises(CheckFailed, match="close to"):
        ch04.check_laplace_solution(
            lambda xy: xy[:, 1:] * torch.sin(math.pi * xy[:, :1])
        )


def test_laplace_solution_wrong_shape_fails():
    with pytest.raises(CheckFailed, match="shape"):
        ch04.check_laplace_solution(lambda xy: ch04.laplace_exact(xy).reshape(1, -1))


def test_laplace_solution_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch04.check_laplace_solution(stub)


# --- Exercise 4.3: power-law fit -----------------------------------------------------------------


def fit_power_law(N, L):
    def model(N, log_a, alpha, L_inf):
        return np.log(np.exp(log_a) * N ** (-alpha) + L_inf)

    popt, pcov = curve_fit(
        model,
        N,
        np.log(L),
        p0=(np.log(L[0]) + np.log(N[0]), 1.0, 0.1 * L.min()),
        bounds=([-np.inf, 0, 0], [np.inf, 10, np.inf]),
    )
    return np.exp(popt[0]), popt[1], popt[2], np.sqrt(pcov[1, 1])


def test_power_law_fit_right_answer_passes(capsys):
    assert ch04.check_power_law_fit(fit_power_law)
    assert "Correct" in capsys.readouterr().out


def test_power_law_fit_without_offset_fails():
    def no_offset(N, L):
        (slope, intercept), cov = np.polyfit(np.log(N), np.log(L), 1, cov=True)
        return np.exp(intercept), -slope, 0.0, np.sqrt(cov[0, 0])

    with pytest.raises(CheckFailed, match="alpha"):
        ch04.check_power_law_fit(no_offset)


def test_power_law_fit_wrong_return_fails():
    with pytest.raises(CheckFailed, match="tuple"):
        ch04.check_power_law_fit(lambda N, L: fit_power_law(N, L)[:3])


def test_power_law_fit_missing_error_fails():
    with pytest.raises(CheckFailed, match="standard error"):
        ch04.check_power_law_fit(lambda N, L: (*fit_power_law(N, L)[:3], 0.0))


def test_power_law_fit_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch04.check_power_law_fit(stub)
