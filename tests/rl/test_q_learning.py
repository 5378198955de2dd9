"""Tabular Q-learning: the TD step by hand, learning on a small lake, seeding, validation."""

import gymnasium as gym
import numpy as np
import pytest

from ml4phys.rl import q_learning as ql


def _lake():
    return gym.make("FrozenLake-v1", is_slippery=False)


def _q_star(env, gamma):
    """Optimal action values of FrozenLake from its transition table, by fixed-point iteration."""
    table = env.unwrapped.P
    n_s, n_a = len(table), len(table[0])
    q = np.zeros((n_s, n_a))
    for _ in range(500):
        v = q.max(axis=1)
        new = np.zeros_like(q)
        for s in range(n_s):
            for a in range(n_a):
                for p, s2, r, term in table[s][a]:
                    new[s, a] += p * (r + (0.0 if term else gamma * v[s2]))
        q = new
    return q


def test_update_matches_hand_computation():
    q = np.array([[0.0, 1.0], [2.0, 5.0]])
    cfg = ql.QLearningConfig(gamma=0.5, learning_rate=0.25)
    delta = ql.update(q, 0, 1, 1.0, 1, False, cfg)
    assert delta == pytest.approx(1.0 + 0.5 * 5.0 - 1.0)
    assert q[0, 1] == pytest.approx(1.0 + 0.25 * 2.5)
    delta = ql.update(q, 0, 0, 3.0, 1, True, cfg)  # terminal: no bootstrap
    assert delta == pytest.approx(3.0)
    assert q[0, 0] == pytest.approx(0.75)
    assert q[1].tolist() == [2.0, 5.0]


def test_learns_optimal_values_on_the_path():
    env = _lake()
    gamma = 0.9
    cfg = ql.QLearningConfig(
        n_episodes=400, gamma=gamma, learning_rate=0.5, epsilon_decay_episodes=250
    )
    history = ql.train(env, cfg, seed=0)
    assert history["q"].shape == (16, 4)
    assert history["returns"].shape == history["lengths"].shape == (400,)
    random_return = np.mean(
        ql.train(env, ql.QLearningConfig(n_episodes=200, epsilon_end=1.0), seed=1)[
            "returns"
        ]
    )
    assert history["returns"][-100:].mean() > random_return + 0.5
    # the greedy policy reaches the goal, and the values along its path are optimal
    q_star = _q_star(env, gamma)
    policy = ql.greedy_policy(history["q"])
    state, _ = env.reset(seed=0)
    total, visited = 0.0, []
    for _ in range(20):
        visited.append(state)
        state, reward, terminated, truncated, _ = env.step(int(policy[state]))
        total += reward
        if terminated or truncated:
            break
    assert total == 1.0
    np.testing.assert_allclose(
        history["q"][visited].max(axis=1), q_star[visited].max(axis=1), atol=1e-3
    )


def test_seeded_runs_repeat():
    env = _lake()
    cfg = ql.QLearningConfig(n_episodes=50)
    a, b = ql.train(env, cfg, seed=3), ql.train(env, cfg, seed=3)
    np.testing.assert_array_equal(a["q"], b["q"])
    np.testing.assert_array_equal(a["lengths"], b["lengths"])
    c = ql.train(env, cfg, seed=4)
    assert not np.array_equal(a["lengths"], c["lengths"])


def test_epsilon_schedule():
    cfg = ql.QLearningConfig(
        epsilon_start=1.0, epsilon_end=0.1, epsilon_decay_episodes=10
    )
    assert ql.epsilon_at(0, cfg) == 1.0
    assert ql.epsilon_at(5, cfg) == pytest.approx(0.55)
    assert ql.epsilon_at(10, cfg) == pytest.approx(0.1)
    assert ql.epsilon_at(100, cfg) == pytest.approx(0.1)
    assert ql.epsilon_at(3, ql.QLearningConfig(epsilon_decay_episodes=0)) == 0.05


def test_greedy_policy():
    q = np.array([[0.0, 2.0, 1.0], [3.0, 3.0, 0.0]])
    assert ql.greedy_policy(q).tolist() == [1, 0]
    with pytest.raises(ValueError, match="shape"):
        ql.greedy_policy(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        ql.greedy_policy(np.array([[np.nan, 1.0]]))
    with pytest.raises(TypeError, match="real"):
        ql.greedy_policy(np.array([["a", "b"]]))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n_episodes": 0}, ValueError),
        ({"n_episodes": 2.5}, TypeError),
        ({"gamma": 1.5}, ValueError),
        ({"gamma": float("nan")}, ValueError),
        ({"learning_rate": 0.0}, ValueError),
        ({"epsilon_start": -0.1}, ValueError),
        ({"epsilon_decay_episodes": -1}, ValueError),
        ({"q_init": "high"}, TypeError),
    ],
)
def test_config_validation(kwargs, error):
    with pytest.raises(error):
        ql.QLearningConfig(**kwargs)


def test_train_validation():
    cfg = ql.QLearningConfig(n_episodes=1)
    with pytest.raises(TypeError, match="Discrete"):
        ql.train(gym.make("CartPole-v1"), cfg, seed=0)
    with pytest.raises(TypeError, match="QLearningConfig"):
        ql.train(_lake(), {"n_episodes": 1}, seed=0)
    with pytest.raises(ValueError, match="seed"):
        ql.train(_lake(), cfg, seed=-1)
