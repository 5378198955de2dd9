"""Recorded long runs: results of trainings too long for a notebook, shipped with the package.

A run that would break the notebook budget (an agent trained to Gymnasium's reward threshold
on several seeds, an ablation) is a script in ``benchmarks/rl/``. It trains, then calls
:func:`save`, which writes ``ml4phys/rl/recorded/<name>.json``: the result (learning curves,
evaluation returns, environment steps, seconds), the SHA-256 of the source of every module the
run depends on, the machine, and the date. The chapter calls :func:`load` and plots from it, so
the page, the PDF and a Colab session (which has the package but no checkout) show the same
recorded numbers.

A recording is stale when one of its source modules has changed since: :func:`stale` lists
those, and a test of the package fails on any, so that a change to an agent cannot leave the
book quoting a run of the old code. Re-run the script to refresh it::

    OMP_NUM_THREADS=1 python benchmarks/rl/<name>.py
"""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
import math
import os
import platform
import re
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["save", "load", "names", "stale", "source_digest", "dependencies", "folder"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def folder() -> Path:
    """The folder of the recordings, ``ml4phys/rl/recorded/`` inside the package."""
    return Path(__file__).with_name("recorded")


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError(
            f"name must be lower-case letters, digits, '_' or '-' (a file name), got {name!r}"
        )
    return name


def source_digest(module: types.ModuleType) -> str:
    """SHA-256 of a module's source file (hex)."""
    if not isinstance(module, types.ModuleType):
        raise TypeError(f"expected a module, got {type(module).__name__}")
    path = inspect.getsourcefile(module)
    if path is None:
        raise ValueError(f"module {module.__name__} has no source file")
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dependencies(modules: Sequence[types.ModuleType]) -> list[types.ModuleType]:
    """The given modules and every ``ml4phys`` module they use, directly or not, sorted.

    A module uses another when its namespace holds that module or an object defined there
    (``from ml4phys.rl.a2c import gae`` makes ``ml4phys.rl.a2c`` a dependency), so that a
    recording notices a change to a helper its agent imports, not only to the agent.
    """
    import sys

    seen: dict[str, types.ModuleType] = {}
    todo = list(modules)
    while todo:
        module = todo.pop()
        if not isinstance(module, types.ModuleType):
            raise TypeError(f"expected a module, got {type(module).__name__}")
        if module.__name__ in seen or not module.__name__.startswith("ml4phys"):
            continue
        if getattr(module, "__file__", None) is None or module.__file__.endswith(
            "__init__.py"
        ):
            continue  # packages hold lazy attributes only, no code of a run
        seen[module.__name__] = module
        for value in vars(module).values():
            if isinstance(value, types.ModuleType):
                todo.append(value)
                continue
            origin = getattr(value, "__module__", None)
            if isinstance(origin, str) and origin.startswith("ml4phys."):
                if origin in sys.modules:
                    todo.append(sys.modules[origin])
    return [seen[name] for name in sorted(seen)]


def _check_json(value: Any, where: str) -> Any:
    """The value as plain JSON (lists, dicts, str, int, float, bool, None); NaN refused."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, got {key!r}")
            out[key] = _check_json(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        return _check_json(value.tolist(), where)  # NumPy arrays and scalars, tensors
    if isinstance(value, (list, tuple)):
        return [_check_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}; a recorded result must be finite")
        return value
    raise TypeError(
        f"{where}: cannot record a {type(value).__name__}; give numbers, strings, lists, dicts"
    )


def save(
    name: str,
    result: Mapping[str, Any],
    *,
    sources: Sequence[types.ModuleType],
    seconds: float | None = None,
) -> Path:
    """Write a recording, replacing an older one of the same name.

    Args:
        name: file name without ``.json`` (lower case, digits, ``_``, ``-``).
        result: a dict of JSON-able values (NumPy arrays and scalars are converted; NaN and
            infinity are refused, since a run that went NaN is not a result to show).
        sources: the modules whose code produced the result (the agent, the environment);
            their digests, and those of every ``ml4phys`` module they use
            (:func:`dependencies`), are stored, so that :func:`stale` notices a later change.
        seconds: wall time of the whole run, stored beside the result.

    Returns:
        The path written.
    """
    name = _check_name(name)
    if not isinstance(result, Mapping):
        raise TypeError(f"result must be a dict, got {type(result).__name__}")
    if isinstance(sources, types.ModuleType) or not isinstance(sources, Sequence):
        raise TypeError("sources must be a list of modules, e.g. [ml4phys.rl.ppo]")
    if not sources:
        raise ValueError("give at least one source module")
    record = {
        "name": name,
        "result": _check_json(result, "result"),
        "sources": {m.__name__: source_digest(m) for m in dependencies(sources)},
        "seconds": None if seconds is None else float(seconds),
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "created": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
    }
    try:
        import torch

        record["machine"]["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    path = folder() / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    text = json.dumps(record, indent=1, sort_keys=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def names() -> list[str]:
    """The names of all recordings, sorted."""
    return sorted(p.stem for p in folder().glob("*.json"))


def load(name: str) -> dict[str, Any]:
    """A recording: a dict with ``result``, ``sources``, ``seconds``, ``machine``, ``created``.

    Raises:
        ValueError: no recording of that name (the message lists those there are and says
            how to make one).
    """
    name = _check_name(name)
    path = folder() / f"{name}.json"
    if not path.is_file():
        raise ValueError(
            f"no recorded run {name!r}; there are {names()}. Make it with "
            f"OMP_NUM_THREADS=1 python benchmarks/rl/{name}.py (from a checkout of the book)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def stale() -> dict[str, list[str]]:
    """Recordings whose source modules changed since: name -> the changed modules."""
    import importlib

    out: dict[str, list[str]] = {}
    for name in names():
        record = load(name)
        changed = []
        for module_name, digest in record["sources"].items():
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                changed.append(f"{module_name} (no longer importable)")
                continue
            if source_digest(module) != digest:
                changed.append(module_name)
        if changed:
            out[name] = changed
    return out
