"""Synthetic physics data and offline data-set loaders.

Everything the book trains on comes from this module, and everything here works offline:

* **Points in the plane** (:func:`xor_points`, :func:`quadrant_points`, :func:`circle_points`,
  :func:`ring_points`): two-dimensional inputs ``X`` of shape ``(n, 2)`` drawn uniformly from
  the square :math:`[-1, 1]^2`, with integer class labels ``y`` of shape ``(n,)``.
* **A curve to fit** (:func:`curve_data`, :func:`default_curve`): noisy samples of a wiggly
  one-dimensional function.
* **An image as a function** (:func:`image_function`, :func:`image_grid`): a picture whose
  grey value is a deterministic function of the coordinates ``(x, y)``, to be learned by a
  network that maps two numbers to one.
* **Physics-flavoured classification** (:func:`gaussian_lorentzian_curves`,
  :func:`circles_squares`): line shapes and small images with two classes.
* **Image-to-image pairs** (:func:`circles_to_squares`): images of discs and, as targets, the
  squares they are inscribed in, for the U-Net of chapter 5.
* **Real data bundled or packaged offline** (:func:`load_digits`, :func:`load_fashion_mnist`):
  scikit-learn's 8x8 handwritten digits, and Fashion-MNIST read from its IDX files.

Conventions shared by every function here:

* Randomness only through an explicit ``rng`` (a :class:`numpy.random.Generator`, as
  returned by :func:`ml4phys.seed_everything`); the same ``rng`` state gives the same data.
* Inputs are ``float32`` NumPy arrays, class labels ``int64``; convert with
  ``torch.from_numpy`` when a network wants tensors.
* Coordinates are mathematical: ``X[:, 0]`` is :math:`x` (to the right), ``X[:, 1]`` is
  :math:`y` (upwards). All lengths are dimensionless unless a docstring gives a unit.

Data on disk live under one folder, :func:`data_dir`: the environment variable
``ML4PHYS_DATA`` when it is set, else ``~/.cache/ml4phys``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import math
import numbers
import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ml4phys._validation import check_int, check_rng

__all__ = [
    "FASHION_MNIST_CLASSES",
    "circle_points",
    "circles_squares",
    "circles_to_squares",
    "curve_data",
    "data_dir",
    "default_curve",
    "gaussian_lorentzian_curves",
    "image_function",
    "image_grid",
    "load_digits",
    "load_fashion_mnist",
    "quadrant_points",
    "ring_points",
    "xor_points",
]


# ----------------------------------------------------------------------------------------
# Input validation (private)
# ----------------------------------------------------------------------------------------


_check_int = check_int
_check_rng = check_rng


def _check_float(value: object, name: str, minimum: float | None = 0.0) -> float:
    """Return ``value`` as a finite ``float``, optionally checking ``value >= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_range(value: object, name: str) -> tuple[float, float]:
    """Check a pair ``(low, high)`` of finite numbers with ``low < high``."""
    try:
        low, high = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high), got {value!r}") from None
    low = _check_float(low, f"{name}[0]", minimum=None)
    high = _check_float(high, f"{name}[1]", minimum=None)
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got {value!r}")
    return low, high


