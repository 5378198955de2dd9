"""Restricted Boltzmann machines with binary units, trained by contrastive divergence.

An RBM with visible units ``v in {0,1}^n_visible`` and hidden units ``h in {0,1}^n_hidden``
has the energy ``E(v, h) = -b.v - c.h - v.W.h`` and the Boltzmann distribution
``p(v, h) = exp(-E(v, h)) / Z``. There are no connections within a layer, so given one layer
the units of the other are independent, with

    p(h_j = 1 | v) = sigmoid(c_j + (v W)_j),     p(v_i = 1 | h) = sigmoid(b_i + (W h)_i),

and the hidden units can be summed out in closed form: ``p(v) = exp(-F(v)) / Z`` with the
free energy ``F(v) = -b.v - sum_j softplus(c_j + (v W)_j)``.

:func:`cd_update` is one step of contrastive divergence CD-k (Hinton 2002), written out;
:func:`train` loops over mini-batches with a history. For tiny machines,
:func:`exact_log_likelihood` computes the log-likelihood in nats per sample exactly, by
enumerating the smaller layer. Everything is NumPy; randomness comes from an explicit
``rng``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml4phys._validation import (
    check_int,
    check_nonnegative,
    check_positive,
    check_rng,
)

__all__ = [
    "RBM",
    "energy",
    "free_energy",
    "hidden_probabilities",
    "visible_probabilities",
    "gibbs_chain",
    "cd_update",
    "History",
    "train",
    "log_partition_function",
    "exact_log_likelihood",
    "MAX_ENUMERATED_UNITS",
]

MAX_ENUMERATED_UNITS = 20
"""Largest size of the smaller layer that :func:`log_partition_function` enumerates."""


@dataclass
class RBM:
    """The parameters of a binary restricted Boltzmann machine.

    Attributes:
        W: weights, float64 of shape ``(n_visible, n_hidden)``.
        b: visible biases, shape ``(n_visible,)``.
        c: hidden biases, shape ``(n_hidden,)``.
    """

    W: np.ndarray
    b: np.ndarray
    c: np.ndarray

    def __post_init__(self) -> None:
        for name in ("W", "b", "c"):
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
                raise TypeError(f"{name} must be a numpy array of numbers")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} contains NaN or infinite values")
        if self.W.ndim != 2:
            raise ValueError(
                f"W must have shape (n_visible, n_hidden), got {self.W.shape}"
            )
        if self.b.shape != (self.W.shape[0],) or self.c.shape != (self.W.shape[1],):
            raise ValueError(
                f"b must have shape ({self.W.shape[0]},) and c ({self.W.shape[1]},) to "
                f"match W of shape {self.W.shape}; got {self.b.shape} and {self.c.shape}"
            )
        self.W, self.b, self.c = (
            np.array(a, dtype=np.float64) for a in (self.W, self.b, self.c)
        )

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @classmethod
    def random(
        cls,
        n_visible: int,
        n_hidden: int,
        rng: np.random.Generator,
        scale: float = 0.01,
        data: np.ndarray | None = None,
    ) -> RBM:
        """Small random weights, zero hidden biases, visible biases from the data.

        As Hinton's practical guide recommends: ``W ~ N(0, scale^2)``, ``c = 0``, and
        ``b_i = log(p_i / (1 - p_i))`` with ``p_i`` the mean of pixel ``i`` in ``data``
        (clipped to [0.01, 0.99]), so that the untrained machine already has the data's
        marginals; ``b = 0`` without data.

        Args:
            n_visible: number of visible units.
            n_hidden: number of hidden units.
            rng: the random source.
            scale: standard deviation of the initial weights, >= 0.
            data: optional training data of shape ``(n, n_visible)`` with entries 0/1.
        """
        n_visible = check_int(n_visible, "n_visible")
        n_hidden = check_int(n_hidden, "n_hidden")
        rng = check_rng(rng)
        scale = check_nonnegative(scale, "scale")
        b = np.zeros(n_visible)
        if data is not None:
            p = np.clip(_check_binary(data, "data", n_visible).mean(axis=0), 0.01, 0.99)
            b = np.log(p / (1 - p))
        W = scale * rng.standard_normal((n_visible, n_hidden))
        return cls(W=W, b=b, c=np.zeros(n_hidden))

    def copy(self) -> RBM:
        return RBM(W=self.W.copy(), b=self.b.copy(), c=self.c.copy())


def _check_rbm(rbm: object) -> RBM:
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm must be a boltzmann.RBM, got {type(rbm).__name__}")
    return rbm


def _check_binary(x: object, name: str, n_units: int) -> np.ndarray:
    """Return ``x`` as float64 of shape (n, n_units) after checking it holds only 0 and 1."""
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array of 0/1 of shape (n, {n_units}), got "
            f"{type(x).__name__}"
        )
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold the numbers 0 and 1, got dtype {x.dtype}")
    if x.ndim != 2 or x.shape[1] != n_units or x.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n, {n_units}) with n >= 1, got {x.shape}"
        )
    if not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{name} must hold only 0 and 1 (NaN is refused)")
    return x.astype(np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _bernoulli(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (rng.random(p.shape) < p).astype(np.float64)


def energy(rbm: RBM, v: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``E(v, h) = -b.v - c.h - v.W.h`` for each pair of rows.

    Args:
        rbm: the machine.
        v: visible states, 0/1, shape ``(n, n_visible)``.
        h: hidden states, 0/1, shape ``(n, n_hidden)``.

    Returns:
        float64 array of shape ``(n,)``.
    """
    rbm = _check_rbm(rbm)
    v = _check_binary(v, "v", rbm.n_visible)
    h = _check_binary(h, "h", rbm.n_hidden)
    if len(v) != len(h):
        raise ValueError(f"v and h must have as many rows, got {len(v)} and {len(h)}")
    return -v @ rbm.b - h @ rbm.c - np.einsum("ni,ij,nj->n", v, rbm.W, h)


