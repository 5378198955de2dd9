"""Tests for ml4phys.data: synthetic generators and the offline data-set loaders."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from ml4phys import data

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
    "gaussian_lorentzian_curves": lambda n, r: data.gaussian_lorentzian_curves(n, r, noise=0.05),
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
        [(x1 >= 0) & (x2 >= 0), (x1 < 0) & (x2 >= 0), (x1 < 0) & (x2 < 0)], [0, 1, 2], default=3
    )
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(y % 2, (x1 * x2 < 0).astype(np.int64))
    counts = np.bincount(y, minlength=4) / len(y)
    np.testing.assert_allclose(counts, 0.25, atol=0.03)


def test_circle_points_labels_and_fraction():
    X, y = data.circle_points(8000, rng(), radius=0.6)
    r = np.hypot(X[:, 0].astype(np.float64), X[:, 1].astype(np.float64))
    np.testing.assert_array_equal(y[np.abs(r - 0.6) > 1e-6], (r < 0.6)[np.abs(r - 0.6) > 1e-6])
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


@pytest.mark.parametrize("shape_fn", [data._gaussian_peak, data._lorentzian_peak])
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
        np.quantile(gauss, [0.1, 0.5, 0.9]), np.quantile(lorentz, [0.1, 0.5, 0.9]), atol=0.04
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
    curves, _ = data.gaussian_lorentzian_curves(20, rng(), n_points=401, fwhm_range=(0.3, 0.31))
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
    ("n", "error"), [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError),
                     ("10", TypeError)],
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
        (lambda: data.ring_points(10, rng(), r_inner=0.7, r_outer=0.3), ValueError, "r_inner"),
        (lambda: data.ring_points(10, rng(), r_inner=-0.1), ValueError, "r_inner"),
        (lambda: data.curve_data(10, rng(), f="sin"), TypeError, "callable"),
        (lambda: data.curve_data(10, rng(), f=lambda x: x[:3]), ValueError, "shape"),
        (lambda: data.curve_data(10, rng(), x_range=(1.0, 1.0)), ValueError, "x_range"),
        (lambda: data.curve_data(10, rng(), x_range=3.0), TypeError, "x_range"),
        (lambda: data.curve_data(10, rng(), noise=-1.0), ValueError, "noise"),
        (lambda: data.gaussian_lorentzian_curves(10, rng(), n_points=4), ValueError, "n_points"),
        (lambda: data.gaussian_lorentzian_curves(10, rng(), n_points=64.0), TypeError, "n_points"),
        (lambda: data.gaussian_lorentzian_curves(10, rng(), noise=-1), ValueError, "noise"),
        (lambda: data.gaussian_lorentzian_curves(10, rng(), fwhm_range=(0.5, 0.2)), ValueError,
         "fwhm_range"),
        (lambda: data.gaussian_lorentzian_curves(10, rng(), fwhm_range=(0.0, 0.2)), ValueError,
         "fwhm_range"),
        (lambda: data.circles_squares(10, rng(), size=8), ValueError, "size"),
        (lambda: data.circles_squares(10, rng(), size=32.0), TypeError, "size"),
        (lambda: data.circles_squares(10, rng(), noise=-0.5), ValueError, "noise"),
        (lambda: data.image_grid(0), ValueError, "n_pixels"),
        (lambda: data.image_grid(2.0), TypeError, "n_pixels"),
        (lambda: data.load_fashion_mnist("validation"), ValueError, "'train' or 'test'"),
        (lambda: data.load_fashion_mnist(0), TypeError, "split"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------------------
# scikit-learn digits
# ----------------------------------------------------------------------------------------


def test_load_digits_scaled_copy_of_sklearn():
    from sklearn.datasets import load_digits as sklearn_load_digits

    images, y = data.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    reference = sklearn_load_digits()
    np.testing.assert_allclose(images * 16, reference.images, atol=1e-5)
    np.testing.assert_array_equal(y, reference.target)
    assert set(np.unique(y)) == set(range(10))


# ----------------------------------------------------------------------------------------
# IDX files and the Fashion-MNIST loader (synthetic files, no network)
# ----------------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


def _write_idx_gz(path: Path, array: np.ndarray) -> str:
    """Write an IDX .gz file; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(_idx_bytes(array)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def no_fashion_anywhere(tmp_path, monkeypatch):
    """Point every search location at empty folders."""
    monkeypatch.setattr(data, "_SYSTEM_DIRS", (tmp_path / "system",))
    monkeypatch.setenv("ML4PHYS_DATA", str(tmp_path / "ml4phys_data"))
    return tmp_path


@pytest.fixture
def fake_fashion(tmp_path, no_fashion_anywhere, monkeypatch):
    """Small synthetic Fashion-MNIST files in tmp_path/src, their checksums patched in."""
    r = rng(11)
    arrays = {
        "train": (r.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6, dtype=np.uint8)),
        "test": (r.integers(0, 256, (4, 28, 28), dtype=np.uint8), np.array([9, 0, 3, 3], np.uint8)),
    }
    folder = tmp_path / "src"
    sums = {}
    for split, (images, labels) in arrays.items():
        image_name, label_name = data._FASHION_MNIST_FILES[split]
        sums[image_name] = (_write_idx_gz(folder / image_name, images),)
        sums[label_name] = (_write_idx_gz(folder / label_name, labels),)
    monkeypatch.setattr(data, "_FASHION_MNIST_SHA256", sums)
    return folder, arrays


