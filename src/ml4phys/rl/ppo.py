"""Proximal policy optimisation, PPO-clip (Schulman et al. 2017), for discrete actions.

The loop of CleanRL's ``ppo.py``: ``n_envs`` environments run side by side for ``n_steps``
steps; GAE (:func:`ml4phys.rl.a2c.gae`) estimates the advantages; then ``n_epochs`` passes
over the rollout in ``n_minibatches`` minibatches minimise

    L = -mean(min(rho A, clip(rho, 1 - eps, 1 + eps) A)) + vf_coef * L_V - ent_coef * H,

with :math:`\\rho = \\pi(a|s) / \\pi_{\\text{old}}(a|s)`. Every part can be switched off for
the ablation of chapter 16: ``clip_coef=None`` (no clipping: the plain importance-weighted
objective), ``vf_coef=0`` (no value loss: the critic stays at its initialisation),
``ent_coef=0`` (no entropy bonus), ``norm_adv=False`` (raw advantages), ``n_epochs=1,
n_minibatches=1`` (one gradient step per rollout, as A2C).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import gymnasium as gym
import torch
from torch import nn

from ml4phys._validation import (
    check_bool,
    check_int,
    check_nonnegative,
    check_positive,
    check_tensor,
)
from ml4phys.rl.a2c import _check_unit, gae, make_agent
from ml4phys.rl.buffers import Rollout, VecRollouts, make_envs

__all__ = ["PPOConfig", "clipped_objective", "update", "train"]


@dataclass
class PPOConfig:
    """Hyperparameters of PPO (names as in the paper and in CleanRL)."""

    learning_rate: float = 2.5e-4
    """Step size of Adam."""
    anneal_lr: bool = True
    """Decrease the learning rate linearly to zero over the training."""
    n_envs: int = 4
    """Number of environments stepped side by side."""
    n_steps: int = 128
    """Steps per environment in one rollout."""
    total_timesteps: int = 100_000
    """Environment steps of the whole training, all environments together."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE's lambda."""
    n_epochs: int = 4
    """Passes over each rollout."""
    n_minibatches: int = 4
    """Minibatches per pass."""
    clip_coef: float | None = 0.2
    """The clipping range epsilon of the ratio; None switches clipping off."""
    norm_adv: bool = True
    """Normalise the advantages to mean 0 and standard deviation 1 in each minibatch."""
    vf_coef: float = 0.5
    """Weight of the value loss (0 switches the critic's training off)."""
    ent_coef: float = 0.01
    """Weight of the entropy bonus."""
    max_grad_norm: float = 0.5
    """Gradients are clipped to this global norm."""
    hidden: int = 64
    """Width of the hidden layers of the default network."""

    def __post_init__(self) -> None:
        check_positive(self.learning_rate, "learning_rate")
        check_bool(self.anneal_lr, "anneal_lr")
        check_bool(self.norm_adv, "norm_adv")
        for name in ("n_envs", "n_steps", "total_timesteps", "n_epochs", "hidden"):
            check_int(getattr(self, name), name)
        check_int(self.n_minibatches, "n_minibatches")
        if (self.n_envs * self.n_steps) % self.n_minibatches:
            raise ValueError(
                f"n_envs * n_steps = {self.n_envs * self.n_steps} must be divisible by "
                f"n_minibatches = {self.n_minibatches}"
            )
        if self.clip_coef is not None:
            check_positive(self.clip_coef, "clip_coef")
        for name in ("vf_coef", "ent_coef", "max_grad_norm"):
            check_nonnegative(getattr(self, name), name)
        _check_unit(self.gamma, "gamma")
        _check_unit(self.gae_lambda, "gae_lambda")


def clipped_objective(
    ratio: torch.Tensor, advantage: torch.Tensor, clip_coef: float | None
) -> torch.Tensor:
    """PPO's surrogate per sample, :math:`\\min(\\rho A, \\operatorname{clip}(\\rho, 1-\\epsilon,
    1+\\epsilon) A)`, to be maximised; ``clip_coef=None`` gives :math:`\\rho A`.

    Args:
        ratio: :math:`\\rho = \\pi(a|s)/\\pi_{old}(a|s)`, any shape.
        advantage: :math:`A`, broadcastable to ``ratio``.
        clip_coef: :math:`\\epsilon > 0`, or None.
    """
    check_tensor(ratio, "ratio", floating=True)
    check_tensor(advantage, "advantage", floating=True)
    if clip_coef is None:
        return ratio * advantage
    clip_coef = check_positive(clip_coef, "clip_coef")
    clipped = torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)
    return torch.min(ratio * advantage, clipped * advantage)


