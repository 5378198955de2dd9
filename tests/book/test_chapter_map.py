"""The map of the chapters (book/_ext/chapter_map.py) agrees with the book it draws."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import chapter_map  # noqa: E402


def toc_chapters() -> dict[int, str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    chapters = {}
    for part in toc["parts"]:
        for entry in part["chapters"]:
            match = re.fullmatch(r"lectures/(\d\d)_\w+", entry["file"])
            if match:
                chapters[int(match[1])] = entry["file"]
    return chapters


def test_every_chapter_of_the_book_is_on_the_map():
    chapters = toc_chapters()
    assert sorted(chapters) == sorted(chapter_map.PREREQUISITES)
    assert sorted(chapters) == sorted(chapter_map.TITLES)
    in_parts = [c for part in chapter_map.PARTS.values() for c in part]
    assert in_parts == sorted(chapters)


def test_parts_match_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [part for part in toc["parts"] if part.get("numbered")]
    assert len(numbered) == len(chapter_map.PARTS)
    for part, chapters in zip(numbered, chapter_map.PARTS.values(), strict=True):
        files = [e["file"] for e in part["chapters"]]
        assert [int(Path(f).name[:2]) for f in files] == list(chapters)


def test_prerequisites_come_earlier():
    for chapter, needs in chapter_map.PREREQUISITES.items():
        assert all(need < chapter for need in needs), chapter
        assert len(set(needs)) == len(needs)


@pytest.mark.parametrize("chapter", sorted(chapter_map.PREREQUISITES))
def test_each_prerequisite_is_referred_to_in_the_lecture(chapter):
    """An arrow on the map is a chapter the lecture points its reader to."""
    text = (ROOT / f"{toc_chapters()[chapter]}.md").read_text(encoding="utf-8")
    for need in chapter_map.PREREQUISITES[chapter]:
        as_ref = f"{{ref}}`ch{need:02d}" in text
        as_words = re.search(rf"[Cc]hapters? (\d+(, | and | to ))*{need}\b", text)
        assert as_ref or as_words, (
            f"chapter {chapter} lists chapter {need} as a prerequisite "
            "but never refers to it"
        )


@pytest.mark.parametrize("name", sorted(chapter_map.PATHS))
def test_paths_read_each_chapter_after_its_prerequisites(name):
    path = chapter_map.PATHS[name]
    assert len(set(path)) == len(path)
    for i, chapter in enumerate(path):
        missing = set(chapter_map.PREREQUISITES[chapter]) - set(path[:i])
        assert not missing, f"{name}: chapter {chapter} comes before {sorted(missing)}"


def test_paths_are_described_in_the_introduction():
    """Each path's paragraph in the introduction names exactly the chapters of the path."""
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert "chapter_map.*" in intro
    for name, path in chapter_map.PATHS.items():
        match = re.search(rf"^\*\*{name}\.\*\*(.*?)(?:\n\n|\Z)", intro, re.M | re.S)
        assert match, f"no paragraph starting **{name}.** in book/intro.md"
        named = [
            int(n) for n in re.findall(r"\{ref\}`(?:[^`<]*<)?ch(\d\d)>?`", match[1])
        ]
        if named:
            assert named == list(path), name
        else:
            assert path == tuple(range(1, 20)), name


def test_the_map_draws_a_box_per_chapter_and_an_arrow_per_prerequisite(tmp_path):
    svg, pdf = chapter_map.write_map(tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    tree = ET.parse(svg)
    ns = "{http://www.w3.org/2000/svg}"
    patches = [g for g in tree.iter(f"{ns}g") if g.get("id", "").startswith("patch_")]
    n_arrows = sum(len(needs) for needs in chapter_map.PREREQUISITES.values())
    # one patch for the axes' background (hidden), a box per chapter, an arrow per edge
    assert len(patches) >= len(chapter_map.TITLES) + n_arrows
    where = chapter_map.positions()
    assert len(set(where.values())) == len(where)
