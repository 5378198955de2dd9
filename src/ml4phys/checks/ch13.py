"""Self-checks for the exercises of chapter 13 (diffusion models).

Each ``check_*`` function tests one exercise of ``solutions/13_diffusion.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. The test
inputs are drawn inside the checks from generators the notebook does not see; a
``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ml4phys.checks._core import as_tensor, call_student, isolated_rng, passed, require

__all__ = [
    "check_forward_chain",
    "check_elbo_weights",
    "check_mixture_eps",
    "check_ddim_step",
]


def _tensor(value: Any, name: str) -> torch.Tensor:
    tensor = as_tensor(value, name).double()
    require(
        bool(torch.isfinite(tensor).all()), f"{name} contains NaN or infinite values."
    )
    return tensor


def _shape(tensor: torch.Tensor, shape: tuple[int, ...], what: str) -> None:
    require(
        tuple(tensor.shape) == shape,
        f"{what} should have shape {shape}; yours has {tuple(tensor.shape)}.",
    )


# ----------------------------------------------------------------------------------------------
# Exercise 13.1
# ----------------------------------------------------------------------------------------------


def check_forward_chain(forward_chain: Callable[..., Any]) -> bool:
    """Exercise 13.1: ``forward_chain(x0, betas, generator)`` runs the noising chain.

    Runs the student's chain on 20000 copies of two points for a schedule of 12 steps and
    compares, at every time, the Monte Carlo mean and variance of ``x_t`` with the
    closed-form marginal, and the covariance of consecutive states with that of the
    Markov chain (which an answer drawing every ``x_t`` independently from ``x_0`` misses).
    Also checks the shape, that ``path[0]`` is ``x0`` and that equal generators give equal
    paths.

    Args:
        forward_chain: the student's function; ``x0`` ``(n, d)``, ``betas`` ``(T,)``,
            returns ``(T + 1, n, d)``.
    """
    name = "forward_chain(x0, betas, generator)"
    n, d = 20_000, 2
    betas = torch.linspace(0.02, 0.3, 12, dtype=torch.float64)
    alphas = 1 - betas
    abar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(alphas, 0)])
    x0 = torch.tensor([[2.0, -1.0], [-0.5, 3.0]], dtype=torch.float64).repeat(n // 2, 1)
    with isolated_rng(130_001):
        result = call_student(
            forward_chain, x0.clone(), betas.clone(), torch.Generator().manual_seed(5),
            name=name,
        )  # fmt: skip
        again = call_student(
            forward_chain, x0.clone(), betas.clone(), torch.Generator().manual_seed(5),
            name=name,
        )  # fmt: skip
    path = _tensor(result, "the output of forward_chain")
    _shape(path, (13, n, d), "for 12 steps and x0 of shape (20000, 2) the path")
    require(
        torch.allclose(path[0], x0),
        "path[0] must be x0 itself, the data before any noise.",
    )
    require(
        torch.equal(path, _tensor(again, "the output of forward_chain")),
        "two calls with equally seeded generators gave different paths: draw the noise "
        "with torch.randn(..., generator=generator).",
    )
    first = x0[0::2]
    for t in range(1, 13):
        xt = path[t, 0::2]
        mean_err = (xt.mean(0) - abar[t].sqrt() * first[0]).abs().max().item()
        var = xt.var(0)
        var_err = (var - (1 - abar[t])).abs().max().item()
        require(
            mean_err < 0.06,
            f"at t = {t} the mean of x_t over the samples is off by {mean_err:.3f} from "
            "the mean of the forward process; check the factor that multiplies x_{t-1}.",
        )
        require(
            var_err < 0.06,
            f"at t = {t} the variance of x_t is off by {var_err:.3f} from that of the "
            "forward process; check how the noise of each step is scaled.",
        )
        prev = path[t - 1, 0::2]
        cov = ((xt - xt.mean(0)) * (prev - prev.mean(0))).mean(0)
        cov_err = (cov - alphas[t - 1].sqrt() * (1 - abar[t - 1])).abs().max().item()
        require(
            cov_err < 0.06,
            f"the covariance of x_{t} and x_{t - 1} is off by {cov_err:.3f} from that of "
            "the Markov chain: each state must be computed from the previous one, not "
            "drawn afresh from x0.",
        )
    return passed(
        "Exercise 13.1: the chain has the right marginals at all 12 times and the right "
        "correlations between consecutive states."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 13.2
# ----------------------------------------------------------------------------------------------


def check_elbo_weights(elbo_weights: Callable[..., Any]) -> bool:
    """Exercise 13.2: ``elbo_weights(betas)`` are the weights of the noise loss in the bound.

    Compared on two schedules (linear and geometric betas) with the weights of equation
    (ch13-eq-weighted) for ``sigma_t^2 = beta_t``, for t = 1..T, to a relative 1e-6.

    Args:
        elbo_weights: the student's function; ``betas`` ``(T,)``, returns ``(T,)``.
    """
    schedules = [
        torch.linspace(1e-3, 0.2, 100, dtype=torch.float64),
        torch.logspace(-4, -0.5, 37, dtype=torch.float64),
    ]
    for betas in schedules:
        alphas = 1 - betas
        abar = torch.cumprod(alphas, 0)
        reference = betas / (2 * alphas * (1 - abar))
        weights = _tensor(
            call_student(elbo_weights, betas.clone(), name="elbo_weights(betas)"),
            "the output of elbo_weights",
        ).reshape(-1)
        _shape(weights, (len(betas),), f"for {len(betas)} betas the weights")
        rel = ((weights - reference).abs() / reference).max().item()
        worst = int(((weights - reference).abs() / reference).argmax()) + 1
        require(
            rel < 1e-6,
            f"for a schedule of {len(betas)} steps your weight at t = {worst} is off by a "
            f"relative {rel:.2e}. Use the weight of equation (ch13-eq-weighted) with "
            "sigma_t^2 = beta_t, and abar_t = prod_{s<=t} alpha_s counted from t = 1.",
        )
    return passed("Exercise 13.2: the weights of the bound are right on two schedules.")


# ----------------------------------------------------------------------------------------------
# Exercise 13.3
# ----------------------------------------------------------------------------------------------


def _mixture_log_density(
    x: torch.Tensor, abar: float, means: torch.Tensor, std: float
) -> torch.Tensor:
    var = abar * std**2 + 1 - abar
    sq = ((x.unsqueeze(1) - math.sqrt(abar) * means) ** 2).sum(-1)  # (n, k)
    return torch.logsumexp(-sq / (2 * var), dim=1)


def check_mixture_eps(mixture_eps: Callable[..., Any]) -> bool:
    """Exercise 13.3: ``mixture_eps(x, abar, means, std)`` is the optimal noise prediction.

    For an equal-weight mixture of isotropic Gaussians (in 2 and in 3 dimensions) and noise
    levels from almost none to almost pure noise, the answer must equal
    ``-sqrt(1 - abar)`` times the gradient of the log-density of the noised mixture, computed
    here by automatic differentiation, to 1e-6.

    Args:
        mixture_eps: the student's function; ``x`` ``(n, d)``, ``abar`` a float,
            ``means`` ``(k, d)``, ``std`` a float; returns ``(n, d)``.
    """
    g = torch.Generator().manual_seed(130_003)
    cases = [
        (torch.tensor([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]], dtype=torch.float64), 0.3),
        (torch.randn(5, 3, generator=g, dtype=torch.float64) * 2, 0.7),
    ]
    name = "mixture_eps(x, abar, means, std)"
    for means, std in cases:
        x = torch.randn(64, means.shape[1], generator=g, dtype=torch.float64) * 2
        for abar in (0.99, 0.6, 0.2, 0.01):
            xg = x.clone().requires_grad_(True)
            (score,) = torch.autograd.grad(
                _mixture_log_density(xg, abar, means, std).sum(), xg
            )
            reference = -math.sqrt(1 - abar) * score
            eps = _tensor(
                call_student(
                    mixture_eps, x.clone(), abar, means.clone(), std, name=name
                ),
                "the output of mixture_eps",
            )
            _shape(eps, tuple(x.shape), f"for x of shape {tuple(x.shape)} the output")
            err = (eps - reference).abs().max().item()
            flipped = (eps + reference).abs().max().item()
            require(
                not (flipped < 1e-6 < err),
                f"at abar = {abar} your prediction has the wrong sign: the noise points "
                "away from the data, opposite to the score.",
            )
            require(
                err < 1e-6,
                f"with {len(means)} components in {means.shape[1]} dimensions at abar = "
                f"{abar} your prediction is off by up to {err:.2e}. Noised, each component "
                "is a Gaussian with a scaled mean and a new variance; weigh the components "
                "by their responsibilities at x.",
            )
    return passed(
        "Exercise 13.3: the noise prediction equals -sqrt(1 - abar) times the score of the "
        "noised mixture at all noise levels."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 13.4
# ----------------------------------------------------------------------------------------------


def check_ddim_step(ddim_step: Callable[..., Any]) -> bool:
    """Exercise 13.4: ``ddim_step(x_t, eps, abar_t, abar_s)`` is one deterministic DDIM step.

    Compared with equation (ch13-eq-ddim) on random inputs and pairs of noise levels, to
    1e-6; also checks that the step is deterministic, that ``abar_s = abar_t`` leaves
    ``x_t`` unchanged and that ``abar_s = 1`` returns the estimate of the clean data.

    Args:
        ddim_step: the student's function; ``x_t`` and ``eps`` ``(n, d)``, the noise levels
            floats; returns ``x_s`` ``(n, d)``.
    """
    g = torch.Generator().manual_seed(130_004)
    x = torch.randn(32, 4, generator=g, dtype=torch.float64)
    eps = torch.randn(32, 4, generator=g, dtype=torch.float64)
    name = "ddim_step(x_t, eps, abar_t, abar_s)"
    for abar_t, abar_s in ((0.05, 0.3), (0.5, 0.9), (0.9, 1.0), (0.4, 0.4)):
        with isolated_rng(130_004):
            out = call_student(
                ddim_step, x.clone(), eps.clone(), abar_t, abar_s, name=name
            )
            out2 = call_student(
                ddim_step, x.clone(), eps.clone(), abar_t, abar_s, name=name
            )
        x_s = _tensor(out, "the output of ddim_step")
        _shape(x_s, tuple(x.shape), "for x_t of shape (32, 4) the output")
        require(
            torch.equal(x_s, _tensor(out2, "the output of ddim_step")),
            "two calls with the same inputs gave different results: a DDIM step adds no "
            "new noise, it reuses eps.",
        )
        x0_hat = (x - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
        reference = math.sqrt(abar_s) * x0_hat + math.sqrt(1 - abar_s) * eps
        err = (x_s - reference).abs().max().item()
        require(
            err < 1e-6,
            f"from abar_t = {abar_t} to abar_s = {abar_s} your step is off by up to "
            f"{err:.2e}. First estimate x0 from x_t and eps (with abar_t), then re-noise "
            "it to level abar_s with the same eps.",
        )
    return passed(
        "Exercise 13.4: the DDIM step is right for all pairs of noise levels, including "
        "the last step to the clean data."
    )
