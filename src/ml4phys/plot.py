"""The book's figure style and its plot helpers.

Call :func:`set_style` once per notebook, in the visible setup cell::

    ml4phys.plot.set_style()

The helpers follow one pattern: they take ``ax=None`` (or ``fig=None``), draw into it (or into
a new figure), return the axes (or figure) and never call ``plt.show()``.

Colours: the qualitative cycle is the Okabe-Ito palette (:data:`COLORS`), which stays
distinguishable under the common forms of colour blindness; maps are ``viridis`` (sequential)
and ``RdBu_r`` (diverging). Fonts: DejaVu, which ships with matplotlib, so figures look the same
on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure

from ml4phys._validation import check_bool, check_int, check_nonnegative, check_real

__all__ = [
    "COLORS",
    "BOOK_STYLE",
    "set_style",
    "plot_history",
    "plot_image_grid",
    "tile_images",
    "plot_2d_function",
    "draw_network",
    "plot_decision_boundary",
]

#: Okabe-Ito colour-blind-safe palette (black moved to the end; it is the text colour).
COLORS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: The rcParams that :func:`set_style` applies. Sized for a figure of 6 x 4 inches at 100 dpi,
#: i.e. about 600 px wide, shown on a page whose text column is about 700 px wide.
BOOK_STYLE: dict[str, Any] = {
    # figure
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.constrained_layout.use": True,
    # fonts: DejaVu is bundled with matplotlib
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 13,
    # axes
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "axes.grid": False,
    "axes.titlelocation": "left",
    "axes.prop_cycle": cycler(color=list(COLORS)),
    "axes.formatter.use_mathtext": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    # lines and markers
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "scatter.edgecolors": "face",
    # legend
    "legend.frameon": False,
    # colour maps
    "image.cmap": "viridis",
    "image.interpolation": "nearest",
}


def set_style() -> None:
    """Apply the book's matplotlib style (:data:`BOOK_STYLE`) to the global rcParams.

    Call it once per notebook, in the first visible code cell. It needs no font beyond those
    bundled with matplotlib. Calling it again is harmless.
    """
    mpl.rcParams.update(BOOK_STYLE)


# ----------------------------------------------------------------------------- helpers


def _to_numpy(a: Any, name: str) -> np.ndarray:
    """Convert an array-like (NumPy, list, torch tensor) into a float NumPy array."""
    if hasattr(a, "detach") and callable(a.detach):  # torch tensor, maybe with grad
        a = a.detach().cpu().numpy()
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be an array of numbers, got {type(a).__name__}"
        ) from err
    return arr


def _get_ax(ax: Axes | None) -> Axes:
    if ax is None:
        return plt.figure().add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None, got {type(ax).__name__}"
        )
    return ax


def _check_limits(lim: Sequence[float], name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be a pair (low, high) of numbers, got {lim!r}"
        ) from err
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must satisfy low < high (both finite), got {lim!r}")
    return lo, hi


def _check_points(
    X: Any, y: Any, names: tuple[str, str] = ("X", "y")
) -> tuple[np.ndarray, np.ndarray]:
    X = _to_numpy(X, names[0])
    y = _to_numpy(y, names[1])
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{names[0]} must have shape (n, 2), got {X.shape}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{names[1]} must have shape (n,) = ({X.shape[0]},), got {y.shape}"
        )
    return X, y


def _grid(xlim: tuple[float, float], ylim: tuple[float, float], n: int) -> np.ndarray:
    """Pixel-centre coordinates of an n x n grid, shape (n*n, 2), rows of constant y."""
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    xx, yy = np.meshgrid(xs, ys)
    return np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def _evaluate(
    f: Callable[[np.ndarray], Any], grid: np.ndarray, name: str
) -> np.ndarray:
    """Call f on the (m, 2) grid and return a float array with first dimension m."""
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {type(f).__name__}")
    out = _to_numpy(f(grid), f"the output of {name}")
    if out.ndim == 0 or out.shape[0] != grid.shape[0]:
        raise ValueError(
            f"{name} must map an (m, 2) array to an array with m rows; "
            f"for m={grid.shape[0]} it returned shape {out.shape}"
        )
    return out


def _class_colors(n_classes: int) -> list[str]:
    if n_classes <= len(COLORS):
        return list(COLORS[:n_classes])
    cmap = plt.get_cmap("tab20")
    return [mpl.colors.to_hex(cmap(i % 20)) for i in range(n_classes)]


# ----------------------------------------------------------------------------- plots


def plot_history(history: Any, ax: Axes | None = None, log: bool = True) -> Axes:
    """Plot training and validation loss against the epoch.

    Args:
        history: a :class:`ml4phys.nn.training.History` (attributes ``train_loss``,
            ``val_loss`` and optionally ``best_epoch``, the 0-based index of the best epoch),
            or a mapping with the same keys.
        ax: axes to draw into; a new figure when None.
        log: logarithmic loss axis (needs positive losses).

    Returns:
        The axes, with one line per non-empty loss curve and a dotted vertical line at the
        best epoch when the history has one.
    """
    if isinstance(history, Mapping):
        get = history.get
    elif hasattr(history, "train_loss"):

        def get(key: str, default: Any = None) -> Any:
            return getattr(history, key, default)

    else:
        raise TypeError(
            "history must be a History (with train_loss and val_loss) or a mapping with "
            f"those keys, got {type(history).__name__}"
        )
    check_bool(log, "log")
    curves = {}
    for label, key in [("training", "train_loss"), ("validation", "val_loss")]:
        value = get(key, None)
        curves[label] = _to_numpy([] if value is None else value, f"history's {key}")
    if curves["training"].size == 0 and curves["validation"].size == 0:
        raise ValueError(
            "history has no losses to plot (train_loss and val_loss are empty)"
        )
    for label, loss in curves.items():
        if loss.ndim != 1:
            key = "train_loss" if label == "training" else "val_loss"
            raise ValueError(
                f"history's {key} must be a 1-D sequence of losses, got shape {loss.shape}"
            )
        if log and np.any(loss[np.isfinite(loss)] <= 0):
            raise ValueError(f"history's {label} loss has values <= 0: use log=False")
    ax = _get_ax(ax)
    for label, loss in curves.items():
        if loss.size:
            ax.plot(np.arange(1, loss.size + 1), loss, label=label)
    best_epoch = get("best_epoch", None)
    n_epochs = max(loss.size for loss in curves.values())
    if best_epoch is not None and (
        isinstance(best_epoch, bool)
        or not isinstance(best_epoch, (int, np.integer))
        or not 0 <= best_epoch < n_epochs
    ):
        raise ValueError(
            f"history's best_epoch must be a 0-based epoch index in 0..{n_epochs - 1}, got {best_epoch!r}"
        )
    if best_epoch is not None:
        ax.axvline(
            int(best_epoch) + 1, color="0.4", linestyle=":", linewidth=1.2, label="best"
        )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_image_grid(
    images: Any,
    labels: Sequence[Any] | None = None,
    n_cols: int = 8,
    cmap: str = "gray",
    fig: Figure | None = None,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Show images side by side on a grid, each with an optional title.

    Args:
        images: shape (n, height, width) grayscale, (n, height, width, 3 or 4) colour, or
            (n, 1, height, width) as PyTorch stores one-channel images.
        labels: n titles (class names, numbers), or None.
        n_cols: images per row (fewer when there are fewer images).
        cmap: colour map of grayscale images.
        fig: figure to draw into (it is cleared); a new one when None.
        vmin: lower end of the colour scale; each image's own minimum when None.
        vmax: upper end of the colour scale; each image's own maximum when None.

    Returns:
        The figure, holding one axes per image.
    """
    images = _to_numpy(images, "images")
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] in (3, 4))):
        raise ValueError(
            "images must have shape (n, height, width), (n, height, width, 3|4) or "
            f"(n, 1, height, width), got {images.shape}"
        )
    n = images.shape[0]
    if n == 0:
        raise ValueError("images is empty")
    n_cols = check_int(n_cols, "n_cols")
    if (
        vmin is not None
        and vmax is not None
        and not check_real(vmin, "vmin") < check_real(vmax, "vmax")
    ):
        raise ValueError(
            f"vmin must be smaller than vmax, got vmin={vmin}, vmax={vmax}"
        )
    if labels is not None:
        if isinstance(labels, str):
            raise TypeError("labels must be a sequence of n labels, not one string")
        labels = list(_to_list(labels))
        if len(labels) != n:
            raise ValueError(
                f"labels must have one entry per image ({n}), got {len(labels)}"
            )
    if fig is not None and not isinstance(fig, Figure):
        raise TypeError(
            f"fig must be a matplotlib Figure or None, got {type(fig).__name__}"
        )
    n_cols = min(n_cols, n)
    n_rows = math.ceil(n / n_cols)
    if fig is None:
        title_space = 0.25 if labels is not None else 0.0
        fig = plt.figure(figsize=(1.1 * n_cols, (1.1 + title_space) * n_rows))
    else:
        fig.clear()
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize="small", loc="center")
    return fig


