"""A multilayer neural network written from scratch in NumPy (chapters 1 and 2).

The network is a list of layers ``params = [(W1, b1), (W2, b2), ...]``; ``params[l - 1]`` holds
the weights ``W^(l)`` (shape ``(n_in, n_out)``) and biases ``b^(l)`` (shape ``(n_out,)``) of
layer ``l = 1, ..., L``. A batch of inputs is a matrix ``X`` with one sample per *row*, so that
layer ``l`` computes, for the whole batch at once,

    z^(l) = a^(l-1) W^(l) + b^(l),        a^(l) = f(z^(l)),        a^(0) = X,

and the network's output is ``y_hat = a^(L)``. Backpropagation runs the recursion for the error
``delta^(l) = dC/dz^(l)`` from the output layer back to the first layer:

    delta^(L)   = dC/da^(L) * f'(z^(L))
    delta^(l)   = (delta^(l+1) W^(l+1)^T) * f'(z^(l))
    dC/dW^(l)   = a^(l-1)^T delta^(l),      dC/db^(l) = sum over the batch of delta^(l).

Cost functions (``B`` is the batch size; every sum runs over the batch and the outputs):

* ``"mse"``: ``C = 1/(2B) sum (y_hat - y)^2`` -- the factor 1/2 cancels the 2 of the
  derivative, so ``dC/dy_hat = (y_hat - y) / B``. (PyTorch's ``MSELoss`` divides by ``B * n_out``
  instead and has no 1/2.)
* ``"bce"``: binary cross-entropy with a sigmoid output,
  ``C = -1/B sum [y log y_hat + (1 - y) log(1 - y_hat)]``.
* ``"ce"``: categorical cross-entropy with a softmax output, ``C = -1/B sum y log y_hat``, with
  ``y`` one-hot or integer class labels.

Both cross-entropies are computed from the output layer's pre-activation ``z^(L)`` (the "logits")
so that they never take the logarithm of 0, and with the matching output activation their error
simplifies to ``delta^(L) = (y_hat - y) / B``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ml4phys._validation import check_rng

__all__ = [
    "ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "LOSSES",
    "OUTPUT_ACTIVATIONS",
    "ForwardCache",
    "Params",
    "backprop",
    "binary_cross_entropy",
    "compute_loss",
    "cross_entropy",
    "forward",
    "init_params",
    "linear",
    "linear_prime",
    "mse",
    "numerical_gradient",
    "relu",
    "relu_prime",
    "sgd_step",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "softmax_jacobian",
    "step",
    "step_prime",
    "tanh",
    "tanh_prime",
]

Params = list[tuple[np.ndarray, np.ndarray]]
"""A network: one ``(W, b)`` pair per layer, ``W`` of shape ``(n_in, n_out)``, ``b`` of ``(n_out,)``."""


# ----------------------------------------------------------------------------------------------
# Activation functions and their derivatives
# ----------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise, without overflow.

    ``exp(-z)`` overflows for large negative ``z``; writing the function with ``exp(-|z|)``,
    which always lies in (0, 1], avoids that.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid: ``sigmoid(z) * (1 - sigmoid(z))``."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent, elementwise."""
    return np.tanh(z)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of tanh: ``1 - tanh(z)^2``."""
    return 1.0 - np.tanh(z) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """The rectified linear unit ``max(z, 0)``, elementwise."""
    return np.maximum(z, 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (we take 0 at the kink ``z = 0``)."""
    z = np.asarray(z)
    return (z > 0).astype(np.result_type(z, np.float32))


def step(z: np.ndarray) -> np.ndarray:
    """The Heaviside step function, elementwise: 1 where ``z > 0``, else 0.

    The value at the jump ``z = 0`` is a convention; we take 0, so that a step neuron fires
    only when its pre-activation is strictly positive (and ``relu(z) = z * step(z)``). NaN stays
    NaN. The result has the floating dtype of ``z`` (float64 for integer input).

    Raises:
        TypeError: if ``z`` does not hold real numbers.
    """
    z = np.asarray(z)
    if not (np.issubdtype(z.dtype, np.integer) or np.issubdtype(z.dtype, np.floating)):
        raise TypeError(f"step needs real numbers, got dtype {z.dtype}")
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return np.heaviside(z, 0.0)  # 0 at z = 0 by our convention


