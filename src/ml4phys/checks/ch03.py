"""Self-checks for the exercises of chapter 3 (training in practice with PyTorch).

Each ``check_*`` function tests one exercise of ``solutions/03_pytorch.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Test data
are drawn inside the checks from generators the notebook does not see, so a classifier is
judged on data it was not trained on. A ``NotImplementedError`` raised by a stub passes through.

Also here: :func:`digits_split`, the fixed split of the digits data used by exercise 3.6.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ml4phys import data
from ml4phys.checks._core import (
    as_numpy,
    call_student,
    evaluating,
    isolated_rng,
    n_parameters,
    passed,
    require,
)

__all__ = [
    "CIRCLES_SQUARES_NOISE",
    "digits_split",
    "check_switch_off",
    "check_curve_classifier",
    "check_circles_squares",
    "check_ball_volume",
    "check_lr_batch_sweep",
    "check_digit_classifier",
    "check_sign_network",
]

CIRCLES_SQUARES_NOISE = 0.3
"""Standard deviation of the pixel noise in the noisy part of exercise 3.3."""

_CURVES_THRESHOLD = 0.95
_CLEAN_SHAPES_THRESHOLD = 0.95
_NOISY_SHAPES_THRESHOLD = 0.85
_SWEEP_THRESHOLD = 0.05
_DIGITS_THRESHOLD = 0.95
_DIGITS_MAX_PARAMETERS = 3000
_D_MAX_TOLERANCE = 1e-3
_SIGN_MAX_PARAMETERS = 30
_SIGN_THRESHOLD = 0.05
_SIGN_HELDOUT_SIDE = 40


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


def _predicted_labels(
    classify: Callable[[np.ndarray], Any], inputs: np.ndarray, what: str
) -> np.ndarray:
    """Call a student's classifier and validate that it returns one 0/1 label per input."""
    labels = as_numpy(
        call_student(classify, inputs, name=f"{what}(inputs)"),
        f"the output of {what}",
        dtype=None,
    )
    n = len(inputs)
    require(
        labels.shape == (n,),
        f"{what} must return one label per input, shape ({n},); it returned shape {labels.shape}. "
        "(If it returns logits of shape (n, 2), take .argmax(1).)",
    )
    require(
        bool(np.all(np.isin(labels, (0, 1)))),
        f"{what} must return the class labels 0 or 1; it returned values such as "
        f"{np.unique(labels)[:4].tolist()}.",
    )
    return labels.astype(np.int64)


def _hidden_activation_indices(model: nn.Sequential) -> list[int]:
    """Indices of the modules whose outputs are the hidden layers' activations.

    In a ``Linear, act, [Dropout], Linear, act, ..., Linear`` stack, hidden layer ``l`` is the
    output of the last module before the ``(l + 2)``-th ``Linear``.
    """
    modules = list(model)
    linear_positions = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    return [pos - 1 for pos in linear_positions[1:]]


@torch.no_grad()
def _forward_with_unit_off(
    model: nn.Sequential, X: torch.Tensor, layer: int, k: int
) -> torch.Tensor:
    """Reference: run the network and zero activation ``k`` of hidden layer ``layer``."""
    stop = _hidden_activation_indices(model)[layer]
    h = X
    for i, module in enumerate(model):
        h = module(h)
        if i == stop:
            h = h.clone()
            h[:, k] = 0.0
    return h


def _reference_networks() -> list[nn.Sequential]:
    """Small random networks to test a switch-off function on (independent of the notebook)."""
    with isolated_rng(1234):
        nets = [
            nn.Sequential(
                nn.Linear(2, 7), nn.ReLU(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 1)
            ),
            nn.Sequential(
                nn.Linear(3, 6),
                nn.Tanh(),
                nn.Linear(6, 6),
                nn.Tanh(),
                nn.Linear(6, 4),
                nn.Tanh(),
                nn.Linear(4, 2),
            ),
        ]
    for net in nets:  # larger weights than the default, so that every unit matters
        for p in net.parameters():
            p.data.mul_(2.0)
    return [net.eval() for net in nets]


# ----------------------------------------------------------------------------------------------
# Exercise 3.1
# ----------------------------------------------------------------------------------------------


