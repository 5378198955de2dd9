"""binder/requirements.txt: what the notebooks import at run time, pinned to requirements.lock.

Binder (repo2docker) installs ``binder/requirements.txt`` into the environment that already holds
its own Jupyter server, then runs ``binder/postBuild`` (``pip install --no-deps .``). The file is
the closure of the run-time roots below under the pins of ``requirements.lock``: every package
the roots need, directly or not, pinned, so that ``pip install --no-deps -r
binder/requirements.txt`` alone gives a working environment (``tests/book/test_binder.py``
checks that in a fresh virtual environment with ``pip check``). Nothing of the book build
(jupyter-book, Sphinx, MyST, jupytext) or of the tests (pytest, nbval, Playwright, ruff) is in it.

The roots are ``ml4phys``'s dependencies in ``pyproject.toml`` and ``RUNTIME_EXTRAS``: the kernel,
and the packages the notebooks import themselves. ``check`` also scans what the lectures,
solutions, exercises, launch notebooks and the package import, and fails when a third-party
module is provided by no package of the file (``OPTIONAL_IMPORTS`` names the ones that may be
missing, and why).

Command line::

    python book/tools/binder_requirements.py write   # regenerate: pip resolves the roots
    python book/tools/binder_requirements.py check   # exit 1 when the file is out of date

``write`` resolves with ``pip install --dry-run --report`` under the lock's pins; ``check`` needs
no network: it walks the installed metadata of the environment that runs it (the book's
``.venv``, made from the lock), after checking that this environment holds the lock's versions.
Either can use the other way with ``--via pip`` or ``--via installed``. A package the lock lacks
is pinned to the version installed here and marked ``# not in requirements.lock``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
REQUIREMENTS = ROOT / "binder" / "requirements.txt"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

# Run-time roots beyond ml4phys's own dependencies, with the reason each is there.
RUNTIME_EXTRAS = {
    "ipykernel": "the kernel that Binder's Jupyter server (from repo2docker) starts",
    "sympy": "imported by the lectures and ml4phys.nn.kan (today it comes with torch)",
}

# Third-party modules that the sources import but Binder need not have.
OPTIONAL_IMPORTS = {
    "myst_nb": "the book build's glue; ml4phys.glue falls back to display without it",
}

# Never in the run-time file: the book build, the tests, and a Jupyter server of our own.
EXCLUDED = re.compile(
    r"^(jupyter-book|jupyter-cache|jupytext|sphinx.*|myst.*|pydata-sphinx-theme|docutils"
    r"|pytest.*|nbval|nbclient|playwright|ruff|coverage"
    r"|jupyterlab|notebook|jupyter-server.*|nbconvert)$"
)

# Where the code that runs in a notebook lives.
SOURCES = (
    "lectures/*.md",
    "solutions/*.ipynb",
    "exercises/*.ipynb",
    "launch/**/*.ipynb",
    "src/ml4phys/**/*.py",
)


class RequirementsError(RuntimeError):
    """The lock, the environment or the sources do not allow a consistent file."""


# ----------------------------------------------------------------------------------------------
# The lock and the roots
# ----------------------------------------------------------------------------------------------


def read_lock(path: Path = LOCK) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name as the lock spells it, version)}``."""
    pins = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise RequirementsError(
                f"{path}:{number}: expected name==version, got {line!r}"
            )
        pins[canonicalize_name(name)] = (name.strip(), version.strip())
    return pins


