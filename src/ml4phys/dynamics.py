"""Time integrators and coupled oscillators: physical time series for the recurrent networks.

Two integrators of ordinary differential equations,

* :func:`velocity_verlet` for Newton's equations :math:`m\\ddot x = F(x)`: second order in the
  time step and symplectic, so the energy of a conservative system stays close to its initial
  value over very long times (Verlet 1967);
* :func:`rk4`, the classical fourth-order Runge-Kutta method for any :math:`\\dot y = f(t, y)`;

and a chain of masses coupled by springs, :func:`coupled_oscillators`, integrated with
velocity Verlet, together with its exact solution by normal modes, :func:`normal_mode_solution`.

The chain: ``n_masses`` equal masses ``mass`` on a line, each bound to its rest position by a
spring of constant ``k`` and to its neighbours by springs of constant ``coupling``. With
displacements :math:`x \\in \\mathbb{R}^n` the equations of motion are
:math:`m \\ddot x = -K x`, with the stiffness matrix :math:`K = k\\,I + \\kappa\\,L` and
:math:`L` the Laplacian of the path graph (see :func:`stiffness_matrix`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from ml4phys._validation import check_int, check_rng

__all__ = [
    "velocity_verlet",
    "rk4",
    "stiffness_matrix",
    "normal_modes",
    "normal_mode_solution",
    "oscillator_energy",
    "coupled_oscillators",
]


def _check_positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def _check_nonnegative(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative finite number, got {value}")
    return value


def velocity_verlet(
    force: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    v0: np.ndarray,
    dt: float,
    n_steps: int,
    mass: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate :math:`m \\ddot x = F(x)` with the velocity Verlet scheme.

    One step of size :math:`\\Delta t`, with :math:`a = F(x)/m`::

        v_half = v + a(x) dt / 2
        x_new  = x + v_half dt
        v_new  = v_half + a(x_new) dt / 2

    Args:
        force: ``force(x)`` returns the force, an array of the shape of ``x``. It may act on a
            batch: any shape works as long as it is that of ``x0``.
        x0: initial positions, any shape ``S``.
        v0: initial velocities, shape ``S``.
        dt: time step (> 0).
        n_steps: number of steps (>= 1).
        mass: the mass (> 0), the same for every coordinate.

    Returns:
        ``(x, v)``, float64 arrays of shape ``(n_steps + 1, *S)``: the states at the times
        ``0, dt, ..., n_steps * dt``, the initial state first.
    """
    if not callable(force):
        raise TypeError(f"force must be a function force(x), got {type(force).__name__}")
    x = np.array(x0, dtype=np.float64)
    v = np.array(v0, dtype=np.float64)
    if x.shape != v.shape:
        raise ValueError(f"x0 and v0 must have the same shape, got {x.shape} and {v.shape}")
    dt = _check_positive(dt, "dt")
    n_steps = check_int(n_steps, "n_steps")
    mass = _check_positive(mass, "mass")

    xs = np.empty((n_steps + 1, *x.shape))
    vs = np.empty((n_steps + 1, *x.shape))
    xs[0], vs[0] = x, v
    a = np.asarray(force(x), dtype=np.float64) / mass
    if a.shape != x.shape:
        raise ValueError(f"force(x) must have the shape of x, {x.shape}; got {a.shape}")
    for n in range(n_steps):
        v_half = v + 0.5 * dt * a
        x = x + dt * v_half
        a = np.asarray(force(x), dtype=np.float64) / mass
        v = v_half + 0.5 * dt * a
        xs[n + 1], vs[n + 1] = x, v
    return xs, vs


