"""Self-checks for the exercises of chapter 8 (recurrent networks).

Each ``check_*`` function tests one exercise of ``solutions/08_rnns.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test data
are drawn inside the checks from generators with seeds the notebook does not see, so a trained
model is judged on sequences it was not trained on. A ``NotImplementedError`` raised by a stub
passes through.

Also here: the settings shared by the notebook and the checks, :data:`COUNTDOWN_MAX` and
:data:`OSCILLATOR_SETTINGS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ml4phys import data
from ml4phys.checks._core import (
    as_tensor,
    call_student,
    evaluating,
    isolated_rng,
    passed,
    require,
)
from ml4phys.nn import embeddings
from ml4phys.physics import oscillators

__all__ = [
    "COUNTDOWN_MAX",
    "OSCILLATOR_SETTINGS",
    "check_lstm_cell",
    "check_countdown",
    "check_hidden_oscillator",
    "check_sgns_loss",
    "check_analogy",
]

COUNTDOWN_MAX = 20
"""Largest count of the count-down task of exercise 8.2 (sequences of ``COUNTDOWN_MAX + 5`` steps)."""

OSCILLATOR_SETTINGS: dict[str, Any] = {
    "n_masses": 2,
    "k": 1.0,
    "coupling": 0.25,
    "dt": 0.25,
    "n_steps": 80,
}
"""Arguments of :func:`ml4phys.physics.oscillators.coupled_oscillators` for exercise 8.3."""

_COUNTDOWN_THRESHOLD = 0.9
_OSCILLATOR_THRESHOLD = 0.3
_OSCILLATOR_BURN_IN = 5.0


# ----------------------------------------------------------------------------------------------
# Exercise 8.1
# ----------------------------------------------------------------------------------------------


def check_lstm_cell(
    lstm_cell: Callable[..., tuple[torch.Tensor, torch.Tensor]],
) -> bool:
    """Exercise 8.1: ``lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh) -> (h, c)``.

    Compared with ``torch.nn.LSTMCell`` with random weights (larger than PyTorch's default, so
    that every gate matters) for two sizes, in float64: the outputs, and the gradients of a
    random linear function of the outputs with respect to the inputs and all weights.
    """
    with isolated_rng(8_011):
        cells = [nn.LSTMCell(3, 4).double(), nn.LSTMCell(1, 6).double()]
    generator = torch.Generator().manual_seed(8_012)
    for cell in cells:
        with torch.no_grad():
            for p in cell.parameters():
                p.mul_(3.0)
        n_in, H = cell.input_size, cell.hidden_size
        x = torch.randn(
            5, n_in, dtype=torch.float64, generator=generator, requires_grad=True
        )
        h = torch.randn(
            5, H, dtype=torch.float64, generator=generator, requires_grad=True
        )
        c = torch.randn(
            5, H, dtype=torch.float64, generator=generator, requires_grad=True
        )
        h_ref, c_ref = cell(x, (h, c))
        weights = [
            getattr(cell, n).detach().clone().requires_grad_()
            for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        result = call_student(
            lstm_cell,
            x,
            h,
            c,
            *weights,
            name="lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)",
        )
        require(
            isinstance(result, tuple) and len(result) == 2,
            "lstm_cell must return a pair (h_new, c_new).",
        )
        h_new, c_new = result
        require(
            isinstance(h_new, torch.Tensor) and isinstance(c_new, torch.Tensor),
            "h_new and c_new must be torch tensors.",
        )
        require(
            tuple(h_new.shape) == (5, H) and tuple(c_new.shape) == (5, H),
            f"for a batch of 5 and H = {H}, h_new and c_new must have shape (5, {H}); got "
            f"{tuple(h_new.shape)} and {tuple(c_new.shape)}.",
        )
        c_error = (c_new - c_ref).abs().max().item()
        h_error = (h_new - h_ref).abs().max().item()
        require(
            c_error < 1e-10,
            f"the new cell state c differs from nn.LSTMCell's by up to "
            f"{c_error:.3g}. Check the order of the four gate blocks and which nonlinearity "
            "each gate uses.",
        )
        require(
            h_error < 1e-10,
            f"the cell state is right but h differs from nn.LSTMCell's by up "
            f"to {h_error:.3g}: check how h is read out of the new cell state.",
        )
        probe_h = torch.randn(5, H, dtype=torch.float64, generator=generator)
        probe_c = torch.randn(5, H, dtype=torch.float64, generator=generator)
        inputs = [x, h, c, *weights]
        reference_inputs = [x, h, c, *cell.parameters()]
        require(
            h_new.requires_grad,
            "h_new is not differentiable: compute it with torch "
            "operations on the given tensors (no .detach(), no NumPy).",
        )
        grads = call_student(
            torch.autograd.grad,
            (h_new * probe_h).sum() + (c_new * probe_c).sum(),
            inputs,
            name="differentiating the outputs of lstm_cell",
            kwargs={"allow_unused": True},
        )
        ref_grads = torch.autograd.grad(
            (h_ref * probe_h).sum() + (c_ref * probe_c).sum(), reference_inputs
        )
        names = ["x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        for name, g, g_ref in zip(names, grads, ref_grads):
            require(g is not None, f"the outputs do not depend on {name}.")
            require(
                torch.allclose(g, g_ref, atol=1e-10),
                f"the gradient with respect to {name} differs from nn.LSTMCell's although "
                "the values agree: keep the whole computation in torch.",
            )
    return passed(
        "Exercise 8.1: outputs and gradients agree with torch.nn.LSTMCell for two cell "
        "sizes with random weights."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 8.2
# ----------------------------------------------------------------------------------------------


def check_countdown(model: nn.Module) -> bool:
    """Exercise 8.2: a model that fires exactly ``m`` steps after being shown the count ``m``.

    ``model`` maps inputs ``(n, COUNTDOWN_MAX + 5, 1)`` from
    :func:`ml4phys.data.countdown_task` to scores of shape ``(n, T, 1)`` or ``(n, T)``;
    its prediction of the firing time is the time step with the largest score. It must be right
    for at least 90 % of 1000 fresh sequences.
    """
    require(
        isinstance(model, nn.Module),
        f"model must be a torch nn.Module, got {type(model).__name__}.",
    )
    X, _, counts = data.countdown_task(
        1000, COUNTDOWN_MAX, np.random.default_rng(80_021)
    )
    with evaluating(model):
        scores = as_tensor(
            call_student(model, torch.from_numpy(X), name="model(X)"),
            "the model's output",
        )
    T = X.shape[1]
    if scores.ndim == 3 and scores.shape[2] == 1:
        scores = scores[..., 0]
    require(
        tuple(scores.shape) == (1000, T),
        f"the model must map (n, {T}, 1) to scores (n, {T}, 1) or (n, {T}); for n = 1000 it "
        f"returned shape {tuple(scores.shape)}.",
    )
    predicted = scores.argmax(dim=1).numpy()
    accuracy = float(np.mean(predicted == counts))
    off_by_one = float(np.mean(np.abs(predicted - counts) == 1))
    require(
        accuracy >= _COUNTDOWN_THRESHOLD,
        f"the model fires at exactly the right step for {accuracy:.1%} of 1000 fresh "
        f"sequences ({off_by_one:.1%} are off by one step); at least "
        f"{_COUNTDOWN_THRESHOLD:.0%} is needed.",
    )
    return passed(
        f"Exercise 8.2: the model fires at the right step for {accuracy:.1%} of 1000 fresh sequences."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 8.3
# ----------------------------------------------------------------------------------------------


def check_hidden_oscillator(predict: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise 8.3: infer the unobserved second mass from the first, RMSE < 0.3 after ``t = 5``.

    ``predict`` maps the observed trajectories :math:`x_1(t)`, a float32 tensor of shape
    ``(n, n_steps, 1)``, to the inferred :math:`x_2(t)` of the same shape. It is tested on 300
    fresh trajectories of :func:`ml4phys.physics.oscillators.coupled_oscillators` with
    :data:`OSCILLATOR_SETTINGS`; it must also be causal: changing the observations after a time
    must not change the inference before it.
    """
    t, x, _ = oscillators.coupled_oscillators(
        300, np.random.default_rng(80_031), **OSCILLATOR_SETTINGS
    )
    observed = torch.from_numpy(x[:, :, :1])
    hidden = x[:, :, 1]
    with torch.no_grad():
        inferred = as_tensor(
            call_student(predict, observed, name="predict(X_observed)"),
            "the output of predict",
        )
    require(
        tuple(inferred.shape) in ((300, len(t), 1), (300, len(t))),
        f"predict must return shape (n, {len(t)}, 1) for input (n, {len(t)}, 1); for n = 300 "
        f"it returned {tuple(inferred.shape)}.",
    )
    inferred = inferred.reshape(300, len(t)).numpy()
    late = t >= _OSCILLATOR_BURN_IN
    rmse = float(np.sqrt(np.mean((inferred[:, late] - hidden[:, late]) ** 2)))
    baseline = float(np.sqrt(np.mean(hidden[:, late] ** 2)))
    require(
        np.isfinite(rmse), "the inferred trajectories contain NaN or infinite values."
    )
    require(
        rmse < _OSCILLATOR_THRESHOLD,
        f"the RMSE of the inferred x2 for t >= {_OSCILLATOR_BURN_IN:g} on 300 fresh "
        f"trajectories is {rmse:.3f} (always answering 0 gives {baseline:.3f}); it must be "
        f"below {_OSCILLATOR_THRESHOLD}. Train longer, or with a larger hidden state.",
    )
    perturbed = observed.clone()
    half = len(t) // 2
    perturbed[:, half:] += 1.0
    with torch.no_grad():
        inferred_perturbed = as_tensor(
            call_student(predict, perturbed, name="predict(X_observed)"),
            "the output of predict",
        )
    early_change = (
        inferred_perturbed.reshape(300, len(t))[:, :half].numpy() - inferred[:, :half]
    )
    require(
        np.abs(early_change).max() < 1e-4,
        "changing the observations in the second half of the trajectories changed the "
        "inference in the first half: the prediction at time t may use x1 only up to t.",
    )
    return passed(
        f"Exercise 8.3: RMSE {rmse:.3f} for t >= {_OSCILLATOR_BURN_IN:g} on 300 fresh "
        f"trajectories (always answering 0: {baseline:.3f}); the inference is causal."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 8.4
# ----------------------------------------------------------------------------------------------


def _reference_sgns(
    v_centre: torch.Tensor, v_context: torch.Tensor, v_negative: torch.Tensor
) -> torch.Tensor:
    positive = torch.nn.functional.logsigmoid((v_centre * v_context).sum(-1))
    negative = torch.nn.functional.logsigmoid(
        -torch.einsum("bkd,bd->bk", v_negative, v_centre)
    )
    return -(positive + negative.sum(-1)).mean()


def check_sgns_loss(
    sgns_loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> bool:
    """Exercise 8.4: the skip-gram negative-sampling loss, averaged over the batch.

    ``sgns_loss(v_centre, v_context, v_negative)`` with shapes ``(batch, dim)``,
    ``(batch, dim)`` and ``(batch, K, dim)`` returns a scalar tensor. Compared with a reference
    for values (including large scalar products, where a naive ``log(sigmoid(.))`` overflows) and
    gradients.
    """
    generator = torch.Generator().manual_seed(8_041)
    for batch, K, dim, scale in [(7, 5, 4, 1.0), (3, 2, 6, 0.3), (4, 3, 5, 12.0)]:
        tensors = [
            scale * torch.randn(*shape, dtype=torch.float64, generator=generator)
            for shape in ((batch, dim), (batch, dim), (batch, K, dim))
        ]
        inputs = [t.clone().requires_grad_() for t in tensors]
        loss = call_student(
            sgns_loss,
            *inputs,
            name="sgns_loss(v_centre, v_context, v_negative)",
            expects=torch.Tensor,
        )
        require(
            loss.numel() == 1,
            f"sgns_loss must return a scalar (the mean over the batch); got shape {tuple(loss.shape)}.",
        )
        reference_inputs = [t.clone().requires_grad_() for t in tensors]
        reference = _reference_sgns(*reference_inputs)
        require(
            torch.isfinite(loss).all().item(),
            f"sgns_loss is not finite for scalar products of size about {scale * scale * dim:.0f}: "
            "use F.logsigmoid rather than torch.log(torch.sigmoid(...)).",
        )
        error = abs(loss.item() - reference.item())
        require(
            error < 1e-8 * max(1.0, abs(reference.item())),
            f"for batch = {batch}, K = {K}, dim = {dim} your loss is {loss.item():.6f}, too "
            f"{'large' if loss.item() > reference.item() else 'small'}. Is it the mean over the batch "
            "of the positive term plus the sum over the K negatives, with the signs of the scalar "
            "products right?",
        )
        require(
            loss.requires_grad,
            "the loss is not differentiable: keep the computation in torch.",
        )
        grads = call_student(
            torch.autograd.grad,
            loss.sum(),
            inputs,
            name="differentiating sgns_loss with respect to its three arguments",
        )
        ref_grads = torch.autograd.grad(reference, reference_inputs)
        for name, g, g_ref in zip(
            ("v_centre", "v_context", "v_negative"), grads, ref_grads
        ):
            require(
                torch.allclose(g, g_ref, atol=1e-8),
                f"the gradient with respect to {name} is wrong.",
            )
    return passed(
        "Exercise 8.4: the loss and its gradients agree with the reference, large scalar products included."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 8.5
# ----------------------------------------------------------------------------------------------


def check_analogy(
    analogy: Callable[[np.ndarray, list[str], str, str, str], str],
) -> bool:
    """Exercise 8.5: ``analogy(vectors, words, a, b, c)`` by 3CosAdd on unit vectors.

    Compared with :func:`ml4phys.nn.embeddings.analogy` on random vectors of very different lengths (so
    that forgetting to normalise shows), for 60 questions, and on a case where the nearest word
    to the target is one of ``a, b, c`` (which must be excluded).
    """
    rng = np.random.default_rng(8_051)
    words = [f"w{i}" for i in range(40)]
    vocab = data.build_vocab([words])
    vectors = rng.standard_normal((40, 6)) * rng.uniform(0.1, 10, (40, 1))
    ordered = vectors[[vocab.index[w] for w in words]]  # row i = words[i]
    for _ in range(60):
        a, b, c = (words[i] for i in rng.choice(40, 3, replace=False))
        expected = embeddings.analogy(vectors, vocab, a, b, c)
        got = call_student(
            analogy,
            ordered.copy(),
            list(words),
            a,
            b,
            c,
            name="analogy(vectors, words, a, b, c)",
            expects=str,
        )
        require(
            got in words,
            f"analogy must return one of the words of the vocabulary; it returned {got[:20]!r}.",
        )
        require(
            got not in (a, b, c),
            f"analogy({a!r}, {b!r}, {c!r}) returned one of the query words; "
            "exclude a, b and c from the candidates.",
        )
        require(
            got == expected,
            f"analogy({a!r}, {b!r}, {c!r}) returned {got!r}, which is not the word "
            "closest in cosine to the target. Are the vectors normalised before they are combined?",
        )
    # the target v_b - v_a + v_c is closest to c itself when a and b nearly coincide
    small = np.array(
        [
            [1.0, 0.0, 0.0],
            [0.99, 0.1, 0.0],
            [0.0, 1.0, 0.0],
            [0.1, 0.9, 0.3],
            [0, 0, 1.0],
        ]
    )
    got = call_student(
        analogy,
        small,
        ["a", "b", "c", "d", "e"],
        "a",
        "b",
        "c",
        name="analogy(vectors, words, a, b, c)",
        expects=str,
    )
    require(
        got == "d",
        f"for a near b, the answer should be the word nearest to c other than c; got {got!r}.",
    )
    return passed("Exercise 8.5: analogy agrees with 3CosAdd on 61 questions.")
