"""Tests of ml4phys.checks.ch15: right answers pass, wrong ones fail, stubs pass through."""

from collections import deque

import numpy as np
import pytest

from ml4phys.checks import CheckFailed, ch15
from ml4phys.rl import policy_gradient as pg
from ml4phys.rl import q_learning as ql
from ml4phys.rl import tabular


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 15.x")


# --------------------------------------------------------------------------- Exercise 15.1


def walker_right(p, n, start, left_reward, right_reward, step_cost):
    q, k = 1.0 - p, start
    if p == 0.5:
        p_right, duration = k / n, k * (n - k)
    else:
        ratio = q / p
        p_right = (1 - ratio**k) / (1 - ratio**n)
        duration = k / (q - p) - n / (q - p) * p_right
    return right_reward * p_right + left_reward * (1 - p_right) - step_cost * duration


def walker_no_cost(p, n, start, left_reward, right_reward, step_cost):
    return walker_right(p, n, start, left_reward, right_reward, 0.0)


def walker_swapped(p, n, start, left_reward, right_reward, step_cost):
    return walker_right(p, n, start, right_reward, left_reward, step_cost)


def walker_no_half(p, n, start, left_reward, right_reward, step_cost):
    ratio = (1 - p) / p
    p_right = (1 - ratio**start) / (1 - ratio**n)
    duration = start / (1 - 2 * p) - n / (1 - 2 * p) * p_right
    return right_reward * p_right + left_reward * (1 - p_right) - step_cost * duration


def test_walker_right():
    assert ch15.check_walker_return(walker_right) is True


@pytest.mark.parametrize("answer", [walker_no_cost, walker_swapped, walker_no_half])
def test_walker_wrong(answer):
    with pytest.raises(CheckFailed, match="Not yet"):
        ch15.check_walker_return(answer)


def test_walker_hint_at_one_half():
    def nan_at_half(p, *args):
        return float("nan") if p == 0.5 else walker_right(p, *args)

    with pytest.raises(CheckFailed, match="only at p = 1/2"):
        ch15.check_walker_return(nan_at_half)


def test_walker_stub():
    with pytest.raises(NotImplementedError):
        ch15.check_walker_return(stub)


# --------------------------------------------------------------------------- Exercise 15.2


def gradient_right(P, R, terminal, theta, gamma, start, discount_visits=True):
    pi = pg.softmax_policy(theta)
    p_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, R)
    p_pi[terminal], r_pi[terminal] = 0.0, 0.0
    A = np.eye(len(r_pi)) - gamma * p_pi
    V = np.linalg.solve(A, r_pi)
    Q = R + gamma * P @ V
    Q[terminal] = 0.0
    visits = A if discount_visits else np.eye(len(r_pi)) - p_pi
    d = np.linalg.solve(visits.T, np.eye(len(r_pi))[start])
    return d[:, None] * pi * (Q - V[:, None])


def gradient_no_advantage(P, R, terminal, theta, gamma, start):
    g = gradient_right(P, R, terminal, theta, gamma, start)
    pi = pg.softmax_policy(theta)
    return g + pi  # rows no longer sum to zero


def gradient_undiscounted_visits(P, R, terminal, theta, gamma, start):
    return gradient_right(P, R, terminal, theta, gamma, start, discount_visits=False)


def gradient_wrong_sign(*args):
    return -gradient_right(*args)


def gradient_wrong_shape(*args):
    return gradient_right(*args).T


def test_gradient_right():
    assert ch15.check_policy_gradient(gradient_right) is True


@pytest.mark.parametrize(
    "answer, message",
    [
        (gradient_no_advantage, "sums to zero"),
        (gradient_undiscounted_visits, "visit counts"),
        (gradient_wrong_sign, "wrong sign"),
        (gradient_wrong_shape, "shape"),
    ],
)
def test_gradient_wrong(answer, message):
    with pytest.raises(CheckFailed, match=message):
        ch15.check_policy_gradient(answer)


def test_gradient_stub():
    with pytest.raises(NotImplementedError):
        ch15.check_policy_gradient(stub)


# --------------------------------------------------------------------------- Exercise 15.3


def nearest_right(env, strict=True):
    def distances(source):
        dist, queue = {source: 0}, deque([source])
        while queue:
            r, c = queue.popleft()
            for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
                cell = (r + dr, c + dc)
                if not env.walls[cell] and cell not in dist:
                    dist[cell] = dist[(r, c)] + 1
                    queue.append(cell)
        return dist

    position, left, used, collected = env.start, list(env.chests), 0, 0
    while left:
        dist = distances(position)
        target = min(left, key=lambda c: dist[c])
        if used + dist[target] > env.max_steps - (0 if strict else 1):
            break
        used += dist[target]
        position = target
        left.remove(target)
        collected += 1
    return collected


def test_nearest_right():
    assert ch15.check_nearest_chest(nearest_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        lambda env: tabular.optimal_return(env),
        lambda env: nearest_right(env, strict=False),
        lambda env: len(env.chests),
    ],
)
def test_nearest_wrong(answer):
    with pytest.raises(CheckFailed, match="nearest-chest-first"):
        ch15.check_nearest_chest(answer)


def test_nearest_stub():
    with pytest.raises(NotImplementedError):
        ch15.check_nearest_chest(stub)


# --------------------------------------------------------------------------- Exercise 15.4


def test_exploration_right():
    config = ql.QLearningConfig(
        n_episodes=300,
        gamma=0.9,
        learning_rate=0.5,
        q_init=3.0,
        epsilon_start=0.05,
        epsilon_decay_episodes=0,
    )
    state = np.random.get_state()  # noqa: NPY002
    assert ch15.check_exploration(config) is True
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002


@pytest.mark.parametrize(
    "config, message",
    [
        (ql.QLearningConfig(n_episodes=300, gamma=0.9), "optimum on"),
        (ql.QLearningConfig(n_episodes=301, q_init=3.0), "at most"),
        ({"q_init": 3.0}, "QLearningConfig"),
    ],
)
def test_exploration_wrong(config, message):
    with pytest.raises(CheckFailed, match=message):
        ch15.check_exploration(config)
