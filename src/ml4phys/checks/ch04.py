"""Self-checks for the exercises of chapter 4, "Physics-informed learning and scaling laws".

Each ``check_*`` function tests one part of an exercise of ``solutions/04_pinns_scaling.ipynb``.
It prints a confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks._core.CheckFailed` with a message saying what is wrong otherwise. A
``NotImplementedError`` raised by a stub is let through unchanged.

Functions of time or space are given as PyTorch callables: ``x_fn(t)`` maps times of shape
``(n, 1)`` to values of shape ``(n, 1)``, ``u_fn(xy)`` maps points of shape ``(n, 2)`` to values
of shape ``(n, 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ml4phys.checks._core import call_student, passed, require

__all__ = [
    "LAPLACE_TOLERANCE",
    "OSCILLATOR_OMEGA",
    "OSCILLATOR_T",
    "OSCILLATOR_TOLERANCE",
    "check_laplace_residual",
    "check_laplace_solution",
    "check_oscillator_loss",
    "check_oscillator_solution",
    "check_power_law_fit",
    "laplace_exact",
]

OSCILLATOR_OMEGA = 2 * math.pi
"""Angular frequency of the oscillator of Exercise 4.1 (period 1)."""

OSCILLATOR_T = 2.0
"""End of the time interval of Exercise 4.1: two periods."""

OSCILLATOR_TOLERANCE = 0.05
"""Largest accepted ``max |x(t) - cos(omega t)|`` on ``[0, T]`` in Exercise 4.1."""

LAPLACE_TOLERANCE = 0.02
"""Largest accepted ``max |u - u_exact|`` on the unit square in Exercise 4.2."""


def laplace_exact(xy: torch.Tensor) -> torch.Tensor:
    """The exact solution of Exercise 4.2, given in its text: ``sin(pi x) sinh(pi y) / sinh(pi)``.

    For comparing a trained network with it, ``(n, 2) -> (n, 1)``; :func:`check_laplace_solution`
    does not accept it in place of a trained network.
    """
    x, y = xy[:, :1], xy[:, 1:]
    return torch.sin(math.pi * x) * torch.sinh(math.pi * y) / math.sinh(math.pi)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _autograd_hint(err: Exception) -> str:
    """Advice for the autograd errors that a residual computed without create_graph raises."""
    if "does not require grad" in str(err) or "backward through the graph" in str(err):
        return (
            " Autograd could not differentiate a second time: compute first derivatives "
            "with torch.autograd.grad(..., create_graph=True)."
        )
    return ""


def _call(fn: Callable[..., Any], args: tuple, exercise: str, what: str) -> Any:
    """Call a student's function through :func:`call_student`, with the autograd hint."""
    return call_student(fn, *args, name=what, exercise=exercise, hint=_autograd_hint)


def _as_column(value: Any, n: int, exercise: str, what: str) -> torch.Tensor:
    """A tensor of shape (n,) or (n, 1) as (n, 1); anything else fails the check."""
    require(
        isinstance(value, torch.Tensor),
        f"{exercise}: {what} must return a torch tensor, got {type(value).__name__}.",
    )
    require(
        tuple(value.shape) in ((n, 1), (n,)),
        f"{exercise}: {what} must return a tensor of shape ({n}, 1) for {n} points, "
        f"got shape {tuple(value.shape)}.",
    )
    return value.reshape(n, 1)