def _uniform_square(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform in ``[-1, 1]^2``, float64, shape ``(n, 2)``."""
    return rng.uniform(-1.0, 1.0, size=(n, 2))


def _balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """Labels 0 and 1 in random order, ``n // 2`` ones (exactly balanced up to one), int64."""
    return rng.permutation(np.arange(n, dtype=np.int64) % 2)


# ----------------------------------------------------------------------------------------
# Points in the plane
# ----------------------------------------------------------------------------------------


def xor_points(
    n: int, rng: np.random.Generator, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square with the XOR labelling of the four quadrants.

    The label is 1 where the two coordinates have opposite signs (second and fourth
    quadrant, :math:`x_1 x_2 < 0`) and 0 otherwise: the function a single neuron cannot
    represent, and a hidden layer can.

    Args:
        n: number of points, a positive int.
        rng: the random generator.
        noise: standard deviation of Gaussian jitter added to ``X`` *after* labelling
            (0 gives clean labels; with jitter, points near the axes may cross to the
            quadrant of the other class).

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, float32, uniform in :math:`[-1, 1]^2` before
        jitter; ``y`` of shape ``(n,)``, int64 in {0, 1}, about half ones.

    Raises:
        TypeError: if ``n`` is not an int, ``rng`` not a Generator, or ``noise`` not a number.
        ValueError: if ``n < 1`` or ``noise < 0``.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    noise = _check_float(noise, "noise")
    X = _uniform_square(n, rng)
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y


def quadrant_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square labelled by their quadrant (a four-class problem).

    Quadrants are numbered counter-clockwise from the first, as in mathematics, starting
    at 0: label 0 for :math:`x_1 \\ge 0, x_2 \\ge 0`; 1 for :math:`x_1 < 0, x_2 \\ge 0`;
    2 for :math:`x_1 < 0, x_2 < 0`; 3 for :math:`x_1 \\ge 0, x_2 < 0`. So ``y % 2`` is the
    XOR label of :func:`xor_points`.

    Args:
        n: number of points, a positive int.
        rng: the random generator.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, float32, uniform in :math:`[-1, 1]^2`;
        ``y`` of shape ``(n,)``, int64 in {0, 1, 2, 3}, about a quarter each.

    Raises:
        TypeError: if ``n`` is not an int or ``rng`` not a Generator.
        ValueError: if ``n < 1``.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    X = _uniform_square(n, rng)
    left = X[:, 0] < 0
    lower = X[:, 1] < 0
    y = np.where(lower, np.where(left, 2, 3), np.where(left, 1, 0)).astype(np.int64)
    return X.astype(np.float32), y


def circle_points(
    n: int, rng: np.random.Generator, radius: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square labelled 1 inside a centred circle, 0 outside.

    The fraction of ones is the area ratio :math:`\\pi r^2 / 4` (about 0.2 for the default
    radius 0.5; a radius of :math:`\\sqrt{2/\\pi} \\approx 0.80` balances the classes).

    Args:
        n: number of points, a positive int.
        rng: the random generator.
        radius: radius :math:`r > 0` of the circle centred at the origin.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, float32, uniform in :math:`[-1, 1]^2`;
        ``y`` of shape ``(n,)``, int64, 1 where :math:`|X| < r`.

    Raises:
        TypeError: if ``n`` is not an int, ``rng`` not a Generator or ``radius`` not a number.
        ValueError: if ``n < 1`` or ``radius <= 0``.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    radius = _check_float(radius, "radius")
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    X = _uniform_square(n, rng)
    y = (np.hypot(X[:, 0], X[:, 1]) < radius).astype(np.int64)
    return X.astype(np.float32), y


def ring_points(
    n: int, rng: np.random.Generator, r_inner: float = 0.3, r_outer: float = 0.7
) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square labelled 1 inside a centred annulus, 0 elsewhere.

    A class that surrounds the other: no single straight line, and no single circle
    boundary, separates them.

    Args:
        n: number of points, a positive int.
        rng: the random generator.
        r_inner: inner radius of the annulus, ``0 <= r_inner < r_outer``.
        r_outer: outer radius of the annulus.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, float32, uniform in :math:`[-1, 1]^2`;
        ``y`` of shape ``(n,)``, int64, 1 where ``r_inner <= |X| < r_outer``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1`` or the radii are not ``0 <= r_inner < r_outer``.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    r_inner = _check_float(r_inner, "r_inner")
    r_outer = _check_float(r_outer, "r_outer")
    if not r_inner < r_outer:
        raise ValueError(f"need r_inner < r_outer, got r_inner={r_inner}, r_outer={r_outer}")
    X = _uniform_square(n, rng)
    r = np.hypot(X[:, 0], X[:, 1])
    y = ((r >= r_inner) & (r < r_outer)).astype(np.int64)
    return X.astype(np.float32), y


# ----------------------------------------------------------------------------------------
# A curve to fit
# ----------------------------------------------------------------------------------------


def default_curve(x: np.ndarray) -> np.ndarray:
    """The book's default wiggly function :math:`f(x) = \\sin 3x + x^2/4 - x^3/10`.

    Several bumps on :math:`[-2, 2]` (oscillation on top of a cubic trend): enough structure
    that a small network must bend several times to follow it.

    Args:
        x: array of any shape.

    Returns:
        :math:`f(x)`, same shape as ``x``, float64 (or the input's floating dtype).
    """
    x = np.asarray(x)
    return np.sin(3.0 * x) + 0.25 * x**2 - 0.1 * x**3


def curve_data(
    n: int,
    rng: np.random.Generator,
    f: Callable[[np.ndarray], np.ndarray] | None = None,
    x_range: tuple[float, float] = (-2.0, 2.0),
    noise: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples :math:`y = f(x) + \\sigma \\xi` of a one-dimensional function.

    The :math:`x` are independent uniform draws in ``x_range`` (not sorted: sort them,
    or plot :math:`f` on a grid, to draw a line); :math:`\\xi \\sim N(0, 1)`.

    Args:
        n: number of samples, a positive int.
        rng: the random generator.
        f: the function, mapping an array of shape ``(n,)`` to one of shape ``(n,)``;
            ``None`` uses :func:`default_curve`.
        x_range: ``(low, high)`` interval of the inputs.
        noise: standard deviation :math:`\\sigma \\ge 0` of the additive Gaussian noise.

    Returns:
        ``(x, y)``: both of shape ``(n,)``, float32.

    Raises:
        TypeError: if ``f`` is not callable or another argument has the wrong type.
        ValueError: if ``n < 1``, ``noise < 0``, ``x_range`` is empty, or ``f`` returns the
            wrong shape.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    low, high = _check_range(x_range, "x_range")
    noise = _check_float(noise, "noise")
    if f is None:
        f = default_curve
    if not callable(f):
        raise TypeError(f"f must be callable (array (n,) -> array (n,)), got {type(f).__name__}")
    x = rng.uniform(low, high, size=n)
    fx = np.asarray(f(x), dtype=np.float64)
    if fx.shape != (n,):
        raise ValueError(f"f must map an array of shape ({n},) to shape ({n},), got {fx.shape}")
    y = fx + noise * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


# ----------------------------------------------------------------------------------------
# An image as a function of (x, y)
# ----------------------------------------------------------------------------------------


def image_function(X: np.ndarray) -> np.ndarray:
    """A grey-scale picture (a smiling face) as a function of the coordinates.

    The picture lives on :math:`[-1, 1]^2` in mathematical coordinates (``X[:, 0]`` is
    :math:`x` to the right, ``X[:, 1]`` is :math:`y` upwards). It mixes features on
    every scale, so that a network fitting it shows what it has and has not learned:

    * smooth: a background of gentle diagonal waves, and soft shading on the face;
    * sharp: the dark outline of the face (a ring), dark eyes with tiny bright
      highlights (the finest detail), a smiling mouth (an arc);
    * high frequency: a band of hard black-and-white stripes along the bottom.

    Evaluate it on :func:`image_grid` to get pixels.

    Args:
        X: coordinates, array-like of shape ``(n, 2)``; points outside
            :math:`[-1, 1]^2` get the background value.

    Returns:
        Grey values of shape ``(n,)``, float32 in :math:`[0, 1]` (1 is white).

    Raises:
        ValueError: if ``X`` does not have shape ``(n, 2)`` or contains non-finite values.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must contain only finite coordinates")
    x, y = X[:, 0], X[:, 1]

    # Smooth background: soft diagonal waves between 0.2 and 0.4.
    img = 0.3 + 0.1 * np.sin(5.0 * (x + y))

    # Face: a disc of radius 0.6 centred at (0, 0.1), shaded by a soft light from the upper left.
    fx, fy = x, y - 0.1
    r_face = np.hypot(fx, fy)
    shade = 0.65 + 0.3 * np.exp(-((fx + 0.25) ** 2 + (fy - 0.25) ** 2) / 0.15)
    img = np.where(r_face < 0.6, shade, img)
    # Outline: a dark ring.
    img = np.where((r_face >= 0.6) & (r_face < 0.66), 0.05, img)

    # Eyes: dark discs with a small bright highlight each.
    for ex in (-0.22, 0.22):
        ey = 0.3
        img = np.where(np.hypot(x - ex, y - ey) < 0.09, 0.05, img)
        img = np.where(np.hypot(x - ex + 0.03, y - ey - 0.03) < 0.03, 1.0, img)

    # Mouth: the lower part of a ring of radius 0.32 around (0, 0.1).
    mouth = (np.abs(r_face - 0.32) < 0.045) & (fy < -0.12)
    img = np.where(mouth, 0.05, img)

    # Bottom band: hard vertical stripes, 12 periods across the image.
    stripes = np.floor((x + 1.0) * 12.0) % 2
    img = np.where(y < -0.8, stripes, img)

    return np.clip(img, 0.0, 1.0).astype(np.float32)


def image_grid(n_pixels: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Pixel-centre coordinates of an ``n_pixels x n_pixels`` image of :math:`[-1, 1]^2`.

    The points are in row-major image order: row 0 is the *top* of the picture
    (:math:`y` near +1), rows go downwards and columns go to the right. Hence
    ``image_function(X).reshape(shape)`` is an image that ``plt.imshow`` shows upright.

    Args:
        n_pixels: number of pixels along each side, a positive int. Pixel width is
            ``2 / n_pixels``; the centres lie half a pixel inside the square's edges.

    Returns:
        ``(X, shape)``: ``X`` of shape ``(n_pixels**2, 2)``, float32, with columns
        :math:`(x, y)`; ``shape`` is ``(n_pixels, n_pixels)``, the shape to reshape
        values on these points into an image.

    Raises:
        TypeError: if ``n_pixels`` is not an int.
        ValueError: if ``n_pixels < 1``.
    """
    n_pixels = _check_int(n_pixels, "n_pixels")
    centres = -1.0 + (np.arange(n_pixels) + 0.5) * (2.0 / n_pixels)
    ys = centres[::-1]  # row 0 at the top
    YY, XX = np.meshgrid(ys, centres, indexing="ij")  # (n_pixels, n_pixels) each
    X = np.stack([XX.ravel(), YY.ravel()], axis=1).astype(np.float32)
    return X, (n_pixels, n_pixels)


# ----------------------------------------------------------------------------------------
# Physics-flavoured classification data
# ----------------------------------------------------------------------------------------


def _gaussian_peak(x: np.ndarray, centre: np.ndarray, fwhm: np.ndarray) -> np.ndarray:
    """Gaussian line shape with height 1 and full width at half maximum ``fwhm``."""
    return np.exp(-4.0 * np.log(2.0) * (x - centre) ** 2 / fwhm**2)


def _lorentzian_peak(x: np.ndarray, centre: np.ndarray, fwhm: np.ndarray) -> np.ndarray:
    """Lorentzian (Cauchy) line shape with height 1 and full width at half maximum ``fwhm``."""
    return 1.0 / (1.0 + 4.0 * (x - centre) ** 2 / fwhm**2)


def gaussian_lorentzian_curves(
    n: int,
    rng: np.random.Generator,
    n_points: int = 64,
    noise: float = 0.0,
    fwhm_range: tuple[float, float] = (0.15, 0.5),
) -> tuple[np.ndarray, np.ndarray]:
    """Spectral lines to classify by shape: Gaussian (y = 0) or Lorentzian (y = 1).

    Each curve is sampled on the grid ``x = np.linspace(-1, 1, n_points)``:

    * Gaussian: :math:`\\exp(-4 \\ln 2\\,(x - c)^2 / w^2)`,
    * Lorentzian: :math:`1 / (1 + 4 (x - c)^2 / w^2)`,

    both with peak height 1 at the centre :math:`c` and full width at half maximum (FWHM)
    :math:`w`. The centre :math:`c \\sim U[-0.5, 0.5]` and width :math:`w \\sim U(`
    ``fwhm_range`` :math:`)` are drawn with the same distribution for both classes, so
    height, position and width carry no information: only the line *shape* does (the
    Lorentzian has heavier tails and a sharper tip).

    Args:
        n: number of curves, a positive int.
        rng: the random generator.
        n_points: number of grid points per curve, an int >= 8.
        noise: standard deviation of additive Gaussian noise on every point, >= 0.
        fwhm_range: ``(low, high)`` range of the FWHM, in units of :math:`x`, with
            ``0 < low < high <= 1``.

    Returns:
        ``(curves, y)``: ``curves`` of shape ``(n, n_points)``, float32; ``y`` of shape
        ``(n,)``, int64, 0 for Gaussian and 1 for Lorentzian, balanced (``n // 2`` ones)
        in random order.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``n_points < 8``, ``noise < 0`` or ``fwhm_range`` is invalid.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    n_points = _check_int(n_points, "n_points", minimum=8)
    noise = _check_float(noise, "noise")
    w_low, w_high = _check_range(fwhm_range, "fwhm_range")
    if not (0 < w_low and w_high <= 1):
        raise ValueError(f"fwhm_range must satisfy 0 < low < high <= 1, got {fwhm_range!r}")
    x = np.linspace(-1.0, 1.0, n_points)[None, :]  # (1, n_points)
    y = _balanced_labels(n, rng)
    centre = rng.uniform(-0.5, 0.5, size=(n, 1))
    fwhm = rng.uniform(w_low, w_high, size=(n, 1))
    curves = np.where(
        y[:, None] == 0, _gaussian_peak(x, centre, fwhm), _lorentzian_peak(x, centre, fwhm)
    )
    if noise > 0:
        curves = curves + noise * rng.standard_normal(curves.shape)
    return curves.astype(np.float32), y


def circles_squares(
    n: int, rng: np.random.Generator, size: int = 32, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Small images of one filled shape each: a circle (y = 0) or a square (y = 1).

    Each image is black (0) with one white (1) shape: a disc, or an axis-aligned square,
    at a random position and of random size, always lying fully inside the image. A
    pixel is white when its centre lies in the shape.

    Both classes share one distribution of *area*: a linear size
    :math:`L \\sim U[0.2, 0.55] \\times` ``size`` (pixels) is drawn, and the shape gets
    area :math:`L^2` (a square of side :math:`L`, a disc of radius :math:`L / \\sqrt\\pi`).
    So the mean brightness of an image (its white area) says almost nothing about the
    class: a classifier has to look at the shape (corners and straight edges), not at how
    much white there is.

    Args:
        n: number of images, a positive int.
        rng: the random generator.
        size: side of the square images in pixels, an int >= 12.
        noise: standard deviation of additive Gaussian pixel noise, >= 0 (values are not
            clipped, so noisy pixels can leave [0, 1]).

    Returns:
        ``(images, y)``: ``images`` of shape ``(n, size, size)``, float32, values in {0, 1}
        when ``noise == 0``; ``y`` of shape ``(n,)``, int64, 0 for circles and 1 for
        squares, balanced (``n // 2`` ones) in random order.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``size < 12`` or ``noise < 0``.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    size = _check_int(size, "size", minimum=12)
    noise = _check_float(noise, "noise")

    y = _balanced_labels(n, rng)
    side = rng.uniform(0.2, 0.55, size=n) * size  # L, pixels; area L**2 for both classes
    radius = side / np.sqrt(np.pi)
    half_extent = np.where(y == 0, radius, side / 2)  # half-width of the bounding box
    # Centre uniform among positions that keep the bounding box inside [0, size]^2.
    centre = half_extent[:, None] + rng.uniform(size=(n, 2)) * (size - 2 * half_extent)[:, None]

    pixel = np.arange(size, dtype=np.float64) + 0.5  # pixel-centre coordinates
    images = np.empty((n, size, size), dtype=np.float32)
    for start in range(0, n, 2048):  # chunks bound the memory of the temporaries
        stop = min(start + 2048, n)
        dx = pixel[None, None, :] - centre[start:stop, 0, None, None]  # (chunk, 1, size) columns
        dy = pixel[None, :, None] - centre[start:stop, 1, None, None]  # (chunk, size, 1) rows
        r = radius[start:stop, None, None]
        h = side[start:stop, None, None] / 2
        disc = dx**2 + dy**2 <= r**2
        square = (np.abs(dx) <= h) & (np.abs(dy) <= h)
        is_square = (y[start:stop] == 1)[:, None, None]
        images[start:stop] = np.where(is_square, square, disc)
    if noise > 0:
        images += (noise * rng.standard_normal(images.shape)).astype(np.float32)
    return images, y


# ----------------------------------------------------------------------------------------
# scikit-learn's handwritten digits
# ----------------------------------------------------------------------------------------


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten 8x8 digits bundled with scikit-learn (no download needed).

    The UCI "optical recognition of handwritten digits" test set, as shipped by
    :func:`sklearn.datasets.load_digits`; grey values 0..16 are scaled to [0, 1].

    Returns:
        ``(images, y)``: ``images`` of shape ``(1797, 8, 8)``, float32 in [0, 1] (1 is ink);
        ``y`` of shape ``(1797,)``, int64, the digit 0..9.
    """
    from sklearn.datasets import load_digits as _sklearn_load_digits

    bunch = _sklearn_load_digits()
    images = (np.asarray(bunch.images, dtype=np.float64) / 16.0).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    return images, y


# ----------------------------------------------------------------------------------------
# Fashion-MNIST
# ----------------------------------------------------------------------------------------

#: Names of the ten Fashion-MNIST classes, indexed by label.
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_FASHION_MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Accepted SHA-256 digests of each .gz file: (Zalando's original, Debian's copy).
#
# * Zalando: the files at the URLs below, published with MD5 sums
#   8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe,
#   bef4ecab320f06d8554ea6380940ec79, bb300cfdad3c16e7a12a480ee83cd310 (train images,
#   train labels, test images, test labels; README of zalandoresearch/fashion-mnist).
# * Debian (package dataset-fashion-mnist 0.0~git20200523.55506a9-1): the same compressed
#   data with the gzip *header* normalised at package build (stored file name dropped,
#   mtime set to 2020-06-05), so the .gz bytes, and their sums, differ from Zalando's.
#   Checked here: restoring the original header (FNAME flag, the name, mtime 2017-08-31,
#   XFL 0, OS 3) to Debian's files reproduces the four published MD5 sums exactly, and
#   gives the Zalando SHA-256 digests below (which also match those other loaders pin,
#   e.g. Chainer's). The decompressed IDX data are therefore byte-identical.
_FASHION_MNIST_SHA256: dict[str, tuple[str, ...]] = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",  # Zalando
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",  # Debian
    ),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    ),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    ),
}

