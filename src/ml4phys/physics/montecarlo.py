"""Monte Carlo data for learning phases: autocorrelation times and thinned Ising samples.

A Markov chain gives correlated samples. :func:`autocorrelation` measures how fast a series
forgets itself, :func:`integrated_autocorrelation_time` sums that function with Sokal's
automatic window, and :func:`ising_samples` runs the vectorised checkerboard sampler
:func:`ml4phys.physics.ising.metropolis` for many chains and temperatures at once,
equilibrates, measures the integrated autocorrelation time of ``|m|`` and keeps one
configuration every ``thin`` sweeps (chapter 18).

Convention: ``tau_int = 1/2 + sum_{t >= 1} rho(t)``, so that the variance of the mean of
``n`` correlated samples is ``2 tau_int / n`` times that of independent ones; for an AR(1)
process with ``rho(t) = phi**t``, ``tau_int = (1 + phi) / (2 (1 - phi))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml4phys._validation import check_int, check_positive, check_rng
from ml4phys.physics import ising

__all__ = [
    "T_C",
    "autocorrelation",
    "integrated_autocorrelation_time",
    "IsingSamples",
    "ising_samples",
]

T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Onsager's critical temperature of the infinite square lattice, in units of J / k_B."""


def _check_series(
    x: object, name: str = "x", ndim: tuple[int, ...] = (1,)
) -> np.ndarray:
    """A finite float64 array with one of the allowed ranks and at least 2 points per row."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if x.ndim not in ndim:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndim))} dimensions, "
            f"got shape {x.shape}"
        )
    if x.shape[-1] < 2:
        raise ValueError(
            f"{name} needs at least 2 points along its last axis, got shape {x.shape}"
        )
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _acf(y: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of each row of ``y`` (FFT, zero padding); constant -> 0."""
    n = y.shape[-1]
    y = y - y.mean(axis=-1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(y, n=size, axis=-1)
    c = np.fft.irfft(f * np.conj(f), n=size, axis=-1)[..., :n]
    c0 = c[..., :1]
    rho = np.zeros_like(c)
    ok = c0[..., 0] > 1e-300 * n
    rho[ok] = c[ok] / c0[ok]
    return rho


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation function of a 1-D series.

    .. math:: \\rho(t) = \\frac{\\sum_{s=0}^{n-1-t} y_s y_{s+t}}{\\sum_{s=0}^{n-1} y_s^2},
       \\qquad y_s = x_s - \\bar x,

    for lags ``t = 0, ..., n-1`` (the standard biased estimator, computed with an FFT in
    ``O(n log n)``). ``rho(0) = 1``; a constant series has ``rho = 0`` at every lag.

    Args:
        x: 1-D array of at least 2 finite real numbers.

    Returns:
        float64 array of shape ``(n,)``.
    """
    x = _check_series(x, "x")
    return _acf(x)


def integrated_autocorrelation_time(x: np.ndarray, c: float = 5.0) -> float:
    """Integrated autocorrelation time with Sokal's automatic window.

    ``tau(M) = 1/2 + sum_{t=1}^{M} rho(t)``, with the smallest window ``M`` such that
    ``M >= c tau(M)``: long enough to hold the correlated part, short enough that the noise
    of ``rho`` at large lags does not swamp the sum. For several independent chains of one
    process (a 2-D ``x``, one chain per row) the autocorrelation functions are averaged
    before summing. When no such window exists within the series the last ``tau(M)`` is
    returned: then the series is too short and the value is a lower bound.

    Args:
        x: 1-D series, or 2-D array ``(n_chains, n)``, at least 2 points per chain.
        c: the window constant, > 0 (Sokal suggests 4 to 10; 5 by default).

    Returns:
        ``tau_int`` (>= 0 in practice; 1/2 for uncorrelated data; 0 for a constant series).
    """
    x = _check_series(x, "x", ndim=(1, 2))
    c = check_positive(c, "c")
    rho = _acf(np.atleast_2d(x)).mean(axis=0)
    if not np.any(rho):
        return 0.0
    tau = 0.5 + np.cumsum(rho[1:])  # tau[M - 1] = tau(M)
    windows = np.arange(1, len(rho))
    good = np.flatnonzero(windows >= c * tau)
    return float(tau[good[0]] if len(good) else tau[-1])


@dataclass(frozen=True)
class IsingSamples:
    """Thinned Metropolis samples of the 2-D Ising model over a temperature scan.

    Attributes:
        spins: int8 array ``(n_T * n_samples, L, L)`` of +1/-1, grouped by temperature.
        temperature: float64 ``(n_T * n_samples,)``, the temperature of each sample.
        chain: int64 ``(n_T * n_samples,)``, the chain each sample comes from (unique over
            the whole scan).
        label: int64 ``(n_T * n_samples,)``, 1 where ``temperature < T_C`` (ordered phase
            of the infinite lattice), else 0.
        temperatures: the scan, float64 ``(n_T,)``.
        tau_int: float64 ``(n_T,)``, the integrated autocorrelation time of ``|m|`` (in
            sweeps) measured after equilibration at each temperature.
        thin: the number of sweeps between two kept samples of one chain.
    """

    spins: np.ndarray
    temperature: np.ndarray
    chain: np.ndarray
    label: np.ndarray
    temperatures: np.ndarray
    tau_int: np.ndarray
    thin: int


def _check_temperatures(temperatures: object) -> np.ndarray:
    if isinstance(temperatures, str):
        raise TypeError("temperatures must be a 1-D array of positive numbers, got str")
    t = ising._check_temperature(temperatures, None)  # kind, finite, positive
    if t.ndim != 1 or t.size == 0:
        raise ValueError(
            f"temperatures must be a non-empty 1-D array, got shape {t.shape}"
        )
    return t


def ising_samples(
    L: int,
    temperatures: np.ndarray,
    n_samples: int,
    rng: np.random.Generator,
    n_equilibrate: int = 200,
    start: str = "cold",
    thin: int | None = None,
    n_chains: int = 10,
    n_pilot: int = 200,
    max_thin: int = 50,
) -> IsingSamples:
    """Equilibrated, thinned configurations of the L x L Ising model at many temperatures.

    Runs ``n_chains`` chains at every temperature together (one call of
    :func:`~ml4phys.physics.ising.metropolis` for the whole batch): ``n_equilibrate``
    sweeps from the start, then, unless ``thin`` is given, ``n_pilot`` recorded sweeps from
    which :func:`integrated_autocorrelation_time` of ``|m|`` is measured at each
    temperature, and ``thin = ceil(2 max_T tau_int)`` (at most ``max_thin``). Then
    ``n_samples / n_chains`` configurations per chain, ``thin`` sweeps apart. Each kept
    configuration is multiplied by a random sign (a global spin flip, a symmetry of the
    model in zero field), so that both signs of ``m`` appear even where a chain never
    tunnels between them.

    Args:
        L: even side of the lattice, >= 2.
        temperatures: 1-D array of positive temperatures (units of J / k_B).
        n_samples: configurations per temperature, a multiple of ``n_chains``.
        rng: the random source.
        n_equilibrate: sweeps before the first sample, >= 0.
        start: ``"cold"`` (all spins up) or ``"hot"`` (random spins).
        thin: sweeps between samples of a chain, >= 1; ``None``: measured as above (the
            pilot sweeps then also count as equilibration).
        n_chains: independent chains per temperature, >= 1.
        n_pilot: length of the pilot run that measures ``tau_int``, >= 2.
        max_thin: upper bound of the measured ``thin``, >= 1.

    Returns:
        An :class:`IsingSamples`; ``tau_int`` is NaN when ``thin`` was given.
    """
    L = check_int(L, "L", minimum=2)
    if L % 2:
        raise ValueError(f"L must be even (checkerboard update), got {L}")
    t = _check_temperatures(temperatures)
    n_samples = check_int(n_samples, "n_samples")
    rng = check_rng(rng)
    n_equilibrate = check_int(n_equilibrate, "n_equilibrate", minimum=0)
    if not isinstance(start, str):
        raise TypeError(f"start must be 'cold' or 'hot', got {type(start).__name__}")
    if start not in ("cold", "hot"):
        raise ValueError(f"start must be 'cold' or 'hot', got {start!r}")
    if thin is not None:
        thin = check_int(thin, "thin")
    n_chains = check_int(n_chains, "n_chains")
    n_pilot = check_int(n_pilot, "n_pilot", minimum=2)
    max_thin = check_int(max_thin, "max_thin")
    if n_samples % n_chains:
        raise ValueError(
            f"n_samples ({n_samples}) must be a multiple of n_chains ({n_chains})"
        )

    n_t, per_chain = len(t), n_samples // n_chains
    temp = t[:, None]  # (n_T, 1) broadcasts over the chains
    if start == "cold":
        spins = np.ones((n_t, n_chains, L, L), dtype=np.int64)
    else:
        spins = ising.random_spins(L, rng, (n_t, n_chains))
    spins = ising.metropolis(spins, temp, n_equilibrate, rng)
    tau = np.full(n_t, np.nan)
    if thin is None:
        spins, _, m = ising.metropolis(spins, temp, n_pilot, rng, record=True)
        abs_m = np.abs(m)  # (n_pilot, n_T, n_chains)
        tau = np.array(
            [integrated_autocorrelation_time(abs_m[:, k].T) for k in range(n_t)]
        )
        thin = int(min(max_thin, max(1, math.ceil(2 * tau.max()))))
    kept = np.empty((per_chain, n_t, n_chains, L, L), dtype=np.int8)
    for k in range(per_chain):
        spins = ising.metropolis(spins, temp, thin, rng)
        kept[k] = spins
    kept = kept.transpose(1, 2, 0, 3, 4).reshape(n_t * n_samples, L, L)
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=n_t * n_samples)
    kept = kept * signs[:, None, None]
    chain = np.repeat(np.arange(n_t * n_chains), per_chain)
    temperature = np.repeat(t, n_samples)
    return IsingSamples(
        spins=kept,
        temperature=temperature,
        chain=chain,
        label=(temperature < T_C).astype(np.int64),
        temperatures=t,
        tau_int=tau,
        thin=thin,
    )
