"""Exact dynamic programming on finite Markov decision processes (chapter 15).

A model is given either as dense arrays ``P`` of shape ``(S, A, S)`` (``P[s, a, s2]`` is the
probability of moving from ``s`` to ``s2`` under action ``a``) and ``R`` of shape ``(S, A)``
(the expected reward of that step), with an optional boolean ``terminal`` of shape ``(S,)``
(the value of a terminal state is 0), or, for deterministic problems such as
:class:`~ml4phys.rl.envs.TreasureMaze`, as tables ``next_state`` (int, ``(S, A)``) and
``reward`` (``(S, A)``).

* :func:`policy_evaluation`: iterative sweeps of the Bellman expectation equation;
* :func:`q_values`: one-step look-ahead ``Q = R + gamma P V``;
* :func:`value_iteration`: the Bellman optimality equation, to a tolerance;
* :func:`finite_horizon`: backward induction over (steps left, state);
* :func:`optimal_return`: the exact optimum of a finite-horizon episode of an environment
  that has a ``transition_table()`` (the treasure maze).
"""

from __future__ import annotations

import numpy as np

from ml4phys._validation import check_int, check_positive, check_real

__all__ = [
    "policy_evaluation",
    "q_values",
    "value_iteration",
    "finite_horizon",
    "optimal_return",
]


def _check_model(P, R, gamma, terminal):
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    if R.shape != P.shape[:2]:
        raise ValueError(f"R must have shape {P.shape[:2]} (S, A), got {R.shape}")
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(R))):
        raise ValueError("P and R must be finite (no NaN or infinity)")
    if np.any(P < 0) or not np.allclose(P.sum(axis=2), 1.0, atol=1e-8):
        raise ValueError("each P[s, a, :] must be a probability distribution")
    gamma = check_real(gamma, "gamma")
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    if terminal is None:
        terminal = np.zeros(P.shape[0], dtype=bool)
    terminal = np.asarray(terminal)
    if terminal.shape != (P.shape[0],) or terminal.dtype != bool:
        raise ValueError(f"terminal must be a bool array of shape ({P.shape[0]},)")
    return P, R, gamma, terminal


def _check_policy(policy, shape):
    policy = np.asarray(policy, dtype=float)
    if policy.shape != shape:
        raise ValueError(f"policy must have shape {shape} (S, A), got {policy.shape}")
    if not np.all(np.isfinite(policy)) or np.any(policy < 0):
        raise ValueError("policy must hold finite non-negative probabilities")
    if not np.allclose(policy.sum(axis=1), 1.0, atol=1e-8):
        raise ValueError("each row of policy must sum to 1")
    return policy


def q_values(P, R, V, gamma: float, terminal=None) -> np.ndarray:
    """One-step look-ahead: ``Q[s, a] = R[s, a] + gamma sum_s2 P[s, a, s2] V[s2]``.

    Args:
        P: transition probabilities, ``(S, A, S)``.
        R: expected rewards, ``(S, A)``.
        V: state values, ``(S,)``.
        gamma: discount factor in [0, 1].
        terminal: bool ``(S,)``; the rows of terminal states are 0.

    Returns:
        Action values, ``(S, A)``.
    """
    P, R, gamma, terminal = _check_model(P, R, gamma, terminal)
    V = np.asarray(V, dtype=float)
    if V.shape != (P.shape[0],) or not np.all(np.isfinite(V)):
        raise ValueError(f"V must be a finite array of shape ({P.shape[0]},)")
    Q = R + gamma * P @ np.where(terminal, 0.0, V)
    Q[terminal] = 0.0
    return Q


