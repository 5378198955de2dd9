"""Tests of ml4phys.checks.ch16: right answers pass, wrong ones fail, stubs pass through."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from ml4phys.checks import CheckFailed, ch16


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 16.x")


# --------------------------------------------------------------------------- Exercise 16.1


def targets_right(rewards, terminated, bootstrap, gamma, n):
    T = len(rewards)
    out = torch.zeros(T, dtype=rewards.dtype)
    for t in range(T):
        total, weight, m = 0.0, 1.0, 0
        for k in range(t, min(t + n, T)):
            total = total + weight * rewards[k]
            weight, m = weight * gamma, m + 1
            if terminated[k]:
                break
        else:
            total = total + weight * bootstrap[t + m - 1]
        out[t] = total
    return out


def targets_one_step(rewards, terminated, bootstrap, gamma, n):
    return rewards + gamma * (1 - terminated) * bootstrap


def targets_no_termination(rewards, terminated, bootstrap, gamma, n):
    return targets_right(rewards, torch.zeros_like(terminated), bootstrap, gamma, n)


def targets_no_tail_bootstrap(rewards, terminated, bootstrap, gamma, n):
    out = targets_right(rewards, terminated, bootstrap, gamma, n)
    T = len(rewards)
    for t in range(max(0, T - n + 1), T):
        if not terminated[t:].any():
            out[t] = targets_right(
                rewards[t:], terminated[t:], 0 * bootstrap[t:], gamma, n
            )[0]
    return out


def test_n_step_targets_right_passes(capsys):
    assert ch16.check_n_step_targets(targets_right) is True
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong", [targets_one_step, targets_no_termination, targets_no_tail_bootstrap]
)
def test_n_step_targets_wrong_fail(wrong):
    with pytest.raises(CheckFailed, match="16.1"):
        ch16.check_n_step_targets(wrong)


def test_n_step_targets_wrong_shape_fails():
    with pytest.raises(CheckFailed, match="shape"):
        ch16.check_n_step_targets(
            lambda r, d, b, g, n: targets_right(r, d, b, g, n)[None]
        )


def test_n_step_targets_stub_passes_through():
    with pytest.raises(NotImplementedError):
        ch16.check_n_step_targets(stub)


# --------------------------------------------------------------------------- Exercise 16.2


def kl_right(logp_old, logp_new):
    log_r = logp_new - logp_old
    return -log_r, log_r.exp() - 1 - log_r


def test_kl_right_passes(capsys):
    assert ch16.check_kl_estimators(kl_right) is True
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, match",
    [
        (lambda o, n: (o - n, (o - n).exp() - 1 - (o - n)), "inverse"),
        (lambda o, n: (n - o, (n - o).exp() - 1 - (n - o)), "sign"),
        (lambda o, n: (o - n, (n - o).exp() - 1), "k3"),
        (lambda o, n: (o - n,), "pair"),
        (lambda o, n: ((o - n).mean(), (n - o).exp() - 1 - (n - o)), "per sample"),
    ],
)
def test_kl_wrong_fail(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        ch16.check_kl_estimators(wrong)


def test_kl_stub_passes_through():
    with pytest.raises(NotImplementedError):
        ch16.check_kl_estimators(stub)


# --------------------------------------------------------------------------- Exercise 16.3


def _walk_policy(env, seed):
    """Walk to the nearest chest left (breadth-first search on the grid observation). In
    the tiny maze this collects both chests from every start: a right answer that is quick
    to compute (the check cannot tell how the student got the policy)."""
    moves = ((-1, 0), (0, 1), (1, 0), (0, -1))

    def act(obs):
        walls, chests, agent = obs[0] > 0, obs[1] > 0, obs[2] > 0
        start = tuple(int(i) for i in np.argwhere(agent)[0])
        first = {start: None}
        queue = [start]
        while queue:
            cell = queue.pop(0)
            if chests[cell]:
                while first[cell] is not None and first[cell][0] != start:
                    cell = first[cell][0]
                return first[cell][1]
            for a, (dr, dc) in enumerate(moves):
                nxt = (cell[0] + dr, cell[1] + dc)
                if not walls[nxt] and nxt not in first:
                    first[nxt] = (cell, a)
                    queue.append(nxt)
        return 0

    return act


def test_agent_right_passes(capsys):
    assert ch16.check_agent(_walk_policy) is True
    assert "Correct" in capsys.readouterr().out


def test_agent_one_chest_policy_fails():
    def left_then_up(env, seed):
        return lambda obs: (
            3 if obs[2][3, 1] == 0 and obs[2][1, 1] == 0 and obs[2][2, 1] == 0 else 0
        )

    with pytest.raises(CheckFailed, match="mean return"):
        ch16.check_agent(left_then_up)


def test_agent_bad_returns_fail():
    with pytest.raises(CheckFailed, match="act"):
        ch16.check_agent(lambda env, seed: 3)
    with pytest.raises(CheckFailed, match="0, 1, 2 or 3"):
        ch16.check_agent(lambda env, seed: lambda obs: 7)
    with pytest.raises(CheckFailed, match="mean return"):
        ch16.check_agent(lambda env, seed: lambda obs: 0)


def test_agent_does_not_touch_global_random_state():
    state = torch.random.get_rng_state()

    def noisy(env, seed):
        torch.rand(3)
        return _walk_policy(env, seed)

    ch16.check_agent(noisy)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_agent_stub_passes_through():
    with pytest.raises(NotImplementedError):
        ch16.check_agent(stub)


def test_tiny_maze_is_copyable_and_has_grid_observations():
    env = ch16._tiny_maze()
    assert env.observation_space.shape == (3, 5, 7)
    assert copy.deepcopy(env).reset(seed=1)[0].shape == (3, 5, 7)
    assert isinstance(
        nn.Flatten()(torch.as_tensor(env.reset(seed=0)[0])[None]), torch.Tensor
    )
