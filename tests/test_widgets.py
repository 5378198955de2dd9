"""Tests for ml4phys.widgets.interactive_figure: validation, the static and live modes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only: the package never forces a backend

import base64
import io
import json
from html.parser import HTMLParser

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import pytest

from ml4phys import widgets
from ml4phys.widgets import StaticInteractiveFigure, interactive_figure

SMALL = {"figsize": (2.0, 1.5), "dpi": 40}  # small frames keep the tests fast


@pytest.fixture(autouse=True)
def _no_build_env(monkeypatch):
    monkeypatch.delenv("ML4PHYS_BUILD", raising=False)
    yield
    plt.close("all")


class Recorder:
    """A plot function that records its calls and draws something parameter-dependent."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, fig, **params):
        self.calls.append(params)
        ax = fig.add_subplot()
        x = np.linspace(0, 1, 20)
        amplitude = params.get("a", 1.0)
        shift = {"sin": 0.0, "cos": np.pi / 2}.get(params.get("kind", "sin"), 0.0)
        ax.plot(x, amplitude * np.sin(2 * np.pi * params.get("k", 1) * x + shift))
        ax.set_ylim(-3, 3)


class Collect(HTMLParser):
    """Collect start tags (name, attrs) and the text inside <script> and <output>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, list[str]] = {"script": [], "output": []}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.text:
            self._open = tag

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.text[self._open].append(data)

    def find(self, tag, **attrs):
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def _static(plot_fn=None, **kwargs):
    plot_fn = plot_fn or Recorder()
    return interactive_figure(plot_fn, mode="static", **SMALL, **kwargs)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "at least one slider"),
        ({"a": []}, ValueError, "no values"),
        ({"a": np.zeros((2, 2))}, ValueError, "1-D"),
        ({"a": "abc"}, TypeError, "list, tuple"),
        ({"a": 3.0}, TypeError, "list, tuple"),
        ({"a": [1, "x"]}, TypeError, "mixes"),
        ({"a": [1, 1.0]}, ValueError, "repeated"),
        ({"a": [1.0, np.nan]}, ValueError, "finite"),
        ({"a": [True, False]}, TypeError, "booleans"),
        ({"a": [None]}, TypeError, "numbers or strings"),
        ({"a": range(10), "k": range(10)}, ValueError, "coarsen the grid"),
        ({"a": [1, 2], "defaults": {"b": 1}}, ValueError, "unknown sliders"),
        ({"a": [1, 2], "defaults": {"a": 1.5}}, ValueError, "not on its grid"),
        (
            {"kind": ["sin", "cos"], "defaults": {"kind": "tan"}},
            ValueError,
            "not on its grid",
        ),
        ({"a": [1, 2], "defaults": [1]}, TypeError, "dict"),
        ({"a": [1, 2], "mode": "pdf"}, ValueError, "mode"),
        ({"a": [1, 2], "max_frames": 0}, ValueError, "max_frames"),
        ({"a": [1, 2], "figsize": (0, 1)}, ValueError, "figsize"),
        ({"a": [1, 2], "dpi": 1}, ValueError, "dpi"),
    ],
)
def test_interactive_figure_rejects_bad_input(kwargs, error, match):
    recorder = Recorder()
    kwargs = {"mode": "static", **kwargs}
    with pytest.raises(error, match=match):
        interactive_figure(recorder, **kwargs)
    assert recorder.calls == []  # validation happens before any drawing


def test_interactive_figure_rejects_non_callable():
    with pytest.raises(TypeError, match="callable"):
        interactive_figure("plot", a=[1, 2])


def test_max_frames_is_the_product_of_grid_sizes():
    assert _static(a=[1, 2, 3], k=[1, 2], max_frames=6).n_frames == 6
    with pytest.raises(ValueError, match="3 \\(a\\) x 2 \\(k\\) = 6 frames"):
        _static(a=[1, 2, 3], k=[1, 2], max_frames=5)


# ----------------------------------------------------------------------------- static mode


def test_static_renders_every_frame_once_and_frames_differ():
    recorder = Recorder()
    fig_nums = plt.get_fignums()
    result = _static(recorder, a=np.array([0.5, 1.0, 2.0]), k=[1, 2])
    assert isinstance(result, StaticInteractiveFigure)
    assert result.n_frames == 6 and len(recorder.calls) == 6
    seen = {(c["a"], c["k"]) for c in recorder.calls}
    assert seen == {(a, k) for a in (0.5, 1.0, 2.0) for k in (1, 2)}
    assert all(type(c["a"]) is float and type(c["k"]) is int for c in recorder.calls)
    assert (
        len(set(result.frames.values())) == 6
    )  # distinct parameters, distinct pictures
    png = PIL.Image.open(io.BytesIO(result.frames[(0, 0)]))
    assert png.format == "PNG" and png.size == (
        80,
        60,
    )  # figsize * dpi, fixed for all frames
    assert plt.get_fignums() == fig_nums  # no pyplot figure was created


def test_static_mimebundle_png_is_the_default_frame():
    result = _static(a=[0.5, 1.0, 2.0], k=[1, 2, 3], defaults={"a": 2.0, "k": 2})
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert result.default_key == (2, 1)
    assert base64.b64decode(bundle["image/png"]) == result.frames[(2, 1)]
    assert bundle["image/png"] != base64.b64encode(result.frames[(0, 0)]).decode()
    assert "9 precomputed frames" in bundle["text/plain"]
    # the same picture is drawn again when asked for those values
    assert result.frame_png(a=2.0, k=2) == result.frames[(2, 1)]
    assert result.frame_png() == result.frames[(2, 1)]


def test_static_defaults_match_grid_values_up_to_rounding():
    result = _static(a=np.linspace(0.1, 0.3, 3), defaults={"a": 0.2})
    assert result.default_key == (1,)


def test_static_html_contract():
    result = _static(a=[0.5, 1.0, 2.0], kind=["sin", "cos"], defaults={"kind": "cos"})
    page = Collect()
    page.feed(result._repr_mimebundle_()["text/html"])

    (outer,) = page.find("div", **{"class": "ml4phys-widget"})
    assert outer["data-ml4phys-widget"] == "1"
    assert (
        page.tags[0][0] == "div" and page.tags[0][1] is outer
    )  # the outermost element
    ranges = page.find("input", type="range")
    assert [
        (r["data-param"], r["min"], r["max"], r["step"], r["value"]) for r in ranges
    ] == [
        ("a", "0", "2", "1", "0"),
        ("kind", "0", "1", "1", "1"),
    ]
    labels = page.find("label")
    assert [lab["for"] for lab in labels] == [r["id"] for r in ranges]
    assert [o["for"] for o in page.find("output")] == [r["id"] for r in ranges]
    assert "".join(page.text["output"]) == "0.5cos"
    (img,) = page.find("img", **{"class": "ml4phys-frame"})
    assert img["alt"] == "Figure at a = 0.5, kind = cos"
    (script,) = page.find(
        "script", type="application/json", **{"class": "ml4phys-frames"}
    )
    assert script is not None

    data = json.loads("".join(page.text["script"]))
    assert [p["name"] for p in data["params"]] == ["a", "kind"]
    assert data["params"][0]["labels"] == ["0.5", "1", "2"]
    assert data["params"][1]["values"] == ["sin", "cos"]
    assert [p["default"] for p in data["params"]] == [0, 1]
    assert data["default"] == "0,1"
    assert set(data["frames"]) == {f"{i},{j}" for i in range(3) for j in range(2)}
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in data["frames"].values())
    assert (
        base64.b64decode(data["frames"]["2,0"][len(prefix) :]) == result.frames[(2, 0)]
    )
    assert (
        img["src"] == data["frames"]["0,1"]
    )  # the page shows the default frame without JS

    html = result.to_html()
    assert " on" not in html.replace(
        "json", ""
    )  # no inline event handlers (onclick=...)
    assert "http://" not in html and "https://" not in html  # nothing from a CDN


def test_static_html_escapes_values_that_could_break_the_page():
    evil = '</script><b onclick="x">&'
    result = _static(kind=[evil, "plain"])
    html = result.to_html()
    assert html.count("</script>") == 1 and "<b " not in html
    page = Collect()
    page.feed(html)
    assert json.loads("".join(page.text["script"]))["params"][0]["labels"][0] == evil


def test_static_labels_stay_distinct_for_close_values():
    result = _static(a=[1.0, 1.00001, 1.00002])
    labels = result._data()["params"][0]["labels"]
    assert len(set(labels)) == 3


def test_static_error_in_plot_fn_propagates():
    def broken(fig, a):
        raise RuntimeError("bad plot")

    with pytest.raises(RuntimeError, match="bad plot"):
        _static(broken, a=[1, 2])


# ----------------------------------------------------------------------------- live mode


def test_live_returns_sliders_and_output_and_recomputes_on_change():
    recorder = Recorder()
    box = interactive_figure(
        recorder, mode="live", a=[0.5, 1.0, 2.0], k=[1, 2], **SMALL
    )
    assert isinstance(box, ipywidgets.VBox)
    slider_a, slider_k, out = box.children
    assert isinstance(out, ipywidgets.Output)
    assert all(isinstance(s, ipywidgets.SelectionSlider) for s in (slider_a, slider_k))
    assert [s.description for s in (slider_a, slider_k)] == ["a", "k"]
    assert slider_a.options == (
        ("0.5", 0.5),
        ("1", 1.0),
        ("2", 2.0),
    )  # (label, grid value)
    assert slider_a.continuous_update is False
    assert recorder.calls == [{"a": 0.5, "k": 1}]  # the first frame is drawn at once

    slider_a.value = 2.0
    assert recorder.calls[-1] == {"a": 2.0, "k": 1}
    slider_k.value = 2
    assert recorder.calls[-1] == {"a": 2.0, "k": 2}
    assert len(recorder.calls) == 3
    assert plt.get_fignums() == []  # no pyplot figure left to be shown a second time


def test_live_starts_at_defaults_and_first_error_raises():
    recorder = Recorder()
    box = interactive_figure(
        recorder, mode="live", a=[1, 2, 3], defaults={"a": 3}, **SMALL
    )
    assert box.children[0].value == 3 and recorder.calls == [{"a": 3}]

    def broken(fig, a):
        raise ZeroDivisionError("in plot_fn")

    with pytest.raises(ZeroDivisionError):
        interactive_figure(broken, mode="live", a=[1, 2])


def test_live_and_static_draw_the_same_frames():
    calls_live, calls_static = Recorder(), Recorder()
    box = interactive_figure(calls_live, mode="live", a=[1.0, 2.0], **SMALL)
    box.children[0].value = 2.0
    _static(calls_static, a=[1.0, 2.0])
    assert calls_live.calls == calls_static.calls


# ----------------------------------------------------------------------------- mode auto


@pytest.mark.parametrize(
    ("env", "expected"),
    [("1", StaticInteractiveFigure), ("0", ipywidgets.VBox), (None, ipywidgets.VBox)],
)
def test_mode_auto_follows_ml4phys_build(monkeypatch, env, expected):
    if env is not None:
        monkeypatch.setenv("ML4PHYS_BUILD", env)
    result = interactive_figure(Recorder(), a=[1, 2], **SMALL)
    assert isinstance(result, expected)


def test_module_docstring_explains_the_two_modes():
    doc = widgets.__doc__
    assert "ML4PHYS_BUILD=1" in doc and "no kernel" in doc


# ----------------------------------------------------------------------------------------------
# animation


def _draw_line(fig, i):
    ax = fig.add_subplot()
    ax.plot([0, i], [0, i])
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)


def test_animation_static_draws_every_frame_and_starts_at_the_poster():
    calls = []

    def draw(fig, i):
        calls.append(i)
        _draw_line(fig, i)

    anim = widgets.animation(draw, 6, mode="static", poster=2)
    assert calls == list(range(6))
    assert isinstance(anim, widgets.StaticAnimation)
    assert anim.n_frames == 6 and anim.default_key == (2,)
    assert len({anim.frames[(i,)] for i in range(6)}) == 6  # every frame differs
    bundle = anim._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == anim.frames[(2,)]
    html_text = bundle["text/html"]
    assert 'data-ml4phys-play="250"' in html_text
    assert 'class="ml4phys-play"' in html_text
    assert html_text.count('type="range"') == 1


def test_animation_default_poster_is_the_last_frame_and_negative_counts_from_the_end():
    assert widgets.animation(_draw_line, 4, mode="static").default_key == (3,)
    assert widgets.animation(_draw_line, 4, mode="static", poster=-4).default_key == (
        0,
    )


def test_animation_live_plays_the_same_frames():
    static = widgets.animation(_draw_line, 5, mode="static", poster=0)
    live = widgets.animation(_draw_line, 5, mode="live", poster=0)
    (play, slider), image = live.children[0].children, live.children[1]
    assert play.max == slider.max == 4
    assert image.value == static.frames[(0,)]
    slider.value = 3
    assert image.value == static.frames[(3,)]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_frames": 0}, ValueError, "n_frames"),
        ({"n_frames": 121}, ValueError, "max_frames"),
        ({"n_frames": 2.0}, TypeError, "n_frames"),
        ({"n_frames": 3, "poster": 3}, ValueError, "poster"),
        ({"n_frames": 3, "poster": -4}, ValueError, "poster"),
        ({"n_frames": 3, "interval_ms": 5}, ValueError, "interval_ms"),
        ({"n_frames": 3, "dpi": 5}, ValueError, "dpi"),
        ({"n_frames": 3, "mode": "movie"}, ValueError, "mode"),
        ({"n_frames": 3, "figsize": (0, 1)}, ValueError, "figsize"),
    ],
)
def test_animation_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.animation(_draw_line, **{"mode": "static", **kwargs})


def test_animation_rejects_non_callable_and_reports_the_failing_frame():
    with pytest.raises(TypeError, match="draw"):
        widgets.animation("not a function", 3)

    def broken(fig, i):
        if i == 2:
            raise RuntimeError("boom")
        _draw_line(fig, i)

    with pytest.raises(RuntimeError, match="boom") as info:
        widgets.animation(broken, 4, mode="static")
    assert any("'frame': 2" in note for note in getattr(info.value, "__notes__", []))
