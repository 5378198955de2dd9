"""Tests of ml4phys.data: the synthetic corpus, vocabulary, skip-gram pairs and vector queries."""

import numpy as np
import pytest

from ml4phys import data
from ml4phys.nn import embeddings


def test_corpus_is_reproducible_and_uses_every_pair():
    a = data.physics_corpus(3000, np.random.default_rng(0))
    b = data.physics_corpus(3000, np.random.default_rng(0))
    assert a == b and len(a) == 3000 and all(isinstance(w, str) for s in a for w in s)
    words = {w for s in a for w in s}
    for pairs in data.RELATIONS.values():
        for first, second in pairs:
            assert first in words and second in words


def test_build_vocab_counts_and_orders():
    vocab = data.build_vocab([["a", "b", "a"], ["c", "a", "b"]])
    assert vocab.words == ["a", "b", "c"] and vocab.counts.tolist() == [3, 2, 1]
    assert vocab.index["c"] == 2 and len(vocab) == 3
    assert vocab.encode(["c", "a"]).tolist() == [2, 0]
    assert data.build_vocab([["a", "b", "a"]], min_count=2).words == ["a"]
    with pytest.raises(TypeError):
        data.build_vocab("a b c")


def test_skipgram_pairs_window():
    vocab = data.build_vocab([["a", "b", "c", "d"]])
    pairs = data.skipgram_pairs([["a", "b", "c", "d"]], vocab, window=1)
    decoded = {(vocab.words[i], vocab.words[j]) for i, j in pairs}
    assert decoded == {
        ("a", "b"),
        ("b", "a"),
        ("b", "c"),
        ("c", "b"),
        ("c", "d"),
        ("d", "c"),
    }
    assert len(data.skipgram_pairs([["a", "b", "c", "d"]], vocab, window=3)) == 12


def test_skipgram_subsampling_thins_frequent_words():
    corpus = [["the", "x"]] * 500 + [["the", "y"]] * 500 + [["z", "w"]] * 10
    vocab = data.build_vocab(corpus)
    pairs = data.skipgram_pairs(
        corpus, vocab, window=1, subsample=1e-2, rng=np.random.default_rng(0)
    )
    centres = np.bincount(pairs[:, 0], minlength=len(vocab))
    assert centres[vocab.index["the"]] < 0.2 * 1000
    assert centres[vocab.index["z"]] == 10  # rare words are kept
    with pytest.raises(TypeError):
        data.skipgram_pairs(corpus, vocab, subsample=1e-3)  # no rng


def toy_vectors():
    words = ["king", "queen", "man", "woman", "apple"]
    vocab = data.build_vocab([words])
    # row order follows vocab.words (all counts 1: alphabetical)
    table = {
        "king": [1, 1, 0],
        "queen": [1, -1, 0],
        "man": [0, 1, 0.1],
        "woman": [0, -1, 0.1],
        "apple": [0, 0, 1],
    }
    return np.array([table[w] for w in vocab.words], dtype=float), vocab


def test_most_similar_and_analogy_against_brute_force():
    vectors, vocab = toy_vectors()
    assert embeddings.analogy(vectors, vocab, "man", "woman", "king") == "queen"
    assert embeddings.analogy(vectors, vocab, "king", "queen", "man") == "woman"
    neighbours = embeddings.most_similar(vectors, vocab, "king", n=2)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = unit @ unit[vocab.index["king"]]
    cos[vocab.index["king"]] = -np.inf
    assert neighbours[0][0] == vocab.words[int(np.argmax(cos))]
    assert neighbours[0][1] == pytest.approx(np.max(cos))
    with pytest.raises(KeyError):
        embeddings.analogy(vectors, vocab, "man", "woman", "prince")
    with pytest.raises(ValueError):
        embeddings.most_similar(vectors[:3], vocab, "king")


def test_analogy_questions():
    questions = data.analogy_questions("particle-antiparticle")
    n = len(data.RELATIONS["particle-antiparticle"])
    assert len(questions) == n * (n - 1)
    assert ("electron", "positron", "proton", "antiproton") in questions
    with pytest.raises(ValueError):
        data.analogy_questions("country-capital")