def test_parse_idx_roundtrip_of_several_types():
    for array in [
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-5, 7, 2**30], dtype=">i4"),
        np.linspace(0, 1, 6, dtype=">f4").reshape(3, 2),
    ]:
        parsed = data._parse_idx(_idx_bytes(array), "x.idx")
        np.testing.assert_array_equal(parsed, array)
        assert parsed.shape == array.shape


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "type code"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "does not match"),
    ],
)
def test_parse_idx_rejects_malformed_files(raw, match):
    with pytest.raises(ValueError, match=match):
        data._parse_idx(raw, "bad.idx")


def test_load_from_explicit_data_dir(fake_fashion):
    folder, arrays = fake_fashion
    for split in ("train", "test"):
        images, y = data.load_fashion_mnist(split, data_dir=folder)
        assert images.dtype == np.uint8 and y.dtype == np.int64
        np.testing.assert_array_equal(images, arrays[split][0])
        np.testing.assert_array_equal(y, arrays[split][1])


def test_load_from_environment_and_parent_folder(fake_fashion, tmp_path, monkeypatch):
    folder, arrays = fake_fashion
    shutil.copytree(folder, tmp_path / "env" / "fashion-mnist")
    monkeypatch.setenv("ML4PHYS_DATA", str(tmp_path / "env"))
    assert data.data_dir() == tmp_path / "env"
    np.testing.assert_array_equal(data.load_fashion_mnist("test")[1], arrays["test"][1])
    # data_dir may also be the parent of a fashion-mnist/ folder.
    np.testing.assert_array_equal(
        data.load_fashion_mnist("train", data_dir=tmp_path / "env")[0], arrays["train"][0]
    )


def test_load_from_system_folder(fake_fashion, monkeypatch):
    folder, arrays = fake_fashion
    monkeypatch.setattr(data, "_SYSTEM_DIRS", (folder,))
    np.testing.assert_array_equal(data.load_fashion_mnist("train")[1], arrays["train"][1])


def test_loaded_arrays_are_independent_copies(fake_fashion):
    folder, arrays = fake_fashion
    images, _ = data.load_fashion_mnist("train", data_dir=folder)
    images[:] = 0
    again, _ = data.load_fashion_mnist("train", data_dir=folder)
    np.testing.assert_array_equal(again, arrays["train"][0])


def test_checksum_mismatch_names_the_file(fake_fashion, monkeypatch):
    folder, _ = fake_fashion
    sums = dict(data._FASHION_MNIST_SHA256)
    sums["t10k-labels-idx1-ubyte.gz"] = ("0" * 64,)
    monkeypatch.setattr(data, "_FASHION_MNIST_SHA256", sums)
    with pytest.raises(ValueError, match=r"checksum mismatch.*t10k-labels-idx1-ubyte\.gz"):
        data.load_fashion_mnist("test", data_dir=folder)


