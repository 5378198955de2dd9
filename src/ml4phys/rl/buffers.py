"""Buffers of the deep-RL agents (chapter 16).

* :class:`ReplayBuffer`: the circular store of transitions that DQN and SAC sample
  minibatches from, uniformly, with a NumPy generator (discrete actions by default,
  vectors of continuous actions with ``action_shape`` and ``action_dtype``);
* :class:`Rollout` and :class:`VecRollouts`: the on-policy data of A2C and PPO, ``n_steps``
  transitions from each of ``n_envs`` copies of an environment stepped side by side (a
  vectorised environment written out: one list of environments, one batched forward pass
  of the policy per time step).

Time limits. An episode that ends by *truncation* (CartPole's 500 steps) did not reach a
terminal state, so its last state still has a value. :class:`VecRollouts` adds
``gamma * V(s_last)`` to the reward of a truncated step and then cuts the episode as usual;
the advantage estimate then bootstraps through the time limit instead of treating it as the
end of the world.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from ml4phys._validation import check_int, check_rng

__all__ = ["ReplayBuffer", "Rollout", "VecRollouts", "make_envs"]


class ReplayBuffer:
    """A fixed-capacity store of transitions ``(s, a, r, s', terminated)``.

    When full, the oldest transition is overwritten. :meth:`sample` draws a minibatch
    uniformly (with replacement) with the given generator.

    Args:
        capacity: the number of transitions kept.
        obs_shape: the shape of one observation.
        action_shape: the shape of one action: ``()`` for the index of a discrete action
            (DQN), ``(act_dim,)`` for a continuous one (SAC).
        action_dtype: ``np.int64`` (discrete) or ``np.float32`` (continuous).
    """

    def __init__(
        self,
        capacity: int,
        obs_shape: tuple[int, ...],
        action_shape: tuple[int, ...] = (),
        action_dtype: type = np.int64,
    ) -> None:
        self.capacity = check_int(capacity, "capacity")
        shape = tuple(check_int(s, "obs_shape entries") for s in obs_shape)
        a_shape = tuple(check_int(s, "action_shape entries") for s in action_shape)
        if np.dtype(action_dtype) not in (np.dtype(np.int64), np.dtype(np.float32)):
            raise ValueError(
                f"action_dtype must be np.int64 or np.float32, got {action_dtype!r}"
            )
        self.obs = np.zeros((self.capacity, *shape), dtype=np.float32)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros((self.capacity, *a_shape), dtype=action_dtype)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.position = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        obs: np.ndarray,
        action: int,
        reward: float,
        next_obs: np.ndarray,
        terminated: bool,
    ) -> None:
        """Store one transition (``terminated``: ``next_obs`` is a terminal state)."""
        i = self.position
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.actions[i], self.rewards[i] = action, reward
        self.terminated[i] = float(terminated)
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(
        self, batch_size: int, rng: np.random.Generator
    ) -> dict[str, torch.Tensor]:
        """A minibatch: a dict of tensors ``obs (B, ...)``, ``actions (B, *action_shape)``,
        ``rewards``, ``next_obs``, ``terminated``."""
        batch_size = check_int(batch_size, "batch_size")
        rng = check_rng(rng)
        if self.size == 0:
            raise ValueError("the buffer is empty: add transitions before sampling")
        idx = rng.integers(0, self.size, size=batch_size)
        return {
            "obs": torch.as_tensor(self.obs[idx]),
            "actions": torch.as_tensor(self.actions[idx]),
            "rewards": torch.as_tensor(self.rewards[idx]),
            "next_obs": torch.as_tensor(self.next_obs[idx]),
            "terminated": torch.as_tensor(self.terminated[idx]),
        }


@dataclass
class Rollout:
    """``n_steps`` transitions of ``n_envs`` environments; arrays have shape
    ``(n_steps, n_envs, ...)``.

    Attributes:
        obs: observations :math:`s_t`.
        actions: actions :math:`a_t`.
        log_probs: :math:`\\log\\pi_{\\text{old}}(a_t|s_t)` when acting.
        values: :math:`V(s_t)` when acting.
        rewards: :math:`r_t` (plus :math:`\\gamma V(s_{t+1})` on a truncated step).
        dones: 1 where the episode ended at step ``t`` (terminated or truncated).
        last_value: :math:`V(s_T)` of the observation after the rollout, shape ``(n_envs,)``.
    """

    obs: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    last_value: torch.Tensor


def make_envs(env: gym.Env | Callable[[], gym.Env], n_envs: int) -> list[gym.Env]:
    """``n_envs`` independent copies of an environment (deep copies, or calls of a factory)."""
    n_envs = check_int(n_envs, "n_envs")
    if isinstance(env, gym.Env):
        return [env] + [copy.deepcopy(env) for _ in range(n_envs - 1)]
    if callable(env):
        return [env() for _ in range(n_envs)]
    raise TypeError(
        f"env must be a gymnasium.Env or a function returning one, got {type(env).__name__}"
    )


class VecRollouts:
    """Step ``n_envs`` environments side by side with one policy and collect rollouts.

    Environment ``i`` is reset with ``seed + i`` once; later episodes continue its own
    random stream. Finished episodes are recorded in ``episode_returns`` and
    ``episode_steps`` (the total environment steps when each ended).

    Args:
        envs: the environments (from :func:`make_envs`).
        seed: seed of the first resets.
        gamma: discount, for the bootstrap at a truncation.
    """

    def __init__(self, envs: list[gym.Env], seed: int, gamma: float) -> None:
        self.envs = envs
        self.gamma = gamma
        self.obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)])
        for i, e in enumerate(envs):
            e.action_space.seed(seed + i)
        self.running = np.zeros(len(envs))
        self.steps = 0
        self.episode_returns: list[float] = []
        self.episode_steps: list[int] = []

    def collect(
        self, agent: nn.Module, n_steps: int, generator: torch.Generator
    ) -> Rollout:
        """``n_steps`` steps of every environment, actions sampled from ``agent``'s logits."""
        n = len(self.envs)
        obs_t, act_t, logp_t, val_t, rew_t, done_t = [], [], [], [], [], []
        for _ in range(n_steps):
            obs = torch.as_tensor(self.obs, dtype=torch.float32)
            with torch.no_grad():
                logits, value = agent(obs)
                log_probs = torch.log_softmax(logits, -1)
                action = torch.multinomial(log_probs.exp(), 1, generator=generator)[
                    :, 0
                ]
            rewards, dones = np.zeros(n), np.zeros(n)
            next_obs = []
            for i, env in enumerate(self.envs):
                o, r, terminated, truncated, _ = env.step(int(action[i]))
                self.running[i] += float(r)
                if truncated and not terminated:  # bootstrap through the time limit
                    with torch.no_grad():
                        o_t = torch.as_tensor(o, dtype=torch.float32)[None]
                        r = float(r) + self.gamma * float(agent(o_t)[1][0])
                if terminated or truncated:
                    self.episode_returns.append(float(self.running[i]))
                    self.episode_steps.append(self.steps + (i + 1))
                    self.running[i] = 0.0
                    o, _ = env.reset()
                rewards[i], dones[i] = r, float(terminated or truncated)
                next_obs.append(o)
            self.steps += n
            obs_t.append(obs)
            act_t.append(action)
            logp_t.append(log_probs.gather(1, action[:, None])[:, 0])
            val_t.append(value)
            rew_t.append(torch.as_tensor(rewards, dtype=torch.float32))
            done_t.append(torch.as_tensor(dones, dtype=torch.float32))
            self.obs = np.stack(next_obs)
        with torch.no_grad():
            last_value = agent(torch.as_tensor(self.obs, dtype=torch.float32))[1]
        return Rollout(
            torch.stack(obs_t),
            torch.stack(act_t),
            torch.stack(logp_t),
            torch.stack(val_t),
            torch.stack(rew_t),
            torch.stack(done_t),
            last_value,
        )
