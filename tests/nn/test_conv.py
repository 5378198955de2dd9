"""Tests for ml4phys.nn.conv: NumPy convolutions against torch, and the convolutional modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys.nn import conv


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------------------
# Output size
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 8, 13])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("dilation", [1, 2])
def test_output_size_matches_torch_conv_and_pool(n, k, stride, padding, dilation):
    if dilation * (k - 1) + 1 > n + 2 * padding:
        with pytest.raises(ValueError, match="spans"):
            conv.conv_output_size(n, k, stride, padding, dilation)
        return
    expected = F.conv1d(
        torch.zeros(1, 1, n),
        torch.zeros(1, 1, k),
        stride=stride,
        padding=padding,
        dilation=dilation,
    ).shape[-1]
    assert conv.conv_output_size(n, k, stride, padding, dilation) == expected
    if padding <= k // 2 and dilation == 1:  # torch's pooling only allows small padding
        pooled = F.max_pool1d(
            torch.zeros(1, 1, n), k, stride=stride, padding=padding
        ).shape[-1]
        assert conv.conv_output_size(n, k, stride, padding) == pooled


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": 0, "k": 1}, ValueError),
        ({"n": 4, "k": 1, "stride": 0}, ValueError),
        ({"n": 4, "k": 1, "padding": -1}, ValueError),
        ({"n": 4.0, "k": 1}, TypeError),
        ({"n": 4, "k": True}, TypeError),
    ],
)
def test_output_size_validates(kwargs, error):
    with pytest.raises(error):
        conv.conv_output_size(**kwargs)


# ----------------------------------------------------------------------------------------
# NumPy convolutions against torch.nn.functional
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stride", "padding", "k"), [(1, 0, 3), (2, 1, 3), (3, 2, 4), (1, 2, 5), (2, 0, 1)]
)
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv1d_matches_torch(stride, padding, k, with_bias):
    r = rng(1)
    x = r.standard_normal((3, 2, 17))
    w = r.standard_normal((4, 2, k))
    b = r.standard_normal(4) if with_bias else None
    y = conv.conv1d(x, w, b, stride=stride, padding=padding)
    expected = F.conv1d(
        torch.from_numpy(x),
        torch.from_numpy(w),
        None if b is None else torch.from_numpy(b),
        stride=stride,
        padding=padding,
    )
    assert y.shape == tuple(expected.shape)
    np.testing.assert_allclose(y, expected.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("stride", "padding", "k_h", "k_w"),
    [(1, 0, 3, 3), (2, 1, 3, 3), (1, 2, 5, 3), (3, 1, 2, 4)],
)
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d_matches_torch(stride, padding, k_h, k_w, with_bias):
    r = rng(2)
    x = r.standard_normal((2, 3, 11, 9))
    w = r.standard_normal((5, 3, k_h, k_w))
    b = r.standard_normal(5) if with_bias else None
    y = conv.conv2d(x, w, b, stride=stride, padding=padding)
    expected = F.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(w),
        None if b is None else torch.from_numpy(b),
        stride=stride,
        padding=padding,
    )
    assert y.shape == tuple(expected.shape)
    np.testing.assert_allclose(y, expected.numpy(), rtol=1e-10, atol=1e-10)


def test_conv2d_float32_stays_float32_and_is_cross_correlation():
    x = np.zeros((1, 1, 5, 5), dtype=np.float32)
    x[0, 0, 2, 2] = 1.0  # a delta
    w = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    y = conv.conv2d(x, w, padding=1)
    assert y.dtype == np.float32
    # A cross-correlation maps a delta to the *flipped* kernel.
    np.testing.assert_array_equal(y[0, 0, 1:4, 1:4], w[0, 0, ::-1, ::-1])


def test_conv_inputs_validated():
    with pytest.raises(ValueError, match="channels"):
        conv.conv1d(np.zeros((1, 2, 5)), np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="dimensions"):
        conv.conv2d(np.zeros((2, 5, 5)), np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="shape"):
        conv.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 2, 2)), b=np.zeros(3))
    with pytest.raises(TypeError, match="NumPy"):
        conv.conv1d(torch.zeros(1, 1, 5), np.zeros((1, 1, 2)))
    with pytest.raises(TypeError):
        conv.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 2, 2)), stride=1.5)


# ----------------------------------------------------------------------------------------
# PeriodicConv2d
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
@pytest.mark.parametrize("shifts", [(1, 0), (3, -2), (7, 5)])
def test_periodic_conv_commutes_with_periodic_shifts_exactly(kernel_size, shifts):
    torch.manual_seed(0)
    layer = conv.PeriodicConv2d(2, 3, kernel_size).double()
    x = torch.randn(4, 2, 8, 10, dtype=torch.float64)
    y_of_shifted = layer(torch.roll(x, shifts, dims=(-2, -1)))
    shifted_y = torch.roll(layer(x), shifts, dims=(-2, -1))
    assert y_of_shifted.shape == (4, 3, 8, 10)
    assert torch.equal(y_of_shifted, shifted_y) or torch.allclose(
        y_of_shifted, shifted_y, atol=1e-13
    )


def test_periodic_conv_matches_torch_circular_padding_and_differs_from_zero_padding():
    torch.manual_seed(1)
    layer = conv.PeriodicConv2d(1, 2, 3)
    reference = nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular")
    reference.load_state_dict(layer.conv.state_dict())
    x = torch.randn(2, 1, 6, 6)
    torch.testing.assert_close(layer(x), reference(x))
    zero_padded = F.conv2d(x, layer.conv.weight, layer.conv.bias, padding=1)
    assert not torch.allclose(layer(x), zero_padded)
    # Zero padding is not equivariant under periodic shifts: the test above could fail.
    assert not torch.allclose(
        F.conv2d(torch.roll(x, 2, -1), layer.conv.weight, padding=1),
        torch.roll(F.conv2d(x, layer.conv.weight, padding=1), 2, -1),
    )


def test_periodic_conv_validates():
    with pytest.raises(ValueError, match="odd"):
        conv.PeriodicConv2d(1, 1, 4)
    with pytest.raises(ValueError, match="shape"):
        conv.PeriodicConv2d(1, 1, 3)(torch.zeros(1, 5, 5))


# ----------------------------------------------------------------------------------------
# Residual and inception blocks
# ----------------------------------------------------------------------------------------


def test_residual_block_shape_and_identity_at_zero_weights():
    block = conv.ResidualBlock(4, batch_norm=False)
    x = torch.rand(2, 4, 7, 9)  # non-negative, so relu(x) == x
    assert block(x).shape == x.shape
    with torch.no_grad():
        for p in block.parameters():
            p.zero_()
    torch.testing.assert_close(block(x), x)  # F(x) = 0: the block is the identity
    plain = conv.ResidualBlock(4, batch_norm=False, skip=False)
    with torch.no_grad():
        for p in plain.parameters():
            p.zero_()
    assert torch.count_nonzero(plain(x)) == 0


def test_residual_stack_keeps_gradients_that_a_plain_stack_loses():
    def first_layer_grad(skip):
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            *[conv.ResidualBlock(8, batch_norm=False, skip=skip) for _ in range(20)],
        )
        x = torch.randn(4, 1, 12, 12)
        net(x).pow(2).mean().backward()
        return net[0].weight.grad.norm().item()

    assert first_layer_grad(True) > 100 * first_layer_grad(False)


def test_inception_block_shapes_and_all_branches_used():
    torch.manual_seed(0)
    block = conv.InceptionBlock(3, 5)
    x = torch.randn(2, 3, 10, 12, requires_grad=True)
    y = block(x)
    assert y.shape == (2, 20, 10, 12) and block.out_channels == 20
    y.sum().backward()
    for branch in (block.branch1, block.branch3, block.branch5, block.branch_pool):
        grads = [p.grad for p in branch.parameters()]
        assert all(g is not None for g in grads) and any(
            g.abs().sum() > 0 for g in grads
        )


# ----------------------------------------------------------------------------------------
# UNet
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "size"), [(1, (6, 8)), (2, (16, 16)), (2, (12, 20)), (3, (24, 32))]
)
@pytest.mark.parametrize(("c_in", "c_out"), [(1, 1), (3, 2)])
def test_unet_output_shape(depth, size, c_in, c_out):
    model = conv.UNet(c_in, c_out, base_channels=4, depth=depth)
    assert model(torch.randn(2, c_in, *size)).shape == (2, c_out, *size)


def test_unet_rejects_sizes_not_divisible():
    with pytest.raises(ValueError, match="divisible"):
        conv.UNet(1, 1, 4, depth=2)(torch.zeros(1, 1, 10, 12))
    with pytest.raises(TypeError):
        conv.UNet(1, 1, 4.0)


def test_unet_skip_connection_carries_information_past_the_bottleneck():
    torch.manual_seed(0)
    model = conv.UNet(1, 1, base_channels=4, depth=2).eval()
    # Cut the bottleneck: its output is replaced by zeros. Only the skips can carry the input.
    model.bottleneck.register_forward_hook(
        lambda module, inputs, output: torch.zeros_like(output)
    )
    x1, x2 = torch.randn(2, 1, 1, 16, 16)
    with torch.no_grad():
        y1, y2 = model(x1), model(x2)
    assert not torch.allclose(y1, y2)


def test_unet_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = conv.UNet(2, 1, base_channels=4, depth=2)
    model(torch.randn(3, 2, 16, 16)).pow(2).mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
