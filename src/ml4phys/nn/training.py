"""A small PyTorch training loop with a history, validation and early stopping (chapter 3 on).

Chapter 3 writes the training loop out by hand; later chapters call :func:`fit`, which is the
same loop with the bookkeeping added::

    model = make_mlp([2, 32, 32, 1], activation="tanh")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = fit(model, torch.nn.MSELoss(), optimizer, (X_train, y_train),
                  val_data=(X_val, y_val), n_epochs=200, patience=20,
                  generator=torch.Generator().manual_seed(0))

Data come either as a pair of tensors ``(X, y)`` (``fit`` then shuffles and cuts mini-batches
itself) or as a :class:`torch.utils.data.DataLoader` that yields ``(X_batch, y_batch)`` pairs.
The loss function is expected to average over the batch (PyTorch's default ``reduction="mean"``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ml4phys._validation import check_callable, check_int
from ml4phys.runtime import in_book_build

__all__ = [
    "ACTIVATIONS",
    "DIVERGENCE_FACTOR",
    "History",
    "accuracy",
    "evaluate",
    "fit",
    "make_mlp",
]

Data = Union[tuple[torch.Tensor, torch.Tensor], DataLoader]  # noqa: UP007 - a runtime alias (py3.10 floor)
"""Training or validation data: a pair ``(X, y)`` of tensors (first axis = samples) or a DataLoader."""

Metric = Callable[[torch.Tensor, torch.Tensor], float]
"""A metric ``fn(y_hat, y) -> float`` computed on a whole data set, e.g. :func:`accuracy`."""

DIVERGENCE_FACTOR = 1e6
"""``fit`` calls a run diverged when a mini-batch loss exceeds this factor times the epoch's first
(or times 1, when the first is smaller)."""

EVAL_BATCH_SIZE = 256
"""Batch size of the forward passes that evaluate a model (no effect on the result)."""

ACTIVATIONS: dict[str, Callable[[], torch.nn.Module]] = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "gelu": torch.nn.GELU,
    "silu": torch.nn.SiLU,
    "elu": torch.nn.ELU,
    "softplus": torch.nn.Softplus,
    "leaky_relu": torch.nn.LeakyReLU,
}
"""Activation names accepted by :func:`make_mlp`."""


@dataclass
class History:
    """What happened during :func:`fit`, one entry per epoch.

    Attributes:
        train_loss: mean loss over each epoch's mini-batches (weighted by batch size), measured
            while training, i.e. in ``train()`` mode with the weights changing during the epoch.
        val_loss: loss on the validation data after each epoch (empty without validation data).
        metrics: name -> values after each epoch, computed on the validation data (or on the
            training data when there is no validation data).
        best_epoch: index into ``val_loss`` of the lowest validation loss (``None`` without
            validation data).
        stopped_early: whether early stopping ended the training before ``n_epochs``.
        diverged: whether ``fit(..., on_divergence="stop")`` ended the training because the
            loss diverged.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    stopped_early: bool = False
    diverged: bool = False

    @property
    def n_epochs(self) -> int:
        """Number of epochs actually trained."""
        return len(self.train_loss)