def step_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the step function: 0 for every ``z != 0`` (and 0 at the jump, by convention).

    The step is flat everywhere except at its jump, where it has no derivative. So every
    gradient that passes through a step neuron is zero, and gradient descent cannot train a
    step network: this is why smooth activations are used for learning.
    """
    z = np.asarray(z)
    return np.zeros_like(z, dtype=np.result_type(z, np.float32))


def linear(z: np.ndarray) -> np.ndarray:
    """The identity, for a linear output layer (regression)."""
    return np.asarray(z)


def linear_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the identity: ones."""
    z = np.asarray(z)
    return np.ones_like(z, dtype=np.result_type(z, np.float32))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis: ``exp(z_i) / sum_j exp(z_j)``, without overflow.

    Subtracting the row maximum first changes nothing mathematically (it cancels between
    numerator and denominator) but keeps every exponent <= 0.

    Args:
        z: pre-activations, shape ``(batch, n)``.

    Returns:
        Probabilities of shape ``(batch, n)``, each row summing to 1.
    """
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))  # (batch, n), entries in (0, 1]
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """Jacobian of the softmax, ``d a_i / d z_j = a_i (delta_ij - a_j)`` for each sample.

    Unlike the elementwise activations, softmax mixes the components of a sample, so its
    "derivative" is a matrix per sample rather than a number per component.

    Args:
        z: pre-activations, shape ``(batch, n)``.

    Returns:
        Shape ``(batch, n, n)``; entry ``[k, i, j]`` is ``d a_i / d z_j`` for sample ``k``.
    """
    a = softmax(z)  # (batch, n)
    return a[..., :, None] * (np.eye(a.shape[-1]) - a[..., None, :])  # (batch, n, n)


ACTIVATIONS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "linear": (linear, linear_prime),
    "step": (step, step_prime),
    "softmax": (softmax, softmax_jacobian),
}
"""Activation name -> ``(f, df)``. ``df`` is elementwise, except for softmax (its Jacobian)."""

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "step")
"""Activations allowed in hidden layers (the elementwise ones).

``"step"`` (the Heaviside function) computes exact logic but has zero derivative wherever it
has one, so :func:`backprop` returns zero gradients through it."""

OUTPUT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "step", "softmax")
"""Activations allowed in the output layer."""


# ----------------------------------------------------------------------------------------------
# Cost functions
# ----------------------------------------------------------------------------------------------

LOSSES: dict[str, tuple[str, ...]] = {
    "mse": OUTPUT_ACTIVATIONS,
    "bce": ("sigmoid",),
    "ce": ("softmax",),
}
"""Loss name -> the output activations it may be combined with."""


def mse(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error with the 1/2 of the book: ``C = 1/(2B) sum (y_hat - y)^2``.

    Args:
        y_hat: network outputs, shape ``(batch, n_out)``.
        y: targets, same shape.

    Returns:
        The cost, summed over outputs and averaged over the batch.
    """
    y_hat, y = _loss_args(y_hat, y, "y_hat")
    batch_size = y_hat.shape[0]
    return float(np.sum((y_hat - y) ** 2) / (2 * batch_size))


def binary_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """Binary cross-entropy of a sigmoid output, computed from its logits ``z``.

    With ``y_hat = sigmoid(z)``, ``-[y log y_hat + (1 - y) log(1 - y_hat)]`` equals
    ``log(1 + exp(z)) - y z``, which ``np.logaddexp(0, z)`` evaluates without overflow.

    Args:
        z: output pre-activations (logits), shape ``(batch, n_out)``.
        y: targets in [0, 1], same shape.

    Returns:
        The cost, summed over outputs and averaged over the batch.
    """
    z, y = _loss_args(z, y, "z", targets="probabilities")
    batch_size = z.shape[0]
    return float(np.sum(np.logaddexp(0.0, z) - y * z) / batch_size)


def cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """Categorical cross-entropy of a softmax output, computed from its logits ``z``.

    ``log softmax(z)_i = z_i - log sum_j exp(z_j)``; the log-sum-exp is evaluated after
    subtracting the row maximum, so nothing overflows and no log(0) appears.

    Args:
        z: output pre-activations (logits), shape ``(batch, n_classes)``.
        y: one-hot targets (or class probabilities), same shape.

    Returns:
        ``-1/B sum y log softmax(z)``.
    """
    z, y = _loss_args(z, y, "z", targets="distributions")
    batch_size = z.shape[0]
    z_shifted = z - z.max(axis=-1, keepdims=True)  # (batch, n_classes)
    log_y_hat = z_shifted - np.log(np.exp(z_shifted).sum(axis=-1, keepdims=True))
    return float(-np.sum(y * log_y_hat) / batch_size)


# ----------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------


def init_params(
    layer_sizes: Sequence[int],
    rng: np.random.Generator,
    weight_scale: float = 1.0,
    bias_scale: float = 0.0,
) -> Params:
    """Random weights ``W ~ N(0, weight_scale^2 / n_in)`` and biases ``b ~ N(0, bias_scale^2)``.

    Dividing the variance by the fan-in ``n_in`` keeps ``z`` of order ``weight_scale`` however
    wide the previous layer is.

    Args:
        layer_sizes: neurons per layer, input first, e.g. ``[2, 30, 30, 1]``.
        rng: the random generator to draw from.
        weight_scale: standard deviation of the weights times ``sqrt(n_in)``.
        bias_scale: standard deviation of the biases (0: all biases start at zero).

    Returns:
        ``[(W1, b1), ..., (WL, bL)]`` in float64, ``W`` of shape ``(n_in, n_out)``.

    Raises:
        TypeError: if ``rng`` is not a ``np.random.Generator``.
        ValueError: if fewer than two layer sizes are given, a size is not a positive integer,
            or a scale is negative.
    """
    check_rng(rng)
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least an input and an output size, got {sizes}"
        )
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer_sizes must be positive integers, got {sizes}")
    if weight_scale < 0 or bias_scale < 0:
        raise ValueError(
            f"scales must be non-negative, got {weight_scale=}, {bias_scale=}"
        )
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = rng.normal(
            0.0, weight_scale / np.sqrt(n_in), size=(n_in, n_out)
        )  # (n_in, n_out)
        b = (
            rng.normal(0.0, bias_scale, size=n_out)
            if bias_scale > 0
            else np.zeros(n_out)
        )  # (n_out,)
        params.append((W, b))
    return params


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """One step of gradient descent, ``W <- W - lr dC/dW`` (and the same for ``b``).

    Args:
        params: the network, ``[(W, b), ...]``.
        grads: gradients of the same structure (as returned by :func:`backprop`).
        lr: the learning rate (step size), > 0.

    Returns:
        A new list of parameters; ``params`` itself is left unchanged.
    """
    _check_params(params)
    _check_grads(params, grads)
    if not np.isscalar(lr) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


# ----------------------------------------------------------------------------------------------
# Forward pass
# ----------------------------------------------------------------------------------------------


class ForwardCache(NamedTuple):
    """What the forward pass remembers for backpropagation.

    Attributes:
        z: pre-activations; ``z[l]`` is ``z^(l)`` of shape ``(batch, n_l)`` for ``l = 1..L``
            (``z[0]`` is ``None``: the input layer has no pre-activation).
        a: activations; ``a[l]`` is ``a^(l)`` for ``l = 0..L``, with ``a[0] = X`` and
            ``a[L] = y_hat``.
    """

    z: list[np.ndarray | None]
    a: list[np.ndarray]


