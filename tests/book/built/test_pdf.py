"""The PDF editions set every character, and set code lines without wrapping them.

xelatex logs a glyph its font lacks and prints nothing.

A symbol in a notebook output (the self-checks' "✅ Correct.") that the monospaced font lacks
leaves a silent gap in the PDF; the build still succeeds. The fallbacks live in
book/latex/ml4physsymbols.sty.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import jupytext
import pytest

import code_width

from .conftest import PDF, ROOT

# `make html pdf` and `make html pdf EDITION=student` (both run by `make test`).
EDITIONS = {
    "full": PDF,
    "student": ROOT / "_build" / "student" / "_build" / "latex" / "book.pdf",
}

# XeTeX: "Missing character: There is no ✅ (U+2705) in font [FreeMono.otf]/OT:...;!"; the log
# wraps lines at 79 characters, so the message may run over two lines.
_MISSING = re.compile(
    r"^Missing character: There is no (.+?) in font (.+?)!", re.M | re.S
)


def missing_characters(log: str) -> list[str]:
    """One 'character in font' entry per kind of missing glyph, with its count."""
    counts: dict[str, int] = {}
    for match in _MISSING.finditer(log):
        char, font = (group.replace("\n", "") for group in match.groups())
        key = f"{char} in {font.split('/')[0]}"
        counts[key] = counts.get(key, 0) + 1
    return [f"{key} ({n}x)" for key, n in sorted(counts.items())]


def test_missing_characters_are_found_across_wrapped_lines():
    log = (
        "Missing character: There is no ✅ (U+2705) in font [FreeMono.otf]/OT:script=latn\n"
        ";language=dflt;!\n"
        "[12] [13]\n"
        "Missing character: There is no ✅ (U+2705) in font [FreeMono.otf]/OT:script=latn\n"
        ";language=dflt;!\n"
        "Missing character: There is no ❌ (U+274C) in font [FreeMono.otf]/OT:script=latn;!\n"
    )
    assert missing_characters(log) == [
        "✅ (U+2705) in [FreeMono.otf] (2x)",
        "❌ (U+274C) in [FreeMono.otf] (1x)",
    ]
    assert missing_characters("Output written on book.pdf (300 pages).\n") == []


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_pdf_has_no_missing_characters(edition: str):
    pdf: Path = EDITIONS[edition]
    log = pdf.with_suffix(".log")
    if not pdf.exists():
        pytest.skip(
            f"the {edition} edition's PDF was not built: no {pdf.relative_to(ROOT)}"
        )
    assert log.exists(), (
        f"{pdf.relative_to(ROOT)} was built but its LaTeX log {log.name} is missing"
    )
    missing = missing_characters(log.read_text(encoding="utf-8", errors="replace"))
    assert not missing, (
        f"{log.relative_to(ROOT)}: xelatex found no glyph for these characters, which the PDF leaves "
        "blank; map each to a font that has it in book/latex/ml4physsymbols.sty:\n  "
        + "\n  ".join(missing)
    )


def _code_probes(n: int = 12) -> list[str]:
    """The longest code lines of the lectures' shown cells (at most 88 characters each)."""
    lines = set()
    for lecture in sorted((ROOT / "lectures").glob("[0-9][0-9]_*.md")):
        for cell in jupytext.read(lecture).cells:
            tags = cell.metadata.get("tags", [])
            hidden = any(t.startswith("remove") or t == "hide-input" for t in tags)
            if cell.cell_type != "code" or hidden:
                continue
            lines.update(
                line
                for line in cell.source.splitlines()
                if len(line) <= code_width.MAX_COLUMNS and line.isascii()
            )
    return sorted(lines, key=len, reverse=True)[:n]


def test_the_longest_code_lines_are_set_on_one_line_of_the_pdf():
    """Sphinx wraps a code line wider than the text at a continuation mark; none may need it."""
    if not PDF.exists() or shutil.which("pdftotext") is None:
        pytest.skip("the full edition's PDF (or poppler's pdftotext) is missing")
    text = subprocess.run(
        ["pdftotext", "-layout", str(PDF), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pdf_lines = {"".join(line.split()) for line in text.splitlines()}
    probes = _code_probes()
    assert len(probes[-1]) >= 80, "the probes should be long lines"
    broken = [p for p in probes if "".join(p.split()) not in pdf_lines]
    assert not broken, (
        f"{len(broken)} of the {len(probes)} longest code lines are wrapped (or missing) in "
        "the PDF; the code font must fit 88 characters in the text width:\n"
        + "\n".join(broken)
    )
