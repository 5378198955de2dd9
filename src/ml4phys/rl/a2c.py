"""Advantage actor-critic (A2C) with generalised advantage estimation (chapter 16).

A2C is the synchronous form of A3C (Mnih et al. 2016): ``n_envs`` copies of the
environment run side by side for ``n_steps`` steps; the advantages of those transitions are
estimated with GAE (Schulman et al. 2016), and one gradient step is taken on

    L = -mean(A_t log pi(a_t|s_t)) + vf_coef * mean((V(s_t) - R_t)^2) - ent_coef * mean(H).

:func:`gae` is the estimator, :func:`update` the one gradient step, :func:`train` the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from ml4phys._validation import (
    check_int,
    check_nonnegative,
    check_positive,
    check_tensor,
)
from ml4phys.rl.buffers import Rollout, VecRollouts, make_envs
from ml4phys.rl.networks import ActorCritic

__all__ = ["A2CConfig", "gae", "update", "train", "make_agent"]


@dataclass
class A2CConfig:
    """Hyperparameters of A2C (names as in the papers and in CleanRL)."""

    learning_rate: float = 7e-4
    """Step size of the optimiser (RMSprop in the paper; Adam here)."""
    n_envs: int = 8
    """Number of environments stepped side by side."""
    n_steps: int = 5
    """Steps per environment between two updates (the rollout length)."""
    total_timesteps: int = 50_000
    """Environment steps of the whole training, all environments together."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 1.0
    """GAE's lambda: 0 is the one-step TD error, 1 the n-step return minus the value."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    ent_coef: float = 0.01
    """Weight of the entropy bonus."""
    max_grad_norm: float = 0.5
    """Gradients are clipped to this global norm."""
    hidden: int = 64
    """Width of the hidden layers of the default network."""

    def __post_init__(self) -> None:
        check_positive(self.learning_rate, "learning_rate")
        for name in ("n_envs", "n_steps", "total_timesteps", "hidden"):
            check_int(getattr(self, name), name)
        for name in ("vf_coef", "ent_coef", "max_grad_norm"):
            check_nonnegative(getattr(self, name), name)
        _check_unit(self.gamma, "gamma")
        _check_unit(self.gae_lambda, "gae_lambda")


def _check_unit(value: float, name: str) -> None:
    value = check_nonnegative(value, name)
    if value > 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates and the value targets of a rollout.

    With :math:`\\delta_t = r_t + \\gamma (1 - d_t) V(s_{t+1}) - V(s_t)`,

    .. math:: \\hat A_t = \\delta_t + \\gamma\\lambda (1 - d_t) \\hat A_{t+1},

    computed backwards from :math:`\\hat A_T = 0` with :math:`V(s_T)` = ``last_value``.
    ``d_t = 1`` means that the episode ended at step ``t``, so nothing after it counts.

    Args:
        rewards: :math:`r_t`, shape ``(T, N)`` (time, environments).
        values: :math:`V(s_t)`, shape ``(T, N)``.
        dones: :math:`d_t` in {0, 1}, shape ``(T, N)``.
        last_value: :math:`V(s_T)`, shape ``(N,)``.
        gamma: discount in [0, 1].
        gae_lambda: lambda in [0, 1].

    Returns:
        ``(advantages, returns)``, both ``(T, N)``; ``returns = advantages + values``
        are the targets of the value function.
    """
    _check_gae_inputs(rewards, values, dones, last_value, gamma, gae_lambda)
    n_steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    next_advantage = torch.zeros_like(last_value)
    next_value = last_value
    for t in reversed(range(n_steps)):
        not_done = 1.0 - dones[t]
        delta = rewards[t] + gamma * not_done * next_value - values[t]
        next_advantage = delta + gamma * gae_lambda * not_done * next_advantage
        advantages[t] = next_advantage
        next_value = values[t]
    return advantages, advantages + values


