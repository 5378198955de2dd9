"""Sliders that recompute live in Jupyter and still work on the static book page.

:func:`interactive_figure` is the book's one entry point for sliders::

    def plot_gaussian(fig, sigma, n_layers):
        ax = fig.add_subplot()
        ...

    interactive_figure(plot_gaussian, sigma=np.linspace(0.1, 3, 15), n_layers=[1, 2, 4, 8])

Why two modes. A live Jupyter kernel (JupyterLab, Binder, Colab) can run Python whenever a
slider moves, so there the sliders are ipywidgets that call the plot function again. The
published HTML book has no kernel: an embedded ipywidgets slider would move but recompute
nothing. So during the book build the function is called once for every point of the slider
grid, each figure is stored as a PNG inside the page, and a small script
(``book/_static/ml4phys-widgets.js``, loaded on every page) swaps the image when a slider
moves. Both modes use the same grid of values (live sliders are ``SelectionSlider``s), so the
reader sees the same figures either way. The PDF shows one frame, at the default values.

How the mode is chosen. The book build sets the environment variable ``ML4PHYS_BUILD=1`` for
the kernels that execute the notebooks (the build command exports it, e.g.
``ML4PHYS_BUILD=1 jupyter-book build .``); :func:`ml4phys.runtime.in_book_build` reads it, and
``mode="auto"`` picks the static form when it is set and the live form otherwise.
``mode="static"`` or ``mode="live"`` forces one.

Keep the grid small (the product of the slider lengths is the number of frames stored in the
page; at most ``max_frames``) and the plot function fast (well under 0.1 s per call).

The figure uses constrained layout (do not call ``fig.tight_layout()``) and has a fixed size,
so the image does not jump while a slider moves.

:func:`animation` plays a sequence of frames (an episode of an agent, a sampler's chain)
with a play button and a frame slider. Every frame is drawn once, when the cell runs, in
both modes: on the static page the script plays the stored PNGs; in Jupyter an ipywidgets
``Play`` drives the same PNGs, so no kernel round trip is needed per frame.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ml4phys import runtime
from ml4phys._validation import check_int

__all__ = [
    "interactive_figure",
    "StaticInteractiveFigure",
    "animation",
    "StaticAnimation",
]

_DEFAULT_DPI = 100

Value = int | float | str


class _Param:
    """One slider: its name, its grid of values and their labels."""

    def __init__(self, name: str, values: list[Value], default_index: int) -> None:
        self.name = name
        self.values = values
        self.labels = _labels(values)
        self.default_index = default_index


def _to_python(v: Any) -> Value:
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        raise TypeError("slider values must be numbers or strings, not booleans")
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"slider values must be finite, got {v}")
        return v
    raise TypeError(f"slider values must be numbers or strings, got {type(v).__name__}")


def _check_values(name: str, values: Any) -> list[Value]:
    if isinstance(values, (str, bytes)) or not isinstance(
        values, (Sequence, np.ndarray, range)
    ):
        raise TypeError(
            f"slider {name!r} must be given as a list, tuple, range or 1-D array of values "
            f"(the grid), got {type(values).__name__}"
        )
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(
                f"slider {name!r} must be a 1-D grid, got shape {values.shape}"
            )
        values = values.tolist()
    values = list(values)
    if not values:
        raise ValueError(f"slider {name!r} has no values: give at least one")
    try:
        out = [_to_python(v) for v in values]
    except (TypeError, ValueError) as err:
        raise type(err)(f"slider {name!r}: {err}") from None
    n_str = sum(isinstance(v, str) for v in out)
    if 0 < n_str < len(out):
        raise TypeError(f"slider {name!r} mixes strings and numbers; use one kind")
    if len(set(out)) != len(out):
        raise ValueError(f"slider {name!r} has repeated values: {out}")
    return out


def _labels(values: list[Value]) -> list[str]:
    """Short, distinct text labels for the values of one slider."""
    if all(isinstance(v, str) for v in values):
        return list(values)  # type: ignore[arg-type]
    for digits in range(4, 18):
        labels = [str(v) if isinstance(v, int) else f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(v) for v in values]


def _default_index(name: str, values: list[Value], default: Any) -> int:
    """The grid index of a default value (numbers match up to rounding)."""
    if isinstance(values[0], str):
        if isinstance(default, str) and default in values:
            return values.index(default)
    elif isinstance(default, numbers.Real) and not isinstance(
        default, (bool, np.bool_)
    ):
        for i, v in enumerate(values):
            if math.isclose(float(v), float(default), rel_tol=1e-9, abs_tol=1e-12):
                return i
    raise ValueError(
        f"default {default!r} for slider {name!r} is not on its grid {values}; pick one of the grid values"
    )


def _check_figsize(figsize: Any) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"figsize must be (width, height) in inches, got {figsize!r}"
        ) from err
    if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
        raise ValueError(f"figsize must be positive, got {figsize!r}")
    return w, h


def _render_png(
    fig: Figure, plot_fn: Callable[..., Any], params: dict[str, Value]
) -> bytes:
    """Clear the figure, draw one frame with plot_fn and return it as PNG bytes."""
    fig.clear()
    try:
        plot_fn(fig, **params)
    except Exception as err:
        if hasattr(err, "add_note"):
            err.add_note(
                f"(in a widget of ml4phys.widgets, while drawing the frame for {params})"
            )
        raise
    # Draw on the Agg canvas and encode with Pillow: fig.savefig would draw twice under
    # constrained layout (about 3x slower). No metadata: equal figures give equal bytes.
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # (height, width, 4) uint8
    image = PIL.Image.fromarray(rgba[..., :3] if np.all(rgba[..., 3] == 255) else rgba)
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()


def _new_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    """A bare Figure on an Agg canvas, not pyplot: no stray copy is shown, no state leaks."""
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(
        fig
    )  # attaches itself as fig.canvas; the pyplot backend is untouched
    return fig


class StaticInteractiveFigure:
    """Precomputed frames of an interactive figure, for a page with no kernel.

    Displayed by IPython/myst-nb through :meth:`_repr_mimebundle_`: ``text/html`` (the slider
    version, animated by ``ml4phys-widgets.js``), ``image/png`` (the default frame, used by the
    PDF builder) and ``text/plain``.

    Attributes:
        params: the sliders, in the order given.
        frames: PNG bytes of every frame, keyed by the tuple of grid indices.
        default_key: the grid indices of the default frame.
    """

    def __init__(
        self, params: list[_Param], frames: dict[tuple[int, ...], bytes]
    ) -> None:
        self.params = params
        self.frames = frames
        self.default_key = tuple(p.default_index for p in params)

    @property
    def n_frames(self) -> int:
        return len(self.frames)

    def frame_png(self, **values: Any) -> bytes:
        """The PNG bytes of the frame at the given slider values (defaults for the others)."""
        key = list(self.default_key)
        names = [p.name for p in self.params]
        for name, value in values.items():
            if name not in names:
                raise ValueError(f"unknown slider {name!r}; the sliders are {names}")
            i = names.index(name)
            key[i] = _default_index(name, self.params[i].values, value)
        return self.frames[tuple(key)]

    def _data(self) -> dict[str, Any]:
        return {
            "version": 1,
            "params": [
                {
                    "name": p.name,
                    "labels": p.labels,
                    "values": p.values,
                    "default": p.default_index,
                }
                for p in self.params
            ],
            "default": _key(self.default_key),
            "frames": {
                _key(k): "data:image/png;base64,"
                + base64.b64encode(png).decode("ascii")
                for k, png in self.frames.items()
            },
        }

    def _alt(self, key: tuple[int, ...]) -> str:
        return "Figure at " + ", ".join(
            f"{p.name} = {p.labels[i]}" for p, i in zip(self.params, key, strict=True)
        )

    def to_html(self) -> str:
        """The static widget: sliders, the default frame and all frames as JSON."""
        data = self._data()
        payload = json.dumps(data, separators=(",", ":"))
        # Safe inside <script>: no "</script>", "<!--" or "&" can appear literally.
        payload = (
            payload.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        uid = "ml4phys-w-" + hashlib.sha1(payload.encode("ascii")).hexdigest()[:10]
        rows = []
        for j, p in enumerate(self.params):
            input_id = f"{uid}-{j}"
            i = p.default_index
            rows.append(
                '<div class="ml4phys-control">'
                f'<label for="{input_id}">{html.escape(p.name)}</label>'
                f'<input type="range" id="{input_id}" min="0" max="{len(p.values) - 1}" '
                f'step="1" value="{i}" data-param="{html.escape(p.name)}" '
                f'aria-valuetext="{html.escape(p.labels[i])}">'
                f'<output for="{input_id}">{html.escape(p.labels[i])}</output>'
                "</div>"
            )
        src = data["frames"][data["default"]]
        alt = html.escape(self._alt(self.default_key))
        return (
            f'<div class="ml4phys-widget" data-ml4phys-widget="1" id="{uid}">'
            f'<div class="ml4phys-controls">{"".join(rows)}</div>'
            f'<img class="ml4phys-frame" src="{src}" alt="{alt}">'
            f'<script type="application/json" class="ml4phys-frames">{payload}</script>'
            "</div>"
        )

    def __repr__(self) -> str:
        sliders = ", ".join(f"{p.name} ({len(p.values)} values)" for p in self.params)
        return f"<interactive figure, {self.n_frames} precomputed frames: {sliders}>"

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        return {
            "text/html": self.to_html(),
            "image/png": base64.b64encode(self.frames[self.default_key]).decode(
                "ascii"
            ),
            "text/plain": repr(self),
        }


def _key(index: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in index)


def interactive_figure(
    plot_fn: Callable[..., Any],
    *,
    figsize: Sequence[float] = (6, 4),
    max_frames: int = 64,
    defaults: Mapping[str, Any] | None = None,
    dpi: float | None = None,
    mode: Literal["auto", "live", "static"] = "auto",
    **sliders: Any,
) -> Any:
    """A figure with sliders: live in Jupyter, precomputed on the static book page.

    Args:
        plot_fn: called as ``plot_fn(fig, **params)``; draws into the (cleared) matplotlib
            ``fig`` (use ``fig.add_subplot()`` or ``fig.subplots()``). Its return value is
            ignored.
        figsize: figure size (width, height) in inches.
        max_frames: largest allowed number of frames, the product of the slider lengths.
        defaults: starting value of some sliders (each must be on its grid); the others start
            at their first value. The PDF shows the frame at these values.
        dpi: resolution of the frames; 100 when None.
        mode: ``"live"`` (ipywidgets), ``"static"`` (precomputed frames) or ``"auto"``
            (static during the book build, see :func:`ml4phys.runtime.in_book_build`, else live).
        **sliders: one grid per slider, ``name=values``: a list, tuple, range or 1-D array of
            numbers (e.g. ``np.linspace(0.1, 3, 15)``), or of strings for a choice. The names
            ``plot_fn``, ``figsize``, ``max_frames``, ``defaults``, ``dpi`` and ``mode`` are
            taken by the arguments above.

    Returns:
        Live: an ``ipywidgets.VBox`` whose children are one ``SelectionSlider`` per slider
        (in order) and then the ``Output`` showing the figure. Static: a
        :class:`StaticInteractiveFigure`. Either displays when left as the last expression of
        a cell.

    Raises:
        TypeError: plot_fn not callable, a grid of the wrong type.
        ValueError: no sliders, an empty, non-1-D or repeated grid, more frames than
            ``max_frames`` (coarsen the grid), defaults off the grid or for unknown sliders,
            an unknown mode.
    """
    if not callable(plot_fn):
        raise TypeError(
            f"plot_fn must be callable as plot_fn(fig, **params), got {type(plot_fn).__name__}"
        )
    if mode not in ("auto", "live", "static"):
        raise ValueError(f'mode must be "auto", "live" or "static", got {mode!r}')
    max_frames = check_int(max_frames, "max_frames")
    figsize = _check_figsize(figsize)
    if dpi is None:
        dpi = _DEFAULT_DPI
    if (
        isinstance(dpi, bool)
        or not isinstance(dpi, numbers.Real)
        or not 10 <= dpi <= 600
    ):
        raise ValueError(f"dpi must be a number between 10 and 600, got {dpi!r}")
    if not sliders:
        raise ValueError(
            "give at least one slider, e.g. interactive_figure(f, sigma=[0.5, 1, 2])"
        )
    grids = {name: _check_values(name, values) for name, values in sliders.items()}
    n_frames = math.prod(len(v) for v in grids.values())
    if n_frames > max_frames:
        sizes = " x ".join(f"{len(v)} ({name})" for name, v in grids.items())
        raise ValueError(
            f"the slider grid has {sizes} = {n_frames} frames, more than "
            f"max_frames={max_frames}; coarsen the grid (fewer values per slider) or raise "
            "max_frames"
        )
    defaults = {} if defaults is None else defaults
    if not isinstance(defaults, Mapping):
        raise TypeError(
            f"defaults must be a dict name -> value, got {type(defaults).__name__}"
        )
    unknown = set(defaults) - set(grids)
    if unknown:
        raise ValueError(
            f"defaults for unknown sliders {sorted(unknown)}; the sliders are {list(grids)}"
        )
    params = [
        _Param(name, values, _default_index(name, values, defaults[name]))
        if name in defaults
        else _Param(name, values, 0)
        for name, values in grids.items()
    ]
    if mode == "auto":
        mode = "static" if runtime.in_book_build() else "live"
    if mode == "static":
        return _static(plot_fn, params, figsize, float(dpi))
    return _live(plot_fn, params, figsize, float(dpi))


def _static(
    plot_fn: Callable[..., Any],
    params: list[_Param],
    figsize: tuple[float, float],
    dpi: float,
) -> StaticInteractiveFigure:
    fig = _new_figure(figsize, dpi)
    frames = {}
    for key in itertools.product(*(range(len(p.values)) for p in params)):
        values = {p.name: p.values[i] for p, i in zip(params, key, strict=True)}
        frames[key] = _render_png(fig, plot_fn, values)
    return StaticInteractiveFigure(params, frames)


def _live(
    plot_fn: Callable[..., Any],
    params: list[_Param],
    figsize: tuple[float, float],
    dpi: float,
) -> Any:
    import ipywidgets
    from IPython.display import Image, display

    fig = _new_figure(figsize, dpi)
    out = ipywidgets.Output()
    controls = [
        ipywidgets.SelectionSlider(
            options=list(zip(p.labels, p.values, strict=True)),
            value=p.values[p.default_index],
            description=p.name,
            continuous_update=False,
            style={"description_width": "initial"},
            layout=ipywidgets.Layout(width="min(100%, 32em)"),
        )
        for p in params
    ]

    def show(png: bytes) -> None:
        with out:
            out.clear_output(wait=True)
            display(Image(data=png, format="png", width=round(figsize[0] * dpi)))

    def redraw(change: Any = None) -> None:
        values = {p.name: c.value for p, c in zip(params, controls, strict=True)}
        with out:  # in a kernel, an error in plot_fn is shown in the output area
            show(_render_png(fig, plot_fn, values))

    for control in controls:
        control.observe(redraw, names="value")
    # The first frame is drawn outside the Output context, so that an error in plot_fn
    # raises in the cell (and fails nbval or the build) instead of being shown quietly.
    show(_render_png(fig, plot_fn, {p.name: p.values[p.default_index] for p in params}))
    return ipywidgets.VBox([*controls, out])


# ----------------------------------------------------------------------------------------------
# Animations


class StaticAnimation(StaticInteractiveFigure):
    """Precomputed frames of an animation, with a play button, for a page with no kernel.

    Displayed like :class:`StaticInteractiveFigure` (one slider, named ``frame``), plus a
    play/pause button that ``ml4phys-widgets.js`` binds. The PDF shows the poster frame.

    Attributes:
        interval_ms: time between frames while playing, in milliseconds.
    """

    def __init__(
        self,
        params: list[_Param],
        frames: dict[tuple[int, ...], bytes],
        interval_ms: int,
    ) -> None:
        super().__init__(params, frames)
        self.interval_ms = interval_ms

    def to_html(self) -> str:
        inner = super().to_html()
        head = '<div class="ml4phys-widget" data-ml4phys-widget="1"'
        assert inner.startswith(head)
        button = (
            '<button type="button" class="ml4phys-play" aria-label="play">'
            "&#9654;</button>"
        )
        inner = inner.replace(
            '<div class="ml4phys-controls">',
            f'<div class="ml4phys-controls">{button}',
            1,
        )
        return head + f' data-ml4phys-play="{self.interval_ms}"' + inner[len(head) :]

    def __repr__(self) -> str:
        return f"<animation, {self.n_frames} precomputed frames>"


def animation(
    draw: Callable[[Figure, int], Any],
    n_frames: int,
    *,
    figsize: Sequence[float] = (4, 4),
    dpi: float = 80,
    interval_ms: int = 250,
    poster: int = -1,
    max_frames: int = 120,
    mode: Literal["auto", "live", "static"] = "auto",
) -> Any:
    """An animation with a play button and a frame slider, on the static page and in Jupyter.

    Record what to show first (the states of an episode), then draw frame ``i`` from the
    record: ``draw(fig, i)`` draws into the cleared matplotlib ``fig``, as the plot function
    of :func:`interactive_figure` does. Every frame is drawn once when the cell runs.

    Args:
        draw: called as ``draw(fig, i)`` for ``i = 0, ..., n_frames - 1``.
        n_frames: number of frames, 1 to ``max_frames``.
        figsize: figure size (width, height) in inches.
        dpi: resolution of the frames (keep it small: every frame is stored in the page).
        interval_ms: time between frames while playing, 20 to 5000 ms.
        poster: the frame the slider starts at and the PDF shows (negative counts from the
            end; the default is the last frame).
        max_frames: largest allowed number of frames.
        mode: as in :func:`interactive_figure`.

    Returns:
        Static: a :class:`StaticAnimation`. Live: an ``ipywidgets.VBox`` holding a ``Play``,
        an ``IntSlider`` linked to it, and an ``Image``.

    Raises:
        TypeError: draw not callable, a count that is not an integer.
        ValueError: n_frames out of range, poster off the frames, a bad interval, dpi or mode.
    """
    if not callable(draw):
        raise TypeError(
            f"draw must be callable as draw(fig, i), got {type(draw).__name__}"
        )
    if mode not in ("auto", "live", "static"):
        raise ValueError(f'mode must be "auto", "live" or "static", got {mode!r}')
    max_frames = check_int(max_frames, "max_frames")
    n_frames = check_int(n_frames, "n_frames")
    if not 1 <= n_frames <= max_frames:
        raise ValueError(
            f"n_frames must be between 1 and max_frames={max_frames}, got {n_frames}; "
            "show every k-th state of a long episode"
        )
    interval_ms = check_int(interval_ms, "interval_ms", minimum=20)
    if not 20 <= interval_ms <= 5000:
        raise ValueError(f"interval_ms must be between 20 and 5000, got {interval_ms}")
    poster = check_int(poster, "poster", minimum=-n_frames)
    if not -n_frames <= poster < n_frames:
        raise ValueError(
            f"poster must index one of the {n_frames} frames, got {poster}"
        )
    poster %= n_frames
    figsize = _check_figsize(figsize)
    if (
        isinstance(dpi, bool)
        or not isinstance(dpi, numbers.Real)
        or not 10 <= dpi <= 600
    ):
        raise ValueError(f"dpi must be a number between 10 and 600, got {dpi!r}")
    fig = _new_figure(figsize, float(dpi))
    pngs = [
        _render_png(fig, lambda f, frame: draw(f, frame), {"frame": i})
        for i in range(n_frames)
    ]
    if mode == "auto":
        mode = "static" if runtime.in_book_build() else "live"
    if mode == "static":
        param = _Param("frame", list(range(n_frames)), poster)
        return StaticAnimation(
            [param], {(i,): png for i, png in enumerate(pngs)}, interval_ms
        )
    import ipywidgets

    play = ipywidgets.Play(
        value=poster, min=0, max=n_frames - 1, interval=interval_ms, description="play"
    )
    slider = ipywidgets.IntSlider(
        value=poster, min=0, max=n_frames - 1, description="frame"
    )
    ipywidgets.jslink((play, "value"), (slider, "value"))
    image = ipywidgets.Image(
        value=pngs[poster], format="png", width=round(figsize[0] * dpi)
    )

    def show(change: Any) -> None:
        image.value = pngs[change["new"]]

    slider.observe(show, names="value")
    return ipywidgets.VBox([ipywidgets.HBox([play, slider]), image])