def forward(
    params: Params,
    X: np.ndarray,
    activation: str = "sigmoid",
    output_activation: str = "linear",
    return_cache: bool = False,
) -> np.ndarray | tuple[np.ndarray, ForwardCache]:
    """Run a batch of inputs through the network.

    Args:
        params: the network, ``[(W1, b1), ..., (WL, bL)]``.
        X: inputs, shape ``(batch, n_in)`` (one sample per row); a single sample of shape
            ``(n_in,)`` is accepted too.
        activation: activation of the hidden layers, one of :data:`HIDDEN_ACTIVATIONS`.
        output_activation: activation of the last layer, one of :data:`OUTPUT_ACTIVATIONS`.
        return_cache: also return every layer's ``z`` and ``a`` (needed by backpropagation).

    Returns:
        ``y_hat`` of shape ``(batch, n_out)`` (or ``(n_out,)`` for a single sample), and the
        :class:`ForwardCache` when ``return_cache`` is true.
    """
    X, single_sample = _forward_args(params, X, activation, output_activation)
    f_hidden, f_out = ACTIVATIONS[activation][0], ACTIVATIONS[output_activation][0]
    z: list[np.ndarray | None] = [None]
    a = [X]  # a^(0) = X, (batch, n_in)
    for l, (W, b) in enumerate(params, start=1):  # W^(l): (n_{l-1}, n_l), b^(l): (n_l,)
        f = f_out if l == len(params) else f_hidden
        z.append(a[l - 1] @ W + b)  # z^(l) = a^(l-1) W^(l) + b^(l), (batch, n_l)
        a.append(f(z[l]))  # a^(l) = f(z^(l)), (batch, n_l)
    y_hat = (
        a[-1][0] if single_sample else a[-1]
    )  # (batch, n_out), or (n_out,) for one sample
    return (y_hat, ForwardCache(z=z, a=a)) if return_cache else y_hat


# ----------------------------------------------------------------------------------------------
# Cost and backpropagation
# ----------------------------------------------------------------------------------------------


def compute_loss(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    activation: str = "sigmoid",
    output_activation: str = "linear",
    loss: str = "mse",
) -> float:
    """The cost ``C`` of the network on a batch (see the module docstring for the formulas).

    Args:
        params: the network.
        X: inputs, shape ``(batch, n_in)``.
        y: targets, shape ``(batch, n_out)``; ``(batch,)`` when ``n_out == 1``; for
            ``loss="ce"`` also integer class labels of shape ``(batch,)``.
        activation: hidden-layer activation.
        output_activation: output-layer activation.
        loss: ``"mse"``, ``"bce"`` or ``"ce"``.

    Returns:
        The cost as a float.
    """
    _check_loss(loss, output_activation)
    y_hat, cache = forward(params, X, activation, output_activation, return_cache=True)
    y = _as_targets(y, y_hat, loss)
    return _loss_from_output(cache.z[-1], y_hat, y, loss)


def backprop(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    activation: str = "sigmoid",
    output_activation: str = "linear",
    loss: str = "mse",
) -> tuple[float, Params]:
    """The cost and its gradient with respect to every weight and bias.

    The gradient is computed by backpropagation: one forward pass that keeps every
    layer's ``z`` and ``a``, then one backward pass from the output layer to the first.

    Args:
        params: the network, ``[(W1, b1), ..., (WL, bL)]``.
        X: inputs, shape ``(batch, n_in)``.
        y: targets, shape ``(batch, n_out)``; ``(batch,)`` when ``n_out == 1``; for
            ``loss="ce"`` also integer class labels of shape ``(batch,)``.
        activation: hidden-layer activation, one of :data:`HIDDEN_ACTIVATIONS`.
        output_activation: output-layer activation, one allowed for the loss
            (:data:`LOSSES`).
        loss: ``"mse"``, ``"bce"`` (sigmoid output) or ``"ce"`` (softmax output).

    Returns:
        ``(C, grads)`` with ``grads = [(dC/dW1, dC/db1), ...]`` shaped like ``params``.
    """
    _check_loss(loss, output_activation)
    y_hat, cache = forward(params, X, activation, output_activation, return_cache=True)
    y = _as_targets(y, y_hat, loss)
    z, a = cache.z, cache.a
    n_layers = len(params)
    _, df_hidden = ACTIVATIONS[activation]

    C = _loss_from_output(z[n_layers], y_hat, y, loss)
    # delta^(L), (batch, n_L)
    delta = _output_delta(z[n_layers], y_hat, y, output_activation, loss)

    grads: Params = [None] * n_layers  # type: ignore[list-item]
    for l in range(n_layers, 0, -1):
        dW = a[l - 1].T @ delta  # dC/dW^(l) = a^(l-1)^T delta^(l), (n_{l-1}, n_l)
        db = delta.sum(axis=0)  # dC/db^(l), (n_l,)
        grads[l - 1] = (dW, db)
        if l > 1:
            W, _ = params[l - 1]
            # delta^(l-1) = (delta^(l) W^(l)^T) * f'(z^(l-1)), (batch, n_{l-1})
            delta = (delta @ W.T) * df_hidden(z[l - 1])
    return C, grads