def tile_images(
    images: Any,
    n_cols: int,
    image_shape: Sequence[int] | None = None,
    gap: int = 1,
    fill: float = np.nan,
) -> np.ndarray:
    """Many small images as one array of tiles, to show with a single ``imshow``.

    :func:`plot_image_grid` gives every image its own axes; a mosaic of dozens of samples,
    or one panel of a figure with several, is lighter and sharper as one image.

    Args:
        images: shape (n, height, width), or (n, height * width) with ``image_shape``.
        n_cols: tiles per row; the rows are filled in order, the last one padded.
        image_shape: (height, width) of flat images; None for images that are 2-D already.
        gap: pixels between tiles and around the border, >= 0.
        fill: value of the gaps and of empty tiles; NaN shows as the background.

    Returns:
        Array of shape (rows * (height + gap) + gap, n_cols * (width + gap) + gap); tile
        ``k`` has its top-left pixel at ``(gap + (k // n_cols) * (height + gap),
        gap + (k % n_cols) * (width + gap))``.
    """
    images = _to_numpy(images, "images")
    n_cols = check_int(n_cols, "n_cols")
    gap = check_int(gap, "gap", minimum=0)
    if image_shape is not None:
        height, width = (check_int(k, "image_shape") for k in image_shape)
        if images.ndim != 2 or images.shape[1] != height * width:
            raise ValueError(
                f"flat images of shape {height}x{width} must have shape (n, "
                f"{height * width}), got {images.shape}"
            )
        images = images.reshape(len(images), height, width)
    elif images.ndim != 3:
        raise ValueError(
            "images must have shape (n, height, width), or (n, height * width) with "
            f"image_shape; got {images.shape}"
        )
    n, height, width = images.shape
    if n == 0:
        raise ValueError("images is empty")
    n_rows = math.ceil(n / n_cols)
    canvas = np.full(
        (n_rows * (height + gap) + gap, n_cols * (width + gap) + gap),
        fill,
        dtype=np.result_type(images.dtype, np.float32),
    )
    for k, image in enumerate(images):
        top = gap + (k // n_cols) * (height + gap)
        left = gap + (k % n_cols) * (width + gap)
        canvas[top : top + height, left : left + width] = image
    return canvas


def _to_list(seq: Any) -> list[Any]:
    if hasattr(seq, "detach"):
        seq = seq.detach().cpu().numpy()
    if isinstance(seq, np.ndarray):
        return seq.tolist()
    return list(seq)


def plot_2d_function(
    f: Callable[[np.ndarray], Any],
    xlim: Sequence[float] = (-1.0, 1.0),
    ylim: Sequence[float] = (-1.0, 1.0),
    n: int = 200,
    ax: Axes | None = None,
    cmap: str = "viridis",
    points: tuple[Any, Any] | None = None,
    *,
    colorbar: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Axes:
    """Show a scalar function of two variables as an image.

    Args:
        f: maps an array of shape (m, 2) (float32 coordinates) to values of shape (m,)
            (or (m, 1)); a NumPy function or a wrapped network.
        xlim: range of the first coordinate (horizontal axis).
        ylim: range of the second coordinate (vertical axis).
        n: pixels per side; f is called once on n*n points.
        ax: axes to draw into; a new figure when None.
        cmap: colour map.
        points: optional data ``(X, y)``, X of shape (k, 2), y of shape (k,), drawn on top
            as dots coloured by y with the same colour map and scale.
        colorbar: add a colour bar.
        vmin: lower end of the colour scale (the minimum of f when None).
        vmax: upper end of the colour scale (the maximum of f when None).

    Returns:
        The axes, holding one image (and one scatter collection when points are given).
    """
    xlim = _check_limits(xlim, "xlim")
    ylim = _check_limits(ylim, "ylim")
    n = check_int(n, "n", minimum=2)
    if points is not None:
        if not isinstance(points, (tuple, list)) or len(points) != 2:
            raise TypeError("points must be a pair (X, y)")
        X_pts, y_pts = _check_points(*points, names=("points[0] (X)", "points[1] (y)"))
    grid = _grid(xlim, ylim, n)
    values = _evaluate(f, grid, "f")
    if values.size != grid.shape[0]:
        raise ValueError(f"f must return one value per point, got shape {values.shape}")
    values = values.reshape(n, n)
    finite = values[np.isfinite(values)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    if vmin == vmax:  # a constant function: give the colour scale some width
        vmin, vmax = vmin - 0.5, vmax + 0.5
    norm = Normalize(vmin=vmin, vmax=vmax)
    ax = _get_ax(ax)
    image = ax.imshow(
        values,
        origin="lower",
        extent=(*xlim, *ylim),
        cmap=cmap,
        norm=norm,
        aspect="auto",
        interpolation="nearest",
    )
    if points is not None:
        ax.scatter(
            X_pts[:, 0],
            X_pts[:, 1],
            c=y_pts,
            cmap=cmap,
            norm=norm,
            s=14,
            edgecolors="0.15",
            linewidths=0.5,
        )
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def draw_network(
    layer_sizes: Sequence[int],
    weights: Sequence[Any] | None = None,
    ax: Axes | None = None,
    *,
    cmap: str = "RdBu_r",
) -> Axes:
    """Draw a fully connected network: nodes in columns, one edge per weight.

    Args:
        layer_sizes: neurons per layer, input first, e.g. ``[2, 3, 1]``.
        weights: None (all edges grey), or one matrix per pair of layers with shape
            (n_in, n_out), as in :mod:`ml4phys.nn.numpy_net` (its ``(W, b)`` pairs are accepted
            too). Edge colour shows the sign and size, edge width the size. PyTorch's
            ``nn.Linear.weight`` is (n_out, n_in): pass its transpose.
        ax: axes to draw into; a new figure when None.
        cmap: diverging colour map for the weights.

    Returns:
        The axes, holding one :class:`~matplotlib.collections.LineCollection` of edges (one
        segment per weight, input side first) and one scatter collection of nodes.
    """
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(
        layer_sizes, (Sequence, np.ndarray)
    ):
        raise TypeError(
            f"layer_sizes must be a sequence of ints, got {type(layer_sizes).__name__}"
        )
    sizes = [
        check_int(s, f"layer_sizes[{i}]") for i, s in enumerate(_to_list(layer_sizes))
    ]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least two layers, got {sizes}")
    mats: list[np.ndarray] | None = None
    if weights is not None:
        weights = list(weights)
        if len(weights) != len(sizes) - 1:
            raise ValueError(
                f"weights must have one matrix per pair of layers ({len(sizes) - 1}), got {len(weights)}"
            )
        mats = []
        for k, W in enumerate(weights):
            if isinstance(W, (tuple, list)) and len(W) == 2:  # a (W, b) pair
                W = W[0]
            W = _to_numpy(W, f"weights[{k}]")
            expected = (sizes[k], sizes[k + 1])
            if W.shape != expected:
                hint = (
                    " (it looks transposed: torch.nn.Linear stores (n_out, n_in), pass W.T)"
                    if W.shape == expected[::-1]
                    else ""
                )
                raise ValueError(
                    f"weights[{k}] must have shape {expected}, got {W.shape}{hint}"
                )
            mats.append(W)
    ax = _get_ax(ax)
    max_size = max(sizes)
    spacing = 1.0 / max(max_size - 1, 1)  # the largest layer spans [-0.5, 0.5]
    positions = [  # (s, 2) node coordinates of each layer, top to bottom
        np.stack(
            [np.full(s, float(i)), (np.arange(s)[::-1] - (s - 1) / 2) * spacing], axis=1
        )
        for i, s in enumerate(sizes)
    ]
    segments = [
        [positions[k][i], positions[k + 1][j]]
        for k in range(len(sizes) - 1)
        for i in range(sizes[k])
        for j in range(sizes[k + 1])
    ]
    if mats is None:
        edges = LineCollection(segments, colors="0.6", linewidths=1.0, zorder=1)
    else:
        w = np.concatenate([W.ravel() for W in mats])
        w_max = float(np.max(np.abs(w))) if w.size else 0.0
        w_max = w_max if w_max > 0 else 1.0
        edges = LineCollection(
            segments,
            array=w,
            cmap=cmap,
            norm=Normalize(-w_max, w_max),
            linewidths=0.4 + 2.6 * np.abs(w) / w_max,
            zorder=1,
        )
    ax.add_collection(edges)
    nodes = np.concatenate(positions)
    marker_size = float(np.clip(2400 / max_size, 12, 300))
    ax.scatter(
        nodes[:, 0],
        nodes[:, 1],
        s=marker_size,
        c="white",
        edgecolors="0.15",
        linewidths=1.2,
        zorder=2,
    )
    ax.set_xlim(-0.3, len(sizes) - 0.7)
    ax.set_ylim(-0.6, 0.6)
    ax.set_axis_off()
    return ax


def plot_decision_boundary(
    model_fn: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    ax: Axes | None = None,
    *,
    threshold: float = 0.5,
    n: int = 200,
    margin: float = 0.1,
) -> Axes:
    """Colour the plane by the class a classifier predicts, with the data on top.

    Args:
        model_fn: maps an array of shape (m, 2) (float32) to either scores of shape (m,)
            (class 1 where score > threshold) or class scores of shape (m, n_classes)
            (the predicted class is the argmax). Torch tensors are accepted as output.
        X: data points, shape (k, 2).
        y: integer class labels, shape (k,).
        ax: axes to draw into; a new figure when None.
        threshold: decision threshold for (m,) outputs: 0.5 for probabilities, 0 for logits.
        n: pixels per side of the background grid.
        margin: extra space around the data, as a fraction of its range.

    Returns:
        The axes, holding one image (the predicted classes), one scatter collection (the data)
        and the boundary lines where the prediction changes.
    """
    X, y = _check_points(X, y)
    if X.shape[0] == 0:
        raise ValueError("X is empty")
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)) or np.any(y < 0):
        raise ValueError("y must hold non-negative integer class labels")
    n = check_int(n, "n", minimum=2)
    threshold = check_real(threshold, "threshold")
    margin = check_nonnegative(margin, "margin")
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    xlim = (float(lo[0] - margin * span[0]), float(hi[0] + margin * span[0]))
    ylim = (float(lo[1] - margin * span[1]), float(hi[1] + margin * span[1]))
    grid = _grid(xlim, ylim, n)
    out = _evaluate(model_fn, grid, "model_fn")
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim == 1:
        pred = (out > threshold).astype(int)
    elif out.ndim == 2:
        pred = np.argmax(out, axis=1)
    else:
        raise ValueError(
            f"model_fn must return shape (m,) or (m, n_classes), got {out.shape}"
        )
    y_int = y.astype(int)
    n_classes = (
        int(max(pred.max(), y_int.max(), 1 if out.ndim == 1 else out.shape[1] - 1)) + 1
    )
    colors = _class_colors(n_classes)
    cmap = ListedColormap(colors)
    norm = Normalize(-0.5, n_classes - 0.5)
    pred = pred.reshape(n, n)
    ax = _get_ax(ax)
    ax.imshow(
        pred,
        origin="lower",
        extent=(*xlim, *ylim),
        cmap=cmap,
        norm=norm,
        alpha=0.3,
        aspect="auto",
        interpolation="nearest",
    )
    # Boundary lines: the edge of each predicted region. Every boundary touches at least one of
    # the first k - 1 regions present, so those suffice (and a single region draws none).
    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    for c in np.unique(pred)[:-1]:
        ax.contour(
            xs,
            ys,
            (pred == c).astype(float),
            levels=[0.5],
            colors="0.2",
            linewidths=1.0,
        )
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=y_int,
        cmap=cmap,
        norm=norm,
        s=16,
        edgecolors="white",
        linewidths=0.5,
    )
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax
