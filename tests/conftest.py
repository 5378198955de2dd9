"""Fixtures and settings shared by every test.

Tests mirror the package: ``tests/data``, ``tests/nn``, ``tests/physics`` and ``tests/checks``
test ``ml4phys.data``, ``ml4phys.nn``, ``ml4phys.physics`` and ``ml4phys.checks``; ``tests/book``
tests the book's own tools (``book/tools``) and, in ``tests/book/built``, the built site and PDF.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

# The book's build tools are scripts, not part of the installed package.
sys.path.insert(0, str(ROOT / "book" / "tools"))


@pytest.fixture
def root() -> Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh NumPy generator with a fixed seed, as the notebooks pass around."""
    return np.random.default_rng(0)


@pytest.fixture
def torch_seed():
    """Seed PyTorch's global generator for the test and restore its state afterwards."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module's tests with one PyTorch thread (tiny models: fastest, and no contention)."""
    import torch

    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
