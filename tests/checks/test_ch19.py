"""Tests of ml4phys.checks.ch19: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest

from ml4phys.checks import CheckFailed, ch19


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 19.x")


# --------------------------------------------------------------------------- Exercise 19.1


def bloch_right(r):
    theta = np.arccos(np.clip(r[2], -1, 1))
    phi = np.arctan2(r[1], r[0])
    return np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])


def bloch_other_phase(r):
    return np.exp(0.3j) * bloch_right(r)


def bloch_full_angle(r):
    theta = np.arccos(r[2])
    phi = np.arctan2(r[1], r[0])
    return np.array([np.cos(theta), np.exp(1j * phi) * np.sin(theta)])


def bloch_wrong_sign(r):
    return bloch_right(r).conj()


def bloch_unnormalised(r):
    return 2 * bloch_right(r)


def test_state_from_bloch_right():
    assert ch19.check_state_from_bloch(bloch_right)
    assert ch19.check_state_from_bloch(bloch_other_phase)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (bloch_full_angle, "Bloch vector"),
        (bloch_wrong_sign, "Bloch vector"),
        (bloch_unnormalised, "norm"),
        (lambda r: bloch_right(r)[:1], "shape"),
        (lambda r: np.full(2, np.nan), "NaN"),
    ],
)
def test_state_from_bloch_wrong(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        ch19.check_state_from_bloch(wrong)


def test_state_from_bloch_stub():
    with pytest.raises(NotImplementedError):
        ch19.check_state_from_bloch(stub)


# --------------------------------------------------------------------------- Exercise 19.2


def decoder_right(obs):
    step, memory = divmod(obs, 9)
    m12, m23 = divmod(memory, 3)
    if step == 0:
        return 2  # the other order is just as good
    if step == 1:
        return 1
    return {(2, 1): 3, (2, 2): 4, (1, 2): 5}.get((m12, m23), 0)


def decoder_wrong_table(obs):
    step, memory = divmod(obs, 9)
    m12, m23 = divmod(memory, 3)
    if step < 2:
        return step + 1
    return {(2, 1): 5, (2, 2): 4, (1, 2): 3}.get(
        (m12, m23), 0
    )  # qubits 1 and 3 swapped


def decoder_one_parity(obs):
    step, memory = divmod(obs, 9)
    m12 = memory // 3
    return 1 if step == 0 else (3 if (step == 2 and m12 == 2) else 0)


def test_decoder_right():
    assert ch19.check_decoder(decoder_right)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda obs: 0, "code state"),
        (decoder_wrong_table, "qubit"),
        (decoder_one_parity, "code state"),
        (lambda obs: 7, "actions are"),
        (lambda obs: 1.0, "int"),
    ],
)
def test_decoder_wrong(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        ch19.check_decoder(wrong)


def test_decoder_stub():
    with pytest.raises(NotImplementedError):
        ch19.check_decoder(stub)


def test_messages_do_not_reveal_the_threshold():
    from ml4phys.rl.envs.bit_flip_code import survival_curve

    best = survival_curve(3 * 0.1**2 - 2 * 0.1**3, 20)

    def decoder_slow(obs):  # corrects, but only every round's single flips after idling
        return decoder_right(obs)

    ch19.check_decoder(decoder_slow)
    with pytest.raises(CheckFailed) as err:
        ch19.check_decoder(lambda obs: 0)
    assert f"{best:.2f}" not in str(err.value)
