"""Generative models (Part III): one module per family, added with its chapter.

Planned rooms: ``vae`` (variational autoencoders, chapter 11), ``gan`` (chapter 12),
``diffusion`` (chapter 13), ``boltzmann`` (energy-based models and restricted Boltzmann
machines, chapter 14), and ``metrics`` (how samples compare with data: MMD, sliced Wasserstein
distance, mode coverage), shared by all four. The autoencoders of chapter 10 are networks and
live in :mod:`ml4phys.nn`; the Monte Carlo samplers of physical systems in
:mod:`ml4phys.physics`.

Each model's training loop follows the book's convention (CONTRIBUTING.md): the loss the
chapter teaches is written out in the chapter; the module holds the model, the loss as a pure
function, and a small ``train`` that calls :func:`ml4phys.nn.training.fit` or, where one step
is not a gradient step on one loss (a GAN's two players, contrastive divergence), one
readable ``update`` function per step.
"""

from ml4phys._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["vae", "gan", "diffusion", "boltzmann", "metrics"],
)
