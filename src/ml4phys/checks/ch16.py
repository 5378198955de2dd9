"""Self-checks for the exercises of chapter 16 (deep reinforcement learning).

Each ``check_*`` function tests one exercise of ``solutions/16_deep_rl.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test
inputs are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.

The small task of exercise 16.3 is built by the private ``_tiny_maze`` (a
``TreasureMaze`` of 5 x 7 cells with two chests, grid observations, eight steps).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ml4phys.checks._core import (
    as_number,
    as_tensor,
    call_student,
    isolated_rng,
    passed,
    require,
)

__all__ = [
    "check_n_step_targets",
    "check_kl_estimators",
    "check_agent",
]

_TINY_MAZE = "#######\n#C...C#\n#.###.#\n#..S..#\n#######"
"""The maze of exercise 16.3: two chests in the corners, eight steps per episode."""

_TINY_STEPS = 8
_AGENT_THRESHOLD = 1.5
_AGENT_SECONDS = 60.0


def _tiny_maze(random_start: bool = True, layout: str = _TINY_MAZE):
    """The treasure maze of exercise 16.3 with grid observations (3, 5, 7)."""
    from ml4phys.rl.envs import TreasureMaze

    return TreasureMaze(
        layout, max_steps=_TINY_STEPS, observation="grid", random_start=random_start
    )


# ----------------------------------------------------------------------------------------------
# Exercise 16.1
# ----------------------------------------------------------------------------------------------


def _targets(rewards, terminated, bootstrap, gamma, n):
    T = len(rewards)
    out = np.zeros(T)
    for t in range(T):
        total, weight = 0.0, 1.0
        for k in range(t, min(t + n, T)):
            total += weight * rewards[k]
            weight *= gamma
            if terminated[k]:
                break
        else:
            total += weight * bootstrap[min(t + n, T) - 1]
        out[t] = total
    return out


def check_n_step_targets(n_step_targets: Callable[..., Any]) -> bool:
    """Exercise 16.1: ``n_step_targets(rewards, terminated, bootstrap, gamma, n)``.

    For one stretch of ``T`` transitions (1-D tensors of length ``T``): the ``n``-step TD
    target of every step, summing at most ``n`` discounted rewards, stopping at a terminal
    state, and bootstrapping from ``bootstrap[t + m - 1]`` (the value of the state reached)
    otherwise, also when the stretch ends before ``n`` steps. Compared with a direct sum on
    random stretches for several ``n`` and ``gamma``.

    Args:
        n_step_targets: the student's function.
    """
    g = torch.Generator().manual_seed(160_001)
    name = "n_step_targets(rewards, terminated, bootstrap, gamma, n)"
    cases = []
    for T, p_end in ((9, 0.0), (12, 0.25), (7, 0.5)):
        rewards = torch.randn(T, generator=g, dtype=torch.float64)
        terminated = (torch.rand(T, generator=g) < p_end).double()
        bootstrap = torch.randn(T, generator=g, dtype=torch.float64)
        cases.append((rewards, terminated, bootstrap))
    for rewards, terminated, bootstrap in cases:
        for gamma, n in ((0.9, 1), (0.99, 3), (0.5, 5), (1.0, 20)):
            result = call_student(
                n_step_targets,
                rewards.clone(),
                terminated.clone(),
                bootstrap.clone(),
                gamma,
                n,
                name=name,
                exercise="Exercise 16.1",
            )
            got = as_tensor(result, "the targets").to(torch.float64)
            T = len(rewards)
            require(
                got.shape == (T,),
                f"Exercise 16.1: for T = {T} transitions the targets should have shape "
                f"({T},); yours have {tuple(got.shape)}.",
            )
            require(
                bool(torch.isfinite(got).all()),
                "Exercise 16.1: your targets contain NaN or infinity.",
            )
            expected = _targets(
                rewards.numpy(), terminated.numpy(), bootstrap.numpy(), gamma, n
            )
            error = float(np.abs(got.numpy() - expected).max())
            if error > 1e-8:
                where = (
                    "with n = 1 (the one-step target r_t + gamma (1 - d_t) B_t)"
                    if n == 1
                    else f"with n = {n}, gamma = {gamma}"
                )
                ends = "with" if terminated.any() else "without"
                require(
                    False,
                    f"Exercise 16.1: {where} on a stretch {ends} terminal states your "
                    f"targets differ from the direct sum by up to {error:.3g}. Check the "
                    "power of gamma in front of the bootstrap, that nothing is added after "
                    "a terminal step, and the last steps of the stretch.",
                )
    return passed(
        "Exercise 16.1: your n-step targets agree with the direct sums for n = 1, 3, 5 "
        "and 20, with and without terminal states."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 16.2
# ----------------------------------------------------------------------------------------------


def check_kl_estimators(kl_estimators: Callable[..., Any]) -> bool:
    """Exercise 16.2: ``kl_estimators(logp_old, logp_new) -> (k1, k3)``.

    Per sample, for actions drawn from the old policy, with ``log r = logp_new -
    logp_old``: ``k1 = -log r`` and ``k3 = (r - 1) - log r``. Checked elementwise on random
    log-probabilities, then on samples of two categorical policies, whose means must estimate
    KL(old || new) (within four standard errors).

    Args:
        kl_estimators: the student's function.
    """
    g = torch.Generator().manual_seed(160_002)
    name = "kl_estimators(logp_old, logp_new)"
    logp_old = -torch.rand(50, generator=g, dtype=torch.float64) * 3
    logp_new = -torch.rand(50, generator=g, dtype=torch.float64) * 3
    result = call_student(
        kl_estimators, logp_old.clone(), logp_new.clone(), name=name, exercise="16.2"
    )
    require(
        isinstance(result, tuple) and len(result) == 2,
        f"Exercise 16.2: kl_estimators must return a pair (k1, k3); it returned a "
        f"{type(result).__name__}.",
    )
    k1, k3 = (as_tensor(x, "an estimate").to(torch.float64) for x in result)
    for label, k in (("k1", k1), ("k3", k3)):
        require(
            k.shape == logp_old.shape,
            f"Exercise 16.2: {label} should have one value per sample, shape "
            f"{tuple(logp_old.shape)}; yours has {tuple(k.shape)}.",
        )
    log_r = logp_new - logp_old
    error1 = float((k1 - (-log_r)).abs().max())
    if float((k1 - log_r).abs().max()) < 1e-9:
        require(
            False, "Exercise 16.2: k1 has the wrong sign: it estimates KL(old || new)."
        )
    require(
        error1 < 1e-9,
        f"Exercise 16.2: k1 differs from its definition by up to {error1:.3g}.",
    )
    error3 = float((k3 - (log_r.exp() - 1 - log_r)).abs().max())
    require(
        error3 < 1e-9,
        f"Exercise 16.2: k3 differs from its definition by up to {error3:.3g}. "
        "Is r = pi_new / pi_old (not its inverse)?",
    )
    require(
        bool((k3 >= 0).all()),
        "Exercise 16.2: k3 is negative for some samples; it should never be.",
    )
    # the means estimate the KL divergence of two categorical policies
    p_old = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64)
    p_new = torch.tensor([0.3, 0.3, 0.3, 0.1], dtype=torch.float64)
    actions = torch.multinomial(p_old, 20_000, replacement=True, generator=g)
    k1, k3 = (
        as_tensor(x, "an estimate").to(torch.float64)
        for x in call_student(
            kl_estimators,
            p_old.log()[actions],
            p_new.log()[actions],
            name=name,
            exercise="16.2",
        )
    )
    exact = float((p_old * (p_old / p_new).log()).sum())
    for label, k in (("k1", k1), ("k3", k3)):
        mean = as_number(k.mean(), f"the mean of {label}")
        se = float(k.std()) / np.sqrt(len(k))
        require(
            abs(mean - exact) < 4 * se + 1e-12,
            f"Exercise 16.2: on actions drawn from the old policy the mean of {label} is "
            f"{mean:.4f}, more than four standard errors from KL(old || new).",
        )
    return passed(
        "Exercise 16.2: k1 and k3 match their definitions, k3 is never negative, and both "
        "means estimate KL(old || new)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 16.3
# ----------------------------------------------------------------------------------------------


def _start_layouts(layout: str) -> list[str]:
    rows = [list(r) for r in layout.replace("S", ".").split("\n")]
    out = []
    for i, row in enumerate(rows):
        for j, ch in enumerate(row):
            if ch == ".":
                copy = [r[:] for r in rows]
                copy[i][j] = "S"
                out.append("\n".join("".join(r) for r in copy))
    return out


def _greedy_returns(act: Callable[[np.ndarray], Any]) -> np.ndarray:
    returns = []
    for layout in _start_layouts(_TINY_MAZE):
        env = _tiny_maze(random_start=False, layout=layout)
        obs, _ = env.reset(seed=0)
        total, done = 0.0, False
        while not done:
            action = call_student(act, obs, name="act(obs)", exercise="Exercise 16.3")
            action = as_number(action, "the action returned by act(obs)")
            require(
                action in (0.0, 1.0, 2.0, 3.0),
                f"Exercise 16.3: act(obs) must return an action 0, 1, 2 or 3; it returned "
                f"{action}.",
            )
            obs, reward, terminated, truncated, _ = env.step(int(action))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return np.array(returns)


def check_agent(train_agent: Callable[..., Any]) -> bool:
    """Exercise 16.3: ``train_agent(env, seed) -> act``, an actor-critic of your own.

    The check calls ``train_agent(_tiny_maze(), seed)`` once (a maze of 5 x 7 cells with two
    chests, grid observations, random starts, eight steps) and then runs the returned
    ``act(obs) -> action`` from every free cell. The mean return must reach 1.5 (a random
    policy gets about 0.4; a policy that only ever finds one chest gets at most about 1.2)
    and the training must take less than a minute.

    Args:
        train_agent: the student's training function.
    """
    with isolated_rng(16):
        start = time.perf_counter()
        act = call_student(
            train_agent,
            _tiny_maze(),
            16,
            name="train_agent(env, seed)",
            exercise="Exercise 16.3",
        )
        seconds = time.perf_counter() - start
        require(
            callable(act),
            f"Exercise 16.3: train_agent must return a function act(obs) -> action; it "
            f"returned a {type(act).__name__}.",
        )
        require(
            seconds < _AGENT_SECONDS,
            f"Exercise 16.3: training took {seconds:.0f} s; keep it under a minute (fewer "
            "iterations, a smaller network, or batch the environments).",
        )
        returns = _greedy_returns(act)
    mean = float(returns.mean())
    require(
        mean >= _AGENT_THRESHOLD,
        f"Exercise 16.3: your policy's mean return over all start cells is {mean:.2f}; "
        f"it must reach {_AGENT_THRESHOLD}. Train longer, add an entropy bonus, or check "
        "the sign of the policy loss.",
    )
    return passed(
        f"Exercise 16.3: your agent collects {mean:.2f} chests on average from the "
        f"{len(returns)} start cells, trained in {seconds:.1f} s."
    )
