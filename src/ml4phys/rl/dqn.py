"""Deep Q-network, DQN (Mnih et al. 2015), with a replay buffer and a target network.

The loop of CleanRL's ``dqn.py``: act epsilon-greedily with the online network
:math:`Q_\\theta`, store every transition in a :class:`~ml4phys.rl.buffers.ReplayBuffer`,
and every ``train_frequency`` steps take one gradient step on the Huber loss between
:math:`Q_\\theta(s, a)` and the target

    y = r + gamma * (1 - terminated) * max_a' Q_target(s', a'),

where :math:`Q_{\\text{target}}` is a copy of the online network, refreshed every
``target_network_frequency`` steps as :math:`\\bar\\theta \\leftarrow \\tau\\theta +
(1-\\tau)\\bar\\theta`. ``use_target_network=False`` computes the target with the online
network itself (the ablation of chapter 16); ``double=True`` chooses :math:`a'` with the
online network and evaluates it with the target network (double DQN, van Hasselt et al.
2016).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys._validation import (
    check_bool,
    check_int,
    check_nonnegative,
    check_positive,
)
from ml4phys.rl.buffers import ReplayBuffer
from ml4phys.rl.networks import mlp

__all__ = ["DQNConfig", "update", "train", "epsilon"]


@dataclass
class DQNConfig:
    """Hyperparameters of DQN (names as in CleanRL's ``dqn.py``)."""

    learning_rate: float = 5e-4
    """Step size of Adam."""
    total_timesteps: int = 50_000
    """Environment steps of the whole training."""
    buffer_size: int = 50_000
    """Capacity of the replay buffer."""
    batch_size: int = 64
    """Transitions per gradient step."""
    gamma: float = 0.99
    """Discount factor."""
    tau: float = 1.0
    """Target update rate: 1 copies the online network (hard update), small values average."""
    target_network_frequency: int = 500
    """Steps between two target updates."""
    use_target_network: bool = True
    """Compute targets with the target network (False: with the online network itself)."""
    double: bool = False
    """Double DQN: choose the next action online, evaluate it with the target network."""
    start_e: float = 1.0
    """Exploration rate epsilon at the start."""
    end_e: float = 0.05
    """Exploration rate at the end of its linear decay."""
    exploration_fraction: float = 0.2
    """Fraction of ``total_timesteps`` over which epsilon decays."""
    learning_starts: int = 1_000
    """Steps of random play that fill the buffer before learning starts."""
    train_frequency: int = 1
    """Environment steps between two gradient steps."""
    max_grad_norm: float = 10.0
    """Gradients are clipped to this global norm."""
    hidden: int = 128
    """Width of the two hidden layers of the Q-network."""

    def __post_init__(self) -> None:
        check_positive(self.learning_rate, "learning_rate")
        for name in (
            "total_timesteps",
            "buffer_size",
            "batch_size",
            "target_network_frequency",
            "train_frequency",
            "hidden",
        ):
            check_int(getattr(self, name), name)
        check_int(self.learning_starts, "learning_starts", minimum=0)
        check_bool(self.use_target_network, "use_target_network")
        check_bool(self.double, "double")
        for name in ("gamma", "tau", "start_e", "end_e", "exploration_fraction"):
            value = check_nonnegative(getattr(self, name), name)
            if value > 1:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.tau == 0:
            raise ValueError(
                "tau must be > 0 (0 would never update the target network)"
            )
        check_nonnegative(self.max_grad_norm, "max_grad_norm")


def epsilon(step: int, config: DQNConfig) -> float:
    """The exploration rate at ``step``: linear from ``start_e`` to ``end_e``, then flat."""
    duration = max(1.0, config.exploration_fraction * config.total_timesteps)
    slope = (config.end_e - config.start_e) / duration
    return max(config.end_e, config.start_e + slope * step)


def update(
    q_network: nn.Module,
    target_network: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    config: DQNConfig,
) -> dict[str, float]:
    """One gradient step of DQN on a replay minibatch; returns the loss and mean Q."""
    with torch.no_grad():
        bootstrap = target_network if config.use_target_network else q_network
        next_q = bootstrap(batch["next_obs"])
        if config.double:
            best = q_network(batch["next_obs"]).argmax(1, keepdim=True)
            next_value = next_q.gather(1, best)[:, 0]
        else:
            next_value = next_q.max(1).values
        target = (
            batch["rewards"] + config.gamma * (1 - batch["terminated"]) * next_value
        )
    q = q_network(batch["obs"]).gather(1, batch["actions"][:, None])[:, 0]
    loss = F.smooth_l1_loss(q, target)

    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), config.max_grad_norm)
    optimizer.step()
    return {"loss": loss.item(), "q": q.mean().item()}


