"""Self-checks for the exercises of chapter 9 (transformers).

Each ``check_*`` function tests one exercise of ``solutions/09_transformers.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. The test
inputs are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.

Also here: :func:`addition_data`, the fixed split of two-digit addition problems used by
exercise 9.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys import data
from ml4phys.checks._core import (
    as_number,
    as_tensor,
    call_student,
    evaluating,
    isolated_rng,
    passed,
    require,
)
from ml4phys.nn import transformer

__all__ = [
    "ADDITION_SPLIT_SEED",
    "addition_data",
    "check_attention",
    "check_causal_mask",
    "check_temperature_sampling",
    "check_ising_temperature",
    "check_adder",
]

ADDITION_SPLIT_SEED = 2017
"""Seed of the split of exercise 9.5 into training and held-out problems."""

_N_TEST_PROBLEMS = 1000
_ADDER_THRESHOLD = 0.90
_ISING_TOLERANCE = 0.06


def _as_tensor(value: Any, name: str) -> torch.Tensor:
    return as_tensor(value, name)


# ----------------------------------------------------------------------------------------------
# Exercise 9.1
# ----------------------------------------------------------------------------------------------


def check_attention(attend: Callable[..., Any]) -> bool:
    """Exercise 9.1: ``attend(q, k, v, mask=None) -> (out, weights)`` is scaled dot-product
    transformer.

    Compared with :func:`torch.nn.functional.scaled_dot_product_attention` on random batched
    inputs (different numbers of queries and keys, different key and value widths), without a
    mask, with a causal mask and with a random boolean mask (``True`` = may attend). The
    weights must be non-negative, sum to one over the keys and vanish where the mask is False.

    Args:
        attend: the student's function.
    """
    g = torch.Generator().manual_seed(90_001)
    q = torch.randn(2, 3, 5, 8, generator=g, dtype=torch.float64)
    k = torch.randn(2, 3, 7, 8, generator=g, dtype=torch.float64)
    v = torch.randn(2, 3, 7, 4, generator=g, dtype=torch.float64)
    random_mask = torch.rand(2, 1, 5, 7, generator=g) < 0.5
    random_mask[..., 3] = True
    cases = [
        ("no mask", q, k, v, None),
        ("a causal mask", k, k, v, torch.ones(7, 7, dtype=torch.bool).tril()),
        ("a random boolean mask", q, k, v, random_mask),
    ]
    for label, qq, kk, vv, mask in cases:
        result = (
            call_student(attend, qq, kk, vv, name="attend(q, k, v)")
            if mask is None
            else call_student(attend, qq, kk, vv, mask, name="attend(q, k, v, mask)")
        )
        require(
            isinstance(result, tuple) and len(result) == 2,
            f"attend must return a pair (out, weights); with {label} it returned a {type(result).__name__}.",
        )
        out, weights = (
            _as_tensor(r, "the output of attend").to(torch.float64) for r in result
        )
        n_q, n_k, d_v = qq.shape[-2], kk.shape[-2], vv.shape[-1]
        require(
            out.shape == (2, 3, n_q, d_v),
            f"with q of shape {tuple(qq.shape)} and v of shape {tuple(vv.shape)}, out should have "
            f"shape (2, 3, {n_q}, {d_v}); yours has {tuple(out.shape)}.",
        )
        require(
            weights.shape == (2, 3, n_q, n_k),
            f"the weights should have shape (..., n_queries, n_keys) = (2, 3, {n_q}, {n_k}); yours "
            f"have {tuple(weights.shape)}.",
        )
        require(
            torch.allclose(
                weights.sum(-1), torch.ones(2, 3, n_q, dtype=torch.float64), atol=1e-6
            ),
            f"with {label}, the attention weights of a query do not sum to one over the keys: is "
            "the softmax taken over the last axis?",
        )
        if mask is not None:
            leak = weights.masked_select(~mask.expand_as(weights)).abs().max().item()
            require(
                leak < 1e-9,
                f"with {label}, keys the mask forbids (False) get weight up to "
                f"{leak:.2g}; they must get exactly zero.",
            )
        expected = F.scaled_dot_product_attention(qq, kk, vv, attn_mask=mask)
        error = (out - expected).abs().max().item()
        require(
            error < 1e-6,
            f"with {label}, out differs from PyTorch's scaled_dot_product_attention by up to "
            f"{error:.3g}. Check the scaling of the scores and which axis is transposed.",
        )
    return passed(
        "Exercise 9.1: your attention agrees with torch's scaled_dot_product_attention "
        "without a mask, with a causal mask and with a random mask."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 9.2
# ----------------------------------------------------------------------------------------------


def _reference_model(seed: int, causal: bool) -> transformer.TinyGPT:
    with isolated_rng(seed):
        model = (
            transformer.TinyGPT(7, d_model=16, n_heads=2, n_layers=2, max_len=12)
            .double()
            .eval()
        )
    if not causal:
        model.mask.fill_(True)  # let every position see the whole sequence
    return model


def check_causal_mask(
    make_mask: Callable[[int], Any],
    future_influence: Callable[[nn.Module, torch.Tensor, int], float],
) -> bool:
    """Exercise 9.2: the causal mask, and a measurement of the influence of the future.

    ``make_mask(n)`` must equal the boolean ``(n, n)`` mask that lets query ``t`` see keys
    ``s <= t``. ``future_influence(model, tokens, t)`` must return the largest absolute change
    of ``model(tokens)[:, :t + 1]`` when the tokens after position ``t`` are replaced; it is run
    on a causal model (expected: exactly 0) and on the same model without its mask (expected:
    clearly > 0).

    Args:
        make_mask: the student's mask function.
        future_influence: the student's measurement.
    """
    for n in (1, 4, 9):
        mask = _as_tensor(call_student(make_mask, n, name="make_mask(n)"), "the mask")
        require(
            mask.shape == (n, n),
            f"make_mask({n}) has shape {tuple(mask.shape)}; expected ({n}, {n}).",
        )
        require(
            mask.dtype == torch.bool,
            f"make_mask({n}) has dtype {mask.dtype}; use a boolean mask (True = may attend).",
        )
        expected = torch.ones(n, n, dtype=torch.bool).tril()
        wrong = int((mask != expected).sum())
        require(
            wrong == 0,
            f"make_mask({n}) differs from the causal mask in {wrong} entries: row t "
            "(the query) may see the columns s <= t and no others.",
        )
    tokens = torch.randint(7, (3, 12), generator=torch.Generator().manual_seed(90_002))
    for t in (2, 7):
        causal_value = as_number(
            call_student(
                future_influence,
                _reference_model(5, causal=True),
                tokens.clone(),
                t,
                name="future_influence(model, tokens, t)",
            ),
            "the result of future_influence",
        )
        require(
            math.isfinite(causal_value) and causal_value == 0.0,
            f"for a causal model your future_influence(model, tokens, t={t}) returns "
            f"{causal_value:.3g}; a causal model's outputs up to t do not change at all. Are only "
            "the outputs at positions <= t compared, and only tokens after t changed?",
        )
        open_value = as_number(
            call_student(
                future_influence,
                _reference_model(5, causal=False),
                tokens.clone(),
                t,
                name="future_influence(model, tokens, t)",
            ),
            "the result of future_influence",
        )
        require(
            open_value > 1e-4,
            f"for a model that sees the whole sequence your future_influence returns {open_value:.3g} "
            f"at t={t}; it should detect the influence of the future. Do you change the tokens "
            "after t (to other values) and compare the logits?",
        )
    return passed(
        "Exercise 9.2: the mask is causal, and future_influence finds exactly zero for "
        "the masked model and a clear effect without the mask."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 9.3
# ----------------------------------------------------------------------------------------------


def check_temperature_sampling(sample: Callable[..., Any]) -> bool:
    """Exercise 9.3: ``sample(logits, temperature, generator)`` draws from ``softmax(z / T)``.

    Checks the output shape for a batch of logits, that ``T = 0`` returns the argmax, that a
    seeded generator makes the draws reproducible, and that the frequencies of 40000 draws at
    ``T = 0.5, 1, 2.5`` agree with ``softmax(z / T)`` (chi-square test at the 0.01 % level).

    Args:
        sample: the student's function; ``logits`` of shape ``(..., n_classes)``.
    """
    g = torch.Generator().manual_seed(90_003)
    logits = 2 * torch.randn(50, 6, generator=g)
    name = "sample(logits, temperature, generator)"
    greedy = _as_tensor(
        call_student(sample, logits, 0.0, torch.Generator().manual_seed(0), name=name),
        "the draws",
    )
    require(
        greedy.shape == (50,),
        f"for logits of shape (50, 6) sample must return 50 indices, shape "
        f"(50,); it returned shape {tuple(greedy.shape)}.",
    )
    require(
        torch.equal(greedy.long(), logits.argmax(-1)),
        "at temperature 0 sample must return the most likely class (the limit T -> 0).",
    )
    first = _as_tensor(
        call_student(sample, logits, 1.0, torch.Generator().manual_seed(1), name=name),
        "the draws",
    )
    second = _as_tensor(
        call_student(sample, logits, 1.0, torch.Generator().manual_seed(1), name=name),
        "the draws",
    )
    require(
        torch.equal(first, second),
        "two calls with equally seeded generators gave different "
        "draws: pass the generator on to the sampling function (torch.multinomial(..., generator=...)).",
    )
    z = torch.tensor([0.3, -1.0, 1.2, 0.0, -0.4, 0.8])
    n = 40_000
    from scipy.stats import chi2

    limit = float(chi2.ppf(0.9999, df=5))
    for temperature in (0.5, 1.0, 2.5):
        draws = (
            _as_tensor(
                call_student(
                    sample,
                    z.expand(n, 6).clone(),
                    temperature,
                    torch.Generator().manual_seed(7),
                    name=name,
                ),
                "the draws",
            )
            .long()
            .reshape(-1)
        )
        require(
            draws.numel() == n and bool(((draws >= 0) & (draws < 6)).all()),
            "sample must return one class index in 0..n_classes-1 per row of logits.",
        )
        counts = np.bincount(draws.numpy(), minlength=6)
        expected = n * torch.softmax(z.double() / temperature, 0).numpy()
        statistic = float(((counts - expected) ** 2 / expected).sum())
        require(
            statistic < limit,
            f"at T = {temperature} the frequencies of {n} draws do not follow p_i ∝ exp(z_i / T) "
            f"(chi-square {statistic:.1f}, allowed below {limit:.1f}). Divide the logits by T "
            "before the softmax.",
        )
    return passed(
        "Exercise 9.3: T = 0 gives the argmax, draws are reproducible, and the "
        "frequencies follow softmax(z / T) at T = 0.5, 1 and 2.5."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 9.4
# ----------------------------------------------------------------------------------------------


def check_ising_temperature(
    taus: Sequence[float], correlations: Sequence[float], beta_j: float
) -> bool:
    """Exercise 9.4: sampling at temperature tau gives the chain at coupling beta J / tau.

    Args:
        taus: the sampling temperatures used, at least three, some below and some above 1.
        correlations: the measured nearest-neighbour correlation ``<s_t s_{t+1}>`` of the
            sampled chains at each temperature.
        beta_j: the coupling of the training chains.
    """
    taus_t = _as_tensor(taus, "taus").double().reshape(-1)
    corr_t = _as_tensor(correlations, "correlations").double().reshape(-1)
    beta_j = as_number(beta_j, "beta_j")
    require(
        len(taus_t) >= 3,
        f"measure at least three temperatures; you gave {len(taus_t)}.",
    )
    require(
        len(corr_t) == len(taus_t),
        f"give one correlation per temperature: {len(taus_t)} temperatures but {len(corr_t)} correlations.",
    )
    require(bool((taus_t > 0).all()), "the sampling temperatures must be positive.")
    require(
        bool((taus_t < 1).any() and (taus_t > 1).any()),
        "include temperatures below and above 1.",
    )
    require(
        bool((corr_t.abs() <= 1).all()),
        "a correlation of +-1 spins lies between -1 and 1.",
    )
    for tau, corr in zip(taus_t.tolist(), corr_t.tolist()):
        expected = math.tanh(beta_j / tau)
        require(
            abs(corr - expected) < _ISING_TOLERANCE,
            f"at tau = {tau:g} the measured correlation {corr:.3f} is further than "
            f"{_ISING_TOLERANCE} from the prediction for a chain at coupling beta J / tau. "
            "Is the model trained well enough, and are enough chains sampled?",
        )
    worst = max(
        abs(c - math.tanh(beta_j / t)) for t, c in zip(taus_t.tolist(), corr_t.tolist())
    )
    return passed(
        f"Exercise 9.4: the correlations follow tanh(beta J / tau) at all "
        f"{len(taus_t)} temperatures (largest deviation {worst:.3f})."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 9.5
# ----------------------------------------------------------------------------------------------


def addition_data(n_test: int = _N_TEST_PROBLEMS) -> tuple[np.ndarray, np.ndarray]:
    """The fixed split of exercise 9.5: ``(train_pairs, test_pairs)`` of two-digit operands.

    Train only on ``train_pairs`` (9000 pairs); :func:`check_adder` scores the held-out
    ``test_pairs`` (1000 pairs).
    """
    return data.addition_split(
        n_test, np.random.default_rng(ADDITION_SPLIT_SEED), n_digits=2
    )


@torch.no_grad()
def _greedy_answers(
    model: nn.Module, prompts: torch.Tensor, n_new: int
) -> torch.Tensor:
    idx = prompts
    for _ in range(n_new):
        logits = call_student(model, idx, name="model(tokens)")
        require(
            isinstance(logits, torch.Tensor)
            and logits.ndim == 3
            and logits.shape[:2] == idx.shape,
            "model(tokens) must return logits of shape (batch, n, vocab_size).",
        )
        idx = torch.cat([idx, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return idx


def check_adder(model: nn.Module, reverse_answer: bool = False) -> bool:
    """Exercise 9.5: greedy answers of ``model`` are exactly right on >= 90 % of held-out problems.

    The 1000 held-out problems of :func:`addition_data` are written with
    :func:`ml4phys.data.format_addition` (``"07+85="``, tokens of
    :data:`ml4phys.data.ADDITION_TOKENIZER`), the model completes them greedily (the most
    likely token at each of the three answer positions) and the answers are scored exactly.

    Args:
        model: maps int64 tokens ``(batch, n)`` to logits ``(batch, n, 12)``.
        reverse_answer: whether the model writes the sum least significant digit first.
    """
    require(
        isinstance(model, nn.Module),
        f"model must be an nn.Module, got {type(model).__name__}.",
    )
    require(
        isinstance(reverse_answer, (bool, np.bool_)),
        f"reverse_answer must be True or False, got a {type(reverse_answer).__name__}.",
    )
    _, test_pairs = addition_data()
    tok = data.ADDITION_TOKENIZER
    prompts = tok.encode_batch(data.format_addition(test_pairs, with_answer=False))
    with evaluating(model):
        completed = _greedy_answers(model, prompts, 3)
    texts = tok.decode_batch(completed)
    accuracy = float(data.addition_correct(texts, reverse_answer=reverse_answer).mean())
    require(
        accuracy >= _ADDER_THRESHOLD,
        f"your model answers {accuracy:.1%} of {len(texts)} held-out problems exactly right; at "
        f"least {_ADDER_THRESHOLD:.0%} are needed. Train longer or with a larger model"
        + (
            ", and check that reverse_answer matches the format you trained on."
            if accuracy < 0.05
            else "."
        ),
    )
    return passed(
        f"Exercise 9.5: {accuracy:.1%} of {len(texts)} held-out problems answered exactly "
        f"(at least {_ADDER_THRESHOLD:.0%} needed)."
    )
