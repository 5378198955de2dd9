"""Tests of the 2-D Ising model: energy, exact enumeration, and the Metropolis sampler."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ml4phys.physics import ising


def loop_energy(s: np.ndarray, J: float, h: float) -> float:
    L = s.shape[0]
    e = 0.0
    for i, j in itertools.product(range(L), range(L)):
        e -= J * s[i, j] * (s[i, (j + 1) % L] + s[(i + 1) % L, j])
        e -= h * s[i, j]
    return e


def test_energy_matches_loops(rng):
    spins = ising.random_spins(5, rng, (3, 2))
    energy = ising.ising_energy(spins, J=0.7, h=-0.3)
    assert energy.shape == (3, 2)
    for idx in itertools.product(range(3), range(2)):
        assert energy[idx] == pytest.approx(loop_energy(spins[idx], 0.7, -0.3))


def test_ground_state_and_magnetisation():
    up = np.ones((4, 4), dtype=int)
    assert ising.ising_energy(up) == -2 * 16
    assert ising.magnetisation(up) == 1.0
    assert ising.magnetisation(-up) == -1.0


def test_random_spins_deterministic_and_balanced():
    a = ising.random_spins(8, np.random.default_rng(3), 100)
    b = ising.random_spins(8, np.random.default_rng(3), 100)
    c = ising.random_spins(8, np.random.default_rng(4), 100)
    assert a.shape == (100, 8, 8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert set(np.unique(a)) == {-1, 1}
    assert abs(a.mean()) < 0.05


def test_exact_two_by_two_closed_form():
    # on the 2x2 periodic lattice E = -2J(s0 s1 + s0 s2 + s1 s3 + s2 s3): levels -8, 0, 8
    T = np.array([1.0, 2.5])
    exact = ising.exact_ising(2, T)
    beta = 1 / T
    z = 2 * np.exp(8 * beta) + 12 + 2 * np.exp(-8 * beta)
    assert np.allclose(exact.log_partition_function, np.log(z))
    mean_e = (-8 * 2 * np.exp(8 * beta) + 8 * 2 * np.exp(-8 * beta)) / z
    assert np.allclose(exact.energy, mean_e / 4)
    abs_m = (2 * np.exp(8 * beta) + 8 * 0.5) / z  # aligned: |m| = 1, one flipped: 1/2
    assert np.allclose(exact.abs_magnetisation, abs_m)
    assert np.allclose(exact.partition_function, z)


def test_exact_specific_heat_is_derivative_of_energy():
    T = np.array([1.5, 2.3, 3.0])
    dT = 1e-4
    e_plus = ising.exact_ising(3, T + dT).energy
    e_minus = ising.exact_ising(3, T - dT).energy
    assert np.allclose(
        ising.exact_ising(3, T).specific_heat, (e_plus - e_minus) / (2 * dT)
    )


def test_exact_low_temperature_does_not_overflow():
    exact = ising.exact_ising(4, 0.05)
    assert np.isfinite(exact.log_partition_function).all()
    assert exact.energy[0] == pytest.approx(-2.0)
    assert exact.abs_magnetisation[0] == pytest.approx(1.0)


@pytest.mark.parametrize("h", [0.0, 0.3])
def test_metropolis_matches_exact_enumeration(h):
    """4x4 averages at several temperatures within 4 standard errors (independent chains)."""
    rng = np.random.default_rng(1)
    T = np.array([1.5, 2.27, 3.5])
    n_chains = 400
    # in a field, start in the favoured direction: a 4x4 lattice rarely turns over at T = 1.5
    start = (
        ising.random_spins(4, rng, (3, n_chains))
        if h == 0
        else np.ones((3, n_chains, 4, 4))
    )
    _, energy, m = ising.metropolis(start, T[:, None], 600, rng, h=h, record=True)
    exact = ising.exact_ising(4, T, h=h)
    for observed, expected in (
        (energy[100:] / 16, exact.energy),
        (np.abs(m[100:]), exact.abs_magnetisation),
    ):
        per_chain = observed.mean(axis=0)  # (3, n_chains)
        error = per_chain.std(axis=1) / np.sqrt(n_chains)
        assert np.all(np.abs(per_chain.mean(axis=1) - expected) < 4 * error + 1e-3)


def _half_sweep_matrix(states, beta, colour):
    """Exact transition matrix of one checkerboard half-sweep on the 2x2 lattice."""
    n = len(states)
    flat = states.reshape(n, -1)
    sites = np.flatnonzero(colour.ravel())
    index = {tuple(s): k for k, s in enumerate(flat)}
    P = np.zeros((n, n))
    nb = ising._neighbour_sum(states).reshape(n, -1)
    for k in range(n):
        accept = np.minimum(1.0, np.exp(-beta * 2 * flat[k] * nb[k]))
        for flips in itertools.product([0, 1], repeat=len(sites)):
            new, p = flat[k].copy(), 1.0
            for site, f in zip(sites, flips):
                p *= accept[site] if f else 1 - accept[site]
                if f:
                    new[site] *= -1
            P[k, index[tuple(new)]] += p
    return P


def test_stationary_distribution_and_detailed_balance_two_by_two():
    T = 1.7
    states = ising.all_spin_states(2)
    weights = np.exp(-ising.ising_energy(states) / T)
    pi = weights / weights.sum()
    i, j = np.indices((2, 2))
    black = _half_sweep_matrix(states, 1 / T, (i + j) % 2 == 0)
    white = _half_sweep_matrix(states, 1 / T, (i + j) % 2 == 1)
    for P in (black, white):  # each half-sweep obeys detailed balance
        assert np.allclose(P.sum(axis=1), 1)
        assert np.allclose(pi[:, None] * P, (pi[:, None] * P).T)
    sweep = black @ white
    assert np.allclose(pi @ sweep, pi)
    # the sampler's empirical one-sweep transition matrix agrees with the exact one
    rng = np.random.default_rng(7)
    n_per_state = 4000
    start = np.repeat(states, n_per_state, axis=0)
    end = ising.metropolis(start, T, 1, rng)
    bits = ((end.reshape(len(end), -1) + 1) // 2) @ (2 ** np.arange(4))
    counts = np.zeros((16, 16))
    np.add.at(counts, (np.repeat(np.arange(16), n_per_state), bits), 1)
    empirical = counts / n_per_state
    assert np.abs(empirical - sweep).max() < 5 * np.sqrt(0.25 / n_per_state)


def test_temperature_broadcasts_over_chains():
    rng = np.random.default_rng(0)
    start = np.ones((2, 50, 8, 8), dtype=int)
    end = ising.metropolis(start, np.array([[0.5], [50.0]]), 50, rng)
    m = np.abs(ising.magnetisation(end)).mean(axis=1)
    assert m[0] > 0.95 and m[1] < 0.3


def test_metropolis_seeded_determinism_and_no_mutation():
    start = ising.random_spins(6, np.random.default_rng(0), 4)
    kept = start.copy()
    a = ising.metropolis(start, 2.0, 10, np.random.default_rng(5))
    b = ising.metropolis(start, 2.0, 10, np.random.default_rng(5))
    c = ising.metropolis(start, 2.0, 10, np.random.default_rng(6))
    assert np.array_equal(start, kept)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    same = ising.metropolis(start, 2.0, 0, np.random.default_rng(5), record=True)
    assert np.array_equal(same[0], start) and same[1].shape == (0, 4)


BAD = [
    (lambda: ising.ising_energy([[1, -1], [1, 1]]), TypeError, "numpy array"),
    (lambda: ising.ising_energy(np.zeros((3, 3))), ValueError, "only \\+1 and -1"),
    (lambda: ising.ising_energy(np.full((3, 3), np.nan)), ValueError, "NaN"),
    (lambda: ising.ising_energy(np.ones((3, 4))), ValueError, "shape"),
    (lambda: ising.ising_energy(np.ones(4)), ValueError, "shape"),
    (lambda: ising.ising_energy(np.ones((3, 3)), J="1"), TypeError, "J must"),
    (lambda: ising.magnetisation(np.array([["a"]])), TypeError, "numbers"),
    (
        lambda: ising.metropolis(np.ones((3, 3)), 1.0, 1, np.random.default_rng()),
        ValueError,
        "even L",
    ),
    (
        lambda: ising.metropolis(np.ones((4, 4)), 0.0, 1, np.random.default_rng()),
        ValueError,
        "temperature",
    ),
    (
        lambda: ising.metropolis(np.ones((4, 4)), np.nan, 1, np.random.default_rng()),
        ValueError,
        "temperature",
    ),
    (
        lambda: ising.metropolis(np.ones((4, 4)), "hot", 1, np.random.default_rng()),
        TypeError,
        "temperature",
    ),
    (
        lambda: ising.metropolis(
            np.ones((2, 4, 4)), np.ones(3), 1, np.random.default_rng()
        ),
        ValueError,
        "broadcast",
    ),
    (
        lambda: ising.metropolis(np.ones((4, 4)), 1.0, -1, np.random.default_rng()),
        ValueError,
        "n_sweeps",
    ),
    (lambda: ising.metropolis(np.ones((4, 4)), 1.0, 1, 0), TypeError, "rng"),
    (
        lambda: ising.metropolis(
            np.ones((4, 4)), 1.0, 1, np.random.default_rng(), record="yes"
        ),
        TypeError,
        "record",
    ),
    (lambda: ising.exact_ising(5, 1.0), ValueError, "at most"),
    (lambda: ising.exact_ising(1, 1.0), ValueError, "L must"),
    (lambda: ising.exact_ising(2, -1.0), ValueError, "temperature"),
    (lambda: ising.exact_ising(2, np.ones((2, 2))), ValueError, "1-D"),
    (lambda: ising.random_spins(2.5, np.random.default_rng()), TypeError, "L must"),
    (
        lambda: ising.random_spins(4, np.random.default_rng(), "a"),
        TypeError,
        "batch_shape",
    ),
    (
        lambda: ising.random_spins(4, np.random.default_rng(), (0,)),
        ValueError,
        "batch_shape",
    ),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
