"""Tests of ml4phys.checks.ch05: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys import data
from ml4phys.checks import CheckFailed, ch05
from ml4phys.nn import conv


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 5.x")


# --------------------------------------------------------------------------- Exercise 5.1


def conv_matrix_right(w, n, stride=1, padding=0):
    k = len(w)
    n_out = (n + 2 * padding - k) // stride + 1
    M = np.zeros((n_out, n))
    for i in range(n_out):
        for a in range(k):
            j = stride * i + a - padding
            if 0 <= j < n:
                M[i, j] = w[a]
    return M


def conv_matrix_by_columns(w, n, stride=1, padding=0):
    """Also right: the columns are the responses to unit impulses."""
    eye = torch.eye(n, dtype=torch.float64)[:, None]
    return F.conv1d(
        eye, torch.as_tensor(w)[None, None], stride=stride, padding=padding
    )[:, 0].T


def conv_matrix_flipped(w, n, stride=1, padding=0):
    return conv_matrix_right(np.asarray(w)[::-1], n, stride, padding)


def conv_matrix_no_padding(w, n, stride=1, padding=0):
    return conv_matrix_right(w, n, stride, 0)


def conv_matrix_no_stride(w, n, stride=1, padding=0):
    return conv_matrix_right(w, n, 1, padding)


@pytest.mark.parametrize("answer", [conv_matrix_right, conv_matrix_by_columns])
def test_conv_matrix_right(answer):
    assert ch05.check_conv_matrix(answer) is True


@pytest.mark.parametrize(
    "answer", [conv_matrix_flipped, conv_matrix_no_padding, conv_matrix_no_stride]
)
def test_conv_matrix_wrong(answer):
    with pytest.raises(CheckFailed):
        ch05.check_conv_matrix(answer)


# --------------------------------------------------------------------------- Exercise 5.2


def _fake_fashion(split="test"):
    """Images whose class c is marked by a bright pixel (0, c); everything else is noise."""
    r = np.random.default_rng(0)
    images = r.integers(0, 100, size=(300, 28, 28)).astype(np.uint8)
    labels = r.integers(0, 10, size=300)
    images[:, 0, :10] = 0
    images[np.arange(300), 0, labels] = 255
    return images, labels.astype(np.int64)


def _pixel_reader():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.zero_()
        for c in range(10):
            model[1].weight[c, c] = 10.0
    return model


def test_fashion_classifier_right(monkeypatch):
    monkeypatch.setattr(ch05.data, "load_fashion_mnist", _fake_fashion)
    assert ch05.check_fashion_classifier(_pixel_reader()) is True


def test_fashion_classifier_too_many_parameters(monkeypatch):
    monkeypatch.setattr(ch05.data, "load_fashion_mnist", _fake_fashion)
    big = nn.Sequential(
        _pixel_reader(), nn.Linear(10, 10), nn.Linear(10, 10_000), nn.Linear(10_000, 10)
    )
    with pytest.raises(CheckFailed, match="parameters"):
        ch05.check_fashion_classifier(big)


def test_fashion_classifier_wrong_shape_and_type(monkeypatch):
    monkeypatch.setattr(ch05.data, "load_fashion_mnist", _fake_fashion)
    with pytest.raises(CheckFailed, match="shape"):
        ch05.check_fashion_classifier(nn.Sequential(nn.Flatten(), nn.Linear(784, 5)))
    with pytest.raises(CheckFailed, match="nn.Module"):
        ch05.check_fashion_classifier(None)


def test_fashion_classifier_untrained_fails_on_the_real_test_set():
    torch.manual_seed(0)
    with pytest.raises(CheckFailed, match="test images"):
        ch05.check_fashion_classifier(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))


def test_fashion_classifier_stub_propagates():
    class Stub(nn.Module):
        def forward(self, x):
            raise NotImplementedError("Exercise 5.2")

    with pytest.raises(NotImplementedError):
        ch05.check_fashion_classifier(Stub())


# --------------------------------------------------------------------------- Exercise 5.3


def maximise_right(model, channel, size, n_steps=200, lr=0.1):
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(size, size, generator=generator)
    x = 0.01 * x / x.norm()
    for _ in range(n_steps):
        x.requires_grad_(True)
        out = model(x[None, None])
        (grad,) = torch.autograd.grad(
            out[0, channel, out.shape[2] // 2, out.shape[3] // 2], x
        )
        with torch.no_grad():
            x = x + lr * grad / grad.norm().clamp(min=1e-12)
            x = x / x.norm().clamp(min=1.0)
    return x.detach()


def maximise_random(model, channel, size):
    x = torch.randn(size, size, generator=torch.Generator().manual_seed(2))
    return x / x.norm()


def maximise_too_long(model, channel, size):
    return 2 * maximise_right(model, channel, size)


def maximise_wrong_shape(model, channel, size):
    return maximise_right(model, channel, size)[None]


def test_maximise_channel_right():
    assert ch05.check_maximise_channel(maximise_right) is True


@pytest.mark.parametrize(
    "answer", [maximise_random, maximise_too_long, maximise_wrong_shape]
)
def test_maximise_channel_wrong(answer):
    with pytest.raises(CheckFailed):
        ch05.check_maximise_channel(answer)


def test_maximise_channel_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch05.check_maximise_channel(stub)


# --------------------------------------------------------------------------- Exercise 5.4


class ResBlockRight(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))


class ResBlockNoSkip(ResBlockRight):
    def forward(self, x):
        return self.conv2(F.relu(self.conv1(x)))


class ResBlockFinalRelu(ResBlockRight):
    def forward(self, x):
        return F.relu(x + self.conv2(F.relu(self.conv1(x))))


class ResBlockNoPadding(ResBlockRight):
    def __init__(self, channels):
        super().__init__(channels)
        self.conv1 = nn.Conv2d(channels, channels, 3)
        self.conv2 = nn.Conv2d(channels, channels, 3)


class ResBlockStub(nn.Module):
    def __init__(self, channels):
        super().__init__()
        raise NotImplementedError("Exercise 5.4")


def test_residual_block_right():
    assert ch05.check_residual_block(ResBlockRight) is True


@pytest.mark.parametrize(
    "answer", [ResBlockNoSkip, ResBlockFinalRelu, ResBlockNoPadding]
)
def test_residual_block_wrong(answer):
    with pytest.raises(CheckFailed):
        ch05.check_residual_block(answer)


def test_residual_block_instance_is_rejected_and_stub_propagates():
    with pytest.raises(CheckFailed, match="class"):
        ch05.check_residual_block(ResBlockRight(2))
    with pytest.raises(NotImplementedError):
        ch05.check_residual_block(ResBlockStub)


# --------------------------------------------------------------------------- Exercise 5.5


class Oracle(nn.Module):
    """Knows the targets of the check's data: a lookup table, to test the check's logic."""

    def __init__(self):
        super().__init__()
        inputs, targets = data.circles_to_squares(
            500, np.random.default_rng(ch05._SEED)
        )
        self.table = {x.tobytes(): t for x, t in zip(inputs, targets)}
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        targets = np.stack([self.table[img.numpy().tobytes()] for img in x[:, 0]])
        return self.scale * (torch.from_numpy(targets)[:, None] - 0.5)


class Identity(nn.Module):
    def forward(self, x):
        return x - 0.5


def test_circles_to_squares_right():
    assert ch05.check_circles_to_squares(Oracle()) is True


def test_circles_to_squares_wrong():
    with pytest.raises(CheckFailed, match="intersection over union"):
        ch05.check_circles_to_squares(Identity())
    with pytest.raises(CheckFailed, match="shape"):
        ch05.check_circles_to_squares(nn.Conv2d(1, 2, 3, padding=1))
    with pytest.raises(CheckFailed, match="your own"):
        ch05.check_circles_to_squares(conv.UNet(1, 1, 4, 2))


def test_circles_to_squares_stub_propagates():
    class Stub(nn.Module):
        def forward(self, x):
            raise NotImplementedError("Exercise 5.5")

    with pytest.raises(NotImplementedError):
        ch05.check_circles_to_squares(Stub())


# --------------------------------------------------------------------------- Exercise 5.6


def ising_right(spins, J=1.0):
    kernel = torch.tensor([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]])[None, None]
    s = spins[:, None]
    field = F.conv2d(F.pad(s, (1, 1, 1, 1), mode="circular"), kernel)
    return -J / 2 * (s * field).sum(dim=(1, 2, 3))


def ising_with_package(spins, J=1.0):
    layer = conv.PeriodicConv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        layer.conv.weight.copy_(torch.tensor([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]]))
        return -J / 2 * (spins[:, None] * layer(spins[:, None])).sum(dim=(1, 2, 3))


def ising_double_counted(spins, J=1.0):
    return 2 * ising_right(spins, J)


def ising_zero_padding(spins, J=1.0):
    kernel = torch.tensor([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]])[None, None]
    s = spins[:, None]
    return -J / 2 * (s * F.conv2d(s, kernel, padding=1)).sum(dim=(1, 2, 3))


def ising_wrong_sign(spins, J=1.0):
    return -ising_right(spins, J)


@pytest.mark.parametrize("answer", [ising_right, ising_with_package])
def test_ising_energy_right(answer):
    assert ch05.check_ising_energy(answer) is True


@pytest.mark.parametrize(
    "answer",
    [
        ising_double_counted,
        ising_zero_padding,
        ising_wrong_sign,
        lambda spins, J=1.0: ising_right(spins, J)[:, None],
    ],
)
def test_ising_energy_wrong(answer):
    with pytest.raises(CheckFailed):
        ch05.check_ising_energy(answer)


@pytest.mark.parametrize(
    "check",
    [ch05.check_conv_matrix, ch05.check_maximise_channel, ch05.check_ising_energy],
)
def test_function_stubs_propagate(check):
    with pytest.raises(NotImplementedError):
        check(stub)


def test_checks_leave_the_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    ch05.check_residual_block(ResBlockRight)
    ch05.check_maximise_channel(maximise_right)
    torch.testing.assert_close(torch.rand(3), expected)
