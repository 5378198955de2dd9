"""The book's other outputs: the PDF lecture notes and the student edition."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import HTML, PDF, ROOT, STUDENT_HTML, require_built

sys.path.insert(0, str(ROOT / "book" / "tools"))
import edition


def _chapter_titles() -> list[str]:
    titles = []
    for lecture in sorted((ROOT / "lectures").glob("[0-9][0-9]_*.md")):
        match = re.search(
            r"^# (?:\d+\.\s*)?(.+)$", lecture.read_text(encoding="utf-8"), re.M
        )
        assert match, f"{lecture} has no title"
        titles.append(match.group(1).strip())
    return titles


def _pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return re.sub(r"\s+", " ", out.stdout)


def test_pdf_has_every_chapter():
    pdf = require_built(PDF)
    info = subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True
    )
    n_pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    titles = _chapter_titles()
    assert titles
    assert n_pages >= 10 * len(titles), (
        f"only {n_pages} pages for {len(titles)} chapters"
    )
    text = _pdf_text(pdf)
    for title in titles:
        assert title[:30] in text, f"chapter '{title}' is not in the PDF"
    assert "??" not in text, "the PDF has unresolved references (??)"


def test_student_edition_has_exercises_and_no_solutions():
    require_built(STUDENT_HTML / "index.html")
    assert not (STUDENT_HTML / "solutions").exists()
    exercises = sorted(p.stem for p in (STUDENT_HTML / "exercises").glob("*.html"))
    assert exercises == sorted(
        p.stem for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")
    )
    for page in exercises:
        html = (STUDENT_HTML / "exercises" / f"{page}.html").read_text(encoding="utf-8")
        assert "NotImplementedError" in html and "### BEGIN SOLUTION" not in html
    # sphinx-exercise hides the in-text solutions in the student edition only
    full = " ".join(
        p.read_text(encoding="utf-8") for p in (HTML / "lectures").glob("*.html")
    )
    student = " ".join(
        p.read_text(encoding="utf-8")
        for p in (STUDENT_HTML / "lectures").glob("*.html")
    )
    n_full = full.count('class="solution')
    assert n_full > 0, "the lectures have no in-text solutions"
    assert student.count('class="solution') == 0


def test_edition_rewrites_toc_and_config(tmp_path):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    student = edition.student_toc(toc)
    text = yaml.safe_dump(student)
    assert "solutions/" not in text and "exercises/01_networks" in text
    config = edition.student_config(yaml.safe_load((ROOT / "_config.yml").read_text()))
    assert config["sphinx"]["config"]["hide_solutions"] is True
    assert config["title"].endswith("(student edition)")
    with pytest.raises(ValueError, match="_build"):
        edition.write_student_edition(ROOT / "lectures")
