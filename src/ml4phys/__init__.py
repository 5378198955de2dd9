"""ml4phys: the helper package of the course book *Machine Learning for Physicists and
Mathematicians*.

One room per concept; a reader can guess where a thing lives from what it is:

=====================  ===========================================================================
``ml4phys.data``       data made on the fly (points, curves, spectra, images, text, sequence
                       tasks) and offline loaders of real data sets (digits, Fashion-MNIST)
``ml4phys.nn``         networks: the NumPy network (``numpy_net``), PyTorch training
                       (``training``), ``conv``, ``symmetry``, ``kan``, ``recurrent``,
                       ``transformer``, word ``embeddings``
``ml4phys.generative`` generative models (Part III): ``vae``, ``gan``, ``diffusion``,
                       ``boltzmann``, and ``metrics`` comparing samples with data
``ml4phys.manifold``   low-dimensional maps of data: PCA from the SVD, principal angles, t-SNE
``ml4phys.physics``    physical systems: ``ising``, ``particles``, ``integrators``, ``oscillators``
``ml4phys.rl``         reinforcement learning (Part IV); environments in ``ml4phys.rl.envs``
``ml4phys.checks``     the exercises' self-checks: a shared contract plus one module per chapter
``ml4phys.plot``       the book's figure style and plot helpers
``ml4phys.widgets``    sliders that recompute in Jupyter and work without a kernel on the page
=====================  ===========================================================================

Every notebook of the book starts with the same visible line::

    rng = ml4phys.setup(seed=5)          # the chapter's number

Importing ``ml4phys`` imports none of its subpackages (and so neither PyTorch nor any optional
dependency): each is loaded on first use (PEP 562).
"""

from ml4phys._lazy import attach

__version__ = "0.2.0"

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "checks",
        "data",
        "generative",
        "manifold",
        "nn",
        "physics",
        "plot",
        "rl",
        "runtime",
        "widgets",
    ],
    names={
        "setup": "runtime",
        "seed_everything": "runtime",
        "get_device": "runtime",
        "glue": "runtime",
        "in_book_build": "runtime",
        "interactive_figure": "widgets",
    },
)
__all__ = ["__version__", *__all__]
