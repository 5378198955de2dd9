r"""A chain of coupled oscillators, integrated numerically and solved exactly by normal modes.

The chain: ``n_masses`` equal masses ``mass`` on a line, each bound to its rest position by a
spring of constant ``k`` and to its neighbours by springs of constant ``coupling``. With
displacements :math:`x \in \mathbb{R}^n` the equations of motion are
:math:`m \ddot x = -K x`, with the stiffness matrix :math:`K = k\,I + \kappa\,L` and
:math:`L` the Laplacian of the path graph (see :func:`stiffness_matrix`).
:func:`coupled_oscillators` integrates it with :func:`ml4phys.physics.integrators.velocity_verlet`;
:func:`normal_mode_solution` is the exact solution.
"""

from __future__ import annotations

import numpy as np

from ml4phys._validation import check_int, check_nonnegative, check_positive, check_rng
from ml4phys.physics._arrays import check_real_array
from ml4phys.physics.integrators import velocity_verlet

__all__ = [
    "stiffness_matrix",
    "normal_modes",
    "normal_mode_solution",
    "oscillator_energy",
    "coupled_oscillators",
]


def stiffness_matrix(
    n_masses: int, k: float = 1.0, coupling: float = 0.5
) -> np.ndarray:
    """The stiffness matrix :math:`K = k I + \\kappa L` of the oscillator chain.

    Each mass is bound to its rest position by a spring ``k``; neighbouring masses are joined
    by a spring ``coupling`` (:math:`\\kappa`), the two ends of the chain are free. ``L`` is the
    Laplacian of the path graph: 1 on the diagonal at the ends, 2 inside, -1 beside it.

    Args:
        n_masses: number of masses (>= 1).
        k: on-site spring constant (> 0).
        coupling: spring constant between neighbours (>= 0).

    Returns:
        float64 array ``(n_masses, n_masses)``, symmetric positive definite.
    """
    n = check_int(n_masses, "n_masses")
    k = check_positive(k, "k")
    coupling = check_nonnegative(coupling, "coupling")
    laplacian = np.zeros((n, n))
    for i in range(n - 1):
        laplacian[i, i] += 1
        laplacian[i + 1, i + 1] += 1
        laplacian[i, i + 1] -= 1
        laplacian[i + 1, i] -= 1
    return k * np.eye(n) + coupling * laplacian


