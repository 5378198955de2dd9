"""Tests of ml4phys.physics.quantum against scipy, closed forms and sampling statistics."""

import numpy as np
import pytest
import scipy.linalg

from ml4phys.physics import quantum as q


def random_state(rng, dim):
    psi = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    return psi / np.linalg.norm(psi)


def random_hermitian(rng, dim):
    a = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    return (a + a.conj().T) / 2


def test_paulis_algebra():
    X, Y, Z, I2 = q.SIGMA_X, q.SIGMA_Y, q.SIGMA_Z, q.IDENTITY
    for s in (X, Y, Z):
        assert np.allclose(s @ s, I2)
    assert np.allclose(X @ Y, 1j * Z)
    assert np.allclose(Y @ Z, 1j * X)


def test_ket_and_kron_and_on_qubit():
    assert np.allclose(q.ket("10"), [0, 0, 1, 0])
    assert np.allclose(q.ket([0, 1]), q.kron(q.ket("0"), q.ket("1")))
    X0 = q.on_qubit(q.SIGMA_X, 0, 3)
    assert np.allclose(X0 @ q.ket("000"), q.ket("100"))
    assert np.allclose(q.on_qubit(q.SIGMA_X, 2, 3) @ q.ket("000"), q.ket("001"))


def test_density_matrix_and_fidelity():
    rng = np.random.default_rng(0)
    a, b = random_state(rng, 4), random_state(rng, 4)
    rho = q.density_matrix(a)
    assert np.allclose(rho @ rho, rho) and np.isclose(np.trace(rho).real, 1)
    f = abs(np.vdot(a, b)) ** 2
    assert np.isclose(q.fidelity(a, b), f)
    assert np.isclose(q.fidelity(b, rho), f)
    assert np.isclose(q.fidelity(rho, b), f)
    assert np.isclose(q.fidelity(rho, q.density_matrix(b)), f, atol=1e-6)
    assert np.isclose(q.fidelity(a, a * np.exp(0.7j)), 1.0)  # a global phase


def test_evolve_matches_expm():
    rng = np.random.default_rng(1)
    H, psi = random_hermitian(rng, 4), random_state(rng, 4)
    U = scipy.linalg.expm(-1j * H * 0.37)
    assert np.allclose(q.evolve(psi, H, 0.37), U @ psi)
    rho = q.density_matrix(psi)
    assert np.allclose(q.evolve(rho, H, 0.37), U @ rho @ U.conj().T)
    # a pi rotation about x takes |0> to |1> (up to a phase)
    assert np.isclose(
        q.fidelity(q.evolve(q.ket("0"), q.SIGMA_X, np.pi / 2), q.ket("1")), 1
    )


def test_expectation():
    plus = np.array([1, 1]) / np.sqrt(2)
    assert np.isclose(q.expectation(plus, q.SIGMA_X), 1)
    assert np.isclose(q.expectation(q.density_matrix(plus), q.SIGMA_Z), 0)


def test_measure_born_rule_and_repeatability():
    rng = np.random.default_rng(2)
    theta = 1.1
    psi = np.array([np.cos(theta / 2), np.sin(theta / 2)])
    outcomes = []
    for _ in range(4000):
        outcome, post = q.measure(psi, q.SIGMA_Z, rng)
        outcomes.append(outcome)
        again, post2 = q.measure(post, q.SIGMA_Z, rng)
        assert again == outcome and np.allclose(post2, post)
    p_up = np.cos(theta / 2) ** 2
    share = np.mean(np.array(outcomes) == 1.0)
    assert abs(share - p_up) < 4 * np.sqrt(p_up * (1 - p_up) / 4000)
    assert set(outcomes) == {-1.0, 1.0}


