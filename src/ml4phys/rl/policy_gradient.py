"""Tabular softmax REINFORCE, with and without a baseline (Williams 1992; chapter 15).

The policy is a table of logits ``theta`` of shape ``(n_states, n_actions)``,
``pi(a | s) = softmax(theta[s])[a]``. After an episode ``s_0, a_0, r_1, s_1, ...`` the
REINFORCE estimate of the gradient of the expected discounted return is

    g = sum_t gamma^t (G_t - b(s_t)) grad_theta log pi(a_t | s_t),

with the return-to-go ``G_t = sum_k gamma^k r_{t+k+1}`` and a baseline ``b`` (zero without
one). For a softmax table, ``grad log pi(a | s)`` is ``onehot(a) - pi(. | s)`` in row ``s``
and zero elsewhere. The baseline here is a table of state values, learned alongside by
Monte-Carlo regression ``b(s_t) <- b(s_t) + baseline_learning_rate (G_t - b(s_t))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml4phys._validation import check_bool, check_int, check_nonnegative, check_positive

__all__ = [
    "PolicyGradientConfig",
    "softmax_policy",
    "returns_to_go",
    "reinforce_gradient",
    "update",
    "train",
    "rollout",
]


@dataclass
class PolicyGradientConfig:
    """Hyperparameters of tabular REINFORCE."""

    n_episodes: int = 1000
    """Number of training episodes (one gradient step each)."""
    gamma: float = 1.0
    """Discount factor of the return, in [0, 1]."""
    learning_rate: float = 0.1
    """Step size of the gradient ascent on the logits."""
    baseline: bool = True
    """Subtract a learned state-value baseline from the returns."""
    baseline_learning_rate: float = 0.1
    """Step size of the baseline's Monte-Carlo regression, in (0, 1]."""

    def __post_init__(self) -> None:
        self.n_episodes = check_int(self.n_episodes, "n_episodes")
        self.gamma = check_nonnegative(self.gamma, "gamma")
        if self.gamma > 1:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")
        self.learning_rate = check_positive(self.learning_rate, "learning_rate")
        check_bool(self.baseline, "baseline")
        self.baseline_learning_rate = check_positive(
            self.baseline_learning_rate, "baseline_learning_rate"
        )
        if self.baseline_learning_rate > 1:
            raise ValueError(
                f"baseline_learning_rate must be in (0, 1], got {self.baseline_learning_rate}"
            )


