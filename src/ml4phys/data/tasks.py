"""Sequence tasks with known answers: memory tasks for recurrent networks, addition for transformers.

* :func:`recall_task` (remember a number over a delay) and :func:`countdown_task` (fire a
  given number of steps later), for chapter 8;
* integer addition written out as text, ``"37+85=122"``: :func:`addition_problems`,
  :func:`addition_split` (a fixed split into training and held-out problems),
  :func:`format_addition` and :func:`addition_correct`, which scores a generated string
  exactly, for chapter 9. Operands are written with ``n_digits`` digits and the sum with
  ``n_digits + 1`` (leading zeros), so that every problem has the same length:
  ``"07+85=092"``. The tokens are :data:`ml4phys.data.text.ADDITION_TOKENIZER`.

Sequences are batch-first, ``(batch, time, features)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from ml4phys._validation import check_bool, check_int, check_rng

__all__ = [
    "recall_task",
    "countdown_task",
    "addition_length",
    "format_addition",
    "addition_problems",
    "addition_split",
    "addition_correct",
]


# ----------------------------------------------------------------------------------------------
# Memory tasks
# ----------------------------------------------------------------------------------------------


def _check_noise(noise: object) -> float:
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not (math.isfinite(noise) and noise >= 0)
    ):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    return float(noise)


def recall_task(
    n: int, delay: int, rng: np.random.Generator, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Remember a number over a delay.

    A value :math:`a \\sim U(-1, 1)` is shown at the first time step, followed by ``delay``
    steps of input noise (standard deviation ``noise``; zeros when 0). The network must output
    :math:`a` at the last step, ``delay`` steps after it saw it. A second input channel is a
    marker: 1 at the first step, 0 after.

    Args:
        n: number of sequences.
        delay: steps between the value and the time it is asked for (>= 1).
        rng: random generator.
        noise: standard deviation of the distractor input after the first step.

    Returns:
        ``(X, y)``: ``X`` float32 ``(n, delay + 1, 2)``, ``y`` float32 ``(n,)`` the value to recall.
    """
    n = check_int(n, "n")
    delay = check_int(delay, "delay")
    rng = check_rng(rng)
    noise = _check_noise(noise)
    values = rng.uniform(-1, 1, n)
    X = np.zeros((n, delay + 1, 2))
    X[:, 0, 0] = values
    X[:, 0, 1] = 1.0
    if noise > 0:
        X[:, 1:, 0] = noise * rng.standard_normal((n, delay))
    return X.astype(np.float32), values.astype(np.float32)


