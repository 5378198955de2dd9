"""ml4phys: the helper package of the course book *Machine Learning for Physicists and
Mathematicians*.

Modules:
    utils: seeding, device choice.
    data: synthetic physics data and offline data-set loaders.
    nn_numpy: a from-scratch NumPy network (forward pass, backpropagation).
    training: a small PyTorch training loop with history and early stopping.
    plotting: the book's figure style and plot helpers.
    widgets: sliders that recompute live in Jupyter and work without a kernel on the page.
    checks: self-checks for the exercise notebooks.
"""

from ml4phys import checks, data, nn_numpy, plotting, training, utils, widgets
from ml4phys.utils import get_device, glue, in_book_build, seed_everything
from ml4phys.widgets import interactive_figure

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "checks",
    "data",
    "get_device",
    "glue",
    "in_book_build",
    "interactive_figure",
    "nn_numpy",
    "plotting",
    "seed_everything",
    "training",
    "utils",
    "widgets",
]
