"""Find numbers typed into the prose of the book instead of glued from its computations.

Every result the book states (an accuracy, an error, a fitted parameter) must come from the code
beside it through ``myst_nb.glue`` and a ``{glue:text}`` role, so that the text cannot drift from
what the code computes. This module reads the prose of every lecture (``lectures/*.md``) and of
every solutions notebook's markdown cells (``solutions/*.ipynb``) with the MyST parser the book
uses, and reports each number that looks like a typed result:

* in text: a decimal number (``0.090``, ``89.7 %``) or one in scientific notation (``3e-4``);
* in maths: a decimal number after ``\\approx``/``\\simeq`` whose left-hand side is not plain
  arithmetic (``\\sigma_w \\approx 1.40`` is a claim about a computation; ``2/11 \\approx 0.18``
  is arithmetic), and a mantissa times a power of ten (``2\\times10^{-2}``).

Not reported: glued values and all other roles, code, code cells, listings, numbers inside
other maths (settings such as ``$\\sigma = 0.3$`` or a tolerance ``$10^{-3}$`` are typed there on
purpose), exercise, section, chapter, figure and equation numbers, and any sentence that
cites a source (``{cite}``): numbers quoted from a paper carry its citation. What remains and is
still legitimate (a setting written in words, a check's tolerance) is listed with its reason in
``EXCEPTIONS``; a listed exception that no longer matches is itself reported, so the list cannot
go stale.

Usage:  python book/tools/prose_numbers.py [--root .]   (exit status 1 when numbers are typed)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jupytext
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

EXTENSIONS = {"amsmath", "colon_fence", "deflist", "dollarmath", "substitution"}
"""The MyST extensions of ``_config.yml`` (``parse.myst_enable_extensions``)."""

SKIPPED_DIRECTIVES = {
    "code-cell",
    "code-block",
    "code",
    "literalinclude",
    "math",
    "bibliography",
    "glue:figure",
    "glue:math",
    "raw",
}
"""Directives whose body is code, maths or generated content rather than prose."""

_DECIMAL = r"\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+"
TEXT_NUMBER = re.compile(
    rf"(?<![\w.])\d+(?:\.\d+)?\s?%|(?<![\w.\-])-?(?:{_DECIMAL})(?!\w|\.\d)"
)
"""A decimal number, one in scientific notation, or a percentage, standing alone in text."""

REFERENCE = re.compile(
    r"\b(?:[Ee]xercises?|[Ss]ections?|[Cc]hapters?|[Ff]igures?|[Tt]ables?|[Tt]heorems?|"
    r"[Ee]quations?|[Ll]istings?|[Pp]ython|[Vv]ersions?)\s+\d+\.\d+[a-z]?"
    r"(?:\s*(?:,|and|or|to|-|–)\s*\d+\.\d+[a-z]?)*"
)
"""Numbers that name a part of the book or a version, not a result."""

APPROX = re.compile(r"\\(?:approx|simeq)\s*(-?\s*\d+\.\d+)")
POWER_OF_TEN = re.compile(r"\d+(?:\.\d+)?\s*\\times\s*10\^")
ARITHMETIC = re.compile(
    r"^(?:[\d\s.,+\-*/^_{}()\[\]!|]|\\(?:pi|sqrt|log|ln|exp|frac|tfrac|dfrac|cdot|times|left|"
    r"right|,|;|!|quad|mathrm\{e\}|operatorname\{e\})|e\b)*$"
)
"""Plain arithmetic: digits, operators and the constants and functions of closed forms."""

TOLERANCE = re.compile(
    r"\b(?:self-)?checks?\b[^.]*\b(?:at least|at most|below|above|within|under|less than)\b",
    re.IGNORECASE,
)
"""A sentence that states what a self-check requires: its numbers are tolerances, not results."""

_REQUIREMENT = "the exercise's requirement, which its self-check tests"
EXCEPTIONS: dict[str, list[tuple[str, str]]] = {
    "lectures/04_pinns_scaling.md": [
        (
            r"alpha \\approx 0\.34\$ and \$\\beta \\approx 0\.28",
            "Hoffmann et al.'s fit and Chinchilla's size, cited in the sentence that the "
            "displayed formula interrupts",
        ),
    ],
    "solutions/04_pinns_scaling.ipynb": [
        (r"largest error below 0\.05 on \$\[0, 2\]", _REQUIREMENT),
        (r"far below the tolerance of 0\.05", _REQUIREMENT),
        (r"largest error below 0\.02 on the square", _REQUIREMENT),
    ],
    "solutions/07_kans.ipynb": [
        (r"number of parameters is within 3% of", _REQUIREMENT),
        (r"fresh points of \$\[-1, 1\]\^2\$ is below 0\.02", _REQUIREMENT),
    ],
    "solutions/09_transformers.ipynb": [
        (r"exactly right for at least 90 % of them", _REQUIREMENT),
        (
            r"push the accuracy towards 100 %",
            "the ceiling of an accuracy, not a result",
        ),
    ],
}
"""Per source file: (a regular expression matched against the sentence, the reason it may stay).

