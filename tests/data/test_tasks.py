"""Tests of ml4phys.data: tokenizer round trips, addition problems, exact Ising chains."""

import math

import numpy as np
import pytest
import torch

from ml4phys import data
from ml4phys.physics import ising


def test_tokenizer_round_trip_and_errors():
    tok = data.ADDITION_TOKENIZER
    assert tok.vocab_size == 12
    ids = tok.encode("37+85=122")
    assert ids.dtype == torch.long and ids.tolist() == [3, 7, 10, 8, 5, 11, 1, 2, 2]
    assert tok.decode(ids) == "37+85=122"
    batch = tok.encode_batch(["01+02=003", "99+99=198"])
    assert batch.shape == (2, 9) and tok.decode_batch(batch) == [
        "01+02=003",
        "99+99=198",
    ]
    with pytest.raises(ValueError):
        tok.encode("3*4")
    with pytest.raises(ValueError):
        tok.encode_batch(["1+1=2", "10+1=11"])
    with pytest.raises(ValueError):
        tok.decode([12])
    with pytest.raises(ValueError):
        data.CharTokenizer("aa")


def test_addition_problems_are_correct():
    texts = data.addition_problems(500, np.random.default_rng(0), n_digits=2)
    assert all(len(t) == data.addition_length(2) == 9 for t in texts)
    for t in texts:
        a, rest = t.split("+")
        b, c = rest.split("=")
        assert int(a) + int(b) == int(c)
    assert data.addition_correct(texts).all()
    three = data.addition_problems(20, np.random.default_rng(1), n_digits=3)
    assert data.addition_correct(three, n_digits=3).all() and len(three[0]) == 12


def test_format_and_scoring():
    assert data.format_addition(np.array([[7, 85]])) == ["07+85=092"]
    assert data.format_addition(np.array([[7, 85]]), with_answer=False) == ["07+85="]
    scores = data.addition_correct(
        ["07+85=092", "07+85=093", "07+85=92", "07=85+092", "0a+85=092"]
    )
    assert scores.tolist() == [True, False, False, False, False]
    with pytest.raises(ValueError):
        data.format_addition(np.array([[100, 1]]))
    with pytest.raises(TypeError):
        data.addition_problems(5, 0)


def test_addition_split_is_a_partition():
    train, test = data.addition_split(1000, np.random.default_rng(3))
    assert train.shape == (9000, 2) and test.shape == (1000, 2)
    codes = np.concatenate([train, test]) @ np.array([100, 1])
    assert np.array_equal(np.sort(codes), np.arange(10_000))
    with pytest.raises(ValueError):
        data.addition_split(10_000, np.random.default_rng(3))


@pytest.mark.parametrize("beta_j", [0.3, 1.0, -0.7])
def test_ising_chain_correlations(beta_j):
    spins = ising.ising_chain(20_000, 12, beta_j, np.random.default_rng(5))
    assert spins.shape == (20_000, 12) and set(np.unique(spins)) == {-1, 1}
    n = spins.size // 12
    for r in (1, 2):
        corr = np.mean(spins[:, :-r] * spins[:, r:])
        sigma = 3 / math.sqrt(n)  # generous: per-chain averages are correlated
        assert abs(corr - math.tanh(beta_j) ** r) < sigma
    assert abs(spins[:, 0].mean()) < 4 / math.sqrt(n)


def test_ising_chain_matches_boltzmann_exactly():
    """Enumerate all 2^4 states of a 4-spin chain; the sampled frequencies follow exp(-beta H)."""
    beta_j, length, n = 0.8, 4, 200_000
    spins = ising.ising_chain(n, length, beta_j, np.random.default_rng(6))
    codes = ((spins + 1) // 2) @ (2 ** np.arange(length))
    counts = np.bincount(codes, minlength=2**length)
    states = (
        np.array([[(c >> i) & 1 for i in range(length)] for c in range(2**length)]) * 2
        - 1
    )
    weights = np.exp(beta_j * np.sum(states[:, :-1] * states[:, 1:], axis=1))
    expected = n * weights / weights.sum()
    from scipy.stats import chi2

    assert ((counts - expected) ** 2 / expected).sum() < chi2.ppf(
        0.999, df=2**length - 1
    )


def test_ising_validation():
    with pytest.raises(TypeError):
        ising.ising_chain(3, 4, "1", np.random.default_rng(0))
    with pytest.raises(ValueError):
        ising.ising_chain(3, 4, float("inf"), np.random.default_rng(0))
    assert data.ISING_TOKENIZER.decode(torch.tensor([0, 1, 1])) == "-++"
