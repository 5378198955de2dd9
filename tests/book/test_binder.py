"""Binder: an environment made from ``binder/`` alone runs the launch notebooks.

The slow test does what repo2docker does, on this machine: the Python that ``runtime.txt`` names,
``pip install -r binder/requirements.txt`` into a fresh virtual environment (here with
``--no-deps``, which also proves the file complete, and ``--retries 0 --timeout 5`` so that an
unreachable PyTorch index costs nothing), then ``binder/postBuild`` from the repository's root, in
a copy of the working tree's files. One lecture and one solution notebook then run top to bottom
from their folder in that copy, in a kernel of that environment. The Debian packages of
``apt.txt`` are this machine's (``make system`` installs the same ones).

The environment after ``pip install -r`` is cached in ``_build/envs/binder-<hash>``, keyed by
``runtime.txt``, ``requirements.txt`` and the interpreter's version. Each run starts from it
unchanged: postBuild and the notebooks run in an *overlay*, a new virtual environment in a
temporary folder that sees the cached one's packages through a ``.pth`` file and receives what
is installed later (ml4phys). The cache itself is never written to after it is built.

The helpers here also serve ``test_colab.py``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import nbformat
import pytest
from nbclient import NotebookClient
from packaging.utils import canonicalize_name

import binder_requirements

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
ENVS = ROOT / "_build" / "envs"

# The notebooks Binder runs here: what the launch buttons open (book/tools/launch.py).
NOTEBOOKS = {
    "lecture": ("launch/lectures/01_networks.ipynb",),
    "solutions": ("launch/solutions/03_pytorch.ipynb",),
}

CELL_TIMEOUT = 300  # seconds per cell: generous, for a loaded 2-core machine
# No retries and a short timeout: an unreachable index (download.pytorch.org, offline) costs nothing.
PIP_OFFLINE_FAST = ["--retries", "0", "--timeout", "5"]


# ----------------------------------------------------------------------------------------------
# Helpers shared with test_colab.py
# ----------------------------------------------------------------------------------------------


def choose(candidates: tuple[str, ...]) -> str:
    """The first of ``candidates`` that exists in the working tree."""
    for candidate in candidates:
        if (ROOT / candidate).exists():
            return candidate
    pytest.fail(f"none of {', '.join(candidates)} exists")


def runtime_version() -> str:
    """``3.11`` from binder/runtime.txt's ``python-3.11``."""
    text = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", text)
    assert match, f"binder/runtime.txt must read python-X.Y, got {text!r}"
    return match.group(1)