def test_wrong_image_dimensions_and_label_count(fake_fashion, monkeypatch):
    folder, _ = fake_fashion
    sums = dict(data._FASHION_MNIST_SHA256)
    sums["t10k-images-idx3-ubyte.gz"] = (
        _write_idx_gz(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 5, 5), np.uint8)),
    )
    monkeypatch.setattr(data, "_FASHION_MNIST_SHA256", sums)
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        data.load_fashion_mnist("test", data_dir=folder)
    sums["t10k-images-idx3-ubyte.gz"] = (
        _write_idx_gz(folder / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8)),
    )
    with pytest.raises(ValueError, match="3 images but 4 labels"):
        data.load_fashion_mnist("test", data_dir=folder)


def test_missing_data_error_says_how_to_get_it(no_fashion_anywhere):
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("train")
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "ML4PHYS_DATA" in message
    assert "download=True" in message
    assert "train-images-idx3-ubyte.gz" in message
    assert str(no_fashion_anywhere / "ml4phys_data" / "fashion-mnist") in message


def test_download_fetches_into_data_dir(fake_fashion, tmp_path, monkeypatch):
    folder, arrays = fake_fashion
    fetched = []

    def fake_download(url: str, dest: Path) -> None:
        fetched.append(url)
        shutil.copyfile(folder / url.rsplit("/", 1)[-1], dest)

    monkeypatch.setattr(data, "_download", fake_download)
    images, y = data.load_fashion_mnist("test", download=True)
    np.testing.assert_array_equal(images, arrays["test"][0])
    np.testing.assert_array_equal(y, arrays["test"][1])
    target = tmp_path / "ml4phys_data" / "fashion-mnist"
    assert sorted(p.name for p in target.iterdir()) == sorted(data._FASHION_MNIST_FILES["test"])
    first_mirror = data._FASHION_MNIST_URLS[0]
    assert fetched == [first_mirror + name for name in data._FASHION_MNIST_FILES["test"]]
    # Now present: a second call reads the files without downloading.
    data.load_fashion_mnist("test", download=True)
    assert len(fetched) == 2


