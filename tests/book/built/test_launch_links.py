"""The launch buttons of the built pages, both editions, and the numbers of the launch notebooks.

Read from the built HTML (the theme writes the addresses into the page), so no browser is
needed: every Binder and Colab button of a chapter page opens that page's launch notebook of
its own edition, at the release named in ``_config.yml``; and the numbers that the launch
notebooks carry agree with the ones this build computed.
"""

from __future__ import annotations

import re
import sys
from html import unescape
from urllib.parse import parse_qs, unquote, urlparse

import nbformat
import pytest

from .conftest import HTML, ROOT, STUDENT_HTML, require_built

sys.path.insert(0, str(ROOT / "book" / "tools"))
import launch

URL, REF = launch.repository(ROOT)
ORG_REPO = urlparse(URL).path.strip("/")
CHAPTERS = sorted(p.stem for p in (ROOT / "lectures").glob("[0-9][0-9]_*.md"))
PAGES = {
    "full": [
        f"{folder}/{name}" for name in CHAPTERS for folder in ("lectures", "solutions")
    ],
    "student": [
        f"{folder}/{name}" for name in CHAPTERS for folder in ("lectures", "exercises")
    ],
}
SITES = {"full": HTML, "student": STUDENT_HTML}
ROOTS = {"full": "launch", "student": "launch/student"}


def _launch_links(html: str) -> list[str]:
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]
    return [h for h in hrefs if "colab.research.google.com" in h or "mybinder.org" in h]


def _target(href: str) -> tuple[str, str]:
    """``(ref, path in the repository)`` that a Colab or Binder address opens."""
    url = urlparse(href)
    if "colab" in url.netloc:
        match = re.fullmatch(
            rf"/github/{re.escape(ORG_REPO)}/blob/([^/]+)/(.+)", url.path
        )
        assert match, href
        return match.group(1), unquote(match.group(2))
    match = re.fullmatch(rf"/v2/gh/{re.escape(ORG_REPO)}/([^/]+)", url.path)
    assert match, href
    path = unquote(parse_qs(url.query)["urlpath"][0])
    return match.group(1), re.sub(r"^(lab/tree|tree)/", "", path)


@pytest.mark.parametrize(
    ("edition", "page"),
    [(e, p) for e, pages in PAGES.items() for p in pages],
    ids=lambda x: str(x),
)
def test_launch_buttons_open_the_plain_notebook_of_the_edition(edition, page):
    html = require_built(SITES[edition] / f"{page}.html").read_text(encoding="utf-8")
    links = _launch_links(html)
    assert any("colab" in h for h in links) and any("mybinder" in h for h in links), (
        links
    )
    for href in links:
        ref, path = _target(href)
        assert ref == REF, (
            f"{href} opens ref {ref}, not the release {REF} of _config.yml"
        )
        assert path == f"{ROOTS[edition]}/{page}.ipynb", f"{href} opens {path}"
        notebook = ROOT / path
        assert notebook.is_file(), (
            f"{href} opens {path}, which is not in the repository"
        )
        nb = nbformat.read(notebook, as_version=4)
        assert launch.raw_myst(nb) == [], path
        assert nb.metadata["ml4phys"]["edition"] == edition


# Glued wall-clock measurements (a time ratio, hours extrapolated from a timing) differ from run
# to run; the pages and the launch notebooks both state the value of one build.
WALL_CLOCK = re.compile(r"(^|_)(time|times|hours|seconds)(_|$)")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def test_launch_notebooks_carry_the_numbers_of_this_build():
    """The glued values that ``make sync`` wrote agree with the ones this build computed.

    Exact for text; numbers to 2 % (another machine's floating point may move the last digits
    of a trained model's loss, but a value left over from older code is off by far more).
    """
    require_built(HTML / "index.html")
    index = launch.Index(ROOT, launch.source_docnames(ROOT))
    built: dict[str, dict[str, str] | None] = {}
    stale, checked = [], 0
    for target in sorted((ROOT / "launch").rglob("*.ipynb")):
        for name, stored in (
            nbformat.read(target, as_version=4).metadata["ml4phys"]["glue"].items()
        ):
            docname, key = name.split("::", 1)
            if docname not in built:
                built[docname] = launch.glued_from_cache(
                    ROOT, docname, index.docs[docname].nb
                )
            values = built[docname]
            assert values is not None, (
                f"this build has no executed copy of {docname} with its current code"
            )
            assert key in values, (
                f"{target.relative_to(ROOT)}: {key} is no longer glued by {docname}"
            )
            if WALL_CLOCK.search(key):
                continue
            checked += 1
            new, old = values[key], stored
            a, b = _number(old), _number(new)
            same = (
                old == new
                if a is None or b is None
                else abs(a - b) <= 0.02 * max(abs(a), abs(b)) + 1e-12
            )
            if not same:
                stale.append(
                    f"{target.relative_to(ROOT)}: {key} = {old}, this build {new}"
                )
    assert checked > 100, f"only {checked} glued values checked"
    assert stale == [], (
        "launch notebooks out of date with the build (make sync):\n"
        + "\n".join(stale[:20])
    )