# Where the files are published, tried in this order (the original S3 site first).
_FASHION_MNIST_URLS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

# System-wide locations searched after the user's data directory (Debian's package).
_SYSTEM_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets/fashion-mnist"),)

# IDX element types: the third byte of the magic number.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def data_dir() -> Path:
    """The folder where ml4phys keeps (and looks for) data sets.

    The environment variable ``ML4PHYS_DATA`` when it is set and not empty, else
    ``~/.cache/ml4phys``. The folder is not created here; a download creates it.
    Fashion-MNIST, for example, is looked for in ``data_dir() / "fashion-mnist"``.

    Returns:
        The path, with ``~`` expanded.
    """
    return _default_data_dir()


def _default_data_dir() -> Path:
    """Implementation of :func:`data_dir` (``load_fashion_mnist`` has an argument of that name)."""
    env = os.environ.get("ML4PHYS_DATA", "")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "ml4phys"


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse the (decompressed) bytes of an IDX file into an array.

    IDX format: two zero bytes, a type code, the number of dimensions ``d``, ``d``
    big-endian uint32 sizes, then the data in C order.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{name}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX data type code 0x{code:02x}")
    if ndim < 1:
        raise ValueError(f"{name}: IDX file with no dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: IDX header truncated")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{name}: IDX data size {len(raw) - header} bytes does not match the header "
            f"(shape {shape}, {expected} bytes)"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


