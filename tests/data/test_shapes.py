"""Tests of the circle and square images of chapter 10 (ml4phys.data.random_circles, squares)."""

import numpy as np
import pytest

from ml4phys import data


def test_random_circles_shapes_and_parameters():
    images, params = data.random_circles(50, np.random.default_rng(0))
    assert images.shape == (50, 27, 27) and images.dtype == np.float32
    assert params.shape == (50, 3) and params.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    cx, cy, r = params.T
    assert np.all((r >= 2) & (r <= 8))
    assert np.all((cx - r >= 0) & (cx + r <= 27) & (cy - r >= 0) & (cy + r <= 27))
    # the white area is about pi r^2 (the edge ramp approximates the covered area)
    np.testing.assert_allclose(images.sum(axis=(1, 2)), np.pi * r**2, rtol=0.1)


def test_random_circles_position_is_mathematical():
    # the brightest pixel's column follows cx and its row follows -cy (y upwards)
    images, params = data.random_circles(
        20, np.random.default_rng(1), radius_range=(2, 3)
    )
    for image, (cx, cy, _) in zip(images, params):
        rows, cols = np.nonzero(image > 0.99)
        assert abs(cols.mean() + 0.5 - cx) < 1.0
        assert abs((27 - rows.mean() - 0.5) - cy) < 1.0


def test_random_circles_reproducible():
    a, pa = data.random_circles(
        5, np.random.default_rng(3), size=16, radius_range=(1, 4)
    )
    b, pb = data.random_circles(
        5, np.random.default_rng(3), size=16, radius_range=(1, 4)
    )
    assert a.shape == (5, 16, 16)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pa, pb)


@pytest.mark.parametrize("rotated", [False, True])
def test_squares(rotated):
    images, params = data.squares(40, np.random.default_rng(4), rotated=rotated)
    assert images.shape == (40, 27, 27) and images.dtype == np.float32
    assert params.shape == (40, 4)
    assert images.min() >= 0 and images.max() <= 1
    side, angle = params[:, 2], params[:, 3]
    assert np.all((side >= 5) & (side <= 13))
    if rotated:
        assert np.all(
            (angle >= np.deg2rad(15) - 1e-6) & (angle <= np.deg2rad(75) + 1e-6)
        )
    else:
        assert np.all(angle == 0)
    np.testing.assert_allclose(images.sum(axis=(1, 2)), side**2, rtol=0.12)
    # nothing is cut off at the border
    assert np.all(images[:, 0, :] < 1) and np.all(images[:, :, -1] < 1)


def test_centred_squares():
    images, params = data.squares(
        10, np.random.default_rng(5), rotated=True, centred=True
    )
    np.testing.assert_allclose(params[:, :2], 13.5)
    np.testing.assert_allclose(
        images, images[:, ::-1, ::-1], atol=1e-5
    )  # point symmetric


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda r: data.random_circles(0, r), ValueError),
        (lambda r: data.random_circles(2.0, r), TypeError),
        (lambda r: data.random_circles(2, 0), TypeError),
        (lambda r: data.random_circles(2, r, size=4), ValueError),
        (lambda r: data.random_circles(2, r, radius_range=(0, 3)), ValueError),
        (lambda r: data.random_circles(2, r, radius_range=(2, 14)), ValueError),
        (lambda r: data.random_circles(2, r, radius_range=(5, 3)), ValueError),
        (lambda r: data.random_circles(2, r, radius_range=(np.nan, 3)), ValueError),
        (lambda r: data.random_circles(2, r, radius_range=3), TypeError),
        (lambda r: data.squares(0, r), ValueError),
        (lambda r: data.squares(2, r, rotated="yes"), TypeError),
        (lambda r: data.squares(2, r, centred=1), TypeError),
        (lambda r: data.squares(2, r, side_range=(5, 30)), ValueError),
        (lambda r: data.squares(2, r, side_range=(-1, 3)), ValueError),
        (lambda r: data.squares(2, None), TypeError),
    ],
)
def test_bad_inputs(call, error):
    with pytest.raises(error):
        call(np.random.default_rng(0))
