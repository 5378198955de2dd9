"""Ising models: exact samples of the open chain, and the 2-D model on a periodic lattice.

:func:`ising_chain` samples the one-dimensional chain in zero field exactly, as a Markov
chain; its spins are written as text with :data:`ml4phys.data.text.ISING_TOKENIZER`.

The two-dimensional model on an L x L lattice with periodic boundaries (chapters 14 and 18):
:func:`ising_energy` and :func:`magnetisation` of batches of configurations,
:func:`random_spins` (infinite temperature), the vectorised checkerboard Metropolis sampler
:func:`metropolis` (many chains and temperatures at once), and :func:`exact_ising`, thermal
averages by enumerating all 2**(L*L) states of a lattice with L <= 4, to test it against.
Temperatures are in units of J / k_B; the exact critical temperature of the infinite
lattice is T_c = 2 / ln(1 + sqrt 2) (Onsager).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml4phys._validation import check_bool, check_int, check_real, check_rng

__all__ = [
    "ising_chain",
    "random_spins",
    "ising_energy",
    "magnetisation",
    "metropolis",
    "ExactIsing",
    "all_spin_states",
    "exact_ising",
]


def ising_chain(
    n: int, length: int, beta_j: float, rng: np.random.Generator
) -> np.ndarray:
    """Exact samples of an open Ising chain ``H = -J sum_t s_t s_{t+1}`` at inverse temperature beta.

    In zero field the Boltzmann distribution of an open chain is a Markov chain: the first spin
    is +1 or -1 with probability 1/2, and each next spin equals its predecessor with
    probability ``e^{beta J} / (e^{beta J} + e^{-beta J}) = (1 + tanh(beta J)) / 2``. Hence the
    correlation ``<s_t s_{t+r}> = tanh(beta J)**r``.

    Args:
        n: number of chains.
        length: spins per chain.
        beta_j: the dimensionless coupling ``beta J`` (negative: antiferromagnet).
        rng: the random source.

    Returns:
        int64 array of shape ``(n, length)`` with entries +1 and -1.
    """
    n = check_int(n, "n")
    length = check_int(length, "length")
    rng = check_rng(rng)
    if isinstance(beta_j, bool) or not isinstance(
        beta_j, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"beta_j must be a real number, got {type(beta_j).__name__}")
    if not math.isfinite(beta_j):
        raise ValueError(f"beta_j must be finite, got {beta_j}")
    p_same = (1 + math.tanh(beta_j)) / 2
    first = rng.choice(np.array([-1, 1]), size=(n, 1))
    flips = np.where(rng.random((n, length - 1)) < p_same, 1, -1)
    return first * np.cumprod(
        np.concatenate([np.ones((n, 1), dtype=np.int64), flips], axis=1), axis=1
    )


# ----------------------------------------------------------------------------------------------
# The two-dimensional Ising model on an L x L periodic lattice
# ----------------------------------------------------------------------------------------------

_MAX_EXACT_L = 4
"""Largest lattice :func:`exact_ising` enumerates (2**16 = 65536 states)."""


def _check_spins(spins: object, name: str = "spins") -> np.ndarray:
    """Return ``spins`` as an int64 array of shape (..., L, L), L >= 2, entries +1/-1."""
    if not isinstance(spins, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array of +1/-1 of shape (..., L, L), got "
            f"{type(spins).__name__}"
        )
    if spins.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers +1/-1, got dtype {spins.dtype}")
    if spins.ndim < 2 or spins.shape[-1] != spins.shape[-2] or spins.shape[-1] < 2:
        raise ValueError(
            f"{name} must have shape (..., L, L) with L >= 2, got {spins.shape}"
        )
    if not np.all((spins == 1) | (spins == -1)):
        raise ValueError(f"{name} must hold only +1 and -1 (NaN and 0 are refused)")
    return spins.astype(np.int64)


def _check_temperature(
    temperature: object, batch_shape: tuple[int, ...] | None
) -> np.ndarray:
    """A positive finite temperature, scalar or broadcastable to the batch shape."""
    if isinstance(temperature, bool):
        raise TypeError("temperature must be a positive number or array, got bool")
    try:
        t = np.asarray(temperature, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            "temperature must be a positive number or array of numbers, got "
            f"{type(temperature).__name__}"
        ) from None
    if not np.all(np.isfinite(t)) or not np.all(t > 0):
        raise ValueError("temperature must be positive and finite (NaN is refused)")
    if batch_shape is None:
        return t
    try:
        shape = np.broadcast_shapes(t.shape, batch_shape)
    except ValueError:
        shape = None
    if shape != tuple(batch_shape):
        raise ValueError(
            f"temperature of shape {t.shape} does not broadcast to the batch shape "
            f"{batch_shape} of the spins"
        )
    return t


def _neighbour_sum(spins: np.ndarray) -> np.ndarray:
    """Sum of the four nearest neighbours of every site, periodic boundaries."""
    return (
        np.roll(spins, 1, axis=-1)
        + np.roll(spins, -1, axis=-1)
        + np.roll(spins, 1, axis=-2)
        + np.roll(spins, -1, axis=-2)
    )


def random_spins(
    L: int, rng: np.random.Generator, batch_shape: tuple[int, ...] | int = ()
) -> np.ndarray:
    """Independent uniformly random spins: the Ising model at infinite temperature.

    Args:
        L: side of the square lattice, >= 2.
        rng: the random source.
        batch_shape: leading shape, e.g. ``(n_chains,)`` or ``n_chains``.

    Returns:
        int64 array of shape ``(*batch_shape, L, L)`` with entries +1 and -1.
    """
    L = check_int(L, "L", minimum=2)
    rng = check_rng(rng)
    if isinstance(batch_shape, (int, np.integer)) and not isinstance(batch_shape, bool):
        batch_shape = (batch_shape,)
    if not isinstance(batch_shape, tuple):
        raise TypeError(
            f"batch_shape must be an int or a tuple of ints, got {type(batch_shape).__name__}"
        )
    batch_shape = tuple(check_int(n, "batch_shape") for n in batch_shape)
    return 2 * rng.integers(0, 2, size=(*batch_shape, L, L), dtype=np.int64) - 1


def ising_energy(spins: np.ndarray, J: float = 1.0, h: float = 0.0) -> np.ndarray:
    """Energy of spin configurations on an L x L lattice with periodic boundaries.

    .. math::  E(s) = -J \\sum_{\\langle ij \\rangle} s_i s_j - h \\sum_i s_i,

    where the first sum runs over the 2 L^2 nearest-neighbour bonds (each site with its right
    and its lower neighbour, wrapping around the edges). On the 2 x 2 lattice the right and
    the left neighbour coincide, so every pair of neighbours is counted twice, as the formula
    says.

    Args:
        spins: array of +1/-1 of shape ``(..., L, L)``, L >= 2.
        J: coupling (J > 0: ferromagnet).
        h: external field.

    Returns:
        float64 array of shape ``spins.shape[:-2]``: the total energy of each configuration.
    """
    spins = _check_spins(spins)
    J = check_real(J, "J")
    h = check_real(h, "h")
    bonds = spins * (np.roll(spins, -1, axis=-1) + np.roll(spins, -1, axis=-2))
    return -J * bonds.sum(axis=(-2, -1)).astype(np.float64) - h * spins.sum(
        axis=(-2, -1)
    ).astype(np.float64)


def magnetisation(spins: np.ndarray) -> np.ndarray:
    """Magnetisation per spin, ``m = (1/N) sum_i s_i``, of each configuration.

    Args:
        spins: array of +1/-1 of shape ``(..., L, L)``.

    Returns:
        float64 array of shape ``spins.shape[:-2]``, values in [-1, 1].
    """
    spins = _check_spins(spins)
    return spins.mean(axis=(-2, -1))


def metropolis(
    spins: np.ndarray,
    temperature: float | np.ndarray,
    n_sweeps: int,
    rng: np.random.Generator,
    J: float = 1.0,
    h: float = 0.0,
    record: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metropolis Monte Carlo of the 2-D Ising model, checkerboard updates, many chains at once.

    The lattice is coloured like a chess board. The neighbours of a black site are all white,
    so all black sites can be updated at the same time without changing each other's
    energy change; then all white sites. Each site proposes to flip, ``s_i -> -s_i``, and the
    flip is accepted with the Metropolis probability ``min(1, exp(-dE / T))``, where
    ``dE = 2 s_i (J sum_nn s_j + h)``. Each half-sweep satisfies detailed balance with respect
    to the Boltzmann distribution ``p(s) ~ exp(-E(s) / T)`` (with ``k_B = 1``), so the sweep
    (black, then white) leaves it stationary. One sweep proposes one flip per site.

    Every leading dimension of ``spins`` is an independent chain (batch); ``temperature`` is a
    scalar or an array broadcastable to the batch shape, so one call can run a whole
    temperature scan. The checkerboard needs an even L.

    Args:
        spins: starting configurations, +1/-1, shape ``(..., L, L)`` with even L >= 2 (not
            modified).
        temperature: T > 0 (in units of J / k_B), scalar or broadcastable to
            ``spins.shape[:-2]``.
        n_sweeps: number of sweeps, >= 0.
        rng: the random source.
        J: coupling.
        h: external field.
        record: also return the energy and the magnetisation per spin after every sweep.

    Returns:
        The final spins, int64 of the shape of ``spins``; with ``record=True`` the triple
        ``(spins, energy, m)``, where ``energy`` (total energy) and ``m`` have shape
        ``(n_sweeps, *spins.shape[:-2])``.
    """
    spins = _check_spins(spins).copy()
    L = spins.shape[-1]
    if L % 2:
        raise ValueError(f"the checkerboard update needs an even L, got L = {L}")
    batch_shape = spins.shape[:-2]
    beta = 1.0 / _check_temperature(temperature, batch_shape)[..., None, None]
    n_sweeps = check_int(n_sweeps, "n_sweeps", minimum=0)
    rng = check_rng(rng)
    J, h = check_real(J, "J"), check_real(h, "h")
    check_bool(record, "record")

    i, j = np.indices((L, L))
    colours = [(i + j) % 2 == 0, (i + j) % 2 == 1]  # black, white
    energies = np.empty((n_sweeps, *batch_shape))
    mags = np.empty((n_sweeps, *batch_shape))
    for sweep in range(n_sweeps):
        for colour in colours:
            delta_e = 2 * spins * (J * _neighbour_sum(spins) + h)
            accept = rng.random(spins.shape) < np.exp(np.minimum(0.0, -beta * delta_e))
            spins[accept & colour] *= -1
        if record:
            energies[sweep] = ising_energy(spins, J, h)
            mags[sweep] = spins.mean(axis=(-2, -1))
    return (spins, energies, mags) if record else spins


