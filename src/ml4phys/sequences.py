"""Sequence tasks with known structure, for the transformers of chapter 9.

- :class:`CharTokenizer`: one token per character of a fixed vocabulary (encode, decode).
- Integer addition written out as text, ``"37+85=122"``: :func:`addition_problems`,
  :func:`addition_split` (a fixed split into training and held-out problems),
  :func:`format_addition` and :func:`addition_correct`, which scores a generated string
  exactly. Operands are written with ``n_digits`` digits and the sum with ``n_digits + 1``
  (leading zeros), so that all problems have the same length and the answer's digits sit at
  fixed positions: ``"07+85=092"``.
- The one-dimensional Ising chain in zero field, sampled exactly as a Markov chain:
  :func:`ising_chain`, with the tokenizer :data:`ISING_TOKENIZER` (``"-"`` for spin -1, ``"+"``
  for +1).

Randomness comes only through an explicit ``rng: np.random.Generator``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ml4phys._validation import check_int, check_rng

__all__ = [
    "CharTokenizer",
    "ADDITION_TOKENIZER",
    "ISING_TOKENIZER",
    "addition_problems",
    "addition_split",
    "format_addition",
    "addition_length",
    "addition_correct",
    "ising_chain",
]


class CharTokenizer:
    """Maps the characters of a fixed vocabulary to the integers ``0..len(vocab)-1`` and back.

    Args:
        vocab: the characters, each once, e.g. ``"0123456789+="``.
    """

    def __init__(self, vocab: str) -> None:
        if not isinstance(vocab, str) or not vocab:
            raise TypeError(f"vocab must be a non-empty str of characters, got {vocab!r}")
        if len(set(vocab)) != len(vocab):
            raise ValueError(f"vocab has repeated characters: {vocab!r}")
        self.vocab = vocab
        self._index = {c: i for i, c in enumerate(vocab)}

    @property
    def vocab_size(self) -> int:
        """Number of tokens."""
        return len(self.vocab)

    def encode(self, text: str) -> torch.Tensor:
        """The tokens of ``text``, int64 of shape ``(len(text),)``.

        Raises:
            ValueError: a character outside the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return torch.tensor([self._index[c] for c in text], dtype=torch.long)
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the vocabulary {self.vocab!r}") from None

    def encode_batch(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokens of equally long strings, int64 of shape ``(len(texts), length)``."""
        texts = list(texts)
        if not texts:
            raise ValueError("texts is empty")
        lengths = {len(t) for t in texts}
        if len(lengths) != 1:
            raise ValueError(f"all texts must have the same length, got lengths {sorted(lengths)[:5]}")
        return torch.stack([self.encode(t) for t in texts])

    def decode(self, tokens: torch.Tensor | Sequence[int]) -> str:
        """The string of a 1-D sequence of tokens."""
        ids = torch.as_tensor(tokens).reshape(-1).tolist()
        if any(not 0 <= i < len(self.vocab) for i in ids):
            raise ValueError(f"token ids must lie in 0..{len(self.vocab) - 1}")
        return "".join(self.vocab[i] for i in ids)

    def decode_batch(self, tokens: torch.Tensor) -> list[str]:
        """Strings of a batch of token sequences of shape ``(batch, n)``."""
        return [self.decode(row) for row in tokens]

    def __repr__(self) -> str:
        return f"CharTokenizer({self.vocab!r})"


ADDITION_TOKENIZER = CharTokenizer("0123456789+=")
"""Tokenizer of the addition task: the ten digits, ``"+"`` and ``"="``."""

ISING_TOKENIZER = CharTokenizer("-+")
"""Tokenizer of Ising chains: ``"-"`` (token 0) is spin -1, ``"+"`` (token 1) is spin +1."""


# ----------------------------------------------------------------------------------------------
# Addition
# ----------------------------------------------------------------------------------------------


def addition_length(n_digits: int = 2) -> int:
    """Length of a written problem with its answer: ``2 n + 1 + 1 + (n + 1)`` characters."""
    n_digits = check_int(n_digits, "n_digits")
    return 3 * n_digits + 3


def format_addition(
    pairs: np.ndarray, n_digits: int = 2, with_answer: bool = True, reverse_answer: bool = False
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
    if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
        raise ValueError(f"pairs must be an integer array of shape (n, 2), got {pairs.dtype} {pairs.shape}")
    if pairs.size and (pairs.min() < 0 or pairs.max() >= 10**n_digits):
        raise ValueError(f"operands must lie in 0..{10**n_digits - 1} for n_digits = {n_digits}")
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
        raise ValueError(f"addition_split lists every pair; use n_digits <= 3, got {n_digits}")
    n_values = 10**n_digits
    n_test = check_int(n_test, "n_test")
    if n_test >= n_values**2:
        raise ValueError(f"n_test must be smaller than the number of pairs, {n_values**2}")
    order = rng.permutation(n_values**2)
    pairs = np.stack([order // n_values, order % n_values], axis=1)
    return pairs[n_test:], pairs[:n_test]


def addition_correct(texts: Sequence[str], n_digits: int = 2, reverse_answer: bool = False) -> np.ndarray:
    """Whether each written problem carries the right answer (exact match of all digits).

    Args:
        texts: strings ``"aa+bb=ccc"`` as produced by a model (malformed ones count as wrong).
        n_digits: digits per operand.
        reverse_answer: whether the answers are written least significant digit first.

    Returns:
        bool array of shape ``(len(texts),)``.
    """
    n_digits = check_int(n_digits, "n_digits")
    length = addition_length(n_digits)
    result = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if len(text) != length or text[n_digits] != "+" or text[2 * n_digits + 1] != "=":
            continue
        a, b, c = text[:n_digits], text[n_digits + 1 : 2 * n_digits + 1], text[2 * n_digits + 2 :]
        c = c[::-1] if reverse_answer else c
        if a.isdigit() and b.isdigit() and c.isdigit():
            result[i] = int(a) + int(b) == int(c)
    return result


# ----------------------------------------------------------------------------------------------
# Ising chain
# ----------------------------------------------------------------------------------------------


def ising_chain(n: int, length: int, beta_j: float, rng: np.random.Generator) -> np.ndarray:
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
    if isinstance(beta_j, bool) or not isinstance(beta_j, (int, float, np.integer, np.floating)):
        raise TypeError(f"beta_j must be a real number, got {type(beta_j).__name__}")
    if not math.isfinite(beta_j):
        raise ValueError(f"beta_j must be finite, got {beta_j}")
    p_same = (1 + math.tanh(beta_j)) / 2
    first = rng.choice(np.array([-1, 1]), size=(n, 1))
    flips = np.where(rng.random((n, length - 1)) < p_same, 1, -1)
    return first * np.cumprod(np.concatenate([np.ones((n, 1), dtype=np.int64), flips], axis=1), axis=1)