@functools.lru_cache(maxsize=8)
def _read_idx_gz(
    path: str, mtime_ns: int, n_bytes: int, accepted_sha256: tuple[str, ...]
) -> np.ndarray:
    """Read, checksum and parse one ``.idx*.gz`` file; cached on path, mtime and size.

    The returned array is read-only (shared by the cache): callers hand out copies.
    """
    raw_gz = Path(path).read_bytes()
    digest = hashlib.sha256(raw_gz).hexdigest()
    name = Path(path).name
    if digest not in accepted_sha256:
        raise ValueError(
            f"checksum mismatch for {path}: sha256 {digest} is none of the known digests "
            f"{', '.join(accepted_sha256)}; the file is corrupt or not the original. "
            "Delete it and get it again."
        )
    try:
        raw = gzip.decompress(raw_gz)
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: not a valid gzip file ({err})") from err
    array = _parse_idx(raw, name)
    array.flags.writeable = False
    return array


def _load_idx_gz(path: Path) -> np.ndarray:
    """Checksummed, cached read of a Fashion-MNIST ``.gz`` file (see :func:`_read_idx_gz`)."""
    stat = path.stat()
    accepted = _FASHION_MNIST_SHA256[path.name]
    return _read_idx_gz(str(path.resolve()), stat.st_mtime_ns, stat.st_size, tuple(accepted))


