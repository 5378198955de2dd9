"""Tests of ml4phys.nn.autoencoder: shapes, the bottleneck, a short training, bad inputs."""

import pytest
import torch
from torch import nn

from ml4phys.nn import autoencoder, training


@pytest.mark.parametrize(
    "model",
    [
        autoencoder.DenseAutoencoder((1, 27, 27), 5, hidden=(32,), output="sigmoid"),
        autoencoder.DenseAutoencoder((64,), 3, hidden=(), activation="identity"),
        autoencoder.ConvAutoencoder(27, 4),
        autoencoder.ConvAutoencoder(16, 2, channels=(4, 8)),
        autoencoder.ConvAutoencoder(13, 1, channels=(2, 3)),
    ],
)
def test_shapes_and_bottleneck(model):
    x = torch.rand(6, *model.input_shape)
    z = model.encode(x)
    assert z.shape == (6, model.bottleneck)
    assert model.decode(z).shape == x.shape
    assert torch.equal(model(x), model.decode(z))
    assert isinstance(model.encoder, nn.Sequential)
    assert isinstance(model.decoder, nn.Sequential)


def test_linear_autoencoder_is_linear():
    model = autoencoder.DenseAutoencoder((10,), 2, hidden=(), activation="identity")
    assert (
        len(model.encoder) == 2 and len(model.decoder) == 3
    )  # flatten+linear, linear+id+unflatten
    x, y = torch.randn(4, 10), torch.randn(4, 10)
    b = model(torch.zeros(1, 10))
    assert torch.allclose(model(x + y) - b, (model(x) - b) + (model(y) - b), atol=1e-5)


def test_sigmoid_output_in_unit_interval():
    model = autoencoder.ConvAutoencoder(27, 3)
    out = model(torch.randn(3, 1, 27, 27) * 10)
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_training_lowers_the_loss(kind):
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(256, 1, 12, 12, generator=g) > 0.5).float().cumsum(-1).clamp(max=1)
    torch.manual_seed(0)
    model = (
        autoencoder.DenseAutoencoder((1, 12, 12), 4, hidden=(32,), output="sigmoid")
        if kind == "dense"
        else autoencoder.ConvAutoencoder(12, 4, channels=(4, 8))
    )
    with torch.no_grad():
        before = nn.functional.mse_loss(model(x), x).item()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    training.fit(
        model,
        nn.MSELoss(),
        optimizer,
        (x, x),
        n_epochs=5,
        batch_size=32,
        generator=g,
        progress=False,
    )
    with torch.no_grad():
        after = nn.functional.mse_loss(model(x), x).item()
    assert after < 0.7 * before


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: autoencoder.DenseAutoencoder((64,), 0), ValueError),
        (lambda: autoencoder.DenseAutoencoder((64,), 2.5), TypeError),
        (lambda: autoencoder.DenseAutoencoder("64", 2), TypeError),
        (lambda: autoencoder.DenseAutoencoder((64,), 2, hidden=(0,)), ValueError),
        (lambda: autoencoder.DenseAutoencoder((64,), 2, activation="gelu"), ValueError),
        (lambda: autoencoder.DenseAutoencoder((64,), 2, output="softmax"), ValueError),
        (lambda: autoencoder.ConvAutoencoder(3, 2), ValueError),
        (lambda: autoencoder.ConvAutoencoder(27, True), TypeError),
        (lambda: autoencoder.ConvAutoencoder(27, 2, channels=(4,)), ValueError),
    ],
)
def test_bad_constructor_arguments(make, error):
    with pytest.raises(error):
        make()


def test_bad_inputs():
    model = autoencoder.ConvAutoencoder(27, 3)
    with pytest.raises(TypeError):
        model.encode(torch.zeros(2, 1, 27, 27, dtype=torch.long))
    with pytest.raises(TypeError):
        model([[0.0]])
    with pytest.raises(ValueError):
        model(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError):
        model(torch.zeros(1, 27, 27))
    with pytest.raises(ValueError):
        model.decode(torch.zeros(2, 4))
    with pytest.raises(TypeError):
        model.decode(torch.zeros(2, 3, dtype=torch.int64))