def update(
    agent: nn.Module,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    config: PPOConfig,
    generator: torch.Generator,
) -> dict[str, float]:
    """PPO's update on one rollout: ``n_epochs`` passes of ``n_minibatches`` each."""
    advantages, returns = gae(
        rollout.rewards,
        rollout.values,
        rollout.dones,
        rollout.last_value,
        config.gamma,
        config.gae_lambda,
    )
    obs, actions = rollout.obs.flatten(0, 1), rollout.actions.flatten()
    old_log_prob, advantages = rollout.log_probs.flatten(), advantages.flatten()
    returns = returns.flatten()
    batch = len(actions)
    size = batch // config.n_minibatches
    stats = {
        "policy_loss": 0.0,
        "value_loss": 0.0,
        "entropy": 0.0,
        "clip_fraction": 0.0,
    }
    for _ in range(config.n_epochs):
        order = torch.randperm(batch, generator=generator)
        for start in range(0, batch, size):
            mb = order[start : start + size]
            logits, values = agent(obs[mb])
            log_probs = torch.log_softmax(logits, -1)
            log_prob = log_probs.gather(1, actions[mb, None])[:, 0]
            entropy = -(log_probs.exp() * log_probs).sum(-1).mean()
            adv = advantages[mb]
            if config.norm_adv:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)

            ratio = torch.exp(log_prob - old_log_prob[mb])
            policy_loss = -clipped_objective(ratio, adv, config.clip_coef).mean()
            value_loss = 0.5 * ((values - returns[mb]) ** 2).mean()
            loss = policy_loss + config.vf_coef * value_loss - config.ent_coef * entropy

            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), config.max_grad_norm)
            optimizer.step()
            if config.clip_coef is not None:
                outside = (ratio - 1).abs() > config.clip_coef
                stats["clip_fraction"] += float(outside.float().mean())
            stats["policy_loss"] += policy_loss.item()
            stats["value_loss"] += value_loss.item()
            stats["entropy"] += entropy.item()
    n_updates = config.n_epochs * config.n_minibatches
    return {key: value / n_updates for key, value in stats.items()}


def train(
    env: gym.Env | Callable[[], gym.Env],
    config: PPOConfig,
    seed: int,
    agent: nn.Module | None = None,
    callback: Callable[[int, nn.Module], bool] | None = None,
) -> dict:
    """Train PPO; returns the history.

    Args:
        env: an environment (copied ``n_envs`` times) or a function making one.
        config: the hyperparameters.
        seed: seeds the resets (``seed + i`` for environment ``i``), the action spaces, the
            network's initialisation, the action sampling and the minibatch order.
        agent: a network ``obs -> (logits, value)``; default
            :func:`ml4phys.rl.a2c.make_agent` (an MLP actor-critic).
        callback: called as ``callback(steps, agent)`` after every update; training stops
            when it returns True.

    Returns:
        A dict with ``episode_returns`` and ``episode_steps`` (the training episodes and the
        environment steps when each ended), ``steps``, ``seconds``, the ``config``,
        ``losses`` (one dict per update) and the trained ``agent``.
    """
    if not isinstance(config, PPOConfig):
        raise TypeError(f"config must be a PPOConfig, got {type(config).__name__}")
    seed = check_int(seed, "seed", minimum=0)
    envs = make_envs(env, config.n_envs)
    if agent is None:
        agent = make_agent(envs[0], config.hidden, seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(agent.parameters(), lr=config.learning_rate, eps=1e-5)
    runner = VecRollouts(envs, seed, config.gamma)
    n_updates = max(1, config.total_timesteps // (config.n_envs * config.n_steps))
    losses = []
    start = time.perf_counter()
    for k in range(n_updates):
        if config.anneal_lr:
            optimizer.param_groups[0]["lr"] = config.learning_rate * (1 - k / n_updates)
        rollout = runner.collect(agent, config.n_steps, generator)
        losses.append(update(agent, optimizer, rollout, config, generator))
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
