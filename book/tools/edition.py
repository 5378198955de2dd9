"""Write the sources of the student edition of the book.

The student edition is the same book without worked solutions: each chapter's solutions page
becomes its student notebook (exercises/, shown unexecuted), links to the solutions pages point
at the student notebooks instead, and sphinx-exercise hides the solutions of the in-text
exercises. The edition is assembled as a copy of the book's sources under one folder, so that
every cross-reference and launch button resolves there; it shares the jupyter-cache of the full
edition, so building both executes each lecture once.

Usage (through make):  make book EDITION=student   ->  _build/student/_build/html, .../latex
Directly:               python book/tools/edition.py student _build/student
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["book", "lectures", "exercises", "projects", "launch", "src/ml4phys"]


def student_config(config: dict) -> dict:
    """The full edition's ``_config.yml`` turned into the student edition's."""
    config = dict(config)
    config["title"] = f"{config['title']} (student edition)"
    execute = dict(config.get("execute", {}))
    execute["cache"] = str(ROOT / "_build" / ".jupyter_cache")
    config["execute"] = execute
    sphinx = dict(config.get("sphinx", {}))
    sphinx_config = dict(sphinx.get("config", {}))
    sphinx_config["hide_solutions"] = True
    sphinx_config["ml4phys_launch_root"] = (
        "launch/student"  # notebooks without solution text
    )
    sphinx["config"] = sphinx_config
    config["sphinx"] = sphinx
    return config


def student_toc(toc: object) -> object:
    """The table of contents with every ``solutions/`` page replaced by ``exercises/``."""
    if isinstance(toc, dict):
        return {key: student_toc(value) for key, value in toc.items()}
    if isinstance(toc, list):
        return [student_toc(item) for item in toc]
    if isinstance(toc, str) and toc.startswith("solutions/"):
        return "exercises/" + toc.removeprefix("solutions/")
    return toc


def write_student_edition(out: Path) -> None:
    """Assemble the student edition's sources in ``out`` (replacing what a former run left)."""
    out = out.resolve()
    build = ROOT / "_build"
    if ROOT in (out, *out.parents) and build not in out.parents:
        raise ValueError(
            f"refusing to write the edition into {out}: choose a folder in _build/"
        )
    for name in COPIED:
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            ROOT / name,
            target,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
    for lecture in (out / "lectures").glob("*.md"):
        text = lecture.read_text(encoding="utf-8")
        lecture.write_text(
            text.replace("../solutions/", "../exercises/"), encoding="utf-8"
        )
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    (out / "_config.yml").write_text(
        yaml.safe_dump(student_config(config), sort_keys=False)
    )
    (out / "_toc.yml").write_text(yaml.safe_dump(student_toc(toc), sort_keys=False))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "student":
        print(__doc__, file=sys.stderr)
        return 2
    write_student_edition(Path(argv[1]))
    print(f"student edition sources in {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