def _tiny_net(n_in: int) -> torch.nn.Module:
    """A small tanh network with fixed weights, for the differentiability tests."""
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(n_in, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    return net


def _check_differentiable(
    loss: Any, net: torch.nn.Module, exercise: str, what: str
) -> None:
    """The loss built from net must be a scalar that backpropagates to all its parameters."""
    require(
        isinstance(loss, torch.Tensor) and loss.numel() == 1,
        f"{exercise}: {what} must be a scalar tensor (one number), got "
        + (
            f"shape {tuple(loss.shape)}."
            if isinstance(loss, torch.Tensor)
            else f"a {type(loss).__name__}."
        ),
    )
    require(
        loss.requires_grad,
        f"{exercise}: {what} does not depend differentiably on the network's parameters, so "
        "training could not change them. Keep the graph: no .detach(), .item() or .numpy() "
        "inside, and create_graph=True in torch.autograd.grad.",
    )
    _call(loss.backward, (), exercise, f"{what}.backward()")
    # A parameter may have no gradient (the output bias does not enter a Laplacian), but the
    # first-layer weights always enter: they must get a finite, nonzero gradient.
    first_weight = next(iter(net.parameters()))
    require(
        first_weight.grad is not None
        and bool(torch.isfinite(first_weight.grad).all())
        and float(first_weight.grad.abs().max()) > 0,
        f"{exercise}: after backward, the first-layer weights of a test network have no "
        "(finite, nonzero) gradient; the loss must be computed from the network's outputs "
        "and their derivatives, keeping the graph (create_graph=True).",
    )


# ---------------------------------------------------------------------------------------------
# Exercise 4.1: the harmonic oscillator
# ---------------------------------------------------------------------------------------------


def check_oscillator_loss(
    residual_loss: Callable[[Callable, torch.Tensor, float], torch.Tensor],
) -> bool:
    """Exercise 4.1 (a): the residual loss of ``x'' + omega^2 x = 0``.

    ``residual_loss(x_fn, t, omega)`` must return the mean over the points ``t`` (shape
    ``(n, 1)``, ``requires_grad=True``) of ``(x''(t_i) + omega^2 x(t_i))^2``, as a scalar tensor
    that can be backpropagated to the parameters of ``x_fn``. The check evaluates it on the
    exact solution, on functions with known residual, and on a small network.

    Returns:
        True when the loss is right.
    """
    exercise = "Exercise 4.1"
    omega = OSCILLATOR_OMEGA
    rng = np.random.default_rng(41)
    t_np = rng.uniform(0, OSCILLATOR_T, size=(50, 1))

    def times() -> torch.Tensor:
        return torch.tensor(t_np, dtype=torch.float64, requires_grad=True)

    cases = [
        (
            "cos(omega t), the exact solution",
            lambda t: torch.cos(omega * t),
            np.zeros_like(t_np),
        ),
        (
            "cos(1.1 omega t)",
            lambda t: torch.cos(1.1 * omega * t),
            (omega**2 - (1.1 * omega) ** 2) * np.cos(1.1 * omega * t_np),
        ),
        ("x(t) = t^2", lambda t: t**2, 2 + omega**2 * t_np**2),
    ]
    for name, x_fn, residual in cases:
        loss = _call(
            residual_loss,
            (x_fn, times(), omega),
            exercise,
            "residual_loss(x_fn, t, omega)",
        )
        require(
            isinstance(loss, torch.Tensor) and loss.numel() == 1,
            f"{exercise}: residual_loss must return a scalar tensor (the mean over the "
            f"points), got {type(loss).__name__}"
            + (
                f" of shape {tuple(loss.shape)}."
                if isinstance(loss, torch.Tensor)
                else "."
            ),
        )
        value = float(loss.detach())
        expected = float(np.mean(residual**2))
        scale = omega**4  # the size of a residual term of a function of order one
        require(math.isfinite(value), f"{exercise}: for {name} your loss is {value}.")
        if expected == 0.0:
            require(
                abs(value) < 1e-8 * scale,
                f"{exercise}: for {name} your loss is {value:.3g}; it should vanish (up to "
                "rounding), since cos(omega t) solves the equation.",
            )
        else:
            require(
                math.isclose(value, expected, rel_tol=1e-6),
                f"{exercise}: for {name} your loss is {value:.6g}, too "
                f"{'large' if value > expected else 'small'} (relative tolerance 1e-6): it should be "
                "the mean over the points of (x'' + omega^2 x)^2. "
                + (
                    "It is too large by the number of points: take the mean, not the sum."
                    if math.isclose(value, 50 * expected, rel_tol=1e-6)
                    else ""
                ),
            )
    net = _tiny_net(1)
    t = (
        torch.linspace(0, OSCILLATOR_T, 20, dtype=torch.float32)
        .reshape(-1, 1)
        .requires_grad_(True)
    )
    loss = _call(
        residual_loss, (net, t, omega), exercise, "residual_loss(network, t, omega)"
    )
    _check_differentiable(loss, net, exercise, "the residual loss of a network")
    return passed(
        f"{exercise}: your residual loss vanishes on the exact solution, has the right "
        "value on two wrong functions and backpropagates to a network's parameters."
    )


def check_oscillator_solution(x_fn: Callable[[torch.Tensor], torch.Tensor]) -> bool:
    """Exercise 4.1 (b): the trained solution of ``x'' + omega^2 x = 0``, ``x(0)=1, x'(0)=0``.

    ``x_fn`` maps times ``(n, 1)`` to positions ``(n, 1)``; it must match ``cos(omega t)`` with
    ``omega = 2 pi`` on ``[0, 2]`` (two periods) within :data:`OSCILLATOR_TOLERANCE`, and satisfy
    the initial conditions.

    Returns:
        True when the solution is accurate enough.
    """
    exercise = "Exercise 4.1"
    omega, T = OSCILLATOR_OMEGA, OSCILLATOR_T
    t = torch.linspace(0, T, 1001).reshape(-1, 1)
    with torch.no_grad():
        x = _as_column(
            _call(x_fn, (t,), exercise, "x_fn(t)"),
            len(t),
            exercise,
            "your solution x_fn",
        )
    x = x.double()
    require(
        bool(torch.isfinite(x).all()),
        f"{exercise}: your solution has non-finite values.",
    )
    error = (x - torch.cos(omega * t.double())).abs()
    i_max = int(error.argmax())
    t0 = torch.zeros(1, 1, requires_grad=True)
    x0 = _as_column(
        _call(x_fn, (t0,), exercise, "x_fn(t)"), 1, exercise, "your solution x_fn"
    )
    require(
        abs(float(x0.detach()) - 1) < OSCILLATOR_TOLERANCE,
        f"{exercise}: your solution has x(0) = {float(x0.detach()):.3f}; the initial condition is x(0) = 1.",
    )
    (v0,) = _call(
        torch.autograd.grad, (x0.sum(), t0), exercise, "differentiating x_fn at t = 0"
    )
    v0 = v0.detach()
    require(
        abs(float(v0)) < OSCILLATOR_TOLERANCE * omega,
        f"{exercise}: your solution has x'(0) = {float(v0):.3f}; the initial condition is x'(0) = 0.",
    )
    require(
        float(error.max()) < OSCILLATOR_TOLERANCE,
        f"{exercise}: your solution is {float(x[i_max]):.3f} at t = {float(t[i_max]):.3f}, too "
        f"{'large' if float(x[i_max]) > math.cos(omega * float(t[i_max])) else 'small'}: "
        f"it should be close to cos(omega t) (largest error {float(error.max()):.3f}, tolerance "
        f"{OSCILLATOR_TOLERANCE}). "
        "Train longer, or look at the activation function and the scaling of the input.",
    )
    return passed(
        f"{exercise}: your network solves the oscillator over two periods with a "
        f"largest error of {float(error.max()):.1e}."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 4.2: the Laplace equation on the unit square
# ---------------------------------------------------------------------------------------------


def check_laplace_residual(
    laplace_residual: Callable[[Callable, torch.Tensor], torch.Tensor],
) -> bool:
    """Exercise 4.2 (a): the residual ``u_xx + u_yy`` of the Laplace equation.

    ``laplace_residual(u_fn, xy)`` must return the Laplacian of ``u_fn`` at the points ``xy``
    (shape ``(n, 2)``, columns x and y) as a tensor of shape ``(n, 1)`` (``(n,)`` is accepted),
    differentiable with respect to the parameters of ``u_fn``.

    Returns:
        True when the residual is right.
    """
    exercise = "Exercise 4.2"
    rng = np.random.default_rng(42)
    xy_np = rng.uniform(0, 1, size=(40, 2))
    x, y = xy_np[:, :1], xy_np[:, 1:]
    pi = math.pi
    cases = [
        (
            "the exact solution sin(pi x) sinh(pi y) / sinh(pi)",
            laplace_exact,
            np.zeros_like(x),
        ),
        (
            "u = sin(pi x) sin(pi y)",
            lambda p: torch.sin(pi * p[:, :1]) * torch.sin(pi * p[:, 1:]),
            -2 * pi**2 * np.sin(pi * x) * np.sin(pi * y),
        ),
        (
            "u = x^3 y + y^2",
            lambda p: p[:, :1] ** 3 * p[:, 1:] + p[:, 1:] ** 2,
            6 * x * y + 2,
        ),
    ]
    for name, u_fn, expected in cases:
        xy = torch.tensor(xy_np, dtype=torch.float64, requires_grad=True)
        r = _call(laplace_residual, (u_fn, xy), exercise, "laplace_residual(u_fn, xy)")
        r = (
            _as_column(r, len(xy_np), exercise, "laplace_residual")
            .detach()
            .double()
            .numpy()
        )
        deviation = np.abs(r - expected)
        i = int(deviation.argmax())
        require(
            float(deviation.max()) < 1e-6 * (1 + np.abs(expected).max()),
            f"{exercise}: for {name}, your residual at (x, y) = ({x[i, 0]:.2f}, {y[i, 0]:.2f}) "
            f"is {r[i, 0]:.6g}, too {'large' if r[i, 0] > expected[i, 0] else 'small'}: it should "
            "be the value of u_xx + u_yy there.",
        )
    net = _tiny_net(2)
    xy = torch.tensor(xy_np[:10], dtype=torch.float32, requires_grad=True)
    r = _as_column(
        _call(laplace_residual, (net, xy), exercise, "laplace_residual(network, xy)"),
        10,
        exercise,
        "laplace_residual",
    )
    _check_differentiable(
        r.pow(2).mean(), net, exercise, "the mean square of your residual of a network"
    )
    return passed(
        f"{exercise}: your residual is the Laplacian: zero for the exact solution, right "
        "for two other functions, and differentiable with respect to a network's "
        "parameters."
    )


def check_laplace_solution(u_fn: Callable[[torch.Tensor], torch.Tensor]) -> bool:
    """Exercise 4.2 (b): the trained solution of the Laplace problem.

    ``u_fn`` maps points ``(n, 2)`` of the unit square to values ``(n, 1)``; it must match
    ``sin(pi x) sinh(pi y) / sinh(pi)`` on a 51 x 51 grid (boundary included) within
    :data:`LAPLACE_TOLERANCE`.

    Returns:
        True when the solution is accurate enough.
    """
    exercise = "Exercise 4.2"
    require(
        u_fn is not laplace_exact,
        f"{exercise}: pass your trained network's solution, not ch04.laplace_exact.",
    )
    side = torch.linspace(0, 1, 51)
    X, Y = torch.meshgrid(side, side, indexing="xy")
    xy = torch.stack([X.ravel(), Y.ravel()], dim=1)
    with torch.no_grad():
        u = _as_column(
            _call(u_fn, (xy,), exercise, "u_fn(xy)"),
            len(xy),
            exercise,
            "your solution u_fn",
        ).double()
    require(
        bool(torch.isfinite(u).all()),
        f"{exercise}: your solution has non-finite values.",
    )
    exact = laplace_exact(xy.double())
    error = (u - exact).abs()
    i = int(error.argmax())
    require(
        float(error.max()) < LAPLACE_TOLERANCE,
        f"{exercise}: your solution is {float(u[i]):.3f} at (x, y) = ({float(xy[i, 0]):.2f}, "
        f"{float(xy[i, 1]):.2f}), too {'large' if float(u[i]) > float(exact[i]) else 'small'}: it "
        f"should be close to the exact solution (largest error {float(error.max()):.3f}, "
        f"tolerance {LAPLACE_TOLERANCE}).",
    )
    return passed(
        f"{exercise}: your network solves the Laplace problem with a largest error of "
        f"{float(error.max()):.1e} on a 51 x 51 grid."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 4.3: fitting a scaling law
# ---------------------------------------------------------------------------------------------


def check_power_law_fit(
    fit_power_law: Callable[[np.ndarray, np.ndarray], tuple],
) -> bool:
    """Exercise 4.3: fitting ``L(N) = a N^(-alpha) + L_inf``.

    ``fit_power_law(N, L)`` takes arrays of model sizes and losses and returns
    ``(a, alpha, L_inf, alpha_err)``. The check fits synthetic data made with known parameters:
    without noise the parameters must be recovered closely; with 5 % multiplicative noise the
    exponent must be recovered within 0.15 and its standard error must be positive and not
    absurdly small or large.

    Returns:
        True when the fit recovers the exponents.
    """
    exercise = "Exercise 4.3"
    N = np.geomspace(10, 1e4, 12)
    noise = np.random.default_rng(43).normal(size=N.shape)
    cases = [
        # (a, alpha, L_inf, relative noise)
        (2.0, 0.7, 2e-3, 0.0),
        (0.5, 1.5, 0.0, 0.0),
        (3.0, 0.5, 1e-2, 0.05),
    ]
    for case, (a, alpha, L_inf, sigma) in enumerate(cases, start=1):
        L = (a * N ** (-alpha) + L_inf) * np.exp(sigma * noise)
        result = _call(
            fit_power_law, (N.copy(), L.copy()), exercise, "fit_power_law(N, L)"
        )
        require(
            isinstance(result, (tuple, list)) and len(result) == 4,
            f"{exercise}: fit_power_law must return a tuple (a, alpha, L_inf, alpha_err), got "
            f"{type(result).__name__}"
            + (
                f" of length {len(result)}."
                if isinstance(result, (tuple, list))
                else "."
            ),
        )
        try:
            a_fit, alpha_fit, L_inf_fit, alpha_err = (float(v) for v in result)
        except (TypeError, ValueError):
            require(
                False,
                f"{exercise}: the four values returned by fit_power_law must be numbers.",
            )
        require(
            all(math.isfinite(v) for v in (a_fit, alpha_fit, L_inf_fit, alpha_err)),
            f"{exercise}: fit_power_law returned non-finite values "
            f"{(a_fit, alpha_fit, L_inf_fit, alpha_err)}.",
        )
        made = f"synthetic scaling-law data (case {case} of {len(cases)})"

        def off(fitted: float, true: float) -> str:
            return "too large" if fitted > true else "too small"

        if sigma == 0:
            require(
                abs(alpha_fit - alpha) < 0.02,
                f"{exercise}: for noise-free {made}, your fit gives alpha = {alpha_fit:.3f}, "
                f"{off(alpha_fit, alpha)} (tolerance 0.02).",
            )
            require(
                abs(L_inf_fit - L_inf) < 0.05 * L.min(),
                f"{exercise}: for noise-free {made}, your fit gives L_inf = {L_inf_fit:.3g}, "
                f"{off(L_inf_fit, L_inf)} (tolerance 5 % of the smallest loss).",
            )
            require(
                abs(a_fit - a) < 0.05 * a,
                f"{exercise}: for noise-free {made}, your fit gives a = {a_fit:.3g}, "
                f"{off(a_fit, a)} (relative tolerance 5 %).",
            )
        else:
            require(
                abs(alpha_fit - alpha) < 0.15,
                f"{exercise}: for {made} with {sigma:.0%} noise, your fit gives "
                f"alpha = {alpha_fit:.3f}, {off(alpha_fit, alpha)} (tolerance 0.15). Fitting "
                "log L rather than L weights every decade equally.",
            )
            require(
                0.005 < alpha_err < 0.5,
                f"{exercise}: for {made} with {sigma:.0%} noise, your standard error of alpha "
                f"is {alpha_err:.3g}, {'too large' if alpha_err >= 0.5 else 'too small'}: it should "
                "lie between 0.005 and 0.5 (the square root of the diagonal element of the "
                "covariance matrix returned by curve_fit).",
            )
    return passed(
        f"{exercise}: your fit recovers the exponents of synthetic scaling laws, with "
        "and without offset and noise, and gives a sensible standard error."
    )
