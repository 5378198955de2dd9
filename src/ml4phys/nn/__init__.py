"""Neural networks, from the NumPy network of chapter 1 to the transformer of chapter 9.

* :mod:`~ml4phys.nn.numpy_net`: a fully connected network and backpropagation in NumPy;
* :mod:`~ml4phys.nn.training`: PyTorch models of a few layers (``make_mlp``) and the one
  training helper of the book, ``fit``, with ``evaluate`` and ``accuracy``;
* :mod:`~ml4phys.nn.conv`: convolutions by hand, periodic convolution, residual and inception
  blocks, a U-Net;
* :mod:`~ml4phys.nn.symmetry`: group actions, equivariance errors, Deep Sets, C4 group
  convolutions;
* :mod:`~ml4phys.nn.kan`: B-splines and Kolmogorov-Arnold networks, pruning, symbolic formulas;
* :mod:`~ml4phys.nn.recurrent`: the vanilla RNN and the LSTM cell written out;
* :mod:`~ml4phys.nn.transformer`: attention, positional encoding, transformer blocks, TinyGPT;
* :mod:`~ml4phys.nn.embeddings`: nearest neighbours and analogies of word vectors;
* :mod:`~ml4phys.nn.autoencoder`: dense and convolutional autoencoders (chapter 10).

The generative models themselves live in
:mod:`ml4phys.generative`. In a notebook, import the submodules by name
(``from ml4phys.nn import conv, training``) so that ``ml4phys.nn`` never shadows ``torch.nn``.
"""

from ml4phys._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "numpy_net",
        "training",
        "conv",
        "symmetry",
        "kan",
        "recurrent",
        "transformer",
        "embeddings",
        "autoencoder",
    ],
)
