"""Tests of the BitFlipCode environment against the exact survival of the textbook decoder."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ml4phys.rl.envs import BitFlipCode
from ml4phys.rl.envs.bit_flip_code import survival_curve


def textbook(obs):
    k, m = divmod(obs, 9)
    m12, m23 = divmod(m, 3)
    if k == 0:
        return 1
    if k == 1:
        return 2
    return {(2, 1): 3, (2, 2): 4, (1, 2): 5}.get((m12, m23), 0)


def lifetimes(env, policy, n, seed):
    out = []
    obs, _ = env.reset(seed=seed)
    for e in range(n):
        if e:
            obs, _ = env.reset()
        total, done = 0.0, False
        while not done:
            obs, r, terminated, truncated, _ = env.step(policy(obs))
            total, done = total + r, terminated or truncated
        out.append(total)
    return np.array(out)


def test_check_env():
    check_env(BitFlipCode(), skip_render_check=True)
    check_env(BitFlipCode(reward="code_space"), skip_render_check=True)


def test_determinism():
    def trace(seed):
        env = BitFlipCode(0.3, n_rounds=5)
        obs, _ = env.reset(seed=seed)
        seen = [obs]
        for a in [1, 2, 3, 0, 1, 2] * 5:
            obs, r, terminated, truncated, _ = env.step(a)
            seen += [obs, r]
            if terminated or truncated:
                break
        return seen

    assert trace(3) == trace(3)
    assert any(trace(3) != trace(s) for s in (4, 5, 6))


def test_parity_measurements_report_the_flip():
    env = BitFlipCode(0.0)
    env.reset(seed=0)
    env.step(3)  # X1 by hand: parity Z1Z2 becomes odd, Z2Z3 stays even
    obs, *_ = env.step(1)
    assert env.decode_observation(obs) == "step 2, Z1Z2 -, Z2Z3 ?"
    before = env.psi.copy()
    _, r, terminated, _, info = env.step(2)
    assert np.allclose(env.psi, before)  # no back-action on a code state with a flip
    assert r == 1.0 and not terminated and np.isclose(info["recovery_fidelity"], 1)
    assert np.isclose(info["code_space_fidelity"], 0)


def test_code_space_reward_loses_an_uncorrected_flip():
    env = BitFlipCode(0.0, reward="code_space")
    env.reset(seed=0)
    env.step(4)
    env.step(0)
    _, r, terminated, _, _ = env.step(0)
    assert r == 0.0 and terminated


def test_textbook_decoder_matches_exact_survival():
    p, T = 0.2, 10
    env = BitFlipCode(p, n_rounds=T)
    life = lifetimes(env, textbook, 3000, seed=1)
    exact = survival_curve(3 * p**2 - 2 * p**3, T)
    assert abs(life.mean() - exact) < 4 * life.std() / np.sqrt(life.size)
    idle = lifetimes(BitFlipCode(p, n_rounds=T), lambda o: 0, 3000, seed=2)
    assert idle.mean() < life.mean() - 1


def test_survival_curve_and_bad_inputs():
    assert survival_curve(0.0, 5) == 5 and survival_curve(1.0, 5) == 0
    assert np.isclose(survival_curve(0.5, 2), 0.75)
    for bad, err in [
        (dict(p=1.5), ValueError),
        (dict(p=-0.1), ValueError),
        (dict(p="a"), TypeError),
        (dict(n_rounds=0), ValueError),
        (dict(reward="x"), ValueError),
        (dict(logical_theta=np.pi / 2), ValueError),
    ]:
        with pytest.raises(err):
            BitFlipCode(**bad)
    with pytest.raises(ValueError):
        survival_curve(2.0, 3)
    with pytest.raises(ValueError):
        BitFlipCode().step(6)
    with pytest.raises(ValueError):
        BitFlipCode().decode_observation(27)


def test_chosen_flips_and_textbook_corrects_each():
    env = BitFlipCode(0.0, n_rounds=1, reward="code_space")
    for flips in [(), (0,), (1,), (2,)]:
        obs, _ = env.reset(seed=0, options={"flips": flips})
        for _ in range(3):
            obs, r, terminated, truncated, _ = env.step(textbook(obs))
        assert r == 1.0 and truncated
    obs, _ = env.reset(seed=0, options={"flips": (0, 1)})
    for _ in range(3):
        obs, r, terminated, truncated, _ = env.step(textbook(obs))
    assert r == 0.0 and terminated  # two flips defeat the code
    with pytest.raises(ValueError):
        env.reset(options={"flips": (3,)})
