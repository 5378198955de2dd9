"""ml4phys: the helper package of the course book *Machine Learning for Physicists and
Mathematicians*.

Modules:
    utils: seeding, device choice.
    data: synthetic physics data and offline data-set loaders.
    nn_numpy: a from-scratch NumPy network (forward pass, backpropagation).
    training: a small PyTorch training loop with history and early stopping.
    plotting: the book's figure style and plot helpers.
    widgets: sliders that recompute live in Jupyter and work without a kernel on the page.
    conv: convolutions by hand, periodic convolution, residual and inception blocks, a U-Net.
    symmetry: group actions, equivariance error, Deep Sets, C4 group convolutions.
    kan: B-splines and Kolmogorov-Arnold networks, pruning, symbolic extraction.
    recurrent: the LSTM cell written out, recurrent sequence models, memory tasks.
    dynamics: integrators (velocity Verlet, RK4) and coupled oscillators with exact solutions.
    text: a synthetic corpus, vocabulary, skip-gram pairs, nearest neighbours and analogies.
    attention: attention, multi-head attention, positional encoding, a tiny GPT.
    sequences: tokenizers and sequence tasks (integer addition, Ising chains).
    checks: self-checks for the exercise notebooks.
"""

from ml4phys import (
    attention,
    checks,
    conv,
    data,
    dynamics,
    kan,
    nn_numpy,
    plotting,
    recurrent,
    sequences,
    symmetry,
    text,
    training,
    utils,
    widgets,
)
from ml4phys.utils import get_device, glue, in_book_build, seed_everything
from ml4phys.widgets import interactive_figure

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "attention",
    "checks",
    "conv",
    "data",
    "dynamics",
    "get_device",
    "glue",
    "in_book_build",
    "interactive_figure",
    "kan",
    "nn_numpy",
    "plotting",
    "recurrent",
    "seed_everything",
    "sequences",
    "symmetry",
    "text",
    "training",
    "utils",
    "widgets",
]
