"""The ring of Gaussians of chapter 12: centres, mode statistics, determinism, bad input."""

import numpy as np
import pytest

from ml4phys import data


def test_centres_lie_evenly_on_the_circle():
    centres = data.ring_centres(8, 2.0)
    assert centres.shape == (8, 2) and centres.dtype == np.float32
    np.testing.assert_allclose(np.hypot(*centres.T), 2.0, rtol=1e-6)
    angles = np.unwrap(np.arctan2(centres[:, 1], centres[:, 0]))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8, rtol=1e-5)
    np.testing.assert_allclose(centres[0], [2.0, 0.0], atol=1e-7)


def test_points_scatter_around_their_mode_with_the_given_std():
    X, modes = data.gaussian_ring(40_000, np.random.default_rng(0), n_modes=5, std=0.1)
    assert X.shape == (40_000, 2) and X.dtype == np.float32
    assert modes.dtype == np.int64 and set(np.unique(modes)) == set(range(5))
    offsets = X - data.ring_centres(5, 2.0)[modes]
    np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=3e-3)
    np.testing.assert_allclose(offsets.std(axis=0), 0.1, rtol=0.02)
    counts = np.bincount(modes) / len(modes)
    np.testing.assert_allclose(counts, 0.2, atol=0.01)  # modes chosen uniformly


def test_same_generator_state_same_points():
    a = data.gaussian_ring(50, np.random.default_rng(3))
    b = data.gaussian_ring(50, np.random.default_rng(3))
    c = data.gaussian_ring(50, np.random.default_rng(4))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": 0}, ValueError),
        ({"n": 2.5}, TypeError),
        ({"rng": 0}, TypeError),
        ({"n_modes": 0}, ValueError),
        ({"n_modes": "8"}, TypeError),
        ({"radius": 0.0}, ValueError),
        ({"radius": float("nan")}, ValueError),
        ({"std": -0.1}, ValueError),
        ({"std": 0.0}, ValueError),
        ({"std": None}, TypeError),
    ],
)
def test_bad_input_is_refused(kwargs, error):
    arguments = {"n": 10, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error):
        data.gaussian_ring(**arguments)


def test_bad_centres_are_refused():
    with pytest.raises(ValueError):
        data.ring_centres(8, -1.0)
    with pytest.raises(TypeError):
        data.ring_centres(True, 2.0)
