"""Small networks of the deep-RL agents (chapter 16), and the greedy evaluation of a policy.

* :func:`mlp`: a fully connected network with orthogonal initialisation, as CleanRL's PPO
  initialises it (gain :math:`\\sqrt 2` in the hidden layers, a chosen gain at the output);
* :class:`ActorCritic`: one MLP body per head, the policy logits and the state value;
* :class:`ConvActorCritic`: a small convolutional network that sees a grid observation of
  shape ``(channels, H, W)`` (the treasure maze with ``observation="grid"``);
* :func:`evaluate`: the returns of a policy's evaluation episodes, with seeded resets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from ml4phys._validation import check_callable, check_int

__all__ = ["init_weights", "mlp", "ActorCritic", "ConvActorCritic", "evaluate"]


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """Re-draw every ``nn.Linear`` of ``module`` from ``generator``, in place.

    The distribution is PyTorch's default, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for
    the weights and the biases, but the draws come from the given generator instead of
    the global random state (TRPO and SAC initialise their networks this way).
    """
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator, got {type(generator).__name__}"
        )
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)


def _init(layer: nn.Module, gain: float) -> nn.Module:
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


def mlp(
    sizes: Sequence[int],
    activation: type[nn.Module] = nn.Tanh,
    out_gain: float = 1.0,
) -> nn.Sequential:
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]``, orthogonally initialised.

    Args:
        sizes: the layer widths, at least two (input and output).
        activation: the activation class between layers (none after the last).
        out_gain: gain of the orthogonal initialisation of the last layer (0.01 for policy
            logits, so that the first policy is nearly uniform; 1 for values).

    Returns:
        A network mapping ``(batch, sizes[0])`` to ``(batch, sizes[-1])``.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError("sizes must be a sequence of ints, e.g. [4, 64, 64, 2]")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least two widths, got {list(sizes)}")
    sizes = [check_int(s, "each width in sizes") for s in sizes]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        layers.append(_init(nn.Linear(a, b), out_gain if last else math.sqrt(2)))
        if not last:
            layers.append(activation())
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """Policy and value networks for a flat observation and discrete actions.

    Args:
        obs_dim: length of the observation vector.
        n_actions: number of actions.
        hidden: width of the two hidden layers of each network.

    ``forward(obs)`` maps ``(batch, obs_dim)`` to the logits ``(batch, n_actions)`` and the
    values ``(batch,)``.
    """

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        obs_dim = check_int(obs_dim, "obs_dim")
        n_actions = check_int(n_actions, "n_actions")
        hidden = check_int(hidden, "hidden")
        self.actor = mlp([obs_dim, hidden, hidden, n_actions], out_gain=0.01)
        self.critic = mlp([obs_dim, hidden, hidden, 1], out_gain=1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.actor(obs), self.critic(obs).squeeze(-1)


class ConvActorCritic(nn.Module):
    """A convolutional policy and value network for grid observations.

    Two 3x3 convolutions (padding 1, so the map keeps its size) see the grid; the policy and
    the value are linear read-outs of the flattened feature map, so every cell of the maze
    can matter.

    Args:
        obs_shape: ``(channels, H, W)`` of one observation.
        n_actions: number of actions.
        channels: feature maps of each convolution.
        hidden: width of the shared layer after the convolutions.

    ``forward(obs)`` maps ``(batch, channels, H, W)`` to logits ``(batch, n_actions)`` and
    values ``(batch,)``.
    """

    def __init__(
        self,
        obs_shape: Sequence[int],
        n_actions: int,
        channels: int = 16,
        hidden: int = 64,
    ) -> None:
        super().__init__()
        if len(obs_shape) != 3:
            raise ValueError(f"obs_shape must be (channels, H, W), got {obs_shape}")
        c, h, w = (check_int(s, "obs_shape entries") for s in obs_shape)
        n_actions = check_int(n_actions, "n_actions")
        channels = check_int(channels, "channels")
        hidden = check_int(hidden, "hidden")
        g = math.sqrt(2)
        self.body = nn.Sequential(
            _init(nn.Conv2d(c, channels, 3, padding=1), g),
            nn.ReLU(),
            _init(nn.Conv2d(channels, channels, 3, padding=1), g),
            nn.ReLU(),
            nn.Flatten(),
            _init(nn.Linear(channels * h * w, hidden), g),
            nn.ReLU(),
        )
        self.actor = _init(nn.Linear(hidden, n_actions), 0.01)
        self.critic = _init(nn.Linear(hidden, 1), 1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(obs)
        return self.actor(features), self.critic(features).squeeze(-1)


def evaluate(
    env: gym.Env,
    act: Callable[[np.ndarray], int],
    n_episodes: int,
    seed: int,
) -> np.ndarray:
    """Returns of ``n_episodes`` evaluation episodes of the policy ``act``.

    Episode ``k`` starts with ``env.reset(seed=seed + k)``, so an evaluation is reproducible
    and two evaluations with different seeds see different starts.

    Args:
        env: the environment (it is reset; its episodes end by termination or truncation).
        act: maps one observation to one action (greedy or sampled: the caller decides).
        n_episodes: how many episodes.
        seed: seed of the first reset.

    Returns:
        The undiscounted returns, shape ``(n_episodes,)``.
    """
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
    check_callable(act, "act")
    n_episodes = check_int(n_episodes, "n_episodes")
    seed = check_int(seed, "seed", minimum=0)
    returns = np.zeros(n_episodes)
    for k in range(n_episodes):
        obs, _ = env.reset(seed=seed + k)
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            returns[k] += float(reward)
            done = terminated or truncated
    return returns