def softmax_policy(theta: np.ndarray) -> np.ndarray:
    """Action probabilities ``softmax(theta[s])`` per state.

    Args:
        theta: logits, shape ``(n_states, n_actions)``.

    Returns:
        Probabilities, shape ``(n_states, n_actions)``, rows summing to 1.
    """
    theta = _check_table(theta, "theta")
    z = np.exp(theta - theta.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def returns_to_go(rewards, gamma: float) -> np.ndarray:
    """``G_t = r_{t+1} + gamma r_{t+2} + ...`` for every step of an episode.

    Args:
        rewards: the rewards ``r_1 .. r_T``, shape ``(T,)``.
        gamma: discount factor in [0, 1].

    Returns:
        ``G``, shape ``(T,)``.
    """
    rewards = np.asarray(rewards, dtype=float)
    if rewards.ndim != 1 or not np.all(np.isfinite(rewards)):
        raise ValueError("rewards must be a finite 1-d array")
    gamma = check_nonnegative(gamma, "gamma")
    G = np.zeros_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        G[t] = running
    return G


def reinforce_gradient(theta, states, actions, rewards, gamma: float, baseline=None):
    """The REINFORCE estimate of the policy gradient from one episode.

    Args:
        theta: logits, ``(n_states, n_actions)``.
        states: ``s_0 .. s_{T-1}``, int ``(T,)``.
        actions: ``a_0 .. a_{T-1}``, int ``(T,)``.
        rewards: ``r_1 .. r_T``, ``(T,)``.
        gamma: discount factor in [0, 1].
        baseline: state values ``(n_states,)`` subtracted from the returns, or None.

    Returns:
        The estimate ``g``, shape ``(n_states, n_actions)``.
    """
    pi = softmax_policy(theta)
    states, actions = _check_episode(states, actions, rewards, pi.shape)
    G = returns_to_go(rewards, gamma)
    if baseline is not None:
        baseline = np.asarray(baseline, dtype=float)
        if baseline.shape != (pi.shape[0],) or not np.all(np.isfinite(baseline)):
            raise ValueError(
                f"baseline must be a finite array of shape ({pi.shape[0]},)"
            )
        G = G - baseline[states]
    weight = gamma ** np.arange(len(G)) * G
    grad = np.zeros_like(pi)
    np.add.at(grad, (states, actions), weight)  # onehot(a_t) part
    np.add.at(grad, states, -weight[:, None] * pi[states])  # - pi(. | s_t) part
    return grad


def update(theta, values, episode, config: PolicyGradientConfig) -> dict:
    """One REINFORCE step after one episode, on ``theta`` (and ``values``) in place.

    Args:
        theta: logits, ``(n_states, n_actions)``, modified in place.
        values: the baseline table ``(n_states,)``, modified in place when
            ``config.baseline``.
        episode: ``(states, actions, rewards)`` of one episode.
        config: the hyperparameters.

    Returns:
        ``{"return": G_0, "grad_norm": |g|}`` of this episode.
    """
    states, actions, rewards = episode
    G = returns_to_go(rewards, config.gamma)
    baseline = values if config.baseline else None
    grad = reinforce_gradient(theta, states, actions, rewards, config.gamma, baseline)
    theta += config.learning_rate * grad
    if config.baseline:
        for s, g in zip(states, G):  # Monte-Carlo regression of the baseline
            values[s] += config.baseline_learning_rate * (g - values[s])
    return {"return": float(G[0]), "grad_norm": float(np.linalg.norm(grad))}


def rollout(env, policy, rng: np.random.Generator, seed: int | None = None):
    """Play one episode sampling actions from ``policy`` (``(n_states, n_actions)``).

    Returns:
        ``(states, actions, rewards)`` as arrays of equal length.
    """
    state, _ = env.reset(seed=seed)
    states, actions, rewards = [], [], []
    done = False
    while not done:
        p = policy[state]
        action = int(
            min(np.searchsorted(np.cumsum(p), rng.random() * p.sum()), len(p) - 1)
        )
        next_state, reward, terminated, truncated, _ = env.step(action)
        states.append(state)
        actions.append(action)
        rewards.append(reward)
        state, done = next_state, terminated or truncated
    return np.array(states), np.array(actions), np.array(rewards, dtype=float)


def train(env, config: PolicyGradientConfig, seed: int) -> dict:
    """Train a tabular softmax policy on ``env`` by REINFORCE.

    Seeding: the first ``env.reset(seed=seed)`` seeds the environment, and
    ``np.random.default_rng(seed)`` samples the actions.

    Args:
        env: a Gymnasium environment with ``Discrete`` observation and action spaces.
        config: the hyperparameters.
        seed: the seed of the run (a non-negative int).

    Returns:
        ``{"theta": (n_states, n_actions), "values": (n_states,), "returns": (n_episodes,),
        "lengths": (n_episodes,)}`` with the undiscounted return of each training episode.
    """
    from ml4phys.rl.q_learning import _check_env

    n_states, n_actions = _check_env(env)
    if not isinstance(config, PolicyGradientConfig):
        raise TypeError(
            f"config must be a PolicyGradientConfig, got {type(config).__name__}"
        )
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    theta = np.zeros((n_states, n_actions))
    values = np.zeros(n_states)
    returns = np.zeros(config.n_episodes)
    lengths = np.zeros(config.n_episodes, dtype=int)
    for i in range(config.n_episodes):
        episode = rollout(
            env, softmax_policy(theta), rng, seed=seed if i == 0 else None
        )
        update(theta, values, episode, config)
        returns[i], lengths[i] = episode[2].sum(), len(episode[2])
    return {"theta": theta, "values": values, "returns": returns, "lengths": lengths}


def _check_table(theta, name):
    theta = np.asarray(theta)
    if theta.ndim != 2 or 0 in theta.shape:
        raise ValueError(
            f"{name} must have shape (n_states, n_actions), got {theta.shape}"
        )
    if not np.issubdtype(theta.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {theta.dtype}")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return theta


def _check_episode(states, actions, rewards, shape):
    states, actions = np.asarray(states), np.asarray(actions)
    n = len(np.asarray(rewards))
    for name, x, size in (("states", states, shape[0]), ("actions", actions, shape[1])):
        if x.shape != (n,) or not np.issubdtype(x.dtype, np.integer):
            raise ValueError(
                f"{name} must be an int array of shape ({n},) like rewards"
            )
        if n and (x.min() < 0 or x.max() >= size):
            raise ValueError(f"{name} must lie in [0, {size})")
    if n == 0:
        raise ValueError("the episode is empty")
    return states, actions
