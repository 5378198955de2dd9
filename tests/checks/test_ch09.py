"""Tests of ml4phys.checks.ch09: right answers pass, wrong ones fail, stubs pass through."""

import math

import pytest
import torch
from torch import nn

from ml4phys import data
from ml4phys.checks import CheckFailed, ch09
from ml4phys.nn import transformer


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 9.x")


# --------------------------------------------------------------------------- Exercise 9.1


def attend_right(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def attend_unscaled(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def attend_ignores_mask(q, k, v, mask=None):
    return attend_right(q, k, v)


def attend_wrong_axis(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = torch.softmax(scores, dim=-2)
    return weights @ v, weights


def test_attention_right():
    assert ch09.check_attention(attend_right) is True
    assert ch09.check_attention(transformer.scaled_dot_product_attention) is True


@pytest.mark.parametrize(
    "answer",
    [
        attend_unscaled,
        attend_ignores_mask,
        attend_wrong_axis,
        lambda q, k, v, mask=None: attend_right(q, k, v, mask)[0],
    ],
)
def test_attention_wrong(answer):
    with pytest.raises(CheckFailed):
        ch09.check_attention(answer)


def test_attention_stub():
    with pytest.raises(NotImplementedError):
        ch09.check_attention(stub)


# --------------------------------------------------------------------------- Exercise 9.2


def influence_right(model, tokens, t):
    with torch.no_grad():
        before = model(tokens)
        changed = tokens.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % model.vocab_size
        after = model(changed)
    return (after[:, : t + 1] - before[:, : t + 1]).abs().max().item()


def influence_all_positions(model, tokens, t):
    with torch.no_grad():
        changed = tokens.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % model.vocab_size
        return (model(changed) - model(tokens)).abs().max().item()


def test_causal_right():
    assert ch09.check_causal_mask(transformer.causal_mask, influence_right) is True


@pytest.mark.parametrize(
    "make_mask, influence",
    [
        (lambda n: torch.ones(n, n, dtype=torch.bool).triu(), influence_right),
        (lambda n: torch.ones(n, n).tril(), influence_right),
        (lambda n: torch.eye(n, dtype=torch.bool), influence_right),
        (transformer.causal_mask, influence_all_positions),
        (transformer.causal_mask, lambda model, tokens, t: 0.0),
    ],
)
def test_causal_wrong(make_mask, influence):
    with pytest.raises(CheckFailed):
        ch09.check_causal_mask(make_mask, influence)


def test_causal_stub():
    with pytest.raises(NotImplementedError):
        ch09.check_causal_mask(stub, influence_right)


# --------------------------------------------------------------------------- Exercise 9.3


def sample_wrong_temperature(logits, temperature, generator=None):
    if temperature == 0:
        return logits.argmax(-1)
    return transformer.sample_with_temperature(logits * temperature, 1.0, generator)


def sample_global_rng(logits, temperature, generator=None):
    return transformer.sample_with_temperature(logits, temperature, None)


def test_sampling_right():
    assert ch09.check_temperature_sampling(transformer.sample_with_temperature) is True


@pytest.mark.parametrize(
    "answer",
    [
        sample_wrong_temperature,
        sample_global_rng,
        lambda logits, temperature, generator=None: logits.argmax(-1),
    ],
)
def test_sampling_wrong(answer):
    with pytest.raises(CheckFailed):
        ch09.check_temperature_sampling(answer)


def test_sampling_stub():
    with pytest.raises(NotImplementedError):
        ch09.check_temperature_sampling(stub)


# --------------------------------------------------------------------------- Exercise 9.4


def test_ising_right():
    taus = [0.5, 1.0, 2.0]
    assert ch09.check_ising_temperature(
        taus, [math.tanh(1.0 / t) + 0.01 for t in taus], 1.0
    )


@pytest.mark.parametrize(
    "taus, correlations",
    [
        ([0.5, 1.0, 2.0], [math.tanh(1.0)] * 3),  # temperature has no effect
        (
            [0.5, 1.0, 2.0],
            [math.tanh(1.0 * t) for t in (0.5, 1.0, 2.0)],
        ),  # multiplied by tau
        (
            [1.0, 1.5, 2.0],
            [math.tanh(1.0 / t) for t in (1.0, 1.5, 2.0)],
        ),  # nothing below 1
        ([0.5, 2.0], [math.tanh(2.0), math.tanh(0.5)]),  # too few
    ],
)
def test_ising_wrong(taus, correlations):
    with pytest.raises(CheckFailed):
        ch09.check_ising_temperature(taus, correlations, 1.0)


# --------------------------------------------------------------------------- Exercise 9.5


class ExactAdder(nn.Module):
    """A 'model' whose logits put all weight on the right next digit (an oracle)."""

    def __init__(self, reverse=False):
        super().__init__()
        self.reverse = reverse

    def forward(self, idx):
        tok = data.ADDITION_TOKENIZER
        logits = torch.zeros(*idx.shape, tok.vocab_size)
        for i, row in enumerate(idx):
            text = tok.decode(row)
            if "=" in text:
                a, b = text.split("=")[0].split("+")
                answer = f"{int(a) + int(b):03d}"
                answer = answer[::-1] if self.reverse else answer
                written = text.split("=")[1]
                if len(written) < 3:
                    logits[i, -1, tok.encode(answer[len(written)])[0]] = 10.0
        return logits


def test_adder_right():
    assert ch09.check_adder(ExactAdder()) is True
    assert ch09.check_adder(ExactAdder(reverse=True), reverse_answer=True) is True


def test_adder_wrong():
    with pytest.raises(CheckFailed):
        ch09.check_adder(ExactAdder(reverse=True))
    with pytest.raises(CheckFailed):
        ch09.check_adder(transformer.TinyGPT(12, 16, 2, 1, max_len=9))
    with pytest.raises(CheckFailed):
        ch09.check_adder("model")


def test_addition_data_split():
    train, test = ch09.addition_data()
    assert train.shape == (9000, 2) and test.shape == (1000, 2)
    assert not set(map(tuple, train.tolist())) & set(map(tuple, test.tolist()))