def find_python(version: str) -> tuple[str, str]:
    """``(interpreter, its full version)`` for Python ``version`` on this machine."""
    candidates = [shutil.which(f"python{version}"), sys.executable]
    for candidate in filter(None, candidates):
        result = subprocess.run(
            [candidate, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
        )
        full = result.stdout.strip()
        if result.returncode == 0 and ".".join(full.split(".")[:2]) == version:
            return candidate, full
    pytest.fail(
        f"Python {version} (binder/runtime.txt) is not installed here: no python{version} on PATH "
        f"and the tests run on {sys.version.split()[0]}; install it (apt-get install "
        f"python{version}-venv, or pyenv install {version}) to run the Binder and Colab checks"
    )


def site_packages(env: Path, version: str) -> Path:
    return env / "lib" / f"python{version}" / "site-packages"


def cached_env(name: str, key: object, build: Callable[[Path], None]) -> Path:
    """The virtual environment ``_build/envs/<name>-<hash of key>``, built once by ``build``.

    A lock file serialises builders (two test sessions at once); a marker file says the build
    finished, so an interrupted build is started again. Older environments of ``name`` go.
    """
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    ENVS.mkdir(parents=True, exist_ok=True)
    path = ENVS / f"{name}-{digest}"
    with open(ENVS / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (path / ".complete").exists():
            for old in ENVS.glob(f"{name}-*"):
                shutil.rmtree(old)
            build(path)
            (path / ".complete").write_text(json.dumps(key, indent=1, sort_keys=True))
    return path


def overlay(base: Path, dest: Path, python: str, version: str) -> Path:
    """A new, empty virtual environment at ``dest`` that also sees ``base``'s packages.

    What is installed into it goes to ``dest``; ``base`` stays as it is. ``bin/pip`` runs this
    environment's pip (found in ``base``), as ``pip`` does in a Binder or Colab shell.
    """
    subprocess.run([python, "-m", "venv", "--without-pip", str(dest)], check=True)
    base_site = site_packages(base, version)
    (site_packages(dest, version) / "_base_env.pth").write_text(
        f"import site; site.addsitedir({str(base_site)!r})\n"
    )
    pip = dest / "bin" / "pip"
    pip.write_text('#!/bin/sh\nexec "$(dirname "$0")/python" -m pip "$@"\n')
    pip.chmod(0o755)
    return dest


def session_env(env: Path, home: Path) -> dict[str, str]:
    """The variables of a Binder or Colab session: its own HOME and environment first on PATH.

    Only the machine's locale, certificates, proxies, pip settings (the package index is the
    network's, not the session's) and the harness's thread limits are kept; nothing of the
    book's .venv, the checkout or the build (VIRTUAL_ENV, PYTHONPATH, JUPYTER_*, ML4PHYS_*).
    """
    keep = re.compile(
        r"^(LANG|LC_.*|TZ|TMPDIR|SSL_CERT_.*|REQUESTS_CA_BUNDLE|PIP_.*|(?i:https?_proxy|no_proxy)"
        r"|OMP_NUM_THREADS|OPENBLAS_NUM_THREADS|MKL_NUM_THREADS)$"
    )
    variables = {name: value for name, value in os.environ.items() if keep.match(name)}
    home.mkdir(parents=True, exist_ok=True)
    # The user's pip configuration (here: the local package indexes) comes along.
    for config in (".config/pip/pip.conf", ".pip/pip.conf"):
        source = Path.home() / config
        if source.is_file():
            (home / config).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, home / config)
    dev_bin = str(Path(sys.prefix) / "bin")  # the book's .venv, when it is activated
    path = [
        p for p in os.environ.get("PATH", os.defpath).split(os.pathsep) if p != dev_bin
    ]
    variables.update(
        HOME=str(home),
        PATH=os.pathsep.join([str(env / "bin"), *path]),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return variables


def run(command: list[str], **kwargs) -> str:
    """Run ``command``; on failure, fail the test with its output."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def pip_list(python: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """``{canonical name: version}`` of what ``python``'s pip sees installed."""
    out = run([str(python), "-m", "pip", "list", "--format=json"], env=env)
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(out)}


def copy_worktree(dest: Path) -> Path:
    """The working tree's files as a commit of it would hold them (tracked, and untracked but
    not ignored: ``git ls-files -co --exclude-standard``), copied to ``dest``."""
    out = run(["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"])
    for name in sorted(set(filter(None, out.split("\0")))):
        source = ROOT / name
        if not os.path.lexists(source):  # deleted in the working tree
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name, follow_symlinks=False)
    return dest


