"""Input checks shared by the package's public functions (private module).

Validation happens once, at the edge where a user's value enters the package, with one line
per argument::

    n = check_int(n, "n")
    noise = check_nonnegative(noise, "noise")

Each validator returns the checked value in canonical form (a Python ``int`` or ``float``, a
tensor), or raises a ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind, wrong
value) whose message names the argument and says what was expected. Internal invariants, which
no user input can break, are ``assert`` statements in the algorithm instead.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_int",
    "check_rng",
    "check_real",
    "check_positive",
    "check_nonnegative",
    "check_range",
    "check_bool",
    "check_callable",
    "check_tensor",
    "check_finite",
]


def check_int(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_rng(rng: object) -> np.random.Generator:
    """Check that ``rng`` is a NumPy ``Generator`` (not a seed, not the legacy RandomState)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (for example rng = ml4phys.setup(seed=1)"
            f" or np.random.default_rng(1)), got {type(rng).__name__}"
        )
    return rng


def check_real(value: object, name: str) -> float:
    """Return ``value`` as a finite ``float`` (a bool, a string or NaN is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a finite ``float > 0``."""
    value = check_real(value, name)
    if not value > 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a finite ``float >= 0``."""
    value = check_real(value, name)
    if not value >= 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value}")
    return value


def check_range(value: object, name: str) -> tuple[float, float]:
    """Return a pair ``(low, high)`` of finite floats with ``low < high``."""
    try:
        low, high = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high), got {value!r}") from None
    low, high = check_real(low, f"{name}[0]"), check_real(high, f"{name}[1]")
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got {value!r}")
    return low, high


def check_bool(value: object, name: str) -> None:
    """Raise ``TypeError`` unless ``value`` is a bool (a string such as "no" would be truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")


def check_callable(value: object, name: str) -> None:
    """Check that ``value`` can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")


def check_tensor(
    value: object,
    name: str,
    ndim: int | tuple[int, ...] | None = None,
    floating: bool = False,
):
    """Check that ``value`` is a ``torch.Tensor`` of the given rank(s) (and floating dtype).

    Args:
        value: the candidate.
        name: the argument's name, for the message.
        ndim: the required number of dimensions, or a tuple of allowed ones.
        floating: require a floating-point dtype.

    Returns:
        ``value`` unchanged.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and value.dim() not in allowed:
        want = " or ".join(str(d) for d in allowed)
        raise ValueError(
            f"{name} must have {want} dimensions, got shape {tuple(value.shape)}"
        )
    if floating and not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {value.dtype}"
        )
    return value


def check_finite(value: object, name: str) -> None:
    """Raise ``ValueError`` when an array or tensor holds NaN or infinity."""
    if not bool(np.all(np.isfinite(np.asarray(value)))):
        raise ValueError(f"{name} contains NaN or infinite values")
