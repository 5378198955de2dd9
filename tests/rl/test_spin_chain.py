"""Tests of ml4phys.rl.envs.spin_chain: the environment, its closed forms and wrappers."""

import itertools
from collections import deque

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ml4phys.rl import q_learning
from ml4phys.rl.envs import Curriculum, DiscreteObservation, SpinChain
from ml4phys.rl.envs.spin_chain import energy, min_flips


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"reward": "shaped"},
        {"reward": "sparse", "action": "set"},
        {"shape": (3, 3), "start": 2},
    ],
)
def test_check_env(kwargs):
    check_env(SpinChain(**kwargs), skip_render_check=True)


def _rollout(env, seed, n=30):
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    trajectory = [obs.copy()]
    for _ in range(n):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        trajectory.append((obs.copy(), reward))
        if terminated or truncated:
            obs, _ = env.reset()
    return trajectory


def _same(a, b):
    return all(
        np.array_equal(x[0], y[0]) and x[1] == y[1]
        if isinstance(x, tuple)
        else np.array_equal(x, y)
        for x, y in zip(a, b)
    )


def test_determinism():
    env = SpinChain(10, reward="energy")
    assert _same(_rollout(env, 3), _rollout(env, 3))
    assert not _same(_rollout(env, 3), _rollout(env, 4))


def test_energy_closed_forms():
    assert energy(np.ones(8)) == -7
    assert energy(np.array([1, -1] * 4)) == 7
    assert energy(np.ones((3, 3)), coupling=2.0, lattice_ndim=2) == -24
    rng = np.random.default_rng(0)
    s = rng.choice([-1, 1], size=(5, 4, 3))
    direct = [
        -sum(
            s[b, i, j] * s[b, i + di, j + dj]
            for i in range(4)
            for j in range(3)
            for di, dj in ((1, 0), (0, 1))
            if i + di < 4 and j + dj < 3
        )
        for b in range(5)
    ]
    np.testing.assert_allclose(energy(s, lattice_ndim=2), direct)
    with pytest.raises(ValueError):
        energy(np.array([1, 0, 1]))


@pytest.mark.parametrize("n", [2, 5, 8])
def test_min_flips_matches_breadth_first_search(n):
    """BFS on the hypercube of configurations from both aligned states."""
    distance = {}
    queue = deque()
    for aligned in ((1,) * n, (-1,) * n):
        distance[aligned] = 0
        queue.append(aligned)
    while queue:
        s = queue.popleft()
        for i in range(n):
            t = s[:i] + (-s[i],) + s[i + 1 :]
            if t not in distance:
                distance[t] = distance[s] + 1
                queue.append(t)
    assert len(distance) == 2**n
    for s in itertools.product((-1, 1), repeat=n):
        assert min_flips(np.array(s)) == distance[s]


def test_rewards_and_ends():
    env = SpinChain(4, reward="energy", start=1)
    env.reset(seed=0)
    env.spins = np.array([1, 1, 1, -1], dtype=np.int8)
    _, reward, terminated, truncated, _ = env.step(3)
    assert (reward, terminated, truncated) == (3.0, True, False)
    env = SpinChain(4, reward="shaped", goal_bonus=10.0, step_cost=1.0)
    env.reset(seed=0)
    env.spins = np.array([1, 1, -1, -1], dtype=np.int8)
    assert env.step(0)[1:3] == (-1.0, False)
    env.spins = np.array([1, 1, 1, -1], dtype=np.int8)
    assert env.step(3)[1:3] == (9.0, True)
    env = SpinChain(4, reward="sparse", action="set", max_steps=2)
    env.reset(seed=0)
    env.spins = np.array([1, 1, -1, -1], dtype=np.int8)
    assert env.step(1)[1:4] == (0.0, False, False)  # set site 0 up: no change
    assert env.step(4)[1:4] == (0.0, False, True)  # site 2 down: truncated at 2 steps


def test_start_distance_and_curriculum():
    env = SpinChain(9, start=3)
    for seed in range(20):
        _, info = env.reset(seed=seed)
        assert info["min_flips"] == 3
    _, info = env.reset(options={"distance": 1})
    assert info["min_flips"] == 1
    wrapped = Curriculum(SpinChain(9), schedule=lambda episode: 1 + episode // 2)
    flips = [
        wrapped.reset(seed=0 if k == 0 else None)[1]["min_flips"] for k in range(8)
    ]
    assert flips == [1, 1, 2, 2, 3, 3, 4, 4]


def test_discrete_observation():
    env = DiscreteObservation(SpinChain(6))
    obs, _ = env.reset(seed=1)
    assert env.observation_space.n == 64 and env.observation_space.contains(obs)
    np.testing.assert_array_equal(env.spins(obs), env.unwrapped.spins)
    assert env.spins(np.arange(64)).shape == (64, 6)


def test_q_learning_learns_shortest_paths():
    """A tiny end-to-end run: the shaped reward teaches the fewest flips."""
    env = DiscreteObservation(SpinChain(6, reward="shaped"))
    history = q_learning.train(env, q_learning.QLearningConfig(n_episodes=400), seed=0)
    policy = q_learning.greedy_policy(history["q"])
    optimal = 0
    for index in range(1, 63):
        spins = env.spins(index)
        chain = SpinChain(6, reward="shaped")
        chain.reset(seed=0)
        chain.spins = spins.copy()
        steps, done = 0, False
        state = index
        while not done and steps < 24:
            obs, _, done, _, _ = chain.step(int(policy[state]))
            state = int(obs @ (2 ** np.arange(6)))
            steps += 1
        optimal += done and steps == min_flips(spins)
    assert optimal / 62 > 0.8


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n_spins": 1}, ValueError),
        ({"n_spins": 4.0}, TypeError),
        ({"shape": (1, 3)}, ValueError),
        ({"shape": (2, 2, 2)}, ValueError),
        ({"shape": "33"}, TypeError),
        ({"shape": (5, 5)}, ValueError),
        ({"coupling": -1.0}, ValueError),
        ({"coupling": float("nan")}, ValueError),
        ({"reward": "money"}, ValueError),
        ({"action": "swap"}, ValueError),
        ({"start": 5}, ValueError),
        ({"start": "far"}, ValueError),
        ({"max_steps": 0}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        SpinChain(**kwargs)


def test_bad_actions_and_wrappers():
    env = SpinChain(4)
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(4)
    with pytest.raises(TypeError):
        Curriculum(env, schedule=3)
    with pytest.raises(ValueError):
        min_flips(np.array([]))
