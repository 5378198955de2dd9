"""Particles with a pair potential: sets of points with their exact total energy.

A regression task with permutation, rotation and translation symmetry, for the Deep Sets and
invariant features of chapter 6.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml4phys._validation import check_int, check_rng
from ml4phys.physics._arrays import check_real_array

__all__ = [
    "pair_potential",
    "particle_energies",
]


def pair_potential(r: np.ndarray) -> np.ndarray:
    """A smooth pair potential with a soft repulsive core and an attractive well.

    .. math:: V(r) = e^{-r^2} - \\tfrac12 e^{-r^2/4}

    It is finite at :math:`r = 0` (:math:`V(0) = 1/2`), has its minimum
    :math:`V \\approx -0.19` at :math:`r = \\sqrt{(4/3)\\ln 8} \\approx 1.67` and decays like a
    Gaussian, so random configurations never produce huge energies.

    Args:
        r: distances, any shape.

    Returns:
        :math:`V(r)`, same shape, float64.
    """
    r = check_real_array(r, "r")
    if np.any(r < 0):
        raise ValueError("r must hold distances >= 0")
    r2 = r**2
    return np.exp(-r2) - 0.5 * np.exp(-r2 / 4)


def particle_energies(
    n_sets: int,
    n_particles: int,
    rng: np.random.Generator,
    d: int = 2,
    box: float = 4.0,
    potential: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Random sets of particles and their exact total pair energy.

    Positions are uniform in the box :math:`[0, L]^d`; the energy is
    :math:`E = \\sum_{i < j} V(\\lVert x_i - x_j \\rVert)` (no periodic images), computed in
    float64. It is invariant under permutations of the particles and under rotations,
    reflections and translations of the whole set.

    Args:
        n_sets: number of configurations, >= 1.
        n_particles: particles per configuration, >= 2.
        rng: the random generator.
        d: spatial dimension, >= 1.
        box: side :math:`L > 0` of the box.
        potential: the pair potential :math:`V(r)`, vectorised over arrays; defaults to
            :func:`pair_potential`.

    Returns:
        ``(positions, energies)``: float32 arrays of shapes ``(n_sets, n_particles, d)`` and
        ``(n_sets,)``.
    """
    n_sets = check_int(n_sets, "n_sets")
    n_particles = check_int(n_particles, "n_particles", minimum=2)
    d = check_int(d, "d")
    rng = check_rng(rng)
    if (
        isinstance(box, bool)
        or not isinstance(box, (int, float, np.floating, np.integer))
        or not box > 0
    ):
        raise ValueError(f"box must be a positive number, got {box!r}")
    potential = pair_potential if potential is None else potential
    if not callable(potential):
        raise TypeError(
            f"potential must be a function of the distances, got {type(potential).__name__}"
        )
    positions = rng.uniform(0.0, float(box), size=(n_sets, n_particles, d))
    i, j = np.triu_indices(n_particles, k=1)
    r = np.linalg.norm(positions[:, i] - positions[:, j], axis=-1)  # (n_sets, n_pairs)
    pair_energies = np.asarray(potential(r))
    if pair_energies.shape != r.shape:
        raise ValueError(
            f"potential(r) must return one energy per distance, shape {r.shape}; got {pair_energies.shape}"
        )
    pair_energies = check_real_array(pair_energies, "potential(r)")
    energies = pair_energies.sum(axis=1)  # (n_sets,)
    return positions.astype(np.float32), energies.astype(np.float32)
