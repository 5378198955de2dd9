"""ml4phys.rl.a2c: GAE against a direct sum, the rollout's time-limit bootstrap, and A2C
learning CartPole a little."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from ml4phys.rl import a2c, networks
from ml4phys.rl.buffers import VecRollouts, make_envs


def _random_rollout(seed: int, T: int = 12, N: int = 3):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(T, N, generator=g, dtype=torch.float64)
    values = torch.randn(T, N, generator=g, dtype=torch.float64)
    dones = (torch.rand(T, N, generator=g) < 0.25).double()
    last = torch.randn(N, generator=g, dtype=torch.float64)
    return rewards, values, dones, last


def _direct_gae(rewards, values, dones, last, gamma, lam):
    """A_t = sum_k (gamma lam)^k delta_{t+k}, summed up to the end of the episode."""
    T, N = rewards.shape
    v_next = torch.cat([values[1:], last[None]])
    delta = rewards + gamma * (1 - dones) * v_next - values
    out = torch.zeros_like(rewards)
    for n in range(N):
        for t in range(T):
            total, weight = 0.0, 1.0
            for k in range(t, T):
                total += weight * float(delta[k, n])
                if dones[k, n]:
                    break
                weight *= gamma * lam
            out[t, n] = total
    return out


@pytest.mark.parametrize(
    "gamma, lam", [(0.99, 0.95), (0.9, 0.0), (1.0, 1.0), (0.5, 0.7)]
)
def test_gae_equals_the_direct_sum_of_td_errors(gamma, lam):
    rewards, values, dones, last = _random_rollout(1)
    adv, ret = a2c.gae(rewards, values, dones, last, gamma, lam)
    expected = _direct_gae(rewards, values, dones, last, gamma, lam)
    assert torch.allclose(adv, expected, atol=1e-12)
    assert torch.allclose(ret, adv + values)


def test_gae_with_lambda_one_is_the_monte_carlo_return_minus_the_value():
    rewards, values, dones, last = _random_rollout(2)
    gamma = 0.97
    _, ret = a2c.gae(rewards, values, dones, last, gamma, 1.0)
    T, N = rewards.shape
    for n in range(N):
        for t in range(T):
            g, w = 0.0, 1.0
            for k in range(t, T):
                g += w * float(rewards[k, n])
                if dones[k, n]:
                    break
                w *= gamma
            else:
                g += w * float(last[n])  # the rollout ends: bootstrap from V(s_T)
            assert ret[t, n].item() == pytest.approx(g, abs=1e-10)


def test_gae_with_lambda_zero_is_the_td_error():
    rewards, values, dones, last = _random_rollout(3)
    adv, _ = a2c.gae(rewards, values, dones, last, 0.9, 0.0)
    v_next = torch.cat([values[1:], last[None]])
    assert torch.allclose(adv, rewards + 0.9 * (1 - dones) * v_next - values)


def test_gae_refuses_bad_input():
    rewards, values, dones, last = _random_rollout(4)
    with pytest.raises(ValueError, match="same shape"):
        a2c.gae(rewards, values[:-1], dones, last, 0.9, 0.9)
    with pytest.raises(ValueError, match="last_value"):
        a2c.gae(rewards, values, dones, last[:-1], 0.9, 0.9)
    with pytest.raises(ValueError, match="only 0 and 1"):
        a2c.gae(rewards, values, dones * 0.5, last, 0.9, 0.9)
    bad = rewards.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        a2c.gae(bad, values, dones, last, 0.9, 0.9)
    with pytest.raises(ValueError, match="gamma"):
        a2c.gae(rewards, values, dones, last, 1.5, 0.9)
    with pytest.raises(TypeError, match="rewards"):
        a2c.gae(rewards.numpy(), values, dones, last, 0.9, 0.9)
    with pytest.raises(TypeError, match="floating"):
        a2c.gae(rewards.long(), values, dones, last, 0.9, 0.9)


def test_config_refuses_bad_values():
    with pytest.raises(ValueError, match="gae_lambda"):
        a2c.A2CConfig(gae_lambda=2.0)
    with pytest.raises(TypeError, match="n_steps"):
        a2c.A2CConfig(n_steps=2.5)
    with pytest.raises(ValueError, match="learning_rate"):
        a2c.A2CConfig(learning_rate=-1.0)
    with pytest.raises(TypeError, match="config"):
        a2c.train(gym.make("CartPole-v1"), {"n_steps": 5}, seed=0)


class _ConstantValue(torch.nn.Module):
    def forward(self, obs):
        return torch.zeros(len(obs), 2), torch.full((len(obs),), 10.0)


def test_a_truncated_step_bootstraps_the_value_of_its_last_state():
    env = gym.make("CartPole-v1", max_episode_steps=3)
    runner = VecRollouts(make_envs(env, 1), seed=0, gamma=0.5)
    # one step left and right alternately keeps the pole up for 3 steps
    rollout = runner.collect(_ConstantValue(), 3, torch.Generator().manual_seed(0))
    assert rollout.dones[:, 0].tolist() == [0.0, 0.0, 1.0]
    assert rollout.rewards[:, 0].tolist() == [1.0, 1.0, 1.0 + 0.5 * 10.0]
    assert runner.episode_returns == [3.0] and runner.episode_steps == [3]


def test_make_envs_copies_or_calls():
    env = gym.make("CartPole-v1")
    envs = make_envs(env, 3)
    assert envs[0] is env and len({id(e) for e in envs}) == 3
    assert len(make_envs(lambda: gym.make("CartPole-v1"), 2)) == 2
    with pytest.raises(TypeError, match="env"):
        make_envs("CartPole-v1", 2)


def test_a2c_learns_cartpole_beyond_a_random_policy():
    config = a2c.A2CConfig(total_timesteps=12_000)
    history = a2c.train(gym.make("CartPole-v1"), config, seed=0)
    agent = history["agent"]

    def act(o):
        return int(agent(torch.as_tensor(o, dtype=torch.float32)[None])[0].argmax())

    returns = networks.evaluate(gym.make("CartPole-v1"), act, 10, seed=100)
    assert history["steps"] >= 12_000
    assert returns.mean() > 60  # a random policy gets about 22
    again = a2c.train(
        gym.make("CartPole-v1"), a2c.A2CConfig(total_timesteps=400), seed=0
    )
    once = a2c.train(
        gym.make("CartPole-v1"), a2c.A2CConfig(total_timesteps=400), seed=0
    )
    assert again["episode_returns"] == once["episode_returns"]
    assert np.isfinite(history["losses"][-1]["value_loss"])
