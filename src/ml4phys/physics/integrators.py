r"""Integrators of ordinary differential equations.

* :func:`velocity_verlet` for Newton's equations :math:`m\ddot x = F(x)`: second order in the
  time step and symplectic, so the energy of a conservative system stays close to its initial
  value over very long times (Verlet 1967);
* :func:`rk4`, the classical fourth-order Runge-Kutta method for any :math:`\dot y = f(t, y)`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml4phys._validation import check_int, check_positive
from ml4phys.physics._arrays import check_real_array

__all__ = [
    "velocity_verlet",
    "rk4",
]


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
        force: ``force(x)`` returns the force, an array of the shape of ``x``. It may
            act on a batch: any shape works as long as it is that of ``x0``.
        x0: initial positions, any shape ``S``.
        v0: initial velocities, shape ``S``.
        dt: time step (> 0).
        n_steps: number of steps (>= 1).
        mass: the mass (> 0), the same for every coordinate.

    Returns:
        ``(x, v)``, float64 arrays of shape ``(n_steps + 1, *S)``: the states at the
        times ``0, dt, ..., n_steps * dt``, the initial state first.
    """
    if not callable(force):
        got = type(force).__name__
        raise TypeError(f"force must be a function force(x), got {got}")
    x = check_real_array(x0, "x0", copy=True)
    v = check_real_array(v0, "v0", copy=True)
    if x.shape != v.shape:
        raise ValueError(
            f"x0 and v0 must have the same shape, got {x.shape} and {v.shape}"
        )
    dt = check_positive(dt, "dt")
    n_steps = check_int(n_steps, "n_steps")
    mass = check_positive(mass, "mass")

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


def rk4(
    f: Callable[[float, np.ndarray], np.ndarray], y0: np.ndarray, t: np.ndarray
) -> np.ndarray:
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
    t = check_real_array(t, "t")
    if t.ndim != 1 or len(t) < 2:
        raise ValueError(
            f"t must be a 1-D array of at least two times, got shape {t.shape}"
        )
    if not np.all(np.diff(t) > 0):
        raise ValueError("t must be strictly increasing")
    y = check_real_array(y0, "y0", copy=True)
    ys = np.empty((len(t), *y.shape))
    ys[0] = y
    for n in range(len(t) - 1):
        h, tn = t[n + 1] - t[n], t[n]
        k1 = np.asarray(f(tn, y), dtype=np.float64)
        if k1.shape != y.shape:
            raise ValueError(
                f"f(t, y) must have the shape of y, {y.shape}; got {k1.shape}"
            )
        k2 = f(tn + h / 2, y + h / 2 * k1)
        k3 = f(tn + h / 2, y + h / 2 * k2)
        k4 = f(tn + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys[n + 1] = y
    return ys
