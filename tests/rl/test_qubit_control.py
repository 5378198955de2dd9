"""Tests of the QubitControl environment: Gymnasium's checker, determinism, the physics."""

import itertools

import numpy as np
import pytest
import scipy.linalg
from gymnasium.utils.env_checker import check_env

from ml4phys.physics import quantum
from ml4phys.rl import policy_gradient as pg
from ml4phys.rl.envs import QubitControl
from ml4phys.rl.envs.qubit_control import bloch_state


def play(env, actions, seed=None):
    env.reset(seed=seed)
    rewards, blochs = [], []
    for a in actions:
        obs, r, terminated, truncated, info = env.step(a)
        rewards.append(r)
        blochs.append(info["bloch"])
    return np.array(rewards), np.array(blochs), terminated


def test_check_env():
    check_env(QubitControl(), skip_render_check=True)


def test_determinism():
    a = play(QubitControl(), [0, 2, 1, 3, 0, 0], seed=1)
    b = play(QubitControl(), [0, 2, 1, 3, 0, 0], seed=2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = play(QubitControl(), [1, 2, 1, 3, 0, 0], seed=1)
    assert not np.allclose(a[1], c[1])


def test_pulses_are_rotations_against_expm():
    env = QubitControl(n_steps=4, pulse_angle=np.pi / 2)
    Rx = scipy.linalg.expm(-1j * quantum.SIGMA_X * np.pi / 4)
    assert np.allclose(env.unitaries[0], Rx)
    rewards, blochs, terminated = play(env, [0, 0, 0, 0])
    assert terminated and np.allclose(rewards[:-1], 0)
    assert np.allclose(blochs[0], [0, -1, 0], atol=1e-12)  # a quarter turn about +x
    assert np.allclose(blochs[1], [0, 0, -1], atol=1e-12)
    assert np.allclose(np.linalg.norm(blochs, axis=1), 1)


def test_sparse_reward_is_the_fidelity_and_brute_force_optimum():
    env = QubitControl(n_steps=3)
    best = 0.0
    for seq in itertools.product(range(4), repeat=3):
        rewards, _, _ = play(env, seq)
        psi = np.array([1, 0], dtype=complex)
        for a in seq:
            psi = env.unitaries[a] @ psi
        assert np.isclose(rewards[-1], quantum.fidelity(env.target, psi))
        best = max(best, rewards[-1])
    assert 0 < best <= 1


def test_reinforce_beats_random():
    env = QubitControl(n_steps=4)
    history = pg.train(
        env, pg.PolicyGradientConfig(n_episodes=600, learning_rate=1.0), 0
    )
    random_mean = np.mean(
        [play(env, seq)[0][-1] for seq in itertools.product(range(4), repeat=4)]
    )
    assert history["returns"][-100:].mean() > random_mean + 0.3


def test_step_after_end_and_bad_inputs():
    env = QubitControl(n_steps=1)
    env.reset(seed=0)
    env.step(0)
    with pytest.raises(RuntimeError):
        env.step(0)
    with pytest.raises(ValueError):
        QubitControl().step(7)
    with pytest.raises(ValueError):
        QubitControl(n_steps=0)
    with pytest.raises(TypeError):
        QubitControl(n_steps=2.5)
    with pytest.raises(ValueError):
        QubitControl(pulse_angle=-1.0)
    with pytest.raises(TypeError):
        bloch_state("a", 0.0)
    assert np.isclose(np.linalg.norm(bloch_state(1.0, 2.0)), 1)