def free_energy(rbm: RBM, v: np.ndarray) -> np.ndarray:
    """The free energy ``F(v) = -b.v - sum_j softplus(c_j + (v W)_j)``, ``p(v) ~ e^{-F(v)}``.

    Args:
        rbm: the machine.
        v: visible states, 0/1, shape ``(n, n_visible)``.

    Returns:
        float64 array of shape ``(n,)``.
    """
    rbm = _check_rbm(rbm)
    v = _check_binary(v, "v", rbm.n_visible)
    return -v @ rbm.b - _softplus(rbm.c + v @ rbm.W).sum(axis=1)


def hidden_probabilities(rbm: RBM, v: np.ndarray) -> np.ndarray:
    """``p(h_j = 1 | v) = sigmoid(c_j + (v W)_j)``, shape ``(n, n_hidden)``.

    Args:
        rbm: the machine.
        v: visible states (0/1, or probabilities in [0, 1]), shape ``(n, n_visible)``.
    """
    rbm = _check_rbm(rbm)
    v = _check_unit_interval(v, "v", rbm.n_visible)
    return _sigmoid(rbm.c + v @ rbm.W)


def visible_probabilities(rbm: RBM, h: np.ndarray) -> np.ndarray:
    """``p(v_i = 1 | h) = sigmoid(b_i + (W h)_i)``, shape ``(n, n_visible)``.

    Args:
        rbm: the machine.
        h: hidden states (0/1, or probabilities in [0, 1]), shape ``(n, n_hidden)``.
    """
    rbm = _check_rbm(rbm)
    h = _check_unit_interval(h, "h", rbm.n_hidden)
    return _sigmoid(rbm.b + h @ rbm.W.T)


def _check_unit_interval(x: object, name: str, n_units: int) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numpy array of numbers in [0, 1]")
    if x.ndim != 2 or x.shape[1] != n_units or x.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n, {n_units}) with n >= 1, got {x.shape}"
        )
    if not np.all((x >= 0) & (x <= 1)):
        raise ValueError(f"{name} must lie in [0, 1] (NaN is refused)")
    return x.astype(np.float64)


