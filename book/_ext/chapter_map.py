"""The map of the book: which chapter a reader needs before which, and three reading paths.

:data:`PREREQUISITES` is the single source of the map that the introduction draws and of its
reading paths. A chapter's prerequisites are the chapters it builds on directly (what it reuses
or assumes); the map draws one arrow for each. ``tests/book/test_chapter_map.py`` holds the
table to the book: every chapter of ``_toc.yml`` has a row, prerequisites come earlier, each
one is referred to in the dependent lecture (as ``{ref}`chNN``` or "chapter N"), and every
path in :data:`PATHS` reads a chapter only after its prerequisites.

When Sphinx starts, :func:`write_map` draws the map with Matplotlib (no pyplot, no display)
into ``book/images/generated/chapter_map.svg`` for the HTML and ``.pdf`` for the PDF; the
introduction shows it as ``chapter_map.*``. The folder is generated, so git ignores it.
"""

from __future__ import annotations

from pathlib import Path

PARTS: dict[str, tuple[int, ...]] = {
    "I  Foundations": (1, 2, 3, 4),
    "II  Architectures": (5, 6, 7, 8, 9),
    "III  Generative models": (10, 11, 12, 13, 14),
    "IV  Reinforcement learning": (15, 16, 17),
    "V  Science": (18, 19),
}

TITLES: dict[int, str] = {
    1: "Networks",
    2: "Training",
    3: "PyTorch",
    4: "PINNs, scaling",
    5: "CNNs",
    6: "Symmetry",
    7: "KANs",
    8: "RNNs",
    9: "Transformers",
    10: "Autoencoders",
    11: "VAEs",
    12: "GANs",
    13: "Diffusion",
    14: "Boltzmann",
    15: "RL foundations",
    16: "Deep RL",
    17: "Planning",
    18: "ML in science",
    19: "Quantum RL",
}

PREREQUISITES: dict[int, tuple[int, ...]] = {
    1: (),
    2: (1,),
    3: (2,),
    4: (3,),
    5: (3,),
    6: (5,),
    7: (3,),
    8: (2,),
    9: (6, 8),
    10: (5,),
    11: (10,),
    12: (11,),
    13: (5, 9),
    14: (3,),
    15: (2,),
    16: (11, 15),
    17: (15,),
    18: (10, 14),
    19: (15,),
}

PATHS: dict[str, tuple[int, ...]] = {
    "One-semester course": (1, 2, 3, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 18),
    "Short course for physicists": (1, 2, 3, 4, 5, 10, 14, 18, 15, 19),
    "Self-study": tuple(range(1, 20)),
}

PART_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#8172b2", "#dd8452")


def positions() -> dict[int, tuple[float, float]]:
    """Chapter -> (x, y) of its box: one column per part, chapters top to bottom."""
    where = {}
    for column, chapters in enumerate(PARTS.values()):
        for row, chapter in enumerate(chapters):
            where[chapter] = (float(column), -float(row))
    # Part V sits lower, so that the long arrows into it pass between Part IV's boxes.
    where[18], where[19] = (4.0, -2.5), (4.0, -1.0)
    return where


def draw(fig) -> None:
    """Draw the map on a Matplotlib figure: a box per chapter, an arrow per prerequisite."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import FancyArrowPatch

    ax = fig.add_axes((0.0, 0.0, 1.0, 0.9))
    where = positions()
    colour = {
        chapter: PART_COLOURS[column]
        for column, chapters in enumerate(PARTS.values())
        for chapter in chapters
    }
    boxes = {}
    for chapter, (x, y) in where.items():
        boxes[chapter] = ax.text(
            x,
            y,
            f"{chapter}  {TITLES[chapter]}",
            ha="center",
            va="center",
            fontsize=8.5,
            color="white",
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": colour[chapter],
                "edgecolor": "none",
            },
        )
    ax.set_xlim(-0.6, len(PARTS) - 0.4)
    ax.set_ylim(-4.5, 1.6)
    ax.axis("off")
    # The arrows run between the boxes' edges, known (in data units) once the text is laid out.
    FigureCanvasAgg(fig).draw()
    to_data = ax.transData.inverted()
    edges = {}
    for chapter, box in boxes.items():
        (left, bottom), (right, top) = to_data.transform(
            box.get_bbox_patch().get_window_extent()
        )
        edges[chapter] = (left, right, bottom, top)
    for chapter, needs in PREREQUISITES.items():
        for need in needs:
            left0, right0, bottom0, top0 = edges[need]
            left1, right1, bottom1, top1 = edges[chapter]
            y0, y1 = (bottom0 + top0) / 2, (bottom1 + top1) / 2
            if where[need][0] != where[chapter][0]:  # the next part: side to side
                start, end = (right0, y0), (left1, y1)
                bend = 0.0 if y1 > y0 else 0.08
            elif (
                where[need][1] - where[chapter][1] == 1
            ):  # the next chapter: straight down
                start, end, bend = (
                    ((left0 + right0) / 2, bottom0),
                    (
                        (left1 + right1) / 2,
                        top1,
                    ),
                    0.0,
                )
            else:  # further down the same part: around the boxes between, on the right
                start, end, bend = (right0, y0), (right1, y1), -0.5
            ax.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    connectionstyle=f"arc3,rad={bend}",
                    arrowstyle="-|>",
                    mutation_scale=9,
                    color="#555555",
                    linewidth=0.9,
                    shrinkA=1,
                    shrinkB=1,
                    zorder=2,
                )
            )
    for column, name in enumerate(PARTS):
        ax.text(
            column,
            0.55,
            "Part " + name.replace("  ", "\n"),
            ha="center",
            va="bottom",
            fontsize=9.5,
            fontweight="bold",
            color=PART_COLOURS[column],
        )


def write_map(folder: Path) -> list[Path]:
    """Draw the map into ``folder`` as SVG (HTML) and PDF (LaTeX); return the files."""
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(10, 4.2))
    draw(fig)
    written = []
    for suffix in ("svg", "pdf"):
        path = folder / f"chapter_map.{suffix}"
        fig.savefig(path, metadata={"Date": None} if suffix == "svg" else None)
        written.append(path)
    return written


def _on_builder_inited(app) -> None:
    write_map(Path(app.srcdir) / "book" / "images" / "generated")


def setup(app) -> dict:
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
