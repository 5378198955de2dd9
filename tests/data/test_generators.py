"""Tests for ml4phys.data: synthetic generators and the offline data-set loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml4phys import data
from ml4phys.data import curves

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# Every random generator, called with small valid arguments: name -> f(n, rng).
GENERATORS = {
    "xor_points": lambda n, r: data.xor_points(n, r),
    "xor_points_noisy": lambda n, r: data.xor_points(n, r, noise=0.1),
    "quadrant_points": lambda n, r: data.quadrant_points(n, r),
    "circle_points": lambda n, r: data.circle_points(n, r),
    "ring_points": lambda n, r: data.ring_points(n, r),
    "curve_data": lambda n, r: data.curve_data(n, r),
    "gaussian_lorentzian_curves": lambda n, r: data.gaussian_lorentzian_curves(
        n, r, noise=0.05
    ),
    "circles_squares": lambda n, r: data.circles_squares(n, r, size=16, noise=0.1),
}


# ----------------------------------------------------------------------------------------
# Shapes, dtypes, determinism
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "x_shape", "y_dtype"),
    [
        ("xor_points", (50, 2), np.int64),
        ("xor_points_noisy", (50, 2), np.int64),
        ("quadrant_points", (50, 2), np.int64),
        ("circle_points", (50, 2), np.int64),
        ("ring_points", (50, 2), np.int64),
        ("curve_data", (50,), np.float32),
        ("gaussian_lorentzian_curves", (50, 64), np.int64),
        ("circles_squares", (50, 16, 16), np.int64),
    ],
)
def test_shapes_and_dtypes(name, x_shape, y_dtype):
    X, y = GENERATORS[name](50, rng())
    assert X.shape == x_shape
    assert X.dtype == np.float32
    assert y.shape == (50,)
    assert y.dtype == y_dtype


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_other_seed_other_data(name):
    X1, y1 = GENERATORS[name](40, rng(7))
    X2, y2 = GENERATORS[name](40, rng(7))
    X3, _ = GENERATORS[name](40, rng(8))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_n_equal_one_works(name):
    X, y = GENERATORS[name](1, rng())
    assert X.shape[0] == 1 and y.shape == (1,)


# ----------------------------------------------------------------------------------------
# Points in the plane
# ----------------------------------------------------------------------------------------


def test_xor_labels_by_definition_and_balance():
    X, y = data.xor_points(4000, rng())
    assert np.all(np.abs(X) <= 1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    # The book's XOR: 1 in the 2nd and 4th quadrants, 0 in the 1st and 3rd.
    assert np.all(y[(X[:, 0] < 0) & (X[:, 1] > 0)] == 1)
    assert np.all(y[(X[:, 0] > 0) & (X[:, 1] > 0)] == 0)
    assert abs(y.mean() - 0.5) < 0.04


def test_xor_noise_jitters_points_but_keeps_labels():
    X0, y0 = data.xor_points(3000, rng(3))
    X1, y1 = data.xor_points(3000, rng(3), noise=0.2)
    np.testing.assert_array_equal(y0, y1)
    assert np.std(X1 - X0) == pytest.approx(0.2, rel=0.05)
    assert np.any((X1[:, 0] * X1[:, 1] < 0) != y1.astype(bool))  # some crossed an axis


def test_quadrant_labels_by_definition_and_balance():
    X, y = data.quadrant_points(4000, rng())
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.select(
        [(x1 >= 0) & (x2 >= 0), (x1 < 0) & (x2 >= 0), (x1 < 0) & (x2 < 0)],
        [0, 1, 2],
        default=3,
    )
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(y % 2, (x1 * x2 < 0).astype(np.int64))
    counts = np.bincount(y, minlength=4) / len(y)
    np.testing.assert_allclose(counts, 0.25, atol=0.03)


def test_circle_points_labels_and_fraction():
    X, y = data.circle_points(8000, rng(), radius=0.6)
    r = np.hypot(X[:, 0].astype(np.float64), X[:, 1].astype(np.float64))
    np.testing.assert_array_equal(
        y[np.abs(r - 0.6) > 1e-6], (r < 0.6)[np.abs(r - 0.6) > 1e-6]
    )
    assert y.mean() == pytest.approx(np.pi * 0.6**2 / 4, abs=0.02)


def test_ring_points_labels_and_fraction():
    X, y = data.ring_points(8000, rng(), r_inner=0.3, r_outer=0.7)
    r = np.hypot(X[:, 0].astype(np.float64), X[:, 1].astype(np.float64))
    away = (np.abs(r - 0.3) > 1e-6) & (np.abs(r - 0.7) > 1e-6)
    np.testing.assert_array_equal(y[away], ((r >= 0.3) & (r < 0.7))[away])
    assert y.mean() == pytest.approx(np.pi * (0.7**2 - 0.3**2) / 4, abs=0.02)


# ----------------------------------------------------------------------------------------
# Curve data
# ----------------------------------------------------------------------------------------


def test_curve_data_without_noise_lies_on_default_curve():
    x, y = data.curve_data(500, rng(), noise=0.0)
    assert np.all((x >= -2) & (x <= 2))
    np.testing.assert_allclose(y, data.default_curve(x.astype(np.float64)), atol=1e-5)


def test_curve_data_noise_level_and_custom_function():
    x, y = data.curve_data(5000, rng(), f=np.cos, x_range=(0.0, 1.0), noise=0.3)
    assert np.all((x >= 0) & (x <= 1))
    assert np.std(y - np.cos(x)) == pytest.approx(0.3, rel=0.05)


def test_default_curve_is_wiggly():
    x = np.linspace(-2, 2, 401)
    slope_changes = np.sum(np.diff(np.sign(np.diff(data.default_curve(x)))) != 0)
    assert slope_changes >= 3


# ----------------------------------------------------------------------------------------
# Image as a function
# ----------------------------------------------------------------------------------------


def test_image_grid_order_and_spacing():
    X, shape = data.image_grid(4)
    assert shape == (4, 4) and X.shape == (16, 2) and X.dtype == np.float32
    grid = X.reshape(4, 4, 2)
    np.testing.assert_allclose(grid[0, 0], [-0.75, 0.75])  # top-left pixel
    np.testing.assert_allclose(grid[-1, -1], [0.75, -0.75])  # bottom-right pixel
    np.testing.assert_allclose(np.diff(grid[0, :, 0]), 0.5)  # x grows along a row
    np.testing.assert_allclose(np.diff(grid[:, 0, 1]), -0.5)  # y falls down the rows


def test_image_function_is_upright_bounded_and_deterministic():
    X, shape = data.image_grid(96)
    img = data.image_function(X).reshape(shape)
    assert img.dtype == np.float32
    assert img.min() >= 0 and img.max() <= 1
    np.testing.assert_array_equal(img, data.image_function(X).reshape(shape))
    # The hard stripes sit along the bottom (last rows), the soft background on top.
    assert set(np.unique(img[-1])) == {0.0, 1.0}
    assert np.all((img[0] > 0.15) & (img[0] < 0.45))
    # Both sharp and smooth features: many grey levels and some large jumps.
    assert len(np.unique(img)) > 50
    assert np.abs(np.diff(img, axis=1)).max() > 0.9


def test_image_function_features_where_documented():
    eye, highlight, face, centre_below_mouth = data.image_function(
        np.array([[0.22, 0.3], [0.19, 0.33], [0.0, 0.5], [0.0, -0.23]])
    )
    assert eye < 0.1 and highlight == 1.0 and face > 0.6 and centre_below_mouth < 0.1


def test_image_function_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        data.image_function(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="finite"):
        data.image_function(np.array([[np.nan, 0.0]]))


# ----------------------------------------------------------------------------------------
# Gaussian vs Lorentzian line shapes
# ----------------------------------------------------------------------------------------


def _measured_fwhm(x: np.ndarray, curve: np.ndarray) -> float:
    """Full width at half maximum by linear interpolation of the two half-maximum crossings."""
    half = curve.max() / 2
    above = np.nonzero(curve >= half)[0]
    i, j = above[0], above[-1]
    left = np.interp(half, [curve[i - 1], curve[i]], [x[i - 1], x[i]])
    right = np.interp(half, [curve[j + 1], curve[j]], [x[j + 1], x[j]])
    return right - left


@pytest.mark.parametrize("shape_fn", [curves._gaussian_peak, curves._lorentzian_peak])
def test_peak_functions_have_height_one_and_stated_fwhm(shape_fn):
    c, w = 0.1, 0.3
    assert shape_fn(np.array(c), c, w) == pytest.approx(1.0)
    np.testing.assert_allclose(shape_fn(np.array([c - w / 2, c + w / 2]), c, w), 0.5)


def test_gaussian_and_lorentzian_have_the_same_fwhm_distribution():
    n_points = 801
    x = np.linspace(-1, 1, n_points)
    curves, y = data.gaussian_lorentzian_curves(600, rng(), n_points=n_points)
    assert y.sum() == 300  # exactly balanced
    fwhm = np.array([_measured_fwhm(x, c.astype(np.float64)) for c in curves])
    assert np.all((fwhm > 0.15 - 0.005) & (fwhm < 0.5 + 0.005))
    gauss, lorentz = fwhm[y == 0], fwhm[y == 1]
    assert gauss.mean() == pytest.approx(lorentz.mean(), abs=0.02)
    np.testing.assert_allclose(
        np.quantile(gauss, [0.1, 0.5, 0.9]),
        np.quantile(lorentz, [0.1, 0.5, 0.9]),
        atol=0.04,
    )
    # ... while the shapes differ: the Lorentzian has heavier tails.
    assert (curves[y == 1] < 0.05).mean() < (curves[y == 0] < 0.05).mean() - 0.3


def test_gaussian_lorentzian_peak_height_and_noise():
    clean, y0 = data.gaussian_lorentzian_curves(400, rng(5))
    assert np.all(clean.max(axis=1) <= 1) and np.all(clean.max(axis=1) > 0.9)
    noisy, y1 = data.gaussian_lorentzian_curves(400, rng(5), noise=0.1)
    np.testing.assert_array_equal(y0, y1)
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.05)


def test_gaussian_lorentzian_fwhm_range_argument():
    x = np.linspace(-1, 1, 401)
    curves, _ = data.gaussian_lorentzian_curves(
        20, rng(), n_points=401, fwhm_range=(0.3, 0.31)
    )
    fwhm = [_measured_fwhm(x, c.astype(np.float64)) for c in curves]
    np.testing.assert_allclose(fwhm, 0.305, atol=0.01)


# ----------------------------------------------------------------------------------------
# Circles and squares
# ----------------------------------------------------------------------------------------


def _bounding_box_fill(image: np.ndarray) -> float:
    rows = np.nonzero(image.any(axis=1))[0]
    cols = np.nonzero(image.any(axis=0))[0]
    box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
    return image.sum() / box


def test_circles_squares_binary_balanced_and_geometrically_distinct():
    images, y = data.circles_squares(400, rng(), size=32)
    assert set(np.unique(images)) == {0.0, 1.0}
    assert y.sum() == 200
    fill = np.array([_bounding_box_fill(im) for im in images])
    np.testing.assert_array_equal(fill[y == 1], 1.0)  # a square fills its bounding box
    circles = fill[y == 0]
    assert np.all(circles < 0.9)  # a disc fills about pi/4 of it
    assert circles.mean() == pytest.approx(np.pi / 4, abs=0.04)


def test_circles_squares_mean_brightness_does_not_separate_classes():
    images, y = data.circles_squares(2000, rng(1), size=32)
    brightness = images.mean(axis=(1, 2))
    best = max(
        max(np.mean((brightness > t) == y), np.mean((brightness <= t) == y))
        for t in np.unique(brightness)
    )
    assert best < 0.6


def test_circles_squares_noise():
    clean, y0 = data.circles_squares(100, rng(2), size=16)
    noisy, y1 = data.circles_squares(100, rng(2), size=16, noise=0.2)
    np.testing.assert_array_equal(y0, y1)
    assert noisy.dtype == np.float32
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)


# ----------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize(
    ("n", "error"),
    [
        (0, ValueError),
        (-3, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("10", TypeError),
    ],
)
def test_bad_n(name, n, error):
    with pytest.raises(error, match="n must be"):
        GENERATORS[name](n, rng())


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("bad_rng", [42, None, np.random.RandomState(0)])
def test_bad_rng(name, bad_rng):
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        GENERATORS[name](10, bad_rng)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: data.xor_points(10, rng(), noise=-0.1), ValueError, "noise"),
        (lambda: data.xor_points(10, rng(), noise="a"), TypeError, "noise"),
        (lambda: data.xor_points(10, rng(), noise=float("nan")), ValueError, "finite"),
        (lambda: data.circle_points(10, rng(), radius=0.0), ValueError, "radius"),
        (
            lambda: data.ring_points(10, rng(), r_inner=0.7, r_outer=0.3),
            ValueError,
            "r_inner",
        ),
        (lambda: data.ring_points(10, rng(), r_inner=-0.1), ValueError, "r_inner"),
        (lambda: data.curve_data(10, rng(), f="sin"), TypeError, "callable"),
        (lambda: data.curve_data(10, rng(), f=lambda x: x[:3]), ValueError, "shape"),
        (lambda: data.curve_data(10, rng(), x_range=(1.0, 1.0)), ValueError, "x_range"),
        (lambda: data.curve_data(10, rng(), x_range=3.0), TypeError, "x_range"),
        (lambda: data.curve_data(10, rng(), noise=-1.0), ValueError, "noise"),
        (
            lambda: data.gaussian_lorentzian_curves(10, rng(), n_points=4),
            ValueError,
            "n_points",
        ),
        (
            lambda: data.gaussian_lorentzian_curves(10, rng(), n_points=64.0),
            TypeError,
            "n_points",
        ),
        (
            lambda: data.gaussian_lorentzian_curves(10, rng(), noise=-1),
            ValueError,
            "noise",
        ),
        (
            lambda: data.gaussian_lorentzian_curves(10, rng(), fwhm_range=(0.5, 0.2)),
            ValueError,
            "fwhm_range",
        ),
        (
            lambda: data.gaussian_lorentzian_curves(10, rng(), fwhm_range=(0.0, 0.2)),
            ValueError,
            "fwhm_range",
        ),
        (lambda: data.circles_squares(10, rng(), size=8), ValueError, "size"),
        (lambda: data.circles_squares(10, rng(), size=32.0), TypeError, "size"),
        (lambda: data.circles_squares(10, rng(), noise=-0.5), ValueError, "noise"),
        (lambda: data.image_grid(0), ValueError, "n_pixels"),
        (lambda: data.image_grid(2.0), TypeError, "n_pixels"),
        (
            lambda: data.load_fashion_mnist("validation"),
            ValueError,
            "'train' or 'test'",
        ),
        (lambda: data.load_fashion_mnist(0), TypeError, "split"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------------------
# Circles to squares (chapter 5)
# ----------------------------------------------------------------------------------------


def test_circles_to_squares_shapes_dtypes_values_and_determinism():
    inputs, targets = data.circles_to_squares(20, rng(3), size=24)
    assert inputs.shape == targets.shape == (20, 24, 24)
    assert inputs.dtype == targets.dtype == np.float32
    assert set(np.unique(inputs)) <= {0.0, 1.0} and set(np.unique(targets)) <= {
        0.0,
        1.0,
    }
    again = data.circles_to_squares(20, rng(3), size=24)
    np.testing.assert_array_equal(inputs, again[0])
    np.testing.assert_array_equal(targets, again[1])
    assert not np.array_equal(inputs, data.circles_to_squares(20, rng(4), size=24)[0])


def test_circles_to_squares_discs_lie_inside_their_squares():
    inputs, targets = data.circles_to_squares(200, rng(5))
    assert np.all(targets[inputs == 1] == 1)
    assert np.all(inputs.sum(axis=(1, 2)) > 0)
    ratio = targets.sum() / inputs.sum()
    assert (
        1.1 < ratio < 4 / np.pi + 0.15
    )  # squares are larger, by ~4/pi without overlaps


def test_circles_to_squares_single_shape_geometry():
    """One disc per image: same centre of mass; the target is the disc's bounding square."""
    inputs, targets = data.circles_to_squares(
        300, rng(6), size=32, n_shapes=(1, 1), radius=(3.0, 6.0)
    )
    ii, jj = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    for image, target in zip(inputs, targets):
        centre_in = np.array([(ii * image).sum(), (jj * image).sum()]) / image.sum()
        centre_out = np.array([(ii * target).sum(), (jj * target).sum()]) / target.sum()
        np.testing.assert_allclose(centre_in, centre_out, atol=0.5)
        rows, cols = np.nonzero(target)
        assert target.sum() == (np.ptp(rows) + 1) * (
            np.ptp(cols) + 1
        )  # a filled rectangle ...
        assert abs(np.ptp(rows) - np.ptp(cols)) <= 1  # ... that is a square ...
        rows_in, cols_in = np.nonzero(image)
        assert np.ptp(rows) - np.ptp(rows_in) in (0, 1, 2)  # ... as wide as the disc
        assert np.ptp(cols) - np.ptp(cols_in) in (0, 1, 2)