def _soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters(), strict=True):
            t.mul_(1 - tau).add_(tau * o)


def train(
    env: gym.Env,
    config: DQNConfig,
    seed: int,
    q_network: nn.Module | None = None,
    callback: Callable[[int, nn.Module], bool] | None = None,
    callback_every: int = 1_000,
) -> dict:
    """Train DQN; returns the history.

    Args:
        env: the environment (flat observations, discrete actions).
        config: the hyperparameters.
        seed: seeds the first reset, the action space (random actions), the network's
            initialisation and the replay sampling.
        q_network: a network ``obs (B, ...) -> Q (B, n_actions)``; default an MLP.
        callback: called as ``callback(step, q_network)`` every ``callback_every`` steps;
            training stops when it returns True.
        callback_every: steps between two calls of ``callback``.

    Returns:
        A dict with ``episode_returns``, ``episode_steps`` (training episodes and the step
        when each ended), ``q_steps`` and ``q_values`` (the mean online Q of the replayed
        batches, every 100 steps), ``steps``, ``seconds``, the ``config`` and the trained
        ``q_network``.
    """
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    seed = check_int(seed, "seed", minimum=0)
    callback_every = check_int(callback_every, "callback_every")
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"need a Discrete action space, got {env.action_space}")
    obs_shape = env.observation_space.shape
    if q_network is None:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            n_in = int(np.prod(obs_shape))
            sizes = [n_in, config.hidden, config.hidden, int(env.action_space.n)]
            q_network = mlp(sizes, activation=nn.ReLU)
    target_network = copy.deepcopy(q_network)
    optimizer = torch.optim.Adam(q_network.parameters(), lr=config.learning_rate)
    buffer = ReplayBuffer(config.buffer_size, obs_shape)
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)

    obs, _ = env.reset(seed=seed)
    running, returns, ends, q_steps, q_values = 0.0, [], [], [], []
    start = time.perf_counter()
    step = 0
    for step in range(1, config.total_timesteps + 1):
        if rng.random() < epsilon(step, config):
            action = int(env.action_space.sample())
        else:
            with torch.no_grad():
                q = q_network(torch.as_tensor(obs, dtype=torch.float32)[None])
            action = int(q.argmax())
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, float(reward), next_obs, terminated)
        running += float(reward)
        obs = next_obs
        if terminated or truncated:
            returns.append(running)
            ends.append(step)
            running = 0.0
            obs, _ = env.reset()
        if step > config.learning_starts and step % config.train_frequency == 0:
            batch = buffer.sample(config.batch_size, rng)
            stats = update(q_network, target_network, optimizer, batch, config)
            if step % 100 == 0:
                q_steps.append(step)
                q_values.append(stats["q"])
            if step % config.target_network_frequency == 0:
                _soft_update(target_network, q_network, config.tau)
        if callback is not None and step % callback_every == 0:
            if callback(step, q_network):
                break
    return {
        "episode_returns": returns,
        "episode_steps": ends,
        "q_steps": q_steps,
        "q_values": q_values,
        "steps": step,
        "seconds": time.perf_counter() - start,
        "config": asdict(config),
        "q_network": q_network,
    }
