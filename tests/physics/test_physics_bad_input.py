"""Bad input to ml4phys.physics: each raises TypeError/ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from ml4phys.physics import integrators, oscillators, particles

NAN = float("nan")
T = np.linspace(0.0, 1.0, 3)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def force(x):
    return -x


CASES = [
    (
        "pair_potential negative distance",
        lambda: particles.pair_potential(np.array([-1.0])),
        ValueError,
        "r must",
    ),
    (
        "pair_potential NaN",
        lambda: particles.pair_potential(np.array([NAN])),
        ValueError,
        "r contains NaN",
    ),
    (
        "pair_potential strings",
        lambda: particles.pair_potential("a"),
        TypeError,
        "r must",
    ),
    (
        "particle_energies potential of the wrong shape",
        lambda: particles.particle_energies(
            2, 3, rng(), potential=lambda r: np.ones(2)
        ),
        ValueError,
        "potential",
    ),
    (
        "particle_energies potential NaN",
        lambda: particles.particle_energies(2, 3, rng(), potential=lambda r: r * NAN),
        ValueError,
        "potential",
    ),
    (
        "verlet x0 strings",
        lambda: integrators.velocity_verlet(force, "ab", np.ones(2), 0.1, 3),
        TypeError,
        "x0",
    ),
    (
        "verlet x0 NaN",
        lambda: integrators.velocity_verlet(force, [NAN], [1.0], 0.1, 3),
        ValueError,
        "x0",
    ),
    (
        "verlet v0 inf",
        lambda: integrators.velocity_verlet(force, [1.0], [np.inf], 0.1, 3),
        ValueError,
        "v0",
    ),
    (
        "rk4 y0 NaN",
        lambda: integrators.rk4(lambda t, y: -y, np.array([NAN]), T),
        ValueError,
        "y0",
    ),
    (
        "rk4 y0 strings",
        lambda: integrators.rk4(lambda t, y: -y, "a", T),
        TypeError,
        "y0",
    ),
    (
        "rk4 t NaN",
        lambda: integrators.rk4(lambda t, y: -y, np.ones(1), [0.0, NAN]),
        ValueError,
        "t contains",
    ),
    (
        "normal_mode_solution x0 NaN",
        lambda: oscillators.normal_mode_solution([NAN, 1], [1, 1], T),
        ValueError,
        "x0",
    ),
    (
        "normal_mode_solution t NaN",
        lambda: oscillators.normal_mode_solution([1, 1], [1, 1], [0, NAN]),
        ValueError,
        "t",
    ),
    (
        "normal_mode_solution x0 strings",
        lambda: oscillators.normal_mode_solution("ab", [1, 1], T),
        TypeError,
        "x0",
    ),
    (
        "normal_mode_solution empty",
        lambda: oscillators.normal_mode_solution([], [], T),
        ValueError,
        "x0",
    ),
    (
        "oscillator_energy NaN",
        lambda: oscillators.oscillator_energy([NAN, 1], [1, 1]),
        ValueError,
        "x contains",
    ),
    (
        "oscillator_energy strings",
        lambda: oscillators.oscillator_energy("ab", [1, 1]),
        TypeError,
        "x must",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_valid_input_keeps_its_numbers():
    assert particles.pair_potential(np.array([0.0]))[0] == 0.5
    xs, vs = integrators.velocity_verlet(
        force, np.array([1, 0]), np.array([0, 1]), 0.1, 2
    )  # ints are fine
    assert xs.dtype == np.float64 and xs[0].tolist() == [1.0, 0.0]
    x0 = np.array([1.0, 0.0])
    integrators.velocity_verlet(force, x0, np.zeros(2), 0.1, 2)
    assert x0.tolist() == [1.0, 0.0]  # the caller's array is not changed
