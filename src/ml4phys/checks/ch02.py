"""Self-checks for the exercises of chapter 2 (training: cost functions, gradient descent,
backpropagation).

Each check calls the student's function on inputs of its own and compares the result with
finite differences, with a reference computation, or with exact statistics, allowing for the
sampling error where the answer is random. A failing check says what is off, never what the
answer is.

Usage in the exercise notebook::

    from ml4phys.checks import ch02
    ch02.check_backward_2layer(backward_2layer)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ml4phys.checks._core import as_numpy, call_student, passed, require
from ml4phys.nn import numpy_net

__all__ = [
    "check_backward_2layer",
    "check_train_mlp",
    "check_sgd_slope",
    "check_sine_fit",
    "check_lorentzian_grad",
    "check_lorentzian_fit",
]

_PARAM_NAMES = ("W1", "b1", "W2", "b2")


# ----------------------------------------------------------------------------------------------
# Exercise 2.1: backpropagation through a two-layer network
# ----------------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _cost_2layer(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """C = 1/(2B) sum (y_hat - y)^2 with y_hat = sigmoid(X W1 + b1) W2 + b2."""
    hidden = _sigmoid(X @ params["W1"] + params["b1"])  # (B, n_hidden)
    y_hat = hidden @ params["W2"] + params["b2"]  # (B, n_out)
    return float(0.5 * np.sum((y_hat - y) ** 2) / X.shape[0])


def _finite_differences(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray, eps: float = 1e-6
) -> dict[str, np.ndarray]:
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    grads = {}
    for name in _PARAM_NAMES:
        p = work[name]
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + eps
            c_plus = _cost_2layer(work, X, y)
            p[idx] = saved - eps
            c_minus = _cost_2layer(work, X, y)
            p[idx] = saved
            g[idx] = (c_plus - c_minus) / (2 * eps)
        grads[name] = g
    return grads


def check_backward_2layer(
    backward_2layer: Callable[..., dict[str, np.ndarray]],
) -> bool:
    """Exercise 2.1: compare ``backward_2layer(params, X, y)`` with finite differences.

    The network is ``y_hat = sigmoid(X W1 + b1) W2 + b2`` with the cost
    ``C = 1/(2B) sum (y_hat - y)^2``; ``params`` is a dict with keys ``"W1"`` (n_in, n_hidden),
    ``"b1"`` (n_hidden,), ``"W2"`` (n_hidden, n_out), ``"b2"`` (n_out,), and the function must
    return a dict with the same keys and shapes holding dC/dW1, dC/db1, dC/dW2, dC/db2.

    Args:
        backward_2layer: the student's function.

    Returns:
        True when the gradients agree with finite differences for several network shapes.
    """
    rng = np.random.default_rng(2024)
    for n_in, n_hidden, n_out, batch_size in [
        (2, 3, 1, 1),
        (3, 5, 2, 7),
        (4, 6, 3, 16),
    ]:
        params = {
            "W1": rng.normal(0, 1.0, size=(n_in, n_hidden)),
            "b1": rng.normal(0, 0.5, size=n_hidden),
            "W2": rng.normal(0, 1.0, size=(n_hidden, n_out)),
            "b2": rng.normal(0, 0.5, size=n_out),
        }
        X = rng.normal(size=(batch_size, n_in))
        y = rng.normal(size=(batch_size, n_out))
        originals = {k: v.copy() for k, v in params.items()}
        grads = call_student(
            backward_2layer,
            params,
            X,
            y,
            name="backward_2layer(params, X, y)",
            expects=dict,
        )
        shape_note = f"(network {n_in}-{n_hidden}-{n_out}, batch of {batch_size})"
        missing = [k for k in _PARAM_NAMES if k not in grads]
        require(
            not missing,
            f"the returned dict lacks the key(s) {missing}; expected {list(_PARAM_NAMES)}",
        )
        for name in _PARAM_NAMES:
            require(
                np.array_equal(params[name], originals[name]),
                f"backward_2layer changed params[{name!r}]; it must leave its input unchanged",
            )
        reference = _finite_differences(params, X, y)
        for name in _PARAM_NAMES:
            g = as_numpy(grads[name], f"dC/d{name} returned by backward_2layer")
            require(
                g.shape == params[name].shape,
                f"dC/d{name} has shape {g.shape}, but {name} has shape {params[name].shape} {shape_note}",
            )
            require(
                np.all(np.isfinite(g)), f"dC/d{name} contains NaN or inf {shape_note}"
            )
            ref = reference[name]
            error = np.linalg.norm(g - ref) / max(np.linalg.norm(ref), 1e-12)
            if error > 1e-5:
                hint = ""
                ratio = np.vdot(g, ref) / max(np.vdot(ref, ref), 1e-300)
                if (
                    np.linalg.norm(g - ratio * ref) < 1e-4 * np.linalg.norm(ref)
                    and abs(ratio) > 1e-12
                ):
                    hint = (
                        " It is proportional to the right answer, but "
                        + (
                            "has the wrong sign"
                            if ratio < 0
                            else "too large"
                            if ratio > 1
                            else "too small"
                        )
                        + ": check constant factors and signs (the 1/2, the average over the batch)."
                    )
                elif name.startswith("b"):
                    hint = (
                        " Remember that the bias is added to every sample of the batch."
                    )
                require(
                    False,
                    f"dC/d{name} differs from finite differences by {error:.1%} "
                    f"(relative, in norm) {shape_note}.{hint}",
                )
    return passed(
        "Exercise 2.1: backward_2layer agrees with finite differences "
        "(three network shapes, relative error below 1e-5)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2.2: training a multilayer network on a function of two variables
# ----------------------------------------------------------------------------------------------


def _check_target(X: np.ndarray) -> np.ndarray:
    """The smooth target the check trains on: a saddle plus a wave, (m, 2) -> (m,)."""
    return X[:, 0] * X[:, 1] + 0.5 * np.sin(2 * X[:, 0])


def check_train_mlp(train_mlp: Callable[..., Any]) -> bool:
    """Exercise 2.2: train a small ReLU network with the student's loop and test the result.

    Calls ``train_mlp(target_fn, "relu", rng, layer_sizes=(2, 16, 16, 1), n_steps=600,
    batch_size=32, lr=0.1, weight_scale=sqrt(2))`` on a smooth target of its own and checks
    the returned ``(params, losses)``: the shapes, that the mini-batch cost fell, and that the
    network (evaluated with ReLU hidden layers and a linear output) fits the target on a grid.

    Args:
        train_mlp: the student's training function.

    Returns:
        True when the trained network fits the target.
    """
    layer_sizes = (2, 16, 16, 1)
    n_steps = 600
    result = call_student(
        train_mlp,
        _check_target,
        "relu",
        np.random.default_rng(7),
        name="train_mlp(target_fn, activation, rng, layer_sizes, n_steps, batch_size, lr, weight_scale)",
        kwargs={
            "layer_sizes": layer_sizes,
            "n_steps": n_steps,
            "batch_size": 32,
            "lr": 0.1,
            "weight_scale": float(np.sqrt(2)),
        },
    )
    require(
        isinstance(result, tuple) and len(result) == 2,
        f"train_mlp must return a pair (params, losses); it returned a {type(result).__name__}",
    )
    params, losses = result
    require(
        isinstance(params, list) and len(params) == len(layer_sizes) - 1,
        f"params must be a list of {len(layer_sizes) - 1} (W, b) pairs for layer_sizes={layer_sizes}",
    )
    for l, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        require(
            isinstance(params[l - 1], (tuple, list)) and len(params[l - 1]) == 2,
            f"params must be a list of (W, b) pairs; entry {l - 1} is a {type(params[l - 1]).__name__}",
        )
        W, b = params[l - 1]
        require(
            np.shape(W) == (n_in, n_out) and np.shape(b) == (n_out,),
            f"layer {l}: expected W {(n_in, n_out)} and b {(n_out,)}, got {np.shape(W)} and {np.shape(b)}",
        )
    losses = as_numpy(losses, "losses returned by train_mlp")
    require(
        losses.shape == (n_steps,),
        f"losses must hold one cost per step, {n_steps} values; got shape {losses.shape}",
    )
    require(
        np.all(np.isfinite(losses)), "losses contains NaN or inf: the training diverged"
    )
    first, last = losses[:50].mean(), losses[-50:].mean()
    require(
        last < 0.5 * first,
        f"the mini-batch cost fell only from {first:.3g} (first 50 steps) to {last:.3g} (last 50 steps); "
        "with lr=0.1 and 600 steps it should fall by far more than half",
    )
    grid = np.linspace(-1, 1, 41)
    X_test = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)  # (1681, 2)
    y_test = _check_target(X_test)
    test_cost = numpy_net.compute_loss(
        params, X_test, y_test, activation="relu", output_activation="linear"
    )
    relative = 2 * test_cost / y_test.var()
    require(
        relative < 0.1,
        f"on a test grid the trained ReLU network has a mean squared error of {relative:.0%} of the "
        "target's variance; a correct training loop reaches well below 10 %. Check the update "
        "(params - lr * grads), that each step draws a new batch uniformly in [-1, 1]^2, and "
        "that the activation argument is passed on",
    )
    return passed(
        f"Exercise 2.2: train_mlp trains a ReLU network to a test error of {relative:.1%} "
        "of the target's variance."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2.3: SGD on a linear slope, exact statistics
# ----------------------------------------------------------------------------------------------


def _slope_moments(
    w0: float, w_target: float, lr: float, batch_size: int, n_steps: int, sigma_x: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of w_t, t = 0..n_steps, for SGD with fresh Gaussian batches."""
    t = np.arange(n_steps + 1)
    s2 = sigma_x**2
    mean_factor = 1 - lr * s2
    second_factor = mean_factor**2 + 2 * lr**2 * s2**2 / batch_size
    u0 = w0 - w_target
    mean = w_target + u0 * mean_factor**t
    var = u0**2 * (second_factor**t - mean_factor ** (2 * t))
    return mean, var