@dataclass(frozen=True)
class ExactIsing:
    """Exact thermal averages of the L x L Ising model (per spin), one entry per temperature.

    Attributes:
        temperature: the temperatures T, shape ``(n_T,)``.
        log_partition_function: ``ln Z(T)``.
        energy: ``<E> / N``, the mean energy per spin.
        abs_magnetisation: ``<|m|>``, the mean absolute magnetisation per spin.
        specific_heat: ``(<E^2> - <E>^2) / (N T^2)``, per spin.
    """

    temperature: np.ndarray
    log_partition_function: np.ndarray
    energy: np.ndarray
    abs_magnetisation: np.ndarray
    specific_heat: np.ndarray

    @property
    def partition_function(self) -> np.ndarray:
        """``Z(T) = exp(ln Z)`` (may overflow to inf at low temperature)."""
        return np.exp(self.log_partition_function)


def all_spin_states(L: int) -> np.ndarray:
    """Every configuration of the L x L lattice, L <= 4.

    State ``k`` has spin +1 at site ``n`` (row-major order) where bit ``n`` of ``k`` is 1.

    Args:
        L: side of the lattice, 2 <= L <= 4.

    Returns:
        int64 array of shape ``(2**(L*L), L, L)``.
    """
    L = check_int(L, "L", minimum=2)
    if L > _MAX_EXACT_L:
        raise ValueError(
            f"L must be at most {_MAX_EXACT_L} for enumeration (2**(L*L) states), got {L}"
        )
    n = L * L
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    return (2 * bits - 1).reshape(-1, L, L).astype(np.int64)


