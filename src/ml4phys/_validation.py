"""Input checks shared by the package's public functions (private module).

Each returns the checked value in canonical form, or raises a ``TypeError``/``ValueError``
whose message says what was expected.
"""

from __future__ import annotations

import numpy as np


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
            "rng must be a numpy.random.Generator (for example rng = ml4phys.seed_everything(42)"
            f" or np.random.default_rng(42)), got {type(rng).__name__}"
        )
    return rng
