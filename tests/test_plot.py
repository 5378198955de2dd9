"""Tests for ml4phys.plot: return types, what is drawn, input validation."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only: the package never forces a backend

from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from ml4phys import plot


@pytest.fixture(autouse=True)
def _clean_matplotlib():
    """Restore rcParams and close figures after each test."""
    with matplotlib.rc_context():
        yield
    plt.close("all")


def _images(ax: Axes) -> list[AxesImage]:
    return [a for a in ax.get_children() if isinstance(a, AxesImage)]


# ----------------------------------------------------------------------------- set_style


def test_set_style_sets_book_rcparams():
    plot.set_style()
    rc = matplotlib.rcParams
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert rc["figure.constrained_layout.use"] is True
    assert rc["figure.dpi"] == 100
    assert list(rc["axes.prop_cycle"].by_key()["color"]) == list(plot.COLORS)
    fig = plt.figure()
    assert fig.get_layout_engine() is not None  # constrained layout is on


def test_set_style_uses_only_fonts_bundled_with_matplotlib():
    plot.set_style()
    bundled = Path(matplotlib.get_data_path()).resolve()
    family = matplotlib.rcParams["font.sans-serif"][0]
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert bundled in Path(path).resolve().parents
    # Drawing text and mathtext must not warn about missing fonts (warnings are errors here).
    fig, ax = plt.subplots()
    ax.set_title(r"loss $\mathcal{L}(\theta)$, $\sigma_w^2$")
    ax.plot([1, 2], [3, 4], label="train")
    ax.legend()
    fig.canvas.draw()


# ----------------------------------------------------------------------------- plot_history


def test_plot_history_draws_both_losses_and_best_epoch():
    history = SimpleNamespace(
        train_loss=[1.0, 0.5, 0.3], val_loss=[1.2, 0.6, 0.7], best_epoch=1
    )
    ax = plot.plot_history(history)
    assert isinstance(ax, Axes)
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[0].get_ydata(), [1.0, 0.5, 0.3])
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 2, 3])  # epochs count from 1
    np.testing.assert_allclose(
        lines[2].get_xdata(), [2, 2]
    )  # best_epoch is a 0-based index
    assert ax.get_yscale() == "log"


def test_plot_history_with_training_history_and_mapping():
    from ml4phys.nn.training import History

    history = History(train_loss=[0.9, 0.4], val_loss=[], metrics={}, best_epoch=None)
    _, ax = plt.subplots()
    assert plot.plot_history(history, ax=ax, log=False) is ax
    assert len(ax.get_lines()) == 1
    assert ax.get_yscale() == "linear"
    ax2 = plot.plot_history({"train_loss": [0.9, 0.4], "val_loss": [1.0, 0.5]})
    assert len(ax2.get_lines()) == 2


def test_plot_history_rejects_bad_input():
    with pytest.raises(TypeError, match="History"):
        plot.plot_history([1.0, 0.5])
    with pytest.raises(ValueError, match="no losses"):
        plot.plot_history({"train_loss": [], "val_loss": []})
    with pytest.raises(ValueError, match="log=False"):
        plot.plot_history({"train_loss": [1.0, -0.5], "val_loss": []})
    with pytest.raises(TypeError, match="Axes"):
        plot.plot_history({"train_loss": [1.0]}, ax="axes")


# ----------------------------------------------------------------------------- plot_image_grid


def test_plot_image_grid_one_image_per_axes():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(10, 8, 8))
    fig = plot.plot_image_grid(images, labels=list(range(10)), n_cols=4)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12  # 3 rows of 4
    drawn = [im for ax in fig.axes for im in _images(ax)]
    assert len(drawn) == 10
    np.testing.assert_allclose(drawn[3].get_array(), images[3])
    assert [ax.get_title() for ax in fig.axes[:3]] == ["0", "1", "2"]


def test_plot_image_grid_accepts_channel_first_tensor_rgb_and_reuses_fig():
    images = torch.rand(3, 1, 5, 5)
    fig = plt.figure()
    assert plot.plot_image_grid(images, fig=fig) is fig
    assert len(fig.axes) == 3  # n_cols is capped at the number of images
    fig = plot.plot_image_grid(np.zeros((2, 4, 4, 3)), fig=fig)  # cleared, then redrawn
    assert len(fig.axes) == 2
    assert _images(fig.axes[0])[0].get_array().shape == (4, 4, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"images": np.zeros((4, 4))}, ValueError, "shape"),
        ({"images": np.zeros((0, 4, 4))}, ValueError, "empty"),
        (
            {"images": np.zeros((2, 4, 4)), "labels": [1]},
            ValueError,
            "one entry per image",
        ),
        ({"images": np.zeros((2, 4, 4)), "labels": "ab"}, TypeError, "string"),
        ({"images": np.zeros((2, 4, 4)), "n_cols": 0}, ValueError, "n_cols"),
        ({"images": np.zeros((2, 4, 4)), "fig": "figure"}, TypeError, "Figure"),
    ],
)
def test_plot_image_grid_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plot.plot_image_grid(**kwargs)


# ----------------------------------------------------------------------------- plot_2d_function


def test_plot_2d_function_image_orientation_and_points():
    X = np.array([[-0.5, 0.5], [0.5, -0.5]])
    y = np.array([0.0, 1.0])
    ax = plot.plot_2d_function(lambda Z: Z[:, 0] + 10 * Z[:, 1], n=11, points=(X, y))
    (image,) = _images(ax)
    values = np.asarray(image.get_array())
    assert values.shape == (11, 11)
    assert values[0, -1] == pytest.approx(
        1 - 10
    )  # origin lower: row 0 is y = -1, x = +1
    assert values[-1, 0] == pytest.approx(-1 + 10)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 1 and len(scatters[0].get_offsets()) == 2
    assert len(ax.figure.axes) == 2  # the axes and its colour bar


def test_plot_2d_function_accepts_torch_output_and_constant_function():
    w = torch.ones(2, requires_grad=True)
    _, ax = plt.subplots()
    out = plot.plot_2d_function(
        lambda Z: torch.from_numpy(Z) @ w, ax=ax, n=5, colorbar=False, xlim=(0, 2)
    )
    assert out is ax
    assert _images(ax)[0].get_extent() == [0.0, 2.0, -1.0, 1.0]
    ax2 = plot.plot_2d_function(lambda Z: np.zeros(len(Z)), n=4)  # no zero-width scale
    norm = _images(ax2)[0].norm
    assert norm.vmin < norm.vmax


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"f": lambda Z: Z}, ValueError, "one value per point"),
        ({"f": lambda Z: Z[:3, 0]}, ValueError, "m rows"),
        ({"f": "sin"}, TypeError, "callable"),
        ({"f": lambda Z: Z[:, 0], "xlim": (1, -1)}, ValueError, "xlim"),
        ({"f": lambda Z: Z[:, 0], "n": 1}, ValueError, "n must be"),
        (
            {"f": lambda Z: Z[:, 0], "points": (np.zeros((3, 3)), np.zeros(3))},
            ValueError,
            "X",
        ),
        ({"f": lambda Z: Z[:, 0], "points": np.zeros((3, 2))}, TypeError, "pair"),
    ],
)
def test_plot_2d_function_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plot.plot_2d_function(**kwargs)


# ----------------------------------------------------------------------------- draw_network


def test_draw_network_nodes_and_edges_without_weights():
    ax = plot.draw_network([2, 3, 1])
    assert isinstance(ax, Axes)
    (edges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    (nodes,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(edges.get_segments()) == 2 * 3 + 3 * 1
    assert len(nodes.get_offsets()) == 2 + 3 + 1
    assert sorted(set(np.asarray(nodes.get_offsets())[:, 0])) == [0.0, 1.0, 2.0]


def test_draw_network_colours_edges_by_weight():
    rng = np.random.default_rng(1)
    params = [
        (rng.normal(size=(2, 3)), np.zeros(3)),
        (rng.normal(size=(3, 2)), np.zeros(2)),
    ]
    ax = plot.draw_network([2, 3, 2], weights=params)  # (W, b) pairs as nn_numpy makes
    (edges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    expected = np.concatenate([W.ravel() for W, _ in params])
    np.testing.assert_allclose(edges.get_array(), expected)
    widths = edges.get_linewidths()
    assert widths[np.argmax(np.abs(expected))] == pytest.approx(max(widths))
    # segment k of layer 0 joins input node k // 3 to hidden node k % 3
    start, end = edges.get_segments()[1]
    assert start[0] == 0.0 and end[0] == 1.0


def test_draw_network_rejects_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        plot.draw_network([3])
    with pytest.raises(ValueError, match=">= 1"):
        plot.draw_network([2, 0, 1])
    with pytest.raises(TypeError, match="sequence"):
        plot.draw_network("231")
    with pytest.raises(ValueError, match="one matrix per pair"):
        plot.draw_network([2, 3, 1], weights=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match="transposed"):
        plot.draw_network([2, 3], weights=[np.zeros((3, 2))])


# ----------------------------------------------------------------------------- decision boundary


def test_plot_decision_boundary_binary_scores():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    ax = plot.plot_decision_boundary(lambda Z: Z[:, 0], X, y, threshold=0.0, n=20)
    (image,) = _images(ax)
    classes = np.asarray(image.get_array())
    assert classes.shape == (20, 20)
    assert set(np.unique(classes)) == {0, 1}
    assert np.all(classes[:, 0] == 0) and np.all(classes[:, -1] == 1)  # left 0, right 1
    assert len([c for c in ax.collections if isinstance(c, ContourSet)]) == 1
    (points,) = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection) and not isinstance(c, ContourSet)
    ]
    assert len(points.get_offsets()) == 50


def test_plot_decision_boundary_multiclass_and_constant_model():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(30, 2))

    def model_fn(Z):  # three classes: argmax of class scores, as a torch tensor
        return torch.from_numpy(
            np.stack([Z[:, 0], Z[:, 1], -Z[:, 0] - Z[:, 1]], axis=1)
        )

    y = np.argmax(model_fn(X).numpy(), axis=1)
    ax = plot.plot_decision_boundary(model_fn, X, y, n=30)
    assert set(np.unique(_images(ax)[0].get_array())) == {0, 1, 2}
    assert len([c for c in ax.collections if isinstance(c, ContourSet)]) == 2
    # A model that predicts one class everywhere has no boundary (and must not warn).
    ax2 = plot.plot_decision_boundary(lambda Z: np.ones(len(Z)), X, y, n=10)
    assert not [c for c in ax2.collections if isinstance(c, ContourSet)]


@pytest.mark.parametrize(
    ("X", "y", "model_fn", "error", "match"),
    [
        (
            np.zeros((5, 3)),
            np.zeros(5),
            lambda Z: Z[:, 0],
            ValueError,
            r"X must have shape",
        ),
        (
            np.zeros((5, 2)),
            np.zeros(4),
            lambda Z: Z[:, 0],
            ValueError,
            r"y must have shape",
        ),
        (np.zeros((5, 2)), np.full(5, 0.5), lambda Z: Z[:, 0], ValueError, "integer"),
        (
            np.zeros((5, 2)),
            np.zeros(5),
            lambda Z: Z[:, :, None],
            ValueError,
            "n_classes",
        ),
        (np.zeros((5, 2)), np.zeros(5), None, TypeError, "callable"),
    ],
)
def test_plot_decision_boundary_rejects_bad_input(X, y, model_fn, error, match):
    with pytest.raises(error, match=match):
        plot.plot_decision_boundary(model_fn, X, y, n=5)


# ----------------------------------------------------------------------------------------------
# Bad input found by the sweep: each is refused with a message naming the argument
# ----------------------------------------------------------------------------------------------

NAN = float("nan")
_HISTORY = {"train_loss": [1.0, 0.5], "val_loss": [1.2, 0.7]}
_X = np.random.default_rng(0).random((3, 2))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: plot.plot_history({"train_loss": np.ones((2, 2)), "val_loss": []}),
            ValueError,
            "train_loss",
        ),
        (
            lambda: plot.plot_history({**_HISTORY, "best_epoch": 7}),
            ValueError,
            "best_epoch",
        ),
        (
            lambda: plot.plot_history({**_HISTORY, "best_epoch": 0.5}),
            ValueError,
            "best_epoch",
        ),
        (lambda: plot.plot_history(_HISTORY, log="no"), TypeError, "log"),
        (
            lambda: plot.plot_image_grid(np.zeros((3, 4, 4)), vmin=1, vmax=0),
            ValueError,
            "vmin",
        ),
        (
            lambda: plot.plot_image_grid(np.zeros((3, 4, 4)), vmin=NAN, vmax=1),
            ValueError,
            "vmin",
        ),
        (
            lambda: plot.plot_2d_function(
                lambda X: X[:, 0], n=10, points=(np.zeros(3), np.zeros(3))
            ),
            ValueError,
            r"points\[0\]",
        ),
        (
            lambda: plot.plot_2d_function(
                lambda X: X[:, 0], n=10, points=(np.zeros((3, 2)), np.zeros(2))
            ),
            ValueError,
            r"points\[1\]",
        ),
        (lambda: plot.draw_network([2, 0, 1]), ValueError, r"layer_sizes\[1\]"),
        (lambda: plot.draw_network([2, 1.5]), TypeError, r"layer_sizes\[1\]"),
        (
            lambda: plot.plot_decision_boundary(
                lambda X: X[:, 0], _X, np.zeros(3), threshold=NAN
            ),
            ValueError,
            "threshold",
        ),
        (
            lambda: plot.plot_decision_boundary(
                lambda X: X[:, 0], _X, np.zeros(3), margin=-1
            ),
            ValueError,
            "margin",
        ),
    ],
    ids=[
        "history-2d",
        "best-epoch-out-of-range",
        "best-epoch-float",
        "log-str",
        "vmin-above-vmax",
        "vmin-nan",
        "points-X-shape",
        "points-y-length",
        "layer-size-zero",
        "layer-size-float",
        "threshold-nan",
        "margin-negative",
    ],
)
def test_bad_input_found_by_the_sweep_is_refused(call, error, match):
    try:
        with pytest.raises(error, match=match):
            call()
    finally:
        plt.close("all")


def test_history_attribute_none_counts_as_empty():
    ax = plot.plot_history(
        {"train_loss": [1.0, 0.5], "val_loss": None, "best_epoch": 1}
    )
    assert len(ax.get_lines()) == 2  # the training curve and the best-epoch marker
    plt.close("all")


# --------------------------------------------------------------------------------- tile_images


def test_tile_images_places_each_image_at_its_documented_corner():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    canvas = plot.tile_images(images, n_cols=2, gap=1, fill=-1.0)
    assert canvas.shape == (3 * 3 + 1, 2 * 4 + 1)
    for k, image in enumerate(images):
        top, left = 1 + (k // 2) * 3, 1 + (k % 2) * 4
        np.testing.assert_array_equal(canvas[top : top + 2, left : left + 3], image)
    # the gaps and the empty sixth tile hold the fill value, and nothing else does
    assert (canvas == -1.0).sum() == canvas.size - images.size


def test_tile_images_reshapes_flat_images_and_fills_nan_by_default():
    flat = np.ones((3, 64))
    canvas = plot.tile_images(flat, n_cols=3, image_shape=(8, 8))
    assert canvas.shape == (10, 28)
    assert np.isnan(canvas[0]).all() and np.nansum(canvas) == 3 * 64


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"images": np.ones((3, 64))}, ValueError),  # flat without image_shape
        ({"images": np.ones((3, 63)), "image_shape": (8, 8)}, ValueError),
        ({"images": np.ones((0, 2, 2))}, ValueError),
        ({"images": np.ones((3, 2, 2)), "n_cols": 0}, ValueError),
        ({"images": np.ones((3, 2, 2)), "gap": -1}, ValueError),
        ({"images": np.ones((3, 2, 2)), "n_cols": 2.0}, TypeError),
        ({"images": "pixels"}, TypeError),
    ],
)
def test_tile_images_refuses_bad_input(kwargs, error):
    kwargs = {"n_cols": 2, **kwargs}
    with pytest.raises(error):
        plot.tile_images(**kwargs)