def check_switch_off(
    switch_off: Callable[[nn.Sequential, int, int], nn.Module],
) -> bool:
    """Exercise 3.1: ``switch_off(model, layer, k)`` switches hidden unit ``k`` of hidden layer
    ``layer`` off.

    The function must return a *new* network whose output equals that of ``model`` with the
    activation of unit ``k`` in hidden layer ``layer`` (0 = the first hidden layer) set to zero
    for every input, and leave ``model`` unchanged. It is tested on small random networks (ReLU
    and tanh, two and three hidden layers) against a forward pass that zeroes the activation.

    Args:
        switch_off: the student's function.
    """
    generator = torch.Generator().manual_seed(99)
    for net in _reference_networks():
        n_in = net[0].in_features
        X = torch.rand(64, n_in, generator=generator) * 2 - 1
        before = copy.deepcopy(net.state_dict())
        n_hidden = len(_hidden_activation_indices(net))
        for layer in range(n_hidden):
            width = net[_hidden_activation_indices(net)[layer] + 1].in_features
            for k in sorted({0, width // 2, width - 1}):
                result = call_student(
                    switch_off, net, layer, k, name="switch_off(model, layer, k)"
                )
                require(
                    isinstance(result, nn.Module),
                    f"switch_off must return a network (an nn.Module); it returned a "
                    f"{type(result).__name__}.",
                )
                require(
                    result is not net,
                    "switch_off returned the network it was given: return a modified copy "
                    "(copy.deepcopy) and leave the original alone.",
                )
                unchanged = all(
                    torch.equal(before[name], value)
                    for name, value in net.state_dict().items()
                )
                require(
                    unchanged,
                    f"after switch_off(model, layer={layer}, k={k}) the original model's weights "
                    "have changed: modify a copy, not the model itself.",
                )
                with torch.no_grad():
                    got = call_student(
                        result,
                        X,
                        name="the network returned by switch_off, applied to inputs X,",
                        expects=torch.Tensor,
                    )
                expected = _forward_with_unit_off(net, X, layer, k)
                require(
                    got.shape == expected.shape,
                    f"the network returned by switch_off gives outputs of shape {tuple(got.shape)}; "
                    f"expected {tuple(expected.shape)}.",
                )
                error = (got - expected).abs().max().item()
                require(
                    error < 1e-5,
                    f"in a network with {n_hidden} hidden layers, switching off unit {k} of hidden "
                    f"layer {layer} (0 = first) gives outputs that differ from the right ones by up "
                    f"to {error:.3g}. Is the right layer's unit switched off, and is it removed "
                    "completely (its contribution to the next layer set to zero)?",
                )
    return passed(
        "Exercise 3.1: switch_off agrees with a forward pass that zeroes the unit, for "
        "every hidden layer tested, and leaves the original network unchanged."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 3.2
# ----------------------------------------------------------------------------------------------


def check_curve_classifier(classify: Callable[[np.ndarray], Any]) -> bool:
    """Exercise 3.2: a Gaussian/Lorentzian classifier reaches 95 % on fresh noise-free curves.

    Args:
        classify: maps curves, a float32 array of shape ``(n, 64)`` as returned by
            :func:`ml4phys.data.gaussian_lorentzian_curves`, to labels ``(n,)`` (0 Gaussian,
            1 Lorentzian), as an array, list or tensor.
    """
    curves, y = data.gaussian_lorentzian_curves(
        2000, np.random.default_rng(30_032), noise=0.0
    )
    labels = _predicted_labels(classify, curves, "classify")
    acc = float(np.mean(labels == y))
    require(
        acc >= _CURVES_THRESHOLD,
        f"your classifier labels {acc:.1%} of 2000 fresh noise-free curves correctly; it should "
        f"reach at least {_CURVES_THRESHOLD:.0%}. Train longer, or on more curves.",
    )
    return passed(
        f"Exercise 3.2: test accuracy {acc:.1%} on 2000 fresh curves "
        f"(at least {_CURVES_THRESHOLD:.0%} needed)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 3.3
# ----------------------------------------------------------------------------------------------


def check_circles_squares(
    classify_clean: Callable[[np.ndarray], Any],
    classify_noisy: Callable[[np.ndarray], Any],
) -> bool:
    """Exercise 3.3: circles vs squares, without noise (>= 95 %) and with noise (>= 85 %).

    Args:
        classify_clean: maps noise-free images, float32 of shape ``(n, 32, 32)`` from
            :func:`ml4phys.data.circles_squares`, to labels ``(n,)`` (0 circle, 1 square).
        classify_noisy: the same for images with Gaussian pixel noise of standard deviation
            :data:`CIRCLES_SQUARES_NOISE`.
    """
    results = {}
    for label, classify, noise, threshold, seed in [
        ("noise-free", classify_clean, 0.0, _CLEAN_SHAPES_THRESHOLD, 30_033),
        (
            f"noisy (sigma = {CIRCLES_SQUARES_NOISE})",
            classify_noisy,
            CIRCLES_SQUARES_NOISE,
            _NOISY_SHAPES_THRESHOLD,
            30_034,
        ),
    ]:
        images, y = data.circles_squares(
            1000, np.random.default_rng(seed), size=32, noise=noise
        )
        what = "classify_clean" if noise == 0 else "classify_noisy"
        labels = _predicted_labels(classify, images, what)
        acc = float(np.mean(labels == y))
        require(
            acc >= threshold,
            f"{what} labels {acc:.1%} of 1000 fresh {label} images correctly; it should reach at "
            f"least {threshold:.0%}.",
        )
        results[label] = acc
    summary = ", ".join(f"{acc:.1%} {label}" for label, acc in results.items())
    return passed(f"Exercise 3.3: test accuracy {summary}.")


# ----------------------------------------------------------------------------------------------
# Exercise 3.4
# ----------------------------------------------------------------------------------------------


def _reference_log_volume(d: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return 0.5 * d * math.log(math.pi) - gammaln(d / 2 + 1)


def check_ball_volume(
    log_volume: Callable[[torch.Tensor], torch.Tensor], d_max: float
) -> bool:
    """Exercise 3.4: ``log V(d)`` of the unit ball, differentiable, and the dimension of maximal
    volume.

    Args:
        log_volume: maps a float64 tensor of dimensions ``d`` (any shape) to
            :math:`\\log V(d) = \\tfrac d2 \\log\\pi - \\log\\Gamma(\\tfrac d2 + 1)`, same shape,
            differentiable with autograd.
        d_max: the real dimension where :math:`V(d)` is largest; compared with scipy's bounded
            scalar minimiser to within 1e-3.
    """
    from scipy.special import digamma, polygamma

    d_test = np.array([1.0, 2.0, 3.0, 5.5, 10.0, 20.0])
    d = torch.tensor(d_test, dtype=torch.float64, requires_grad=True)
    out = call_student(log_volume, d, name="log_volume(d)", expects=torch.Tensor)
    require(
        out.shape == d.shape,
        f"log_volume must act element-wise: for d of shape {tuple(d.shape)} it "
        f"returned shape {tuple(out.shape)}.",
    )
    expected = _reference_log_volume(d_test)
    values = out.detach().numpy()
    for di, got, want in zip(d_test, values, expected):
        require(
            abs(got - want) < 1e-8 * max(1.0, abs(want)),
            f"log_volume({di:g}) = {got:.6f} is too {'large' if got > want else 'small'} (for "
            "example V(2) = pi, V(3) = 4 pi / 3).",
        )
    require(
        out.requires_grad,
        "log_volume's output is not differentiable: build it from torch "
        "operations on d (torch.lgamma, not math.lgamma or scipy).",
    )
    (grad,) = call_student(
        torch.autograd.grad,
        out.sum(),
        d,
        name="differentiating log_volume(d) with respect to d",
        kwargs={"allow_unused": False},
    )
    expected_grad = 0.5 * math.log(math.pi) - 0.5 * digamma(d_test / 2 + 1)
    require(
        np.allclose(grad.numpy(), expected_grad, atol=1e-8),
        "the autograd derivative of "
        "log_volume is wrong although its values are right: keep the whole computation in torch.",
    )

    is_number = isinstance(
        d_max, (int, float, np.floating, np.integer)
    ) and not isinstance(d_max, bool)
    is_scalar_tensor = isinstance(d_max, torch.Tensor) and d_max.numel() == 1
    require(
        is_number or is_scalar_tensor,
        f"d_max must be a number, got {type(d_max).__name__}.",
    )
    d_max = float(d_max)
    require(
        math.isfinite(d_max) and d_max > 0,
        f"d_max must be a positive dimension, got {d_max}.",
    )
    # log V is concave, so one Newton step from d_max estimates its distance from the maximum
    # without the check holding the answer.
    slope = 0.5 * math.log(math.pi) - 0.5 * float(digamma(d_max / 2 + 1))
    curvature = -0.25 * float(polygamma(1, d_max / 2 + 1))
    distance = abs(slope / curvature)
    require(
        distance < _D_MAX_TOLERANCE,
        f"your d_max = {d_max:.6f} is not where V(d) is largest: the derivative of log V there is "
        f"{slope:.2e}, not zero. (Iterate longer, or check the Newton/gradient step.)",
    )
    return passed(
        f"Exercise 3.4: log V(d) and its derivative are right, and V(d) is largest at your "
        f"d_max = {d_max:.6f} (to within {_D_MAX_TOLERANCE:g})."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 3.5
# ----------------------------------------------------------------------------------------------


def check_lr_batch_sweep(
    table: Any,
    lrs: Sequence[float],
    batch_sizes: Sequence[int],
    best: tuple[float, int],
) -> bool:
    """Exercise 3.5: the table of final validation losses over learning rate x batch size.

    Checks the shape, that the entries are positive (``nan`` for a diverged run), that ``best``
    is the configuration with the lowest loss, that this loss is below 0.05, and that the corner
    with the smallest learning rate and the largest batch (the fewest, shortest steps) is clearly
    worse than the best.

    Args:
        table: array-like of shape ``(len(lrs), len(batch_sizes))``.
        lrs: the learning rates, one per row.
        batch_sizes: the batch sizes, one per column.
        best: ``(lr, batch_size)`` of the lowest validation loss.
    """
    table = as_numpy(table, "table")
    lrs = as_numpy(lrs, "lrs").reshape(-1)
    batch_sizes = as_numpy(batch_sizes, "batch_sizes").reshape(-1)
    shape = (len(lrs), len(batch_sizes))
    require(
        table.shape == shape,
        f"table must have one row per learning rate and one column per "
        f"batch size, shape {shape}; it has shape {table.shape}.",
    )
    finite = np.isfinite(table)
    require(
        bool(finite.any()), "the table holds no finite loss yet (all nan): fill it in."
    )
    require(
        finite.sum() >= table.size / 2,
        f"only {int(finite.sum())} of {table.size} runs gave a "
        "finite loss: were the models re-created for every run?",
    )
    require(
        bool(np.all(table[finite] > 0)),
        "mean squared errors are positive; the table has entries <= 0.",
    )
    require(
        isinstance(best, (tuple, list)) and len(best) == 2,
        f"best must be a pair (lr, batch_size), got a {type(best).__name__}.",
    )
    try:
        best_lr, best_batch_size = float(best[0]), int(best[1])
    except (TypeError, ValueError):
        require(False, "best must be a pair of numbers (lr, batch_size).")
    i, j = np.unravel_index(np.nanargmin(table), shape)
    require(
        math.isclose(best_lr, float(lrs[i])) and best_batch_size == int(batch_sizes[j]),
        f"best = {tuple(best)} is not the configuration with the lowest validation loss in your table.",
    )
    best_loss = table[i, j]
    require(
        best_loss < _SWEEP_THRESHOLD,
        f"the best validation loss in your table is {best_loss:.3f}; with noise sigma = 0.1 the best "
        f"configuration should reach below {_SWEEP_THRESHOLD}. Is the model trained for the given "
        "number of epochs, and the loss the mean squared error on the validation set?",
    )
    i_slow, j_slow = int(np.argmin(lrs)), int(np.argmax(batch_sizes))
    slow = table[i_slow, j_slow]
    require(
        np.isfinite(slow) and slow > 2 * best_loss,
        f"the run with the smallest learning rate and the largest batch has validation loss "
        f"{slow:.3f}, not clearly worse than the best ({best_loss:.3f}); it takes the fewest and "
        "smallest steps and should be undertrained. Are the rows and columns in the right order?",
    )
    return passed(
        f"Exercise 3.5: the sweep table is consistent; best lr = {best[0]}, batch size "
        f"= {best[1]} with validation loss {best_loss:.4f}."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 3.6
# ----------------------------------------------------------------------------------------------


def digits_split() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """The fixed split of the 1797 digits used by exercise 3.6.

    Returns:
        ``(train, val, test)``, each a pair ``(X, y)``: ``X`` float32 of shape ``(n, 64)``
        (the 8x8 images flattened, grey values in [0, 1]) and ``y`` int64 of shape ``(n,)``;
        1077, 360 and 360 digits.
    """
    images, labels = data.load_digits()
    X = torch.from_numpy(images.reshape(len(images), 64))
    y = torch.from_numpy(labels)
    perm = torch.from_numpy(np.random.default_rng(2017).permutation(len(X)))
    parts = (perm[:1077], perm[1077:1437], perm[1437:])
    return tuple((X[idx], y[idx]) for idx in parts)


def check_digit_classifier(model: nn.Module) -> bool:
    """Exercise 3.6: a digit classifier with at most 3000 parameters and >= 95 % test accuracy.

    Args:
        model: maps a float32 tensor of shape ``(n, 64)`` to logits ``(n, 10)``. It is evaluated
            in ``eval()`` mode on the test part of :func:`digits_split`.
    """
    n_params = n_parameters(model)
    require(
        n_params <= _DIGITS_MAX_PARAMETERS,
        f"your model has {n_params} trainable parameters; at most {_DIGITS_MAX_PARAMETERS} are allowed.",
    )
    _, _, (X_test, y_test) = digits_split()
    with evaluating(model):
        logits = call_student(model, X_test, name="model(X)", expects=torch.Tensor)
    require(
        tuple(logits.shape) == (len(X_test), 10),
        f"the model must map (n, 64) to logits (n, 10); for n = {len(X_test)} it returned shape "
        f"{tuple(logits.shape)}.",
    )
    acc = (logits.argmax(dim=1) == y_test).float().mean().item()
    require(
        acc >= _DIGITS_THRESHOLD,
        f"test accuracy {acc:.1%}; at least {_DIGITS_THRESHOLD:.0%} is needed. Tune it on the "
        "validation set (learning rate, epochs, width), not on the test set.",
    )
    return passed(f"Exercise 3.6: test accuracy {acc:.1%} with {n_params} parameters.")


# ----------------------------------------------------------------------------------------------
# Exercise 3.7
# ----------------------------------------------------------------------------------------------


def _sign_grid(n_side: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres of a regular ``n_side x n_side`` grid on [-2, 2)^2 and sign(x1 x2).

    Returns ``X`` float32 ``(n_side**2, 2)`` and ``y`` float32 ``(n_side**2, 1)`` in {-1, +1}.
    For an even ``n_side`` no point lies on an axis; for ``n_side = 40`` none coincides with a
    point of the 32 x 32 training grid (that would need 4 (2j + 1) = 5 (2i + 1)).
    """
    spacing = 4 / n_side
    centres = -2 + spacing * (np.arange(n_side) + 0.5)
    g1, g2 = np.meshgrid(centres, centres)
    X = np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)
    y = np.sign(X[:, :1] * X[:, 1:]).astype(np.float32)
    return torch.from_numpy(X), torch.from_numpy(y)


def check_sign_network(model: nn.Module) -> bool:
    """Exercise 3.7: a network with at most 30 parameters that learns sign(x1 x2).

    The model is evaluated in ``eval()`` mode on a held-out grid of the square
    :math:`[-2, 2)^2` that the check makes itself (cell centres of a regular grid of another
    spacing than the training grid, so no point is shared); its mean squared error against
    :math:`\\operatorname{sign}(x_1 x_2)` must be below 0.05. All parameters are counted,
    trainable or not.

    Args:
        model: maps a float32 tensor of shape ``(n, 2)`` to outputs of shape ``(n, 1)`` or
            ``(n,)``.
    """
    n_params = n_parameters(model, trainable_only=False)
    require(
        n_params <= _SIGN_MAX_PARAMETERS,
        f"your model has {n_params} parameters; at most {_SIGN_MAX_PARAMETERS} are allowed. "
        "Look for a smaller architecture that still has enough capacity.",
    )
    X, y = _sign_grid(_SIGN_HELDOUT_SIDE)
    with evaluating(model):
        y_hat = call_student(model, X, name="model(X)", expects=torch.Tensor)
    n = len(X)
    require(
        tuple(y_hat.shape) in ((n, 1), (n,)),
        f"the model must map inputs (n, 2) to outputs (n, 1); for n = {n} it returned shape "
        f"{tuple(y_hat.shape)}.",
    )
    y_hat = y_hat.detach().to(torch.float32).reshape(n, 1)
    require(
        bool(torch.isfinite(y_hat).all()),
        "the model's outputs contain nan or inf on the held-out grid.",
    )
    mse = torch.mean((y_hat - y) ** 2).item()
    require(
        mse < _SIGN_THRESHOLD,
        f"the mean squared error on the held-out grid is {mse:.3f}; it must be below "
        f"{_SIGN_THRESHOLD}. Are the targets +1 and -1 (not 0 and 1), is the model trained "
        "long enough, and does its architecture have enough capacity for the four quadrants?",
    )
    return passed(
        f"Exercise 3.7: held-out mean squared error {mse:.4f} with {n_params} parameters "
        f"(below {_SIGN_THRESHOLD} with at most {_SIGN_MAX_PARAMETERS} parameters needed)."
    )
