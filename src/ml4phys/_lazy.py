"""Lazy attributes for packages (PEP 562), so that importing a package costs nothing extra.

A package's ``__init__`` says which submodules it has and which names it re-exports from
them; nothing is imported until a name is first used::

    __getattr__, __dir__, __all__ = attach(__name__, submodules=["conv"], names={"fit": "training"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def attach(
    package: str, submodules: Iterable[str] = (), names: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Build the ``__getattr__``, ``__dir__`` and ``__all__`` of a lazily importing package.

    Args:
        package: the package's ``__name__``.
        submodules: submodule names, imported on first access as attributes.
        names: public name -> submodule that defines it, re-exported on first access.

    Returns:
        ``(__getattr__, __dir__, __all__)`` to assign in the package's namespace.
    """
    submodules = set(submodules)
    names = dict(names or {})
    public = sorted(submodules | set(names))

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in names:
            module = importlib.import_module(f"{package}.{names[name]}")
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return public

    return __getattr__, __dir__, public
