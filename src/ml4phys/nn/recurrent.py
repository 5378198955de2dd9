"""Recurrent networks written out: the vanilla RNN and the LSTM cell, in PyTorch's layout.

The functions here spell out what ``torch.nn.RNN``, ``torch.nn.LSTMCell`` and ``torch.nn.LSTM``
compute, in PyTorch's own parameter layout, so that weights can be copied between the two and
the results compared (the tests do exactly that, for outputs and gradients).

Conventions: sequences are batch-first, ``(batch, time, features)``, as with
``batch_first=True`` in PyTorch. The LSTM's four gates are stacked in PyTorch's order
**i, f, g, o** (input gate, forget gate, cell candidate, output gate) along the first axis of
``weight_ih`` ``(4 H, n_in)``, ``weight_hh`` ``(4 H, H)`` and the biases ``(4 H,)``.

A small sequence model (:class:`SequenceModel`) is used by chapter 8 and its exercises; the
memory tasks it learns are in :mod:`ml4phys.data.tasks`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from ml4phys._validation import check_int

__all__ = [
    "LSTMWeights",
    "lstm_cell",
    "lstm_forward",
    "from_torch",
    "LSTMCellScratch",
    "vanilla_rnn",
    "SequenceModel",
]


class LSTMWeights(NamedTuple):
    """The parameters of one LSTM layer in PyTorch's layout (gate order i, f, g, o).

    Attributes:
        weight_ih: ``(4 H, n_in)``, input-to-gates weights.
        weight_hh: ``(4 H, H)``, hidden-to-gates weights.
        bias_ih: ``(4 H,)`` or None.
        bias_hh: ``(4 H,)`` or None.
    """

    weight_ih: torch.Tensor
    weight_hh: torch.Tensor
    bias_ih: torch.Tensor | None = None
    bias_hh: torch.Tensor | None = None


def _check_weights(weights: object) -> LSTMWeights:
    if isinstance(weights, tuple) and not isinstance(weights, LSTMWeights):
        weights = LSTMWeights(*weights)
    if not isinstance(weights, LSTMWeights):
        raise TypeError(
            "weights must be an LSTMWeights(weight_ih, weight_hh, bias_ih, bias_hh) or a tuple "
            f"of those tensors, got {type(weights).__name__}"
        )
    w_ih, w_hh = weights.weight_ih, weights.weight_hh
    if not (isinstance(w_ih, torch.Tensor) and isinstance(w_hh, torch.Tensor)):
        raise TypeError("weight_ih and weight_hh must be torch tensors")
    if w_hh.ndim != 2 or w_hh.shape[0] != 4 * w_hh.shape[1]:
        raise ValueError(f"weight_hh must have shape (4 H, H), got {tuple(w_hh.shape)}")
    if w_ih.ndim != 2 or w_ih.shape[0] != w_hh.shape[0]:
        raise ValueError(
            f"weight_ih must have shape (4 H, n_in) = ({w_hh.shape[0]}, n_in), got {tuple(w_ih.shape)}"
        )
    for name in ("bias_ih", "bias_hh"):
        b = getattr(weights, name)
        if b is not None and (
            not isinstance(b, torch.Tensor) or tuple(b.shape) != (w_hh.shape[0],)
        ):
            raise ValueError(
                f"{name} must be None or a tensor of shape ({w_hh.shape[0]},)"
            )
    return weights


def lstm_cell(
    x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, weights: LSTMWeights
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of an LSTM cell, as ``torch.nn.LSTMCell`` computes it.

    .. math::
        i = \\sigma(z_i),\\; f = \\sigma(z_f),\\; g = \\tanh(z_g),\\; o = \\sigma(z_o),
        \\qquad z = W_{ih} x + b_{ih} + W_{hh} h + b_{hh},

        c' = f \\odot c + i \\odot g, \\qquad h' = o \\odot \\tanh(c').

    Args:
        x: input, ``(batch, n_in)``.
        h: hidden state, ``(batch, H)``.
        c: cell state, ``(batch, H)``.
        weights: an :class:`LSTMWeights` (gate order i, f, g, o).

    Returns:
        ``(h_new, c_new)``, each ``(batch, H)``.
    """
    weights = _check_weights(weights)
    hidden = weights.weight_hh.shape[1]
    n_in = weights.weight_ih.shape[1]
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"x must have shape (batch, {n_in}), got {tuple(x.shape)}")
    if h.shape != (x.shape[0], hidden) or c.shape != (x.shape[0], hidden):
        raise ValueError(
            f"h and c must have shape ({x.shape[0]}, {hidden}), "
            f"got {tuple(h.shape)} and {tuple(c.shape)}"
        )
    z = x @ weights.weight_ih.T + h @ weights.weight_hh.T  # (batch, 4 H)
    if weights.bias_ih is not None:
        z = z + weights.bias_ih
    if weights.bias_hh is not None:
        z = z + weights.bias_hh
    z_i, z_f, z_g, z_o = z.chunk(4, dim=1)  # each (batch, H)
    i, f, g, o = (
        torch.sigmoid(z_i),
        torch.sigmoid(z_f),
        torch.tanh(z_g),
        torch.sigmoid(z_o),
    )
    c_new = f * c + i * g  # the cell state: additive update
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def lstm_forward(
    X: torch.Tensor,
    weights: LSTMWeights,
    state: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Run :func:`lstm_cell` over a sequence, like a one-layer ``nn.LSTM(batch_first=True)``.

    Args:
        X: inputs, ``(batch, time, n_in)``.
        weights: the layer's :class:`LSTMWeights`.
        state: initial ``(h0, c0)``, each ``(batch, H)``; zeros when None.

    Returns:
        ``(H_all, (h_T, c_T))``: the hidden states ``(batch, time, H)`` and the final state.
    """
    weights = _check_weights(weights)
    if not isinstance(X, torch.Tensor) or X.ndim != 3:
        raise ValueError("X must be a tensor of shape (batch, time, n_in)")
    hidden = weights.weight_hh.shape[1]
    if state is None:
        h = X.new_zeros(X.shape[0], hidden)
        c = X.new_zeros(X.shape[0], hidden)
    else:
        h, c = state
    outputs = []
    for t in range(X.shape[1]):
        h, c = lstm_cell(X[:, t], h, c, weights)
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h, c)


def from_torch(module: nn.Module, layer: int = 0) -> LSTMWeights:
    """Copy the weights of ``nn.LSTMCell`` or of one layer of ``nn.LSTM``.

    Args:
        module: an ``nn.LSTMCell``, or an ``nn.LSTM`` (unidirectional, no projection).
        layer: which layer of an ``nn.LSTM``.

    Returns:
        :class:`LSTMWeights` holding detached copies (changing them leaves ``module`` alone).
    """
    if isinstance(module, nn.LSTMCell):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    elif isinstance(module, nn.LSTM):
        if module.bidirectional or module.proj_size:
            raise ValueError(
                "from_torch supports unidirectional nn.LSTM without projections"
            )
        layer = check_int(layer, "layer", minimum=0)
        if layer >= module.num_layers:
            raise ValueError(
                f"layer must be < num_layers = {module.num_layers}, got {layer}"
            )
        names = tuple(
            f"{n}_l{layer}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )
    else:
        raise TypeError(
            f"module must be nn.LSTMCell or nn.LSTM, got {type(module).__name__}"
        )
    tensors = [getattr(module, n, None) for n in names]
    return LSTMWeights(*(None if t is None else t.detach().clone() for t in tensors))


class LSTMCellScratch(nn.Module):
    """An LSTM cell with the parameters and the initialisation of ``nn.LSTMCell``.

    Args:
        input_size: ``n_in``.
        hidden_size: ``H``.
        bias: whether to have the biases ``bias_ih`` and ``bias_hh``.
        generator: a ``torch.Generator`` for the initialisation, uniform in
            :math:`[-1/\\sqrt H, 1/\\sqrt H]`; the global generator when None.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size")
        self.hidden_size = check_int(hidden_size, "hidden_size")
        H = self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * H, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H))
        self.bias_ih = nn.Parameter(torch.empty(4 * H)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(4 * H)) if bias else None
        bound = 1 / math.sqrt(H)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    @property
    def weights(self) -> LSTMWeights:
        """The parameters as :class:`LSTMWeights` (the parameters themselves, not copies)."""
        return LSTMWeights(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    def load_from_torch(self, cell: nn.LSTMCell) -> LSTMCellScratch:
        """Copy the weights of an ``nn.LSTMCell`` of the same sizes into this cell; returns self."""
        copied = from_torch(cell)
        with torch.no_grad():
            for name, value in copied._asdict().items():
                own = getattr(self, name)
                if (own is None) != (value is None):
                    raise ValueError(f"{name}: one cell has biases and the other not")
                if own is not None:
                    if own.shape != value.shape:
                        raise ValueError(
                            f"{name}: shapes {tuple(own.shape)} and {tuple(value.shape)} differ"
                        )
                    own.copy_(value)
        return self

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``x`` ``(batch, n_in)``, ``state = (h, c)`` (zeros when None) -> ``(h, c)``."""
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        return lstm_cell(x, state[0], state[1], self.weights)


def vanilla_rnn(
    X: torch.Tensor,
    W: torch.Tensor,
    U: torch.Tensor,
    b: torch.Tensor,
    h0: torch.Tensor | None = None,
) -> torch.Tensor:
    """The Elman network :math:`h_t = \\tanh(W h_{t-1} + U x_t + b)` unrolled in time.

    ``nn.RNN`` computes the same with ``W = weight_hh_l0``, ``U = weight_ih_l0`` and
    ``b = bias_ih_l0 + bias_hh_l0``.

    Args:
        X: inputs ``(batch, time, n_in)``.
        W: recurrent weights ``(H, H)``.
        U: input weights ``(H, n_in)``.
        b: bias ``(H,)``.
        h0: initial state ``(batch, H)``; zeros when None.

    Returns:
        The hidden states :math:`h_1, \\dots, h_T`, ``(batch, time, H)``.
    """
    if not isinstance(X, torch.Tensor) or X.ndim != 3:
        raise ValueError("X must be a tensor of shape (batch, time, n_in)")
    H = W.shape[0]
    if W.shape != (H, H) or U.shape != (H, X.shape[2]) or b.shape != (H,):
        raise ValueError(
            f"expected W (H, H), U (H, {X.shape[2]}), b (H,); got {tuple(W.shape)}, "
            f"{tuple(U.shape)}, {tuple(b.shape)}"
        )
    h = X.new_zeros(X.shape[0], H) if h0 is None else h0
    states = []
    for t in range(X.shape[1]):
        h = torch.tanh(h @ W.T + X[:, t] @ U.T + b)
        states.append(h)
    return torch.stack(states, dim=1)


class SequenceModel(nn.Module):
    """A recurrent layer (``"rnn"``, ``"lstm"`` or ``"gru"``) and a linear read-out per time step.

    Args:
        n_in: input features per time step.
        n_hidden: size of the hidden state.
        n_out: outputs per time step.
        cell: ``"rnn"`` (tanh Elman network), ``"lstm"`` or ``"gru"``.
        num_layers: stacked recurrent layers.
        forget_bias: for ``"lstm"``, added to the forget gate's bias ``bias_hh`` at
            initialisation, so that :math:`f = \\sigma(\\cdot)` starts close to 1 and the cell
            remembers by default (Jozefowicz et al. 2015 recommend a positive value); 0 leaves
            PyTorch's initialisation as it is.

    ``forward(X)`` maps ``(batch, time, n_in)`` to ``(batch, time, n_out)``.
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        n_out: int,
        cell: str = "lstm",
        num_layers: int = 1,
        forget_bias: float = 0.0,
    ) -> None:
        super().__init__()
        classes = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in classes:
            raise ValueError(f'cell must be "rnn", "lstm" or "gru", got {cell!r}')
        self.cell = cell
        self.rnn = classes[cell](
            check_int(n_in, "n_in"),
            check_int(n_hidden, "n_hidden"),
            num_layers=check_int(num_layers, "num_layers"),
            batch_first=True,
        )
        self.readout = nn.Linear(n_hidden, check_int(n_out, "n_out"))
        if forget_bias:
            if cell != "lstm":
                raise ValueError("forget_bias is only defined for cell='lstm'")
            with torch.no_grad():
                for layer in range(num_layers):
                    getattr(self.rnn, f"bias_hh_l{layer}")[n_hidden : 2 * n_hidden] += (
                        forget_bias
                    )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        H_all, _ = self.rnn(X)  # (batch, time, n_hidden)
        return self.readout(H_all)  # (batch, time, n_out)
