"""Tests of ml4phys.checks.ch17: right answers pass, wrong ones fail, stubs pass through."""

from collections import deque

import numpy as np
import pytest
import torch
from torch import nn

from ml4phys.checks import CheckFailed, ch17
from ml4phys.rl import q_learning
from ml4phys.rl.envs import DiscreteObservation, SpinChain


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 17.x")


# --------------------------------------------------------------------------- Exercise 17.1


def bfs_right(n_spins):
    distance = np.full(2**n_spins, -1)
    distance[[0, 2**n_spins - 1]] = 0
    queue = deque([0, 2**n_spins - 1])
    while queue:
        i = queue.popleft()
        for k in range(n_spins):
            j = i ^ (1 << k)
            if distance[j] < 0:
                distance[j] = distance[i] + 1
                queue.append(j)
    return distance


def bfs_one_source(n_spins):
    """Only all-down as the goal: the distance is the number of up spins."""
    index = np.arange(2**n_spins)
    return ((index[:, None] >> np.arange(n_spins)) & 1).sum(1)


def test_bfs_right():
    assert ch17.check_bfs_flips(bfs_right) is True
    assert ch17.check_bfs_flips(lambda n: torch.as_tensor(bfs_right(n))) is True


@pytest.mark.parametrize(
    "answer",
    [
        bfs_one_source,
        lambda n: bfs_right(n)[:-1],
        lambda n: bfs_right(n) + 1,
        lambda n: bfs_right(n) / 2.0,
        lambda n: np.full(2**n, np.nan),
    ],
)
def test_bfs_wrong(answer):
    with pytest.raises(CheckFailed):
        ch17.check_bfs_flips(answer)


def test_bfs_stub():
    with pytest.raises(NotImplementedError):
        ch17.check_bfs_flips(stub)


# --------------------------------------------------------------------------- Exercise 17.2


def _set_table(n_episodes=600):
    env = DiscreteObservation(SpinChain(6, action="set", reward="shaped", max_steps=24))
    config = q_learning.QLearningConfig(
        n_episodes=n_episodes, gamma=0.9, learning_rate=0.5, epsilon_decay_episodes=400
    )
    return q_learning.train(env, config, seed=0)["q"]


def _exact_set_table():
    """Q = minus the fewest steps after the action, from exact distances."""
    n = 6
    index = np.arange(2**n)
    n_up = ((index[:, None] >> np.arange(n)) & 1).sum(1)
    fewest = np.minimum(n_up, n - n_up)
    q = np.zeros((2**n, 2 * n))
    for s in index:
        for a in range(2 * n):
            bit = 1 << (a // 2)
            t = (s | bit) if a % 2 else (s & ~bit)
            q[s, a] = -fewest[t]
    return q


def test_set_agent_right():
    assert ch17.check_set_agent(_exact_set_table()) is True
    assert ch17.check_set_agent(_set_table()) is True


@pytest.mark.parametrize(
    "answer",
    [
        np.zeros((64, 12)),
        np.zeros((64, 6)),
        np.zeros((256, 16)),
        -_exact_set_table(),
        np.full((64, 12), np.nan),
        [[1, 2], [3, 4]],
    ],
)
def test_set_agent_wrong(answer):
    with pytest.raises(CheckFailed):
        ch17.check_set_agent(answer)


# --------------------------------------------------------------------------- Exercise 17.3


class Symmetric(nn.Module):
    """Counts the disagreeing neighbours of each site (invariant and equivariant)."""

    def forward(self, spins):
        s = spins
        disagree = torch.zeros_like(s)
        disagree[:, 1:, :] += s[:, 1:, :] != s[:, :-1, :]
        disagree[:, :-1, :] += s[:, :-1, :] != s[:, 1:, :]
        disagree[:, :, 1:] += s[:, :, 1:] != s[:, :, :-1]
        disagree[:, :, :-1] += s[:, :, :-1] != s[:, :, 1:]
        return disagree


class PlainCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, spins):
        hidden = torch.tanh(self.conv1(spins.unsqueeze(1)))
        return self.conv2(hidden).squeeze(1)


class FlipInvariantOnly(PlainCNN):
    def forward(self, spins):
        return super().forward(spins) + super().forward(-spins)


class Constant(nn.Module):
    def forward(self, spins):
        return torch.ones_like(spins)


class Flattened(Symmetric):
    def forward(self, spins):
        return super().forward(spins).flatten(1)


def test_symmetric_right():
    assert ch17.check_symmetric_policy(Symmetric()) is True


@pytest.mark.parametrize(
    "answer", [PlainCNN(), FlipInvariantOnly(), Constant(), Flattened()]
)
def test_symmetric_wrong(answer):
    torch.manual_seed(0)
    with pytest.raises(CheckFailed):
        ch17.check_symmetric_policy(answer)


def test_symmetric_stub():
    class Stub(nn.Module):
        def forward(self, spins):
            raise NotImplementedError("Exercise 17.3")

    with pytest.raises(NotImplementedError):
        ch17.check_symmetric_policy(Stub())
