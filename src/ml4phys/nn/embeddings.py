"""Queries of trained word vectors: nearest neighbours by cosine similarity, and analogies.

The vectors are rows of an array ``(vocab_size, dim)`` indexed as the
:class:`ml4phys.data.text.Vocab` that made the training pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml4phys._validation import check_int
from ml4phys.data.text import Vocab

__all__ = [
    "most_similar",
    "analogy",
]


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must have shape (n_words, dim), got {vectors.shape}")
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def most_similar(
    vectors: np.ndarray,
    vocab: Vocab,
    query: str | np.ndarray,
    n: int = 5,
    exclude: Sequence[str] = (),
) -> list[tuple[str, float]]:
    """The words whose vectors have the largest cosine similarity with a query.

    Args:
        vectors: ``(n_words, dim)``, row ``i`` the vector of ``vocab.words[i]``.
        vocab: the vocabulary.
        query: a word (itself excluded from the answer) or a vector ``(dim,)``.
        n: how many neighbours.
        exclude: further words to leave out.

    Returns:
        ``n`` pairs ``(word, cosine similarity)``, most similar first.
    """
    unit = _unit_rows(vectors)
    if len(unit) != len(vocab):
        raise ValueError(
            f"vectors has {len(unit)} rows but the vocabulary {len(vocab)} words"
        )
    n = check_int(n, "n")
    excluded = set(exclude)
    if isinstance(query, str):
        if query not in vocab.index:
            raise KeyError(f"{query!r} is not in the vocabulary")
        excluded.add(query)
        q = unit[vocab.index[query]]
    else:
        q = np.asarray(query, dtype=np.float64)
        if q.shape != (unit.shape[1],):
            raise ValueError(
                f"a query vector must have shape ({unit.shape[1]},), got {q.shape}"
            )
        q = q / max(np.linalg.norm(q), 1e-12)
    similarity = unit @ q
    order = np.argsort(-similarity, kind="stable")
    result = [
        (vocab.words[i], float(similarity[i]))
        for i in order
        if vocab.words[i] not in excluded
    ]
    return result[:n]


def analogy(vectors: np.ndarray, vocab: Vocab, a: str, b: str, c: str) -> str:
    """Answer "a is to b as c is to ?" by vector arithmetic (3CosAdd, Mikolov et al. 2013).

    The answer is the word :math:`d \\notin \\{a, b, c\\}` maximising
    :math:`\\cos(v_d, \\hat v_b - \\hat v_a + \\hat v_c)`, with :math:`\\hat v` the unit vectors.

    Args:
        vectors: ``(n_words, dim)``.
        vocab: the vocabulary.
        a, b, c: words of the vocabulary.

    Returns:
        The word ``d``.
    """
    unit = _unit_rows(vectors)
    for w in (a, b, c):
        if w not in vocab.index:
            raise KeyError(f"{w!r} is not in the vocabulary")
    target = unit[vocab.index[b]] - unit[vocab.index[a]] + unit[vocab.index[c]]
    return most_similar(vectors, vocab, target, n=1, exclude=(a, b, c))[0][0]
