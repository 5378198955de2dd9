"""The book's code lines fit the page: book/tools/code_width.py and the sources themselves."""

import json
from pathlib import Path

import code_width

ROOT = Path(__file__).resolve().parents[2]

LONG = "x = " + " + ".join(["value"] * 20)  # 156 characters
MD = f"""---
jupytext:
  text_representation:
    format_name: myst
---

# Title

Prose with a long line that is not code: {"word " * 30}

```{{code-cell}} ipython3
:tags: [hide-input]

short = 1
```

```{{code-cell}} ipython3
{LONG}
```
"""


def test_long_lines_counts_characters_per_line():
    assert code_width.long_lines("a = 1\n" + "b" * 89 + "\n" + "c" * 88) == [
        (2, "b" * 89)
    ]


def test_md_cells_skip_options_and_prose():
    cells = [code for _, _, code in code_width._md_cells(MD)]
    assert cells == ["short = 1\n", LONG + "\n"]


def test_check_and_fix_a_lecture_and_a_notebook(tmp_path):
    (tmp_path / "lectures").mkdir()
    (tmp_path / "solutions").mkdir()
    lecture = tmp_path / "lectures" / "01_x.md"
    lecture.write_text(MD, encoding="utf-8")
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": [LONG]},
            {
                "cell_type": "code",
                "metadata": {},
                "source": ["%time 1\n", LONG],
                "outputs": [],
            },
            {"cell_type": "code", "metadata": {}, "source": [LONG], "outputs": []},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    solutions = tmp_path / "solutions" / "01_x.ipynb"
    solutions.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    problems = code_width.check(tmp_path)
    assert (
        len(problems) == 3
    )  # the lecture's cell, the magic cell, the notebook's last cell
    assert code_width.fix(tmp_path) == 2  # a cell with IPython magics is left alone
    assert [p.split(",")[0] for p in code_width.check(tmp_path)] == [
        "solutions/01_x.ipynb: code cell 0"
    ]
    fixed = lecture.read_text(encoding="utf-8")
    assert ":tags: [hide-input]\n\nshort = 1\n" in fixed and "word " * 30 in fixed
    namespace = {"value": 2}
    exec(
        code_width.cells(lecture)[1], namespace
    )  # the reformatted cell computes the same
    assert namespace["x"] == 40


def test_every_code_line_of_the_book_fits_the_page():
    problems = code_width.check(ROOT)
    assert problems == [], "\n".join(problems)


def test_listings_of_a_lecture_are_checked_from_their_start(tmp_path):
    (tmp_path / "lectures").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text(
        "def shown():\n"
        '    """' + "d" * 90 + '"""\n'
        "    a = 1\n"
        "    b = '" + "x" * 90 + "'\n"
        "\n\ndef hidden():\n    c = '" + "y" * 90 + "'\n",
        encoding="utf-8",
    )
    lecture = tmp_path / "lectures" / "01_x.md"
    lecture.write_text(
        "```{literalinclude} ../src/m.py\n:language: python\n:pyobject: shown\n"
        ":start-at: a = 1\n```\n",
        encoding="utf-8",
    )
    ((path, name, numbered),) = code_width.listings(lecture)
    assert name == "shown" and [n for n, _ in numbered] == [3, 4]
    (problem,) = code_width.check(tmp_path)
    assert problem.startswith("src/m.py:4 (listing shown in lectures/01_x.md)")
