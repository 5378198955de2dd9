"""Tests of ml4phys.checks.ch18: right answers pass, wrong ones fail, stubs pass through."""

from __future__ import annotations

import numpy as np
import pytest

from ml4phys.checks import CheckFailed, ch18


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 18.x")


# --------------------------------------------------------------------------- Exercise 18.1


def block_means(x, block_size):
    n_blocks = len(x) // block_size
    return np.asarray(x[: n_blocks * block_size]).reshape(n_blocks, -1).mean(axis=1)


def blocking_right(x, block_size):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError("x must be 1-D")
    if block_size < 1 or len(x) // block_size < 2:
        raise ValueError("block_size must give at least two blocks")
    means = block_means(x, block_size)
    return float(np.std(means, ddof=1) / np.sqrt(len(means)))


def blocking_no_validation(x, block_size):
    means = block_means(x, block_size)
    return float(np.std(means, ddof=1) / np.sqrt(len(means)))


def blocking_no_sqrt(x, block_size):
    blocking_right(x, block_size)
    means = block_means(x, block_size)
    return float(np.var(means, ddof=1) / len(means))


def blocking_raw_series(x, block_size):
    blocking_right(x, block_size)
    return float(np.std(x, ddof=1) / np.sqrt(len(x)))


def blocking_divide_by_n(x, block_size):
    blocking_right(x, block_size)
    return float(np.std(block_means(x, block_size), ddof=1) / np.sqrt(len(x)))


def blocking_ddof0(x, block_size):
    blocking_right(x, block_size)
    means = block_means(x, block_size)
    return float(np.std(means) / np.sqrt(len(means)))


def blocking_partial_block(x, block_size):
    blocking_right(x, block_size)
    means = np.array(
        [x[i : i + block_size].mean() for i in range(0, len(x), block_size)]
    )
    return float(np.std(means, ddof=1) / np.sqrt(len(means)))


def blocking_type_error(x, block_size):
    if block_size < 1:
        raise TypeError("bad block size")
    return blocking_right(x, block_size)


def test_blocking_right():
    assert ch18.check_blocking_error(blocking_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        blocking_no_sqrt,
        blocking_raw_series,
        blocking_divide_by_n,
        blocking_ddof0,
        blocking_partial_block,
        blocking_no_validation,
        blocking_type_error,
        lambda x, block_size: 0.01,
        lambda x, block_size: np.ones(3),
    ],
)
def test_blocking_wrong(answer):
    with pytest.raises(CheckFailed):
        ch18.check_blocking_error(answer)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (blocking_no_sqrt, "square root"),
        (blocking_raw_series, "does not depend on the blocks"),
        (blocking_divide_by_n, "number of blocks"),
        (blocking_partial_block, "incomplete last block"),
    ],
)
def test_blocking_hints(answer, hint):
    with pytest.raises(CheckFailed, match=hint):
        ch18.check_blocking_error(answer)


def test_blocking_stub():
    with pytest.raises(NotImplementedError):
        ch18.check_blocking_error(stub)


# --------------------------------------------------------------------------- Exercise 18.2


def crossing_right(T, out):
    k = int(np.flatnonzero((out[:-1] >= 0.5) & (out[1:] < 0.5))[0])
    return T[k] + (out[k] - 0.5) * (T[k + 1] - T[k]) / (out[k] - out[k + 1])


def crossing_nearest(T, out):
    return float(T[np.argmin(np.abs(out - 0.5))])


def crossing_last(T, out):
    k = int(np.flatnonzero((out[:-1] >= 0.5) & (out[1:] < 0.5))[-1])
    return T[k] + (out[k] - 0.5) * (T[k + 1] - T[k]) / (out[k] - out[k + 1])


def crossing_interp_sorted(T, out):  # np.interp on the reversed curve: wrong with noise
    return float(np.interp(0.5, out[::-1], T[::-1]))


def test_crossing_right():
    assert ch18.check_crossing(crossing_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        crossing_nearest,
        crossing_last,
        crossing_interp_sorted,
        lambda T, out: 2.269,
        lambda T, out: float(T.mean()),
    ],
)
def test_crossing_wrong(answer):
    with pytest.raises(CheckFailed):
        ch18.check_crossing(answer)


def test_crossing_stub():
    with pytest.raises(NotImplementedError):
        ch18.check_crossing(stub)


# --------------------------------------------------------------------------- Exercise 18.3


def pc_right(X):
    return np.linalg.svd(X - X.mean(axis=0), full_matrices=False)[2][0]


def pc_uncentred(X):
    return np.linalg.svd(X, full_matrices=False)[2][0]


def pc_last(X):
    return np.linalg.svd(X - X.mean(axis=0), full_matrices=False)[2][-1]


def test_pc_right_and_sign():
    assert ch18.check_first_component(pc_right) is True
    assert ch18.check_first_component(lambda X: -pc_right(X)) is True


@pytest.mark.parametrize(
    "answer",
    [
        pc_uncentred,
        pc_last,
        lambda X: 2 * pc_right(X),
        lambda X: pc_right(X)[:-1],
        lambda X: np.full(X.shape[1], np.nan),
    ],
)
def test_pc_wrong(answer):
    with pytest.raises(CheckFailed):
        ch18.check_first_component(answer)


def test_pc_stub():
    with pytest.raises(NotImplementedError):
        ch18.check_first_component(stub)


def test_checks_leave_global_state_alone():
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    ch18.check_first_component(pc_right)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002
