"""Tests of data.damped_oscillations."""

import numpy as np
import pytest

from ml4phys import data


def test_shapes_ranges_and_formula():
    t, curves, params = data.damped_oscillations(
        50, np.random.default_rng(0), n_times=32, t_max=5.0
    )
    assert t.shape == (32,) and curves.shape == (50, 32) and params.shape == (50, 2)
    assert t.dtype == curves.dtype == params.dtype == np.float32
    omega, gamma = params.T
    assert np.all((omega >= 1) & (omega <= 3)) and np.all(
        (gamma >= 0.05) & (gamma <= 0.5)
    )
    expected = np.exp(-gamma[:, None] * t) * np.cos(omega[:, None] * t)
    np.testing.assert_allclose(curves, expected, atol=1e-6)
    assert np.allclose(curves[:, 0], 1.0) and t[0] == 0 and np.isclose(t[-1], 5.0)


def test_reproducible_and_noisy():
    a = data.damped_oscillations(10, np.random.default_rng(1), noise=0.1)
    b = data.damped_oscillations(10, np.random.default_rng(1), noise=0.1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    t, clean, params = data.damped_oscillations(2000, np.random.default_rng(2))
    _, noisy, _ = data.damped_oscillations(2000, np.random.default_rng(2), noise=0.1)
    np.testing.assert_array_equal(clean.shape, noisy.shape)
    assert (
        0.08
        < np.std(noisy - np.exp(-params[:, 1:] * t) * np.cos(params[:, :1] * t))
        < 0.12
    )


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n": 0}, ValueError),
        ({"n": 2.5}, TypeError),
        ({"rng": 3}, TypeError),
        ({"n_times": 4}, ValueError),
        ({"t_max": 0.0}, ValueError),
        ({"t_max": float("nan")}, ValueError),
        ({"omega_range": (0.0, 1.0)}, ValueError),
        ({"omega_range": (2.0, 1.0)}, ValueError),
        ({"gamma_range": (-0.1, 1.0)}, ValueError),
        ({"gamma_range": "wide"}, TypeError),
        ({"noise": -0.1}, ValueError),
    ],
)
def test_bad_input(kwargs, error):
    arguments = {"n": 5, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error):
        data.damped_oscillations(**arguments)


def test_curves_solve_the_damped_oscillator_equation():
    t, curves, params = data.damped_oscillations(
        5, np.random.default_rng(3), n_times=401, t_max=4.0
    )
    x, dt = curves.astype(np.float64), float(t[1] - t[0])
    omega, gamma = params[:, :1].astype(np.float64), params[:, 1:].astype(np.float64)
    velocity = np.gradient(x, dt, axis=1, edge_order=2)
    acceleration = (x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]) / dt**2
    residual = (
        acceleration
        + 2 * gamma * velocity[:, 1:-1]
        + (omega**2 + gamma**2) * x[:, 1:-1]
    )
    assert np.abs(residual).max() < 1e-2
    np.testing.assert_allclose(velocity[:, 0], -gamma[:, 0], atol=1e-2)
