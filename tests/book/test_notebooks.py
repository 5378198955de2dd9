"""Tests of book/tools/notebooks.py: the exercise generator and the sync of generated notebooks."""

from pathlib import Path

import nbformat
import pytest

import notebooks

ROOT = Path(__file__).resolve().parents[2]


def test_strip_solutions_replaces_block_with_indented_stub():
    source = (
        "def f(x):\n"
        '    """Square x."""\n'
        "    ### BEGIN SOLUTION Exercise 1.2\n"
        "    y = x * x\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "print(f)"
    )
    new, top_level = notebooks.strip_solutions(source)
    assert new == (
        'def f(x):\n    """Square x."""\n    raise NotImplementedError("Exercise 1.2")\nprint(f)'
    )
    assert top_level is False


def test_strip_solutions_top_level_and_default_label():
    new, top_level = notebooks.strip_solutions(
        "### BEGIN SOLUTION\nw = 3\n### END SOLUTION"
    )
    assert new == 'raise NotImplementedError("this exercise")'
    assert top_level is True


def test_strip_solutions_leaves_plain_code_alone():
    source = "x = 1\nprint(x)"
    assert notebooks.strip_solutions(source) == (source, False)


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
)
def test_strip_solutions_rejects_unbalanced_markers(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        notebooks.strip_solutions(source)


def _solution_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "(ch09-solutions)=\n# Chapter 9 solutions: tests"
        ),
        nbformat.v4.new_code_cell("import math"),
        nbformat.v4.new_code_cell(
            "def area(r):\n    ### BEGIN SOLUTION Exercise 9.1\n    return math.pi * r**2\n"
            "    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell(
            "assert abs(area(1.0) - math.pi) < 1e-12", metadata={"tags": ["self-check"]}
        ),
        nbformat.v4.new_code_cell(
            "### BEGIN SOLUTION Exercise 9.2\nr0 = 2.0\n### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("print('independent of the answers')"),
        nbformat.v4.new_markdown_cell(
            "The area is $\\pi r^2$.", metadata={"tags": ["solution"]}
        ),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[1].execution_count = 3
    return nb


def test_student_notebook_stubs_tags_and_clears_outputs():
    student = notebooks.make_student_notebook(_solution_notebook())
    sources = [cell.source for cell in student.cells]
    assert "math.pi * r**2" not in "\n".join(sources)
    assert 'raise NotImplementedError("Exercise 9.1")' in sources[2]
    assert sources[4] == 'raise NotImplementedError("Exercise 9.2")'
    tags = [cell.metadata.get("tags", []) for cell in student.cells]
    assert "raises-exception" not in tags[2]  # the stub is inside a function body
    assert (
        "raises-exception" in tags[3]
    )  # the self-check fails until the answer is written
    assert "raises-exception" in tags[4]  # a top-level stub raises when run
    assert "raises-exception" not in tags[5]
    assert len(student.cells) == 6 and not any(
        "pi r^2" in s for s in sources
    )  # discussion dropped
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert "Chapter 9 exercises" in student.cells[0].source
    assert "(ch09-solutions)=" in student.cells[0].source


def test_student_notebook_runs_and_fails_only_at_stubs():
    student = notebooks.make_student_notebook(_solution_notebook())
    namespace: dict = {}
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        if "raises-exception" in cell.metadata.get("tags", []):
            with pytest.raises(NotImplementedError):
                exec(cell.source, namespace)
        else:
            exec(cell.source, namespace)


def test_student_notebook_needs_a_solution_block():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="BEGIN SOLUTION"):
        notebooks.make_student_notebook(nb)
    with pytest.raises(TypeError):
        notebooks.make_student_notebook({"cells": []})


def _book_config(root: Path) -> None:
    (root / "_config.yml").write_text(
        "repository:\n  url: https://example.org/test/book\n  branch: v0.0.1\n",
        encoding="utf-8",
    )
    (root / "book").mkdir(exist_ok=True)
    (root / "book" / "references.bib").write_text("", encoding="utf-8")


def test_sync_writes_then_reports_in_sync(tmp_path):
    _book_config(tmp_path)
    (tmp_path / "solutions").mkdir()
    nbformat.write(_solution_notebook(), tmp_path / "solutions" / "09_test.ipynb")
    (tmp_path / "lectures").mkdir()
    (tmp_path / "lectures" / "09_test.md").write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# 9. Test\n\n```{code-cell} ipython3\n:tags: [remove-cell]\nx = 1\n```\n",
        encoding="utf-8",
    )
    written = notebooks.sync(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == [
        "exercises/09_test.ipynb",
        "launch/lectures/09_test.ipynb",
        "launch/solutions/09_test.ipynb",
        "launch/student/exercises/09_test.ipynb",
        "launch/student/lectures/09_test.ipynb",
    ]
    assert notebooks.out_of_sync(tmp_path) == []
    lecture = nbformat.read(
        tmp_path / "launch" / "lectures" / "09_test.ipynb", as_version=4
    )
    code = [c for c in lecture.cells if c.cell_type == "code"]
    assert "git+https://example.org/test/book@v0.0.1" in code[0].source  # the bootstrap
    assert code[1].source == "x = 1" and code[1].metadata["tags"] == ["remove-cell"]
    # a hand edit of a generated notebook is detected
    path = tmp_path / "exercises" / "09_test.ipynb"
    path.write_text(path.read_text().replace("Exercise 9.2", "Exercise 9.3"))
    assert notebooks.out_of_sync(tmp_path) == [path]
    assert notebooks.main(["check", "--root", str(tmp_path)]) == 1


def test_repository_generated_notebooks_are_in_sync():
    stale = notebooks.out_of_sync(ROOT)
    assert stale == [], f"run `make sync`: out of date: {[str(p) for p in stale]}"


def test_every_chapter_has_lecture_solutions_and_exercises():
    lectures = {p.stem for p in (ROOT / "lectures").glob("[0-9][0-9]_*.md")}
    solutions = {p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")}
    exercises = {p.stem for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}
    assert lectures, "no lectures found"
    assert lectures == solutions == exercises


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("solutions/[0-9][0-9]_*.ipynb"))
    + sorted(ROOT.glob("exercises/[0-9][0-9]_*.ipynb")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_notebooks_declare_the_python3_kernel(path):
    # The student edition renders exercises/ without executing them: without a kernelspec
    # myst-nb finds no lexer for the code cells and the warnings-as-errors build fails.
    kernelspec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert (
        kernelspec.get("name") == "python3" and kernelspec.get("language") == "python"
    ), f"{path} has kernelspec {kernelspec!r}; expected the python3 kernel"


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("solutions/[0-9][0-9]_*.ipynb"))
    + sorted(ROOT.glob("lectures/[0-9][0-9]_*.md")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_sources_carry_no_bootstrap_or_address(path):
    # the address and the release live in _config.yml alone; launch.py writes the bootstrap
    import yaml

    text = path.read_text(encoding="utf-8")
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert "%pip install" not in text and repo not in text


# ----------------------------------------------------------------------------------------------
# Near-miss markers, empty folders and overwrites: each must fail loudly, never leak an answer
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("x = 1\n## BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", 2),
        ("### begin solution\nanswer = 42\n### END SOLUTION", 1),
        ("###BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", 1),
        ("# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION", 1),
        ("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION Exercise 1", 3),
        ("### BEGIN SOLUTION\nanswer = 42\n#### END SOLUTION", 3),
        ("    ### Begin Solution\n", 1),
        ("x = 1\n### BEGIN SOLUTION\nanswer = 42", 2),
        ("x = 1\n\nanswer = 42\n### END SOLUTION", 4),
    ],
)
def test_near_miss_and_unbalanced_markers_are_refused_with_the_line(source, line):
    with pytest.raises(notebooks.MarkerError, match=rf"line {line}\b"):
        notebooks.strip_solutions(source)


def _notebook_with(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = _solution_notebook()
    nb.cells.insert(3, cell)  # the fourth cell
    return nb


@pytest.mark.parametrize(
    "cell",
    [
        nbformat.v4.new_code_cell("## BEGIN SOLUTION\nanswer = 42\n## END SOLUTION"),
        nbformat.v4.new_code_cell(
            "x = 0\n### begin solution\nanswer = 42\n### end solution"
        ),
        nbformat.v4.new_code_cell("###BEGIN SOLUTION\nanswer = 42\n###END SOLUTION"),
        nbformat.v4.new_code_cell("# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42"),
        nbformat.v4.new_code_cell("answer = 42\n### END SOLUTION"),
        nbformat.v4.new_markdown_cell(
            "Hint:\n### BEGIN SOLUTION\nthe answer is 42\n### END SOLUTION"
        ),
        nbformat.v4.new_raw_cell("# BEGIN SOLUTION\n42"),
    ],
    ids=[
        "double-hash",
        "lower-case",
        "no-space",
        "single-hash",
        "no-end",
        "no-begin",
        "markdown",
        "raw",
    ],
)
def test_student_notebook_refuses_a_leaking_cell_naming_notebook_cell_and_line(cell):
    with pytest.raises(notebooks.MarkerError) as info:
        notebooks.make_student_notebook(
            _notebook_with(cell), name="solutions/09_test.ipynb"
        )
    message = str(info.value)
    assert "solutions/09_test.ipynb" in message
    assert "cell 4 " in message
    assert "line " in message


def test_markers_in_a_cell_tagged_solution_are_harmless():
    # The whole cell is left out of the student notebook, so nothing can leak from it.
    cell = nbformat.v4.new_markdown_cell(
        "## BEGIN SOLUTION is a marker", metadata={"tags": ["solution"]}
    )
    student = notebooks.make_student_notebook(_notebook_with(cell))
    assert not any("marker" in c.source for c in student.cells)


def test_a_near_miss_in_the_repository_fails_the_check(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    nb = _notebook_with(
        nbformat.v4.new_code_cell("## BEGIN SOLUTION\nanswer = 42\n## END SOLUTION")
    )
    nbformat.write(nb, tmp_path / "solutions" / "09_test.ipynb")
    assert notebooks.main(["check", "--root", str(tmp_path)]) == 2
    assert notebooks.main(["sync", "--root", str(tmp_path)]) == 2
    assert "09_test.ipynb, cell 4 (code), line 1" in capsys.readouterr().err
    assert not (tmp_path / "exercises").exists()


@pytest.mark.parametrize("make", ["missing", "empty", "unrelated"])
def test_check_of_nothing_fails_with_a_message(tmp_path, capsys, make):
    root = tmp_path / "book"
    if make != "missing":
        (root / "solutions").mkdir(parents=True)
    if make == "unrelated":
        (root / "solutions" / "notes.ipynb").write_text("{}")
    with pytest.raises(FileNotFoundError, match=str(root)):
        notebooks.out_of_sync(root)
    assert notebooks.main(["check", "--root", str(root)]) == 2
    assert notebooks.main(["sync", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 2 and str(root) in err


def _synced_book(tmp_path: Path) -> Path:
    (tmp_path / "solutions").mkdir()
    nbformat.write(_solution_notebook(), tmp_path / "solutions" / "09_test.ipynb")
    notebooks.sync(tmp_path)
    return tmp_path / "exercises" / "09_test.ipynb"


def test_sync_regenerates_what_it_wrote_itself(tmp_path):
    target = _synced_book(tmp_path)
    assert notebooks._written_by_us(target)
    nb = _solution_notebook()
    nb.cells[5].source = "print('changed in the solutions')"
    nbformat.write(nb, tmp_path / "solutions" / "09_test.ipynb")
    assert notebooks.sync(tmp_path) == [target]
    assert "changed in the solutions" in target.read_text()


def test_sync_does_not_overwrite_a_notebook_saved_by_jupyter(tmp_path, capsys):
    target = _synced_book(tmp_path)
    student_work = nbformat.read(target, as_version=4)
    student_work.cells[4].source = "r0 = 2.0  # my answer"
    student_work.cells[4].execution_count = 1
    student_work.metadata["language_info"] = {"name": "python"}
    nbformat.write(student_work, target)
    before = target.read_text()
    with pytest.raises(notebooks.OverwriteError, match="09_test.ipynb"):
        notebooks.sync(tmp_path)
    assert target.read_text() == before
    assert notebooks.main(["sync", "--root", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == before
    assert notebooks.out_of_sync(tmp_path) == [target]  # check still reports it
    assert notebooks.main(["sync", "--root", str(tmp_path), "--force"]) == 0
    assert notebooks.out_of_sync(tmp_path) == []


def test_sync_does_not_write_through_a_link(tmp_path):
    (tmp_path / "solutions").mkdir()
    source = tmp_path / "solutions" / "09_test.ipynb"
    nbformat.write(_solution_notebook(), source)
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "09_test.ipynb").symlink_to(source)
    before = source.read_text()
    with pytest.raises(notebooks.OverwriteError, match="link"):
        notebooks.sync(tmp_path, force=True)
    assert source.read_text() == before
