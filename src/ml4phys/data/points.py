"""Points in the plane with class labels: the first classification tasks of the book.

Each function draws ``n`` inputs ``X`` of shape ``(n, 2)`` uniformly from the square
:math:`[-1, 1]^2` (float32) and returns integer labels ``y`` of shape ``(n,)`` (int64).
Not so :func:`gaussian_ring`, a mixture of Gaussians on a circle whose labels are the modes
(the GAN benchmark of chapter 12). Randomness only through an explicit ``rng``.
"""

from __future__ import annotations

import numpy as np

from ml4phys._validation import check_int, check_nonnegative, check_rng
from ml4phys.data._sampling import uniform_square

__all__ = [
    "xor_points",
    "quadrant_points",
    "circle_points",
    "ring_points",
    "ring_centres",
    "gaussian_ring",
]


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
    n = check_int(n, "n")
    rng = check_rng(rng)
    noise = check_nonnegative(noise, "noise")
    X = uniform_square(n, rng)
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
    n = check_int(n, "n")
    rng = check_rng(rng)
    X = uniform_square(n, rng)
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
    n = check_int(n, "n")
    rng = check_rng(rng)
    radius = check_nonnegative(radius, "radius")
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    if radius >= np.sqrt(2.0):
        raise ValueError(
            f"radius must be < sqrt(2) ~ 1.414 (a larger circle holds the whole square "
            f"[-1, 1]^2, so every point would be in one class), got {radius}"
        )
    X = uniform_square(n, rng)
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
    n = check_int(n, "n")
    rng = check_rng(rng)
    r_inner = check_nonnegative(r_inner, "r_inner")
    r_outer = check_nonnegative(r_outer, "r_outer")
    if not r_inner < r_outer:
        raise ValueError(
            f"need r_inner < r_outer, got r_inner={r_inner}, r_outer={r_outer}"
        )
    X = uniform_square(n, rng)
    r = np.hypot(X[:, 0], X[:, 1])
    y = ((r >= r_inner) & (r < r_outer)).astype(np.int64)
    return X.astype(np.float32), y


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres of the modes of :func:`gaussian_ring`, evenly spaced on a circle.

    Args:
        n_modes: number of modes, >= 1.
        radius: radius of the circle, > 0.

    Returns:
        Array ``(n_modes, 2)``, float32; centre ``k`` at angle :math:`2\\pi k / n_{modes}`.
    """
    n_modes = check_int(n_modes, "n_modes")
    radius = check_nonnegative(radius, "radius")
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centres.astype(np.float32)


def gaussian_ring(
    n: int,
    rng: np.random.Generator,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """A mixture of ``n_modes`` equal Gaussians on a circle: the GAN benchmark of Metz et al.

    Each point picks a mode uniformly and adds isotropic Gaussian noise of standard
    deviation ``std`` to its centre (see :func:`ring_centres`).

    Args:
        n: number of points, >= 1.
        rng: the random generator.
        n_modes: number of modes, >= 1.
        radius: radius of the circle of centres, > 0.
        std: standard deviation of each mode, > 0.

    Returns:
        ``(X, modes)``: ``X`` of shape ``(n, 2)``, float32; ``modes`` of shape ``(n,)``,
        int64, the mode of each point.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n`` or ``n_modes`` is < 1, or ``radius`` or ``std`` is not > 0.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    centres = ring_centres(n_modes, radius)
    std = check_nonnegative(std, "std")
    if std <= 0:
        raise ValueError(f"std must be > 0, got {std}")
    modes = rng.integers(0, len(centres), size=n).astype(np.int64)
    X = centres[modes] + std * rng.standard_normal((n, 2))
    return X.astype(np.float32), modes
