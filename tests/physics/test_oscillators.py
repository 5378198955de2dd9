"""Tests of ml4phys.physics: exact solutions, scipy, orders of convergence, energy."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ml4phys.physics import integrators, oscillators


def harmonic_force(x):
    return -x


def test_velocity_verlet_against_exact_harmonic_oscillator():
    t_end, dt = 10.0, 0.01
    xs, vs = integrators.velocity_verlet(
        harmonic_force, np.array([1.0]), np.array([0.0]), dt, round(t_end / dt)
    )
    t = dt * np.arange(len(xs))
    assert xs.shape == (1001, 1)
    assert np.max(np.abs(xs[:, 0] - np.cos(t))) < 1e-4
    assert np.max(np.abs(vs[:, 0] + np.sin(t))) < 1e-4


def convergence_order(errors, dts):
    return np.polyfit(np.log(dts), np.log(errors), 1)[0]


def test_velocity_verlet_is_second_order():
    dts = np.array([0.1, 0.05, 0.025, 0.0125])
    errors = []
    for dt in dts:
        xs, _ = integrators.velocity_verlet(
            harmonic_force, np.array([1.0]), np.array([0.5]), dt, round(5.0 / dt)
        )
        exact = np.cos(5.0) + 0.5 * np.sin(5.0)
        errors.append(abs(xs[-1, 0] - exact))
    assert convergence_order(errors, dts) == pytest.approx(2.0, abs=0.1)


def test_rk4_is_fourth_order_and_matches_solve_ivp():
    def f(t, y):  # a driven, damped pendulum: no closed form
        return np.array([y[1], -np.sin(y[0]) - 0.1 * y[1] + 0.5 * np.cos(0.7 * t)])

    y0 = np.array([1.0, 0.0])
    reference = solve_ivp(f, (0, 6), y0, rtol=1e-12, atol=1e-12).y[:, -1]
    dts = np.array([0.2, 0.1, 0.05, 0.025])
    errors = [
        np.abs(
            integrators.rk4(f, y0, np.linspace(0, 6, round(6 / dt) + 1))[-1] - reference
        ).max()
        for dt in dts
    ]
    assert convergence_order(errors, dts) == pytest.approx(4.0, abs=0.2)
    assert errors[-1] < 1e-6


def test_normal_mode_solution_solves_the_equations_of_motion():
    rng = np.random.default_rng(0)
    x0, v0 = rng.standard_normal(3), rng.standard_normal(3)
    t = np.linspace(0, 8, 81)
    x, v = oscillators.normal_mode_solution(x0, v0, t, k=1.3, coupling=0.7)
    stiffness = oscillators.stiffness_matrix(3, 1.3, 0.7)
    rhs = lambda _t, y: np.concatenate([y[3:], -stiffness @ y[:3]])  # noqa: E731
    reference = solve_ivp(
        rhs, (0, 8), np.concatenate([x0, v0]), t_eval=t, rtol=1e-11, atol=1e-11
    )
    np.testing.assert_allclose(x, reference.y[:3].T, atol=1e-8)
    np.testing.assert_allclose(v, reference.y[3:].T, atol=1e-8)


def test_two_mass_normal_modes():
    omega, modes = oscillators.normal_modes(2, k=1.0, coupling=0.5)
    np.testing.assert_allclose(omega, [1.0, np.sqrt(2.0)])
    np.testing.assert_allclose(np.abs(modes), np.full((2, 2), np.sqrt(0.5)))


def test_coupled_oscillators_against_exact_solution():
    rng = np.random.default_rng(1)
    t, x, v = oscillators.coupled_oscillators(5, rng, n_masses=3, n_steps=60)
    assert t.shape == (60,) and x.shape == (5, 60, 3) and v.dtype == np.float32
    rng = np.random.default_rng(1)
    x0, v0 = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    x_exact, v_exact = oscillators.normal_mode_solution(x0, v0, t)
    assert np.max(np.abs(x - x_exact)) < 3e-3
    assert np.max(np.abs(v - v_exact)) < 3e-3


def test_velocity_verlet_conserves_energy_over_long_times_and_rk4_drifts():
    stiffness = oscillators.stiffness_matrix(2, 1.0, 0.5)
    x0, v0 = np.array([1.0, 0.0]), np.array([0.0, 0.5])
    dt, n_steps = 0.2, 25_000  # 5000 time units, about 800 periods
    xs, vs = integrators.velocity_verlet(lambda x: -stiffness @ x, x0, v0, dt, n_steps)
    energy = oscillators.oscillator_energy(xs, vs)
    relative = np.abs(energy / energy[0] - 1)
    assert relative.max() < 0.02  # bounded oscillation, no drift
    assert relative[-5000:].max() < 2 * relative[:5000].max()
    t = dt * np.arange(n_steps + 1)
    ys = integrators.rk4(
        lambda _t, y: np.concatenate([y[2:], -stiffness @ y[:2]]),
        np.concatenate([x0, v0]),
        t,
    )
    rk4_energy = oscillators.oscillator_energy(ys[:, :2], ys[:, 2:])
    assert rk4_energy[-1] / rk4_energy[0] < 0.99  # RK4 is not symplectic: energy leaks


def test_bad_inputs():
    with pytest.raises(ValueError):
        integrators.velocity_verlet(harmonic_force, np.zeros(2), np.zeros(3), 0.1, 10)
    with pytest.raises(ValueError):
        integrators.velocity_verlet(harmonic_force, np.zeros(2), np.zeros(2), -0.1, 10)
    with pytest.raises(TypeError):
        integrators.velocity_verlet("force", np.zeros(2), np.zeros(2), 0.1, 10)
    with pytest.raises(ValueError):
        integrators.rk4(lambda t, y: y, np.zeros(2), np.array([0.0, 1.0, 0.5]))
    with pytest.raises(TypeError):
        oscillators.coupled_oscillators(3, 42)
    with pytest.raises(ValueError):
        oscillators.stiffness_matrix(2, k=0.0)
