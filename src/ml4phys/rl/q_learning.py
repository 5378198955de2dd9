"""Tabular Q-learning with epsilon-greedy exploration (Watkins 1989; Sutton & Barto, 6.5).

One readable file, as CleanRL writes an agent: a config, one :func:`update` (the temporal-
difference step the chapter shows), a :func:`train` loop and :func:`greedy_policy`. The
environment must have ``Discrete`` observation and action spaces (a wrapper may map other
observations to an index).

The update of the action value after the transition ``(s, a, r, s')`` is

    Q(s, a) <- Q(s, a) + alpha * [r + gamma * max_a' Q(s', a') - Q(s, a)],

where the bracket is the temporal-difference error and the bootstrap term is dropped when
``s'`` is terminal. A truncated episode (time limit) still bootstraps: the state ``s'`` is not
an end of the task, only of the episode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml4phys._validation import check_int, check_nonnegative, check_real

__all__ = ["QLearningConfig", "update", "train", "greedy_policy", "epsilon_at"]


@dataclass
class QLearningConfig:
    """Hyperparameters of tabular Q-learning."""

    n_episodes: int = 500
    """Number of training episodes."""
    gamma: float = 0.99
    """Discount factor of the return, in [0, 1]."""
    learning_rate: float = 0.1
    """Step size alpha of the temporal-difference update, in (0, 1]."""
    epsilon_start: float = 1.0
    """Exploration probability of the first episode, in [0, 1]."""
    epsilon_end: float = 0.05
    """Exploration probability once the decay is over, in [0, 1]."""
    epsilon_decay_episodes: int = 300
    """Episodes over which epsilon decays linearly from start to end (0: no decay)."""
    q_init: float = 0.0
    """Initial value of every entry of the table (optimistic when above the returns)."""

    def __post_init__(self) -> None:
        self.n_episodes = check_int(self.n_episodes, "n_episodes")
        self.gamma = _unit(self.gamma, "gamma")
        self.learning_rate = _unit(self.learning_rate, "learning_rate")
        if self.learning_rate == 0:
            raise ValueError("learning_rate must be in (0, 1], got 0.0")
        self.epsilon_start = _unit(self.epsilon_start, "epsilon_start")
        self.epsilon_end = _unit(self.epsilon_end, "epsilon_end")
        self.epsilon_decay_episodes = check_int(
            self.epsilon_decay_episodes, "epsilon_decay_episodes", minimum=0
        )
        self.q_init = check_real(self.q_init, "q_init")


def _unit(value: object, name: str) -> float:
    value = check_nonnegative(value, name)
    if value > 1:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def update(
    q: np.ndarray,
    state: int,
    action: int,
    reward: float,
    next_state: int,
    terminated: bool,
    config: QLearningConfig,
) -> float:
    """One Q-learning step on the table ``q``, in place; returns the TD error.

    Args:
        q: action values, shape ``(n_states, n_actions)``, float; modified in place.
        state: the state ``s`` the action was taken in.
        action: the action ``a``.
        reward: the reward ``r`` received.
        next_state: the state ``s'`` reached.
        terminated: whether ``s'`` ends the task (no bootstrap from it).
        config: supplies ``gamma`` and ``learning_rate``.

    Returns:
        The temporal-difference error ``r + gamma max Q(s', .) - Q(s, a)``, before
        the step.
    """
    bootstrap = 0.0 if terminated else config.gamma * np.max(q[next_state])
    td_error = reward + bootstrap - q[state, action]
    q[state, action] += config.learning_rate * td_error
    return float(td_error)


def epsilon_at(episode: int, config: QLearningConfig) -> float:
    """Exploration probability of episode ``episode`` (0-based): a linear decay."""
    if config.epsilon_decay_episodes == 0:
        return config.epsilon_end
    fraction = min(1.0, episode / config.epsilon_decay_episodes)
    return config.epsilon_start + fraction * (config.epsilon_end - config.epsilon_start)


def _argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> int:
    best = np.flatnonzero(values == values.max())
    return int(best[0] if best.size == 1 else rng.choice(best))


def train(env, config: QLearningConfig, seed: int) -> dict:
    """Train a table of action values on ``env`` by epsilon-greedy Q-learning.

    Seeding: the first ``env.reset(seed=seed)`` seeds the environment (later resets continue
    its stream), ``env.action_space.seed(seed)`` the random actions, and
    ``np.random.default_rng(seed)`` the exploration coin and the tie-breaking among equal
    action values.

    Args:
        env: a Gymnasium environment with ``Discrete`` observation and action spaces.
        config: the hyperparameters.
        seed: the seed of the run (a non-negative int).

    Returns:
        A dict with ``"q"``: the table, shape ``(n_states, n_actions)``; ``"returns"`` and
        ``"lengths"``: the undiscounted return and the number of steps of each training
        episode, shape ``(n_episodes,)``; ``"epsilon"``: the exploration probability of each
        episode, shape ``(n_episodes,)``.
    """
    n_states, n_actions = _check_env(env)
    if not isinstance(config, QLearningConfig):
        raise TypeError(
            f"config must be a QLearningConfig, got {type(config).__name__}"
        )
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    q = np.full((n_states, n_actions), config.q_init, dtype=float)
    returns = np.zeros(config.n_episodes)
    lengths = np.zeros(config.n_episodes, dtype=int)
    epsilons = np.zeros(config.n_episodes)

    for episode in range(config.n_episodes):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        epsilon = epsilons[episode] = epsilon_at(episode, config)
        done = False
        while not done:
            if rng.random() < epsilon:
                action = int(env.action_space.sample())
            else:
                action = _argmax_random_ties(q[state], rng)
            next_state, reward, terminated, truncated, _ = env.step(action)
            update(q, state, action, reward, next_state, terminated, config)
            returns[episode] += reward
            lengths[episode] += 1
            state = next_state
            done = terminated or truncated
    return {"q": q, "returns": returns, "lengths": lengths, "epsilon": epsilons}


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """The greedy policy of a table: ``argmax_a q[s, a]`` per state (first maximum on ties).

    Args:
        q: action values, shape ``(n_states, n_actions)``.

    Returns:
        Actions, shape ``(n_states,)``, int.
    """
    q = np.asarray(q)
    if q.ndim != 2 or q.shape[0] == 0 or q.shape[1] == 0:
        raise ValueError(f"q must have shape (n_states, n_actions), got {q.shape}")
    if not np.issubdtype(q.dtype, np.number) or np.issubdtype(
        q.dtype, np.complexfloating
    ):
        raise TypeError(f"q must hold real numbers, got dtype {q.dtype}")
    if not np.all(np.isfinite(q)):
        raise ValueError("q contains NaN or infinite values")
    return np.argmax(q, axis=1).astype(int)


def _check_env(env) -> tuple[int, int]:
    from gymnasium import spaces

    obs_space = getattr(env, "observation_space", None)
    act_space = getattr(env, "action_space", None)
    if not isinstance(obs_space, spaces.Discrete) or not isinstance(
        act_space, spaces.Discrete
    ):
        raise TypeError(
            "env must have Discrete observation and action spaces (wrap it to map its "
            f"observations to an index), got {obs_space!r} and {act_space!r}"
        )
    return int(obs_space.n), int(act_space.n)