def countdown_task(
    n: int, max_count: int, rng: np.random.Generator, n_steps: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count down: given a number at the start, fire exactly that many steps later.

    A count :math:`m` in ``1..max_count`` is shown at the first time step as ``m / max_count``
    on the input channel (0 at every later step). The target is 1 at time step ``m`` (counting
    the first step as 0) and 0 at every other step.

    Args:
        n: number of sequences.
        max_count: largest count (>= 1).
        rng: random generator.
        n_steps: sequence length; ``max_count + 5`` when None (must exceed ``max_count``).

    Returns:
        ``(X, y, counts)``: ``X`` float32 ``(n, n_steps, 1)``, targets ``y`` float32
        ``(n, n_steps)``, and the counts ``m``, int64 ``(n,)``.
    """
    n = check_int(n, "n")
    max_count = check_int(max_count, "max_count")
    rng = check_rng(rng)
    n_steps = max_count + 5 if n_steps is None else check_int(n_steps, "n_steps")
    if n_steps <= max_count:
        raise ValueError(
            f"n_steps must be larger than max_count = {max_count}, got {n_steps}"
        )
    counts = rng.integers(1, max_count + 1, n)
    X = np.zeros((n, n_steps, 1), dtype=np.float32)
    X[:, 0, 0] = counts / max_count
    y = np.zeros((n, n_steps), dtype=np.float32)
    y[np.arange(n), counts] = 1.0
    return X, y, counts.astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Addition
# ----------------------------------------------------------------------------------------------


def addition_length(n_digits: int = 2) -> int:
    """Length of a written problem with its answer: ``2 n + 1 + 1 + (n + 1)`` characters."""
    n_digits = check_int(n_digits, "n_digits")
    return 3 * n_digits + 3


def format_addition(
    pairs: np.ndarray,
    n_digits: int = 2,
    with_answer: bool = True,
    reverse_answer: bool = False,
) -> list[str]:
    """Write operand pairs as fixed-width problems, ``(7, 85) -> "07+85=092"``.

    Args:
        pairs: integer array of shape ``(n, 2)``, operands in ``0 .. 10**n_digits - 1``.
        n_digits: digits per operand.
        with_answer: append the sum (``n_digits + 1`` digits); else stop after ``"="``.
        reverse_answer: write the sum's digits least significant first (``"07+85=290"``), the
            order in which a carry propagates.

    Returns:
        A list of ``n`` strings.
    """
    n_digits = check_int(n_digits, "n_digits")
    pairs = np.asarray(pairs)
    if (
        pairs.ndim != 2
        or pairs.shape[1] != 2
        or not np.issubdtype(pairs.dtype, np.integer)
    ):
        raise ValueError(
            f"pairs must be an integer array of shape (n, 2), got {pairs.dtype} {pairs.shape}"
        )
    if pairs.size and (pairs.min() < 0 or pairs.max() >= 10**n_digits):
        raise ValueError(
            f"pairs: operands must lie in 0..{10**n_digits - 1} for n_digits = {n_digits}"
        )
    check_bool(with_answer, "with_answer")
    check_bool(reverse_answer, "reverse_answer")
    texts = []
    for a, b in pairs.tolist():
        text = f"{a:0{n_digits}d}+{b:0{n_digits}d}="
        if with_answer:
            answer = f"{a + b:0{n_digits + 1}d}"
            text += answer[::-1] if reverse_answer else answer
        texts.append(text)
    return texts


def addition_problems(
    n: int, rng: np.random.Generator, n_digits: int = 2, reverse_answer: bool = False
) -> list[str]:
    """``n`` random addition problems with their answers, operands uniform in ``0..10**n_digits-1``.

    Args:
        n: number of problems.
        rng: the random source.
        n_digits: digits per operand.
        reverse_answer: as in :func:`format_addition`.

    Returns:
        Strings like ``"07+85=092"``, each :func:`addition_length` characters long.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    n_digits = check_int(n_digits, "n_digits")
    check_bool(reverse_answer, "reverse_answer")
    pairs = rng.integers(0, 10**n_digits, size=(n, 2))
    return format_addition(pairs, n_digits, reverse_answer=reverse_answer)


def addition_split(
    n_test: int, rng: np.random.Generator, n_digits: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Split all ``10**(2 n_digits)`` operand pairs into training and held-out pairs.

    Args:
        n_test: number of held-out pairs.
        rng: the random source of the split.
        n_digits: digits per operand (at most 3: the split lists every pair).

    Returns:
        ``(train_pairs, test_pairs)``, disjoint integer arrays of shapes ``(N - n_test, 2)``
        and ``(n_test, 2)`` with ``N = 10**(2 n_digits)``.
    """
    rng = check_rng(rng)
    n_digits = check_int(n_digits, "n_digits")
    if n_digits > 3:
        raise ValueError(
            f"addition_split lists every pair; use n_digits <= 3, got {n_digits}"
        )
    n_values = 10**n_digits
    n_test = check_int(n_test, "n_test")
    if n_test >= n_values**2:
        raise ValueError(
            f"n_test must be smaller than the number of pairs, {n_values**2}"
        )
    order = rng.permutation(n_values**2)
    pairs = np.stack([order // n_values, order % n_values], axis=1)
    return pairs[n_test:], pairs[:n_test]


def addition_correct(
    texts: Sequence[str], n_digits: int = 2, reverse_answer: bool = False
) -> np.ndarray:
    """Whether each written problem carries the right answer (exact match of all digits).

    Args:
        texts: strings ``"aa+bb=ccc"`` as produced by a model (malformed ones count as wrong).
        n_digits: digits per operand.
        reverse_answer: whether the answers are written least significant digit first.

    Returns:
        bool array of shape ``(len(texts),)``.
    """
    n_digits = check_int(n_digits, "n_digits")
    check_bool(reverse_answer, "reverse_answer")
    if isinstance(texts, str):
        raise TypeError(
            f"texts must be a sequence of str (one written problem each), not a str: {texts!r}"
        )
    texts = list(texts)
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("texts must be a sequence of str (one written problem each)")
    length = addition_length(n_digits)
    result = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if (
            len(text) != length
            or text[n_digits] != "+"
            or text[2 * n_digits + 1] != "="
        ):
            continue
        a, b, c = (
            text[:n_digits],
            text[n_digits + 1 : 2 * n_digits + 1],
            text[2 * n_digits + 2 :],
        )
        c = c[::-1] if reverse_answer else c
        if a.isdigit() and b.isdigit() and c.isdigit():
            result[i] = int(a) + int(b) == int(c)
    return result