def roots(root: Path = ROOT) -> list[str]:
    """ml4phys's dependencies (``pyproject.toml``) and ``RUNTIME_EXTRAS``."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    return [*project["dependencies"], *RUNTIME_EXTRAS]


def _public(version: str) -> str:
    """``2.13.0`` for ``2.13.0+cpu``: the file pins the release, the index picks the build."""
    return Version(version).public


# ----------------------------------------------------------------------------------------------
# Two ways to the closure: {canonical name: (name, version)}
# ----------------------------------------------------------------------------------------------


def closure_installed(requirements: list[str]) -> dict[str, tuple[str, str]]:
    """The closure of ``requirements`` over the metadata installed in this environment.

    Markers are evaluated for this interpreter (Binder's Linux and Python, see runtime.txt).
    """
    dists = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}
    found: dict[str, tuple[str, str]] = {}
    done: set[tuple[str, str]] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        dist = dists.get(name)
        if dist is None:
            raise RequirementsError(
                f"{req.name} is needed but not installed in {sys.prefix}: run make venv, or use --via pip"
            )
        if not req.specifier.contains(dist.version, prereleases=True):
            raise RequirementsError(
                f"{sys.prefix} has {req.name} {dist.version}, but {req} is needed"
            )
        found[name] = (dist.metadata["Name"], dist.version)
        for extra in ("", *sorted(req.extras)):
            if (name, extra) in done:
                continue
            done.add((name, extra))
            for line in dist.requires or []:
                sub = Requirement(line)
                if sub.marker is None:
                    applies = extra == ""
                elif extra:
                    applies = "extra" in str(sub.marker) and sub.marker.evaluate(
                        {"extra": extra}
                    )
                else:
                    applies = sub.marker.evaluate({"extra": ""})
                if applies:
                    todo.append(sub)
    return found


def closure_pip(
    requirements: list[str], constraints: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """The closure that a fresh ``pip install`` of ``requirements`` would install (dry run)."""
    with tempfile.TemporaryDirectory() as tmp:
        constraint_file = Path(tmp) / "constraints.txt"
        constraint_file.write_text(
            "".join(f"{n}=={v}\n" for n, v in constraints.items())
        )
        report = Path(tmp) / "report.json"
        command = [
            *(
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
            ),
            *("--report", str(report), "--retries", "0", "--timeout", "5"),
            *(
                "--extra-index-url",
                TORCH_INDEX,
                "-c",
                str(constraint_file),
                *requirements,
            ),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RequirementsError(
                f"pip could not resolve the roots:\n{result.stderr[-3000:]}"
            )
        installs = json.loads(report.read_text())["install"]
    return {
        canonicalize_name(item["metadata"]["name"]): (
            item["metadata"]["name"],
            item["metadata"]["version"],
        )
        for item in installs
    }


# ----------------------------------------------------------------------------------------------
# The file
# ----------------------------------------------------------------------------------------------


def pins(via: str = "installed", root: Path = ROOT) -> dict[str, tuple[str, str, bool]]:
    """``{canonical name: (name, version, in the lock)}`` of the run-time closure.

    Raises:
        RequirementsError: when the environment differs from the lock, or a build or test
            package would be needed at run time.
    """
    lock = read_lock(root / "requirements.lock")
    if via == "installed":
        resolved = closure_installed(roots(root))
    elif via == "pip":
        installed = {
            canonicalize_name(d.metadata["Name"]): d.version
            for d in metadata.distributions()
        }
        # The lock's pins; for what the lock lacks, the versions installed here stand in.
        constraints = {
            name: version for name, version in installed.items() if name != "ml4phys"
        }
        constraints.update({name: version for name, (_, version) in lock.items()})
        resolved = closure_pip(roots(root), constraints)
    else:
        raise ValueError(f"via must be 'installed' or 'pip', got {via!r}")
    result = {}
    for name, (spelling, version) in resolved.items():
        if EXCLUDED.match(name):
            raise RequirementsError(
                f"{spelling} is a build or test package, yet the run time needs it"
            )
        if name in lock:
            if _public(version) != _public(lock[name][1]):
                raise RequirementsError(
                    f"{sys.prefix} has {spelling} {version}, requirements.lock pins {lock[name][1]}: "
                    "run make venv (or pip install -r requirements.lock) first"
                )
            result[name] = (lock[name][0], _public(lock[name][1]), True)
        else:
            result[name] = (spelling, _public(version), False)
    return dict(sorted(result.items()))


def render(pinned: dict[str, tuple[str, str, bool]]) -> str:
    """The text of binder/requirements.txt."""
    missing = [name for name, _, in_lock in pinned.values() if not in_lock]
    lines = [
        "# Binder's run-time environment: what the notebooks and the ml4phys package import, and",
        "# every package those need, pinned to requirements.lock, so that",
        "#     pip install --no-deps -r binder/requirements.txt",
        "# alone gives a working environment (tests/book/test_binder.py checks it with pip check).",
        "# Nothing of the book build or the tests; Binder's Jupyter server comes from repo2docker's",
        "# base environment, and binder/postBuild installs ml4phys itself from the checkout.",
        "# Generated by book/tools/binder_requirements.py (the closure of ml4phys's dependencies",
        f"# in pyproject.toml and of {', '.join(RUNTIME_EXTRAS)}); do not edit by hand. Regenerate:",
        "#     .venv/bin/python book/tools/binder_requirements.py write",
    ]
    if missing:
        lines.append(
            f"# Marked 'not in requirements.lock': {', '.join(missing)}; pinned to the book's .venv."
        )
    lines += [
        "",
        "# PyTorch's CPU build (torch's default wheel on Linux carries CUDA).",
        f"--extra-index-url {TORCH_INDEX}",
    ]
    for name, version, in_lock in pinned.values():
        lines.append(
            f"{name}=={version}" + ("" if in_lock else "  # not in requirements.lock")
        )
    return "\n".join(lines) + "\n"


def read_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    """``{canonical name: version}`` of a requirements file of ``name==version`` lines."""
    result = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            result[canonicalize_name(name)] = version.strip()
    return result


# ----------------------------------------------------------------------------------------------
# What the sources import
# ----------------------------------------------------------------------------------------------


def _code_of(path: Path) -> list[str]:
    if path.suffix == ".py":
        return [path.read_text(encoding="utf-8")]
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", text, re.M | re.S)
    return [re.sub(r"\A(?::[^\n]*\n)+", "", block) for block in blocks]  # cell options


def imported_modules(root: Path = ROOT) -> dict[str, str]:
    """``{top-level module: a file importing it}`` of every non-standard-library import."""
    modules: dict[str, str] = {}
    for pattern in SOURCES:
        for path in sorted(root.glob(pattern)):
            for code in _code_of(path):
                # IPython magics and shell escapes are not Python: keep the lines, as pass.
                code = re.sub(r"^(\s*)[%!].*$", r"\1pass", code, flags=re.M)
                try:
                    tree = ast.parse(code)
                except SyntaxError as error:
                    raise RequirementsError(
                        f"{path.relative_to(root)}: {error}"
                    ) from error
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    elif (
                        isinstance(node, ast.ImportFrom)
                        and node.level == 0
                        and node.module
                    ):
                        names = [node.module]
                    else:
                        continue
                    for name in names:
                        top = name.split(".")[0]
                        if top not in sys.stdlib_module_names and top != "ml4phys":
                            modules.setdefault(top, str(path.relative_to(root)))
    return modules


def unprovided_imports(pinned: dict[str, str], root: Path = ROOT) -> list[str]:
    """Messages for the imported modules that no package of ``pinned`` provides."""
    providers = metadata.packages_distributions()
    problems = []
    for module, where in sorted(imported_modules(root).items()):
        if module in OPTIONAL_IMPORTS:
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists & set(pinned):
            problems.append(
                f"{where} imports {module} (from {', '.join(sorted(dists)) or 'no installed package'}), "
                "which binder/requirements.txt does not provide: add its package to RUNTIME_EXTRAS "
                "or pyproject.toml, or name it in OPTIONAL_IMPORTS"
            )
    return problems


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def check(via: str = "installed", root: Path = ROOT) -> list[str]:
    """Problems with binder/requirements.txt; an empty list when it is up to date."""
    path = root / "binder" / "requirements.txt"
    expected = render(pins(via, root))
    actual = path.read_text(encoding="utf-8") if path.exists() else ""
    problems = []
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                actual.splitlines(True),
                expected.splitlines(True),
                "binder/requirements.txt",
                "expected",
            )
        )
        problems.append(
            "binder/requirements.txt is out of date: run python book/tools/binder_requirements.py write\n"
            + diff
        )
    problems += unprovided_imports(read_pins(path) if path.exists() else {}, root)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument(
        "--via", choices=["pip", "installed"], help="how to resolve (see above)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            text = render(pins(args.via or "pip"))
            REQUIREMENTS.write_text(text, encoding="utf-8")
            print(
                f"wrote {REQUIREMENTS.relative_to(ROOT)}: {len(read_pins())} packages"
            )
            problems = unprovided_imports(read_pins())
        else:
            problems = check(args.via or "installed")
    except RequirementsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.command == "check" and not problems:
        print("binder/requirements.txt is up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
