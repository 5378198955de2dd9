"""Data for the book, all of it available offline.

Made on the fly, from an explicit ``rng`` (the same generator state gives the same data):

* :mod:`~ml4phys.data.points`: labelled points in the plane (XOR, quadrants, circle, ring);
* :mod:`~ml4phys.data.curves`: a curve to fit, and spectral line shapes to classify;
* :mod:`~ml4phys.data.images`: an image as a function of ``(x, y)``, circles and squares,
  image-to-image pairs, rotated digits;
* :mod:`~ml4phys.data.text`: a synthetic physics corpus, vocabularies, skip-gram pairs and
  character tokenizers;
* :mod:`~ml4phys.data.tasks`: memory tasks and integer addition as sequence tasks.

Read from disk, checksum-verified: :mod:`~ml4phys.data.loaders` (scikit-learn's 8x8 digits,
Fashion-MNIST from its IDX files under :func:`data_dir`).

Samples of physical systems (spin configurations, particles, trajectories) are made by the
models in :mod:`ml4phys.physics`.

Conventions: inputs are ``float32`` NumPy arrays, class labels ``int64``; coordinates are
mathematical (``X[:, 0]`` is :math:`x`, to the right; ``X[:, 1]`` is :math:`y`, upwards).
Every public name is available here directly, ``ml4phys.data.xor_points``, and is imported on
first use.
"""

from ml4phys._lazy import attach

_NAMES = {
    "points": [
        "xor_points",
        "quadrant_points",
        "circle_points",
        "ring_points",
        "ring_centres",
        "gaussian_ring",
    ],
    "curves": [
        "default_curve",
        "curve_data",
        "gaussian_lorentzian_curves",
        "damped_oscillations",
    ],
    "images": [
        "image_function",
        "image_grid",
        "circles_squares",
        "random_circles",
        "squares",
        "circles_to_squares",
        "rotated_digits",
        "segments",
    ],
    "loaders": [
        "FASHION_MNIST_CLASSES",
        "data_dir",
        "load_digits",
        "load_fashion_mnist",
    ],
    "text": [
        "RELATIONS",
        "physics_corpus",
        "Vocab",
        "build_vocab",
        "skipgram_pairs",
        "analogy_questions",
        "CharTokenizer",
        "ADDITION_TOKENIZER",
        "ISING_TOKENIZER",
    ],
    "tasks": [
        "recall_task",
        "countdown_task",
        "addition_length",
        "format_addition",
        "addition_problems",
        "addition_split",
        "addition_correct",
    ],
}

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=_NAMES,
    names={name: module for module, names in _NAMES.items() for name in names},
)