def make_mlp(
    layer_sizes: Sequence[int], activation: str = "relu", *, dropout: float = 0.0
) -> torch.nn.Sequential:
    """A fully connected network: ``Linear`` layers with an activation between them.

    The last layer has no activation: its output are the raw values for a regression, or the
    logits for a classification (``CrossEntropyLoss`` and ``BCEWithLogitsLoss`` apply the
    softmax/sigmoid themselves).

    Args:
        layer_sizes: neurons per layer, input first, e.g. ``[2, 64, 64, 1]``.
        activation: hidden-layer activation, one of :data:`ACTIVATIONS`.
        dropout: if > 0, a ``Dropout(dropout)`` after every hidden activation.

    Returns:
        The network; it maps ``(batch, layer_sizes[0])`` to ``(batch, layer_sizes[-1])``.
        Weights get PyTorch's default initialisation (seed with ``ml4phys.seed_everything``).
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
        for n in sizes
    ):
        raise ValueError(
            f"layer_sizes must be at least two positive integers, got {sizes}"
        )
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; valid ones: {', '.join(ACTIVATIONS)}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    layers: list[torch.nn.Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(int(n_in), int(n_out)), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
    layers.append(torch.nn.Linear(int(sizes[-2]), int(sizes[-1])))
    return torch.nn.Sequential(*layers)


def accuracy(y_hat_logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correctly classified samples.

    Args:
        y_hat_logits: network outputs (logits or probabilities), either shape
            ``(n, n_classes)`` (predicted class = argmax) or ``(n,)`` / ``(n, 1)`` for a binary
            classifier with logits (predicted class = 1 where the logit is > 0).
        y: the true classes: integer labels of shape ``(n,)``, one-hot of shape
            ``(n, n_classes)``, or 0/1 labels of shape ``(n,)`` / ``(n, 1)`` for binary.

    Returns:
        The accuracy in [0, 1].
    """
    y_hat_logits, y = _as_tensor(y_hat_logits, "y_hat_logits"), _as_tensor(y, "y")
    n = len(y_hat_logits)
    if y_hat_logits.ndim == 0 or y.ndim == 0 or len(y) != n or n == 0:
        raise ValueError(
            f"y_hat_logits and y must hold the same (non-zero) number of samples, "
            f"got shapes {tuple(y_hat_logits.shape)} and {tuple(y.shape)}"
        )
    if y_hat_logits.ndim == 2 and y_hat_logits.shape[1] > 1:  # multi-class
        predicted = y_hat_logits.argmax(dim=1)  # (n,)
        if y.ndim == 2:
            if y.shape != y_hat_logits.shape:
                raise ValueError(
                    f"one-hot y must have shape {tuple(y_hat_logits.shape)}, got {tuple(y.shape)}"
                )
            y = y.argmax(dim=1)  # one-hot -> labels
    elif y_hat_logits.ndim <= 2:  # binary: (n,) or (n, 1)
        predicted = (y_hat_logits.reshape(n) > 0).long()  # (n,)
        y = y.reshape(n) if y.numel() == n else y
    else:
        raise ValueError(
            f"y_hat_logits must have shape (n,), (n, 1) or (n, n_classes), got {tuple(y_hat_logits.shape)}"
        )
    if y.shape != predicted.shape:
        raise ValueError(
            f"y must hold one label per sample, shape ({n},), got {tuple(y.shape)}"
        )
    n_classes = (
        y_hat_logits.shape[1]
        if y_hat_logits.ndim == 2 and y_hat_logits.shape[1] > 1
        else 2
    )
    _check_labels(y, n_classes)
    return (predicted == y.to(predicted.device).long()).float().mean().item()


def evaluate(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    data: Data,
    batch_size: int = EVAL_BATCH_SIZE,
) -> float:
    """The loss of ``model`` on a whole data set, in ``eval()`` mode and without gradients.

    The forward pass runs in batches of ``batch_size``; the loss function is then applied
    once to all predictions, so a batch-averaging loss gives the mean over the data set.
    The model's train/eval mode is restored afterwards.

    Args:
        model: the network.
        loss_fn: ``loss_fn(y_hat, y)`` returning a scalar tensor.
        data: ``(X, y)`` tensors or a DataLoader.
        batch_size: samples per forward pass (tensor input only).

    Returns:
        The loss as a float.
    """
    _check_model(model)
    check_callable(loss_fn, "loss_fn")
    check_int(batch_size, "batch_size")
    data = _check_data(data, "data", model)
    y_hat, y = _predict(model, data, batch_size)
    return float(loss_fn(y_hat, y))


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    train_data: Data,
    val_data: Data | None = None,
    n_epochs: int = 10,
    batch_size: int = 32,
    patience: int | None = None,
    metrics: Mapping[str, Metric] | None = None,
    generator: torch.Generator | None = None,
    progress: bool | None = None,
    restore_best: bool = True,
    on_divergence: str = "raise",
) -> History:
    """Train ``model`` by mini-batch gradient descent and record the losses.

    Each epoch: shuffle the training data, and for every mini-batch compute the loss, backpropagate
    and take an optimizer step; then evaluate on the validation data. With ``patience`` set,
    training stops when the validation loss has not improved for ``patience`` epochs in a row
    (early stopping). Batches are moved to the device of the model's parameters.

    Args:
        model: the network to train (in place).
        loss_fn: ``loss_fn(y_hat, y)`` returning the batch-averaged loss, e.g. ``nn.MSELoss()``.
        optimizer: an optimizer built on ``model.parameters()``.
        train_data: ``(X, y)`` tensors (or NumPy arrays, whose floating-point values are
            converted to the model's dtype) with samples along the first axis, or a DataLoader
            yielding ``(X_batch, y_batch)``.
        val_data: validation data in the same forms, or ``None``.
        n_epochs: maximal number of passes through the training data, >= 1.
        batch_size: mini-batch size for tensor input (a DataLoader brings its own).
        patience: epochs without improvement of the validation loss before stopping;
            ``None`` trains for all ``n_epochs``. Needs ``val_data``.
        metrics: name -> ``fn(y_hat, y) -> float`` (e.g. ``{"accuracy": accuracy}``),
            evaluated after each epoch on the validation data (on the training data without
            validation data).
        generator: the random generator for shuffling tensor input; ``None`` uses PyTorch's
            global generator (seeded by ``ml4phys.seed_everything``). Give a DataLoader its
            own generator instead.
        progress: show a progress bar over the epochs; ``None`` shows it except during the
            book build (``ML4PHYS_BUILD=1``).
        restore_best: with validation data, load the weights of the epoch with the lowest
            validation loss at the end.
        on_divergence: what to do when a mini-batch loss becomes NaN or infinite, or grows
            beyond ``DIVERGENCE_FACTOR`` times the epoch's first: ``"raise"`` (a
            ``FloatingPointError`` naming the epoch and the loss) or ``"stop"`` (end training,
            set ``history.diverged``, keep the best weights).

    Returns:
        The :class:`History`. The model is left in ``eval()`` mode.

    Raises:
        TypeError, ValueError: on bad arguments, before any training; in particular when the
            optimizer holds none of the model's trainable parameters.
        FloatingPointError: when training diverges and ``on_divergence="raise"``.
    """
    train_data, val_data, metrics = _check_fit_args(
        model, loss_fn, optimizer, train_data, val_data, n_epochs, batch_size,
        patience, metrics, generator, on_divergence,
    )  # fmt: skip
    show = (not in_book_build()) if progress is None else bool(progress)
    history = History(metrics={name: [] for name in metrics})
    best_state, epochs_without_improvement = None, 0
    with tqdm(range(n_epochs), desc="training", unit="epoch", disable=not show) as bar:
        for epoch in bar:
            try:
                train_loss = _train_one_epoch(
                    model, loss_fn, optimizer, train_data, batch_size, generator
                )
            except _Diverged as diverged:
                if on_divergence == "raise":
                    message = f"training diverged in epoch {epoch}: {diverged}"
                    raise FloatingPointError(message) from None
                history.diverged = True
                break
            history.train_loss.append(train_loss)
            if val_data is not None or metrics:
                eval_data = val_data if val_data is not None else train_data
                y_hat, y = _predict(model, eval_data, EVAL_BATCH_SIZE)
                for name, fn in metrics.items():
                    history.metrics[name].append(float(fn(y_hat, y)))
            if val_data is not None:
                history.val_loss.append(float(loss_fn(y_hat, y)))
                best = history.best_epoch
                if best is None or history.val_loss[-1] < history.val_loss[best]:
                    history.best_epoch, epochs_without_improvement = epoch, 0
                    if restore_best:
                        best_state = copy.deepcopy(model.state_dict())
                else:
                    epochs_without_improvement += 1
            bar.set_postfix(_postfix(history))
            if patience is not None and epochs_without_improvement >= patience:
                history.stopped_early = epoch < n_epochs - 1
                break

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