def _loss_from_output(
    z_out: np.ndarray, y_hat: np.ndarray, y: np.ndarray, loss: str
) -> float:
    """The cost from the output layer: mse from ``y_hat``, cross-entropies from the logits."""
    if loss == "mse":
        return mse(y_hat, y)
    if loss == "bce":
        return binary_cross_entropy(z_out, y)
    return cross_entropy(z_out, y)


def _output_delta(
    z_out: np.ndarray,
    y_hat: np.ndarray,
    y: np.ndarray,
    output_activation: str,
    loss: str,
) -> np.ndarray:
    """``delta^(L) = dC/dz^(L)``, shape ``(batch, n_out)``."""
    batch_size = y_hat.shape[0]
    if loss in ("bce", "ce"):
        # sigmoid + binary cross-entropy and softmax + cross-entropy: f' cancels the 1/y_hat.
        return (y_hat - y) / batch_size
    dC_da = (y_hat - y) / batch_size  # mse: dC/dy_hat, (batch, n_out)
    if output_activation == "softmax":
        # delta_i = sum_j dC/da_j da_j/dz_i: a matrix-vector product per sample.
        return np.einsum("kj,kji->ki", dC_da, softmax_jacobian(z_out))
    _, df_out = ACTIVATIONS[output_activation]
    return dC_da * df_out(z_out)


# ----------------------------------------------------------------------------------------------
# Finite differences (to check backpropagation)
# ----------------------------------------------------------------------------------------------


def numerical_gradient(
    f: Callable[[Params], float], params: Params, eps: float = 1e-6
) -> Params:
    """Gradient of ``f(params)`` by central finite differences, one parameter at a time.

    ``dC/dw ~ (C(w + eps) - C(w - eps)) / (2 eps)``, with an error of order ``eps^2``. It needs
    two evaluations of ``f`` per parameter, so use it on small networks only -- to check
    :func:`backprop`, never to train. Use float64 parameters: in float32 the rounding error
    ``~1e-7 / eps`` swamps the result.

    Args:
        f: the function to differentiate, mapping a parameter list to a number, e.g.
            ``lambda p: compute_loss(p, X, y)``.
        params: the point at which to differentiate (not modified).
        eps: the step.

    Returns:
        Gradients shaped like ``params``.
    """
    _check_params(params)
    if not callable(f):
        raise TypeError(f"f must be callable (params -> float), got {type(f).__name__}")
    if not np.isscalar(eps) or not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    work = [
        [np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)]
        for W, b in params
    ]
    grads = []
    for layer in work:
        layer_grads = []
        for p in layer:  # p is W, then b (a private copy, perturbed in place)
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                saved = p[idx]
                p[idx] = saved + eps
                c_plus = f([(W, b) for W, b in work])
                p[idx] = saved - eps
                c_minus = f([(W, b) for W, b in work])
                p[idx] = saved
                g[idx] = (c_plus - c_minus) / (2 * eps)
            layer_grads.append(g)
        grads.append((layer_grads[0], layer_grads[1]))
    return grads


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------


def _check_activations(activation: str, output_activation: str) -> None:
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(
            f"unknown hidden activation {activation!r}; valid ones: {', '.join(HIDDEN_ACTIVATIONS)}"
            + (
                " (softmax is for the output layer only)"
                if activation == "softmax"
                else ""
            )
        )
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"unknown output activation {output_activation!r}; valid ones: {', '.join(OUTPUT_ACTIVATIONS)}"
        )


