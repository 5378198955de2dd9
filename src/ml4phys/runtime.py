"""The run-time set-up of a notebook: seeding, threads, plot style, device, glued results.

Every notebook of the book starts the same way, with one visible line in its first code cell::

    rng = ml4phys.setup(seed=5)

The seed is the chapter's number, in the lecture, the solutions and the student notebook of a
chapter alike. ``rng`` (a :class:`numpy.random.Generator`) is then passed to every function that
draws random numbers; package functions never touch global random state themselves.
"""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

import numpy as np

from ml4phys._validation import check_bool, check_int

if TYPE_CHECKING:
    import torch

__all__ = [
    "setup",
    "seed_everything",
    "get_device",
    "in_book_build",
    "glue",
    "BOOK_THREADS",
]

#: Threads of a kernel when the environment does not set ``OMP_NUM_THREADS``: the book is sized
#: and benchmarked for a 2-core laptop.
BOOK_THREADS = 2


def setup(
    seed: int, n_threads: int | None = None, plot_style: bool = True
) -> np.random.Generator:
    """Prepare a notebook: seed every generator, fix the thread count, set the plot style.

    This is the one visible line of every notebook's first code cell. It

    * seeds Python's, NumPy's and PyTorch's global generators (:func:`seed_everything`) and
      returns a fresh NumPy generator to pass on as ``rng``;
    * sets PyTorch's intra-op threads: ``n_threads`` when given (chapters of tiny models ask
      for 1, which is fastest for them), else ``OMP_NUM_THREADS`` when that is set (the book
      build and the tests set 1, because two kernels share two cores), else
      ``min(BOOK_THREADS, cores)``, the configuration the benchmark measures;
    * applies the book's figure style (:func:`ml4phys.plot.set_style`) and, inside a Jupyter
      kernel, the inline backend, so figures land in the notebook and on the page.

    Args:
        seed: a non-negative integer; by convention the chapter's number.
        n_threads: PyTorch's thread count, >= 1; None for the default described above.
        plot_style: apply the figure style (and the inline backend).

    Returns:
        ``np.random.default_rng(seed)``.
    """
    if n_threads is not None:
        n_threads = check_int(n_threads, "n_threads")
    check_bool(plot_style, "plot_style")
    rng = seed_everything(seed)
    import torch

    if n_threads is None:
        env = os.environ.get("OMP_NUM_THREADS", "")
        n_threads = (
            int(env)
            if env.isdigit() and int(env) > 0
            else min(BOOK_THREADS, os.cpu_count() or 1)
        )
    n_threads = check_int(n_threads, "n_threads")
    torch.set_num_threads(n_threads)
    if plot_style:
        _inline_backend()
        from ml4phys.plot import set_style

        set_style()
    return rng


def _inline_backend() -> None:
    """Select matplotlib's inline backend when running inside an IPython kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        shell.run_line_magic("matplotlib", "inline")


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
    if not 0 <= seed < 2**64:
        raise ValueError(
            f"seed must be an integer in 0..2**64 - 1 (PyTorch's range), got {seed}"
        )
    import torch

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds the legacy global generator on purpose
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
    check_bool(prefer_gpu, "prefer_gpu")
    import torch

    override = os.environ.get("ML4PHYS_DEVICE")
    if override:
        try:
            return torch.device(override)
        except RuntimeError as err:
            raise ValueError(
                f"the environment variable ML4PHYS_DEVICE={override!r} is not a torch device "
                "(expected for example 'cpu', 'cuda', 'cuda:1' or 'mps')"
            ) from err
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


def _plain_number(value: object) -> object:
    """A NumPy or PyTorch scalar as the Python number it holds; anything else unchanged."""
    if isinstance(value, np.generic) or (
        isinstance(value, np.ndarray) and value.shape == ()
    ):
        return value.item()
    if type(value).__module__.startswith("torch") and hasattr(value, "numel"):
        if value.numel() == 1 and value.dim() == 0:
            return value.item()
    return value


def glue(name: str, value: object, display: bool = False) -> None:
    """Store a computed result under ``name`` so the book's text can quote it.

    In the book build this is :func:`myst_nb.glue`, and the prose cites the number with
    ``{glue:text}`name:.3f``` instead of typing it, so the text always states what the code
    computed. Where myst-nb is not installed (Colab, a bare Jupyter) it only shows the value
    when ``display`` is true.

    Args:
        name: the key, unique within the notebook (the book prefixes it with the chapter,
            ``ch03_...``).
        value: the result. A NumPy scalar, a 0-d array or a one-element tensor is stored
            as the plain Python number it holds, since ``{glue:text}`` with a format spec
            can only format what reads back as a number (``np.float64(0.5)`` does not).
        display: also show the value as the cell's output.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    check_bool(display, "display")
    value = _plain_number(value)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as ipython_display

            ipython_display(value)
        return
    myst_glue(name, value, display=display)