def test_download_falls_back_to_the_next_mirror(fake_fashion, tmp_path, monkeypatch):
    folder, arrays = fake_fashion

    def flaky_download(url: str, dest: Path) -> None:
        if url.startswith(data._FASHION_MNIST_URLS[0]):
            raise urllib.error.URLError("no route to host")
        shutil.copyfile(folder / url.rsplit("/", 1)[-1], dest)

    monkeypatch.setattr(data, "_download", flaky_download)
    _, y = data.load_fashion_mnist("test", data_dir=tmp_path / "explicit", download=True)
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert (tmp_path / "explicit" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_download_with_wrong_checksum_keeps_nothing(fake_fashion, tmp_path, monkeypatch):
    def corrupt_download(url: str, dest: Path) -> None:
        dest.write_bytes(b"not the file")

    monkeypatch.setattr(data, "_download", corrupt_download)
    with pytest.raises(ValueError, match=r"checksum mismatch.*t10k-images-idx3-ubyte\.gz"):
        data.load_fashion_mnist("test", download=True)
    target = tmp_path / "ml4phys_data" / "fashion-mnist"
    assert list(target.iterdir()) == []


def test_download_offline_gives_the_how_to_message(no_fashion_anywhere, monkeypatch):
    def offline(url: str, dest: Path) -> None:
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(data, "_download", offline)
    with pytest.raises(FileNotFoundError, match="(?s)apt-get install.*network is unreachable"):
        data.load_fashion_mnist("train", download=True)


def test_data_dir_default_and_override(tmp_path, monkeypatch):
    monkeypatch.delenv("ML4PHYS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.data_dir() == tmp_path / ".cache" / "ml4phys"
    monkeypatch.setenv("ML4PHYS_DATA", "")
    assert data.data_dir() == tmp_path / ".cache" / "ml4phys"
    monkeypatch.setenv("ML4PHYS_DATA", "~/elsewhere")
    assert data.data_dir() == tmp_path / "elsewhere"


def test_real_download_function_copies_a_url(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 5000)  # more than one read chunk
    data._download(source.as_uri(), tmp_path / "copy.bin")  # file:// needs no network
    assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()


def test_fashion_mnist_class_names():
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert len(set(data.FASHION_MNIST_CLASSES)) == 10
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


# ----------------------------------------------------------------------------------------
# The real files from Debian's dataset-fashion-mnist
# ----------------------------------------------------------------------------------------


@pytest.mark.skipif(
    not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_real_fashion_mnist_from_debian(monkeypatch):
    monkeypatch.setenv("ML4PHYS_DATA", "/nonexistent-ml4phys-data")
    data._read_idx_gz.cache_clear()
    for split, n in [("train", 60_000), ("test", 10_000)]:
        start = time.perf_counter()
        images, y = data.load_fashion_mnist(split, data_dir=DEBIAN_DIR)
        elapsed = time.perf_counter() - start
        assert elapsed < 5.0  # about 0.4 s for the training set on one core
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert y.shape == (n,) and y.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(y), [n // 10] * 10)
        assert y[0] == 9  # the first image of both splits is an ankle boot
        assert 60 < images.mean() < 90  # mean grey value of Fashion-MNIST is about 73


# ----------------------------------------------------------------------------------------
# Circles to squares (chapter 5)
# ----------------------------------------------------------------------------------------


def test_circles_to_squares_shapes_dtypes_values_and_determinism():
    inputs, targets = data.circles_to_squares(20, rng(3), size=24)
    assert inputs.shape == targets.shape == (20, 24, 24)
    assert inputs.dtype == targets.dtype == np.float32
    assert set(np.unique(inputs)) <= {0.0, 1.0} and set(np.unique(targets)) <= {0.0, 1.0}
    again = data.circles_to_squares(20, rng(3), size=24)
    np.testing.assert_array_equal(inputs, again[0])
    np.testing.assert_array_equal(targets, again[1])
    assert not np.array_equal(inputs, data.circles_to_squares(20, rng(4), size=24)[0])


def test_circles_to_squares_discs_lie_inside_their_squares():
    inputs, targets = data.circles_to_squares(200, rng(5))
    assert np.all(targets[inputs == 1] == 1)
    assert np.all(inputs.sum(axis=(1, 2)) > 0)
    ratio = targets.sum() / inputs.sum()
    assert 1.1 < ratio < 4 / np.pi + 0.15  # squares are larger, by ~4/pi without overlaps


def test_circles_to_squares_single_shape_geometry():
    """One disc per image: same centre of mass; the target is the disc's bounding square."""
    inputs, targets = data.circles_to_squares(300, rng(6), size=32, n_shapes=(1, 1), radius=(3.0, 6.0))
    ii, jj = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    for image, target in zip(inputs, targets):
        centre_in = np.array([(ii * image).sum(), (jj * image).sum()]) / image.sum()
        centre_out = np.array([(ii * target).sum(), (jj * target).sum()]) / target.sum()
        np.testing.assert_allclose(centre_in, centre_out, atol=0.5)
        rows, cols = np.nonzero(target)
        assert target.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # a filled rectangle ...
        assert abs(np.ptp(rows) - np.ptp(cols)) <= 1  # ... that is a square ...
        rows_in, cols_in = np.nonzero(image)
        assert np.ptp(rows) - np.ptp(rows_in) in (0, 1, 2)  # ... as wide as the disc
        assert np.ptp(cols) - np.ptp(cols_in) in (0, 1, 2)


def test_circles_to_squares_number_of_shapes_and_noise():
    from scipy.ndimage import label

    inputs, targets = data.circles_to_squares(100, rng(7), size=64, n_shapes=(2, 3), radius=(2.0, 3.0))
    counts = np.array([label(image)[1] for image in inputs])
    assert counts.max() <= 3 and counts.min() >= 1 and np.mean(counts >= 2) > 0.8
    noisy, clean_targets = data.circles_to_squares(50, rng(8), noise=0.2)
    clean, _ = data.circles_to_squares(50, rng(8))
    np.testing.assert_allclose(np.std(noisy - clean), 0.2, rtol=0.1)
    assert set(np.unique(clean_targets)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"n": 0}, ValueError), ({"size": 4}, ValueError), ({"n_shapes": (3, 2)}, ValueError),
     ({"n_shapes": (0, 2)}, ValueError), ({"n_shapes": 2}, TypeError), ({"radius": (0.0, 2.0)}, ValueError),
     ({"radius": (2.0, 20.0)}, ValueError), ({"noise": -1.0}, ValueError), ({"n": 2.0}, TypeError)],
)
def test_circles_to_squares_validates(kwargs, error):
    args = {"n": 3, "rng": rng(), **kwargs}
    with pytest.raises(error):
        data.circles_to_squares(**args)
    with pytest.raises(TypeError):
        data.circles_to_squares(3, 42)
