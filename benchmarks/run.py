"""Execute every notebook of the book and report its wall time and the results it claims.

Each notebook (lecture, solutions, student exercises, the projects' starting notebooks) runs
in a fresh kernel, one after the other, as the book build runs it (ML4PHYS_BUILD=1). The report
records:

* the wall time of each notebook, from kernel start to the last cell, against the budgets
  (at most 60 s each, median under 20 s, all of them together under 15 minutes);
* the headline results each notebook glues into its text with ``myst_nb.glue`` (accuracies,
  errors, fitted exponents): the numbers the book states, as this run computed them;
* for student notebooks, that the only cells that raised are the tagged stubs and self-checks;
* optionally (``--rebuild``) the time of a warm-cache rebuild of the HTML book (budget 60 s):
  every page re-read and re-written (``--all``), every notebook's outputs taken from the
  jupyter-cache.

With ``--update`` (used with ``--only``), the notebooks run replace their entries in the
existing report and the others keep theirs (each entry records when it was measured); the
summary is recomputed over every notebook of the book, so a report made this way says which
numbers are old. A notebook of the book that has no entry yet is an error.

Usage:  python benchmarks/run.py [--out benchmarks/report.json] [--only PATTERN] [--update]
        [--rebuild]
Exit status 1 when a budget is exceeded or a notebook fails.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 60.0
MEDIAN_SECONDS = 20.0
TOTAL_SECONDS = 900.0  # the whole book, every notebook one after the other: 15 minutes
REBUILD_SECONDS = 60.0


def notebooks(only: str | None) -> list[Path]:
    paths = (
        sorted(ROOT.glob("lectures/[0-9][0-9]_*.md"))
        + sorted(ROOT.glob("solutions/[0-9][0-9]_*.ipynb"))
        + sorted(ROOT.glob("exercises/[0-9][0-9]_*.ipynb"))
        + sorted(ROOT.glob("projects/*.ipynb"))
    )
    return [p for p in paths if only is None or only in str(p.relative_to(ROOT))]


def glued_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The values a notebook glued with myst_nb.glue, as their plain-text representation."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook", {})
            if "name" in meta:
                # glue(display=False) stores the value as application/papermill.record/text/plain
                texts = [
                    v
                    for k, v in output.get("data", {}).items()
                    if k.endswith("text/plain")
                ]
                if texts:
                    values[meta["name"]] = texts[0].strip("'\"")
    return values


def run_notebook(path: Path) -> dict:
    nb = jupytext.read(path)
    student = path.parent.name == "exercises"
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=student,
        resources={"metadata": {"path": str(path.parent)}},
    )
    record: dict = {"notebook": str(path.relative_to(ROOT)), "ok": True}
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        record["ok"] = False
        record["error"] = (
            str(error).splitlines()[-1][:300] if str(error) else repr(error)
        )
    record["seconds"] = round(time.perf_counter() - start, 2)
    record["measured"] = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%MZ"
    )
    record["results"] = glued_values(nb)
    if student:
        unexpected = []
        for index, cell in enumerate(nb.cells):
            raised = any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])
            )
            if raised and "raises-exception" not in cell.metadata.get("tags", []):
                unexpected.append(index)
        record["unexpected_errors_in_cells"] = unexpected
        record["ok"] = record["ok"] and not unexpected
    return record


def rebuild_seconds() -> float:
    env = dict(os.environ, ML4PHYS_BUILD="1")
    start = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            str(ROOT),
            "--all",
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - start, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "report.json")
    parser.add_argument("--only", help="run only notebooks whose path contains this")
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace the entries of the notebooks run in the existing report, keep the rest",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="also time a warm-cache rebuild of the HTML book",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("ML4PHYS_BUILD", "1")

    records = []
    for path in notebooks(args.only):
        record = run_notebook(path)
        records.append(record)
        status = "ok " if record["ok"] else "FAIL"
        print(
            f"{status} {record['seconds']:6.1f} s  {record['notebook']}  {record['results']}",
            flush=True,
        )
    if args.update:
        old = json.loads(args.out.read_text(encoding="utf-8"))
        fresh = {r["notebook"]: r for r in records}
        kept = {r["notebook"]: r for r in old["notebooks"]}
        book = [str(p.relative_to(ROOT)) for p in notebooks(None)]
        missing = [n for n in book if n not in fresh and n not in kept]
        if missing:
            print(f"no measurement of {missing}: run them too", file=sys.stderr)
            return 1
        records = [fresh.get(n) or kept[n] for n in book]
    times = [r["seconds"] for r in records]
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "budgets": {
            "max_seconds": MAX_SECONDS,
            "median_seconds": MEDIAN_SECONDS,
            "total_seconds": TOTAL_SECONDS,
            "rebuild_seconds": REBUILD_SECONDS,
        },
        "notebooks": records,
        "total_seconds": round(sum(times), 1),
        "median_seconds": round(statistics.median(times), 2) if times else None,
        "max_seconds": max(times) if times else None,
    }
    problems = [
        f"{r['notebook']} failed: {r.get('error') or r.get('unexpected_errors_in_cells')}"
        for r in records
        if not r["ok"]
    ]
    problems += [
        f"{r['notebook']} took {r['seconds']} s > {MAX_SECONDS} s"
        for r in records
        if r["seconds"] > MAX_SECONDS
    ]
    if times and statistics.median(times) > MEDIAN_SECONDS:
        problems.append(f"median {statistics.median(times):.1f} s > {MEDIAN_SECONDS} s")
    if times and sum(times) > TOTAL_SECONDS:
        problems.append(f"total {sum(times):.0f} s > {TOTAL_SECONDS:.0f} s")
    if args.rebuild:
        report["rebuild_seconds"] = rebuild_seconds()
        print(f"warm-cache rebuild: {report['rebuild_seconds']} s")
        if report["rebuild_seconds"] > REBUILD_SECONDS:
            problems.append(
                f"rebuild {report['rebuild_seconds']} s > {REBUILD_SECONDS} s"
            )
    report["problems"] = problems
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"total {report['total_seconds']} s, median {report['median_seconds']} s, "
        f"max {report['max_seconds']} s -> {args.out}"
    )
    for problem in problems:
        print(f"over budget or failing: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
