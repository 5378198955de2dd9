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


def test_launch_notebooks_carry_numbers_computed_from_the_code_this_build_ran():
    """The glued values that ``make sync`` wrote come from the code this build executed.

    Each launch notebook records, for every page it quotes, a digest of that page's code cells
    at the time its numbers were taken from the build's cache. The digest must equal the
    page's code now and the code of this build's executed copy, and every stored key must
    still be glued by the page.

    The numbers themselves are not compared with this build's. Results of trained models
    depend on the CPU's floating-point kernels: between two machines of the same set-up, 24
    of 157 glued values moved by more than 2 % (chapter 8's mean error of the 16-unit LSTM
    from 0.0028 to 0.025, when one of its three seeds trained worse), so a number stored on
    one machine cannot be required to equal another machine's. What the launch notebook can
    promise is that its numbers were computed from the code it holds.
    """
    require_built(HTML / "index.html")
    index = launch.Index(ROOT, launch.source_docnames(ROOT))
    built: dict[str, dict[str, str] | None] = {}
    stale, checked = [], 0
    for target in sorted((ROOT / "launch").rglob("*.ipynb")):
        meta = nbformat.read(target, as_version=4).metadata["ml4phys"]
        where = target.relative_to(ROOT)
        for docname, digest in meta["code_digests"].items():
            if digest != launch.code_digest(index.docs[docname].nb):
                stale.append(f"{where}: the code of {docname} changed since make sync")
        for name in meta["glue"]:
            docname, key = name.split("::", 1)
            if docname not in built:
                built[docname] = launch.glued_from_cache(
                    ROOT, docname, index.docs[docname].nb
                )
            values = built[docname]
            assert values is not None, (
                f"this build has no executed copy of {docname} with its current code"
            )
            if key not in values:
                stale.append(f"{where}: {key} is no longer glued by {docname}")
            checked += 1
    assert checked > 100, f"only {checked} glued values checked"
    assert stale == [], (
        "launch notebooks out of date with the build (make sync):\n"
        + "\n".join(sorted(set(stale))[:20])
    )
