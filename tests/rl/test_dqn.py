"""ml4phys.rl.dqn and the replay buffer: the TD target against a hand computation, the
target-network update, the exploration schedule, and DQN learning CartPole a little."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from ml4phys.rl import dqn, networks
from ml4phys.rl.buffers import ReplayBuffer


def test_replay_buffer_keeps_continuous_actions_for_sac():
    buffer = ReplayBuffer(3, (1,), action_shape=(2,), action_dtype=np.float32)
    for i in range(5):
        buffer.add([i], [0.5 * i, -0.5 * i], float(i), [i + 1], i == 4)
    batch = buffer.sample(50, np.random.default_rng(0))
    assert batch["actions"].shape == (50, 2) and batch["actions"].dtype == torch.float32
    assert set(batch["rewards"].tolist()) <= {2.0, 3.0, 4.0}
    assert torch.equal(batch["actions"][:, 0], 0.5 * batch["obs"][:, 0])
    assert torch.equal(batch["next_obs"][:, 0], batch["obs"][:, 0] + 1)
    with pytest.raises(ValueError, match="action_dtype"):
        ReplayBuffer(3, (1,), action_dtype=np.float64)


def test_replay_buffer_overwrites_the_oldest_and_samples_reproducibly():
    buffer = ReplayBuffer(3, (2,))
    for i in range(5):
        buffer.add(np.full(2, i), i % 2, float(i), np.full(2, i + 1), i == 4)
    assert len(buffer) == 3
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0]
    a = buffer.sample(8, np.random.default_rng(0))
    b = buffer.sample(8, np.random.default_rng(0))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert a["obs"].shape == (8, 2) and a["actions"].dtype == torch.int64
    assert torch.equal(a["next_obs"], a["obs"] + 1)
    assert torch.equal(a["terminated"], (a["rewards"] == 4).float())


def test_replay_buffer_refuses_bad_input():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, (2,))
    with pytest.raises(TypeError, match="obs_shape"):
        ReplayBuffer(4, (2.5,))
    buffer = ReplayBuffer(4, (2,))
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(2, np.random.default_rng(0))
    buffer.add(np.zeros(2), 0, 0.0, np.zeros(2), False)
    with pytest.raises(TypeError, match="rng"):
        buffer.sample(2, 0)


def _batch():
    g = torch.Generator().manual_seed(0)
    return {
        "obs": torch.randn(6, 3, generator=g),
        "actions": torch.tensor([0, 1, 1, 0, 1, 0]),
        "rewards": torch.randn(6, generator=g),
        "next_obs": torch.randn(6, 3, generator=g),
        "terminated": torch.tensor([0.0, 0, 1, 0, 0, 1]),
    }


@pytest.mark.parametrize(
    "use_target, double", [(True, False), (False, False), (True, True)]
)
def test_update_minimises_the_huber_loss_to_the_td_target(use_target, double):
    torch.manual_seed(0)
    q_net = networks.mlp([3, 8, 2], activation=nn.ReLU)
    target_net = networks.mlp([3, 8, 2], activation=nn.ReLU)
    config = dqn.DQNConfig(gamma=0.9, use_target_network=use_target, double=double)
    batch = _batch()
    with torch.no_grad():
        boot = target_net if use_target else q_net
        next_q = boot(batch["next_obs"])
        if double:
            a_star = q_net(batch["next_obs"]).argmax(1)
            v = next_q[torch.arange(6), a_star]
        else:
            v = next_q.max(1).values
        y = batch["rewards"] + 0.9 * (1 - batch["terminated"]) * v
    reference = copy.deepcopy(q_net)
    q = reference(batch["obs"])[torch.arange(6), batch["actions"]]
    nn.functional.smooth_l1_loss(q, y).backward()
    grads = [p.grad.clone() for p in reference.parameters()]

    sgd = torch.optim.SGD(q_net.parameters(), lr=0.1)
    before = [p.detach().clone() for p in q_net.parameters()]
    stats = dqn.update(q_net, target_net, sgd, batch, config)
    for p0, p1, g in zip(before, q_net.parameters(), grads, strict=True):
        assert torch.allclose(p1, p0 - 0.1 * g, atol=1e-6)
    assert stats["q"] == pytest.approx(q.mean().item(), abs=1e-6)


def test_soft_update_moves_the_target_by_tau():
    online, target = nn.Linear(2, 2), nn.Linear(2, 2)
    old = [p.detach().clone() for p in target.parameters()]
    dqn._soft_update(target, online, 0.25)
    for t, o, p in zip(target.parameters(), online.parameters(), old, strict=True):
        assert torch.allclose(t, 0.25 * o + 0.75 * p)


def test_epsilon_decays_linearly_then_stays():
    config = dqn.DQNConfig(total_timesteps=1000, exploration_fraction=0.5, end_e=0.1)
    assert dqn.epsilon(0, config) == 1.0
    assert dqn.epsilon(250, config) == pytest.approx(0.55)
    assert dqn.epsilon(500, config) == pytest.approx(0.1)
    assert dqn.epsilon(900, config) == pytest.approx(0.1)


def test_config_refuses_bad_values():
    with pytest.raises(ValueError, match="tau"):
        dqn.DQNConfig(tau=0.0)
    with pytest.raises(ValueError, match="end_e"):
        dqn.DQNConfig(end_e=1.5)
    with pytest.raises(TypeError, match="double"):
        dqn.DQNConfig(double=1)
    with pytest.raises(TypeError, match="env"):
        dqn.train("CartPole-v1", dqn.DQNConfig(), seed=0)
    with pytest.raises(ValueError, match="Discrete"):
        dqn.train(gym.make("Pendulum-v1"), dqn.DQNConfig(), seed=0)


def test_dqn_learns_cartpole_beyond_a_random_policy():
    config = dqn.DQNConfig(
        total_timesteps=4_000,
        learning_starts=500,
        learning_rate=1e-3,
        tau=0.005,
        target_network_frequency=1,
        exploration_fraction=0.25,
    )
    history = dqn.train(gym.make("CartPole-v1"), config, seed=0)
    q_net = history["q_network"]

    def act(o):
        return int(q_net(torch.as_tensor(o, dtype=torch.float32)[None]).argmax())

    returns = networks.evaluate(gym.make("CartPole-v1"), act, 10, seed=100)
    assert returns.mean() > 60  # a random policy gets about 22
    short = dqn.DQNConfig(total_timesteps=300, learning_starts=100)
    one = dqn.train(gym.make("CartPole-v1"), short, seed=2)
    two = dqn.train(gym.make("CartPole-v1"), short, seed=2)
    assert one["episode_returns"] == two["episode_returns"]
    assert one["q_values"] == two["q_values"]
