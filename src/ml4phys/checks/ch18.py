"""Self-checks for the exercises of chapter 18 (neural networks in science).

Each ``check_*`` function tests one exercise of ``solutions/18_ml_science.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test
inputs are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ml4phys.checks._core import (
    CheckFailed,
    as_number,
    as_numpy,
    call_student,
    isolated_rng,
    passed,
    require,
)

__all__ = [
    "check_blocking_error",
    "check_crossing",
    "check_first_component",
]

_BLOCK_REL_TOL = 1e-8
"""Allowed relative difference from the definition on the same series and block size."""

_BLOCK_TAU_TOL = 0.25
"""Allowed relative difference, for large blocks, from sqrt(2 tau_int / n) * std(x)."""


def _ar1(phi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    x = np.empty(n)
    x[0] = rng.standard_normal() / math.sqrt(1 - phi**2)
    noise = rng.standard_normal(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x


def _blocking_reference(x: np.ndarray, block_size: int) -> float:
    n_blocks = len(x) // block_size
    means = x[: n_blocks * block_size].reshape(n_blocks, block_size).mean(axis=1)
    return float(np.std(means, ddof=1) / math.sqrt(n_blocks))


def _blocking_hint(value: float, x: np.ndarray, block_size: int) -> str:
    """Advice for a wrong value, from the usual slips; never the expected value."""
    n_blocks = len(x) // block_size
    means = x[: n_blocks * block_size].reshape(n_blocks, block_size).mean(axis=1)
    slips = {
        "you seem to return a variance: take the square root.": np.var(means, ddof=1)
        / n_blocks,
        "your value does not depend on the blocks: average the series over each block "
        "first, then take the spread of the block means.": np.std(x, ddof=1)
        / math.sqrt(len(x)),
        "divide the variance of the block means by the number of blocks, not by the "
        "length of the series.": np.std(means, ddof=1) / math.sqrt(len(x)),
        "use n_b - 1 in the variance of the block means (the unbiased estimate).": np.std(
            means
        )
        / math.sqrt(n_blocks),
    }
    if len(x) % block_size:
        with_partial = np.array(
            [x[i : i + block_size].mean() for i in range(0, len(x), block_size)]
        )
        slips[
            "drop the incomplete last block (it must not enter as a shorter block)."
        ] = np.std(with_partial, ddof=1) / math.sqrt(len(with_partial))
    for advice, slip in slips.items():
        if np.isfinite(slip) and abs(value - slip) <= 1e-6 * abs(slip):
            return " Hint: " + advice
    return (
        " Check the formula: block means of consecutive, non-overlapping blocks, the "
        "incomplete last block dropped, their standard deviation (with n_b - 1) divided "
        "by sqrt(n_b)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 18.1
# ----------------------------------------------------------------------------------------------


def check_blocking_error(blocking_error: Callable[..., Any]) -> bool:
    """Exercise 18.1: ``blocking_error(x, block_size)``, the blocking estimate of the error.

    On AR(1) series drawn inside the check, of lengths that are not multiples of the block
    sizes, the answer must equal the definition (the standard deviation, with ``n_b - 1``,
    of the means of the ``n_b`` complete consecutive blocks, over ``sqrt(n_b)``); for large
    blocks it must approach ``sqrt(2 tau_int / n) * std(x)``; it must raise ``ValueError``
    for a series that is not 1-D, a block size below one, or fewer than two blocks.

    Args:
        blocking_error: the student's function.
    """
    with isolated_rng(1801) as rng:
        cases = [(phi, _ar1(phi, n, rng)) for phi, n in ((0.0, 2_003), (0.7, 10_007))]
        long_phi = 0.8
        long_series = _ar1(long_phi, 1 << 17, rng)
    name = "blocking_error(x, block_size)"
    for phi, x in cases:
        for block_size in (1, 3, 16, 250):
            value = as_number(
                call_student(blocking_error, x.copy(), block_size, name=name),
                f"the output of {name}",
            )
            reference = _blocking_reference(x, block_size)
            require(
                abs(value - reference) <= _BLOCK_REL_TOL * reference,
                f"for an AR(1) series of length {len(x)} (phi = {phi}) and block_size = "
                f"{block_size} your error {value:.6g} does not match the blocking "
                "definition." + _blocking_hint(value, x, block_size),
            )
    n = len(long_series)
    tau = (1 + long_phi) / (2 * (1 - long_phi))
    target = math.sqrt(2 * tau / n) * float(np.std(long_series))
    for block_size in (256, 512):
        value = as_number(
            call_student(blocking_error, long_series.copy(), block_size, name=name),
            f"the output of {name}",
        )
        require(
            abs(value - target) <= _BLOCK_TAU_TOL * target,
            f"for a long AR(1) series and block_size = {block_size} your error {value:.4g} "
            "is not close to sqrt(2 tau_int / n) * std(x), which large blocks must reach.",
        )
    x = cases[0][1]
    bad_inputs = (
        (x[:2000].reshape(40, 50), 5, "a 2-D series"),
        (x.copy(), 0, "block_size = 0"),
        (x.copy(), len(x) // 2 + 1, "block_size larger than half the series"),
    )
    for bad_x, bad_size, what in bad_inputs:
        try:
            blocking_error(bad_x, bad_size)
        except (NotImplementedError, CheckFailed):
            raise
        except ValueError:
            continue
        except Exception as err:
            require(
                False,
                f"for {what} your function raised {type(err).__name__}: {err}; it must raise "
                "ValueError.",
            )
        require(
            False, f"for {what} your function must raise ValueError, but it returned."
        )
    return passed(
        "Exercise 18.1: your blocking error matches the definition on two AR(1) series and "
        "four block sizes, approaches sqrt(2 tau_int / n) std(x) for large blocks, and "
        "refuses bad arguments."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 18.2
# ----------------------------------------------------------------------------------------------


def _linear_crossing(T: np.ndarray, out: np.ndarray, level: float) -> float:
    k = int(np.flatnonzero((out[:-1] >= level) & (out[1:] < level))[0])
    return float(T[k] + (out[k] - level) * (T[k + 1] - T[k]) / (out[k] - out[k + 1]))


def check_crossing(crossing_temperature: Callable[..., Any]) -> bool:
    """Exercise 18.2: ``crossing_temperature(T, output)`` where a curve first falls below 1/2.

    Tested on synthetic decreasing curves drawn inside the check: logistic curves of several
    widths on coarse and non-uniform grids, with and without noise, and a curve that crosses
    one half more than once (the first crossing counts). The answer must agree with linear
    interpolation between the two grid points around the crossing.

    Args:
        crossing_temperature: the student's function.
    """
    with isolated_rng(1802) as rng:
        cases = []
        for k in range(6):
            T = np.sort(rng.uniform(1.0, 3.5, 9 + 2 * k))
            T[0], T[-1] = 1.0, 3.5
            t0 = rng.uniform(1.8, 2.7)
            width = rng.uniform(0.05, 0.4)
            out = 1 / (1 + np.exp((T - t0) / width))
            if k >= 3:
                out = np.clip(out + 0.03 * rng.standard_normal(len(T)), 0, 1)
                out[0], out[-1] = 1.0, 0.0
            cases.append((T, out))
        T = np.linspace(1.0, 3.5, 11)
        bump = np.array([1.0, 0.9, 0.7, 0.45, 0.55, 0.3, 0.2, 0.1, 0.05, 0.02, 0.0])
        cases.append((T, bump))
    for T, out in cases:
        reference = _linear_crossing(T, out, 0.5)
        value = as_number(
            call_student(
                crossing_temperature,
                T.copy(),
                out.copy(),
                name="crossing_temperature(T, output)",
            ),
            "the output of crossing_temperature(T, output)",
        )
        spacing = float(np.diff(T).max())
        require(
            T[0] <= value <= T[-1],
            f"your crossing temperature {value:.4g} lies outside the grid "
            f"[{T[0]:.2f}, {T[-1]:.2f}].",
        )
        require(
            abs(value - reference) < 1e-6 * max(1.0, spacing),
            f"on a test curve with {len(T)} temperatures your crossing {value:.4g} is not "
            "the linear interpolation between the last point above 1/2 and the first point "
            "below it (grid points are not enough; with several crossings take the first).",
        )
    return passed(
        "Exercise 18.2: your crossing temperatures are right on seven synthetic curves, "
        "noisy and non-uniform ones included."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 18.3
# ----------------------------------------------------------------------------------------------


def check_first_component(first_component: Callable[..., Any]) -> bool:
    """Exercise 18.3: ``first_component(X)``, the unit first principal direction of data.

    ``X`` has one sample per row; the answer is compared, up to its sign, with the leading
    right singular vector of the centred data, on random data with a planted direction.

    Args:
        first_component: the student's function.
    """
    with isolated_rng(1803) as rng:
        cases = []
        for n, d in ((300, 10), (200, 49)):
            direction = rng.standard_normal(d)
            direction /= np.linalg.norm(direction)
            X = rng.standard_normal((n, d)) * 0.5 + 3.0
            X += rng.standard_normal((n, 1)) * 2.0 * direction
            cases.append(X)
    for X in cases:
        v = as_numpy(
            call_student(first_component, X.copy(), name="first_component(X)"),
            "the output of first_component(X)",
        )
        d = X.shape[1]
        require(
            v.shape == (d,),
            f"for X of shape {X.shape} the answer must have shape "
            f"({d},); yours has {v.shape}.",
        )
        require(np.all(np.isfinite(v)), "the direction must hold finite numbers.")
        require(
            abs(np.linalg.norm(v) - 1) < 1e-6, "the direction must be a unit vector."
        )
        Xc = X - X.mean(axis=0)
        top = np.linalg.svd(Xc, full_matrices=False)[2][0]
        cosine = abs(float(v @ top))
        require(
            cosine > 0.999,
            f"your direction is not the first principal component (|cosine| with it "
            f"{cosine:.3f}). Did you centre the data (subtract the mean of each column) and "
            "take the direction of largest variance?",
        )
    return passed(
        "Exercise 18.3: your first principal component is right on two data sets."
    )
