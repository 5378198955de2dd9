"""Text as data: a synthetic physics corpus, vocabularies, skip-gram pairs, character tokenizers.

The book builds offline and no English corpus is installed, so chapter 8 trains its word
vectors on sentences drawn from a small probabilistic grammar about physics. The relations
hidden in the corpus are known exactly, so analogies can be scored. The grammar knows three
relations, each a list of word pairs:

* ``"quantity-unit"``: a physical quantity and its SI unit (energy, joule);
* ``"particle-antiparticle"``: a particle and its antiparticle (electron, positron);
* ``"element-symbol"``: a chemical element and its symbol (iron, Fe).

Both words of a pair share *facts* (the instrument that measures a quantity and the unit's
reading; a particle's mass and family; an element's atomic number and kind), while the two
*roles* of a relation appear in different sentence frames. By the distributional hypothesis
the vector of a word then carries one part for its role and one for its identity, which is
what makes vector arithmetic such as ``joule - energy + force ~ newton`` work.

Functions: :func:`physics_corpus` draws sentences, :func:`build_vocab` counts words,
:func:`skipgram_pairs` makes (centre, context) training pairs, :func:`analogy_questions` lists
the scorable analogies (queried with :mod:`ml4phys.nn.embeddings`). :class:`CharTokenizer`
maps the characters of a fixed vocabulary to tokens, for the transformers of chapter 9.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from ml4phys._validation import check_int, check_rng

__all__ = [
    "RELATIONS",
    "physics_corpus",
    "Vocab",
    "build_vocab",
    "skipgram_pairs",
    "analogy_questions",
    "CharTokenizer",
    "ADDITION_TOKENIZER",
    "ISING_TOKENIZER",
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
        role_a, role_b, pairs = _ROLES[
            relation_names[rng.integers(len(relation_names))]
        ]
        first, second, facts = pairs[rng.integers(len(pairs))]
        if rng.random() < 0.5:
            role, word, partner = role_a, first, second
        else:
            role, word, partner = role_b, second, first
        frames = _FRAMES[role]
        frame = frames[rng.integers(len(frames))]
        sentence = frame.format(
            w=word,
            p=partner,
            i=facts[0],
            s=facts[1],
            f3=facts[-1],
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
        """The indices of the words of a sentence, a sequence of str tokens.

        Raises:
            TypeError: if ``sentence`` is a str (a sentence is a list of words) or holds a
                non-str token.
            KeyError: for a word not in the vocabulary (the message names it).
        """
        if isinstance(sentence, str):
            raise TypeError(
                f"sentence must be a sequence of str tokens (a list of words), not a str: {sentence!r}"
            )
        ids = []
        for w in sentence:
            if not isinstance(w, str):
                raise TypeError(
                    f"sentence must hold str tokens, got {type(w).__name__}"
                )
            if w not in self.index:
                raise KeyError(f"word {w!r} of sentence is not in the vocabulary")
            ids.append(self.index[w])
        return np.array(ids, dtype=np.int64)


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
        raise TypeError(
            "corpus must be a sequence of sentences, each a sequence of str tokens"
        )
    counter = Counter(w for sentence in corpus for w in sentence)
    items = sorted(
        (item for item in counter.items() if item[1] >= min_count),
        key=lambda item: (-item[1], item[0]),
    )
    words = [w for w, _ in items]
    if not words:
        raise ValueError(
            f"corpus has no word occurring at least min_count={min_count} times: the vocabulary would be empty"
        )
    return Vocab(
        words,
        {w: i for i, w in enumerate(words)},
        np.array([c for _, c in items], dtype=np.int64),
    )


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
    if not isinstance(vocab, Vocab):
        raise TypeError(
            f"vocab must be a Vocab (from build_vocab), got {type(vocab).__name__}"
        )
    if isinstance(corpus, str) or not all(
        not isinstance(s, str) and all(isinstance(w, str) for w in s) for s in corpus
    ):
        raise TypeError(
            "corpus must be a sequence of sentences, each a sequence of str tokens"
        )
    keep_prob = None
    if subsample is not None:
        if not (isinstance(subsample, (int, float)) and subsample > 0):
            raise ValueError(
                f"subsample must be a positive number or None, got {subsample!r}"
            )
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


# ----------------------------------------------------------------------------------------------
# Character tokens
# ----------------------------------------------------------------------------------------------


class CharTokenizer:
    """Maps the characters of a fixed vocabulary to the integers ``0..len(vocab)-1`` and back.

    Args:
        vocab: the characters, each once, e.g. ``"0123456789+="``.
    """

    def __init__(self, vocab: str) -> None:
        if not isinstance(vocab, str) or not vocab:
            raise TypeError(
                f"vocab must be a non-empty str of characters, got {vocab!r}"
            )
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
            raise ValueError(
                f"character {err.args[0]!r} of text is not in the vocabulary {self.vocab!r}"
            ) from None

    def encode_batch(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokens of equally long strings, int64 of shape ``(len(texts), length)``."""
        if isinstance(texts, str):
            raise TypeError(f"texts must be a sequence of str, not a str: {texts!r}")
        texts = list(texts)
        if not texts:
            raise ValueError("texts is empty")
        lengths = {len(t) for t in texts}
        if len(lengths) != 1:
            raise ValueError(
                f"all texts must have the same length, got lengths {sorted(lengths)[:5]}"
            )
        return torch.stack([self.encode(t) for t in texts])

    def decode(self, tokens: torch.Tensor | Sequence[int]) -> str:
        """The string of a 1-D sequence of tokens."""
        tokens = torch.as_tensor(tokens)
        if tokens.dim() > 1:
            raise ValueError(
                f"tokens must be 1-D (use decode_batch for a batch), got shape {tuple(tokens.shape)}"
            )
        if (
            tokens.is_floating_point()
            or tokens.is_complex()
            or tokens.dtype == torch.bool
        ):
            raise TypeError(
                f"tokens must be integer token ids, got dtype {tokens.dtype}"
            )
        ids = tokens.reshape(-1).tolist()
        if any(not 0 <= i < len(self.vocab) for i in ids):
            raise ValueError(
                f"tokens must be ids in 0..{len(self.vocab) - 1}, got {min(ids)}..{max(ids)}"
            )
        return "".join(self.vocab[i] for i in ids)

    def decode_batch(self, tokens: torch.Tensor) -> list[str]:
        """Strings of a batch of token sequences of shape ``(batch, n)``."""
        tokens = torch.as_tensor(tokens)
        if tokens.dim() != 2:
            raise ValueError(
                f"tokens must have shape (batch, n), got shape {tuple(tokens.shape)}"
            )
        return [self.decode(row) for row in tokens]

    def __repr__(self) -> str:
        return f"CharTokenizer({self.vocab!r})"


ADDITION_TOKENIZER = CharTokenizer("0123456789+=")


ISING_TOKENIZER = CharTokenizer("-+")