# ----------------------------------------------------------------------------------------------
# Internals
# ----------------------------------------------------------------------------------------------


def _train_one_epoch(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    data: Data,
    batch_size: int,
    generator: torch.Generator | None,
) -> float:
    """One pass through the training data; returns the batch-size-weighted mean loss."""
    model.train()
    total_loss, n_samples, first_loss = 0.0, 0, None
    batches = _batches(model, data, batch_size, shuffle=True, generator=generator)
    for X_batch, y_batch in batches:
        y_hat = model(X_batch)  # (batch, n_out)
        loss = loss_fn(y_hat, y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first_loss = _check_divergence(loss.item(), first_loss)
        total_loss += loss.item() * len(X_batch)
        n_samples += len(X_batch)
    if n_samples == 0:
        raise ValueError("the training data yielded no batches")
    return total_loss / n_samples


@torch.no_grad()
def _predict(
    model: torch.nn.Module, data: Data, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """All predictions and targets of a data set, in ``eval()`` mode (mode restored after)."""
    was_training = model.training
    model.eval()
    try:
        y_hats, ys = [], []
        for X_batch, y_batch in _batches(
            model, data, batch_size, shuffle=False, generator=None
        ):
            y_hats.append(model(X_batch))
            ys.append(y_batch)
    finally:
        model.train(was_training)
    if not y_hats:
        raise ValueError("the data yielded no batches")
    return torch.cat(y_hats), torch.cat(ys)


def _batches(
    model: torch.nn.Module,
    data: Data,
    batch_size: int,
    shuffle: bool,
    generator: torch.Generator | None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(X_batch, y_batch)`` pairs on the model's device."""
    device = _model_device(model)
    if isinstance(data, DataLoader):
        for batch in data:
            if not isinstance(batch, (list, tuple)) or len(batch) != 2:
                raise TypeError(
                    "a DataLoader given to fit/evaluate must yield (X_batch, y_batch) pairs"
                )
            yield batch[0].to(device), batch[1].to(device)
        return
    X, y = data
    n = len(X)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size].to(X.device)
        yield X[idx].to(device), y[idx].to(device)


def _model_device(model: torch.nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _check_labels(y: torch.Tensor, n_classes: int) -> None:
    """Class labels must be whole numbers in ``0..n_classes - 1`` (no silent truncation)."""
    if y.is_floating_point() and not bool(torch.all(y == y.round())):
        raise ValueError(
            "y must hold whole-number class labels, got non-integer values"
        )
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"class labels must lie in 0..{n_classes - 1} for this output, got {int(y.min())}..{int(y.max())}"
        )


def _check_model(model: object) -> None:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _as_tensor(
    value: object, name: str, float_dtype: torch.dtype | None = None
) -> torch.Tensor:
    """A tensor from a tensor or a NumPy array (floating arrays in ``float_dtype`` when given)."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        tensor = torch.as_tensor(value)
        if float_dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(float_dtype)
        return tensor
    raise TypeError(
        f"{name} must be a torch.Tensor (or NumPy array), got {type(value).__name__}"
    )


def _check_data(data: object, name: str, model: torch.nn.Module | None = None) -> Data:
    """Validate ``(X, y)`` or a DataLoader. NumPy arrays become tensors, their floating-point
    values in the model's dtype; a floating tensor of another dtype than the model is refused."""
    if isinstance(data, DataLoader):
        return data
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(
            f"{name} must be a pair (X, y) of tensors or a torch DataLoader, got {type(data).__name__}"
        )
    dtype = _model_dtype(model)
    X, y = (
        _as_tensor(v, f"{name}[{i}] ({'Xy'[i]})", dtype) for i, v in enumerate(data)
    )
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"{name}: X and y need a first axis over samples, got shapes {tuple(X.shape)}, {tuple(y.shape)}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"{name}: X and y must hold the same number of samples, got {len(X)} and {len(y)}"
        )
    if len(X) == 0:
        raise ValueError(f"{name} is empty")
    if dtype is not None and X.is_floating_point() and X.dtype != dtype:
        raise TypeError(
            f"{name}: X has dtype {X.dtype} but the model's parameters are {dtype}: "
            f"convert one of them (X.to({dtype}) or model.to({X.dtype}))"
        )
    return X, y


def _model_dtype(model: torch.nn.Module | None) -> torch.dtype | None:
    parameter = None if model is None else next(model.parameters(), None)
    return None if parameter is None else parameter.dtype


class _Diverged(Exception):
    """Raised inside an epoch when the loss is no longer finite or has blown up."""


def _check_divergence(loss: float, first_loss: float | None) -> float:
    """Raise :class:`_Diverged` for a NaN/infinite loss or one far above the first; return the first."""
    if not math.isfinite(loss):
        raise _Diverged(
            f"the loss is {loss}; lower the learning rate or check the data for NaN"
        )
    first_loss = loss if first_loss is None else first_loss
    if loss > DIVERGENCE_FACTOR * max(abs(first_loss), 1.0):
        raise _Diverged(
            f"the loss grew from {first_loss:.3g} to {loss:.3g}; lower the learning rate"
        )
    return first_loss


def _postfix(history: History) -> dict[str, str]:
    """The progress bar's text: the latest losses."""
    postfix = {"train_loss": f"{history.train_loss[-1]:.4g}"}
    if history.val_loss:
        postfix["val_loss"] = f"{history.val_loss[-1]:.4g}"
    return postfix


def _check_fit_args(
    model, loss_fn, optimizer, train_data, val_data, n_epochs, batch_size, patience, metrics, generator,
    on_divergence,
):  # fmt: skip
    """Validate the arguments of :func:`fit`; return the data as tensors and the metrics as a dict."""
    _check_model(model)
    check_callable(loss_fn, "loss_fn")
    _check_optimizer(optimizer, model)
    check_int(n_epochs, "n_epochs")
    check_int(batch_size, "batch_size")
    train_data = _check_data(train_data, "train_data", model)
    val_data = None if val_data is None else _check_data(val_data, "val_data", model)
    if patience is not None:
        check_int(patience, "patience")
        if val_data is None:
            raise ValueError("early stopping (patience) needs val_data")
    metrics = dict(metrics or {})
    for name, fn in metrics.items():
        check_callable(fn, f"metrics[{name!r}]")
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator, got {type(generator).__name__}"
            )
        if isinstance(train_data, DataLoader):
            raise ValueError(
                "generator shuffles tensor input only: pass it to the DataLoader instead"
            )
    if on_divergence not in ("raise", "stop"):
        raise ValueError(
            f"on_divergence must be 'raise' or 'stop', got {on_divergence!r}"
        )
    return train_data, val_data, metrics


def _check_optimizer(optimizer: object, model: torch.nn.Module) -> None:
    """The optimizer must be a torch optimizer that updates (some of) the model's parameters."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    trainable = [p for p in model.parameters() if p.requires_grad]
    if trainable and not any(id(p) in held for p in trainable):
        raise ValueError(
            "the optimizer holds none of the model's trainable parameters, so training would change "
            "nothing: build it as torch.optim.Adam(model.parameters(), ...) for this model"
        )
