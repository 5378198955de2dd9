"""One-dimensional data: a curve to fit, and line shapes (spectra) to classify.

* :func:`curve_data`, :func:`default_curve`: noisy samples of a wiggly function of one variable;
* :func:`gaussian_lorentzian_curves`: spectral peaks, Gaussian or Lorentzian, with random
  centre and width, labelled by their shape;
* :func:`damped_oscillations`: damped oscillation curves with their frequency and damping.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml4phys._validation import check_int, check_nonnegative, check_range, check_rng
from ml4phys.data._sampling import balanced_labels

__all__ = [
    "default_curve",
    "curve_data",
    "gaussian_lorentzian_curves",
    "damped_oscillations",
]


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
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must be an array of real numbers, got dtype {x.dtype}")
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
    n = check_int(n, "n")
    rng = check_rng(rng)
    low, high = check_range(x_range, "x_range")
    noise = check_nonnegative(noise, "noise")
    if f is None:
        f = default_curve
    if not callable(f):
        raise TypeError(
            f"f must be callable (array (n,) -> array (n,)), got {type(f).__name__}"
        )
    x = rng.uniform(low, high, size=n)
    fx = np.asarray(f(x), dtype=np.float64)
    if fx.shape != (n,):
        raise ValueError(
            f"f must map an array of shape ({n},) to shape ({n},), got {fx.shape}"
        )
    if not np.all(np.isfinite(fx)):
        raise ValueError(
            f"f returned NaN or infinite values on x_range ({low}, {high})"
        )
    y = fx + noise * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Spectra
# ----------------------------------------------------------------------------------------------


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
    n = check_int(n, "n")
    rng = check_rng(rng)
    n_points = check_int(n_points, "n_points", minimum=8)
    noise = check_nonnegative(noise, "noise")
    w_low, w_high = check_range(fwhm_range, "fwhm_range")
    if not (0 < w_low and w_high <= 1):
        raise ValueError(
            f"fwhm_range must satisfy 0 < low < high <= 1, got {fwhm_range!r}"
        )
    x = np.linspace(-1.0, 1.0, n_points)[None, :]  # (1, n_points)
    y = balanced_labels(n, rng)
    centre = rng.uniform(-0.5, 0.5, size=(n, 1))
    fwhm = rng.uniform(w_low, w_high, size=(n, 1))
    curves = np.where(
        y[:, None] == 0,
        _gaussian_peak(x, centre, fwhm),
        _lorentzian_peak(x, centre, fwhm),
    )
    if noise > 0:
        curves = curves + noise * rng.standard_normal(curves.shape)
    return curves.astype(np.float32), y


def damped_oscillations(
    n: int,
    rng: np.random.Generator,
    n_times: int = 64,
    t_max: float = 10.0,
    omega_range: tuple[float, float] = (1.0, 3.0),
    gamma_range: tuple[float, float] = (0.05, 0.5),
    noise: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Damped oscillations :math:`x(t) = e^{-\\gamma t} \\cos \\omega t` with known parameters.

    Each curve solves :math:`\\ddot x + 2\\gamma \\dot x + (\\omega^2 + \\gamma^2) x = 0`
    with :math:`x(0) = 1`, :math:`\\dot x(0) = -\\gamma` (an underdamped oscillator whose
    oscillation has the angular frequency :math:`\\omega`), sampled on the grid
    ``t = np.linspace(0, t_max, n_times)``. The angular frequency :math:`\\omega` and the
    damping rate :math:`\\gamma` are drawn independently and uniformly from their ranges, so
    each curve has exactly two degrees of freedom, which a model with a two-dimensional
    latent space can recover.

    Args:
        n: number of curves, a positive int.
        rng: the random generator.
        n_times: number of time points per curve, an int >= 8.
        t_max: the last time of the grid, > 0.
        omega_range: ``(low, high)`` of :math:`\\omega`, with ``low > 0``.
        gamma_range: ``(low, high)`` of :math:`\\gamma`, with ``low >= 0``.
        noise: standard deviation of additive Gaussian noise on every point, >= 0.

    Returns:
        ``(t, curves, params)``: ``t`` of shape ``(n_times,)``, float32; ``curves`` of shape
        ``(n, n_times)``, float32; ``params`` of shape ``(n, 2)``, float32, the columns
        :math:`(\\omega, \\gamma)` of each curve.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``n_times < 8``, ``t_max <= 0``, ``noise < 0`` or a range
            is invalid.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    n_times = check_int(n_times, "n_times", minimum=8)
    t_max = check_nonnegative(t_max, "t_max")
    if t_max == 0:
        raise ValueError("t_max must be > 0, got 0.0")
    omega_low, omega_high = check_range(omega_range, "omega_range")
    gamma_low, gamma_high = check_range(gamma_range, "gamma_range")
    if omega_low <= 0:
        raise ValueError(f"omega_range must have low > 0, got {omega_range!r}")
    if gamma_low < 0:
        raise ValueError(f"gamma_range must have low >= 0, got {gamma_range!r}")
    noise = check_nonnegative(noise, "noise")
    t = np.linspace(0.0, t_max, n_times)
    omega = rng.uniform(omega_low, omega_high, size=n)
    gamma = rng.uniform(gamma_low, gamma_high, size=n)
    curves = np.exp(-gamma[:, None] * t) * np.cos(omega[:, None] * t)  # (n, n_times)
    if noise > 0:
        curves = curves + noise * rng.standard_normal(curves.shape)
    params = np.stack([omega, gamma], axis=1)
    return t.astype(np.float32), curves.astype(np.float32), params.astype(np.float32)
