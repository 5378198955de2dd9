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
* ``launch/...`` the notebooks that the Binder and Colab buttons open, in plain Jupyter
  Markdown with a bootstrap cell, for both editions: see ``launch.py``.

We considered nbgrader's ``ClearSolutions`` preprocessor for the first step; it would pull the
whole nbgrader application (a Jupyter server extension, a database layer) into the book's
environment for a twenty-line text substitution, so the substitution is written out here and
tested in ``tests/book/test_notebooks.py``.

A line that looks like a marker but is not exactly one (``## BEGIN SOLUTION``, ``### begin
solution``, ``###BEGIN SOLUTION``, a label after ``END SOLUTION``), a BEGIN without its END or
an END without its BEGIN, and a marker in a markdown or raw cell are refused with an error that
names the notebook, the cell and the line: each would otherwise leave the answer in the student
notebook without a word.

``sync`` writes only the generated notebooks, and overwrites one only when it is still in the
form this script writes (no outputs, no execution counts, no cell ids, no kernel metadata): a
notebook that was opened and saved in Jupyter, or that is a link, holds somebody's work and is
left alone with an error, unless ``--force`` is given.

Command line::

    python book/tools/notebooks.py sync    # regenerate exercises/ and launch/
    python book/tools/notebooks.py check   # exit 1 when a generated notebook is out of date

``sync`` takes the glued numbers of the launch notebooks from the last build (``make html``);
``check`` needs no build: it compares with the numbers the launch notebooks already carry.

Both exit with status 2 and a message when there is nothing to work on (no such folder, no
notebooks in it) or a source is malformed.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launch

__all__ = [
    "BEGIN_MARKER",
    "MarkerError",
    "OverwriteError",
    "END_MARKER",
    "strip_solutions",
    "make_student_notebook",
    "generated_notebooks",
    "out_of_sync",
    "sync",
]

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
_BEGIN_RE = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*(?P<label>.*?)[ \t]*$"
)
_END_RE = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
# Anything a reader would take for a marker: a comment (or bare text) that says BEGIN or END
# SOLUTION in any case, spacing or number of hashes. Lines matching this but neither regular
# expression above are near misses.
_LOOKS_LIKE_MARKER_RE = re.compile(
    r"^[ \t]*#*[ \t]*(?:BEGIN|END)[ \t_-]*SOLUTION\b", re.IGNORECASE
)
NBFORMAT_VERSION = 4


class MarkerError(ValueError):
    """A solution marker that is malformed, unbalanced or in the wrong kind of cell."""


class OverwriteError(RuntimeError):
    """``sync`` would overwrite a file that this script did not write as it is now."""


def strip_solutions(
    source: str, default_label: str = "this exercise"
) -> tuple[str, bool]:
    """Replace every solution block in a code cell's source by a stub.

    Args:
        source: the cell's source code.
        default_label: the exercise id used when a BEGIN line names none.

    Returns:
        ``(new_source, top_level)``: the source with each block replaced by
        ``raise NotImplementedError("<label>")`` at the indentation of its BEGIN line, and
        whether any stub sits at the top level of the cell (so that running the cell raises).

    Raises:
        MarkerError: (a ``ValueError``) on an unmatched or nested marker, or a line that looks
            like a marker but is not exactly one; the message gives the line number.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    out: list[str] = []
    inside = False
    begin_line = 0
    top_level = False
    for number, line in enumerate(source.splitlines(), start=1):
        begin = _BEGIN_RE.match(line)
        if begin:
            if inside:
                raise MarkerError(
                    f"line {number}: nested '{BEGIN_MARKER}' (the one on line {begin_line} is open)"
                )
            inside, begin_line = True, number
            indent = begin["indent"]
            label = begin["label"] or default_label
            out.append(f'{indent}raise NotImplementedError("{label}")')
            top_level = top_level or indent == ""
        elif _END_RE.match(line):
            if not inside:
                raise MarkerError(
                    f"line {number}: '{END_MARKER}' without '{BEGIN_MARKER}' before it"
                )
            inside = False
        elif _LOOKS_LIKE_MARKER_RE.match(line):
            raise MarkerError(
                f"line {number}: {line.strip()!r} looks like a solution marker but is not one; "
                f"write exactly '{BEGIN_MARKER} [exercise id]' or '{END_MARKER}'"
            )
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(
            f"line {begin_line}: '{BEGIN_MARKER}' without '{END_MARKER}' after it"
        )
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


def make_student_notebook(
    solution: nbformat.NotebookNode, name: str = "the solution notebook"
) -> nbformat.NotebookNode:
    """The student notebook derived from a worked-solution notebook.

    Args:
        solution: the solution notebook (nbformat 4).
        name: what to call the notebook in error messages (its path).

    Returns:
        A new notebook: solution blocks replaced by stubs, cells tagged ``solution`` removed,
        stub and ``self-check`` cells tagged ``raises-exception``, outputs cleared, the title
        cell marked as the student version.

    Raises:
        MarkerError: (a ``ValueError``) when a kept cell has a malformed or unbalanced marker,
            or a marker outside a code cell; the message names the notebook, the cell (its
            number, from 1, in the solution notebook) and the line.
        ValueError: when the notebook has no solution block at all.
    """
    if not isinstance(solution, nbformat.NotebookNode):
        raise TypeError("solution must be an nbformat.NotebookNode (use nbformat.read)")
    nb = _clean(copy.deepcopy(solution))
    numbered = [
        (number, cell)
        for number, cell in enumerate(nb.cells, start=1)
        if "solution" not in cell.metadata.get("tags", [])
    ]
    nb.cells = [cell for _, cell in numbered]
    n_stubs = 0
    for number, cell in numbered:
        where = f"{name}, cell {number} ({cell.cell_type})"
        if cell.cell_type != "code":
            _refuse_markers_outside_code(cell.source, where)
            continue
        try:
            new_source, top_level = strip_solutions(cell.source)
        except MarkerError as err:
            raise MarkerError(f"{where}, {err}") from None
        if new_source != cell.source:
            n_stubs += 1
            cell.source = new_source
            if top_level:
                _add_tag(cell, "raises-exception")
        if "self-check" in cell.metadata.get("tags", []):
            _add_tag(cell, "raises-exception")
    if n_stubs == 0:
        raise ValueError(f"{name} has no '{BEGIN_MARKER}' block")
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(("#", "(")):
            cell.source = _student_title(cell.source)
            break
    return nb


def _refuse_markers_outside_code(source: str, where: str) -> None:
    """Raise ``MarkerError`` for a solution marker in a markdown or raw cell (never stripped)."""
    for number, line in enumerate(source.splitlines(), start=1):
        if (
            _LOOKS_LIKE_MARKER_RE.match(line)
            or BEGIN_MARKER in line
            or END_MARKER in line
        ):
            raise MarkerError(
                f"{where}, line {number}: {line.strip()!r} is a solution marker outside a code "
                "cell, where nothing is stripped; move the answer into a code cell, or tag the "
                "cell 'solution' to leave it out of the student notebook"
            )


def _student_title(source: str) -> str:
    """Turn the solutions notebook's title cell into the student notebook's."""
    lines = source.splitlines()
    out = []
    for line in lines:
        if line.startswith("# "):
            line = line.replace("solutions", "exercises").replace(
                "Solutions", "Exercises"
            )
            out.append(line)
            out.append("")
            out.append(
                "*Student notebook, generated from the worked solutions: fill in each cell that "
                "raises `NotImplementedError`, then run the self-check below it.*"
            )
            continue
        out.append(line)
    return "\n".join(out)


def generated_notebooks(
    root: Path, which: str = "all", use_cache: bool = False
) -> Iterable[tuple[Path, Path, nbformat.NotebookNode]]:
    """Every generated notebook of the book: ``(source, target, expected_notebook)``.

    Args:
        root: the book's root folder.
        which: ``"student"`` (exercises/), ``"launch"`` (launch/, derived from the student
            notebooks on disk, so :func:`sync` writes those first) or ``"all"``.
        use_cache: take the launch notebooks' glued values from the build's jupyter-cache
            (otherwise from the launch notebooks on disk, where the code is unchanged).

    Raises:
        FileNotFoundError: when ``root`` is not a folder, or holds no source notebook
            (``solutions/NN_*.ipynb`` or ``lectures/NN_*.md``): a check of nothing must not
            pass.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root} is not a folder (expected the book's root folder)"
        )
    solutions = sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))
    lectures = sorted((root / "lectures").glob("[0-9][0-9]_*.md"))
    if not solutions and not lectures:
        raise FileNotFoundError(
            f"no notebooks under {root}: expected solutions/NN_slug.ipynb or "
            "lectures/NN_slug.md (is --root the book's root folder?)"
        )
    if which not in ("all", "student", "launch"):
        raise ValueError(f"which must be 'all', 'student' or 'launch', got {which!r}")
    for solution in solutions if which != "launch" else []:
        notebook = nbformat.read(solution, as_version=NBFORMAT_VERSION)
        yield (
            solution,
            root / "exercises" / solution.name,
            make_student_notebook(notebook, str(solution)),
        )
    if which != "student" and lectures:
        for target, notebook in launch.generate(root, use_cache=use_cache):
            source = root / notebook.metadata["ml4phys"]["generated_from"].replace(
                "exercises/", "solutions/"
            )
            yield source, target, notebook


def _dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=NBFORMAT_VERSION) + "\n"


def out_of_sync(root: Path) -> list[Path]:
    """The generated notebooks that differ from what their sources give now.

    Raises:
        FileNotFoundError: when there is no notebook to check (see :func:`generated_notebooks`).
        MarkerError: when a solution notebook has a malformed solution marker.
    """
    stale = []
    for _, target, expected in generated_notebooks(root):
        if not target.exists() or target.read_text(encoding="utf-8") != _dumps(
            expected
        ):
            stale.append(target)
    return stale


def _written_by_us(target: Path) -> bool:
    """Whether ``target`` is in exactly the form this script writes (so holds nobody's work).

    A notebook that was run or saved in Jupyter has outputs, execution counts, cell ids or
    kernel metadata that :func:`_clean` removes, so it is not.
    """
    text = target.read_text(encoding="utf-8")
    try:
        nb = nbformat.reads(text, as_version=NBFORMAT_VERSION)
    except Exception:  # not a notebook at all: certainly not ours
        return False
    ours = set(nb.metadata) <= {"kernelspec", "language_info", "ml4phys"}
    return ours and _dumps(_clean(copy.deepcopy(nb))) == text


def sync(root: Path, force: bool = False) -> list[Path]:
    """Regenerate every generated notebook that is out of date; return the ones written.

    Args:
        root: the book's root folder.
        force: overwrite a generated notebook even when it was changed outside this script.

    Raises:
        OverwriteError: (nothing written) when a notebook to regenerate is a link, or was saved
            by something else than this script (Jupyter, say) and so may hold somebody's work;
            the message names each one.
        FileNotFoundError: when there is no notebook to generate.
    """
    # the launch notebooks are made from the student notebooks on disk: write those first
    written = _sync(generated_notebooks(root, "student"), force)
    return written + _sync(generated_notebooks(root, "launch", use_cache=True), force)


def _sync(
    notebooks: Iterable[tuple[Path, Path, nbformat.NotebookNode]], force: bool
) -> list[Path]:
    pending = []
    refused = []
    for source, target, expected in notebooks:
        text = _dumps(expected)
        if target.is_symlink():
            refused.append(
                f"{target} is a link (to {target.resolve()}), not a generated file"
            )
        elif target.exists() and target.resolve() == source.resolve():
            refused.append(f"{target} is its own source")
        elif target.exists() and target.read_text(encoding="utf-8") != text:
            if not force and not _written_by_us(target):
                refused.append(
                    f"{target} was changed outside this script (it has outputs, cell ids or "
                    "metadata that sync never writes)"
                )
            pending.append((target, text))
        elif not target.exists():
            pending.append((target, text))
    if refused:
        raise OverwriteError(
            "sync wrote nothing, so as not to overwrite somebody's work:\n  "
            + "\n  ".join(refused)
            + "\nMove your copy elsewhere (generated notebooks are never edited by hand), or "
            "rerun with --force to overwrite."
        )
    for target, text in pending:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return [target for target, _ in pending]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python book/tools/notebooks.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the book's root folder"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="sync: overwrite generated notebooks changed by hand",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "sync":
            for path in sync(args.root, force=args.force):
                print(f"wrote {path}")
            return 0
        stale = out_of_sync(args.root)
    except (FileNotFoundError, ValueError, OverwriteError, launch.LaunchError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in stale:
        print(
            f"out of date: {path} (run: python book/tools/notebooks.py sync)",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