def policy_evaluation(
    P,
    R,
    policy,
    gamma: float,
    terminal=None,
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> np.ndarray:
    """State values of a policy by iterating the Bellman expectation equation.

    ``V <- sum_a policy[s, a] (R[s, a] + gamma sum_s2 P[s, a, s2] V[s2])``, with ``V = 0`` on
    terminal states, until no value changes by more than ``tol``.

    Args:
        P: transition probabilities, ``(S, A, S)``.
        R: expected rewards, ``(S, A)``.
        policy: action probabilities, ``(S, A)``, rows summing to 1.
        gamma: discount factor in [0, 1] (1 only if the policy ends episodes surely).
        terminal: bool ``(S,)`` or None.
        tol: stopping tolerance (max-norm of a sweep's change).
        max_iter: most sweeps; a ``RuntimeError`` when they do not converge.

    Returns:
        ``V``, shape ``(S,)``.
    """
    P, R, gamma, terminal = _check_model(P, R, gamma, terminal)
    policy = _check_policy(policy, R.shape)
    tol, max_iter = check_positive(tol, "tol"), check_int(max_iter, "max_iter")
    r_pi = np.einsum("sa,sa->s", policy, R)
    p_pi = np.einsum("sa,sat->st", policy, P)
    r_pi[terminal], p_pi[terminal] = 0.0, 0.0
    V = np.zeros(P.shape[0])
    for _ in range(max_iter):
        new = r_pi + gamma * p_pi @ V
        if np.max(np.abs(new - V)) <= tol:
            return new
        if not np.all(np.isfinite(new)):
            break
        V = new
    raise RuntimeError(
        f"policy evaluation did not converge in {max_iter} sweeps (with gamma = 1 the "
        "policy must end every episode)"
    )


def value_iteration(
    P, R, gamma: float, terminal=None, tol: float = 1e-10, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal state values and a greedy optimal policy by value iteration.

    ``V <- max_a (R[s, a] + gamma sum_s2 P[s, a, s2] V[s2])`` until no value changes by more
    than ``tol``.

    Args:
        P: transition probabilities, ``(S, A, S)``.
        R: expected rewards, ``(S, A)``.
        gamma: discount factor in [0, 1].
        terminal: bool ``(S,)`` or None.
        tol: stopping tolerance.
        max_iter: most sweeps; a ``RuntimeError`` when they do not converge.

    Returns:
        ``(V, policy)``: values ``(S,)`` and greedy actions ``(S,)`` (int).
    """
    P, R, gamma, terminal = _check_model(P, R, gamma, terminal)
    tol, max_iter = check_positive(tol, "tol"), check_int(max_iter, "max_iter")
    V = np.zeros(P.shape[0])
    for _ in range(max_iter):
        Q = R + gamma * P @ V
        Q[terminal] = 0.0
        new = Q.max(axis=1)
        if np.max(np.abs(new - V)) <= tol:
            return new, np.argmax(Q, axis=1)
        V = new
    raise RuntimeError(f"value iteration did not converge in {max_iter} sweeps")


def finite_horizon(
    next_state, reward, terminal, horizon: int, gamma: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Backward induction for a deterministic problem with ``horizon`` steps.

    ``V_0 = 0`` and ``V_k(s) = max_a [reward(s, a) + gamma V_{k-1}(next_state(s, a))]`` for
    ``k`` steps left (``V_k = 0`` on terminal states).

    Args:
        next_state: int ``(S, A)``.
        reward: ``(S, A)``.
        terminal: bool ``(S,)``.
        horizon: number of steps.
        gamma: discount factor in [0, 1].

    Returns:
        ``(values, actions)``: ``values[k]`` the optimal return with ``k`` steps left, shape
        ``(horizon + 1, S)``; ``actions[k - 1]`` an optimal action with ``k`` steps left,
        shape ``(horizon, S)``.
    """
    next_state = np.asarray(next_state)
    reward = np.asarray(reward, dtype=float)
    terminal = np.asarray(terminal)
    if next_state.ndim != 2 or not np.issubdtype(next_state.dtype, np.integer):
        raise ValueError("next_state must be an int array of shape (S, A)")
    n_states = next_state.shape[0]
    if next_state.min() < 0 or next_state.max() >= n_states:
        raise ValueError(f"next_state entries must lie in [0, {n_states})")
    if reward.shape != next_state.shape or not np.all(np.isfinite(reward)):
        raise ValueError(f"reward must be a finite array of shape {next_state.shape}")
    if terminal.shape != (n_states,) or terminal.dtype != bool:
        raise ValueError(f"terminal must be a bool array of shape ({n_states},)")
    horizon = check_int(horizon, "horizon")
    gamma = check_real(gamma, "gamma")
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    values = np.zeros((horizon + 1, n_states))
    actions = np.zeros((horizon, n_states), dtype=int)
    for k in range(1, horizon + 1):
        Q = reward + gamma * values[k - 1][next_state]
        Q[terminal] = 0.0
        values[k], actions[k - 1] = Q.max(axis=1), np.argmax(Q, axis=1)
    return values, actions


def optimal_return(env, gamma: float = 1.0, state: int | None = None) -> float:
    """Exact optimal return of one episode of ``env`` (``env.max_steps`` steps).

    Args:
        env: an environment whose ``unwrapped`` has ``transition_table()``, ``max_steps``
            and ``start_state()`` (the treasure maze).
        gamma: discount factor in [0, 1].
        state: the start state's index (default: ``env.unwrapped.start_state()``).

    Returns:
        The optimal (discounted) return from the start state.
    """
    base = getattr(env, "unwrapped", env)
    if not hasattr(base, "transition_table"):
        raise TypeError(
            "env must provide transition_table() (for example TreasureMaze)"
        )
    next_state, reward, terminal = base.transition_table()
    values, _ = finite_horizon(next_state, reward, terminal, base.max_steps, gamma)
    state = base.start_state() if state is None else check_int(state, "state", 0)
    if state >= len(terminal):
        raise ValueError(f"state must be < {len(terminal)}, got {state}")
    return float(values[-1, state])
