"""Self-checks for the exercises of chapter 14 (Boltzmann machines).

Each ``check_*`` function tests one exercise of ``solutions/14_boltzmann.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test
inputs are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ml4phys.checks._core import as_numpy, call_student, isolated_rng, passed, require
from ml4phys.generative import boltzmann
from ml4phys.physics import ising

__all__ = [
    "check_metropolis_matrix",
    "check_free_energy_pm",
    "check_log_likelihood_gradient",
    "check_segment_rbm",
]

_SEGMENT_LENGTH = 16
_SEGMENT_WIDTH = 4
_SEGMENT_THRESHOLD = 0.8
_N_CHAINS = 1000
_N_GIBBS = 1000


# ----------------------------------------------------------------------------------------------
# Exercise 14.1
# ----------------------------------------------------------------------------------------------


def _metropolis_reference(temperature: float) -> np.ndarray:
    """Single-spin-flip Metropolis on the 2x2 periodic lattice, random site, J = 1, h = 0."""
    states = ising.all_spin_states(2).reshape(16, 4)
    energies = ising.ising_energy(states.reshape(16, 2, 2))
    P = np.zeros((16, 16))
    for k in range(16):
        for site in range(4):
            new = k ^ (1 << site)
            accept = min(
                1.0, float(np.exp(-(energies[new] - energies[k]) / temperature))
            )
            P[k, new] += accept / 4
        P[k, k] = 1.0 - P[k].sum()
    return P


def check_metropolis_matrix(transition_matrix: Callable[..., Any]) -> bool:
    """Exercise 14.1: ``transition_matrix(temperature)`` of single-spin-flip Metropolis.

    The 16 x 16 matrix ``P[k, l]`` = probability to go from state ``k`` to state ``l`` in one
    step (a uniformly random site proposes to flip; Metropolis acceptance) on the 2 x 2
    periodic lattice with J = 1, h = 0, states ordered as ``ising.all_spin_states(2)``. It
    must be stochastic, satisfy detailed balance with the Boltzmann distribution, and be the
    Metropolis matrix at several temperatures.

    Args:
        transition_matrix: the student's function.
    """
    states = ising.all_spin_states(2)
    energies = ising.ising_energy(states)
    for temperature in (0.7, 1.6, 4.0):
        P = as_numpy(
            call_student(
                transition_matrix,
                temperature,
                name="transition_matrix(temperature)",
            ),
            "the output of transition_matrix",
        )
        require(
            P.shape == (16, 16),
            f"transition_matrix({temperature}) must return a (16, 16) array; yours has "
            f"shape {P.shape}.",
        )
        require(np.all(np.isfinite(P)), "the matrix must hold finite numbers (no NaN).")
        require(
            np.all(P >= -1e-12) and np.allclose(P.sum(axis=1), 1.0, atol=1e-9),
            f"at T = {temperature} the rows must be probability distributions (entries "
            ">= 0, each row summing to 1, P[k, l] = probability of k -> l).",
        )
        pi = np.exp(-(energies - energies.min()) / temperature)
        pi /= pi.sum()
        flow = pi[:, None] * P
        require(
            np.allclose(flow, flow.T, atol=1e-9),
            f"at T = {temperature} detailed balance pi_k P[k, l] = pi_l P[l, k] does not "
            "hold: check the acceptance probability min(1, exp(-dE / T)) and the sign of dE.",
        )
        reference = _metropolis_reference(temperature)
        require(
            np.allclose(P, reference, atol=1e-9),
            f"at T = {temperature} the matrix satisfies detailed balance but is not the "
            "single-spin-flip Metropolis matrix: each of the 4 sites should be proposed with "
            "probability 1/4, moves that flip more than one spin should be impossible, and "
            "the rejected probability should stay on the diagonal.",
        )
    return passed(
        "Exercise 14.1: your matrix is stochastic, obeys detailed balance and is the "
        "Metropolis matrix of the 2x2 lattice at three temperatures."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 14.2
# ----------------------------------------------------------------------------------------------


def check_free_energy_pm(free_energy_pm: Callable[..., Any]) -> bool:
    """Exercise 14.2: ``free_energy_pm(v, W, b, c)`` for hidden units in {-1, +1}.

    Compared with ``-log sum_h exp(-E(v, h))`` by brute force over all hidden states, on
    random machines (also with large weights, where a naive formula overflows).

    Args:
        free_energy_pm: the student's function.
    """
    with isolated_rng(1401) as rng:
        cases = []
        for n_visible, n_hidden, scale in ((5, 3, 1.0), (4, 6, 0.5), (3, 2, 400.0)):
            W = scale * rng.standard_normal((n_visible, n_hidden))
            b = rng.standard_normal(n_visible)
            c = scale * rng.standard_normal(n_hidden)
            v = (rng.random((7, n_visible)) < 0.5).astype(np.float64)
            cases.append((v, W, b, c))
    for v, W, b, c in cases:
        n_hidden = W.shape[1]
        h = 2 * ((np.arange(2**n_hidden)[:, None] >> np.arange(n_hidden)) & 1) - 1.0
        minus_e = (v @ b)[:, None] + (h @ c)[None, :] + v @ W @ h.T  # (7, 2^nh)
        top = minus_e.max(axis=1)
        reference = -(top + np.log(np.exp(minus_e - top[:, None]).sum(axis=1)))
        F = as_numpy(
            call_student(free_energy_pm, v, W, b, c, name="free_energy_pm(v, W, b, c)"),
            "the output of free_energy_pm",
        )
        require(
            F.shape == (len(v),),
            f"for v of shape {v.shape}, free_energy_pm must return shape ({len(v)},); "
            f"yours has {F.shape}.",
        )
        require(
            np.all(np.isfinite(F)),
            f"with weights of size up to {np.abs(W).max():.0f} your free energy is not "
            "finite: use a stable form of log(2 cosh x) (np.logaddexp helps).",
        )
        require(
            np.allclose(F, reference, rtol=1e-8, atol=1e-8),
            f"for an RBM with {W.shape[0]} visible and {n_hidden} hidden units the free "
            "energy differs from the brute-force sum over hidden states in {-1, +1}: check "
            "the sign convention F = -log sum_h exp(-E) and the factor from h = -1.",
        )
    return passed(
        "Exercise 14.2: your free energy agrees with the brute-force sum over the hidden "
        "states, also for large weights."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 14.3
# ----------------------------------------------------------------------------------------------


def check_log_likelihood_gradient(log_likelihood_gradient: Callable[..., Any]) -> bool:
    """Exercise 14.3: ``log_likelihood_gradient(rbm, data) -> (dW, db, dc)``, exactly.

    The gradient of the mean log-likelihood of ``data`` with respect to ``W``, ``b`` and
    ``c`` is compared with central finite differences of
    :func:`ml4phys.generative.boltzmann.exact_log_likelihood` on tiny machines (more hidden
    than visible units and the other way round).

    Args:
        log_likelihood_gradient: the student's function.
    """
    with isolated_rng(1402) as rng:
        cases = []
        for n_visible, n_hidden in ((4, 3), (3, 5)):
            rbm = boltzmann.RBM(
                W=0.7 * rng.standard_normal((n_visible, n_hidden)),
                b=rng.standard_normal(n_visible),
                c=rng.standard_normal(n_hidden),
            )
            X = (rng.random((12, n_visible)) < 0.4).astype(np.float64)
            cases.append((rbm, X))
    for rbm, X in cases:
        probe = rbm.copy()
        result = call_student(
            log_likelihood_gradient,
            probe,
            X.copy(),
            name="log_likelihood_gradient(rbm, data)",
            expects=(tuple, list),
        )
        require(
            len(result) == 3,
            f"log_likelihood_gradient must return three arrays (dW, db, dc); yours returned "
            f"{len(result)}.",
        )
        require(
            all(
                np.array_equal(getattr(probe, n), getattr(rbm, n))
                for n in ("W", "b", "c")
            ),
            "log_likelihood_gradient must not change the RBM's parameters.",
        )
        for name, value in zip(("dW", "db", "dc"), result):
            param = getattr(rbm, name[1:])
            grad = as_numpy(value, f"{name} returned by log_likelihood_gradient")
            require(
                grad.shape == param.shape,
                f"{name} must have the shape {param.shape} of {name[1:]}; yours has "
                f"{grad.shape}.",
            )
            fd = _finite_differences(rbm, X, name[1:])
            require(
                np.allclose(grad, fd, atol=1e-5),
                f"for an RBM with {rbm.n_visible} visible and {rbm.n_hidden} hidden units, "
                f"{name} differs from finite differences of the exact log-likelihood by "
                f"up to {np.abs(grad - fd).max():.3g}. It should be the data average minus "
                "the model average (over all states, weighted by p(v)), divided by nothing "
                "but the number of data vectors.",
            )
    return passed(
        "Exercise 14.3: your gradient agrees with finite differences of the exact "
        "log-likelihood for W, b and c."
    )


def _finite_differences(rbm: boltzmann.RBM, X: np.ndarray, name: str) -> np.ndarray:
    probe = rbm.copy()
    param = getattr(probe, name)
    fd = np.zeros_like(param)
    eps = 1e-6
    for idx in np.ndindex(param.shape):
        old = param[idx]
        param[idx] = old + eps
        up = boltzmann.exact_log_likelihood(probe, X)
        param[idx] = old - eps
        down = boltzmann.exact_log_likelihood(probe, X)
        param[idx] = old
        fd[idx] = (up - down) / (2 * eps)
    return fd


# ----------------------------------------------------------------------------------------------
# Exercise 14.4
# ----------------------------------------------------------------------------------------------


def _segment_shares(v: np.ndarray, width: int) -> tuple[float, float]:
    edges = np.diff(np.pad(v.astype(int), ((0, 0), (1, 1))), axis=1)
    one_run = (edges == 1).sum(axis=1) == 1
    right = one_run & (v.sum(axis=1) == width)
    return float(one_run.mean()), float(right.mean())


def check_segment_rbm(rbm: boltzmann.RBM) -> bool:
    """Exercise 14.4: an RBM on segments of 4 ones among 16 pixels that generates them.

    The check runs 1000 independent Gibbs chains from random pixels for 1000 steps (with
    its own random numbers) and requires that a share of at least 0.8 of the final samples
    is one contiguous segment of the right width.

    Args:
        rbm: the student's trained ``boltzmann.RBM``.
    """
    require(
        isinstance(rbm, boltzmann.RBM),
        f"rbm must be a trained ml4phys.generative.boltzmann.RBM; got a "
        f"{type(rbm).__name__}.",
    )
    require(
        rbm.n_visible == _SEGMENT_LENGTH,
        f"the RBM must have {_SEGMENT_LENGTH} visible units, one per pixel; yours has "
        f"{rbm.n_visible}.",
    )
    require(
        all(np.all(np.isfinite(getattr(rbm, n))) for n in ("W", "b", "c")),
        "the RBM's parameters must be finite (no NaN): was the learning rate too large?",
    )
    with isolated_rng(1404) as rng:
        start = (rng.random((_N_CHAINS, _SEGMENT_LENGTH)) < 0.5).astype(np.float64)
        v, _ = boltzmann.gibbs_chain(rbm, start, _N_GIBBS, rng)
    one_run, right = _segment_shares(v, _SEGMENT_WIDTH)
    require(
        right >= _SEGMENT_THRESHOLD,
        f"of {_N_CHAINS} samples after {_N_GIBBS} Gibbs steps, a share of {one_run:.2f} is "
        f"one contiguous segment and {right:.2f} one of width {_SEGMENT_WIDTH}; at least "
        f"{_SEGMENT_THRESHOLD} should be. Train longer, with more hidden units or a larger "
        "learning rate.",
    )
    return passed(
        f"Exercise 14.4: {right:.0%} of the RBM's samples are one segment of width "
        f"{_SEGMENT_WIDTH}."
    )
