"""Tests of the shared input checks (ml4phys._validation)."""

import numpy as np
import pytest

from ml4phys._validation import check_int, check_rng


def test_check_int_accepts_integers_and_returns_python_int():
    assert check_int(np.int64(3), "n") == 3 and type(check_int(np.int64(3), "n")) is int
    assert check_int(0, "seed", minimum=0) == 0


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (2.0, TypeError, "n must be an int"),
        (True, TypeError, "n must be an int"),
        (0, ValueError, "n must be an integer >= 1"),
    ],
)
def test_check_int_rejects(bad, error, match):
    with pytest.raises(error, match=match):
        check_int(bad, "n")


def test_check_rng():
    rng = np.random.default_rng(0)
    assert check_rng(rng) is rng
    for bad in (0, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="numpy.random.Generator"):
            check_rng(bad)