def gibbs_chain(
    rbm: RBM, v: np.ndarray, n_steps: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Block Gibbs sampling: ``n_steps`` times h ~ p(h | v), then v ~ p(v | h).

    Every row of ``v`` is an independent chain. The chain's stationary distribution is the
    machine's ``p(v, h)``.

    Args:
        rbm: the machine.
        v: starting visible states, 0/1, shape ``(n, n_visible)``.
        n_steps: number of full steps, >= 0.
        rng: the random source.

    Returns:
        ``(v, p_v)``: the final binary visible states and the probabilities
        ``p(v = 1 | h)`` they were drawn from (the input itself when ``n_steps == 0``).
    """
    rbm = _check_rbm(rbm)
    v = _check_binary(v, "v", rbm.n_visible)
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    rng = check_rng(rng)
    p_v = v
    for _ in range(n_steps):
        h = _bernoulli(_sigmoid(rbm.c + v @ rbm.W), rng)
        p_v = _sigmoid(rbm.b + h @ rbm.W.T)
        v = _bernoulli(p_v, rng)
    return v, p_v


def cd_update(
    rbm: RBM,
    batch: np.ndarray,
    k: int,
    learning_rate: float,
    rng: np.random.Generator,
    weight_decay: float = 0.0,
) -> dict[str, float]:
    """One step of contrastive divergence CD-k on a mini-batch; updates ``rbm`` in place.

    The gradient of the mean log-likelihood is ``<v h^T>_data - <v h^T>_model``; CD-k
    replaces the model average by the average over ``k`` steps of block Gibbs sampling
    started at the data. As in Hinton's practical guide, the hidden statistics use the
    probabilities ``p(h = 1 | v)`` rather than binary samples (less noise, same mean).

    Args:
        rbm: the machine, changed in place.
        batch: training vectors, 0/1, shape ``(n, n_visible)``.
        k: number of Gibbs steps of the negative phase, >= 1.
        learning_rate: step size, > 0.
        rng: the random source.
        weight_decay: L2 penalty on ``W`` (added to the update as ``-weight_decay * W``).

    Returns:
        ``{"reconstruction_error": mean squared difference between the batch and its
        one-step reconstruction p(v | h), "update_norm": norm of the weight change}``.
    """
    rbm, v_data = _check_rbm(rbm), _check_binary(batch, "batch", rbm.n_visible)
    k, rng = check_int(k, "k"), check_rng(rng)
    lr = check_positive(learning_rate, "learning_rate")
    decay = check_nonnegative(weight_decay, "weight_decay")

    # positive phase: the data and the hidden units they switch on
    p_h_data = _sigmoid(rbm.c + v_data @ rbm.W)
    # negative phase: k steps of block Gibbs sampling started at the data
    h = _bernoulli(p_h_data, rng)
    for step in range(k):
        p_v = _sigmoid(rbm.b + h @ rbm.W.T)
        if step == 0:
            reconstruction = p_v
        v_model = _bernoulli(p_v, rng)
        p_h_model = _sigmoid(rbm.c + v_model @ rbm.W)
        h = _bernoulli(p_h_model, rng)
    # the estimated gradient: data term minus model term
    n = len(v_data)
    dW = (v_data.T @ p_h_data - v_model.T @ p_h_model) / n - decay * rbm.W
    db = (v_data - v_model).mean(axis=0)
    dc = (p_h_data - p_h_model).mean(axis=0)
    rbm.W += lr * dW
    rbm.b += lr * db
    rbm.c += lr * dc
    return {
        "reconstruction_error": float(np.mean((v_data - reconstruction) ** 2)),
        "update_norm": float(lr * np.linalg.norm(dW)),
    }


@dataclass
class History:
    """What :func:`train` records per epoch.

    Attributes:
        reconstruction_error: mean over the epoch's batches.
        log_likelihood: exact mean log-likelihood of the training data (nats per sample)
            after each epoch, when ``track_log_likelihood`` was set (else empty); entry 0 is
            before training.
    """

    reconstruction_error: list[float] = field(default_factory=list)
    log_likelihood: list[float] = field(default_factory=list)


def train(
    rbm: RBM,
    data: np.ndarray,
    n_epochs: int,
    batch_size: int,
    learning_rate: float,
    rng: np.random.Generator,
    k: int = 1,
    weight_decay: float = 0.0,
    track_log_likelihood: bool = False,
) -> History:
    """Train ``rbm`` in place by CD-k on shuffled mini-batches of ``data``.

    Args:
        rbm: the machine, changed in place.
        data: training vectors, 0/1, shape ``(n, n_visible)``.
        n_epochs: passes over the data, >= 1.
        batch_size: vectors per update, >= 1 (the last batch of an epoch may be smaller).
        learning_rate: step size, > 0.
        rng: the random source (shuffling and Gibbs sampling).
        k: Gibbs steps per update (CD-k).
        weight_decay: L2 penalty on the weights.
        track_log_likelihood: record the exact log-likelihood of ``data`` after each epoch
            (only for machines whose smaller layer has at most MAX_ENUMERATED_UNITS units).

    Returns:
        The :class:`History`.

    Raises:
        FloatingPointError: when the parameters become NaN or infinite (learning rate too
            large).
    """
    rbm, data = _check_rbm(rbm), _check_binary(data, "data", rbm.n_visible)
    n_epochs = check_int(n_epochs, "n_epochs")
    batch_size = check_int(batch_size, "batch_size")
    rng = check_rng(rng)
    history = History()
    if track_log_likelihood:
        history.log_likelihood.append(exact_log_likelihood(rbm, data))
    for epoch in range(n_epochs):
        order = rng.permutation(len(data))
        errors = []
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is raised below
            for start in range(0, len(data), batch_size):
                batch = data[order[start : start + batch_size]]
                stats = cd_update(rbm, batch, k, learning_rate, rng, weight_decay)
                errors.append(stats["reconstruction_error"])
        if not all(np.all(np.isfinite(a)) for a in (rbm.W, rbm.b, rbm.c)):
            raise FloatingPointError(
                f"the RBM's parameters became NaN or infinite in epoch {epoch}: lower the "
                "learning rate"
            )
        history.reconstruction_error.append(float(np.mean(errors)))
        if track_log_likelihood:
            history.log_likelihood.append(exact_log_likelihood(rbm, data))
    return history


def _all_binary(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def log_partition_function(rbm: RBM) -> float:
    """``ln Z`` exactly, by enumerating all states of the smaller layer.

    With ``n_hidden <= n_visible``: ``ln Z = logsumexp_h [c.h + sum_i softplus(b_i +
    (W h)_i)]``; otherwise ``ln Z = logsumexp_v [-F(v)]``. At most 2**20 terms.

    Args:
        rbm: the machine; its smaller layer has at most MAX_ENUMERATED_UNITS units.
    """
    rbm = _check_rbm(rbm)
    n_small = min(rbm.n_visible, rbm.n_hidden)
    if n_small > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"the smaller layer has {n_small} units; enumeration is limited to "
            f"{MAX_ENUMERATED_UNITS}"
        )
    if rbm.n_hidden <= rbm.n_visible:
        h = _all_binary(rbm.n_hidden)
        terms = h @ rbm.c + _softplus(rbm.b + h @ rbm.W.T).sum(axis=1)
    else:
        terms = -free_energy(rbm, _all_binary(rbm.n_visible))
    top = terms.max()
    return float(top + np.log(np.exp(terms - top).sum()))


def exact_log_likelihood(rbm: RBM, data: np.ndarray) -> float:
    """Mean log-likelihood ``(1/n) sum ln p(v)`` of ``data``, in nats per sample, exactly.

    ``ln p(v) = -F(v) - ln Z`` with ``ln Z`` from :func:`log_partition_function`.

    Args:
        rbm: the machine (smaller layer at most MAX_ENUMERATED_UNITS units).
        data: visible vectors, 0/1, shape ``(n, n_visible)``.
    """
    rbm = _check_rbm(rbm)
    data = _check_binary(data, "data", rbm.n_visible)
    return float(-free_energy(rbm, data).mean() - log_partition_function(rbm))
