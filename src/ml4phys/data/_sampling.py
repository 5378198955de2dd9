"""Small sampling helpers shared by the data generators (private)."""

from __future__ import annotations

import numpy as np


def uniform_square(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform in ``[-1, 1]^2``, float64, shape ``(n, 2)``."""
    return rng.uniform(-1.0, 1.0, size=(n, 2))


def balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """Labels 0 and 1 in random order, ``n // 2`` ones (exactly balanced up to one), int64."""
    return rng.permutation(np.arange(n, dtype=np.int64) % 2)
