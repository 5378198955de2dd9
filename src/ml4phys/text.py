"""A synthetic physics corpus and the plumbing of word vectors (skip-gram).

The book builds offline and no English text corpus is installed, so chapter 8 trains its word
vectors on sentences drawn from a small probabilistic grammar about physics. That is a choice
with a benefit: the relations hidden in the corpus are known exactly, so analogies can be
scored. The grammar knows three relations, each a list of word pairs:

* ``"quantity-unit"``: a physical quantity and its SI unit (energy, joule);
* ``"particle-antiparticle"``: a particle and its antiparticle (electron, positron);
* ``"element-symbol"``: a chemical element and its symbol (iron, Fe).

Both words of a pair share *facts* (the instrument that measures a quantity and the unit's
reading; a particle's mass and family; an element's atomic number and kind), while the two
*roles* of a relation appear in different sentence frames (a quantity is measured, a unit is
read off a display). By the distributional hypothesis the vector of a word then carries one
part for its role and one for its identity, which is what makes vector arithmetic such as
``joule - energy + force ~ newton`` work.

Functions: :func:`physics_corpus` draws sentences, :func:`build_vocab` counts words,
:func:`skipgram_pairs` makes (centre, context) training pairs, :func:`most_similar` and
:func:`analogy` query trained vectors, :func:`analogy_questions` lists the scorable analogies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ml4phys._validation import check_int, check_rng

__all__ = [
    "RELATIONS",
    "physics_corpus",
    "Vocab",
    "build_vocab",
    "skipgram_pairs",
    "most_similar",
    "analogy",
    "analogy_questions",
]

# (first word, second word, shared facts)
_QUANTITIES = [
    ("force", "newton", ["dynamometer", "spring", "mechanics"]),
    ("energy", "joule", ["calorimeter", "heat", "mechanics"]),
    ("power", "watt", ["wattmeter", "engine", "mechanics"]),
    ("pressure", "pascal", ["barometer", "gas", "mechanics"]),
    ("charge", "coulomb", ["electrometer", "capacitor", "electricity"]),
    ("current", "ampere", ["ammeter", "wire", "electricity"]),
    ("voltage", "volt", ["voltmeter", "battery", "electricity"]),
    ("resistance", "ohm", ["ohmmeter", "resistor", "electricity"]),
    ("frequency", "hertz", ["oscilloscope", "oscillation", "waves"]),
    ("temperature", "kelvin", ["thermometer", "furnace", "heat"]),
    ("field", "tesla", ["magnetometer", "magnet", "magnetism"]),
]
_PARTICLES = [
    ("electron", "positron", ["0.511", "lepton"]),
    ("muon", "antimuon", ["105.7", "lepton"]),
    ("tau", "antitau", ["1777", "lepton"]),
    ("proton", "antiproton", ["938.3", "baryon"]),
    ("neutron", "antineutron", ["939.6", "baryon"]),
    ("lambda", "antilambda", ["1115.7", "baryon"]),
    ("kaon", "antikaon", ["493.7", "meson"]),
    ("pion", "antipion", ["139.6", "meson"]),
]
_ELEMENTS = [
    ("hydrogen", "H", ["1", "gas"]),
    ("helium", "He", ["2", "gas"]),
    ("carbon", "C", ["6", "solid"]),
    ("nitrogen", "N", ["7", "gas"]),
    ("oxygen", "O", ["8", "gas"]),
    ("neon", "Ne", ["10", "gas"]),
    ("sodium", "Na", ["11", "metal"]),
    ("silicon", "Si", ["14", "solid"]),
    ("iron", "Fe", ["26", "metal"]),
    ("copper", "Cu", ["29", "metal"]),
    ("silver", "Ag", ["47", "metal"]),
    ("gold", "Au", ["79", "metal"]),
    ("lead", "Pb", ["82", "metal"]),
    ("uranium", "U", ["92", "metal"]),
]

RELATIONS: dict[str, list[tuple[str, str]]] = {
    "quantity-unit": [(a, b) for a, b, _ in _QUANTITIES],
    "particle-antiparticle": [(a, b) for a, b, _ in _PARTICLES],
    "element-symbol": [(a, b) for a, b, _ in _ELEMENTS],
}
"""The word pairs of each relation in the corpus of :func:`physics_corpus`."""

_NUMBERS = ["two", "three", "five", "seven", "ten", "twelve", "twenty", "fifty"]

# Sentence frames: {w} is the word, {i} the instrument / first fact, {s} the second fact,
# {p} the partner (the other word of the pair), {n} a number word.
_FRAMES = {
    "quantity": [
        "we measured the {w} with the {i}",
        "the {w} in the {s} experiment changes with time",
        "the {w} is a physical quantity of {f3}",
        "the {i} measures the {w} of the {s}",
        "in {f3} the {w} is a quantity we compute",
        "the {w} is measured in {p}",
    ],
    "unit": [
        "the {i} shows {n} {w}",
        "the display reads {n} {w} for the {s}",
        "one {w} is a derived unit of {f3}",
        "the {s} value is {n} {w} on the {i}",
        "the unit of {p} is called the {w}",
        "we write the result in {w} per second",
    ],
    "particle": [
        "the {w} is a {s} of ordinary matter",
        "ordinary matter contains the {w}",
        "the {w} has a mass of {i} mev",
        "the {w} is common in ordinary atoms",
        "the {w} is a {s} with mass {i} mev",
        "the antiparticle of the {w} is the {p}",
    ],
    "antiparticle": [
        "the {w} is a {s} of antimatter",
        "antimatter contains the {w}",
        "the {w} has a mass of {i} mev",
        "the {w} is rare and annihilates with matter",
        "the {w} is an antimatter {s} with mass {i} mev",
        "the {w} is the antiparticle of the {p}",
    ],
    "element": [
        "{w} is a chemical element with atomic number {i}",
        "a sample of {w} is a {s} at room temperature",
        "the atoms of {w} have {i} protons",
        "pure {w} is a {s} element",
        "the chemist weighed the {w} sample",
        "the symbol of {w} is {p}",
    ],
    "symbol": [
        "the symbol {w} stands for atomic number {i}",
        "in a formula we write {w} for a {s} element",
        "the periodic table lists {w} at number {i}",
        "the letters {w} denote a {s}",
        "in the formula the symbol {w} appears twice",
        "{w} is the symbol of {p}",
    ],
}
_ROLES = {
    "quantity-unit": ("quantity", "unit", _QUANTITIES),
    "particle-antiparticle": ("particle", "antiparticle", _PARTICLES),
    "element-symbol": ("element", "symbol", _ELEMENTS),
}


def physics_corpus(n_sentences: int, rng: np.random.Generator) -> list[list[str]]:
    """Draw sentences from the book's small probabilistic grammar about physics.

    Each sentence picks a relation (uniformly), a word pair of it, one of the two roles, and a
    sentence frame of that role (all uniformly), and fills the frame with the word, its
    partner, the pair's facts and a random number word.

    Args:
        n_sentences: number of sentences.
        rng: random generator.

    Returns:
        A list of sentences, each a list of tokens (lower case except the element symbols).
    """
    n_sentences = check_int(n_sentences, "n_sentences")
    rng = check_rng(rng)
    relation_names = list(_ROLES)
    corpus = []
    for _ in range(n_sentences):
        role_a, role_b, pairs = _ROLES[relation_names[rng.integers(len(relation_names))]]
        first, second, facts = pairs[rng.integers(len(pairs))]
        if rng.random() < 0.5:
            role, word, partner = role_a, first, second
        else:
            role, word, partner = role_b, second, first
        frames = _FRAMES[role]
        frame = frames[rng.integers(len(frames))]
        sentence = frame.format(
            w=word, p=partner, i=facts[0], s=facts[1], f3=facts[-1],
            n=_NUMBERS[rng.integers(len(_NUMBERS))],
        )
        corpus.append(sentence.split())
    return corpus


class Vocab(NamedTuple):
    """A vocabulary: words by index and counts.

    Attributes:
        words: the words, most frequent first.
        index: ``word -> index``.
        counts: int64 array ``(n_words,)`` of corpus counts.
    """

    words: list[str]
    index: dict[str, int]
    counts: np.ndarray

    def __len__(self) -> int:  # type: ignore[override]
        return len(self.words)

    def encode(self, sentence: Sequence[str]) -> np.ndarray:
        """The indices of the words of a sentence (unknown words raise KeyError)."""
        return np.array([self.index[w] for w in sentence], dtype=np.int64)


def build_vocab(corpus: Sequence[Sequence[str]], min_count: int = 1) -> Vocab:
    """Count the words of a corpus and number them, most frequent first (ties alphabetically).

    Args:
        corpus: sentences, each a sequence of tokens.
        min_count: words seen fewer times are left out.

    Returns:
        A :class:`Vocab`.
    """
    min_count = check_int(min_count, "min_count")
    if isinstance(corpus, str) or not all(
        not isinstance(s, str) and all(isinstance(w, str) for w in s) for s in corpus
    ):
        raise TypeError("corpus must be a sequence of sentences, each a sequence of str tokens")
    counter = Counter(w for sentence in corpus for w in sentence)
    items = sorted((item for item in counter.items() if item[1] >= min_count),
                   key=lambda item: (-item[1], item[0]))
    words = [w for w, _ in items]
    return Vocab(words, {w: i for i, w in enumerate(words)},
                 np.array([c for _, c in items], dtype=np.int64))


def skipgram_pairs(
    corpus: Sequence[Sequence[str]],
    vocab: Vocab,
    window: int = 2,
    subsample: float | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """All (centre, context) index pairs of the skip-gram model.

    For every token of every sentence, every other token at most ``window`` positions away in
    the same sentence is a context word. Words not in ``vocab`` are dropped first. With
    ``subsample = t``, each token of a word of relative frequency :math:`f` is first discarded
    with probability :math:`\\max(0, 1 - \\sqrt{t / f})` (Mikolov et al. 2013), which thins out
    frequent words such as "the".

    Args:
        corpus: sentences of tokens.
        vocab: from :func:`build_vocab`.
        window: the context half-width (>= 1).
        subsample: the threshold ``t`` (e.g. ``1e-3``), or None for no subsampling.
        rng: random generator, needed when ``subsample`` is given.

    Returns:
        int64 array ``(n_pairs, 2)``: column 0 the centre word, column 1 the context word.
    """
    window = check_int(window, "window")
    keep_prob = None
    if subsample is not None:
        if not (isinstance(subsample, (int, float)) and subsample > 0):
            raise ValueError(f"subsample must be a positive number or None, got {subsample!r}")
        rng = check_rng(rng)
        frequency = vocab.counts / vocab.counts.sum()
        keep_prob = np.minimum(1.0, np.sqrt(subsample / frequency))
    pairs = []
    for sentence in corpus:
        ids = [vocab.index[w] for w in sentence if w in vocab.index]
        if keep_prob is not None:
            draws = rng.random(len(ids))
            ids = [i for i, u in zip(ids, draws) if u < keep_prob[i]]
        for pos, centre in enumerate(ids):
            for other in range(max(0, pos - window), min(len(ids), pos + window + 1)):
                if other != pos:
                    pairs.append((centre, ids[other]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must have shape (n_words, dim), got {vectors.shape}")
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def most_similar(
    vectors: np.ndarray, vocab: Vocab, query: str | np.ndarray, n: int = 5,
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
        raise ValueError(f"vectors has {len(unit)} rows but the vocabulary {len(vocab)} words")
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
            raise ValueError(f"a query vector must have shape ({unit.shape[1]},), got {q.shape}")
        q = q / max(np.linalg.norm(q), 1e-12)
    similarity = unit @ q
    order = np.argsort(-similarity, kind="stable")
    result = [(vocab.words[i], float(similarity[i])) for i in order if vocab.words[i] not in excluded]
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


def analogy_questions(relation: str) -> list[tuple[str, str, str, str]]:
    """All analogy questions ``(a, b, c, d)`` of a relation: ``a : b = c : d`` for two of its pairs.

    Args:
        relation: a key of :data:`RELATIONS`.

    Returns:
        The questions, one for every ordered pair of distinct word pairs.
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {list(RELATIONS)}, got {relation!r}")
    pairs = RELATIONS[relation]
    return [(a, b, c, d) for (a, b) in pairs for (c, d) in pairs if a != c]