def test_circles_to_squares_number_of_shapes_and_noise():
    from scipy.ndimage import label

    inputs, targets = data.circles_to_squares(
        100, rng(7), size=64, n_shapes=(2, 3), radius=(2.0, 3.0)
    )
    counts = np.array([label(image)[1] for image in inputs])
    assert counts.max() <= 3 and counts.min() >= 1 and np.mean(counts >= 2) > 0.8
    noisy, clean_targets = data.circles_to_squares(50, rng(8), noise=0.2)
    clean, _ = data.circles_to_squares(50, rng(8))
    np.testing.assert_allclose(np.std(noisy - clean), 0.2, rtol=0.1)
    assert set(np.unique(clean_targets)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": 0}, ValueError),
        ({"size": 4}, ValueError),
        ({"n_shapes": (3, 2)}, ValueError),
        ({"n_shapes": (0, 2)}, ValueError),
        ({"n_shapes": 2}, TypeError),
        ({"radius": (0.0, 2.0)}, ValueError),
        ({"radius": (2.0, 20.0)}, ValueError),
        ({"noise": -1.0}, ValueError),
        ({"n": 2.0}, TypeError),
    ],
)
def test_circles_to_squares_validates(kwargs, error):
    args = {"n": 3, "rng": rng(), **kwargs}
    with pytest.raises(error):
        data.circles_to_squares(**args)
    with pytest.raises(TypeError):
        data.circles_to_squares(3, 42)
