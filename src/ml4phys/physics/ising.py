"""Ising models: exact samples of the open chain (lattice Monte Carlo joins it in Part III).

:func:`ising_chain` samples the one-dimensional chain in zero field exactly, as a Markov
chain; its spins are written as text with :data:`ml4phys.data.text.ISING_TOKENIZER`.
"""

from __future__ import annotations

import math

import numpy as np

from ml4phys._validation import check_int, check_rng

__all__ = [
    "ising_chain",
]


def ising_chain(
    n: int, length: int, beta_j: float, rng: np.random.Generator
) -> np.ndarray:
    """Exact samples of an open Ising chain ``H = -J sum_t s_t s_{t+1}`` at inverse temperature beta.

    In zero field the Boltzmann distribution of an open chain is a Markov chain: the first spin
    is +1 or -1 with probability 1/2, and each next spin equals its predecessor with
    probability ``e^{beta J} / (e^{beta J} + e^{-beta J}) = (1 + tanh(beta J)) / 2``. Hence the
    correlation ``<s_t s_{t+r}> = tanh(beta J)**r``.

    Args:
        n: number of chains.
        length: spins per chain.
        beta_j: the dimensionless coupling ``beta J`` (negative: antiferromagnet).
        rng: the random source.

    Returns:
        int64 array of shape ``(n, length)`` with entries +1 and -1.
    """
    n = check_int(n, "n")
    length = check_int(length, "length")
    rng = check_rng(rng)
    if isinstance(beta_j, bool) or not isinstance(
        beta_j, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"beta_j must be a real number, got {type(beta_j).__name__}")
    if not math.isfinite(beta_j):
        raise ValueError(f"beta_j must be finite, got {beta_j}")
    p_same = (1 + math.tanh(beta_j)) / 2
    first = rng.choice(np.array([-1, 1]), size=(n, 1))
    flips = np.where(rng.random((n, length - 1)) < p_same, 1, -1)
    return first * np.cumprod(
        np.concatenate([np.ones((n, 1), dtype=np.int64), flips], axis=1), axis=1
    )
