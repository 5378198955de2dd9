"""Book plumbing: derive the notebooks that are generated from the single sources.

Two kinds of notebook in the repository are generated, and committed so that Binder, Colab and
nbval can open them straight from a checkout:

* ``exercises/NN_slug.ipynb`` (the student notebook) from ``solutions/NN_slug.ipynb`` (the worked
  solutions, the single source). Answer code between the lines ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (the markers nbgrader uses) is replaced by a stub that raises
  ``NotImplementedError``; the exercise id written after ``BEGIN SOLUTION`` (for example
  ``### BEGIN SOLUTION Exercise 1.2``) goes into the stub's message. Cells that can only fail
  in the student notebook (a top-level stub, a cell tagged ``self-check``) get the tag
  ``raises-exception``, which nbval and myst-nb both honour. Cells tagged ``solution`` (the
  discussion of an answer, a derivation, a plot of the answer's results) are left out.
* ``lectures/NN_slug.ipynb`` from ``lectures/NN_slug.md`` (MyST Markdown, the source the book is
  built from), converted with jupytext. Colab opens only ``.ipynb`` files; the book's launch
  buttons pick the ``.ipynb`` beside a ``.md`` page when one exists.

We considered nbgrader's ``ClearSolutions`` preprocessor for the first step; it would pull the
whole nbgrader application (a Jupyter server extension, a database layer) into the book's
environment for a twenty-line text substitution, so the substitution is written out here and
tested in ``tests/book/test_notebooks.py``.

Command line::

    python book/tools/notebooks.py sync    # regenerate exercises/ and lectures/*.ipynb
    python book/tools/notebooks.py check   # exit 1 when a generated notebook is out of date
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "strip_solutions",
    "make_student_notebook",
    "lecture_to_notebook",
    "generated_notebooks",
    "out_of_sync",
    "sync",
]

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
_BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*(?P<label>.*?)[ \t]*$")
_END_RE = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
NBFORMAT_VERSION = 4


def strip_solutions(source: str, default_label: str = "this exercise") -> tuple[str, bool]:
    """Replace every solution block in a code cell's source by a stub.

    Args:
        source: the cell's source code.
        default_label: the exercise id used when a BEGIN line names none.

    Returns:
        ``(new_source, top_level)``: the source with each block replaced by
        ``raise NotImplementedError("<label>")`` at the indentation of its BEGIN line, and
        whether any stub sits at the top level of the cell (so that running the cell raises).

    Raises:
        ValueError: on an unmatched or nested marker.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    out: list[str] = []
    inside = False
    top_level = False
    for number, line in enumerate(source.splitlines(), start=1):
        begin = _BEGIN_RE.match(line)
        if begin:
            if inside:
                raise ValueError(f"line {number}: nested '{BEGIN_MARKER}'")
            inside = True
            indent = begin["indent"]
            label = begin["label"] or default_label
            out.append(f'{indent}raise NotImplementedError("{label}")')
            top_level = top_level or indent == ""
        elif _END_RE.match(line):
            if not inside:
                raise ValueError(f"line {number}: '{END_MARKER}' without '{BEGIN_MARKER}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{BEGIN_MARKER}' without '{END_MARKER}'")
    return "\n".join(out), top_level


def _add_tag(cell: nbformat.NotebookNode, tag: str) -> None:
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def _clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop outputs, execution counts and volatile metadata so the file is reproducible."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        cell.pop("id", None)
    nb.metadata.pop("widgets", None)
    nb.nbformat, nb.nbformat_minor = NBFORMAT_VERSION, 4
    return nb


def make_student_notebook(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student notebook derived from a worked-solution notebook.

    Args:
        solution: the solution notebook (nbformat 4).

    Returns:
        A new notebook: solution blocks replaced by stubs, cells tagged ``solution`` removed,
        stub and ``self-check`` cells tagged ``raises-exception``, outputs cleared, the title
        cell marked as the student version.
    """
    if not isinstance(solution, nbformat.NotebookNode):
        raise TypeError("solution must be an nbformat.NotebookNode (use nbformat.read)")
    nb = _clean(copy.deepcopy(solution))
    nb.cells = [cell for cell in nb.cells if "solution" not in cell.metadata.get("tags", [])]
    n_stubs = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new_source, top_level = strip_solutions(cell.source)
        if new_source != cell.source:
            n_stubs += 1
            cell.source = new_source
            if top_level:
                _add_tag(cell, "raises-exception")
        if "self-check" in cell.metadata.get("tags", []):
            _add_tag(cell, "raises-exception")
    if n_stubs == 0:
        raise ValueError(f"the solution notebook has no '{BEGIN_MARKER}' block")
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(("#", "(")):
            cell.source = _student_title(cell.source)
            break
    return nb


def _student_title(source: str) -> str:
    """Turn the solutions notebook's title cell into the student notebook's."""
    lines = source.splitlines()
    out = []
    for line in lines:
        if line.startswith("# "):
            line = line.replace("solutions", "exercises").replace("Solutions", "Exercises")
            out.append(line)
            out.append("")
            out.append(
                "*Student notebook, generated from the worked solutions: fill in each cell that "
                "raises `NotImplementedError`, then run the self-check below it.*"
            )
            continue
        out.append(line)
    return "\n".join(out)


def lecture_to_notebook(path: Path) -> nbformat.NotebookNode:
    """Convert a MyST Markdown lecture to an outputless ``.ipynb`` notebook with jupytext."""
    import jupytext

    nb = jupytext.read(path)
    nb = _clean(nb)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    return nb


def generated_notebooks(root: Path) -> Iterable[tuple[Path, Path, nbformat.NotebookNode]]:
    """Every generated notebook of the book: ``(source, target, expected_notebook)``."""
    root = Path(root)
    for solution in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        expected = make_student_notebook(nbformat.read(solution, as_version=NBFORMAT_VERSION))
        yield solution, root / "exercises" / solution.name, expected
    for lecture in sorted((root / "lectures").glob("[0-9][0-9]_*.md")):
        yield lecture, lecture.with_suffix(".ipynb"), lecture_to_notebook(lecture)


def _dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=NBFORMAT_VERSION) + "\n"


def out_of_sync(root: Path) -> list[Path]:
    """The generated notebooks that differ from what their sources give now."""
    stale = []
    for _, target, expected in generated_notebooks(root):
        if not target.exists() or target.read_text(encoding="utf-8") != _dumps(expected):
            stale.append(target)
    return stale


def sync(root: Path) -> list[Path]:
    """Regenerate every generated notebook that is out of date; return the ones written."""
    written = []
    for _, target, expected in generated_notebooks(root):
        text = _dumps(expected)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python book/tools/notebooks.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument("--root", type=Path, default=Path("."), help="the book's root folder")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in sync(args.root):
            print(f"wrote {path}")
        return 0
    stale = out_of_sync(args.root)
    for path in stale:
        print(f"out of date: {path} (run: python book/tools/notebooks.py sync)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