def rk4(f: Callable[[float, np.ndarray], np.ndarray], y0: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Integrate :math:`\\dot y = f(t, y)` with the classical fourth-order Runge-Kutta method.

    Args:
        f: ``f(t, y)`` returns :math:`\\dot y`, an array of the shape of ``y``.
        y0: the initial state at ``t[0]``, any shape ``S``.
        t: the times, shape ``(n_times,)``, strictly increasing (the steps may differ).

    Returns:
        float64 array of shape ``(n_times, *S)``: the state at each time, ``y0`` first.
    """
    if not callable(f):
        raise TypeError(f"f must be a function f(t, y), got {type(f).__name__}")
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1 or len(t) < 2:
        raise ValueError(f"t must be a 1-D array of at least two times, got shape {t.shape}")
    if not np.all(np.diff(t) > 0):
        raise ValueError("t must be strictly increasing")
    y = np.array(y0, dtype=np.float64)
    ys = np.empty((len(t), *y.shape))
    ys[0] = y
    for n in range(len(t) - 1):
        h, tn = t[n + 1] - t[n], t[n]
        k1 = np.asarray(f(tn, y), dtype=np.float64)
        if k1.shape != y.shape:
            raise ValueError(f"f(t, y) must have the shape of y, {y.shape}; got {k1.shape}")
        k2 = f(tn + h / 2, y + h / 2 * k1)
        k3 = f(tn + h / 2, y + h / 2 * k2)
        k4 = f(tn + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys[n + 1] = y
    return ys


def stiffness_matrix(n_masses: int, k: float = 1.0, coupling: float = 0.5) -> np.ndarray:
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
    k = _check_positive(k, "k")
    coupling = _check_nonnegative(coupling, "coupling")
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
    mass = _check_positive(mass, "mass")
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
    x0 = np.asarray(x0, dtype=np.float64)
    v0 = np.asarray(v0, dtype=np.float64)
    if x0.shape != v0.shape or x0.ndim not in (1, 2):
        raise ValueError(
            f"x0 and v0 must have the same shape (n_masses,) or (batch, n_masses); got "
            f"{x0.shape} and {v0.shape}"
        )
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {t.shape}")
    omega, modes = normal_modes(x0.shape[-1], k, coupling, mass)
    q0 = x0 @ modes                                   # (..., n_modes)
    p0 = v0 @ modes
    phase = t[:, None] * omega                        # (n_times, n_modes)
    cos, sin = np.cos(phase), np.sin(phase)
    q = q0[..., None, :] * cos + p0[..., None, :] / omega * sin        # (..., n_times, n_modes)
    p = -q0[..., None, :] * omega * sin + p0[..., None, :] * cos
    return q @ modes.T, p @ modes.T


def oscillator_energy(
    x: np.ndarray, v: np.ndarray, k: float = 1.0, coupling: float = 0.5, mass: float = 1.0
) -> np.ndarray:
    """Total energy :math:`\\tfrac m2 |v|^2 + \\tfrac12 x^\\top K x` of chain states.

    Args:
        x, v: positions and velocities, shape ``(..., n_masses)``.

    Returns:
        The energy, shape ``(...)``.
    """
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if x.shape != v.shape or x.ndim < 1:
        raise ValueError(f"x and v must have the same shape (..., n_masses); got {x.shape}, {v.shape}")
    mass = _check_positive(mass, "mass")
    stiffness = stiffness_matrix(x.shape[-1], k, coupling)
    return 0.5 * mass * np.sum(v**2, axis=-1) + 0.5 * np.einsum("...i,ij,...j->...", x, stiffness, x)


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
    dt = _check_positive(dt, "dt")
    stiffness = stiffness_matrix(n_masses, k, coupling)
    x0 = rng.standard_normal((n_traj, n_masses))
    v0 = rng.standard_normal((n_traj, n_masses))
    xs, vs = velocity_verlet(lambda x: -x @ stiffness, x0, v0, dt / n_substeps,
                             (n_steps - 1) * n_substeps, mass=mass)
    xs, vs = xs[::n_substeps], vs[::n_substeps]              # (n_steps, n_traj, n_masses)
    t = dt * np.arange(n_steps)
    return t, xs.transpose(1, 0, 2).astype(np.float32), vs.transpose(1, 0, 2).astype(np.float32)
