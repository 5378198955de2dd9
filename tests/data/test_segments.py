"""Tests of data.segments: one contiguous run of ones of the given width per image."""

from __future__ import annotations

import numpy as np
import pytest

from ml4phys import data


def test_each_image_is_one_segment_of_the_width():
    x = data.segments(500, np.random.default_rng(0), length=12, width=5)
    assert x.shape == (500, 12) and x.dtype == np.float32
    assert np.all(x.sum(axis=1) == 5)
    edges = np.diff(np.pad(x, ((0, 0), (1, 1))), axis=1)
    assert np.all((edges == 1).sum(axis=1) == 1)  # exactly one run of ones
    starts = np.argmax(x, axis=1)
    counts = np.bincount(starts, minlength=8)
    assert counts.size == 8 and counts.min() > 30  # every position 0..7 occurs


def test_seeded():
    a = data.segments(20, np.random.default_rng(1))
    b = data.segments(20, np.random.default_rng(1))
    c = data.segments(20, np.random.default_rng(2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == (20, 16) and np.all(a.sum(1) == 4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n": 0}, ValueError, "n must"),
        ({"n": 2.0}, TypeError, "n must"),
        ({"rng": 3}, TypeError, "rng"),
        ({"length": 1}, ValueError, "length"),
        ({"width": 0}, ValueError, "width"),
        ({"width": 16}, ValueError, "smaller than length"),
        ({"width": "4"}, TypeError, "width"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"n": 5, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=match):
        data.segments(**args)