def _check_gae_inputs(rewards, values, dones, last_value, gamma, gae_lambda) -> None:
    for name, x in (("rewards", rewards), ("values", values), ("dones", dones)):
        check_tensor(x, name, ndim=2, floating=True)
    check_tensor(last_value, "last_value", ndim=1, floating=True)
    if not rewards.shape == values.shape == dones.shape:
        raise ValueError(
            "rewards, values and dones must have the same shape (T, N), got "
            f"{tuple(rewards.shape)}, {tuple(values.shape)}, {tuple(dones.shape)}"
        )
    if last_value.shape[0] != rewards.shape[1]:
        raise ValueError(
            f"last_value must have shape ({rewards.shape[1]},), got {tuple(last_value.shape)}"
        )
    for name, x in (
        ("rewards", rewards),
        ("values", values),
        ("last_value", last_value),
    ):
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    if not ((dones == 0) | (dones == 1)).all():
        raise ValueError("dones must hold only 0 and 1")
    _check_unit(gamma, "gamma")
    _check_unit(gae_lambda, "gae_lambda")


def update(
    agent: nn.Module,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    config: A2CConfig,
) -> dict[str, float]:
    """One A2C gradient step on one rollout; returns the losses."""
    advantages, returns = gae(
        rollout.rewards,
        rollout.values,
        rollout.dones,
        rollout.last_value,
        config.gamma,
        config.gae_lambda,
    )
    obs = rollout.obs.flatten(0, 1)
    logits, values = agent(obs)
    log_probs = torch.log_softmax(logits, -1)
    log_prob = log_probs.gather(1, rollout.actions.flatten()[:, None])[:, 0]
    entropy = -(log_probs.exp() * log_probs).sum(-1).mean()

    policy_loss = -(advantages.flatten() * log_prob).mean()
    value_loss = 0.5 * ((values - returns.flatten()) ** 2).mean()
    loss = policy_loss + config.vf_coef * value_loss - config.ent_coef * entropy

    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(agent.parameters(), config.max_grad_norm)
    optimizer.step()
    return {
        "policy_loss": policy_loss.item(),
        "value_loss": value_loss.item(),
        "entropy": entropy.item(),
    }


def make_agent(env: gym.Env, hidden: int, seed: int) -> ActorCritic:
    """The default :class:`~ml4phys.rl.networks.ActorCritic` for a flat observation space,
    initialised from a generator seeded with ``seed``."""
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"need a Discrete action space, got {env.action_space}")
    obs_dim = int(np.prod(env.observation_space.shape))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return ActorCritic(obs_dim, int(env.action_space.n), hidden)


def train(
    env: gym.Env | Callable[[], gym.Env],
    config: A2CConfig,
    seed: int,
    agent: nn.Module | None = None,
    callback: Callable[[int, nn.Module], bool] | None = None,
) -> dict:
    """Train A2C; returns the history.

    Args:
        env: an environment (copied ``n_envs`` times) or a function making one.
        config: the hyperparameters.
        seed: seeds the resets (``seed + i`` for environment ``i``), the action spaces, the
            network's initialisation and the action sampling.
        agent: a network ``obs -> (logits, value)``; default :func:`make_agent`.
        callback: called as ``callback(steps, agent)`` after every update; training stops
            when it returns True.

    Returns:
        A dict with ``episode_returns`` and ``episode_steps`` (the training episodes and the
        environment steps when each ended), ``steps`` (total), ``seconds``, the ``config``,
        ``losses`` (one dict per update) and the trained ``agent``.
    """
    if not isinstance(config, A2CConfig):
        raise TypeError(f"config must be an A2CConfig, got {type(config).__name__}")
    seed = check_int(seed, "seed", minimum=0)
    envs = make_envs(env, config.n_envs)
    if agent is None:
        agent = make_agent(envs[0], config.hidden, seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(agent.parameters(), lr=config.learning_rate, eps=1e-5)
    runner = VecRollouts(envs, seed, config.gamma)
    losses = []
    start = time.perf_counter()
    while runner.steps < config.total_timesteps:
        rollout = runner.collect(agent, config.n_steps, generator)
        losses.append(update(agent, optimizer, rollout, config))
        if callback is not None and callback(runner.steps, agent):
            break
    return {
        "episode_returns": runner.episode_returns,
        "episode_steps": runner.episode_steps,
        "steps": runner.steps,
        "seconds": time.perf_counter() - start,
        "config": asdict(config),
        "losses": losses,
        "agent": agent,
    }
