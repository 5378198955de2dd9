"""The random walker: Gymnasium's checker, seeding, its model against sampled steps."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ml4phys.rl.envs import RandomWalk


def test_check_env():
    check_env(RandomWalk(), skip_render_check=True)
    check_env(RandomWalk(slip=0.2), skip_render_check=True)


def _trace(env, seed):
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for t in range(60):
        obs, r, terminated, truncated, _ = env.step(t % 3 != 0)
        out.append((obs, r))
        if terminated or truncated:
            out.append(env.reset()[0])
    return out


def test_seeded_determinism():
    env = RandomWalk(slip=0.3)
    assert _trace(env, 2) == _trace(env, 2)
    assert _trace(env, 2) != _trace(env, 3)
    assert _trace(RandomWalk(), 2) == _trace(RandomWalk(), 3)  # no slip: deterministic


def test_walk_right_to_the_exit():
    env = RandomWalk(n=5, start=2, right_reward=2.0, step_cost=0.5)
    env.reset(seed=0)
    rewards = []
    for _ in range(3):
        _, r, terminated, truncated, _ = env.step(1)
        rewards.append(r)
    assert rewards == [-0.5, -0.5, 1.5] and terminated and not truncated
    env = RandomWalk(n=5, start=2, max_steps=2)
    env.reset(seed=0)
    env.step(1)
    assert env.step(0)[3]  # truncated


def test_model_matches_sampled_steps():
    env = RandomWalk(n=6, start=3, slip=0.25)
    P, R, terminal = env.transition_model()
    np.testing.assert_allclose(P.sum(axis=2), 1.0)
    assert terminal.tolist() == [True] + [False] * 5 + [True]
    rng = np.random.default_rng(0)
    for s in (1, 3, 5):
        for a in (0, 1):
            counts, total = np.zeros(7), 0.0
            env.reset(seed=int(rng.integers(1 << 30)))
            for _ in range(4000):
                env.position, env.steps = s, 0
                obs, r, *_ = env.step(a)
                counts[obs] += 1
                total += r
            np.testing.assert_allclose(counts / 4000, P[s, a], atol=0.03)
            assert total / 4000 == pytest.approx(R[s, a], abs=0.1)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n": 1}, ValueError),
        ({"n": 4.0}, TypeError),
        ({"start": 0}, ValueError),
        ({"start": 10}, ValueError),
        ({"left_reward": float("nan")}, ValueError),
        ({"right_reward": "3"}, TypeError),
        ({"step_cost": -0.1}, ValueError),
        ({"slip": 0.5}, ValueError),
        ({"max_steps": 0}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        RandomWalk(**kwargs)


def test_bad_action():
    env = RandomWalk()
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(2)