def _download(url: str, dest: Path) -> None:
    """Fetch ``url`` into the file ``dest`` (no checks: the caller verifies the checksum).

    Kept tiny and separate so that tests can replace it (there is no network in the tests).
    """
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def _fetch(name: str, folder: Path) -> Path:
    """Download the Fashion-MNIST file ``name`` into ``folder``, verifying its SHA-256.

    Tries each URL of ``_FASHION_MNIST_URLS`` in turn; the file appears under its final name
    only once its checksum is right.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    partial = folder / (name + ".part")
    errors = []
    for base in _FASHION_MNIST_URLS:
        url = base + name
        try:
            _download(url, partial)
        except (OSError, http.client.HTTPException) as err:  # URLError is an OSError
            errors.append(f"{url}: {err}")
            partial.unlink(missing_ok=True)
            continue
        digest = hashlib.sha256(partial.read_bytes()).hexdigest()
        if digest not in _FASHION_MNIST_SHA256[name]:
            partial.unlink(missing_ok=True)
            raise ValueError(
                f"checksum mismatch for {name} downloaded from {url}: sha256 {digest} is none "
                f"of the known digests {', '.join(_FASHION_MNIST_SHA256[name])}"
            )
        partial.replace(dest)
        return dest
    raise FileNotFoundError(
        f"could not download {name}; tried:\n  " + "\n  ".join(errors)
    )


def _candidate_dirs(explicit: Path | None) -> list[Path]:
    """Folders searched for the Fashion-MNIST files, in order."""
    dirs: list[Path] = []
    if explicit is not None:
        dirs += [explicit, explicit / "fashion-mnist"]
    dirs.append(_default_data_dir() / "fashion-mnist")
    dirs += list(_SYSTEM_DIRS)
    return dirs


def _missing_message(split: str, names: tuple[str, str], searched: list[Path], target: Path) -> str:
    """The FileNotFoundError text: what was looked for, where, and three ways to get it."""
    where = "\n".join(f"  - {d}" for d in searched)
    return (
        f"Fashion-MNIST ({split} split) not found: looked for {names[0]} and {names[1]} in\n"
        f"{where}\n"
        "To get the data, do one of:\n"
        "  1. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
        "     (installs the files under /usr/share/datasets/fashion-mnist);\n"
        "  2. put the four .gz files from https://github.com/zalandoresearch/fashion-mnist\n"
        "     into a folder DIR/fashion-mnist/ and set the environment variable "
        "ML4PHYS_DATA=DIR\n"
        "     (or pass data_dir=... to load_fashion_mnist);\n"
        "  3. when online: load_fashion_mnist(split, download=True)\n"
        f"     (downloads and checks them, into {target})."
    )


def load_fashion_mnist(
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST: 28x28 grey-scale photos of clothing in ten classes.

    Zalando's drop-in replacement for MNIST (Xiao, Rasul and Vollgraf, 2017): 60 000
    training and 10 000 test images, 6000 and 1000 per class; class names in
    :data:`FASHION_MNIST_CLASSES`. Read from the original IDX ``.gz`` files, each checked
    against its known SHA-256 digest, and cached in memory (a second call costs a copy).

    The files of the split are looked for, in order, in

    1. ``data_dir`` (the argument) and ``data_dir/fashion-mnist``, when given;
    2. ``ml4phys.data.data_dir() / "fashion-mnist"``, i.e. ``$ML4PHYS_DATA/fashion-mnist``
       or ``~/.cache/ml4phys/fashion-mnist``;
    3. ``/usr/share/datasets/fashion-mnist`` (Debian's package ``dataset-fashion-mnist``).

    Args:
        split: ``"train"`` or ``"test"``.
        data_dir: optional folder holding the ``.gz`` files (or a ``fashion-mnist``
            subfolder with them); searched first.
        download: when the files are found nowhere, download them from the original
            Fashion-MNIST site (falling back to its GitHub repository) into ``data_dir``
            when given, else into ``ml4phys.data.data_dir() / "fashion-mnist"``, checking
            their checksums. Needs internet; the book's own build never downloads.

    Returns:
        ``(images, y)``: ``images`` of shape ``(n, 28, 28)``, uint8 in 0..255 (0 is the
        black background; divide by 255 for floats); ``y`` of shape ``(n,)``, int64 in
        0..9; ``n`` is 60 000 for ``"train"`` and 10 000 for ``"test"``.

    Raises:
        TypeError: if ``split`` is not a string.
        ValueError: if ``split`` is unknown, or a file fails its checksum or is malformed
            (the message names the file).
        FileNotFoundError: if the files are nowhere (and not downloaded); the message says
            how to get them.
    """
    if not isinstance(split, str):
        raise TypeError(f"split must be a str ('train' or 'test'), got {type(split).__name__}")
    if split not in _FASHION_MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    explicit = None if data_dir is None else Path(os.fspath(data_dir)).expanduser()
    names = _FASHION_MNIST_FILES[split]

    candidates = _candidate_dirs(explicit)
    folder = next((d for d in candidates if all((d / name).is_file() for name in names)), None)
    if folder is None:
        target = explicit if explicit is not None else _default_data_dir() / "fashion-mnist"
        message = _missing_message(split, names, candidates, target)
        if not download:
            raise FileNotFoundError(message)
        try:
            for name in names:
                if not (target / name).is_file():
                    _fetch(name, target)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"{message}\nThe download failed: {err}") from err
        folder = target

    images = _load_idx_gz(folder / names[0])
    labels = _load_idx_gz(folder / names[1])
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{folder / names[0]}: expected uint8 images of shape (n, 28, 28), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{folder / names[1]}: expected uint8 labels of shape (n,)")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels in the {split} split"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{folder / names[1]}: labels must lie in 0..9")
    return images.copy(), labels.astype(np.int64)


