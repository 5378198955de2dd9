"""Bad input to ml4phys.data: each raises TypeError/ValueError naming what was expected.

Found by a sweep of wrong types, shapes, dtypes, NaN, empty and out-of-range values over every
public callable; before the fix each of these returned a wrong result without complaint or
raised an error that did not say what was wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml4phys import data
from ml4phys.data import tasks

NAN = float("nan")


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


VOCAB = data.build_vocab([["a", "b", "c"]])
TOKENIZER = data.CharTokenizer("ab")

CASES = [
    (
        "circle radius covers the square",
        lambda: data.circle_points(4, rng(), radius=5),
        ValueError,
        "radius",
    ),
    (
        "default_curve of strings",
        lambda: data.default_curve("abc"),
        TypeError,
        "x must be an array of real",
    ),
    (
        "curve_data f returns NaN",
        lambda: data.curve_data(4, rng(), f=lambda x: x * NAN),
        ValueError,
        "f returned NaN",
    ),
    (
        "image_function of strings",
        lambda: data.image_function("ab"),
        TypeError,
        "X must be an array",
    ),
    (
        "rotated_digits unknown class",
        lambda: data.rotated_digits(rng(), drop=(12,)),
        ValueError,
        "drop",
    ),
    (
        "rotated_digits drop a str",
        lambda: data.rotated_digits(rng(), drop="9"),
        TypeError,
        "drop",
    ),
    (
        "rotated_digits drop an int",
        lambda: data.rotated_digits(rng(), drop=9),
        TypeError,
        "drop",
    ),
    (
        "rotated_digits drop all",
        lambda: data.rotated_digits(rng(), drop=range(10)),
        ValueError,
        "drop",
    ),
    ("build_vocab of nothing", lambda: data.build_vocab([]), ValueError, "empty"),
    (
        "build_vocab min_count too high",
        lambda: data.build_vocab([["a"]], min_count=5),
        ValueError,
        "min_count",
    ),
    ("Vocab.encode a str", lambda: VOCAB.encode("abc"), TypeError, "sentence"),
    (
        "Vocab.encode unknown word",
        lambda: VOCAB.encode(["z"]),
        KeyError,
        "'z' of sentence",
    ),
    (
        "skipgram_pairs vocab not a Vocab",
        lambda: data.skipgram_pairs([["a", "b"]], "V"),
        TypeError,
        "vocab",
    ),
    (
        "skipgram_pairs corpus a str",
        lambda: data.skipgram_pairs("ab", VOCAB),
        TypeError,
        "corpus",
    ),
    (
        "CharTokenizer.encode unknown",
        lambda: TOKENIZER.encode("abc"),
        ValueError,
        "of text",
    ),
    (
        "CharTokenizer.encode_batch a str",
        lambda: TOKENIZER.encode_batch("ab"),
        TypeError,
        "texts",
    ),
    (
        "CharTokenizer.decode out of range",
        lambda: TOKENIZER.decode([5]),
        ValueError,
        "tokens",
    ),
    (
        "CharTokenizer.decode negative",
        lambda: TOKENIZER.decode([-1]),
        ValueError,
        "tokens",
    ),
    (
        "CharTokenizer.decode floats",
        lambda: TOKENIZER.decode(torch.tensor([0.5])),
        TypeError,
        "tokens",
    ),
    (
        "CharTokenizer.decode 2-D",
        lambda: TOKENIZER.decode(torch.zeros(2, 2, dtype=torch.long)),
        ValueError,
        "decode_batch",
    ),
    (
        "CharTokenizer.decode_batch 1-D",
        lambda: TOKENIZER.decode_batch(torch.zeros(2, dtype=torch.long)),
        ValueError,
        "tokens",
    ),
    (
        "format_addition too large",
        lambda: tasks.format_addition(np.array([[100, 2]])),
        ValueError,
        "pairs",
    ),
    (
        "format_addition with_answer str",
        lambda: tasks.format_addition(np.array([[1, 2]]), with_answer="no"),
        TypeError,
        "with_answer",
    ),
    (
        "addition_problems reverse str",
        lambda: tasks.addition_problems(3, rng(), reverse_answer="yes"),
        TypeError,
        "reverse_answer",
    ),
    (
        "addition_correct a str",
        lambda: tasks.addition_correct("12+34=046"),
        TypeError,
        "texts",
    ),
    ("addition_correct ints", lambda: tasks.addition_correct([3]), TypeError, "texts"),
    (
        "load_fashion_mnist data_dir int",
        lambda: data.load_fashion_mnist("test", data_dir=3),
        TypeError,
        "data_dir",
    ),
    (
        "load_fashion_mnist download str",
        lambda: data.load_fashion_mnist("test", download="no"),
        TypeError,
        "download",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_valid_input_keeps_its_numbers():
    # The checks come before any draw: the same generator state gives the same data as before.
    X, y = data.circle_points(5, np.random.default_rng(3), radius=0.8)
    reference = np.random.default_rng(3).uniform(-1.0, 1.0, size=(5, 2))
    np.testing.assert_allclose(X, reference.astype(np.float32))
    assert data.build_vocab([["a", "b", "a"]]).words == ["a", "b"]
    assert tasks.addition_correct(iter(["12+34=046", "garbage"])).tolist() == [
        True,
        False,
    ]
    assert TOKENIZER.decode(torch.tensor(1)) == "b"
    assert TOKENIZER.decode_batch([[0, 1], [1, 0]]) == ["ab", "ba"]
