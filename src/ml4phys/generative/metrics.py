"""How far generated samples are from the data: the numbers Part III judges its models by.

A picture of samples can look convincing and still miss half the data; every generative
chapter therefore states a number, and the number of a trivial model beside it:

* :func:`mmd`: the maximum mean discrepancy with a Gaussian kernel (Gretton et al. 2012), an
  unbiased estimate of :math:`\\lVert \\mu_P - \\mu_Q \\rVert^2` in the kernel's feature
  space; zero in expectation when the two samples come from the same distribution;
* :func:`sliced_wasserstein`: the Wasserstein distance averaged over random one-dimensional
  projections, each of which is solved exactly by sorting;
* :func:`mode_coverage`: for data made of known modes (a ring of Gaussians), how many modes
  the samples reach and which share of them lies close to some mode;
* :func:`gaussian_baseline`: samples of the Gaussian fitted to the data (mean and
  covariance), the trivial generative model every chapter compares with.

All functions take NumPy arrays or PyTorch tensors of shape ``(n_samples, n_features)`` and
compute in float64 NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ml4phys._validation import check_int, check_positive, check_rng

__all__ = [
    "ModeCoverage",
    "gaussian_baseline",
    "mmd",
    "mode_coverage",
    "sliced_wasserstein",
]


def _as_samples(value: Any, name: str, min_rows: int = 1) -> np.ndarray:
    """A ``(n, d)`` float64 array of finite samples, from an array or a tensor."""
    if hasattr(value, "detach"):  # a torch tensor, on any device
        value = value.detach().cpu().numpy()
    if not isinstance(value, (np.ndarray, list, tuple)):
        raise TypeError(
            f"{name} must be an array or tensor of shape (n_samples, n_features), "
            f"got {type(value).__name__}"
        )
    array = np.asarray(value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features), got shape {array.shape}"
        )
    if array.shape[0] < min_rows:
        raise ValueError(
            f"{name} needs at least {min_rows} samples, got {array.shape[0]}"
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {array.shape})")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array.astype(np.float64)


def _pair(x: Any, y: Any, min_rows: int = 1) -> tuple[np.ndarray, np.ndarray]:
    x = _as_samples(x, "x", min_rows)
    y = _as_samples(y, "y", min_rows)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same number of features, got {x.shape[1]} and "
            f"{y.shape[1]}"
        )
    return x, y


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def mmd(x: Any, y: Any, bandwidth: float | None = None) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy with a Gaussian kernel.

    With :math:`k(a, b) = \\exp(-\\lVert a - b\\rVert^2 / 2\\sigma^2)`,

    .. math::
        \\widehat{\\mathrm{MMD}}^2 = \\frac{1}{n(n-1)} \\sum_{i \\ne j} k(x_i, x_j)
        + \\frac{1}{m(m-1)} \\sum_{i \\ne j} k(y_i, y_j)
        - \\frac{2}{nm} \\sum_{i, j} k(x_i, y_j).

    The estimate is unbiased, so it scatters around zero (and can be slightly negative) when
    both samples come from the same distribution.

    Args:
        x: samples, shape ``(n, d)`` with ``n >= 2``.
        y: samples, shape ``(m, d)`` with ``m >= 2``.
        bandwidth: the kernel width :math:`\\sigma`; ``None`` takes the median of the
            pairwise distances of the pooled samples (the median heuristic).

    Returns:
        The squared MMD, a float.
    """
    x, y = _pair(x, y, min_rows=2)
    if bandwidth is None:
        pooled = np.concatenate([x, y])
        d2 = _squared_distances(pooled, pooled)
        off_diagonal = d2[~np.eye(len(pooled), dtype=bool)]
        bandwidth = float(np.sqrt(np.median(off_diagonal)))
        if bandwidth == 0.0:
            raise ValueError(
                "the median pairwise distance is zero (most samples coincide): pass a "
                "bandwidth"
            )
    else:
        bandwidth = check_positive(bandwidth, "bandwidth")
    n, m = len(x), len(y)
    scale = 2.0 * bandwidth**2
    k_xx = np.exp(-_squared_distances(x, x) / scale)
    k_yy = np.exp(-_squared_distances(y, y) / scale)
    k_xy = np.exp(-_squared_distances(x, y) / scale)
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(term_xx + term_yy - 2.0 * k_xy.mean())


def _quantiles(values: np.ndarray, n_points: int) -> np.ndarray:
    """The empirical quantile function of each column at ``n_points`` mid-point levels."""
    levels = (np.arange(n_points) + 0.5) / n_points
    return np.quantile(values, levels, axis=0, method="inverted_cdf")