def exact_ising(
    L: int, temperature: float | np.ndarray, J: float = 1.0, h: float = 0.0
) -> ExactIsing:
    """Exact thermal averages of the L x L periodic Ising model by enumerating all states.

    Sums over all ``2**(L*L)`` configurations with the Boltzmann weights ``exp(-E / T)``
    (log-sum-exp, so that low temperatures do not overflow). For L <= 4.

    Args:
        L: side of the lattice, 2 <= L <= 4.
        temperature: T > 0, a number or a 1-D array of them.
        J: coupling.
        h: external field.

    Returns:
        An :class:`ExactIsing` with one entry per temperature.
    """
    states = all_spin_states(L)
    t = _check_temperature(temperature, None)
    if t.ndim > 1:
        raise ValueError(
            f"temperature must be a number or a 1-D array, got shape {t.shape}"
        )
    t = np.atleast_1d(t)
    J, h = check_real(J, "J"), check_real(h, "h")
    n = L * L
    energy = ising_energy(states, J, h)  # (n_states,)
    abs_m = np.abs(states.mean(axis=(-2, -1)))
    log_w = -energy[None, :] / t[:, None]  # (n_T, n_states)
    shift = log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w - shift)
    z = w.sum(axis=1)
    p = w / z[:, None]
    mean_e = p @ energy
    var_e = p @ energy**2 - mean_e**2
    return ExactIsing(
        temperature=t,
        log_partition_function=np.log(z) + shift[:, 0],
        energy=mean_e / n,
        abs_magnetisation=p @ abs_m,
        specific_heat=np.maximum(var_e, 0.0) / (n * t**2),
    )
