"""Tests of the package as a whole: lazy imports, the public names, ``setup`` and the layout.

Importing ``ml4phys`` must cost nothing (a notebook's first line, a ``--help``); each subpackage
is loaded on first use (PEP 562), and every name it lists in ``__all__`` must then be there.
The layout follows CONTRIBUTING.md: modules named after concepts, and dependencies pointing one
way, from plotting and widgets to the core, never back.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ml4phys

PACKAGE = Path(ml4phys.__file__).resolve().parent
HEAVY = ("torch", "numpy", "matplotlib", "sklearn", "gymnasium")


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (nothing imported yet), returning its result."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def _modules() -> list[str]:
    """Every module of the package, by dotted name, found on disk (nothing imported)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _packages() -> list[str]:
    return [
        name
        for name in _modules()
        if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").is_file()
    ]


def _has_gymnasium() -> bool:
    return importlib.util.find_spec("gymnasium") is not None


# ----------------------------------------------------------------------------------------------
# Lazy imports
# ----------------------------------------------------------------------------------------------


def test_import_is_light_and_fast():
    code = (
        "import json, sys, time\n"
        "start = time.perf_counter()\n"
        "import ml4phys\n"
        "elapsed = time.perf_counter() - start\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'elapsed': elapsed, 'heavy': heavy}))"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["heavy"] == [], f"import ml4phys imported {report['heavy']}"
    assert report["elapsed"] < 0.5, f"import ml4phys took {report['elapsed']:.2f} s"


def test_dir_lists_the_subpackages():
    listed = set(dir(ml4phys))
    for name in [
        "checks",
        "data",
        "generative",
        "nn",
        "physics",
        "plot",
        "rl",
        "runtime",
        "widgets",
    ]:
        assert name in listed
        assert name in ml4phys.__all__
    assert {"setup", "__version__"} <= set(ml4phys.__all__)


@pytest.mark.parametrize("package", _packages())
def test_every_subpackage_lists_its_submodules(package):
    module = (
        importlib.import_module(package)
        if package != "ml4phys.rl.envs" or _has_gymnasium()
        else None
    )
    if module is None:
        pytest.skip("gymnasium is not installed")
    if not hasattr(module, "__getattr__"):
        pytest.skip(
            f"{package} loads its submodules eagerly or by name (from {package} import ...)"
        )
    folder = PACKAGE.parent / package.replace(".", "/")
    public = {p.stem for p in folder.glob("[!_]*.py")} | {
        p.parent.name for p in folder.glob("[!_]*/__init__.py")
    }
    assert public <= set(dir(module)), (
        f"{package} does not list {sorted(public - set(dir(module)))}"
    )


@pytest.mark.parametrize("module_name", _modules())
def test_every_name_in_all_is_importable(module_name):
    if module_name.startswith("ml4phys.rl.envs") and not _has_gymnasium():
        pytest.skip("gymnasium is not installed")
    module = importlib.import_module(module_name)
    names = list(getattr(module, "__all__", []))
    if not _has_gymnasium():
        names = [name for name in names if f"{module_name}.{name}" != "ml4phys.rl.envs"]
    for name in names:
        value = getattr(
            module, name
        )  # raises AttributeError or ImportError when broken
        if isinstance(value, type(ml4phys)):  # a lazily attached submodule
            assert value.__name__ == f"{module_name}.{name}"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = ml4phys.nope
    with pytest.raises(AttributeError, match="ml4phys.data"):
        _ = ml4phys.data.nope


def test_rl_envs_without_gymnasium_says_how_to_install_it():
    code = (
        "import sys\n"
        "sys.modules['gymnasium'] = None\n"
        "import ml4phys\n"
        "try:\n"
        "    ml4phys.rl.envs\n"
        "except ImportError as err:\n"
        "    print(err)\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'pip install "gymnasium>=1.0"' in result.stdout
    assert "gymnasium" in result.stdout


# ----------------------------------------------------------------------------------------------
# setup
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def torch_threads():
    """Restore PyTorch's thread count and global generator after the test."""
    import torch

    before = torch.get_num_threads()
    with torch.random.fork_rng():
        yield torch
    torch.set_num_threads(before)


def test_setup_returns_a_generator_and_seeds_reproducibly(torch_threads):
    torch = torch_threads
    rng = ml4phys.setup(seed=3, plot_style=False)
    assert isinstance(rng, np.random.Generator)
    first = (rng.random(4), np.random.rand(4), torch.rand(4))  # noqa: NPY002 - the global one, on purpose
    rng = ml4phys.setup(seed=3, plot_style=False)
    second = (rng.random(4), np.random.rand(4), torch.rand(4))  # noqa: NPY002
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    np.testing.assert_array_equal(first[0], np.random.default_rng(3).random(4))
    assert not np.array_equal(
        ml4phys.setup(seed=4, plot_style=False).random(4), first[0]
    )


def test_setup_thread_count(torch_threads, monkeypatch):
    torch = torch_threads
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    ml4phys.setup(seed=3, plot_style=False)
    assert torch.get_num_threads() == 1
    ml4phys.setup(seed=3, n_threads=2, plot_style=False)  # the argument wins
    assert torch.get_num_threads() == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    ml4phys.setup(seed=3, plot_style=False)
    assert torch.get_num_threads() == 2
    ml4phys.setup(seed=3, n_threads=1, plot_style=False)
    assert torch.get_num_threads() == 1


def test_setup_thread_count_from_the_environment_in_a_fresh_process():
    code = "import ml4phys, torch\nml4phys.setup(seed=3, plot_style=False)\nprint(torch.get_num_threads())"
    result = _run(code, OMP_NUM_THREADS="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


# ----------------------------------------------------------------------------------------------
# Layout
# ----------------------------------------------------------------------------------------------

_BAD_NAME = re.compile(
    r"^_?(utils?|util_.*|misc|helpers?|(ch|chapter|lecture|part|week)_?\d+.*|\d+.*)$",
    re.I,
)


@pytest.mark.parametrize("module_name", _modules())
def test_modules_are_named_after_concepts(module_name):
    *parents, name = module_name.split(".")
    if parents[:2] == ["ml4phys", "checks"]:
        assert not re.match(
            r"^_?utils?$", name
        )  # one module per chapter is the convention here
        return
    assert not _BAD_NAME.match(name), (
        f"{module_name}: name modules after the concept they hold"
    )


def _imported_modules(path: Path, module_name: str) -> set[str]:
    """Every module ``path`` imports (at any depth, relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name if path.name == "__init__.py" else module_name.rpartition(".")[0]
    )
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "import_module"
        ):
            if (
                node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


CORE = ("ml4phys.data", "ml4phys.nn", "ml4phys.physics")


@pytest.mark.parametrize("module_name", [m for m in _modules() if m.startswith(CORE)])
def test_the_core_never_imports_plotting_or_widgets(module_name):
    path = PACKAGE.parent / module_name.replace(".", "/")
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    imported = _imported_modules(path, module_name)
    wrong = sorted(
        name
        for name in imported
        if name.split(".")[:2] in (["ml4phys", "plot"], ["ml4phys", "widgets"])
    )
    assert not wrong, (
        f"{module_name} imports {wrong}: dependencies point from plot/widgets to the core"
    )


def test_the_import_scanner_sees_every_form(tmp_path):
    # the layout test above is only as good as this scanner
    source = (
        "import ml4phys.plot\n"
        "from ml4phys import widgets\n"
        "from .. import plot\n"
        "def f():\n"
        "    from ml4phys.widgets import slider\n"
        "    importlib.import_module('ml4phys.plot')\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    found = _imported_modules(path, "ml4phys.data.probe")
    assert {"ml4phys.plot", "ml4phys.widgets", "ml4phys.widgets.slider"} <= found