def check_sgd_slope(
    simulate_sgd_slope: Callable[..., np.ndarray],
    analytic_mean_var: Callable[..., tuple[np.ndarray, np.ndarray]],
) -> bool:
    """Exercise 2.3: the simulation of SGD on a slope, and the exact mean and variance.

    ``simulate_sgd_slope(w0, w_target, lr, batch_size, n_steps, n_runs, rng, sigma_x)`` must
    return the trajectories, shape ``(n_runs, n_steps + 1)`` (column 0 is ``w0``), and
    ``analytic_mean_var(w0, w_target, lr, batch_size, n_steps, sigma_x)`` the exact mean and
    variance of ``w_t`` over runs, each of shape ``(n_steps + 1,)``.

    Args:
        simulate_sgd_slope: the student's simulation.
        analytic_mean_var: the student's formula.

    Returns:
        True when the formula is exact and the simulation's statistics agree with it.
    """
    # the formula, for a few parameter sets
    for w0, w_target, lr, batch_size, n_steps, sigma_x in [
        (0.0, 1.0, 0.1, 4, 30, 1.0),
        (3.0, -1.0, 0.05, 1, 50, 2.0),
        (1.0, 2.0, 0.5, 16, 20, 0.7),
    ]:
        result = call_student(
            analytic_mean_var,
            w0,
            w_target,
            lr,
            batch_size,
            n_steps,
            name="analytic_mean_var(w0, w_target, lr, batch_size, n_steps, sigma_x=sigma_x)",
            kwargs={"sigma_x": sigma_x},
            expects=(tuple, list),
        )
        require(
            len(result) == 2,
            f"analytic_mean_var must return a pair (mean, var); it returned {len(result)} values",
        )
        mean = as_numpy(result[0], "the mean returned by analytic_mean_var")
        var = as_numpy(result[1], "the variance returned by analytic_mean_var")
        setting = f"(w0={w0}, w_target={w_target}, lr={lr}, batch_size={batch_size}, sigma_x={sigma_x})"
        require(
            mean.shape == (n_steps + 1,) and var.shape == (n_steps + 1,),
            f"analytic_mean_var must return two arrays of shape ({n_steps + 1},) for n_steps={n_steps}, "
            f"got {mean.shape} and {var.shape}",
        )
        ref_mean, ref_var = _slope_moments(
            w0, w_target, lr, batch_size, n_steps, sigma_x
        )
        for t in (1, 5, n_steps):
            require(
                np.isclose(mean[t], ref_mean[t], rtol=1e-6, atol=1e-10),
                f"analytic mean at t={t} is {mean[t]:.6g}, too "
                f"{'large' if mean[t] > ref_mean[t] else 'small'} (relative tolerance 1e-6) {setting}",
            )
            require(
                np.isclose(var[t], ref_var[t], rtol=1e-6, atol=1e-12),
                f"analytic variance at t={t} is {var[t]:.6g}, too "
                f"{'large' if var[t] > ref_var[t] else 'small'} (relative tolerance 1e-6) {setting}",
            )
        require(
            np.isclose(var[0], 0.0, atol=1e-12),
            f"the variance at t=0 must be 0 (every run starts at w0), got {var[0]:.3g}",
        )
    # the simulation: shape, start, reproducibility, statistics
    w0, w_target, lr, batch_size, n_steps, n_runs = 0.0, 1.0, 0.1, 4, 40, 20000
    simulate_name = "simulate_sgd_slope(w0, w_target, lr, batch_size, n_steps, n_runs, rng, sigma_x=1.0)"
    paths = as_numpy(
        call_student(
            simulate_sgd_slope,
            w0,
            w_target,
            lr,
            batch_size,
            n_steps,
            n_runs,
            np.random.default_rng(11),
            name=simulate_name,
            kwargs={"sigma_x": 1.0},
        ),
        "the trajectories returned by simulate_sgd_slope",
    )
    require(
        paths.shape == (n_runs, n_steps + 1),
        f"simulate_sgd_slope must return shape (n_runs, n_steps + 1) = {(n_runs, n_steps + 1)}, got {paths.shape}",
    )
    require(
        np.allclose(paths[:, 0], w0),
        "column 0 of the trajectories must be the starting value w0",
    )
    require(np.all(np.isfinite(paths)), "the trajectories contain NaN or inf")
    again = as_numpy(
        call_student(
            simulate_sgd_slope,
            w0,
            w_target,
            lr,
            batch_size,
            n_steps,
            n_runs,
            np.random.default_rng(11),
            name=simulate_name,
            kwargs={"sigma_x": 1.0},
        ),
        "the trajectories returned by simulate_sgd_slope",
    )
    require(
        np.array_equal(again, paths),
        "two calls with equally seeded rng gave different trajectories; "
        "draw every random number from the rng argument",
    )
    ref_mean, ref_var = _slope_moments(w0, w_target, lr, batch_size, n_steps, 1.0)
    for t in (1, 5, 10, 20, 40):
        sample_mean = paths[:, t].mean()
        sample_var = paths[:, t].var()
        standard_error = np.sqrt(ref_var[t] / n_runs)
        require(
            abs(sample_mean - ref_mean[t]) < 5 * standard_error + 1e-4,
            f"at step t={t} your runs have mean w = {sample_mean:.4f}, too "
            f"{'large' if sample_mean > ref_mean[t] else 'small'}: it is further from the exact mean "
            f"than 5 times the sampling error of {n_runs} runs ({standard_error:.4f}); check the "
            "gradient of the mini-batch cost (an average over the batch) and the update",
        )
        require(
            abs(sample_var / ref_var[t] - 1) < 0.15,
            f"at step t={t} the spread of your runs, var(w) = {sample_var:.3g}, is too "
            f"{'large' if sample_var > ref_var[t] else 'small'} (more than 15 % from the exact "
            "variance); each step must draw a fresh batch of batch_size inputs for every run",
        )
    return passed(
        "Exercise 2.3: the exact mean and variance are right, and the simulated runs agree with them."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2.4: gradient descent and SGD on a curve fit with several minima
# ----------------------------------------------------------------------------------------------


def _sine_grad(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dC/dw of C = 1/(2B) sum_j (sin(w x_j) - y_j)^2, for w (M,) and x, y (M, B) or (B,)."""
    phase = w[:, None] * x  # (M, B)
    return np.mean((np.sin(phase) - y) * np.cos(phase) * x, axis=-1)


def check_sine_fit(
    run_gd: Callable[..., np.ndarray], run_sgd: Callable[..., np.ndarray]
) -> bool:
    """Exercise 2.4: gradient descent and mini-batch SGD on the fit of ``sin(w x)``.

    ``run_gd(w0, x, y, lr, n_steps)`` and ``run_sgd(w0, x, y, lr, n_steps, batch_size, rng)``
    take ``M`` starting values ``w0`` (shape ``(M,)``) and return the ``M`` final values. The
    cost is ``C(w) = 1/(2N) sum_j (sin(w x_j) - y_j)^2``; an SGD step uses the same formula
    averaged over a mini-batch of ``batch_size`` samples drawn at random, independently for
    every run.

    Args:
        run_gd: the student's gradient descent.
        run_sgd: the student's stochastic gradient descent.

    Returns:
        True when gradient descent is exact and one SGD step has the right mean and spread.
    """
    rng = np.random.default_rng(5)
    n_samples = 30
    x = rng.uniform(0, 4, size=n_samples)
    y = np.sin(1.5 * x) + 0.05 * rng.normal(size=n_samples)
    w0 = np.linspace(0.0, 4.0, 9)

    # gradient descent is deterministic
    final = as_numpy(
        call_student(
            run_gd, w0.copy(), x, y, 0.1, 25, name="run_gd(w0, x, y, lr, n_steps)"
        ),
        "the result of run_gd",
    )
    require(
        final.shape == w0.shape,
        f"run_gd must return one final w per start, shape {w0.shape}; got {final.shape}",
    )
    w = w0.copy()
    for _ in range(25):
        w = w - 0.1 * _sine_grad(w, x, y)
    worst = int(np.argmax(np.abs(final - w)))
    require(
        np.allclose(final, w, rtol=1e-7, atol=1e-9),
        f"run_gd from w0 = {w0[worst]:.2f} (lr=0.1, 25 steps) ends at w = {final[worst]:.6f}, "
        f"too {'large' if final[worst] > w[worst] else 'small'}: that is not where 25 steps of "
        "gradient descent end; check the gradient of C (an average over the samples)",
    )

    # one SGD step from the same point, many runs: mean = GD step, variance = lr^2 Var(g_j) / B
    n_runs, lr, start = 40000, 0.2, 1.3
    per_sample = (
        (np.sin(start * x) - y) * np.cos(start * x) * x
    )  # gradient of each sample's loss, (N,)
    full_grad = per_sample.mean()
    for batch_size in (1, 5):
        w1 = as_numpy(
            call_student(
                run_sgd,
                np.full(n_runs, start),
                x,
                y,
                lr,
                1,
                batch_size,
                np.random.default_rng(3),
                name="run_sgd(w0, x, y, lr, n_steps, batch_size, rng)",
            ),
            "the result of run_sgd",
        )
        require(
            w1.shape == (n_runs,),
            f"run_sgd must return one final w per start, shape ({n_runs},); got {w1.shape}",
        )
        expected_mean = start - lr * full_grad
        expected_var = lr**2 * per_sample.var() / batch_size
        standard_error = np.sqrt(expected_var / n_runs)
        require(
            abs(w1.mean() - expected_mean) < 5 * standard_error,
            f"after one SGD step (batch_size={batch_size}) from w = {start} the runs have mean "
            f"{w1.mean():.5f}, too {'large' if w1.mean() > expected_mean else 'small'} (by more "
            f"than 5 times the sampling error, {standard_error:.2g}); on average an SGD step must "
            "equal the gradient-descent step",
        )
        # sampling without replacement lowers the variance by (N - B) / (N - 1): accept both
        low = expected_var * (n_samples - batch_size) / (n_samples - 1)
        require(
            0.85 * low < w1.var() < 1.15 * expected_var,
            f"after one SGD step (batch_size={batch_size}) the runs have var(w) = {w1.var():.3g}, "
            f"too {'large' if w1.var() > expected_var else 'small'}: each run must draw its own "
            "random mini-batch, and the batch gradient is an average over the batch",
        )
    return passed(
        "Exercise 2.4: run_gd is exact, and an SGD step is unbiased with the right spread."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 2.5: the gradient of the shifted-Lorentzian fit, and SGD that recovers its parameters
# ----------------------------------------------------------------------------------------------

_LORENTZ_X_MAX = 5.0  # the check's inputs are uniform in [-5, 5]
_LORENTZ_NOISE = 0.2  # and its targets have Gaussian noise of this standard deviation
_LORENTZ_CHECK_THETA = np.array(
    [1.6, -0.7]
)  # the check's own true parameters: never shown


def _lorentzian_grad(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of C = 1/(2B) sum_j (theta_0 / ((x_j - theta_1)^2 + 1) - y_j)^2.

    Args:
        theta: parameters, shape (..., 2).
        x, y: the batch, shape (..., B).

    Returns:
        (dC/dtheta_0, dC/dtheta_1), shape (..., 2).
    """
    theta_0, theta_1 = theta[..., :1], theta[..., 1:]
    denominator = (x - theta_1) ** 2 + 1
    residual = theta_0 / denominator - y
    return np.stack(
        [
            np.mean(residual / denominator, axis=-1),
            np.mean(residual * 2 * theta_0 * (x - theta_1) / denominator**2, axis=-1),
        ],
        axis=-1,
    )


def _lorentzian_grad_autograd(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """The same gradient for one parameter pair theta (2,) and a batch x, y (B,), by autograd."""
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    x_t = torch.as_tensor(x, dtype=torch.float64)
    y_t = torch.as_tensor(y, dtype=torch.float64)
    cost = 0.5 * torch.mean((t[0] / ((x_t - t[1]) ** 2 + 1) - y_t) ** 2)
    cost.backward()
    return t.grad.numpy().copy()


def _lorentz_hint(g: np.ndarray, ref: np.ndarray, batch_size: int) -> str:
    """Advice from how a wrong gradient relates to the right one, never its value."""
    for factor, advice in [
        (
            -1.0,
            "it has the opposite sign: check the derivative of (x - theta_1) with respect "
            "to theta_1",
        ),
        (0.5, "it is off by a constant factor: check the derivative of the square"),
        (2.0, "it is off by a constant factor: check the derivative of the square"),
        (
            float(batch_size),
            "it is off by a constant factor: the cost is an average over the batch",
        ),
    ]:
        if np.allclose(g, factor * ref, rtol=1e-6, atol=1e-12) and factor != 1.0:
            return f"; {advice}"
    return ""


def check_lorentzian_grad(lorentzian_grad: Callable[..., Any]) -> bool:
    """Exercise 2.5, part 1: the gradient of the mini-batch cost of the Lorentzian fit.

    ``lorentzian_grad(theta, x, y)`` takes one parameter pair ``theta = (theta_0, theta_1)``
    (shape ``(2,)``) and a mini-batch ``x, y`` (shape ``(B,)`` each) and returns
    ``(dC/dtheta_0, dC/dtheta_1)`` (shape ``(2,)``) of
    ``C = 1/(2B) sum_j (theta_0 / ((x_j - theta_1)^2 + 1) - y_j)^2``. The check compares it
    with PyTorch's autograd at twelve random parameter pairs and batches of several sizes.

    Args:
        lorentzian_grad: the student's function.

    Returns:
        True when both components agree with autograd everywhere.
    """
    rng = np.random.default_rng(2025)
    names = ("dC/dtheta_0", "dC/dtheta_1")
    for k in range(12):
        batch_size = (1, 5, 16)[k % 3]
        theta = np.array([rng.uniform(-3, 3), rng.uniform(-4, 4)])
        x = rng.uniform(-_LORENTZ_X_MAX, _LORENTZ_X_MAX, size=batch_size)
        y = rng.normal(0.5, 0.5, size=batch_size)
        originals = (theta.copy(), x.copy(), y.copy())
        g = as_numpy(
            call_student(
                lorentzian_grad,
                theta,
                x,
                y,
                name="lorentzian_grad(theta, x, y)",
            ),
            "the result of lorentzian_grad",
        )
        where = (
            f"at theta = ({theta[0]:.3f}, {theta[1]:.3f}) with a batch of {batch_size}"
        )
        require(
            g.shape == (2,),
            f"lorentzian_grad must return the two derivatives, shape (2,); got {g.shape}",
        )
        require(
            all(np.array_equal(a, b) for a, b in zip((theta, x, y), originals)),
            "lorentzian_grad changed its input; it must leave theta, x and y unchanged",
        )
        require(np.all(np.isfinite(g)), f"lorentzian_grad returned NaN or inf {where}")
        ref = _lorentzian_grad_autograd(theta, x, y)
        for i in range(2):
            error = abs(g[i] - ref[i]) / max(abs(ref[i]), 1e-10)
            if error > 1e-6:
                whole = _lorentz_hint(g, ref, batch_size)
                hint = whole or _lorentz_hint(g[i : i + 1], ref[i : i + 1], batch_size)
                require(
                    False,
                    f"{names[i]} disagrees with autograd {where}{hint}. It should be the "
                    "batch average of the residual times the derivative of f_theta(x_j).",
                )
    return passed(
        "Exercise 2.5: lorentzian_grad agrees with autograd at 12 random parameter pairs."
    )


class _RecordingSampler:
    """The check's data: records every mini-batch it hands out."""

    def __init__(self) -> None:
        self.batches: list[tuple[np.ndarray, np.ndarray]] = []

    def __call__(
        self, batch_size: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(
                f"batch_size must be a positive integer, got {batch_size!r}"
            )
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
        x = rng.uniform(-_LORENTZ_X_MAX, _LORENTZ_X_MAX, size=int(batch_size))
        theta_0, theta_1 = _LORENTZ_CHECK_THETA
        y = theta_0 / ((x - theta_1) ** 2 + 1) + _LORENTZ_NOISE * rng.normal(
            size=x.shape
        )
        self.batches.append((x.copy(), y.copy()))
        return x, y


def _lorentz_standard_errors(n_samples: int) -> np.ndarray:
    """Standard errors of a least-squares fit of the check's Lorentzian to n_samples samples.

    sigma^2 F^{-1} / n with the Fisher matrix F = E_x[grad f grad f^T] at the true parameters
    (by quadrature over the uniform inputs). Averaged SGD reaches this accuracy asymptotically.
    """
    x = np.linspace(-_LORENTZ_X_MAX, _LORENTZ_X_MAX, 2001)
    theta_0, theta_1 = _LORENTZ_CHECK_THETA
    denominator = (x - theta_1) ** 2 + 1
    jacobian = np.stack([1 / denominator, 2 * theta_0 * (x - theta_1) / denominator**2])
    fisher = jacobian @ jacobian.T / len(x)  # (2, 2)
    return _LORENTZ_NOISE * np.sqrt(np.diag(np.linalg.inv(fisher)) / n_samples)


def check_lorentzian_fit(fit_lorentzian: Callable[..., Any]) -> bool:
    """Exercise 2.5, part 2: SGD on fresh mini-batches recovers the Lorentzian's parameters.

    ``fit_lorentzian(sample_batch, theta_start, lr, batch_size, n_steps, rng)`` must take
    ``n_steps`` steps ``theta <- theta - lr * grad C(theta)``, each on a fresh mini-batch
    ``x, y = sample_batch(batch_size, rng)``, and return the whole path, shape
    ``(n_steps + 1, 2)``, starting with ``theta_start``. The check hands it data of its own
    (with parameters it does not reveal), verifies every step against the gradient of the
    mini-batch that step drew, and tests the average of the second half of the path against
    the true parameters, within five standard errors of a least-squares fit to the same number
    of noisy samples.

    Args:
        fit_lorentzian: the student's function.

    Returns:
        True when every step is right and the averaged path recovers the parameters.
    """
    sampler = _RecordingSampler()
    theta_start = np.array([0.8, 0.6])
    lr, batch_size, n_steps = 1.0, 8, 3000
    path = as_numpy(
        call_student(
            fit_lorentzian,
            sampler,
            theta_start.copy(),
            lr,
            batch_size,
            n_steps,
            np.random.default_rng(11),
            name="fit_lorentzian(sample_batch, theta_start, lr, batch_size, n_steps, rng)",
        ),
        "the path returned by fit_lorentzian",
    )
    require(
        path.shape == (n_steps + 1, 2),
        f"fit_lorentzian must return the path with the start and one row per step, shape "
        f"({n_steps + 1}, 2) for n_steps={n_steps}; got {path.shape}",
    )
    require(
        np.allclose(path[0], theta_start),
        "the path must start with theta_start (row 0 of the path)",
    )
    require(
        len(sampler.batches) == n_steps,
        f"fit_lorentzian called sample_batch {len(sampler.batches)} times in {n_steps} steps; "
        "every step must draw one fresh mini-batch",
    )
    sizes = {len(x) for x, _ in sampler.batches}
    require(
        sizes == {batch_size},
        f"fit_lorentzian must draw mini-batches of batch_size={batch_size} samples; "
        f"it drew sizes {sorted(sizes)}",
    )
    require(np.all(np.isfinite(path)), "the path contains NaN or inf")
    x = np.stack([b[0] for b in sampler.batches])  # (n_steps, B)
    y = np.stack([b[1] for b in sampler.batches])
    expected = path[:-1] - lr * _lorentzian_grad(path[:-1], x, y)  # (n_steps, 2)
    wrong = ~np.all(np.isclose(path[1:], expected, rtol=1e-7, atol=1e-10), axis=1)
    if wrong.any():
        step = int(np.argmax(wrong))
        require(
            False,
            f"step {step + 1} of the path does not follow theta <- theta - lr * grad C on the "
            f"mini-batch that this step drew; each step should use the gradient of the cost "
            "of its own fresh batch (check your lorentzian_grad with its self-check first)",
        )
    average = path[n_steps // 2 :].mean(axis=0)
    tolerance = 5 * _lorentz_standard_errors((n_steps // 2) * batch_size)
    for i, name in enumerate(("theta_0", "theta_1")):
        require(
            abs(average[i] - _LORENTZ_CHECK_THETA[i]) < tolerance[i],
            f"the average of {name} over the second half of the path is farther from the "
            "true value than five standard errors of the noise allow; the steps must go "
            "downhill (theta - lr * grad), and the path must hold every iterate",
        )
    return passed(
        "Exercise 2.5: every SGD step is right, and the averaged path recovers the parameters."
    )