def execute(
    path: Path, python: Path, env: dict[str, str], kernels: Path
) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` top to bottom from its folder, errors recorded, not raised,
    in a kernel started by ``python`` with the variables ``env`` (nbclient runs here)."""
    spec = kernels / "kernels" / "launch-session"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(python),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Python 3",
                "language": "python",
            }
        )
    )
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="launch-session",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with mock.patch.dict(os.environ, {"JUPYTER_PATH": str(kernels)}):
        client.execute(env=env)
    return nb


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str, str, list[str]]]:
    """``(cell index, exception name, message, tags)`` of every cell that raised."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(
                    (
                        index,
                        output["ename"],
                        output["evalue"],
                        cell.metadata.get("tags", []),
                    )
                )
    return found


def assert_ran_cleanly(nb: nbformat.NotebookNode, name: str) -> None:
    """Every code cell ran, and none raised (except one tagged ``raises-exception``)."""
    unexpected = [e for e in errors(nb) if "raises-exception" not in e[3]]
    assert not unexpected, f"{name}: cells raised: " + "; ".join(
        f"cell {i}: {ename}: {evalue[:300]}" for i, ename, evalue, _ in unexpected
    )
    not_run = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.source.strip() and c.execution_count is None
    ]
    assert not not_run, f"{name}: cells {not_run} did not run"


# ----------------------------------------------------------------------------------------------
# The files of binder/ (fast)
# ----------------------------------------------------------------------------------------------


def test_requirements_are_the_lock_closure():
    """binder/requirements.txt is what book/tools/binder_requirements.py writes from the lock."""
    problems = binder_requirements.check()
    assert not problems, "\n".join(problems)


def test_binder_files():
    lock_header = (
        (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()[0]
    )
    assert f"Python {runtime_version()}" in lock_header, (
        "runtime.txt must name the lock's Python"
    )
    apt = [
        line.split("#")[0].strip()
        for line in (BINDER / "apt.txt").read_text().splitlines()
    ]
    assert "dataset-fashion-mnist" in apt
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    make_packages = (
        re.search(r"^APT_PACKAGES :=((?:.*\\\n)*.*)$", makefile, re.M).group(1).split()
    )
    assert set(filter(None, apt)) <= set(make_packages), (
        "apt.txt's packages belong in APT_PACKAGES too"
    )
    assert os.access(BINDER / "postBuild", os.X_OK), (
        "binder/postBuild must be executable"
    )


# ----------------------------------------------------------------------------------------------
# A Binder session (slow)
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    """A Binder session: ``(environment, repository copy, session variables, kernel folder)``."""
    version = runtime_version()
    python, full_version = find_python(version)
    files = {
        name: (BINDER / name).read_text(encoding="utf-8")
        for name in ("runtime.txt", "requirements.txt")
    }

    def build(path: Path) -> None:
        run([python, "-m", "venv", str(path)])
        run(
            [
                str(path / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                *PIP_OFFLINE_FAST,
            ]
            + ["-r", str(BINDER / "requirements.txt")]
        )

    base = cached_env("binder", {"python": full_version, **files}, build)
    tmp = tmp_path_factory.mktemp("binder")
    repo = copy_worktree(tmp / "repo")
    env_dir = overlay(base, tmp / "env", python, version)
    env = session_env(env_dir, tmp / "home")
    # repo2docker runs postBuild from the repository's root, with the environment's pip on PATH.
    run([str(repo / "binder" / "postBuild")], cwd=repo, env=env)
    return env_dir, repo, env, tmp, base


@pytest.mark.slow
def test_binder_environment_is_the_file_and_consistent(binder):
    env_dir, repo, env, _, base = binder
    python = env_dir / "bin" / "python"
    expected = binder_requirements.read_pins(BINDER / "requirements.txt")
    # The cached environment holds exactly the file (and pip): --no-deps left nothing out.
    installed = pip_list(base / "bin" / "python")
    installed = {
        name: binder_requirements._public(v)
        for name, v in installed.items()
        if name != "pip"
    }
    assert installed == expected
    # After postBuild: nothing broken, nothing of the book build or the tests.
    run([str(python), "-m", "pip", "check"], env=env)
    seen = pip_list(python, env)
    assert not [name for name in seen if binder_requirements.EXCLUDED.match(name)]
    # ml4phys comes from the checkout, installed by postBuild into the session's environment.
    where = run(
        [str(python), "-c", "import ml4phys; print(ml4phys.__file__)"],
        env=env,
        cwd=env["HOME"],
    )
    assert Path(where.strip()).is_relative_to(env_dir), where


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(NOTEBOOKS))
def test_binder_runs_the_notebook(binder, kind):
    env_dir, repo, env, tmp, _ = binder
    name = choose(NOTEBOOKS[kind])
    nb = execute(repo / name, env_dir / "bin" / "python", env, tmp / f"jupyter-{kind}")
    assert_ran_cleanly(nb, name)
