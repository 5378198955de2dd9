"""ml4phys.rl.ppo: the clipped objective against its closed form and its gradient, the
config switches, and PPO learning CartPole."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

from ml4phys.rl import networks, ppo


def test_clipped_objective_is_the_minimum_of_the_two_terms():
    ratio = torch.tensor([0.5, 0.9, 1.0, 1.1, 1.5, 0.5, 0.9, 1.1, 1.5])
    adv = torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0])
    out = ppo.clipped_objective(ratio, adv, 0.2)
    # A > 0: rho A up to 1.2 A, then flat; A < 0: -rho flat below 0.8, then linear
    expected = torch.tensor([0.5, 0.9, 1.0, 1.1, 1.2, -0.8, -0.9, -1.1, -1.5])
    assert torch.allclose(out, expected)
    assert torch.equal(ppo.clipped_objective(ratio, adv, None), ratio * adv)


def test_the_gradient_vanishes_only_where_the_clip_is_active():
    ratio = torch.tensor([0.7, 1.0, 1.3, 0.7, 1.0, 1.3], requires_grad=True)
    adv = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    ppo.clipped_objective(ratio, adv, 0.2).sum().backward()
    # a better action beyond 1 + eps, a worse one below 1 - eps: no more push
    assert ratio.grad.tolist() == [1.0, 1.0, 0.0, 0.0, -1.0, -1.0]


def test_clipped_objective_refuses_bad_input():
    with pytest.raises(TypeError, match="ratio"):
        ppo.clipped_objective([1.0], torch.ones(1), 0.2)
    with pytest.raises(ValueError, match="clip_coef"):
        ppo.clipped_objective(torch.ones(1), torch.ones(1), -0.1)
    with pytest.raises(TypeError, match="advantage"):
        ppo.clipped_objective(torch.ones(1), torch.ones(1, dtype=torch.long), 0.2)


def test_config_refuses_bad_values():
    with pytest.raises(ValueError, match="divisible"):
        ppo.PPOConfig(n_envs=3, n_steps=5, n_minibatches=4)
    with pytest.raises(ValueError, match="clip_coef"):
        ppo.PPOConfig(clip_coef=0.0)
    with pytest.raises(TypeError, match="norm_adv"):
        ppo.PPOConfig(norm_adv="no")
    with pytest.raises(ValueError, match="gamma"):
        ppo.PPOConfig(gamma=1.2)
    with pytest.raises(ValueError, match="ent_coef"):
        ppo.PPOConfig(ent_coef=float("nan"))
    with pytest.raises(TypeError, match="seed"):
        ppo.train(gym.make("CartPole-v1"), ppo.PPOConfig(), seed=0.5)


def _greedy(agent):
    def act(o):
        return int(agent(torch.as_tensor(o, dtype=torch.float32)[None])[0].argmax())

    return act


def test_ppo_learns_cartpole_and_is_reproducible():
    config = ppo.PPOConfig(total_timesteps=16_384)
    history = ppo.train(gym.make("CartPole-v1"), config, seed=0)
    returns = networks.evaluate(
        gym.make("CartPole-v1"), _greedy(history["agent"]), 10, seed=100
    )
    assert returns.mean() > 150  # a random policy gets about 22, the maximum is 500
    small = ppo.PPOConfig(total_timesteps=1024, n_steps=64)
    first = ppo.train(gym.make("CartPole-v1"), small, seed=3)
    second = ppo.train(gym.make("CartPole-v1"), small, seed=3)
    assert first["episode_returns"] == second["episode_returns"]
    assert first["losses"] == second["losses"]


def test_every_switch_of_the_ablation_runs():
    for change in (
        {"clip_coef": None},
        {"vf_coef": 0.0},
        {"ent_coef": 0.0},
        {"norm_adv": False},
        {"n_epochs": 1, "n_minibatches": 1},
    ):
        config = ppo.PPOConfig(total_timesteps=512, n_steps=64, **change)
        history = ppo.train(gym.make("CartPole-v1"), config, seed=1)
        assert history["steps"] == 512 and len(history["losses"]) == 2
    stopped = ppo.train(
        gym.make("CartPole-v1"),
        ppo.PPOConfig(total_timesteps=2048, n_steps=64),
        seed=1,
        callback=lambda steps, agent: steps >= 512,
    )
    assert stopped["steps"] == 512