def sliced_wasserstein(
    x: Any,
    y: Any,
    rng: np.random.Generator,
    n_projections: int = 200,
    p: float = 1,
) -> float:
    """The sliced Wasserstein-p distance between two samples.

    Both samples are projected on ``n_projections`` random unit directions :math:`\\theta`;
    along each, the one-dimensional Wasserstein distance is exact: the mean of
    :math:`|F_x^{-1}(u) - F_y^{-1}(u)|^p` over quantile levels :math:`u`. The result is
    :math:`\\bigl(\\mathbb{E}_\\theta W_p^p\\bigr)^{1/p}`. For equal sample sizes the quantiles
    are the sorted projections themselves; otherwise both quantile functions are evaluated
    on ``max(n, m)`` common levels.

    Args:
        x: samples, shape ``(n, d)``.
        y: samples, shape ``(m, d)``.
        rng: the generator that draws the directions.
        n_projections: how many random directions.
        p: the order, at least 1.

    Returns:
        The distance, a float, in the units of the data.
    """
    x, y = _pair(x, y)
    rng = check_rng(rng)
    n_projections = check_int(n_projections, "n_projections")
    p = check_positive(p, "p")
    if p < 1:
        raise ValueError(f"p must be at least 1, got {p}")
    directions = rng.standard_normal((x.shape[1], n_projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    proj_x, proj_y = x @ directions, y @ directions  # (n, n_projections), (m, ...)
    if len(x) == len(y):
        q_x, q_y = np.sort(proj_x, axis=0), np.sort(proj_y, axis=0)
    else:
        n_points = max(len(x), len(y))
        q_x, q_y = _quantiles(proj_x, n_points), _quantiles(proj_y, n_points)
    return float(np.mean(np.abs(q_x - q_y) ** p) ** (1.0 / p))


def gaussian_baseline(X: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Samples of the Gaussian fitted to ``X``: the trivial generative model.

    The fit is the sample mean and the (unbiased) sample covariance; every chapter of Part
    III states what this model scores on its measure, so that the reader sees what a
    network adds to a mean and a covariance.

    Args:
        X: the training data, shape ``(n_data, d)`` with ``n_data >= 2``.
        n: how many samples to draw.
        rng: the generator.

    Returns:
        ``(n, d)`` float32 samples.
    """
    X = _as_samples(X, "X", min_rows=2)
    n = check_int(n, "n")
    rng = check_rng(rng)
    mean = X.mean(axis=0)
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    return rng.multivariate_normal(mean, cov, size=n, method="eigh").astype(np.float32)


@dataclass(frozen=True)
class ModeCoverage:
    """How samples of a model sit on data made of known modes.

    Attributes:
        n_covered: the number of modes that received at least ``min_count`` high-quality
            samples.
        share_high_quality: the share of samples within ``radius`` of their nearest mode.
        counts: high-quality samples per mode, shape ``(n_modes,)``.
    """

    n_covered: int
    share_high_quality: float
    counts: np.ndarray


def mode_coverage(
    samples: Any, centres: Any, radius: float, min_count: int = 1
) -> ModeCoverage:
    """Count the modes that generated samples reach, and the share of good samples.

    Each sample is assigned to its nearest centre; it is *high quality* when it lies within
    ``radius`` of it (for Gaussian modes of width ``std``, a radius of ``3 * std`` is
    customary). A mode is *covered* when at least ``min_count`` high-quality samples fall on
    it.

    Args:
        samples: generated points, shape ``(n, d)``.
        centres: the modes' centres, shape ``(n_modes, d)``.
        radius: the distance that counts as close, positive.
        min_count: the high-quality samples a mode needs to count as covered, at least 1.

    Returns:
        A :class:`ModeCoverage`.
    """
    samples = _as_samples(samples, "samples")
    centres = _as_samples(centres, "centres")
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(
            f"samples and centres must have the same number of features, got "
            f"{samples.shape[1]} and {centres.shape[1]}"
        )
    radius = check_positive(radius, "radius")
    min_count = check_int(min_count, "min_count")
    distance = np.sqrt(_squared_distances(samples, centres))  # (n, n_modes)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] <= radius
    counts = np.bincount(nearest[good], minlength=len(centres))
    return ModeCoverage(
        n_covered=int((counts >= min_count).sum()),
        share_high_quality=float(good.mean()),
        counts=counts,
    )