The legitimate typed numbers that the rules above cannot tell from results: settings written in
words, exercise requirements, numbers quoted from a paper cited outside their sentence.
"""


@dataclass(frozen=True)
class Finding:
    """One typed number: where it is and the sentence around it."""

    path: str
    cell: int
    number: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.path} (cell {self.cell}): {self.number!r} in: {self.sentence}"


_PARSER = create_md_parser(MdParserConfig(enable_extensions=EXTENSIONS), RendererHTML)

# Markers around maths in the flattened text of a paragraph (characters that never occur in
# the sources): \x01 maths \x02, and \x03 for any role or inline code.
_MATH_OPEN, _MATH_CLOSE, _OPAQUE = "\x01", "\x02", "\x03"
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z(\x01\x03*_`\"])|\n\s*\n")


def _directive_body(content: str) -> str:
    """The body of a directive, without its leading ``:option: value`` lines."""
    lines = content.splitlines()
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def paragraphs(source: str) -> Iterator[str]:
    """The inline prose of MyST ``source``, one flattened string per paragraph or heading.

    Maths is kept between markers, roles and inline code become one opaque marker each (with
    ``{cite...}`` roles kept as the word ``{cite}`` so that a citing sentence can be found).
    Directive bodies are read recursively unless the directive is code or maths.
    """
    for token in _PARSER.parse(source):
        if token.type in ("fence", "colon_fence"):
            info = token.info.strip()
            match = re.fullmatch(r"\{([\w:-]+)\}.*", info)
            if match and match.group(1) not in SKIPPED_DIRECTIVES:
                yield from paragraphs(_directive_body(token.content))
            continue
        if token.type == "math_block" or token.type == "amsmath":
            yield _MATH_OPEN + token.content + _MATH_CLOSE
            continue
        if token.type != "inline":
            continue
        parts = []
        for child in token.children or []:
            if child.type in ("text", "softbreak", "hardbreak"):
                parts.append(child.content if child.type == "text" else "\n")
            elif child.type in ("math_inline", "math_single", "math_inline_double"):
                parts.append(_MATH_OPEN + child.content + _MATH_CLOSE)
            elif child.type == "myst_role":
                name = child.meta.get("name", "")
                if name == "math":
                    parts.append(_MATH_OPEN + child.content + _MATH_CLOSE)
                elif name.startswith("cite"):
                    parts.append("{cite}")
                else:
                    parts.append(_OPAQUE)
            elif child.type == "code_inline":
                parts.append(_OPAQUE)
        yield "".join(parts)


_RELATION = re.compile(
    r"(=|\\approx|\\simeq|\\sim|<|>|\\le(?:q)?\b|\\ge(?:q)?\b|,|;|\\quad)"
)
_DECIMAL_IN_MATH = re.compile(r"\d+\.\d+")


def _math_findings(math: str) -> Iterator[str]:
    """Typed results in one piece of maths: see the module docstring."""
    terms = _RELATION.split(math)  # value, relation, value, relation, ...
    for i in range(0, len(terms), 2):
        term = terms[i]
        relation = terms[i - 1].strip() if i else ""
        power = POWER_OF_TEN.search(term)
        decimal = (
            _DECIMAL_IN_MATH.search(term)
            if relation in ("\\approx", "\\simeq")
            else None
        )
        if not (power or decimal):
            continue
        left = terms[i - 2].strip() if i >= 2 else ""
        if relation in ("=", "\\approx", "\\simeq") and left and ARITHMETIC.match(left):
            continue  # the closed form of plain arithmetic, e.g. 2/11 \approx 0.18
        yield (power or decimal).group(0)


def typed_numbers(source: str) -> Iterator[tuple[str, str]]:
    """``(number, sentence)`` for each number in MyST ``source`` that looks typed (see module)."""
    for paragraph in paragraphs(source):
        for sentence in _SENTENCE_END.split(paragraph):
            if "{cite}" in sentence or TOLERANCE.search(sentence):
                continue
            readable = sentence.replace(_MATH_OPEN, "$").replace(_MATH_CLOSE, "$")
            readable = " ".join(readable.replace(_OPAQUE, "`…`").split())
            pieces = re.split(f"({_MATH_OPEN}[^{_MATH_CLOSE}]*{_MATH_CLOSE})", sentence)
            for piece in pieces:
                if piece.startswith(_MATH_OPEN):
                    for number in _math_findings(piece[1:-1]):
                        yield number, readable
                else:
                    text = REFERENCE.sub(" ", piece)
                    for match in TEXT_NUMBER.finditer(text):
                        yield match.group(0), readable


def sources(root: Path) -> list[Path]:
    """The lecture sources and solutions notebooks of the book under ``root``."""
    return sorted(root.glob("lectures/[0-9][0-9]_*.md")) + sorted(
        root.glob("solutions/[0-9][0-9]_*.ipynb")
    )


def scan(root: Path) -> tuple[list[Finding], list[str]]:
    """Typed numbers of the whole book, and the listed exceptions that matched nothing."""
    findings: list[Finding] = []
    used: set[tuple[str, str]] = set()
    for path in sources(root):
        relative = path.relative_to(root).as_posix()
        allowed = EXCEPTIONS.get(relative, [])
        notebook = jupytext.read(path)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "markdown":
                continue
            for number, sentence in typed_numbers(cell.source):
                hit = [rule for rule in allowed if re.search(rule[0], sentence)]
                if hit:
                    used.update((relative, rule[0]) for rule in hit)
                else:
                    findings.append(Finding(relative, index, number, sentence))
    stale = [
        f"{path}: exception {pattern!r} matches no sentence"
        for path, rules in EXCEPTIONS.items()
        for pattern, _ in rules
        if (path, pattern) not in used
    ]
    return findings, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the book's root folder"
    )
    args = parser.parse_args(argv)
    findings, stale = scan(args.root.resolve())
    for finding in findings:
        print(finding)
    for line in stale:
        print(line)
    print(f"{len(findings)} typed number(s), {len(stale)} stale exception(s)")
    return 1 if findings or stale else 0


if __name__ == "__main__":
    sys.exit(main())
