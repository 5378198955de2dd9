"""Attention and small transformers, written out from their definitions (chapter 9).

The pieces of a decoder-only ("GPT-like") transformer, each small enough to read in one go:

- :func:`sinusoidal_positional_encoding` and :func:`positional_rotation`, the fixed position
  code of Vaswani et al. (2017) and the rotation that shifts it by ``k`` positions;
- :func:`scaled_dot_product_attention`, ``softmax(q k^T / sqrt(d_k)) v`` with an optional mask,
  returning the attention weights as well; :func:`causal_mask`;
- :class:`MultiHeadAttention`, :class:`TransformerBlock` (pre-layer-norm, MLP, residuals) and
  :class:`TinyGPT`, a character-level autoregressive model with :meth:`TinyGPT.generate`;
- :func:`sample_with_temperature`, sampling from ``p_i ∝ exp(z_i / T)``;
- :func:`train_next_token`, a short training loop for next-token prediction.

Masks follow PyTorch's boolean convention: ``True`` marks a key that a query *may* attend to.
The tests compare these functions with :func:`torch.nn.functional.scaled_dot_product_attention`
and :class:`torch.nn.MultiheadAttention`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ml4phys._validation import check_int, check_nonnegative

__all__ = [
    "sinusoidal_positional_encoding",
    "positional_rotation",
    "scaled_dot_product_attention",
    "causal_mask",
    "MultiHeadAttention",
    "TransformerBlock",
    "TinyGPT",
    "sample_with_temperature",
    "train_next_token",
]


def _check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            "generator must be a torch.Generator (e.g. torch.Generator().manual_seed(0)) or None, "
            f"got {type(generator).__name__}"
        )
    return generator


# ----------------------------------------------------------------------------------------------
# Positions
# ----------------------------------------------------------------------------------------------


def sinusoidal_positional_encoding(
    n_positions: int, d_model: int, base: float = 10000.0
) -> torch.Tensor:
    """The sinusoidal positional encoding of Vaswani et al. (2017).

    ``PE[t, 2i] = sin(t * omega_i)`` and ``PE[t, 2i + 1] = cos(t * omega_i)`` with the
    frequencies ``omega_i = base ** (-2 i / d_model)``, ``i = 0, ..., d_model / 2 - 1``.

    Args:
        n_positions: number of positions ``t = 0, ..., n_positions - 1``.
        d_model: dimension of the code, even.
        base: the wavelength scale (10000 in the paper).

    Returns:
        float32 tensor of shape ``(n_positions, d_model)``.

    Raises:
        ValueError: ``d_model`` odd, non-positive sizes or base <= 1.
    """
    n_positions = check_int(n_positions, "n_positions")
    d_model = check_int(d_model, "d_model", minimum=2)
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine and cosine pairs), got {d_model}")
    if not base > 1:
        raise ValueError(f"base must be > 1, got {base}")
    t = torch.arange(n_positions, dtype=torch.float64)[:, None]  # (T, 1)
    omega = base ** (
        -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model
    )  # (d/2,)
    pe = torch.empty(n_positions, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(t * omega)
    pe[:, 1::2] = torch.cos(t * omega)
    return pe.to(torch.float32)


def positional_rotation(k: float, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The matrix ``R_k`` with ``PE(t + k) = R_k PE(t)`` for every position ``t``.

    ``R_k`` is block diagonal; block ``i`` acts on the pair ``(sin, cos)`` of frequency
    ``omega_i`` as ``[[cos k omega_i, sin k omega_i], [-sin k omega_i, cos k omega_i]]``, a
    rotation by the angle ``-k omega_i``. It depends on the offset ``k`` but not on ``t``.

    Args:
        k: the offset (any real number; integers in use).
        d_model: dimension of the code, even.
        base: as in :func:`sinusoidal_positional_encoding`.

    Returns:
        float64 tensor of shape ``(d_model, d_model)``, orthogonal.
    """
    d_model = check_int(d_model, "d_model", minimum=2)
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    c, s = torch.cos(k * omega), torch.sin(k * omega)
    R = torch.zeros(d_model, d_model, dtype=torch.float64)
    idx = torch.arange(0, d_model, 2)
    R[idx, idx] = c
    R[idx, idx + 1] = s
    R[idx + 1, idx] = -s
    R[idx + 1, idx + 1] = c
    return R


# ----------------------------------------------------------------------------------------------
# Attention
# ----------------------------------------------------------------------------------------------


