"""Array checks for the physics modules (private): a real, finite array, or a clear error."""

from __future__ import annotations

import numpy as np

from ml4phys._validation import check_finite


def check_real_array(value: object, name: str, copy: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array after checking it holds finite real numbers.

    Args:
        value: an array-like of real numbers (ints, floats, bools are not refused by NumPy's
            rules; strings, objects and complex numbers are).
        name: the argument's name, for the message.
        copy: return a copy even when ``value`` already is a float64 array.

    Raises:
        TypeError: when the values are not real numbers.
        ValueError: when the array holds NaN or infinity.
    """
    array = np.array(value, copy=True) if copy else np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be an array of real numbers, got dtype {array.dtype}"
        )
    array = array.astype(np.float64, copy=False)
    check_finite(array, name)
    return array
