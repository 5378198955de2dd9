"""Soft actor-critic (SAC) for continuous actions, in one readable file.

SAC :cite:`haarnoja2018` maximises the return plus an entropy bonus,
``sum_t r_t + alpha * H(pi(.|s_t))``. It learns

* a Gaussian policy squashed by ``tanh`` into the action box, sampled with the
  reparametrisation ``a = tanh(mu + sigma * eps)``; its log-density carries the
  change-of-variables correction (:func:`squashed_gaussian_log_prob`);
* two soft Q critics (the smaller of the two is used, against over-estimation), each
  with a target copy that follows it by Polyak averaging with rate ``tau``
  (:func:`soft_update`);
* the temperature ``alpha``, tuned so that the policy's entropy stays near a target
  (``-dim A`` by default) :cite:`haarnoja2018b`.

The layout follows CleanRL's ``sac_continuous_action.py``: a config, the networks, one
:func:`update` step (the chapter shows it) and a :func:`train` loop. Off-policy
transitions live in the replay buffer of DQN, :class:`ml4phys.rl.buffers.ReplayBuffer`,
here with continuous actions.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ml4phys._validation import (
    check_bool,
    check_int,
    check_nonnegative,
    check_positive,
    check_real,
    check_tensor,
)
from ml4phys.rl.buffers import ReplayBuffer
from ml4phys.rl.networks import init_weights

__all__ = [
    "SACConfig",
    "Actor",
    "SoftQ",
    "squashed_gaussian_log_prob",
    "soft_update",
    "make_agent",
    "Agent",
    "update",
    "train",
    "evaluate",
    "rollout",
]

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0


@dataclass
class SACConfig:
    """Hyper-parameters of soft actor-critic (names as in the paper and in CleanRL)."""

    total_timesteps: int = 10_000
    """Environment steps of the whole run."""
    learning_starts: int = 500
    """Steps with uniformly random actions before the first update."""
    buffer_size: int = 100_000
    """Capacity of the replay buffer (transitions)."""
    batch_size: int = 128
    """Transitions per gradient step."""
    gamma: float = 0.99
    """Discount factor."""
    tau: float = 0.005
    """Polyak rate of the target critics: ``target <- tau online + (1-tau) target``."""
    policy_lr: float = 3e-4
    """Adam learning rate of the policy (and of ``log alpha``)."""
    q_lr: float = 1e-3
    """Adam learning rate of the two critics."""
    hidden: int = 128
    """Width of the two hidden layers of every network."""
    alpha: float = 0.2
    """Entropy temperature (the initial value when ``autotune`` is on)."""
    autotune: bool = True
    """Tune ``alpha`` so that the policy entropy tracks ``target_entropy``."""
    target_entropy: float | None = None
    """Entropy target of the tuning; ``None`` means ``-dim A``."""
    eval_every: int = 1000
    """Evaluate the deterministic policy every so many steps (0: never)."""
    eval_episodes: int = 3
    """Episodes of each of those evaluations."""

    def __post_init__(self) -> None:
        self.total_timesteps = check_int(self.total_timesteps, "total_timesteps")
        self.learning_starts = check_int(self.learning_starts, "learning_starts", 0)
        self.buffer_size = check_int(self.buffer_size, "buffer_size")
        self.batch_size = check_int(self.batch_size, "batch_size")
        self.gamma = check_nonnegative(self.gamma, "gamma")
        if self.gamma > 1:
            raise ValueError(f"gamma must lie in [0, 1], got {self.gamma}")
        self.tau = check_positive(self.tau, "tau")
        if self.tau > 1:
            raise ValueError(f"tau must lie in (0, 1], got {self.tau}")
        self.policy_lr = check_positive(self.policy_lr, "policy_lr")
        self.q_lr = check_positive(self.q_lr, "q_lr")
        self.hidden = check_int(self.hidden, "hidden")
        self.alpha = check_positive(self.alpha, "alpha")
        check_bool(self.autotune, "autotune")
        if self.target_entropy is not None:
            self.target_entropy = check_real(self.target_entropy, "target_entropy")
        self.eval_every = check_int(self.eval_every, "eval_every", 0)
        self.eval_episodes = check_int(self.eval_episodes, "eval_episodes")


def _mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, n_out),
    )


def squashed_gaussian_log_prob(
    u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """Log-density of ``a = scale * tanh(u) + bias``, ``u ~ N(mean, exp(log_std)^2)``.

    By the change of variables,
    ``log p(a) = log N(u) - sum_i log(scale_i (1 - tanh^2 u_i))``;
    ``log(1 - tanh^2 u)`` is computed as ``2 (log 2 - u - softplus(-2u))``, which stays
    finite where ``tanh u`` rounds to 1.

    Args:
        u: pre-squash samples, shape ``(batch, act_dim)``.
        mean: Gaussian means, same shape.
        log_std: Gaussian log standard deviations, same shape.
        scale: half-widths of the action box, shape ``(act_dim,)``.

    Returns:
        The log-density of each action, shape ``(batch,)``.
    """
    check_tensor(u, "u", 2, floating=True)
    if mean.shape != u.shape or log_std.shape != u.shape:
        raise ValueError(
            f"mean {tuple(mean.shape)} and log_std {tuple(log_std.shape)} must have "
            f"the shape of u {tuple(u.shape)}"
        )
    gauss = (
        -0.5 * ((u - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
    )
    log_det = 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u)) + torch.log(scale)
    return (gauss - log_det).sum(dim=1)


class Actor(nn.Module):
    """Gaussian policy squashed into the action box ``[low, high]`` by ``tanh``.

    Args:
        obs_dim: size of an observation.
        low: lower bounds of the action box, shape ``(act_dim,)``.
        high: upper bounds, same shape.
        hidden: width of the hidden layers.
    """

    def __init__(self, obs_dim: int, low, high, hidden: int = 128) -> None:
        super().__init__()
        low = torch.as_tensor(np.asarray(low, dtype=np.float32))
        high = torch.as_tensor(np.asarray(high, dtype=np.float32))
        if low.dim() != 1 or low.shape != high.shape or not bool((low < high).all()):
            raise ValueError(
                "low and high must be 1-d arrays of one shape with low < high"
            )
        self.net = _mlp(check_int(obs_dim, "obs_dim"), 2 * low.numel(), hidden)
        self.register_buffer("action_scale", (high - low) / 2)
        self.register_buffer("action_bias", (high + low) / 2)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log standard deviation of ``u``, each ``(batch, act_dim)``."""
        mean, log_std = self.net(obs).chunk(2, dim=-1)
        log_std = torch.tanh(log_std)  # squash into [LOG_STD_MIN, LOG_STD_MAX]
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (log_std + 1)
        return mean, log_std

    def sample(
        self, obs: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reparametrised action, its log-density, and the deterministic (mean) action.

        Args:
            obs: observations, shape ``(batch, obs_dim)``.
            generator: the source of the noise ``eps``.

        Returns:
            ``(action, log_prob, mean_action)``, shapes ``(batch, act_dim)``,
            ``(batch,)``, ``(batch, act_dim)``.
        """
        mean, log_std = self(obs)
        eps = torch.randn(mean.shape, generator=generator)
        u = mean + log_std.exp() * eps
        action = torch.tanh(u) * self.action_scale + self.action_bias
        log_prob = squashed_gaussian_log_prob(u, mean, log_std, self.action_scale)
        mean_action = torch.tanh(mean) * self.action_scale + self.action_bias
        return action, log_prob, mean_action


class SoftQ(nn.Module):
    """A soft Q critic ``Q(s, a)``: an MLP on the concatenated observation, action."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.net = _mlp(obs_dim + act_dim, 1, hidden)

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Q values, shape ``(batch,)``."""
        return self.net(torch.cat([obs, action], dim=1)).squeeze(-1)


@torch.no_grad()
def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """Polyak averaging in place: ``target <- tau * source + (1 - tau) * target``."""
    tau = check_positive(tau, "tau")
    if tau > 1:
        raise ValueError(f"tau must lie in (0, 1], got {tau}")
    for t, s in zip(target.parameters(), source.parameters(), strict=True):
        t.mul_(1.0 - tau).add_(s, alpha=tau)


@dataclass
class Agent:
    """The networks and optimizers of one SAC run (built by :func:`make_agent`)."""

    actor: Actor
    qf1: SoftQ
    qf2: SoftQ
    qf1_target: SoftQ
    qf2_target: SoftQ
    log_alpha: torch.Tensor
    q_optimizer: torch.optim.Optimizer
    actor_optimizer: torch.optim.Optimizer
    alpha_optimizer: torch.optim.Optimizer | None
    target_entropy: float
    alpha: float = field(default=0.2)


def make_agent(
    obs_dim: int, low, high, config: SACConfig, generator: torch.Generator
) -> Agent:
    """Networks, target copies and optimizers for a box action space ``[low, high]``.

    The initial weights are drawn from ``generator`` (see :func:`init_weights`).
    """
    act_dim = len(np.atleast_1d(low))
    actor = Actor(obs_dim, low, high, config.hidden)
    qf1, qf2 = (
        SoftQ(obs_dim, act_dim, config.hidden),
        SoftQ(obs_dim, act_dim, config.hidden),
    )
    for net in (actor, qf1, qf2):
        init_weights(net, generator)
    qf1_target = SoftQ(obs_dim, act_dim, config.hidden)
    qf2_target = SoftQ(obs_dim, act_dim, config.hidden)
    qf1_target.load_state_dict(qf1.state_dict())
    qf2_target.load_state_dict(qf2.state_dict())
    log_alpha = torch.tensor(math.log(config.alpha), requires_grad=config.autotune)
    target = -float(act_dim) if config.target_entropy is None else config.target_entropy
    return Agent(
        actor=actor,
        qf1=qf1,
        qf2=qf2,
        qf1_target=qf1_target,
        qf2_target=qf2_target,
        log_alpha=log_alpha,
        q_optimizer=torch.optim.Adam(
            list(qf1.parameters()) + list(qf2.parameters()), lr=config.q_lr
        ),
        actor_optimizer=torch.optim.Adam(actor.parameters(), lr=config.policy_lr),
        alpha_optimizer=(
            torch.optim.Adam([log_alpha], lr=config.policy_lr)
            if config.autotune
            else None
        ),
        target_entropy=target,
        alpha=config.alpha,
    )


def update(
    agent: Agent,
    batch: dict[str, torch.Tensor],
    config: SACConfig,
    generator: torch.Generator,
) -> dict[str, float]:
    """One SAC step: twin critics, policy, temperature, then the target critics."""
    alpha = agent.log_alpha.exp().item()
    obs, actions, rewards = batch["obs"], batch["actions"], batch["rewards"]
    next_obs, terminated = batch["next_obs"], batch["terminated"]

    # 1. Critics: regress both Q's on the soft Bellman target, built with the smaller
    #    target critic and the entropy of the next action.
    with torch.no_grad():
        next_action, next_log_prob, _ = agent.actor.sample(next_obs, generator)
        q_next = torch.min(
            agent.qf1_target(next_obs, next_action),
            agent.qf2_target(next_obs, next_action),
        )
        soft_value = q_next - alpha * next_log_prob
        target = rewards + config.gamma * (1.0 - terminated) * soft_value
    q1, q2 = agent.qf1(obs, actions), agent.qf2(obs, actions)
    q_loss = F.mse_loss(q1, target) + F.mse_loss(q2, target)
    agent.q_optimizer.zero_grad()
    q_loss.backward()
    agent.q_optimizer.step()

    # 2. Policy: minimise E[alpha log pi(a|s) - min Q(s, a)], a reparametrised.
    action, log_prob, _ = agent.actor.sample(obs, generator)
    q_pi = torch.min(agent.qf1(obs, action), agent.qf2(obs, action))
    actor_loss = (alpha * log_prob - q_pi).mean()
    agent.actor_optimizer.zero_grad()
    actor_loss.backward()
    agent.actor_optimizer.step()

    # 3. Temperature: raise alpha when the entropy -log pi is below its target.
    if agent.alpha_optimizer is not None:
        alpha_loss = -(
            agent.log_alpha * (log_prob.detach() + agent.target_entropy)
        ).mean()
        agent.alpha_optimizer.zero_grad()
        alpha_loss.backward()
        agent.alpha_optimizer.step()
        agent.alpha = agent.log_alpha.exp().item()

    # 4. Target critics follow the online ones slowly (Polyak averaging).
    soft_update(agent.qf1_target, agent.qf1, config.tau)
    soft_update(agent.qf2_target, agent.qf2, config.tau)
    return {
        "q_loss": q_loss.item(),
        "actor_loss": actor_loss.item(),
        "alpha": alpha,
        "entropy": -log_prob.mean().item(),
    }


def _check_box_env(env) -> None:
    import gymnasium

    if not isinstance(env, gymnasium.Env):
        raise TypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
    if not isinstance(env.action_space, gymnasium.spaces.Box):
        raise TypeError("SAC needs a continuous (Box) action space")
    if not isinstance(env.observation_space, gymnasium.spaces.Box):
        raise TypeError("SAC needs a Box observation space")


@torch.no_grad()
def evaluate(
    env, actor: Actor, n_episodes: int, seed: int, deterministic: bool = True
) -> np.ndarray:
    """Returns of ``n_episodes`` episodes, seeded ``seed, seed + 1, ...``.

    Args:
        env: a Gymnasium environment with a Box action space.
        actor: the policy.
        n_episodes: how many episodes.
        seed: seed of the first episode's ``reset``.
        deterministic: act with the mean action (``tanh`` of the Gaussian's mean)
            instead of sampling.

    Returns:
        The undiscounted returns, shape ``(n_episodes,)``.
    """
    _check_box_env(env)
    n_episodes = check_int(n_episodes, "n_episodes")
    seed = check_int(seed, "seed", 0)
    check_bool(deterministic, "deterministic")
    generator = torch.Generator().manual_seed(seed)
    returns = np.zeros(n_episodes)
    for k in range(n_episodes):
        obs, _ = env.reset(seed=seed + k)
        done = False
        while not done:
            x = torch.as_tensor(obs, dtype=torch.float32)[None]
            action, _, mean_action = actor.sample(x, generator)
            a = (mean_action if deterministic else action)[0].numpy()
            obs, reward, terminated, truncated, _ = env.step(a)
            returns[k] += float(reward)
            done = terminated or truncated
    return returns


@torch.no_grad()
def rollout(env, actor: Actor, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """One deterministic episode: observations ``(T + 1, obs_dim)``, actions, return."""
    _check_box_env(env)
    obs, _ = env.reset(seed=check_int(seed, "seed", 0))
    observations, actions, total, done = [obs], [], 0.0, False
    while not done:
        _, _, mean_action = actor.sample(
            torch.as_tensor(obs, dtype=torch.float32)[None]
        )
        a = mean_action[0].numpy()
        obs, reward, terminated, truncated, _ = env.step(a)
        observations.append(obs)
        actions.append(a)
        total += float(reward)
        done = terminated or truncated
    return np.array(observations), np.array(actions), total


def train(env, config: SACConfig, seed: int) -> dict:
    """Train SAC on ``env`` for ``config.total_timesteps`` steps.

    Seeding, spelled out: ``env.reset(seed=seed)`` once (later resets continue the env's
    stream), ``env.action_space.seed(seed)`` for the random warm-up actions,
    ``torch.Generator().manual_seed(seed)`` for the initial weights and the policy
    noise, ``np.random.default_rng(seed)`` for the replay batches; no global random
    state.

    Args:
        env: a Gymnasium environment with Box observation and action spaces.
        config: the hyper-parameters.
        seed: the run's seed.

    Returns:
        A history dict: ``episode_returns`` and ``episode_end_steps`` (the training
        episodes), ``eval_steps`` and ``eval_returns`` (mean deterministic return of
        ``config.eval_episodes`` episodes, seeded ``10_000 + k``), ``losses`` (the last
        update's), ``seconds``, and ``agent`` (the trained :class:`Agent`).
    """
    _check_box_env(env)
    if not isinstance(config, SACConfig):
        raise TypeError(f"config must be a SACConfig, got {type(config).__name__}")
    seed = check_int(seed, "seed", 0)
    start = time.perf_counter()
    obs_dim = env.observation_space.shape[0]
    act_dim = env.action_space.shape[0]
    generator = torch.Generator().manual_seed(seed)
    low, high = env.action_space.low, env.action_space.high
    agent = make_agent(obs_dim, low, high, config, generator)
    rng = np.random.default_rng(seed)
    buffer = ReplayBuffer(
        min(config.buffer_size, config.total_timesteps),
        (obs_dim,),
        action_shape=(act_dim,),
        action_dtype=np.float32,
    )
    env.action_space.seed(seed)
    history: dict = {
        "episode_returns": [],
        "episode_end_steps": [],
        "eval_steps": [],
        "eval_returns": [],
        "losses": {},
    }
    obs, _ = env.reset(seed=seed)
    episode_return = 0.0
    for step in range(1, config.total_timesteps + 1):
        if step <= config.learning_starts:
            action = env.action_space.sample()
        else:
            with torch.no_grad():
                x = torch.as_tensor(obs, dtype=torch.float32)[None]
                action = agent.actor.sample(x, generator)[0][0].numpy()
        next_obs, reward, terminated, truncated, _ = env.step(action)
        # Only a true termination stops the bootstrap; a time limit does not.
        buffer.add(obs, action, float(reward), next_obs, terminated)
        episode_return += float(reward)
        obs = next_obs
        if terminated or truncated:
            history["episode_returns"].append(episode_return)
            history["episode_end_steps"].append(step)
            obs, _ = env.reset()
            episode_return = 0.0
        if step > config.learning_starts:
            batch = buffer.sample(config.batch_size, rng)
            history["losses"] = update(agent, batch, config, generator)
        if config.eval_every and step % config.eval_every == 0:
            returns = evaluate(env, agent.actor, config.eval_episodes, 10_000 + step)
            history["eval_steps"].append(step)
            history["eval_returns"].append(float(returns.mean()))
            obs, _ = env.reset()  # evaluation used the env: start a fresh episode
            episode_return = 0.0
        if not math.isfinite(history["losses"].get("q_loss", 0.0)):
            raise FloatingPointError(
                f"the critic loss became non-finite at step {step}"
            )
    history["seconds"] = time.perf_counter() - start
    history["agent"] = agent
    return history
