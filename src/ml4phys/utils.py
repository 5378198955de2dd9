"""Seeding, device choice and small shared utilities.

Every notebook of the book seeds once, visibly, in its first code cell::

    rng = ml4phys.seed_everything(42)

and passes ``rng`` (a :class:`numpy.random.Generator`) to every function that draws random
numbers. Package functions never touch global random state themselves.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["seed_everything", "get_device", "in_book_build", "glue"]


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch, and return a fresh NumPy generator.

    Args:
        seed: a non-negative integer.

    Returns:
        ``np.random.default_rng(seed)``, the generator to pass on as ``rng``.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def get_device(prefer_gpu: bool = True) -> torch.device:
    """Choose where tensors live: a GPU when one is present and wanted, else the CPU.

    The book never needs a GPU: every chapter is sized for a laptop CPU. Set the environment
    variable ``ML4PHYS_DEVICE`` (for example to ``cpu``) to override the choice.

    Args:
        prefer_gpu: use CUDA (or Apple's MPS) when available.

    Returns:
        The chosen :class:`torch.device`.
    """
    override = os.environ.get("ML4PHYS_DEVICE")
    if override:
        return torch.device(override)
    if prefer_gpu and torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if prefer_gpu and mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def in_book_build() -> bool:
    """Whether the code runs while the book is being built (``ML4PHYS_BUILD=1``).

    The build sets this variable so that widgets render their static form and progress bars
    stay quiet.
    """
    return os.environ.get("ML4PHYS_BUILD", "") not in ("", "0", "false", "False")


def glue(name: str, value: object, display: bool = False) -> None:
    """Store a computed result under ``name`` so the book's text can quote it.

    In the book build this is :func:`myst_nb.glue`, and the prose cites the number with
    ``{glue:text}`name:.3f``` instead of typing it, so the text always states what the code
    computed. Where myst-nb is not installed (Colab, a bare Jupyter) it only shows the value
    when ``display`` is true.

    Args:
        name: the key, unique within the notebook (the book prefixes it with the chapter,
            ``ch03_...``).
        value: the result; a plain Python number or string formats best.
        display: also show the value as the cell's output.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as ipython_display

            ipython_display(value)
        return
    myst_glue(name, value, display=display)