def _check_loss(loss: str, output_activation: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid ones: {', '.join(LOSSES)}")
    if output_activation not in LOSSES[loss]:
        raise ValueError(
            f"loss {loss!r} needs output_activation in {LOSSES[loss]}, got {output_activation!r}"
        )


def _check_params(params: Params) -> None:
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise TypeError("params must be a non-empty list of (W, b) pairs")
    n_prev = None
    for l, layer in enumerate(params, start=1):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(
                f"layer {l} of params must be a pair (W, b), got {type(layer).__name__}"
            )
        W, b = np.asarray(layer[0]), np.asarray(layer[1])
        if W.ndim != 2 or b.ndim != 1 or b.shape[0] != W.shape[1]:
            raise ValueError(
                f"layer {l}: expected W of shape (n_in, n_out) and b of shape (n_out,), "
                f"got W {W.shape} and b {b.shape}"
            )
        if n_prev is not None and W.shape[0] != n_prev:
            raise ValueError(
                f"layer {l}: W has {W.shape[0]} input rows, but layer {l - 1} has {n_prev} outputs"
            )
        n_prev = W.shape[1]


def _loss_args(
    pred: np.ndarray, y: np.ndarray, name: str, targets: str = "any"
) -> tuple[np.ndarray, np.ndarray]:
    """Check the arguments of a loss: equal 2-d shapes (no broadcasting), finite values, and
    targets in [0, 1] (``"probabilities"``) or rows summing to one (``"distributions"``)."""
    try:
        pred, y = np.asarray(pred, dtype=np.float64), np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} and y must be arrays of real numbers") from None
    if pred.ndim != 2 or pred.shape != y.shape or len(y) == 0:
        raise ValueError(
            f"{name} and y must have the same non-empty shape (batch, n_out), got {pred.shape} and {y.shape}: "
            "reshape them (broadcasting would average over the wrong pairs)"
        )
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(y))):
        raise ValueError(f"{name} and y must be finite (no NaN or inf)")
    if targets != "any" and (y.min(initial=0.0) < 0 or y.max(initial=0.0) > 1):
        raise ValueError(
            f"targets y must lie in [0, 1], got values in [{y.min()}, {y.max()}]"
        )
    if targets == "distributions" and not np.allclose(y.sum(axis=-1), 1.0):
        raise ValueError(
            "each row of y must be one-hot (or class probabilities summing to 1)"
        )
    return pred, y


def _forward_args(
    params: Params, X: np.ndarray, activation: str, output_activation: str
) -> tuple[np.ndarray, bool]:
    """Check the arguments of :func:`forward`; return ``X`` as a batch and whether it was one sample."""
    _check_activations(activation, output_activation)
    _check_params(params)
    return _as_batch(X, params), np.ndim(X) == 1


def _check_grads(params: Params, grads: Params) -> None:
    if not isinstance(grads, (list, tuple)) or len(grads) != len(params):
        raise ValueError(
            f"grads must be a list of {len(params)} (dW, db) pairs, like params"
        )
    for l, ((W, b), g) in enumerate(zip(params, grads), start=1):
        if (
            len(g) != 2
            or np.shape(g[0]) != np.shape(W)
            or np.shape(g[1]) != np.shape(b)
        ):
            raise ValueError(
                f"layer {l}: gradient shapes do not match W {np.shape(W)} and b {np.shape(b)}"
            )


def _as_batch(X: np.ndarray, params: Params) -> np.ndarray:
    """``X`` as a float array of shape ``(batch, n_in)``."""
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(
        X.dtype, np.complexfloating
    ):
        raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    if X.ndim == 1:
        X = X[None, :]  # (1, n_in)
    n_in = np.shape(params[0][0])[0]
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(
            f"X must have shape (batch, {n_in}) for this network, got {X.shape}"
        )
    return X


def _as_targets(y: np.ndarray, y_hat: np.ndarray, loss: str) -> np.ndarray:
    """Targets shaped like ``y_hat``: ``(batch, n_out)``; integer labels become one-hot for "ce"."""
    y = np.asarray(y)
    batch_size, n_out = y_hat.shape
    if y.ndim == 0 or y.shape[0] != batch_size:
        raise ValueError(
            f"y must have {batch_size} rows (one per sample of X), got shape {y.shape}"
        )
    if loss == "ce" and y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"for loss='ce', a 1-d y must hold integer class labels, got dtype {y.dtype}"
            )
        if y.min() < 0 or y.max() >= n_out:
            raise ValueError(
                f"class labels must lie in 0..{n_out - 1}, got {y.min()}..{y.max()}"
            )
        return np.eye(n_out)[y]  # one-hot, (batch, n_out)
    if y.ndim == 1 and n_out == 1:
        y = y[:, None]  # (batch, 1)
    if y.shape != y_hat.shape:
        raise ValueError(
            f"y must have shape {y_hat.shape} like the network output, got {y.shape}"
        )
    return y
