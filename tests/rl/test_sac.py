"""Tests of ml4phys.rl.sac: squashed Gaussian, soft update, buffer, tiny runs."""

from __future__ import annotations

import copy
import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch.distributions import (
    AffineTransform,
    Independent,
    Normal,
    TanhTransform,
    TransformedDistribution,
)

from ml4phys.rl import networks, sac


class TargetBandit(gym.Env):
    """One-step task: reward ``-(a - target)^2``, an action in [-2, 2]; ends at once."""

    def __init__(self, target: float = 0.8) -> None:
        self.target = target
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)
        self.action_space = gym.spaces.Box(-2.0, 2.0, (1,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        reward = -float((action[0] - self.target) ** 2)
        return np.zeros(1, dtype=np.float32), reward, True, False, {}


def _reference(mean, log_std, scale, bias):
    base = Normal(mean, log_std.exp())
    transforms = [TanhTransform(cache_size=1), AffineTransform(bias, scale)]
    return Independent(TransformedDistribution(base, transforms), 1)


def test_squashed_log_prob_matches_transformed_distribution():
    generator = torch.Generator().manual_seed(0)
    # Double precision: the reference inverts tanh, which loses digits near |a| = 1.
    mean = torch.randn(64, 3, generator=generator, dtype=torch.float64)
    log_std = 0.5 * torch.randn(64, 3, generator=generator, dtype=torch.float64)
    scale = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    bias = torch.tensor([0.0, 1.0, -0.3], dtype=torch.float64)
    eps = torch.randn(64, 3, generator=generator, dtype=torch.float64)
    u = mean + log_std.exp() * eps
    ours = sac.squashed_gaussian_log_prob(u, mean, log_std, scale)
    a = torch.tanh(u) * scale + bias
    theirs = _reference(mean, log_std, scale, bias).log_prob(a)
    assert torch.allclose(ours, theirs, atol=1e-8)


def test_squashed_log_prob_is_a_density_and_stays_finite():
    # 1-d change of variables checked by quadrature: the density integrates to one.
    mean, log_std, scale = (
        torch.tensor([[0.7]]),
        torch.tensor([[0.3]]),
        torch.tensor([2.0]),
    )
    a = torch.linspace(-2.0, 2.0, 200_001)[1:-1, None].double()
    u = torch.atanh(a / 2.0)
    density = (
        sac.squashed_gaussian_log_prob(
            u.float(), mean.expand_as(u).float(), log_std.expand_as(u).float(), scale
        )
        .double()
        .exp()
    )
    integral = torch.trapezoid(density, a[:, 0])
    assert integral.item() == pytest.approx(1.0, abs=1e-3)
    # Far in the tails tanh(u) rounds to 1; the log-density stays finite.
    big = torch.tensor([[30.0]])
    assert torch.isfinite(
        sac.squashed_gaussian_log_prob(big, mean, log_std, scale)
    ).all()


def test_actor_samples_inside_box_with_matching_log_prob():
    actor = sac.Actor(obs_dim=2, low=[-2.0, 0.0], high=[2.0, 1.0], hidden=8)
    generator = torch.Generator().manual_seed(1)
    networks.init_weights(actor, generator)
    obs = torch.randn(500, 2, generator=generator)
    action, log_prob, mean_action = actor.sample(obs, torch.Generator().manual_seed(2))
    assert action.shape == (500, 2) and log_prob.shape == (500,)
    low, high = torch.tensor([-2.0, 0.0]), torch.tensor([2.0, 1.0])
    assert ((action >= low) & (action <= high)).all()
    assert ((mean_action >= low) & (mean_action <= high)).all()
    mean, log_std = actor(obs)
    reference = _reference(mean, log_std, actor.action_scale, actor.action_bias)
    assert torch.allclose(log_prob, reference.log_prob(action), atol=1e-3)
    # The action is reparametrised: gradients reach the actor's weights.
    log_prob.sum().backward()
    assert all(p.grad is not None for p in actor.parameters())


def test_soft_update_is_polyak_formula():
    generator = torch.Generator().manual_seed(3)
    source, target = sac.SoftQ(3, 1, 8), sac.SoftQ(3, 1, 8)
    networks.init_weights(source, generator)
    networks.init_weights(target, generator)
    before = copy.deepcopy(target)
    tau = 0.1
    sac.soft_update(target, source, tau)
    for t, b, s in zip(
        target.parameters(), before.parameters(), source.parameters(), strict=True
    ):
        assert torch.allclose(t, tau * s + (1 - tau) * b)
    sac.soft_update(target, source, 1.0)  # tau = 1 copies
    for t, s in zip(target.parameters(), source.parameters(), strict=True):
        assert torch.equal(t, s)
    with pytest.raises(ValueError):
        sac.soft_update(target, source, 0.0)
    with pytest.raises(ValueError):
        sac.soft_update(target, source, 1.5)


def test_update_moves_critic_towards_soft_bellman_target():
    env = TargetBandit()
    config = sac.SACConfig(batch_size=32, hidden=16, q_lr=1e-2, autotune=False)
    generator = torch.Generator().manual_seed(4)
    agent = sac.make_agent(
        1, env.action_space.low, env.action_space.high, config, generator
    )
    # Terminal transitions: the soft Bellman target is the reward alone.
    batch = {
        "obs": torch.zeros(32, 1),
        "actions": torch.linspace(-2, 2, 32)[:, None],
        "next_obs": torch.zeros(32, 1),
        "terminated": torch.ones(32),
    }
    batch["rewards"] = -((batch["actions"][:, 0] - 0.8) ** 2)
    losses = [sac.update(agent, batch, config, generator)["q_loss"] for _ in range(300)]
    assert losses[-1] < 0.05 * losses[0]
    assert agent.alpha == pytest.approx(config.alpha)  # no tuning asked for


def test_tiny_bandit_run_learns_the_best_action():
    env = TargetBandit(target=0.8)
    config = sac.SACConfig(
        total_timesteps=600, learning_starts=100, batch_size=64, hidden=32,
        policy_lr=3e-3, q_lr=3e-3, eval_every=0,
    )  # fmt: skip
    history = sac.train(env, config, seed=0)
    returns = np.array(history["episode_returns"])
    random_return = returns[:100].mean()  # the warm-up used uniform random actions
    greedy = sac.evaluate(env, history["agent"].actor, 5, seed=0)
    assert greedy.mean() > -0.05 > random_return
    assert history["agent"].alpha < config.alpha  # the tuning lowered the temperature


def test_pendulum_seeded_runs_are_reproducible():
    env = gym.make("Pendulum-v1")
    config = sac.SACConfig(total_timesteps=300, learning_starts=100, batch_size=16,
                           hidden=8, eval_every=0)  # fmt: skip
    a = sac.train(env, config, seed=5)
    b = sac.train(env, config, seed=5)
    c = sac.train(env, config, seed=6)
    assert a["episode_returns"] == b["episode_returns"]
    assert a["losses"] == b["losses"]
    assert a["episode_returns"] != c["episode_returns"]
    observations, actions, total = sac.rollout(env, a["agent"].actor, seed=0)
    assert observations.shape == (201, 3) and actions.shape == (200, 1)
    assert math.isfinite(total)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"tau": 0.0}, ValueError),
        ({"tau": 2.0}, ValueError),
        ({"gamma": -0.1}, ValueError),
        ({"gamma": float("nan")}, ValueError),
        ({"batch_size": 0}, ValueError),
        ({"batch_size": 1.5}, TypeError),
        ({"alpha": -1.0}, ValueError),
        ({"autotune": "yes"}, TypeError),
        ({"policy_lr": "1e-3"}, TypeError),
    ],
)
def test_config_validation(kwargs, error):
    with pytest.raises(error):
        sac.SACConfig(**kwargs)


def test_bad_inputs():
    u = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="shape"):
        sac.squashed_gaussian_log_prob(
            u, torch.zeros(4, 3), torch.zeros(4, 2), torch.ones(2)
        )
    with pytest.raises(TypeError):
        sac.squashed_gaussian_log_prob(u.numpy(), u, u, torch.ones(2))
    with pytest.raises(ValueError):
        sac.squashed_gaussian_log_prob(torch.zeros(4), u, u, torch.ones(2))
    with pytest.raises(ValueError, match="low"):
        sac.Actor(2, [1.0], [0.0])
    with pytest.raises(TypeError, match="Box"):
        sac.train(gym.make("CartPole-v1"), sac.SACConfig(), seed=0)
    with pytest.raises(TypeError, match="config"):
        sac.train(gym.make("Pendulum-v1"), {"tau": 0.1}, seed=0)
    with pytest.raises(ValueError):
        sac.evaluate(gym.make("Pendulum-v1"), sac.Actor(3, [-2.0], [2.0]), 0, seed=0)