# ----------------------------------------------------------------------------------------
# Image-to-image data (chapter 5)
# ----------------------------------------------------------------------------------------


def circles_to_squares(
    n: int,
    rng: np.random.Generator,
    size: int = 32,
    n_shapes: tuple[int, int] = (1, 4),
    radius: tuple[float, float] = (2.0, 5.0),
    noise: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of images for an image-to-image task: discs in, their bounding squares out.

    Each input image is black (0) with a random number of white (1) filled discs, drawn
    uniformly from ``n_shapes[0]`` to ``n_shapes[1]`` (inclusive), each of radius
    :math:`r \\sim U[\\text{radius}]` (pixels) and centre uniform among positions that keep
    the square :math:`[c_x - r, c_x + r] \\times [c_y - r, c_y + r]` inside the image. The
    target image shows, for each disc, the filled axis-aligned square of the same centre
    and side :math:`2r`: the square the disc is inscribed in. A pixel is white when its
    centre lies in a shape; shapes may overlap, and the images then show their union. So
    every white input pixel is white in the target, and the target is whiter by a factor of
    about :math:`4/\\pi` for isolated shapes.

    Args:
        n: number of image pairs, a positive int.
        rng: the random generator.
        size: side of the square images in pixels, an int >= 8.
        n_shapes: ``(min, max)`` number of discs per image, ints with
            ``1 <= min <= max``.
        radius: ``(low, high)`` range of the disc radii in pixels, ``0 < low < high`` and
            ``2 * high <= size``.
        noise: standard deviation of Gaussian noise added to the *inputs* only (not
            clipped), >= 0.

    Returns:
        ``(inputs, targets)``, both of shape ``(n, size, size)`` and float32: ``inputs``
        with the discs (values in {0, 1} when ``noise == 0``), ``targets`` with the squares,
        values in {0, 1}.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument is out of range.
    """
    n = _check_int(n, "n")
    rng = _check_rng(rng)
    size = _check_int(size, "size", minimum=8)
    try:
        n_min, n_max = n_shapes
    except (TypeError, ValueError):
        raise TypeError(f"n_shapes must be a pair (min, max) of ints, got {n_shapes!r}") from None
    n_min = _check_int(n_min, "n_shapes[0]")
    n_max = _check_int(n_max, "n_shapes[1]")
    if n_max < n_min:
        raise ValueError(f"n_shapes must satisfy min <= max, got {n_shapes!r}")
    r_low, r_high = _check_range(radius, "radius")
    if r_low <= 0 or 2 * r_high > size:
        raise ValueError(f"radius must satisfy 0 < low < high <= size / 2 = {size / 2}, got {radius!r}")
    noise = _check_float(noise, "noise")

    counts = rng.integers(n_min, n_max + 1, size=n)  # discs per image
    mask = np.arange(n_max)[None, :] < counts[:, None]  # (n, n_max): which slots hold a disc
    r = rng.uniform(r_low, r_high, size=(n, n_max))
    centre = r[..., None] + rng.uniform(size=(n, n_max, 2)) * (size - 2 * r)[..., None]  # (n, n_max, 2)

    pixel = np.arange(size, dtype=np.float64) + 0.5  # pixel-centre coordinates
    inputs = np.zeros((n, size, size), dtype=bool)
    targets = np.zeros((n, size, size), dtype=bool)
    for k in range(n_max):
        dx = pixel[None, None, :] - centre[:, k, 0, None, None]  # (n, 1, size): columns
        dy = pixel[None, :, None] - centre[:, k, 1, None, None]  # (n, size, 1): rows
        rk = r[:, k, None, None]
        on = mask[:, k, None, None]
        inputs |= on & (dx**2 + dy**2 <= rk**2)
        targets |= on & (np.abs(dx) <= rk) & (np.abs(dy) <= rk)
    inputs = inputs.astype(np.float32)
    if noise > 0:
        inputs += (noise * rng.standard_normal(inputs.shape)).astype(np.float32)
    return inputs, targets.astype(np.float32)
