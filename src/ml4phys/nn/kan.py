"""Kolmogorov-Arnold networks (KANs): B-spline edge functions, pruning, symbolic regression.

A KAN layer with ``n_in`` inputs and ``n_out`` outputs has one learnable function of one
variable on every edge,

    y_j = sum_i phi_{j,i}(x_i),   phi_{j,i}(x) = w_b[j,i] * silu(x) + w_s[j,i] * sum_m c[j,i,m] B_m(x),

where the ``B_m`` are the B-splines of order ``k`` on a uniform grid of ``G`` intervals,
extended by ``k`` knots on each side (Liu et al. 2024, arXiv:2404.19756). This module holds
the pieces written out in chapter 7 of the book and reused by later chapters:

- :func:`uniform_knots`, :func:`bspline_basis`: the knot vector and the Cox-de Boor recursion;
- :class:`KANLayer`, :class:`KAN`: the layer and a stack of layers (torch modules);
- :func:`edge_importance`, :func:`prune`, :func:`sparsity_penalty`: which edges matter;
- :data:`SYMBOLIC_LIBRARY`, :func:`fit_symbolic`, :func:`to_symbolic`: from splines to a formula.

Shapes: a batch of inputs is ``(batch, n_in)``; edge quantities are ``(n_out, n_in)``, in the
order of ``torch.nn.Linear.weight``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
import torch
import torch.nn.functional as F
from scipy.optimize import least_squares
from torch import nn

from ml4phys._validation import check_int, check_range

__all__ = [
    "uniform_knots",
    "bspline_basis",
    "KANLayer",
    "KAN",
    "edge_importance",
    "sparsity_penalty",
    "prune",
    "SymbolicFunction",
    "SYMBOLIC_LIBRARY",
    "fit_symbolic",
    "symbolic_expression",
    "to_symbolic",
]


# ----------------------------------------------------------------------------------------------
# B-splines
# ----------------------------------------------------------------------------------------------


def uniform_knots(
    grid_size: int, spline_order: int, grid_range: Sequence[float] = (-1.0, 1.0)
) -> torch.Tensor:
    """The extended uniform knot vector of ``grid_size`` intervals on ``grid_range``.

    Args:
        grid_size: number of intervals ``G`` of the grid on ``grid_range``.
        spline_order: spline order (polynomial degree) ``k >= 0``.
        grid_range: ``(a, b)``, the interval covered by the grid.

    Returns:
        Knots ``t_0 < ... < t_{G+2k}``, shape ``(G + 2k + 1,)``, float64, with spacing
        ``h = (b - a) / G``, ``t_k = a`` and ``t_{G+k} = b``: the grid extended by ``k`` knots on
        each side, so that all ``G + k`` B-splines are complete on ``[a, b]``.
    """
    G = check_int(grid_size, "grid_size", minimum=1)
    k = check_int(spline_order, "spline_order", minimum=0)
    a, b = check_range(grid_range, "grid_range")
    h = (b - a) / G
    return a + h * torch.arange(-k, G + k + 1, dtype=torch.float64)


def bspline_basis(x: torch.Tensor, grid: torch.Tensor, k: int) -> torch.Tensor:
    """All B-splines of order ``k`` on the knots ``grid``, evaluated at ``x``.

    Computed by the Cox-de Boor recursion. Order 0: ``B_{i,0}(x) = 1`` for
    ``t_i <= x < t_{i+1}``, else 0. Order ``p``:
    ``B_{i,p}(x) = (x - t_i)/(t_{i+p} - t_i) B_{i,p-1}(x)
    + (t_{i+p+1} - x)/(t_{i+p+1} - t_{i+1}) B_{i+1,p-1}(x)``, a fraction with a
    zero denominator counting as 0 (repeated knots).

    Args:
        x: points, shape ``(n,)`` with a 1-D ``grid``, or ``(n, d)`` with a ``(d, m)``
            grid (one knot vector per input) or a shared 1-D grid.
        grid: non-decreasing knots, shape ``(m,)`` or ``(d, m)``; for the uniform
            extended grid of :func:`uniform_knots`, ``m = G + 2k + 1``.
        k: spline order (degree), ``0 <= k <= m - 2``.

    Returns:
        ``B[..., i] = B_{i,k}(x)``, shape ``x.shape + (m - k - 1,)`` (``(n, G + k)``
        on the extended uniform grid), in the dtype of ``x``. The basis is
        differentiable in ``x``.
    """
    if not isinstance(x, torch.Tensor) or not isinstance(grid, torch.Tensor):
        raise TypeError(
            f"x and grid must be torch tensors, got {type(x).__name__} and "
            f"{type(grid).__name__}"
        )
    k = check_int(k, "k", minimum=0)
    if grid.ndim not in (1, 2):
        raise ValueError(
            f"grid must have shape (m,) or (d, m), got {tuple(grid.shape)}"
        )
    m = grid.shape[-1]
    if m < k + 2:
        raise ValueError(f"order k = {k} needs at least k + 2 = {k + 2} knots, got {m}")
    if grid.ndim == 2 and (x.ndim != 2 or x.shape[1] != grid.shape[0]):
        raise ValueError(
            f"a (d, m) grid of shape {tuple(grid.shape)} needs x of shape "
            f"(n, {grid.shape[0]}), got {tuple(x.shape)}"
        )
    if bool((grid[..., 1:] < grid[..., :-1]).any()):
        raise ValueError("the knots in grid must be non-decreasing")
    t = grid.to(x.dtype)
    xe = x.unsqueeze(-1)  # (..., 1) against knots (..., m)
    B = ((xe >= t[..., :-1]) & (xe < t[..., 1:])).to(x.dtype)  # (..., m - 1): order 0
    for p in range(1, k + 1):
        left_den = t[..., p:-1] - t[..., : -p - 1]  # t_{i+p} - t_i, i = 0 .. m-p-2
        right_den = t[..., p + 1 :] - t[..., 1:-p]  # t_{i+p+1} - t_{i+1}
        left = (xe - t[..., : -p - 1]) * _reciprocal(left_den)  # 0/0 counts as 0
        right = (t[..., p + 1 :] - xe) * _reciprocal(right_den)
        B = left * B[..., :-1] + right * B[..., 1:]  # (..., m - p - 1)
    return B


def _reciprocal(den: torch.Tensor) -> torch.Tensor:
    """``1 / den`` where ``den > 0``, else 0 (the convention 0/0 = 0 of repeated knots)."""
    return torch.where(den > 0, 1.0 / torch.where(den > 0, den, 1.0), 0.0)


# ----------------------------------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------------------------------


class KANLayer(nn.Module):
    """A Kolmogorov-Arnold layer: a learnable spline function on every edge, summed at the nodes.

    Edge ``(j, i)`` computes ``phi_{j,i}(x) = w_b[j,i] silu(x) + w_s[j,i] sum_m c[j,i,m] B_m(x)``
    and output ``j`` is ``sum_i mask[j,i] phi_{j,i}(x_i)``.

    Args:
        in_features: number of inputs ``n_in``.
        out_features: number of outputs ``n_out``.
        grid_size: number of grid intervals ``G`` on ``grid_range``.
        spline_order: spline order ``k`` (3: cubic).
        grid_range: ``(a, b)``, the interval the splines cover (each input the same at first;
            :meth:`set_grid` can give each input its own range).
        noise_scale: standard deviation of the initial spline coefficients (small: the layer
            starts close to ``w_b silu(x)``).
        generator: source of the random initialisation; torch's global generator when None.

    Attributes:
        base_weight: ``w_b``, shape ``(n_out, n_in)``, initialised like ``nn.Linear``'s weight.
        spline_weight: ``w_s``, shape ``(n_out, n_in)``, initialised to 1.
        coef: ``c``, shape ``(n_out, n_in, G + k)``.
        grid: buffer, the knots of each input, shape ``(n_in, G + 2k + 1)``.
        mask: buffer, 1 for a live edge and 0 for a pruned one, shape ``(n_out, n_in)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        grid_size: int = 5,
        spline_order: int = 3,
        grid_range: Sequence[float] = (-1.0, 1.0),
        noise_scale: float = 0.1,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features")
        self.out_features = check_int(out_features, "out_features")
        self.grid_size = check_int(grid_size, "grid_size")
        self.spline_order = check_int(spline_order, "spline_order", minimum=0)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator or None, got {type(generator).__name__}"
            )
        knots = uniform_knots(self.grid_size, self.spline_order, grid_range).to(
            torch.float32
        )
        self.register_buffer(
            "grid", knots.repeat(self.in_features, 1)
        )  # (n_in, G + 2k + 1)
        self.register_buffer("mask", torch.ones(self.out_features, self.in_features))
        n_basis = self.grid_size + self.spline_order
        bound = 1.0 / math.sqrt(self.in_features)
        shape = (self.out_features, self.in_features)
        self.base_weight = nn.Parameter(
            (2 * torch.rand(shape, generator=generator) - 1) * bound
        )
        self.spline_weight = nn.Parameter(torch.ones(shape))
        self.coef = nn.Parameter(
            float(noise_scale) * torch.randn((*shape, n_basis), generator=generator)
        )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"grid_size={self.grid_size}, spline_order={self.spline_order}"
        )

    def _check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch tensor, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"x must have shape (batch, {self.in_features}), got {tuple(x.shape)}"
            )

    def basis(self, x: torch.Tensor) -> torch.Tensor:
        """B-splines of each input, shape ``(batch, n_in, G + k)`` for ``x`` of ``(batch, n_in)``."""
        self._check_input(x)
        return bspline_basis(x, self.grid.to(x.dtype), self.spline_order)

    def edge_values(self, x: torch.Tensor) -> torch.Tensor:
        """Every edge's function at its input: ``mask[j,i] phi_{j,i}(x[b, i])``.

        Args:
            x: inputs, shape ``(batch, n_in)``. To plot edge ``(j, i)`` over points
                ``t`` of shape ``(n,)``, pass ``t[:, None].expand(n, n_in)`` and take
                ``[:, j, i]``.

        Returns:
            Shape ``(batch, n_out, n_in)``; the layer's output is its sum over the
            last axis.
        """
        # the spline part of every edge, shape (batch, n_out, n_in)
        spline = torch.einsum("bim,jim->bji", self.basis(x), self.coef)
        base = F.silu(x).unsqueeze(1)  # (batch, 1, n_in)
        return self.mask * (self.base_weight * base + self.spline_weight * spline)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer: ``(batch, n_in) -> (batch, n_out)``.

        The same as ``edge_values(x).sum(-1)``, computed as two matrix products (faster).
        """
        basis = self.basis(x).flatten(1)  # (batch, n_in * (G + k))
        coef = (self.mask * self.spline_weight).unsqueeze(
            -1
        ) * self.coef  # (n_out, n_in, G + k)
        return F.silu(x) @ (self.mask * self.base_weight).T + basis @ coef.flatten(1).T

    @torch.no_grad()
    def fit_edges(
        self, x: torch.Tensor, targets: torch.Tensor, ridge: float = 1e-8
    ) -> None:
        """Set the spline coefficients by least squares so that the edges match ``targets``.

        For every edge, ``w_s[j,i] sum_m c[j,i,m] B_m(x[:, i])`` is fitted to
        ``targets[:, j, i] - w_b[j,i] silu(x[:, i])`` (ridge-regularised normal equations in
        float64). ``w_b`` and ``w_s`` are kept; an edge with ``w_s = 0`` is left unchanged.

        Args:
            x: inputs, shape ``(n, n_in)``.
            targets: desired edge values, shape ``(n, n_out, n_in)``.
            ridge: Tikhonov parameter (relative to the mean diagonal of the normal matrix) that
                keeps splines without data on their support at 0.
        """
        self._check_input(x)
        expected = (x.shape[0], self.out_features, self.in_features)
        if not isinstance(targets, torch.Tensor) or tuple(targets.shape) != expected:
            raise ValueError(f"targets must be a tensor of shape {expected}")
        x64 = x.to(torch.float64)
        Bm = bspline_basis(
            x64, self.grid.to(torch.float64), self.spline_order
        )  # (n, n_in, nb)
        Bm = Bm.permute(1, 0, 2)  # (n_in, n, nb)
        gram = Bm.transpose(1, 2) @ Bm  # (n_in, nb, nb)
        scale = gram.diagonal(dim1=1, dim2=2).mean(dim=1).clamp_min(1e-300)  # (n_in,)
        eye = torch.eye(gram.shape[-1], dtype=torch.float64)
        gram = gram + ridge * scale[:, None, None] * eye
        rest = (
            targets.to(torch.float64)
            - self.base_weight.to(torch.float64) * F.silu(x64)[:, None, :]
        )
        rhs = torch.einsum("inm,nji->jim", Bm, rest)  # (n_out, n_in, nb)
        coef = torch.linalg.solve(gram.unsqueeze(0), rhs.unsqueeze(-1)).squeeze(-1)
        ws = self.spline_weight.to(torch.float64)
        ok = ws != 0
        coef = torch.where(
            ok[..., None],
            coef / torch.where(ok, ws, 1.0)[..., None],
            self.coef.double(),
        )
        self.coef.copy_(coef.to(self.coef.dtype))

    @torch.no_grad()
    def set_grid(
        self, x: torch.Tensor, grid_size: int | None = None, margin: float = 0.01
    ) -> None:
        """Move each input's grid to the range of ``x`` (and refine it), keeping the functions.

        Each input ``i`` gets a uniform grid of ``grid_size`` intervals on
        ``[min x_i - margin, max x_i + margin]``; the coefficients are refitted by least squares
        (:meth:`fit_edges`) to the current edge functions at ``x``. "Grid extension" in Liu et
        al. 2024 is this with a larger ``grid_size``.

        Args:
            x: typical inputs of this layer, shape ``(n, n_in)``; use several per grid interval.
            grid_size: the new ``G``; the current one when None.
            margin: widening of the data range on each side.
        """
        self._check_input(x)
        G = self.grid_size if grid_size is None else check_int(grid_size, "grid_size")
        old = self.edge_values(x) / torch.where(
            self.mask > 0, self.mask, 1.0
        )  # unmasked
        low = x.min(dim=0).values.double() - margin
        high = x.max(dim=0).values.double() + margin
        knots = torch.stack(
            [
                uniform_knots(G, self.spline_order, (float(a), float(b)))
                for a, b in zip(low, high)
            ]
        )  # (n_in, G + 2k + 1)
        self.grid_size = G
        self.grid = knots.to(self.grid.dtype)
        self.coef = nn.Parameter(
            torch.zeros(
                self.out_features,
                self.in_features,
                G + self.spline_order,
                dtype=self.coef.dtype,
            )
        )
        self.fit_edges(x, old)


class KAN(nn.Module):
    """A stack of :class:`KANLayer` s, e.g. ``KAN([2, 5, 1])``: 2 inputs, 5 hidden nodes, 1 output.

    Args:
        widths: nodes per layer, input first; at least two entries.
        grid_size, spline_order, grid_range, noise_scale: passed to every layer.
        generator: source of the random initialisation; torch's global generator when None.
    """

    def __init__(
        self,
        widths: Sequence[int],
        grid_size: int = 5,
        spline_order: int = 3,
        grid_range: Sequence[float] = (-1.0, 1.0),
        noise_scale: float = 0.1,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
            raise TypeError(
                f"widths must be a sequence of ints, got {type(widths).__name__}"
            )
        self.widths = [check_int(w, "each width") for w in widths]
        if len(self.widths) < 2:
            raise ValueError(
                f"widths needs at least two entries (inputs, outputs), got {self.widths}"
            )
        self.layers = nn.ModuleList(
            KANLayer(
                n_in, n_out, grid_size, spline_order, grid_range, noise_scale, generator
            )
            for n_in, n_out in zip(self.widths[:-1], self.widths[1:])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply all layers: ``(batch, widths[0]) -> (batch, widths[-1])``."""
        for layer in self.layers:
            x = layer(x)
        return x

    def forward_with_importance(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The output and the edge importances (:func:`edge_importance`) in one pass.

        Returns:
            ``(y, scores)``: ``y`` of shape ``(batch, widths[-1])``, and per layer a tensor
            ``(n_out, n_in)`` of mean absolute edge values, differentiable.
        """
        scores = []
        for layer in self.layers:
            edges = layer.edge_values(x)  # (batch, n_out, n_in)
            scores.append(edges.abs().mean(dim=0))
            x = edges.sum(dim=-1)
        return x, scores

    def layer_inputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The input of every layer for the batch ``x``: a list of ``(batch, widths[l])``."""
        inputs = []
        for layer in self.layers:
            inputs.append(x)
            x = layer(x)
        return inputs

    @torch.no_grad()
    def set_grids(
        self, x: torch.Tensor, grid_size: int | None = None, margin: float = 0.01
    ) -> None:
        """Call :meth:`KANLayer.set_grid` on each layer with the data that reach it."""
        for layer in self.layers:
            layer.set_grid(x, grid_size, margin)
            x = layer(x)


def _check_model(model: object) -> list[KANLayer]:
    if isinstance(model, KAN):
        return list(model.layers)
    if isinstance(model, KANLayer):
        return [model]
    raise TypeError(f"model must be a KAN or a KANLayer, got {type(model).__name__}")


def edge_importance(model: KAN | KANLayer, x: torch.Tensor) -> list[torch.Tensor]:
    """The importance of every edge: the mean of ``|phi_{j,i}|`` over the data flowing through it.

    This is the L1 norm of an edge's activations on the batch divided by the batch size, the
    score of Liu et al. 2024. It is differentiable (see :func:`sparsity_penalty`); wrap the call
    in ``torch.no_grad()`` when only the numbers are wanted. Pruned edges score 0.

    Args:
        model: a :class:`KAN` or a single :class:`KANLayer`.
        x: inputs of the model, shape ``(batch, widths[0])``.

    Returns:
        One tensor per layer, shape ``(n_out, n_in)`` of that layer.
    """
    if isinstance(model, KAN):
        return model.forward_with_importance(x)[1]
    _check_model(model)
    return [model.edge_values(x).abs().mean(dim=0)]


def sparsity_penalty(
    scores: Sequence[torch.Tensor], entropy_weight: float = 1.0
) -> torch.Tensor:
    """The sparsity penalty of Liu et al. 2024 from the edge importances of each layer.

    For layer ``l`` with importances ``s_l`` (``(n_out, n_in)``, from :func:`edge_importance`
    or :meth:`KAN.forward_with_importance`), the penalty is
    ``|s_l|_1 + entropy_weight * H(s_l / |s_l|_1)``, summed over layers, with the entropy
    ``H(p) = -sum p log p``. The L1 term pushes edges towards 0; the entropy term favours a
    few dominant edges over many middling ones. Add ``lam * penalty`` to the loss.

    Returns:
        A scalar tensor, differentiable.
    """
    total = torch.zeros(())
    for s in scores:
        if not isinstance(s, torch.Tensor):
            raise TypeError(
                f"scores must be a list of tensors, got a {type(s).__name__}"
            )
        l1 = s.sum()
        p = s / l1.clamp_min(1e-12)
        total = (
            total + l1 - float(entropy_weight) * (p * p.clamp_min(1e-12).log()).sum()
        )
    return total


@torch.no_grad()
def prune(
    model: KAN | KANLayer, x: torch.Tensor, threshold: float
) -> list[torch.Tensor]:
    """Remove (mask) every edge whose importance on ``x`` is below ``threshold``.

    Importances are computed once on the unpruned network (:func:`edge_importance`), so the
    result does not depend on the order of the layers. Already pruned edges stay pruned.

    Args:
        model: a :class:`KAN` or :class:`KANLayer`; its ``mask`` buffers are changed in place.
        x: inputs of the model, shape ``(batch, widths[0])``.
        threshold: edges with importance ``< threshold`` are removed.

    Returns:
        One boolean tensor per layer, shape ``(n_out, n_in)``: True for the edges kept.
    """
    threshold = float(threshold)
    if not math.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
    layers = _check_model(model)
    scores = edge_importance(model, x)
    if not all(
        bool(torch.isfinite(score[layer.mask > 0]).all())
        for layer, score in zip(layers, scores)
    ):
        raise ValueError(
            "an edge importance is NaN or infinite (are the inputs x or the weights finite?): "
            "pruning on it would remove edges arbitrarily"
        )
    kept = []
    for layer, score in zip(layers, scores):
        keep = (score >= threshold) & (layer.mask > 0)
        layer.mask.copy_(keep.to(layer.mask.dtype))
        kept.append(keep)
    return kept


# ----------------------------------------------------------------------------------------------
# Symbolic regression of the edge functions
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolicFunction:
    """One entry of the symbolic library, used as ``a * f(b * x + c) + d``.

    Attributes:
        numpy: ``f`` on NumPy arrays (may return nan/inf outside its domain).
        sympy: ``f`` on a SymPy expression.
        free_b: whether the inner scale ``b`` is fitted; when not, ``b = 1`` (the outer ``a``
            already sets the scale, e.g. for powers).
        free_c: whether the inner shift ``c`` is fitted; when not, ``c = 0`` (e.g. for ``exp``,
            where a shift is a factor, and for ``x``).
        canonical: maps ``(a, b, c, d)`` to the equivalent parameters in canonical form (for
            example ``b > 0`` for an odd ``f``), so that a fit's parameters are unique.
    """

    numpy: Callable[[np.ndarray], np.ndarray]
    sympy: Callable[[Any], Any]
    free_b: bool = True
    free_c: bool = True
    canonical: (
        Callable[[float, float, float, float], tuple[float, float, float, float]] | None
    ) = None


def _safe(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def wrapped(u: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return fn(u)

    return wrapped


def _odd(a: float, b: float, c: float, d: float) -> tuple[float, float, float, float]:
    """``a f(bx + c) = (-a) f(-bx - c)`` for odd ``f``: choose ``b > 0``."""
    return (-a, -b, -c, d) if b < 0 else (a, b, c, d)


def _even(a: float, b: float, c: float, d: float) -> tuple[float, float, float, float]:
    return (a, -b, -c, d) if b < 0 else (a, b, c, d)


def _sine(a: float, b: float, c: float, d: float) -> tuple[float, float, float, float]:
    """``b > 0`` and ``-pi/2 < c <= pi/2``, using ``sin(u + pi) = -sin(u)``."""
    a, b, c, d = _odd(a, b, c, d)
    n = math.ceil(c / math.pi - 0.5)
    return (a * (-1) ** n, b, c - n * math.pi, d)


SYMBOLIC_LIBRARY: dict[str, SymbolicFunction] = {
    "x": SymbolicFunction(_safe(lambda u: u), lambda u: u, free_b=False, free_c=False),
    "x^2": SymbolicFunction(_safe(lambda u: u**2), lambda u: u**2, free_b=False),
    "x^3": SymbolicFunction(_safe(lambda u: u**3), lambda u: u**3, free_b=False),
    "1/x": SymbolicFunction(_safe(lambda u: 1.0 / u), lambda u: 1 / u, free_b=False),
    "sqrt": SymbolicFunction(_safe(lambda u: np.sqrt(u)), sympy.sqrt, free_b=False),
    "log": SymbolicFunction(_safe(lambda u: np.log(u)), sympy.log, free_b=False),
    "exp": SymbolicFunction(_safe(np.exp), sympy.exp, free_c=False),
    "sin": SymbolicFunction(_safe(np.sin), sympy.sin, canonical=_sine),
    "tanh": SymbolicFunction(_safe(np.tanh), sympy.tanh, canonical=_odd),
    "gauss": SymbolicFunction(
        _safe(lambda u: np.exp(-(u**2))), lambda u: sympy.exp(-(u**2)), canonical=_even
    ),
}
"""The default library of :func:`fit_symbolic`, simplest first (ties go to the earlier entry)."""

_B_GRID = np.concatenate([-np.geomspace(0.2, 10, 18)[::-1], np.geomspace(0.2, 10, 18)])
_C_GRID = np.linspace(-4, 4, 33)


def _affine_fit(u: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares ``a, d`` in ``y ~ a u + d`` and the residual sum of squares."""
    A = np.stack([u, np.ones_like(u)], axis=1)
    (a, d), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(a), float(d), float(np.sum((A @ np.array([a, d]) - y) ** 2))


def _params_vector(entry: SymbolicFunction, b: float, c: float) -> list[float]:
    return ([b] if entry.free_b else []) + ([c] if entry.free_c else [])


def fit_symbolic(
    x: Any,
    y: Any,
    library: Mapping[str, SymbolicFunction] | None = None,
    tolerance: float = 1e-4,
) -> tuple[str, tuple[float, float, float, float], float]:
    """Fit ``y ~ a f(b x + c) + d`` for every ``f`` in the library and return the best.

    For each function, a grid search over the free inner parameters ``(b, c)`` (with ``a, d``
    by linear least squares at each grid point) gives a start, which nonlinear least squares
    (``scipy.optimize.least_squares``) refines. Functions are ranked by the coefficient of
    determination ``R^2 = 1 - SS_res / SS_tot``; among those within ``tolerance`` of the best
    ``R^2``, the first in library order (the simplest) wins.

    Args:
        x: sample points, shape ``(n,)``, ``n >= 4``.
        y: values at the points, shape ``(n,)``, not all equal.
        library: name -> :class:`SymbolicFunction`; :data:`SYMBOLIC_LIBRARY` when None.
        tolerance: the ``R^2`` margin within which a simpler function is preferred.

    Returns:
        ``(name, (a, b, c, d), r2)``.
    """
    library = SYMBOLIC_LIBRARY if library is None else library
    if not isinstance(library, Mapping) or len(library) == 0:
        raise TypeError("library must be a non-empty mapping name -> SymbolicFunction")
    x = np.asarray(
        x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64
    )
    y = np.asarray(
        y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float64
    )
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(
            f"x and y must be 1-D of the same length, got {x.shape} and {y.shape}"
        )
    if x.size < 4 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y need at least 4 finite values")
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot <= 1e-300:
        raise ValueError("y is constant: there is no shape to fit")
    results = []
    for name, entry in library.items():
        if not isinstance(entry, SymbolicFunction):
            raise TypeError(f"library[{name!r}] must be a SymbolicFunction")
        best = _grid_search(entry, x, y)
        if best is None:
            continue
        b, c = _refine(entry, x, y, best[0], best[1])
        u = entry.numpy(b * x + c)
        if not np.all(np.isfinite(u)):
            b, c = best
            u = entry.numpy(b * x + c)
        a, d, ss_res = _affine_fit(u, y)
        params = (
            (a, b, c, d) if entry.canonical is None else entry.canonical(a, b, c, d)
        )
        results.append((name, tuple(float(p) for p in params), 1.0 - ss_res / ss_tot))
    if not results:
        raise ValueError("no library function could be evaluated on x")
    best_r2 = max(r[2] for r in results)
    for result in results:
        if result[2] >= best_r2 - tolerance:
            return result
    raise AssertionError("unreachable")  # pragma: no cover


def _grid_search(
    entry: SymbolicFunction, x: np.ndarray, y: np.ndarray
) -> tuple[float, float] | None:
    """The grid point ``(b, c)`` of least squared residual, ``a, d`` fitted in closed form."""
    b_values = _B_GRID if entry.free_b else np.array([1.0])
    c_values = _C_GRID if entry.free_c else np.array([0.0])
    bb, cc = (v.ravel() for v in np.meshgrid(b_values, c_values, indexing="ij"))
    u = entry.numpy(bb[:, None] * x + cc[:, None])  # (n_grid, n)
    ok = np.all(np.isfinite(u), axis=1)
    u, bb, cc = u[ok], bb[ok], cc[ok]
    if len(u) == 0:
        return None
    du = u - u.mean(axis=1, keepdims=True)  # closed form of y ~ a u + d for every row
    dy = y - y.mean()
    var_u = np.sum(du**2, axis=1)
    good = var_u > 1e-12 * (1 + np.sum(u**2, axis=1))
    if not np.any(good):
        return None
    ss = np.where(
        good, np.sum(dy**2) - (du @ dy) ** 2 / np.where(good, var_u, 1.0), np.inf
    )
    best = int(np.argmin(ss))
    return float(bb[best]), float(cc[best])


def _refine(
    entry: SymbolicFunction, x: np.ndarray, y: np.ndarray, b: float, c: float
) -> tuple[float, float]:
    p0 = _params_vector(entry, b, c)
    if not p0:
        return b, c

    def unpack(p: np.ndarray) -> tuple[float, float]:
        it = iter(p)
        return (next(it) if entry.free_b else 1.0), (next(it) if entry.free_c else 0.0)

    def residuals(p: np.ndarray) -> np.ndarray:
        bb, cc = unpack(p[2:])
        r = p[0] * entry.numpy(bb * x + cc) + p[1] - y
        return np.where(np.isfinite(r), r, 1e6)

    a0, d0, _ = _affine_fit(entry.numpy(b * x + c), y)
    sol = least_squares(
        residuals,
        np.array([a0, d0, *p0]),
        method="lm" if len(x) >= 4 + len(p0) else "trf",
    )
    return unpack(sol.x[2:])


def symbolic_expression(
    name: str,
    params: Sequence[float],
    variable: Any,
    library: Mapping[str, SymbolicFunction] | None = None,
    digits: int = 4,
) -> Any:
    """The SymPy expression ``a f(b x + c) + d`` of a fit, with parameters rounded to ``digits``."""
    library = SYMBOLIC_LIBRARY if library is None else library
    if name not in library:
        raise ValueError(
            f"unknown library function {name!r}; choose from {list(library)}"
        )
    a, b, c, d = (sympy.Float(round(float(v), digits)) for v in params)
    return a * library[name].sympy(b * variable + c) + d


@torch.no_grad()
def to_symbolic(
    model: KAN,
    x: torch.Tensor,
    variables: Sequence[Any] | None = None,
    library: Mapping[str, SymbolicFunction] | None = None,
    digits: int = 4,
) -> tuple[
    Any,
    list[dict[tuple[int, int], tuple[str, tuple[float, float, float, float], float]]],
]:
    """Replace every live edge of a KAN by its best library function and assemble the formula.

    Each edge ``(j, i)`` of each layer is fitted (:func:`fit_symbolic`) to its values on the
    data ``x`` that reach it; the fitted edges are summed at the nodes and composed layer by
    layer with SymPy.

    Args:
        model: a trained (and usually pruned) :class:`KAN` with one output.
        x: inputs, shape ``(n, widths[0])``, covering the region of interest.
        variables: SymPy symbols for the inputs; ``x_1, x_2, ...`` when None.
        library: passed to :func:`fit_symbolic`.
        digits: rounding of the parameters in the formula.

    Returns:
        ``(expression, fits)``: the SymPy expression of the output, and per layer a dict
        ``(j, i) -> (name, (a, b, c, d), r2)`` of the fits.
    """
    if not isinstance(model, KAN):
        raise TypeError(f"model must be a KAN, got {type(model).__name__}")
    if model.widths[-1] != 1:
        raise ValueError(
            f"to_symbolic needs a KAN with one output, got {model.widths[-1]}"
        )
    if variables is None:
        variables = sympy.symbols(f"x_1:{model.widths[0] + 1}")
    if len(variables) != model.widths[0]:
        raise ValueError(f"need {model.widths[0]} variables, got {len(variables)}")
    nodes: list[Any] = list(variables)
    all_fits = []
    # a node matters only if some live edge leaves it (the output always matters)
    used = [layer.mask.amax(dim=0) > 0 for layer in model.layers[1:]]
    used.append(torch.ones(1, dtype=torch.bool))
    for layer, inputs, used_out in zip(model.layers, model.layer_inputs(x), used):
        edges = layer.edge_values(inputs)  # (n, n_out, n_in)
        fits = {}
        new_nodes: list[Any] = [sympy.Integer(0)] * layer.out_features
        for j in range(layer.out_features):
            for i in range(layer.in_features):
                if layer.mask[j, i] == 0 or not used_out[j]:
                    continue
                values = edges[:, j, i].double().numpy()
                if np.ptp(values) < 1e-12:
                    new_nodes[j] += sympy.Float(round(float(values.mean()), digits))
                    continue
                name, params, r2 = fit_symbolic(
                    inputs[:, i].double().numpy(), values, library
                )
                fits[(j, i)] = (name, params, r2)
                new_nodes[j] += symbolic_expression(
                    name, params, nodes[i], library, digits
                )
        all_fits.append(fits)
        nodes = new_nodes
    return nodes[0], all_fits