def causal_mask(n: int) -> torch.Tensor:
    """Boolean causal mask: query ``t`` may attend to the keys ``s <= t``.

    Args:
        n: sequence length.

    Returns:
        bool tensor of shape ``(n, n)``, ``True`` on and below the diagonal.
    """
    n = check_int(n, "n")
    return torch.ones(n, n, dtype=torch.bool).tril()


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(q k^T / sqrt(d_k)) v``, the attention of Vaswani et al. (2017).

    Args:
        q: queries, shape ``(..., n_q, d_k)``.
        k: keys, shape ``(..., n_k, d_k)``.
        v: values, shape ``(..., n_k, d_v)``.
        mask: optional, broadcastable to ``(..., n_q, n_k)``; boolean (``True`` = may attend,
            PyTorch's convention) or a float tensor added to the scores (``-inf`` blocks).
            Every query must be allowed at least one key.

    Returns:
        ``(out, weights)``: ``out`` of shape ``(..., n_q, d_v)``, the attention weights of shape
        ``(..., n_q, n_k)`` (each row sums to one).

    Raises:
        ValueError: mismatched shapes, or a mask that blocks every key of some query.
    """
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim < 2:
            raise ValueError(
                f"{name} must have shape (..., n, d), got {tuple(x.shape)}"
            )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k need the same last dimension d_k, got {q.shape[-1]} and {k.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v need the same number of keys, got {k.shape[-2]} and {v.shape[-2]}"
        )
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., n_q, n_k)
    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            raise TypeError(
                f"mask must be a torch.Tensor or None, got {type(mask).__name__}"
            )
        if mask.dtype == torch.bool:
            if not bool(mask.any(dim=-1).all()):
                raise ValueError(
                    "the mask blocks every key of some query (a row with no True)"
                )
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Multi-head attention with ``n_heads`` heads of size ``d_model / n_heads``.

    Each head ``h`` attends with its own projections ``q_h = x W_q^h``, ``k_h = c W_k^h``,
    ``v_h = c W_v^h`` (``c = x`` for self-attention, a context for cross-attention); the heads'
    outputs are concatenated and mixed by ``out_proj``. The parameters are laid out so that
    the weights of a :class:`torch.nn.MultiheadAttention` can be copied in
    (see :meth:`load_from_torch`).

    Args:
        d_model: width of the token vectors.
        n_heads: number of heads; must divide ``d_model``.
        bias: whether the projections have biases.
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        super().__init__()
        d_model = check_int(d_model, "d_model")
        n_heads = check_int(n_heads, "n_heads")
        if d_model % n_heads:
            raise ValueError(f"n_heads = {n_heads} must divide d_model = {d_model}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, n, _ = x.shape
        return x.view(batch, n, self.n_heads, self.d_head).transpose(
            1, 2
        )  # (batch, heads, n, d_head)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``x`` to ``context`` (to ``x`` itself when ``context`` is None).

        Args:
            x: queries' tokens, shape ``(batch, n, d_model)``.
            context: keys' and values' tokens, shape ``(batch, m, d_model)``, or None.
            mask: boolean, broadcastable to ``(batch, n_heads, n, m)``,
                ``True`` = may attend; e.g. :func:`causal_mask` ``(n)``.

        Returns:
            ``(out, weights)``: ``out`` of shape ``(batch, n, d_model)`` and the
            attention weights of every head, shape ``(batch, n_heads, n, m)``.
        """
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"x must have shape (batch, n, {self.d_model}), got {tuple(x.shape)}"
            )
        context = x if context is None else context
        q = self._split(self.q_proj(x))  # (batch, heads, n, d_head)
        k = self._split(self.k_proj(context))  # (batch, heads, m, d_head)
        v = self._split(self.v_proj(context))  # (batch, heads, m, d_head)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        batch, _, n, _ = out.shape
        # concatenate the heads
        out = out.transpose(1, 2).reshape(batch, n, self.d_model)
        return self.out_proj(out), weights

    @torch.no_grad()
    def load_from_torch(self, reference: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a ``torch.nn.MultiheadAttention(d_model, n_heads)`` into this one.

        Returns:
            ``self``, for chaining.
        """
        if reference.embed_dim != self.d_model or reference.num_heads != self.n_heads:
            raise ValueError("the reference must have the same d_model and n_heads")
        w_q, w_k, w_v = reference.in_proj_weight.chunk(3, dim=0)
        for layer, w in ((self.q_proj, w_q), (self.k_proj, w_k), (self.v_proj, w_v)):
            layer.weight.copy_(w)
        self.out_proj.weight.copy_(reference.out_proj.weight)
        if reference.in_proj_bias is not None and self.q_proj.bias is not None:
            b_q, b_k, b_v = reference.in_proj_bias.chunk(3)
            for layer, b in (
                (self.q_proj, b_q),
                (self.k_proj, b_k),
                (self.v_proj, b_v),
            ):
                layer.bias.copy_(b)
            self.out_proj.bias.copy_(reference.out_proj.bias)
        return self


class TransformerBlock(nn.Module):
    """A pre-layer-norm transformer block: ``x + attn(LN(x))``, then ``x + MLP(LN(x))``.

    Args:
        d_model: width of the token vectors.
        n_heads: number of attention heads.
        mlp_ratio: hidden width of the MLP in units of ``d_model``.
    """

    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int = 4) -> None:
        super().__init__()
        mlp_ratio = check_int(mlp_ratio, "mlp_ratio")
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model),
            nn.GELU(),
            nn.Linear(mlp_ratio * d_model, d_model),
        )

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Args: ``x`` of shape ``(batch, n, d_model)``, an optional boolean mask.

        Returns:
            ``(x, weights)``: the new token vectors, same shape, and the attention
            weights ``(batch, n_heads, n, n)``.
        """
        a, weights = self.attn(self.ln1(x), mask=mask)
        x = x + a  # residual around attention
        x = x + self.mlp(self.ln2(x))  # residual around the MLP
        return x, weights


class TinyGPT(nn.Module):
    """A small decoder-only transformer for next-token prediction.

    Token embedding plus a positional code, ``n_layers`` causal :class:`TransformerBlock` s, a
    final layer norm and a linear read-out to one logit per vocabulary entry.

    Args:
        vocab_size: number of distinct tokens.
        d_model: width of the token vectors.
        n_heads: attention heads per block.
        n_layers: number of blocks.
        max_len: longest sequence the model accepts.
        positional: ``"learned"`` (a trained embedding per position), ``"sinusoidal"``
            ``"learned"`` (a trained vector per position) or ``"none"``.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        max_len: int = 32,
        positional: str = "sinusoidal",
    ) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size")
        self.max_len = check_int(max_len, "max_len")
        n_layers = check_int(n_layers, "n_layers")
        if positional not in ("learned", "sinusoidal", "none"):
            raise ValueError(
                f'positional must be "learned", "sinusoidal" or "none", got {positional!r}'
            )
        self.positional = positional
        self.token_embedding = nn.Embedding(self.vocab_size, d_model)
        if positional == "learned":
            self.position_embedding = nn.Parameter(
                0.02 * torch.randn(self.max_len, d_model)
            )
        elif positional == "sinusoidal":
            self.register_buffer(
                "position_embedding",
                sinusoidal_positional_encoding(self.max_len, d_model),
            )
        else:
            self.register_buffer(
                "position_embedding", torch.zeros(self.max_len, d_model)
            )
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads) for _ in range(n_layers)
        )
        self.ln_final = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, self.vocab_size)
        self.register_buffer("mask", causal_mask(self.max_len), persistent=False)

    def forward(
        self, idx: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits for the next token at every position.

        Args:
            idx: token indices, int64 of shape ``(batch, n)`` with ``n <= max_len``.
            return_attention: also return the attention weights.

        Returns:
            logits of shape ``(batch, n, vocab_size)``: ``logits[:, t]`` predicts token ``t + 1``
            from tokens ``0..t``; with ``return_attention`` also a list with one tensor
            ``(batch, n_heads, n, n)`` per layer.
        """
        if idx.ndim != 2 or idx.dtype != torch.long:
            raise ValueError(
                f"idx must be an int64 tensor of shape (batch, n), got {idx.dtype} {tuple(idx.shape)}"
            )
        n = idx.shape[1]
        if n > self.max_len:
            raise ValueError(
                f"sequence of length {n} is longer than max_len = {self.max_len}"
            )
        vocab_size = self.token_embedding.num_embeddings
        if idx.numel() and (idx.min() < 0 or idx.max() >= vocab_size):
            raise ValueError(
                f"token ids must lie in 0..{vocab_size - 1} (the vocabulary), got {int(idx.min())}..{int(idx.max())}"
            )
        x = (
            self.token_embedding(idx) + self.position_embedding[:n]
        )  # (batch, n, d_model)
        mask = self.mask[:n, :n]
        attention = []
        for block in self.blocks:
            x, weights = block(x, mask)
            attention.append(weights)
        logits = self.head(self.ln_final(x))  # (batch, n, vocab)
        return (logits, attention) if return_attention else logits

    @torch.no_grad()
    def generate(
        self,
        prompt: torch.Tensor,
        n_new: int,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Continue ``prompt`` by ``n_new`` tokens, each sampled at ``temperature``.

        Args:
            prompt: int64 tokens, shape ``(batch, n)`` or ``(n,)``.
            n_new: number of tokens to append.
            temperature: ``0`` takes the most likely token (greedy), ``T > 0`` samples from
                ``softmax(logits / T)``.
            generator: the random source for sampling.

        Returns:
            int64 tensor of shape ``(batch, n + n_new)`` (or ``(n + n_new,)``).
        """
        n_new = check_int(n_new, "n_new", minimum=0)
        squeeze = prompt.ndim == 1
        idx = prompt[None] if squeeze else prompt
        was_training = self.training
        self.eval()
        try:
            for _ in range(n_new):
                logits = self(idx[:, -self.max_len :])[:, -1]  # (batch, vocab)
                next_token = sample_with_temperature(logits, temperature, generator)
                idx = torch.cat([idx, next_token[:, None]], dim=1)
        finally:
            self.train(was_training)
        return idx[0] if squeeze else idx


# ----------------------------------------------------------------------------------------------
# Sampling and training
# ----------------------------------------------------------------------------------------------


def sample_with_temperature(
    logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw one index per row from ``p_i ∝ exp(z_i / T)``.

    Args:
        logits: the scores ``z``, shape ``(..., n_classes)``.
        temperature: ``T >= 0``; ``T = 0`` returns the argmax (the limit ``T -> 0``).
        generator: the random source (None: PyTorch's global one).

    Returns:
        int64 tensor of shape ``logits.shape[:-1]``.
    """
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.ndim < 1 or logits.shape[-1] < 1:
        raise ValueError(
            f"logits must have shape (..., n_classes), got {tuple(logits.shape)}"
        )
    temperature = check_nonnegative(temperature, "temperature")
    generator = _check_generator(generator)
    if temperature == 0:
        return logits.argmax(dim=-1)
    p = torch.softmax(logits.detach().double() / temperature, dim=-1)
    flat = p.reshape(-1, p.shape[-1])
    draws = torch.multinomial(flat, 1, generator=generator)[:, 0]
    return draws.reshape(logits.shape[:-1])


def train_next_token(
    model: nn.Module,
    tokens: torch.Tensor,
    n_steps: int,
    batch_size: int = 64,
    lr: float = 3e-3,
    loss_mask: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Train ``model`` to predict each next token, with AdamW on random mini-batches.

    The loss is the cross-entropy between ``model(tokens[:, :-1])`` and ``tokens[:, 1:]``,
    averaged over the positions where ``loss_mask[:, 1:]`` is true (all positions when None),
    so that, for example, only the answer of an arithmetic problem is learned. The learning
    rate decays linearly to 10 % over the run.

    Args:
        model: maps ``(batch, n)`` int64 tokens to logits ``(batch, n, vocab)``.
        tokens: training sequences, int64 of shape ``(n_sequences, n)``.
        n_steps: number of optimizer steps.
        batch_size: sequences per step.
        lr: peak learning rate.
        loss_mask: optional boolean ``(n_sequences, n)``: which *target* tokens count.
        generator: random source for the mini-batches.

    Returns:
        The training loss after every step.
    """
    n_steps = check_int(n_steps, "n_steps")
    batch_size = check_int(batch_size, "batch_size")
    generator = _check_generator(generator)
    if tokens.ndim != 2 or tokens.dtype != torch.long:
        raise ValueError(
            f"tokens must be int64 of shape (n_sequences, n), got {tokens.dtype} {tuple(tokens.shape)}"
        )
    if loss_mask is not None and loss_mask.shape != tokens.shape:
        raise ValueError(
            f"loss_mask must have the shape of tokens {tuple(tokens.shape)}, got {tuple(loss_mask.shape)}"
        )
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1 - 0.9 * step / n_steps
    )
    model.train()
    losses = []
    for _ in range(n_steps):
        rows = torch.randint(len(tokens), (batch_size,), generator=generator)
        batch = tokens[rows]
        logits = model(batch[:, :-1])  # (batch, n-1, vocab)
        loss_per_token = F.cross_entropy(
            logits.transpose(1, 2), batch[:, 1:], reduction="none"
        )
        if loss_mask is None:
            loss = loss_per_token.mean()
        else:
            weight = loss_mask[rows, 1:].to(loss_per_token.dtype)
            loss = (loss_per_token * weight).sum() / weight.sum().clamp(min=1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses
