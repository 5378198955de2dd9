"""The launch notebooks (book/tools/launch.py): plain Markdown, the right bootstrap, no answers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

import launch

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = sorted((ROOT / "launch").rglob("*.ipynb"))
STUDENT = [p for p in LAUNCH if "student" in p.parts]
CHAPTERS = sorted(p.stem for p in (ROOT / "lectures").glob("[0-9][0-9]_*.md"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_every_page_has_its_launch_notebooks():
    expected = {
        f"launch/{folder}/{name}.ipynb"
        for name in CHAPTERS
        for folder in ("lectures", "solutions", "student/lectures", "student/exercises")
    }
    assert CHAPTERS and {_rel(p) for p in LAUNCH} == expected


@pytest.mark.parametrize("path", LAUNCH, ids=_rel)
def test_launch_notebook_has_no_raw_myst(path):
    found = launch.raw_myst(_read(path))
    assert found == [], f"{_rel(path)} shows MyST markup to the reader: {found[:5]}"


@pytest.mark.parametrize("path", LAUNCH, ids=_rel)
def test_first_code_cell_installs_the_configured_release(path):
    url, ref = launch.repository(ROOT)
    nb = _read(path)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code[0].source == launch.bootstrap_source(url, ref)
    assert f'"ml4phys @ git+{url}@{ref}"' in code[0].source
    assert sum("%pip install" in cell.source for cell in code) == 1
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


def test_the_release_is_a_tag_of_the_package_version():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'(?m)^version = "([^"]+)"', pyproject).group(1)
    assert launch.repository(ROOT)[1] == f"v{version}", (
        "repository.branch in _config.yml must be the tag of the package version in pyproject.toml"
    )


@pytest.mark.parametrize("ref", ["main", "master", "", "v1", "HEAD"])
def test_a_moving_or_malformed_ref_is_refused(tmp_path, ref):
    (tmp_path / "_config.yml").write_text(
        yaml.safe_dump({"repository": {"url": "https://x.org/a/b", "branch": ref}})
    )
    with pytest.raises(launch.LaunchError, match="release tag"):
        launch.repository(tmp_path)


@pytest.mark.parametrize("name", CHAPTERS)
def test_launch_code_is_the_source_code(name):
    """Besides the bootstrap, a launch notebook runs exactly the code of its page."""
    for source, target in [
        (launch.read_source(ROOT, f"lectures/{name}"), f"launch/lectures/{name}.ipynb"),
        (
            launch.read_source(ROOT, f"lectures/{name}"),
            f"launch/student/lectures/{name}.ipynb",
        ),
        (_read(ROOT / "solutions" / f"{name}.ipynb"), f"launch/solutions/{name}.ipynb"),
        (
            _read(ROOT / "exercises" / f"{name}.ipynb"),
            f"launch/student/exercises/{name}.ipynb",
        ),
    ]:
        want = [c.source for c in source.cells if c.cell_type == "code"]
        got = [c.source for c in _read(ROOT / target).cells if c.cell_type == "code"][
            1:
        ]
        assert got == want, target


def _long_lines(text: str, n: int = 30) -> set[str]:
    return {
        line.strip()
        for line in text.splitlines()
        if len(line.strip()) > n and "{" not in line
    }


def _secrets(name: str) -> dict[str, set[str]]:
    """Lines of the answers that appear nowhere else in the page, per student launch notebook."""
    lecture = (ROOT / "lectures" / f"{name}.md").read_text(encoding="utf-8")
    pattern = r"(?ms)^```\{solution\}[^\n]*\n(.*?)^```\s*$"
    in_solutions = set().union(
        *[_long_lines(body) for body in re.findall(pattern, lecture)]
    )
    elsewhere = _long_lines(re.sub(pattern, "", lecture))
    answers, rest = set(), set()
    for cell in _read(ROOT / "solutions" / f"{name}.ipynb").cells:
        if "solution" in cell.metadata.get("tags", []):
            answers |= _long_lines(cell.source)
            continue
        block = r"(?s)### BEGIN SOLUTION[^\n]*\n(.*?)### END SOLUTION"
        answers |= set().union(
            set(), *[_long_lines(b) for b in re.findall(block, cell.source)]
        )
        rest |= _long_lines(re.sub(block, "", cell.source))
    return {
        "student/lectures": in_solutions - elsewhere,
        "student/exercises": answers - rest,
    }


@pytest.mark.parametrize("name", CHAPTERS)
def test_student_launch_notebooks_hold_no_solution_text(name):
    for folder, secrets in _secrets(name).items():
        path = ROOT / "launch" / folder / f"{name}.ipynb"
        if folder == "student/exercises":
            assert len(secrets) > 5, (
                f"too few answer lines found in chapter {name} to test with"
            )
        text = path.read_text(encoding="utf-8")
        joined = "\n".join(cell.source for cell in _read(path).cells)
        leaked = sorted(line for line in secrets if line in joined)
        assert leaked == [], (
            f"launch/{folder}/{name}.ipynb shows solution text: {leaked[:3]}"
        )
        assert (
            "<details>" not in text
            and "Solution to" not in text
            and "BEGIN SOLUTION" not in text
        )
    lecture = (ROOT / "lectures" / f"{name}.md").read_text(encoding="utf-8")
    full = "\n".join(
        c.source for c in _read(ROOT / "launch" / "lectures" / f"{name}.ipynb").cells
    )
    assert ("<details>" in full) == ("```{solution}" in lecture)
    assert all(
        line in full for line in _secrets(name)["student/lectures"]
    )  # the full edition has them


# ----------------------------------------------------------------------------------------------
# The converter, construct by construct, on a small book
# ----------------------------------------------------------------------------------------------

BIB = """@article{doe2020,
  author = {Doe, Jane and Roe, Richard and M{\\"u}ller, Anna},
  title = {A Result},
  journal = {J. Tests},
  year = {2020},
  doi = {10.1/xyz}
}
@book{smith1999,
  author = {Smith, John},
  title = {A Book},
  publisher = {Press},
  year = {1999}
}
"""

LECTURE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(ch09)=
# A test chapter

Intro with {cite}`doe2020,smith1999` and {cite:t}`smith1999`; see {ref}`ch09-part`.

(ch09-part)=
## The part

$$
E = mc^2
$$ (ch09-eq-e)

Equation {eq}`ch09-eq-e` and {prf:ref}`ch09-thm` hold; the loss is {glue:text}`ch09_loss:.3f`
and `{glue:text}` in code is kept.

```{prf:theorem} Big
:label: ch09-thm

It holds.
```

```{exercise} Try
:label: ch09-ex

Do it.
```

```{solution} ch09-ex
The secret answer is forty-two.
```

```{literalinclude} ../src/mod.py
:language: python
:pyobject: f
```

```{code-cell} ipython3
from ml4phys import glue
glue("ch09_loss", 0.123456, display=False)
```
"""


def _mini_book(root: Path, lecture: str = LECTURE) -> Path:
    (root / "_config.yml").write_text(
        "repository:\n  url: https://example.org/t/book\n  branch: v1.2.3\n",
        encoding="utf-8",
    )
    (root / "book").mkdir()
    (root / "book" / "references.bib").write_text(BIB, encoding="utf-8")
    (root / "src").mkdir()
    (root / "src" / "mod.py").write_text(
        "import os\n\n\ndef f(x):\n    return 2 * x\n\n\ny = 3\n"
    )
    (root / "lectures").mkdir()
    (root / "lectures" / "09_test.md").write_text(lecture, encoding="utf-8")
    return root


def _converted(root: Path, edition: str = "full", glue=None) -> str:
    index = launch.Index(root, ["lectures/09_test"])
    bib = launch.Bibliography(root / "book" / "references.bib")
    glue = {"lectures/09_test": {"ch09_loss": "0.123456"}} if glue is None else glue
    nb = launch.launch_notebook(root, index, bib, "lectures/09_test", edition, glue)
    assert launch.raw_myst(nb) == []
    return "\n\n".join(cell.source for cell in nb.cells)


def test_each_construct_becomes_plain_markdown(tmp_path):
    text = _converted(_mini_book(tmp_path))
    assert text.startswith("# 9. A test chapter")
    assert "[Doe et al., 2020, Smith, 1999]" in text and "Smith [1999]" in text
    assert "see The part." in text and "## 9.1. The part" in text
    assert "\\tag{9.1}" in text and "Equation (9.1) and Theorem 9.1 hold" in text
    assert "the loss is 0.123" in text  # myst-nb's formatting of the glued value
    assert "`{glue:text}` in code is kept" in text
    assert "**Theorem 9.1** (Big)" in text and "**Exercise 9.1** (Try)" in text
    assert "<summary><b>Solution to Exercise 9.1</b>" in text and "forty-two" in text
    assert (
        "def f(x):\n    return 2 * x\n```" in text and "y = 3" not in text
    )  # Sphinx's reader
    assert (
        "## References" in text
        and "Doe, Jane, Roe, Richard, Müller, Anna (2020)" in text
    )
    assert "<https://doi.org/10.1/xyz>" in text
    assert "(ch09" not in text and ":label:" not in text


def test_student_edition_drops_the_solution(tmp_path):
    text = _converted(_mini_book(tmp_path), edition="student")
    assert "forty-two" not in text and "Solution to" not in text
    assert "**Exercise 9.1** (Try)" in text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("{foo}`bar`", "unknown MyST role"),
        ("```{mystery}\nx\n```", "unknown MyST directive"),
        ("{ref}`no-such-label`", "unknown label"),
        ("{cite}`nobody2000`", "not in book/references.bib"),
        ("{glue:text}`ch09_other:.2f`", "build the book"),
        ("```{note}\nnever closed", "not closed"),
        ("```{literalinclude} ../src/missing.py\n```", "missing file"),
        ("```{literalinclude} ../src/mod.py\n:emphasise: 1\n```", "not supported"),
    ],
)
def test_what_the_converter_does_not_know_is_an_error(tmp_path, edit, message):
    root = _mini_book(tmp_path, LECTURE.replace("Intro with", edit + "\n\nIntro with"))
    with pytest.raises(launch.LaunchError, match=message):
        _converted(root)


def test_missing_glue_values_say_to_build_first(tmp_path):
    with pytest.raises(launch.LaunchError, match="make html"):
        _converted(_mini_book(tmp_path), glue={})


def test_check_keeps_stored_values_and_refuses_them_once_the_code_changed(tmp_path):
    root = _mini_book(tmp_path)
    (root / "solutions").mkdir()
    with pytest.raises(
        launch.LaunchError, match="make html"
    ):  # no build, nothing stored
        launch.generate(root, use_cache=False)
    target = root / "launch" / "lectures" / "09_test.ipynb"
    target.parent.mkdir(parents=True)
    index = launch.Index(root, ["lectures/09_test"])
    nb = launch.launch_notebook(
        root, index, launch.Bibliography(root / "book" / "references.bib"), "lectures/09_test", "full",
        {"lectures/09_test": {"ch09_loss": "0.5"}},
    )  # fmt: skip
    target.write_text(launch.dumps(nb))
    # the stored value is used while the code is the same ...
    assert launch.stored_glue([target], index) == {
        "lectures/09_test": {"ch09_loss": "0.5"}
    }
    # ... and refused once the code that computed it changed
    (root / "lectures" / "09_test.md").write_text(LECTURE.replace("0.123456", "0.9"))
    assert launch.stored_glue([target], launch.Index(root, ["lectures/09_test"])) == {}


@pytest.mark.parametrize(
    "markdown",
    [
        "see {ref}`a-label`",
        "x {glue:text}`k:.2f` y",
        "```{note}\nhi\n```",
        "(a-label)=\n# T",
        "> :label: x",
    ],
)
def test_raw_myst_finds_what_a_reader_must_not_see(markdown):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    assert launch.raw_myst(nb), markdown


def test_raw_myst_ignores_code():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("`{ref}` and\n```\n{ref}`x`\n```")]
    )
    assert launch.raw_myst(nb) == []
