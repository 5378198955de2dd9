"""Tests of ml4phys.physics.montecarlo: autocorrelation, tau_int, thinned Ising samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml4phys.physics import ising
from ml4phys.physics import montecarlo as mc


def ar1(phi: float, n: int, rng: np.random.Generator, n_chains: int = 1) -> np.ndarray:
    x = np.empty((n_chains, n))
    x[:, 0] = rng.standard_normal(n_chains) / math.sqrt(1 - phi**2)
    noise = rng.standard_normal((n_chains, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x[0] if n_chains == 1 else x


def test_autocorrelation_matches_direct_sum():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(57).cumsum()
    y = x - x.mean()
    direct = np.array(
        [np.sum(y[: len(y) - t] * y[t:]) for t in range(len(y))]
    ) / np.sum(y**2)
    np.testing.assert_allclose(mc.autocorrelation(x), direct, atol=1e-12)
    assert mc.autocorrelation(x)[0] == pytest.approx(1.0)


def test_autocorrelation_of_ar1_is_phi_to_the_k():
    rng = np.random.default_rng(1)
    phi = 0.8
    x = ar1(phi, 200_000, rng)
    rho = mc.autocorrelation(x)
    np.testing.assert_allclose(rho[:6], phi ** np.arange(6), atol=0.02)


def test_constant_series():
    assert np.all(mc.autocorrelation(np.ones(10)) == 0)
    assert mc.integrated_autocorrelation_time(np.ones(10)) == 0.0


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_tau_int_of_ar1(phi):
    rng = np.random.default_rng(2)
    x = ar1(phi, 100_000, rng)
    exact = (1 + phi) / (2 * (1 - phi))
    assert mc.integrated_autocorrelation_time(x) == pytest.approx(exact, rel=0.1)


def test_tau_int_of_several_chains():
    rng = np.random.default_rng(3)
    x = ar1(0.7, 5000, rng, n_chains=20)
    exact = 1.7 / 0.6
    assert mc.integrated_autocorrelation_time(x, c=6) == pytest.approx(exact, rel=0.1)


def test_tau_int_too_short_series_is_finite():
    tau = mc.integrated_autocorrelation_time(np.arange(5.0))
    assert math.isfinite(tau)


@pytest.mark.parametrize(
    "bad, error",
    [
        ([1.0, 2.0], TypeError),
        (np.array(["a", "b"]), TypeError),
        (np.ones((2, 2)), ValueError),
        (np.ones(1), ValueError),
        (np.array([1.0, np.nan, 2.0]), ValueError),
    ],
)
def test_autocorrelation_bad_input(bad, error):
    with pytest.raises(error):
        mc.autocorrelation(bad)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"x": np.ones((2, 2, 2))}, ValueError),
        ({"x": np.array([1.0, np.inf])}, ValueError),
        ({"x": np.ones(5), "c": 0}, ValueError),
        ({"x": np.ones(5), "c": "5"}, TypeError),
        ({"x": np.ones(5), "c": float("nan")}, ValueError),
    ],
)
def test_tau_int_bad_input(kwargs, error):
    with pytest.raises(error):
        mc.integrated_autocorrelation_time(**kwargs)


def test_ising_samples_shapes_labels_and_phases():
    rng = np.random.default_rng(4)
    T = np.array([1.5, 3.5])
    s = mc.ising_samples(8, T, 40, rng, n_equilibrate=50, n_chains=10, n_pilot=50)
    assert s.spins.shape == (80, 8, 8) and s.spins.dtype == np.int8
    assert set(np.unique(s.spins)) == {-1, 1}
    np.testing.assert_array_equal(s.temperature, np.repeat(T, 40))
    np.testing.assert_array_equal(s.label, np.repeat([1, 0], 40))
    assert len(np.unique(s.chain)) == 20 and np.all(np.bincount(s.chain) == 4)
    assert s.tau_int.shape == (2,) and np.all(s.tau_int > 0)
    assert 1 <= s.thin <= 50 and s.thin >= math.ceil(2 * s.tau_int.max()) - 1e-9
    m = ising.magnetisation(s.spins.astype(np.int64))
    assert np.abs(m[:40]).mean() > 0.9 and np.abs(m[40:]).mean() < 0.3
    # the random global flip: both signs in the ordered phase
    assert (m[:40] > 0).sum() > 5 and (m[:40] < 0).sum() > 5


def test_ising_samples_given_thin_hot_start_and_determinism():
    T = np.array([2.0])
    a = mc.ising_samples(4, T, 6, np.random.default_rng(5), 10, "hot", 3, n_chains=2)
    b = mc.ising_samples(4, T, 6, np.random.default_rng(5), 10, "hot", 3, n_chains=2)
    np.testing.assert_array_equal(a.spins, b.spins)
    assert a.thin == 3 and np.all(np.isnan(a.tau_int))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"L": 7}, ValueError),
        ({"L": 8.0}, TypeError),
        ({"temperatures": np.array([1.0, -1.0])}, ValueError),
        ({"temperatures": np.array([np.nan])}, ValueError),
        ({"temperatures": np.ones((2, 2))}, ValueError),
        ({"temperatures": "hot"}, TypeError),
        ({"n_samples": 0}, ValueError),
        ({"n_samples": 5}, ValueError),  # not a multiple of n_chains
        ({"rng": 3}, TypeError),
        ({"n_equilibrate": -1}, ValueError),
        ({"start": "warm"}, ValueError),
        ({"start": 1}, TypeError),
        ({"thin": 0}, ValueError),
        ({"thin": 1.5}, TypeError),
        ({"n_chains": 0}, ValueError),
        ({"n_pilot": 1}, ValueError),
    ],
)
def test_ising_samples_bad_input(kwargs, error):
    args = {
        "L": 4,
        "temperatures": np.array([2.0]),
        "n_samples": 4,
        "rng": np.random.default_rng(0),
        "n_chains": 2,
    }
    args.update(kwargs)
    with pytest.raises(error):
        mc.ising_samples(**args)
