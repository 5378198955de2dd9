"""Colab: a notebook opened on its own, in Colab's stack, installs ml4phys and runs.

A Colab session has no checkout: only the notebook, and the packages Colab preinstalls. The test
emulates one per notebook:

* a virtual environment with the Python of ``binder/runtime.txt`` (the lock's) and Colab's
  stack (``COLAB_STACK``, at the lock's versions where the lock has them), cached in
  ``_build/envs/colab-<hash>``; each notebook runs in a fresh *overlay* of it (see
  ``test_binder.py``), so every session starts without ml4phys and the cache is never changed;
* a HOME whose ``.gitconfig`` rewrites the repository's address (``_config.yml``,
  ``repository.url``) to a local bare repository standing in for GitHub: a commit of the
  working tree's files, tagged with the release the notebooks install (``repository.branch``,
  or ``v<version>`` while that is still ``main``);
* the notebook file alone in an empty folder, run top to bottom: its bootstrap cell must install
  ml4phys from that stand-in (checked from the installed package's ``direct_url.json``).

The student notebook may fail only at its stubs: every cell that raises raised
``NotImplementedError`` or is tagged ``raises-exception``, and at least one stub raised.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml
from test_binder import (
    PIP_OFFLINE_FAST,
    ROOT,
    assert_ran_cleanly,
    cached_env,
    choose,
    copy_worktree,
    errors,
    execute,
    find_python,
    overlay,
    run,
    runtime_version,
    session_env,
    site_packages,
)

import binder_requirements

# The notebooks a Colab button opens (book/tools/launch.py).
NOTEBOOKS = {
    "lecture": ("launch/lectures/01_networks.ipynb",),
    "solutions": ("launch/solutions/01_networks.ipynb",),
    "student": ("launch/student/exercises/01_networks.ipynb",),
}

# What Colab preinstalls of ml4phys's dependencies and the notebooks' imports (and pandas).
COLAB_STACK = [
    "numpy",
    "scipy",
    "matplotlib",
    "pillow",
    "torch",
    "scikit-learn",
    "ipywidgets",
    "tqdm",
    "ipykernel",
    "pandas",
]

# The stand-in's commit: a fixed identity, and no user or system git configuration.
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "ml4phys tests",
    "GIT_AUTHOR_EMAIL": "tests@ml4phys.invalid",
    "GIT_COMMITTER_NAME": "ml4phys tests",
    "GIT_COMMITTER_EMAIL": "tests@ml4phys.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def repository() -> tuple[str, str]:
    """``(url, ref)`` that the bootstrap cells install from (``_config.yml``)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))[
        "repository"
    ]
    url, ref = str(config["url"]).rstrip("/"), str(config.get("branch", "main"))
    if ref == "main":
        version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
            "project"
        ]["version"]
        ref = f"v{version}"
    return url, ref


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """``(cached Colab environment, Python, its X.Y, stand-in remote, its commit, url, ref)``."""
    version = runtime_version()
    python, full_version = find_python(version)
    lock = binder_requirements.read_lock()
    stack = [
        f"{name}=={lock[name][1]}" if name in lock else name for name in COLAB_STACK
    ]
    lock_text = (ROOT / "requirements.lock").read_text(encoding="utf-8")

    def build(path: Path) -> None:
        run([python, "-m", "venv", str(path)])
        constraints = path / "lock-constraints.txt"
        constraints.write_text(lock_text)
        run(
            [
                str(path / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                *PIP_OFFLINE_FAST,
            ]
            + ["-c", str(constraints), *stack]
        )

    base = cached_env(
        "colab", {"python": full_version, "stack": stack, "lock": lock_text}, build
    )
    assert not list(site_packages(base, version).glob("ml4phys*")), (
        f"{base} must not hold ml4phys"
    )

    url, ref = repository()
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        pytest.skip(
            f"_config.yml pins commit {ref}: a stand-in remote cannot have that commit"
        )
    tmp = tmp_path_factory.mktemp("colab")
    work = copy_worktree(tmp / "work")
    git = ["git", "-C", str(work)]
    run([*git, "init", "--quiet", "--initial-branch=main"], env=GIT_ENV)
    run([*git, "add", "--all"], env=GIT_ENV)
    run([*git, "commit", "--quiet", "--no-verify", "-m", "working tree"], env=GIT_ENV)
    run([*git, "tag", "--annotate", "-m", f"release {ref}", ref], env=GIT_ENV)
    commit = run([*git, "rev-parse", "HEAD"], env=GIT_ENV).strip()
    remote = tmp / "remote.git"
    run(["git", "clone", "--quiet", "--bare", str(work), str(remote)], env=GIT_ENV)
    return base, python, version, remote, commit, url, ref


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(NOTEBOOKS))
def test_colab_runs_the_notebook(colab, kind, tmp_path):
    base, python, version, remote, commit, url, ref = colab
    name = choose(NOTEBOOKS[kind])
    # A fresh session: a new environment over Colab's stack, a HOME that sends the repository's
    # address to the stand-in, and the notebook alone in an empty folder.
    env_dir = overlay(base, tmp_path / "env", python, version)
    env = session_env(env_dir, tmp_path / "home")
    (tmp_path / "home" / ".gitconfig").write_text(
        f'[url "file://{remote}"]\n\tinsteadOf = {url}\n'
    )
    content = tmp_path / "content"
    content.mkdir()
    notebook = content / Path(name).name
    notebook.write_bytes((ROOT / name).read_bytes())

    source = "\n".join(
        cell.source for cell in nbformat.read(notebook, as_version=4).cells
    )
    bootstrap = re.search(r'"ml4phys @ git\+([^"@]+)(?:@([^"]+))?"', source)
    assert bootstrap, f"{name} has no bootstrap cell installing ml4phys from git"
    assert bootstrap.group(1).rstrip("/") == url, (
        f"{name} installs from {bootstrap.group(1)}, not {url}"
    )
    pinned = bootstrap.group(2) is not None
    if pinned:
        assert bootstrap.group(2) == ref, (
            f"{name} installs {bootstrap.group(2)}, _config.yml names {ref}"
        )

    nb = execute(notebook, env_dir / "bin" / "python", env, tmp_path / "jupyter")

    if kind == "student":
        raised = errors(nb)
        unexpected = [
            e
            for e in raised
            if e[1] != "NotImplementedError" and "raises-exception" not in e[3]
        ]
        assert not unexpected, f"{name} fails outside its stubs: " + "; ".join(
            f"cell {i}: {ename}: {evalue[:300]}" for i, ename, evalue, _ in unexpected
        )
        assert any(e[1] == "NotImplementedError" for e in raised), (
            f"{name}: no stub raised"
        )
    else:
        assert_ran_cleanly(nb, name)

    # The bootstrap cell installed ml4phys into the session, from the stand-in at the release.
    probe = (
        "import json, ml4phys; from importlib import metadata; "
        "print(json.dumps([ml4phys.__file__, metadata.distribution('ml4phys').read_text('direct_url.json')]))"
    )
    where, direct_url = json.loads(
        run([str(env_dir / "bin" / "python"), "-c", probe], env=env, cwd=content)
    )
    assert Path(where).is_relative_to(site_packages(env_dir, version)), where
    origin = json.loads(direct_url)
    assert origin["url"].rstrip("/") == url, origin
    assert origin["vcs_info"]["commit_id"] == commit, origin
    if pinned:
        assert origin["vcs_info"].get("requested_revision") == ref, origin
