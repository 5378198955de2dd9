"""The PDF editions set every character: xelatex logs a glyph its font lacks and prints nothing.

A symbol in a notebook output (the self-checks' "✅ Correct.") that the monospaced font lacks
leaves a silent gap in the PDF; the build still succeeds. The fallbacks live in
book/latex/ml4physsymbols.sty.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
