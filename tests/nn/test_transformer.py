"""Tests of ml4phys.nn.transformer against PyTorch's own attention and exact properties."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import chi2
from torch import nn

from ml4phys.nn import transformer


def randn(*shape, seed=0):
    return torch.randn(
        *shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )


# --------------------------------------------------------------------------- positional encoding


def test_positional_encoding_formula():
    pe = transformer.sinusoidal_positional_encoding(50, 16)
    assert pe.shape == (50, 16) and pe.dtype == torch.float32
    for t in (0, 7, 49):
        for i in range(8):
            omega = 10000 ** (-2 * i / 16)
            assert math.isclose(pe[t, 2 * i].item(), math.sin(t * omega), abs_tol=1e-6)
            assert math.isclose(
                pe[t, 2 * i + 1].item(), math.cos(t * omega), abs_tol=1e-6
            )


@pytest.mark.parametrize("k", [1, 5, 17])
def test_positional_rotation_shifts_positions(k):
    d = 32
    pe = transformer.sinusoidal_positional_encoding(64, d).double()
    R = transformer.positional_rotation(k, d)
    shifted = pe[: 64 - k] @ R.T  # R_k PE(t) for every t, as rows
    assert torch.allclose(shifted, pe[k:], atol=1e-6)
    assert torch.allclose(R @ R.T, torch.eye(d, dtype=torch.float64), atol=1e-12)


def test_positional_encoding_validation():
    with pytest.raises(ValueError):
        transformer.sinusoidal_positional_encoding(10, 7)
    with pytest.raises(TypeError):
        transformer.sinusoidal_positional_encoding(10.0, 8)
    with pytest.raises(ValueError):
        transformer.positional_rotation(1, 5)


# --------------------------------------------------------------------------- attention


@pytest.mark.parametrize("use_mask", ["none", "causal", "random"])
def test_sdpa_matches_torch(use_mask):
    q, k, v = (
        randn(2, 3, 5, 8, seed=1),
        randn(2, 3, 7, 8, seed=2),
        randn(2, 3, 7, 4, seed=3),
    )
    mask = None
    if use_mask == "causal":
        q, k, v = randn(2, 3, 7, 8, seed=1), k, v
        mask = transformer.causal_mask(7)
    elif use_mask == "random":
        mask = torch.rand(2, 1, 5, 7, generator=torch.Generator().manual_seed(4)) < 0.6
        mask[..., 0] = True  # every query sees at least one key
    out, weights = transformer.scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(out, expected, atol=1e-12)
    assert torch.allclose(weights.sum(-1), torch.ones_like(weights.sum(-1)))
    if mask is not None:
        assert torch.all(weights.masked_select(~mask.expand_as(weights)) == 0)


def test_sdpa_float_mask_and_errors():
    q, k, v = randn(4, 6, seed=1), randn(4, 6, seed=2), randn(4, 3, seed=3)
    additive = torch.zeros(4, 4, dtype=torch.float64).masked_fill(
        ~transformer.causal_mask(4), float("-inf")
    )
    out, _ = transformer.scaled_dot_product_attention(q, k, v, additive)
    assert torch.allclose(
        out, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-12
    )
    with pytest.raises(ValueError):
        transformer.scaled_dot_product_attention(q, randn(4, 5), v)
    with pytest.raises(ValueError):
        transformer.scaled_dot_product_attention(
            q, k, v, torch.zeros(4, 4, dtype=torch.bool)
        )
    with pytest.raises(TypeError):
        transformer.scaled_dot_product_attention(q.numpy(), k, v)


def test_causal_mask():
    m = transformer.causal_mask(4)
    assert m.dtype == torch.bool and torch.equal(m, torch.tril(torch.ones(4, 4)).bool())
    with pytest.raises(ValueError):
        transformer.causal_mask(0)


@pytest.mark.parametrize("causal", [False, True])
def test_multihead_matches_torch(causal):
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(16, 4, batch_first=True).double()
    mha = transformer.MultiHeadAttention(16, 4).double().load_from_torch(reference)
    x = randn(3, 6, 16, seed=5)
    mask = transformer.causal_mask(6) if causal else None
    out, weights = mha(x, mask=mask)
    ref_out, ref_weights = reference(
        x, x, x, attn_mask=None if mask is None else ~mask, average_attn_weights=False
    )
    assert out.shape == (3, 6, 16) and weights.shape == (3, 4, 6, 6)
    assert torch.allclose(out, ref_out, atol=1e-12)
    assert torch.allclose(weights, ref_weights, atol=1e-12)


def test_multihead_cross_attention_shapes_and_errors():
    mha = transformer.MultiHeadAttention(8, 2)
    out, weights = mha(torch.randn(2, 3, 8), context=torch.randn(2, 5, 8))
    assert out.shape == (2, 3, 8) and weights.shape == (2, 2, 3, 5)
    with pytest.raises(ValueError):
        transformer.MultiHeadAttention(10, 3)
    with pytest.raises(ValueError):
        mha(torch.randn(2, 3, 7))


def test_permutation_equivariance_without_positions():
    torch.manual_seed(1)
    block = transformer.TransformerBlock(16, 2).double()
    x = randn(1, 7, 16, seed=6)
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(2))
    y, _ = block(x)
    y_perm, _ = block(x[:, perm])
    assert torch.allclose(y_perm, y[:, perm], atol=1e-12)


def test_tinygpt_is_causal_and_shapes():
    torch.manual_seed(2)
    model = transformer.TinyGPT(
        vocab_size=5, d_model=16, n_heads=2, n_layers=2, max_len=10
    ).double()
    idx = torch.randint(5, (2, 10), generator=torch.Generator().manual_seed(3))
    logits, att = model(idx, return_attention=True)
    assert (
        logits.shape == (2, 10, 5) and len(att) == 2 and att[0].shape == (2, 2, 10, 10)
    )
    t = 4
    changed = idx.clone()
    changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % 5
    new = model(changed)
    assert torch.equal(new[:, : t + 1], logits[:, : t + 1])  # exactly unchanged
    assert (new[:, t + 1 :] - logits[:, t + 1 :]).abs().max() > 1e-3
    with pytest.raises(ValueError):
        model(torch.zeros(1, 11, dtype=torch.long))
    with pytest.raises(ValueError):
        transformer.TinyGPT(5, positional="rotary")


def test_tinygpt_generate_greedy_is_deterministic():
    torch.manual_seed(3)
    model = transformer.TinyGPT(4, 16, 2, 1, max_len=8, positional="sinusoidal")
    prompt = torch.tensor([1, 2])
    a = model.generate(prompt, 6, temperature=0)
    b = model.generate(prompt, 6, temperature=0)
    assert a.shape == (8,) and torch.equal(a, b) and torch.equal(a[:2], prompt)
    c = model.generate(
        prompt[None].repeat(3, 1),
        3,
        temperature=1.0,
        generator=torch.Generator().manual_seed(0),
    )
    assert c.shape == (3, 5)


# --------------------------------------------------------------------------- sampling, training


def test_temperature_zero_is_argmax():
    logits = randn(20, 6, seed=7)
    assert torch.equal(
        transformer.sample_with_temperature(logits, 0), logits.argmax(-1)
    )
    g = torch.Generator().manual_seed(0)
    low = transformer.sample_with_temperature(logits, 1e-3, g)
    assert torch.equal(low, logits.argmax(-1))


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_temperature_sampling_frequencies(temperature):
    z = torch.tensor([1.0, 0.0, -1.0, 2.0, 0.5])
    n = 40_000
    g = torch.Generator().manual_seed(11)
    draws = transformer.sample_with_temperature(z.expand(n, 5), temperature, g)
    counts = np.bincount(draws.numpy(), minlength=5)
    expected = n * torch.softmax(z.double() / temperature, 0).numpy()
    statistic = ((counts - expected) ** 2 / expected).sum()
    assert statistic < chi2.ppf(0.999, df=4)
    # and a wrong temperature is detected
    wrong = n * torch.softmax(z.double() / (2 * temperature), 0).numpy()
    assert ((counts - wrong) ** 2 / wrong).sum() > chi2.ppf(0.999, df=4)


def test_sampling_validation():
    with pytest.raises(ValueError):
        transformer.sample_with_temperature(torch.zeros(3), -1.0)
    with pytest.raises(TypeError):
        transformer.sample_with_temperature(torch.zeros(3), 1.0, generator=0)
    with pytest.raises(TypeError):
        transformer.sample_with_temperature([0.0, 1.0], 1.0)


def test_train_next_token_learns_a_cycle():
    torch.manual_seed(4)
    tokens = torch.tensor([[0, 1, 2, 0, 1, 2, 0, 1], [1, 2, 0, 1, 2, 0, 1, 2]])
    model = transformer.TinyGPT(3, 16, 2, 1, max_len=8)
    losses = transformer.train_next_token(
        model,
        tokens,
        60,
        batch_size=8,
        lr=1e-2,
        generator=torch.Generator().manual_seed(0),
    )
    assert losses[-1] < 0.1 * losses[0]
    out = model.generate(torch.tensor([2, 0]), 5, temperature=0)
    assert out.tolist() == [2, 0, 1, 2, 0, 1, 2]
    with pytest.raises(ValueError):
        transformer.train_next_token(model, tokens.float(), 1)
