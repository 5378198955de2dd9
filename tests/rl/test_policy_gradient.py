"""Tabular REINFORCE against the exact policy gradient of a small walker."""

import numpy as np
import pytest

from ml4phys.rl import policy_gradient as pg
from ml4phys.rl import tabular
from ml4phys.rl.envs import RandomWalk, TreasureMaze


def _exact_return(env, theta):
    P, R, terminal = env.transition_model()
    V = tabular.policy_evaluation(
        P, R, pg.softmax_policy(theta), 1.0, terminal=terminal
    )
    return V[env.start]


def _finite_difference_gradient(env, theta, h=1e-5):
    grad = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        up, down = theta.copy(), theta.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (_exact_return(env, up) - _exact_return(env, down)) / (2 * h)
    return grad


def test_returns_to_go_and_softmax():
    G = pg.returns_to_go([1.0, 0.0, 2.0], 0.5)
    np.testing.assert_allclose(G, [1.0 + 0.5**2 * 2.0, 1.0, 2.0])
    pi = pg.softmax_policy(np.array([[0.0, np.log(3.0)], [1000.0, 0.0]]))
    np.testing.assert_allclose(pi, [[0.25, 0.75], [1.0, 0.0]])


def test_score_function_against_finite_differences():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(3, 4))
    states, actions, rewards = np.array([1]), np.array([2]), np.array([1.0])
    g = pg.reinforce_gradient(theta, states, actions, rewards, 1.0)

    def logp(t):
        return np.log(pg.softmax_policy(t)[1, 2])

    fd = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = 1e-6
        fd[idx] = (logp(theta + e) - logp(theta - e)) / 2e-6
    np.testing.assert_allclose(g, fd, atol=1e-7)


@pytest.mark.parametrize("use_baseline", [False, True])
def test_reinforce_is_unbiased(use_baseline):
    env = RandomWalk(n=4, start=2, left_reward=1.0, right_reward=2.0, step_cost=0.2)
    theta = np.random.default_rng(1).normal(scale=0.5, size=(5, 2))
    exact = _finite_difference_gradient(env, theta)
    P, R, terminal = env.transition_model()
    values = tabular.policy_evaluation(
        P, R, pg.softmax_policy(theta), 1.0, terminal=terminal
    )
    rng, n = np.random.default_rng(2), 6000
    estimates = np.array(
        [
            pg.reinforce_gradient(
                theta,
                *pg.rollout(env, pg.softmax_policy(theta), rng, seed=i),
                1.0,
                values if use_baseline else None,
            )
            for i in range(n)
        ]
    )
    mean, se = estimates.mean(axis=0), estimates.std(axis=0) / np.sqrt(n) + 1e-12
    assert np.all(np.abs(mean - exact) < 4.5 * se + 1e-9)
    if use_baseline:  # the state-value baseline lowers the variance a lot here
        plain = [
            pg.reinforce_gradient(
                theta, *pg.rollout(env, pg.softmax_policy(theta), rng), 1.0
            )
            for _ in range(2000)
        ]
        assert estimates.var(axis=0).sum() < 0.5 * np.var(plain, axis=0).sum()


def test_update_steps_along_the_gradient():
    theta, values = np.zeros((3, 2)), np.zeros(3)
    episode = (np.array([1, 2]), np.array([1, 1]), np.array([0.0, 1.0]))
    cfg = pg.PolicyGradientConfig(learning_rate=0.5, baseline_learning_rate=0.5)
    out = pg.update(theta, values, episode, cfg)
    assert out["return"] == 1.0
    np.testing.assert_allclose(theta, [[0, 0], [-0.25, 0.25], [-0.25, 0.25]])
    np.testing.assert_allclose(values, [0.0, 0.5, 0.5])


def test_train_learns_the_walker_optimum():
    env = RandomWalk()
    cfg = pg.PolicyGradientConfig(n_episodes=300, learning_rate=0.2)
    history = pg.train(env, cfg, seed=0)
    optimum = env.right_reward - env.step_cost * (env.n - env.start)
    assert _exact_return(env, np.zeros((11, 2))) < optimum - 1.0  # the uniform policy
    assert _exact_return(env, history["theta"]) > optimum - 0.1
    assert history["returns"][-50:].mean() > optimum - 0.2
    again = pg.train(env, cfg, seed=0)
    np.testing.assert_array_equal(history["theta"], again["theta"])


def test_train_on_the_maze_collects_chests():
    history = pg.train(TreasureMaze(), pg.PolicyGradientConfig(n_episodes=200), seed=0)
    assert history["returns"][-50:].mean() >= 0.9


def test_validation():
    with pytest.raises(ValueError):
        pg.PolicyGradientConfig(gamma=1.1)
    with pytest.raises(ValueError):
        pg.PolicyGradientConfig(learning_rate=0.0)
    with pytest.raises(TypeError):
        pg.PolicyGradientConfig(baseline="yes")
    with pytest.raises(ValueError):
        pg.PolicyGradientConfig(baseline_learning_rate=2.0)
    with pytest.raises(ValueError, match="shape"):
        pg.softmax_policy(np.zeros(3))
    with pytest.raises(TypeError, match="float"):
        pg.softmax_policy(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="NaN"):
        pg.softmax_policy(np.full((2, 2), np.nan))
    theta = np.zeros((3, 2))
    with pytest.raises(ValueError, match="states"):
        pg.reinforce_gradient(theta, [0, 3], [0, 1], [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="actions"):
        pg.reinforce_gradient(theta, [0, 1], [0], [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="baseline"):
        pg.reinforce_gradient(theta, [0], [0], [1.0], 1.0, baseline=np.zeros(2))
    with pytest.raises(ValueError, match="rewards"):
        pg.returns_to_go([np.nan], 1.0)
    with pytest.raises(TypeError, match="PolicyGradientConfig"):
        pg.train(RandomWalk(), {}, seed=0)
