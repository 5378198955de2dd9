"""Keep the book's code cells within the width of the page.

A code line longer than ``MAX_COLUMNS`` characters does not fit the code column of the HTML
site at its default width (the browser tests measure it on every page), and gets a horizontal
scroll bar there. This tool lists such lines in the code cells of the lectures
(``lectures/*.md``), solutions notebooks (``solutions/*.ipynb``) and the projects'
starting notebooks (``projects/*.ipynb``), and can reformat the cells
that hold them with ruff's formatter at that width. Only those cells change; lines the
formatter cannot shorten (comments, long strings) are listed for a hand edit.

Usage:  python book/tools/code_width.py check | fix   [--root .]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

MAX_COLUMNS = 88
"""The widest code line of a cell, in characters: the width that the site's CSS fits."""

_MD_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
_MD_OPTIONS = re.compile(r"\A(?:---\n(?:[^\n]*\n)*?---\n|(?::[\w-]+:[^\n]*\n)+\n?)")


def _md_cells(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, code)`` of each code cell's code in a MyST notebook (options skipped)."""
    for match in _MD_CELL.finditer(text):
        start, end = match.span("body")
        options = _MD_OPTIONS.match(match.group("body"))
        if options:
            start += options.end()
        yield start, end, text[start:end]


def long_lines(code: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of each line of ``code`` wider than ``MAX_COLUMNS``."""
    return [
        (i, line)
        for i, line in enumerate(code.splitlines(), 1)
        if len(line) > MAX_COLUMNS
    ]


def sources(root: Path) -> list[Path]:
    return (
        sorted(root.glob("lectures/[0-9][0-9]_*.md"))
        + sorted(root.glob("solutions/[0-9][0-9]_*.ipynb"))
        + sorted(root.glob("projects/*.ipynb"))
    )


def cells(path: Path) -> list[str]:
    """The code of each code cell of a lecture or solutions notebook."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return [code for _, _, code in _md_cells(text)]
    notebook = json.loads(text)
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


_LITERALINCLUDE = re.compile(
    r"^```\{literalinclude\}\s+(?P<path>\S+)\n(?P<options>(?::[\w-]+:[^\n]*\n)*)", re.M
)


def listings(lecture: Path) -> Iterator[tuple[Path, str, list[tuple[int, str]]]]:
    """``(source file, pyobject, numbered lines)`` of each Python listing a lecture shows.

    The lines are those of the ``:pyobject:`` (a function, class or ``Class.method``), from
    its ``:start-at:`` line when given, or of the whole file without a ``:pyobject:``.
    """
    text = lecture.read_text(encoding="utf-8")
    for match in _LITERALINCLUDE.finditer(text):
        path = (lecture.parent / match.group("path")).resolve()
        if path.suffix != ".py":
            continue
        options = dict(re.findall(r"^:([\w-]+):\s*(.*)$", match.group("options"), re.M))
        lines = path.read_text(encoding="utf-8").splitlines()
        numbered = list(enumerate(lines, 1))
        name = options.get("pyobject", "")
        if name:
            node: ast.AST = ast.parse("\n".join(lines))
            for part in name.split("."):
                node = next(
                    n
                    for n in ast.iter_child_nodes(node)
                    if isinstance(
                        n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)
                    )
                    and n.name == part
                )
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            numbered = numbered[first - 1 : node.end_lineno]
        start_at = options.get("start-at", "").strip().strip('"')
        if start_at:
            starts = [i for i, (_, line) in enumerate(numbered) if start_at in line]
            numbered = numbered[starts[0] :] if starts else numbered
        yield path, name, numbered


def check(root: Path) -> list[str]:
    """One line per code line wider than ``MAX_COLUMNS``: file, cell, line, width."""
    problems = []
    for lecture in sorted(root.glob("lectures/[0-9][0-9]_*.md")):
        for path, name, numbered in listings(lecture):
            for number, line in numbered:
                if len(line) > MAX_COLUMNS:
                    problems.append(
                        f"{path.relative_to(root)}:{number} (listing {name or 'file'} in "
                        f"{lecture.relative_to(root)}), {len(line)} > {MAX_COLUMNS} "
                        f"characters: {line.strip()[:60]}"
                    )
    for path in sources(root):
        for index, code in enumerate(cells(path)):
            for number, line in long_lines(code):
                problems.append(
                    f"{path.relative_to(root)}: code cell {index}, line {number}, "
                    f"{len(line)} > {MAX_COLUMNS} characters: {line.strip()[:60]}"
                )
    return problems


def format_code(code: str) -> str:
    """``code`` formatted by ruff at ``MAX_COLUMNS``; unchanged when it has IPython magics."""
    if any(line.lstrip().startswith(("%", "!")) for line in code.splitlines()):
        return code
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--isolated",
            f"--line-length={MAX_COLUMNS}",
            "--stdin-filename=cell.py",
            "-",
        ],
        input=code,
        capture_output=True,
        text=True,
        check=True,
    )
    formatted = result.stdout
    # ruff ends a file with a newline; a cell's code keeps the ending it had
    return formatted if code.endswith("\n") else formatted.rstrip("\n")


def fix(root: Path) -> int:
    """Reformat every code cell with a line wider than ``MAX_COLUMNS``; the number changed."""
    changed = 0
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            pieces, last = [], 0
            for start, end, code in _md_cells(text):
                new = format_code(code) if long_lines(code) else code
                changed += new != code
                pieces += [text[last:start], new]
                last = end
            new_text = "".join(pieces) + text[last:]
        else:
            notebook = json.loads(text)
            for cell in notebook["cells"]:
                code = "".join(cell["source"])
                if cell["cell_type"] == "code" and long_lines(code):
                    new = format_code(code)
                    if new != code:
                        cell["source"] = new.splitlines(keepends=True)
                        changed += 1
            new_text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check", "fix"])
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the book's root folder"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "fix":
        print(f"reformatted {fix(root)} code cell(s)")
    problems = check(root)
    print(
        "\n".join(problems + [f"{len(problems)} code line(s) wider than {MAX_COLUMNS}"])
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