def test_measure_projectors_and_degenerate_parity():
    rng = np.random.default_rng(3)
    ZZ = q.on_qubit(q.SIGMA_Z, 0, 3) @ q.on_qubit(q.SIGMA_Z, 1, 3)
    a, b = 0.6, 0.8
    psi = q.on_qubit(q.SIGMA_X, 0, 3) @ (a * q.ket("000") + b * q.ket("111"))
    outcome, post = q.measure(psi, ZZ, rng)
    assert outcome == -1.0 and np.allclose(
        post, psi
    )  # parity leaves the code state alone
    P0 = q.density_matrix(q.ket("0"))
    k, post = q.measure(q.ket("1"), [P0, np.eye(2) - P0], rng)
    assert k == 1 and np.allclose(post, q.ket("1"))
    rho = q.density_matrix(np.array([1, 1]) / np.sqrt(2))
    k, post = q.measure(rho, [P0, np.eye(2) - P0], rng)
    assert np.allclose(post, q.density_matrix(q.ket(str(k))))


def test_bit_flip_channel():
    rho = q.density_matrix(q.ket("00"))
    out = q.bit_flip_channel(rho, 0.25, 1)
    expect = 0.75 * rho + 0.25 * q.density_matrix(q.ket("01"))
    assert np.allclose(out, expect)
    assert np.allclose(q.bit_flip_channel(rho, 0.0, 0), rho)
    both = q.bit_flip_channel(q.bit_flip_channel(rho, 0.1, 0), 0.1, 1)
    assert np.isclose(both[0, 0].real, 0.81) and np.isclose(both[3, 3].real, 0.01)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: q.ket("012"), ValueError),
        (lambda: q.ket(""), ValueError),
        (lambda: q.ket(5), TypeError),
        (lambda: q.density_matrix([1, 1]), ValueError),  # not normalised
        (lambda: q.density_matrix([1, 0, 0]), ValueError),  # not 2**n
        (lambda: q.density_matrix("ab"), TypeError),
        (lambda: q.density_matrix([np.nan, 0]), ValueError),
        (lambda: q.density_matrix(np.eye(2)), ValueError),  # not a vector
        (lambda: q.fidelity([1, 0], [1, 0, 0, 0]), ValueError),
        (lambda: q.fidelity([1, 0], np.eye(2)), ValueError),  # trace 2
        (lambda: q.fidelity([1, 0], np.diag([1.5, -0.5])), ValueError),  # not positive
        (lambda: q.evolve([1, 0], [[0, 1], [0, 0]], 1.0), ValueError),  # not Hermitian
        (lambda: q.evolve([1, 0], np.eye(4), 1.0), ValueError),
        (lambda: q.evolve([1, 0], np.eye(2), "1"), TypeError),
        (lambda: q.evolve([1, 0], np.eye(2), np.inf), ValueError),
        (lambda: q.measure([1, 0], q.SIGMA_Z, 1), TypeError),
        (lambda: q.measure([1, 0], [np.eye(2)], np.random.default_rng(0)) and 0, None),
        (
            lambda: q.measure([1, 0], [q.SIGMA_X], np.random.default_rng(0)),
            ValueError,
        ),
        (lambda: q.measure([1, 0], [], np.random.default_rng(0)), ValueError),
        (
            lambda: q.measure(
                [1, 0], [np.diag([1, 0]), np.diag([1, 0])], np.random.default_rng(0)
            ),
            ValueError,
        ),
        (lambda: q.bit_flip_channel(np.eye(2) / 2, 1.5, 0), ValueError),
        (lambda: q.bit_flip_channel(np.eye(2) / 2, -0.1, 0), ValueError),
        (lambda: q.bit_flip_channel(np.eye(2) / 2, 0.1, 1), ValueError),
        (lambda: q.bit_flip_channel(np.eye(2) / 2, 0.1, 0.5), TypeError),
        (lambda: q.on_qubit(np.eye(4), 0, 2), ValueError),
        (lambda: q.kron(), ValueError),
        (lambda: q.kron([1, 0], np.eye(2)), ValueError),
    ],
)
def test_bad_inputs(call, error):
    if error is None:
        call()  # a valid one-projector measurement
        return
    with pytest.raises(error):
        call()
