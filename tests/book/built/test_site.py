"""The built HTML book, checked in a real browser (Playwright driving Debian's Chromium).

Every page of the full edition: loads with no JavaScript error and no request leaving
127.0.0.1 (the site is self-contained), shows no error output in any executed cell, renders
its maths with the bundled MathJax, every listing and code cell fits the page width at the
default window width (no horizontal scroll bar), and every slider changes its figure when moved. The launch
buttons point at notebooks that exist in the repository, and search finds a chapter's term.
A screenshot of each page lands in artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from .conftest import ARTIFACTS, HTML, ROOT, require_built

pytestmark = pytest.mark.browser

SKIP_PAGES = {"genindex.html", "search.html"}


def _pages() -> list[str]:
    if not HTML.exists():
        return ["<book not built>"]
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")) or rel in SKIP_PAGES:
            continue
        pages.append(rel)
    return pages


PAGES = _pages()
CHAPTER_PAGES = [p for p in PAGES if p.startswith(("lectures/", "solutions/"))]


def _open(page, site_url: str, rel: str):
    require_built(HTML / rel)
    page.goto(f"{site_url}/{rel}", wait_until="load")
    # MathJax typesets asynchronously: wait until it has finished (or is absent).
    page.wait_for_function(
        "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
        " && (MathJax.startup.promise.then(() => { window.__mj_done = true; }), window.__mj_done))",
        timeout=30_000,
    )


@pytest.mark.parametrize("rel", PAGES)
def test_page_loads_cleanly_and_renders_math(page, site_url, rel):
    _open(page, site_url, rel)
    assert page.console_errors == [], (
        f"JavaScript errors on {rel}: {page.console_errors}"
    )
    assert page.external_requests == [], (
        f"{rel} requests outside the site: {page.external_requests}"
    )
    errors = page.locator(".cell_output .output.traceback, .cell_output .output.error")
    assert errors.count() == 0, (
        f"{rel} shows error output: {errors.first.inner_text()[:500]}"
    )
    stderr = page.locator(".cell_output .output.stderr")
    assert stderr.count() == 0, (
        f"{rel} shows stderr output: {stderr.first.inner_text()[:500]}"
    )
    n_math = page.locator(".math").count()
    if n_math:
        assert page.locator("mjx-container").count() >= n_math, (
            f"maths not rendered on {rel}"
        )
        body = page.locator("article").inner_text()
        assert "\\(" not in body and "\\[" not in body, f"raw LaTeX left on {rel}"
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(shots / (rel.replace("/", "__") + ".png")), full_page=False
    )


# Code blocks (cells and listings) and printed output that are wider than their box: the
# box would show a horizontal scroll bar. Folded cells (hide-input) are opened first: a reader
# who unfolds them sees their code.
_WIDE_BLOCKS = """() => { document.querySelectorAll('details').forEach(d => { d.open = true; });
  return [...document.querySelectorAll('div.highlight pre, .cell_output pre')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.split('\\n').reduce((a, b) => (a.length >= b.length ? a : b))); }"""


@pytest.mark.parametrize("rel", PAGES)
def test_code_fits_the_page_width(page, site_url, rel):
    _open(page, site_url, rel)
    assert (
        page.viewport_size["width"] == 1280
    )  # the default width the book is laid out for
    wide = page.evaluate(_WIDE_BLOCKS)
    assert wide == [], (
        f"{len(wide)} code block(s) on {rel} need a horizontal scroll bar; the longest line "
        "of each (code lines must be at most 88 characters, book/tools/code_width.py):\n"
        + "\n".join(line.strip()[:120] for line in wide)
    )


@pytest.mark.parametrize("rel", CHAPTER_PAGES)
def test_every_slider_changes_its_figure(page, site_url, rel):
    _open(page, site_url, rel)
    widgets = page.locator(".ml4phys-widget")
    for i in range(widgets.count()):
        widget = widgets.nth(i)
        image = widget.locator("img.ml4phys-frame")
        sliders = widget.locator("input[type=range]")
        assert sliders.count() >= 1 and image.count() == 1
        for j in range(sliders.count()):
            slider = sliders.nth(j)
            before = image.get_attribute("src")
            current = int(slider.input_value())
            target = int(slider.get_attribute("max")) if current == 0 else 0
            slider.fill(str(target))  # sets the value and fires the input event
            after = image.get_attribute("src")
            assert after != before, (
                f"slider {j} of widget {i} on {rel} did not change its figure"
            )
            assert after.startswith("data:image/png;base64,")


@pytest.mark.parametrize("rel", CHAPTER_PAGES)
def test_every_animation_plays_to_its_last_frame(page, site_url, rel):
    _open(page, site_url, rel)
    players = page.locator(".ml4phys-widget[data-ml4phys-play]")
    for i in range(players.count()):
        widget = players.nth(i)
        slider = widget.locator("input[type=range]")
        image = widget.locator("img.ml4phys-frame")
        button = widget.locator("button.ml4phys-play")
        assert slider.count() == 1 and image.count() == 1 and button.count() == 1
        last = slider.get_attribute("max")
        slider.fill("0")
        first = image.get_attribute("src")
        widget.evaluate("el => el.setAttribute('data-ml4phys-play', '20')")  # play fast
        button.click()
        page.wait_for_function(
            "([el, last]) => el.querySelector('input[type=range]').value === last"
            " && !el.hasAttribute('data-ml4phys-playing')",
            arg=[widget.element_handle(), last],
            timeout=20_000,
        )
        frames = json.loads(widget.locator("script.ml4phys-frames").text_content())
        assert image.get_attribute("src") == frames["frames"][last], (
            f"animation {i} on {rel} did not end on its last frame"
        )
        assert first != frames["frames"][last]
        assert button.get_attribute("aria-label") == "play"


def test_the_reinforcement_learning_lectures_animate_their_episodes(page, site_url):
    lectures = [p for p in CHAPTER_PAGES if re.match(r"lectures/1[5-7]_", p)]
    assert len(lectures) == 3, f"Part IV's lectures are not all built: {lectures}"
    for rel in lectures:
        _open(page, site_url, rel)
        assert page.locator(".ml4phys-widget[data-ml4phys-play]").count() >= 1, (
            f"{rel} shows no episode as an animation"
        )


def test_the_lectures_have_sliders(page, site_url):
    lectures = [p for p in CHAPTER_PAGES if p.startswith("lectures/")]
    assert lectures, "no lecture pages in the build"
    for rel in lectures:
        _open(page, site_url, rel)
        sliders = page.locator(".ml4phys-widget:not([data-ml4phys-play])")
        assert sliders.count() >= 1, f"{rel} has no slider (an animation is not one)"


def _launch_target(href: str) -> str:
    url = urlparse(href)
    if "colab" in url.netloc:
        match = re.search(r"/blob/[^/]+/(.+)$", url.path)
        assert match, href
        return unquote(match.group(1))
    query = parse_qs(url.query)
    assert "urlpath" in query, href
    return re.sub(r"^(lab/tree|tree)/", "", unquote(query["urlpath"][0]))


@pytest.mark.parametrize("rel", CHAPTER_PAGES)
def test_launch_buttons_open_notebooks_that_exist(page, site_url, rel):
    _open(page, site_url, rel)
    hrefs = page.eval_on_selector_all(
        "a[href*='colab.research.google.com'], a[href*='mybinder.org']",
        "els => els.map(e => e.href)",
    )
    assert any("colab" in h for h in hrefs) and any("mybinder" in h for h in hrefs), (
        hrefs
    )
    for href in hrefs:
        target = _launch_target(href)
        assert target.endswith(".ipynb"), f"{href} opens {target}, not a notebook"
        assert target.startswith("launch/"), (
            f"{href} opens {target}, not its plain launch notebook"
        )
        assert (ROOT / target).is_file(), (
            f"{href} opens {target}, which is not in the repository"
        )


def test_search_finds_a_chapter_term(page, site_url):
    page.goto(f"{site_url}/search.html?q=backpropagation", wait_until="load")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=30_000)
    links = results.locator("a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert any("02_training" in link for link in links), links
    assert page.external_requests == []


def test_the_introduction_draws_the_chapter_map(page, site_url):
    _open(page, site_url, "book/intro.html")
    image = page.locator("img[src*='chapter_map']")
    assert image.count() == 1, "the map of the chapters is not on the introduction"
    assert image.evaluate("e => e.complete && e.naturalWidth > 0"), (
        "the map did not load"
    )
    assert page.external_requests == []
