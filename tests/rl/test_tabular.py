"""Dynamic programming against linear solves, brute force and the walker's closed form."""

import itertools

import numpy as np
import pytest

from ml4phys.rl import tabular
from ml4phys.rl.envs import RandomWalk


def _random_mdp(n_states=5, n_actions=3, seed=0):
    rng = np.random.default_rng(seed)
    P = rng.random((n_states, n_actions, n_states)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=(n_states, n_actions))
    return P, R


def test_policy_evaluation_is_the_linear_solve():
    P, R = _random_mdp()
    policy = np.random.default_rng(1).dirichlet(np.ones(3), size=5)
    V = tabular.policy_evaluation(P, R, policy, gamma=0.9)
    p_pi, r_pi = np.einsum("sa,sat->st", policy, P), (policy * R).sum(axis=1)
    np.testing.assert_allclose(
        V, np.linalg.solve(np.eye(5) - 0.9 * p_pi, r_pi), atol=1e-8
    )


def test_policy_evaluation_episodic_with_terminal_states():
    env = RandomWalk(n=6, start=2, slip=0.1)
    P, R, terminal = env.transition_model()
    policy = np.tile([0.3, 0.7], (7, 1))
    V = tabular.policy_evaluation(P, R, policy, gamma=1.0, terminal=terminal)
    inner = ~terminal
    p_pi = np.einsum("sa,sat->st", policy, P)[np.ix_(inner, inner)]
    r_pi = (policy * R).sum(axis=1)[inner]
    np.testing.assert_allclose(
        V[inner], np.linalg.solve(np.eye(5) - p_pi, r_pi), atol=1e-8
    )
    assert V[0] == V[6] == 0.0


def test_value_iteration_against_all_deterministic_policies():
    P, R = _random_mdp(n_states=4, n_actions=3, seed=2)
    V, greedy = tabular.value_iteration(P, R, gamma=0.8)
    best = np.full(4, -np.inf)
    for actions in itertools.product(range(3), repeat=4):
        policy = np.eye(3)[list(actions)]
        p_pi = np.einsum("sa,sat->st", policy, P)
        v = np.linalg.solve(np.eye(4) - 0.8 * p_pi, (policy * R).sum(axis=1))
        best = np.maximum(best, v)
    np.testing.assert_allclose(V, best, atol=1e-8)
    v_greedy = tabular.policy_evaluation(P, R, np.eye(3)[greedy], gamma=0.8)
    np.testing.assert_allclose(v_greedy, best, atol=1e-8)
    Q = tabular.q_values(P, R, V, 0.8)
    np.testing.assert_allclose(Q.max(axis=1), V, atol=1e-8)


@pytest.mark.parametrize("left, right, cost", [(1.0, 3.0, 0.1), (2.0, 3.0, 0.5)])
def test_walker_optimum_is_the_closed_form(left, right, cost):
    n, k = 10, 3
    env = RandomWalk(n=n, start=k, left_reward=left, right_reward=right, step_cost=cost)
    P, R, terminal = env.transition_model()
    V, greedy = tabular.value_iteration(P, R, gamma=1.0, terminal=terminal)
    assert V[k] == pytest.approx(max(left - cost * k, right - cost * (n - k)))


def test_finite_horizon_on_a_chain():
    # a ring of 4 states, reward 1 for action 1 from state 3 only
    next_state = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
    reward = np.zeros((4, 2))
    reward[3, 1] = 1.0
    values, actions = tabular.finite_horizon(next_state, reward, np.zeros(4, bool), 8)
    assert values.shape == (9, 4) and actions.shape == (8, 4)
    assert values[8, 0] == 2.0 and values[3, 0] == 0.0 and values[4, 0] == 1.0
    assert actions[0, 3] == 1
    discounted, _ = tabular.finite_horizon(
        next_state, reward, np.zeros(4, bool), 4, 0.5
    )
    assert discounted[4, 0] == pytest.approx(0.5**3)


def test_validation():
    P, R = _random_mdp()
    policy = np.full((5, 3), 1 / 3)
    with pytest.raises(ValueError, match="P must"):
        tabular.value_iteration(P[0], R, 0.9)
    with pytest.raises(ValueError, match="R must"):
        tabular.value_iteration(P, R[:, :2], 0.9)
    with pytest.raises(ValueError, match="probability"):
        tabular.value_iteration(2 * P, R, 0.9)
    with pytest.raises(ValueError, match="finite"):
        tabular.value_iteration(P, np.full_like(R, np.nan), 0.9)
    with pytest.raises(ValueError, match="gamma"):
        tabular.value_iteration(P, R, 1.5)
    with pytest.raises(TypeError, match="gamma"):
        tabular.policy_evaluation(P, R, policy, "0.9")
    with pytest.raises(ValueError, match="sum to 1"):
        tabular.policy_evaluation(P, R, 2 * policy, 0.9)
    with pytest.raises(ValueError, match="terminal"):
        tabular.policy_evaluation(P, R, policy, 0.9, terminal=np.zeros(5))
    with pytest.raises(RuntimeError, match="converge"):
        tabular.policy_evaluation(P, np.ones_like(R), policy, 1.0, max_iter=50)
    with pytest.raises(ValueError, match="next_state"):
        tabular.finite_horizon(
            np.array([[0, 5]]), np.zeros((1, 2)), np.zeros(1, bool), 3
        )
    with pytest.raises(ValueError, match="horizon"):
        tabular.finite_horizon(
            np.array([[0, 0]]), np.zeros((1, 2)), np.zeros(1, bool), 0
        )
    with pytest.raises(TypeError, match="transition_table"):
        tabular.optimal_return(RandomWalk())
