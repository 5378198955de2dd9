"""Bad input that once gave a silent wrong result (or an obscure error) in ml4phys.nn.

Each case was found by feeding the package bad input; each must now raise a clear error, or
end training with a message, instead of returning a wrong number.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ml4phys.nn import conv, kan, numpy_net, training, transformer

# ----------------------------------------------------------------------------------------------
# Losses of the NumPy network
# ----------------------------------------------------------------------------------------------


def test_mse_refuses_to_broadcast_a_column_against_a_vector():
    y_hat, y = np.zeros((4, 1)), np.arange(4.0)
    # broadcasting would compare all 16 pairs: 1/(2*4) * 4 * sum(y^2) = 7.0 instead of 1.75
    with pytest.raises(ValueError, match="same non-empty shape"):
        numpy_net.mse(y_hat, y)
    assert numpy_net.mse(y_hat, y[:, None]) == pytest.approx(
        np.sum(np.arange(4.0) ** 2) / 8
    )


@pytest.mark.parametrize("bad_target", [2.0, -0.5])
def test_binary_cross_entropy_refuses_targets_outside_0_1(bad_target):
    z = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        numpy_net.binary_cross_entropy(z, np.full((3, 1), bad_target))


def test_cross_entropy_refuses_rows_that_are_not_distributions():
    with pytest.raises(ValueError, match="one-hot"):
        numpy_net.cross_entropy(np.zeros((2, 3)), np.ones((2, 3)))


def test_losses_refuse_nan():
    with pytest.raises(ValueError, match="finite"):
        numpy_net.mse(np.array([[np.nan]]), np.array([[0.0]]))


# ----------------------------------------------------------------------------------------------
# fit and accuracy
# ----------------------------------------------------------------------------------------------


def _regression_data(n=64, dtype=torch.float32):
    X = torch.linspace(-1, 1, n, dtype=dtype)[:, None]
    return X, 3 * X


def test_fit_refuses_an_optimizer_of_another_model():
    model, other = nn.Linear(1, 1), nn.Linear(1, 1)
    optimizer = torch.optim.SGD(other.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="none of the model's trainable parameters"):
        training.fit(
            model,
            nn.MSELoss(),
            optimizer,
            _regression_data(),
            n_epochs=1,
            progress=False,
        )


@pytest.mark.parametrize("lr", [1e3, float("nan")])
def test_fit_stops_a_diverging_run_with_a_message(lr):
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    with pytest.raises(FloatingPointError, match="diverged in epoch"):
        training.fit(
            model,
            nn.MSELoss(),
            optimizer,
            _regression_data(),
            n_epochs=50,
            progress=False,
        )


def test_fit_can_stop_instead_of_raising_on_divergence():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e3)
    history = training.fit(
        model,
        nn.MSELoss(),
        optimizer,
        _regression_data(),
        n_epochs=50,
        progress=False,
        on_divergence="stop",
    )
    assert history.diverged and history.n_epochs < 50
    assert all(np.isfinite(history.train_loss))


def test_fit_rejects_an_unknown_divergence_policy():
    model = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="on_divergence"):
        training.fit(
            model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), _regression_data(),
            n_epochs=1, progress=False, on_divergence="ignore",
        )  # fmt: skip


def test_fit_converts_float64_numpy_input_to_the_model_dtype():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    X = np.linspace(-1, 1, 64)[:, None]  # float64, as NumPy makes it
    history = training.fit(
        model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05), (X, 3 * X),
        n_epochs=100, progress=False,
    )  # fmt: skip
    assert history.train_loss[-1] < 1e-2 * history.train_loss[0]


def test_fit_refuses_a_float64_tensor_for_a_float32_model_with_a_clear_message():
    model = nn.Linear(1, 1)
    with pytest.raises(
        TypeError,
        match="dtype torch.float64 but the model's parameters are torch.float32",
    ):
        training.fit(
            model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1),
            _regression_data(dtype=torch.float64), n_epochs=1, progress=False,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("logits", "labels"),
    [
        (torch.zeros(4, 3), torch.tensor([0, 1, 3, 1])),  # class 3 of 3 classes
        (torch.zeros(4, 3), torch.tensor([0, -1, 2, 1])),
        (torch.zeros(4), torch.tensor([0, 1, 2, 1])),  # binary output, label 2
        (torch.zeros(4, 3), torch.tensor([0.0, 1.0, 0.5, 1.0])),  # not a whole number
    ],
)
def test_accuracy_refuses_labels_outside_the_classes(logits, labels):
    with pytest.raises(ValueError, match="class labels|whole-number"):
        training.accuracy(logits, labels)


# ----------------------------------------------------------------------------------------------
# KAN, transformer, convolution
# ----------------------------------------------------------------------------------------------


def test_kan_prune_refuses_nan_importances():
    model = kan.KAN([2, 3, 1])
    before = [layer.mask.clone() for layer in model.layers]
    with pytest.raises(ValueError, match="NaN or infinite"):
        kan.prune(model, torch.full((5, 2), float("nan")), 0.1)
    assert all(
        torch.equal(layer.mask, b) for layer, b in zip(model.layers, before)
    )  # nothing removed


@pytest.mark.parametrize("idx", [[[0, 5]], [[-1, 0]]])
def test_tiny_gpt_refuses_tokens_outside_the_vocabulary(idx):
    model = transformer.TinyGPT(
        vocab_size=5, d_model=8, n_heads=2, n_layers=1, max_len=6
    )
    with pytest.raises(ValueError, match="vocabulary"):
        model(torch.tensor(idx))


@pytest.mark.parametrize(
    "module",
    [
        conv.PeriodicConv2d(1, 1, 3),
        conv.ResidualBlock(1),
        conv.InceptionBlock(1, 2),
        conv.UNet(1, 1, 4, 1),
    ],
    ids=["periodic", "residual", "inception", "unet"],
)
def test_conv_modules_name_the_expected_rank(module):
    # an unbatched (channels, H, W) image: torch's own layers would accept it and the inception
    # block would then stack its branches along the height
    with pytest.raises(ValueError, match=r"\(batch, channels, H, W\)"):
        module(torch.zeros(1, 8, 8))


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (conv.conv1d, (np.zeros(5), np.zeros((1, 1, 3)))),
        (conv.conv2d, (np.zeros((4, 4)), np.zeros((1, 1, 3, 3)))),
        (conv.conv2d, (np.zeros((1, 1, 4, 4)), np.zeros((3, 3)))),
    ],
)
def test_numpy_convolutions_name_the_expected_rank(fn, args):
    with pytest.raises(ValueError, match="dimensions"):
        fn(*args)


def test_losses_refuse_an_empty_batch_and_strings():
    with pytest.raises(ValueError, match="non-empty"):
        numpy_net.mse(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(TypeError, match="real numbers"):
        numpy_net.mse("a", np.zeros((3, 1)))