def normal_modes(
    n_masses: int, k: float = 1.0, coupling: float = 0.5, mass: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Angular frequencies and mode shapes of the chain.

    Returns:
        ``(omega, modes)``: ``omega`` of shape ``(n_masses,)`` in increasing order, and
        ``modes`` of shape ``(n_masses, n_masses)`` whose column ``j`` is the normalised mode
        shape of frequency ``omega[j]``.
    """
    mass = check_positive(mass, "mass")
    eigenvalues, modes = np.linalg.eigh(stiffness_matrix(n_masses, k, coupling))
    return np.sqrt(eigenvalues / mass), modes


def normal_mode_solution(
    x0: np.ndarray,
    v0: np.ndarray,
    t: np.ndarray,
    k: float = 1.0,
    coupling: float = 0.5,
    mass: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact motion of the chain, as a sum of normal modes.

    With :math:`K = Q \\Omega^2 Q^\\top m`, the mode amplitudes :math:`q = Q^\\top x` evolve as
    :math:`q_j(t) = q_j(0)\\cos\\omega_j t + \\dot q_j(0)\\sin(\\omega_j t)/\\omega_j`.

    Args:
        x0: initial displacements, shape ``(n_masses,)`` or ``(batch, n_masses)``.
        v0: initial velocities, the same shape.
        t: times, shape ``(n_times,)``.
        k, coupling, mass: as in :func:`stiffness_matrix` and :func:`normal_modes`.

    Returns:
        ``(x, v)``, each of shape ``(n_times, n_masses)``, or ``(batch, n_times, n_masses)``
        for batched initial conditions.
    """
    x0 = check_real_array(x0, "x0")
    v0 = check_real_array(v0, "v0")
    if x0.shape != v0.shape or x0.ndim not in (1, 2) or x0.shape[-1] == 0:
        raise ValueError(
            f"x0 and v0 must have the same shape (n_masses,) or (batch, n_masses); got "
            f"{x0.shape} and {v0.shape}"
        )
    t = check_real_array(t, "t")
    if t.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {t.shape}")
    omega, modes = normal_modes(x0.shape[-1], k, coupling, mass)
    q0 = x0 @ modes  # (..., n_modes)
    p0 = v0 @ modes
    phase = t[:, None] * omega  # (n_times, n_modes)
    cos, sin = np.cos(phase), np.sin(phase)
    q = (
        q0[..., None, :] * cos + p0[..., None, :] / omega * sin
    )  # (..., n_times, n_modes)
    p = -q0[..., None, :] * omega * sin + p0[..., None, :] * cos
    return q @ modes.T, p @ modes.T


def oscillator_energy(
    x: np.ndarray,
    v: np.ndarray,
    k: float = 1.0,
    coupling: float = 0.5,
    mass: float = 1.0,
) -> np.ndarray:
    """Total energy :math:`\\tfrac m2 |v|^2 + \\tfrac12 x^\\top K x` of chain states.

    Args:
        x, v: positions and velocities, shape ``(..., n_masses)``.

    Returns:
        The energy, shape ``(...)``.
    """
    x = check_real_array(x, "x")
    v = check_real_array(v, "v")
    if x.shape != v.shape or x.ndim < 1 or x.shape[-1] == 0:
        raise ValueError(
            f"x and v must have the same shape (..., n_masses); got {x.shape}, {v.shape}"
        )
    mass = check_positive(mass, "mass")
    stiffness = stiffness_matrix(x.shape[-1], k, coupling)
    return 0.5 * mass * np.sum(v**2, axis=-1) + 0.5 * np.einsum(
        "...i,ij,...j->...", x, stiffness, x
    )


def coupled_oscillators(
    n_traj: int,
    rng: np.random.Generator,
    n_masses: int = 2,
    k: float = 1.0,
    coupling: float = 0.5,
    dt: float = 0.2,
    n_steps: int = 100,
    n_substeps: int = 10,
    mass: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random trajectories of the oscillator chain, integrated with velocity Verlet.

    Initial displacements and velocities are independent standard normal numbers. The
    integrator takes ``n_substeps`` steps of size ``dt / n_substeps`` between recorded samples,
    so at the defaults the samples agree with the exact solution to a few times ``1e-3``
    over 100 samples (the error grows slowly with time, as a phase error).

    Args:
        n_traj: number of trajectories.
        rng: the random generator for the initial conditions.
        n_masses: number of masses in the chain.
        k: on-site spring constant; coupling: spring between neighbours; mass: each mass.
        dt: time between recorded samples.
        n_steps: number of recorded samples per trajectory, at times ``0, dt, ...``.
        n_substeps: integrator steps per sample interval.

    Returns:
        ``(t, x, v)``: times ``(n_steps,)``, positions and velocities, float32 arrays of shape
        ``(n_traj, n_steps, n_masses)``.
    """
    n_traj = check_int(n_traj, "n_traj")
    rng = check_rng(rng)
    n_masses = check_int(n_masses, "n_masses")
    n_steps = check_int(n_steps, "n_steps", minimum=2)
    n_substeps = check_int(n_substeps, "n_substeps")
    dt = check_positive(dt, "dt")
    stiffness = stiffness_matrix(n_masses, k, coupling)
    x0 = rng.standard_normal((n_traj, n_masses))
    v0 = rng.standard_normal((n_traj, n_masses))
    xs, vs = velocity_verlet(
        lambda x: -x @ stiffness,
        x0,
        v0,
        dt / n_substeps,
        (n_steps - 1) * n_substeps,
        mass=mass,
    )
    xs, vs = xs[::n_substeps], vs[::n_substeps]  # (n_steps, n_traj, n_masses)
    t = dt * np.arange(n_steps)
    return (
        t,
        xs.transpose(1, 0, 2).astype(np.float32),
        vs.transpose(1, 0, 2).astype(np.float32),
    )
