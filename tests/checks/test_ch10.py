"""Tests of ml4phys.checks.ch10: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest
import torch
from torch import nn

from ml4phys import data, manifold
from ml4phys.checks import CheckFailed, ch10
from ml4phys.nn import autoencoder, training


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 10.x")


# --------------------------------------------------------------------------- Exercise 10.1


def error_right(X, k):
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return float(np.sum(s[k:] ** 2) / X.size)


def error_uncentred(X, k):
    s = np.linalg.svd(X, compute_uv=False)
    return float(np.sum(s[k:] ** 2) / X.size)


def error_off_by_one(X, k):
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return float(np.sum(s[k + 1 :] ** 2) / X.size)


def error_not_squared(X, k):
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return float(np.sum(s[k:]) / X.size)


def error_variance(X, k):
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return float(np.sum(s[k:] ** 2) / ((len(X) - 1) * X.shape[1]))


def test_pca_error_right():
    assert ch10.check_pca_error(error_right) is True
    assert ch10.check_pca_error(lambda X, k: np.array([error_right(X, k)])) is True


@pytest.mark.parametrize(
    "answer",
    [
        error_uncentred,
        error_off_by_one,
        error_not_squared,
        error_variance,
        lambda X, k: [1.0, 2.0],
        lambda X, k: float("nan"),
    ],
)
def test_pca_error_wrong(answer):
    with pytest.raises(CheckFailed):
        ch10.check_pca_error(answer)


def test_pca_error_stub():
    with pytest.raises(NotImplementedError):
        ch10.check_pca_error(stub)


# --------------------------------------------------------------------------- Exercises 10.2-3


class PerfectCircles(nn.Module):
    """Encodes a circle image by its three parameters (fitted from moments), redraws it."""

    def __init__(self, pad: int = 0):
        super().__init__()
        self.pad = pad

    def encode(self, x):
        img = x[:, 0].double()
        size = img.shape[-1]
        coord = torch.arange(size, dtype=torch.float64) + 0.5
        mass = img.sum((1, 2))
        cx = (img.sum(1) * coord).sum(1) / mass
        cy = (img.sum(2) * (size - coord)).sum(1) / mass
        r = torch.sqrt(mass / torch.pi)
        z = torch.stack([cx, cy, r], 1).float()
        return torch.cat([z, torch.zeros(len(z), self.pad)], 1)

    def decode(self, z):
        size = 27
        coord = torch.arange(size, dtype=torch.float32) + 0.5
        x = coord[None, None, :] - z[:, 0, None, None]
        y = (size - coord)[None, :, None] - z[:, 1, None, None]
        rho = torch.sqrt(x**2 + y**2)
        return torch.clamp(z[:, 2, None, None] - rho + 0.5, 0, 1)[:, None]

    def forward(self, x):
        return self.decode(self.encode(x))


class Cheater(PerfectCircles):
    """A perfect forward pass that bypasses the bottleneck."""

    def forward(self, x):
        return x.clone()

    def encode(self, x):
        return torch.zeros(len(x), 2)


class MeanImage(nn.Module):
    def __init__(self):
        super().__init__()
        images, _ = data.random_circles(2000, np.random.default_rng(0))
        self.register_buffer("mean", torch.from_numpy(images.mean(0))[None, None])

    def encode(self, x):
        return torch.zeros(len(x), 1)

    def decode(self, z):
        return self.mean.expand(len(z), 1, 27, 27)

    def forward(self, x):
        return self.decode(self.encode(x))


class NoEncode(nn.Module):
    def forward(self, x):
        return x


@pytest.mark.parametrize(
    "check", [ch10.check_circle_challenge_medium, ch10.check_circle_challenge_hard]
)
def test_challenge_right(check):
    assert check(PerfectCircles()) is True


@pytest.mark.parametrize(
    "check", [ch10.check_circle_challenge_medium, ch10.check_circle_challenge_hard]
)
@pytest.mark.parametrize(
    "model",
    [MeanImage(), Cheater(), NoEncode(), autoencoder.ConvAutoencoder(27, 3), "a model"],
)
def test_challenge_wrong(check, model):
    with pytest.raises(CheckFailed):
        check(model)


def test_challenge_bottleneck_width():
    assert ch10.check_circle_challenge_medium(PerfectCircles(pad=6)) is True
    with pytest.raises(CheckFailed, match="at most 9"):
        ch10.check_circle_challenge_medium(PerfectCircles(pad=7))
    with pytest.raises(CheckFailed, match="at most 3"):
        ch10.check_circle_challenge_hard(PerfectCircles(pad=1))


def test_challenge_wrong_shape():
    class Flat(PerfectCircles):
        def forward(self, x):
            return self.decode(self.encode(x))[:, 0]

    with pytest.raises(CheckFailed, match="same shape"):
        ch10.check_circle_challenge_hard(Flat())


def test_challenge_message_hides_threshold():
    with pytest.raises(CheckFailed) as info:
        ch10.check_circle_challenge_medium(MeanImage())
    message = str(info.value)
    assert "threshold" in message
    for threshold in (ch10._MEDIUM[1], ch10._HARD[1]):
        assert f"{threshold}" not in message and f"{threshold:.4f}" not in message


def test_challenge_stub():
    class Stub(nn.Module):
        def forward(self, x):
            raise NotImplementedError("Exercise 10.x")

    with pytest.raises(NotImplementedError):
        ch10.check_circle_challenge_medium(Stub())


def test_challenge_tiny_trained_model_fails_but_is_evaluated():
    images = torch.from_numpy(data.random_circles(256, np.random.default_rng(1))[0])[
        :, None
    ]
    model = autoencoder.DenseAutoencoder((1, 27, 27), 3, hidden=(16,), output="sigmoid")
    training.fit(
        model,
        nn.MSELoss(),
        torch.optim.Adam(model.parameters()),
        (images, images),
        n_epochs=1,
        progress=False,
        generator=torch.Generator().manual_seed(0),
    )
    model.train()
    with pytest.raises(CheckFailed, match="MSE per pixel"):
        ch10.check_circle_challenge_hard(model)
    assert model.training  # the check restores the mode


# --------------------------------------------------------------------------- Exercise 10.4


def preservation_right(X, Y, k):
    def neighbours(Z):
        D = manifold.squared_distances(np.asarray(Z, dtype=float))
        np.fill_diagonal(D, np.inf)
        return np.argsort(D, axis=1)[:, :k]

    return float(
        np.mean([len(set(a) & set(b)) for a, b in zip(neighbours(X), neighbours(Y))])
        / k
    )


def preservation_with_self(X, Y, k):
    def neighbours(Z):
        return np.argsort(manifold.squared_distances(np.asarray(Z, float)), axis=1)[
            :, :k
        ]

    return float(
        np.mean([len(set(a) & set(b)) for a, b in zip(neighbours(X), neighbours(Y))])
        / k
    )


def preservation_not_normalised(X, Y, k):
    return preservation_right(X, Y, k) * k


def preservation_k_plus_one(X, Y, k):
    return preservation_right(X, Y, k + 1)


def test_preservation_right():
    assert ch10.check_neighbourhood_preservation(preservation_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        preservation_with_self,
        preservation_not_normalised,
        preservation_k_plus_one,
        lambda X, Y, k: 0.5,
        lambda X, Y, k: np.ones(3),
    ],
)
def test_preservation_wrong(answer):
    with pytest.raises(CheckFailed):
        ch10.check_neighbourhood_preservation(answer)


def test_preservation_stub():
    with pytest.raises(NotImplementedError):
        ch10.check_neighbourhood_preservation(stub)
