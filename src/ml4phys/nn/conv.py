"""Convolutions and convolutional building blocks.

Two kinds of things live here:

* **Reference implementations in NumPy** (:func:`conv1d`, :func:`conv2d`,
  :func:`conv_output_size`): convolution layers written out with explicit sums over the
  kernel, for batches of multi-channel signals. They compute what ``torch.nn.functional``'s
  ``conv1d``/``conv2d`` compute, that is a *cross-correlation* (the kernel is not flipped),
  and are tested against them.
* **PyTorch modules** reused across the book: :class:`PeriodicConv2d` (a convolution on a
  torus, for lattice fields and spin configurations), :class:`ResidualBlock`,
  :class:`InceptionBlock` and :class:`UNet` (an image-to-image network with skip
  connections).

Shapes follow PyTorch: signals are ``(batch, channels, length)``, images
``(batch, channels, height, width)``, 1-D kernels ``(out_channels, in_channels, k)`` and 2-D
kernels ``(out_channels, in_channels, k_h, k_w)``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys._validation import check_int, check_tensor

__all__ = [
    "InceptionBlock",
    "PeriodicConv2d",
    "ResidualBlock",
    "UNet",
    "conv1d",
    "conv2d",
    "conv_output_size",
]


# ----------------------------------------------------------------------------------------------
# NumPy reference implementations
# ----------------------------------------------------------------------------------------------


def conv_output_size(
    n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Length of a convolution's output along one axis.

    A kernel of size ``k`` with dilation ``d`` spans ``d (k - 1) + 1`` input samples. Sliding it
    in steps of ``stride`` over an input of length ``n`` padded by ``padding`` on both sides
    gives

    .. math:: n_\\text{out} = \\left\\lfloor \\frac{n + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1 .

    The same formula holds for pooling windows.

    Args:
        n: input length, >= 1.
        k: kernel (or pooling window) size, >= 1.
        stride: step between kernel positions, >= 1.
        padding: zeros added on each side, >= 0.
        dilation: spacing between kernel taps, >= 1.

    Returns:
        The output length, an int >= 1.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if an argument is out of range, or the dilated kernel is longer than the
            padded input.
    """
    n = check_int(n, "n")
    k = check_int(k, "k")
    stride = check_int(stride, "stride")
    padding = check_int(padding, "padding", minimum=0)
    dilation = check_int(dilation, "dilation")
    span = dilation * (k - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(
            f"the kernel spans {span} samples but the padded input has only {n + 2 * padding}"
        )
    return (n + 2 * padding - span) // stride + 1


def _as_float_array(value: object, name: str, ndim: int) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a NumPy array (use .numpy()), got a torch.Tensor"
        )
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    return array.astype(np.result_type(array.dtype, np.float32), copy=False)


def _check_bias(b: object, n_out: int) -> np.ndarray | None:
    if b is None:
        return None
    bias = _as_float_array(b, "b", 1)
    if bias.shape != (n_out,):
        raise ValueError(
            f"b must have shape ({n_out},), one entry per output channel, got {bias.shape}"
        )
    return bias


def conv1d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    """One-dimensional convolution layer (cross-correlation, as in PyTorch), in NumPy.

    .. math:: y_{n o i} = b_o + \\sum_{c} \\sum_{a=0}^{k-1} w_{o c a}\\, x_{n c (s i + a)}

    where ``x`` has been padded with ``padding`` zeros on both sides.

    Args:
        x: input signals, shape ``(batch, in_channels, length)``.
        w: kernels, shape ``(out_channels, in_channels, k)``.
        b: optional bias, shape ``(out_channels,)``.
        stride: step ``s`` between kernel positions, >= 1.
        padding: zeros added at each end, >= 0.

    Returns:
        Output of shape ``(batch, out_channels, length_out)`` with ``length_out`` from
        :func:`conv_output_size`.

    Raises:
        TypeError: for non-array inputs or non-int stride/padding.
        ValueError: for wrong dimensions or mismatched channel counts.
    """
    x = _as_float_array(x, "x", 3)
    w = _as_float_array(w, "w", 3)
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but w expects {w.shape[1]} (w.shape[1])"
        )
    bias = _check_bias(b, w.shape[0])
    k = w.shape[2]
    n_out = conv_output_size(x.shape[2], k, stride, padding)
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    y = np.zeros((x.shape[0], w.shape[0], n_out), dtype=np.result_type(x, w))
    for a in range(k):  # one kernel tap at a time: a shifted, strided view of x
        window = x[
            :, :, a : a + stride * (n_out - 1) + 1 : stride
        ]  # (batch, c_in, n_out)
        y += np.einsum("nci,oc->noi", window, w[:, :, a])
    if bias is not None:
        y += bias[None, :, None]
    return y


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    """Two-dimensional convolution layer (cross-correlation, as in PyTorch), in NumPy.

    .. math:: y_{n o i j} = b_o
        + \\sum_{c} \\sum_{a, b'} w_{o c a b'}\\, x_{n c (s i + a)(s j + b')}

    where ``x`` has been padded with ``padding`` zeros on all four sides.

    Args:
        x: input images, shape ``(batch, in_channels, height, width)``.
        w: kernels, shape ``(out_channels, in_channels, k_h, k_w)``.
        b: optional bias, shape ``(out_channels,)``.
        stride: step between kernel positions along both axes, >= 1.
        padding: zeros added on each side of both axes, >= 0.

    Returns:
        Output of shape ``(batch, out_channels, height_out, width_out)``.

    Raises:
        TypeError: for non-array inputs or non-int stride/padding.
        ValueError: for wrong dimensions or mismatched channel counts.
    """
    x = _as_float_array(x, "x", 4)
    w = _as_float_array(w, "w", 4)
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but w expects {w.shape[1]} (w.shape[1])"
        )
    bias = _check_bias(b, w.shape[0])
    k_h, k_w = w.shape[2:]
    h_out = conv_output_size(x.shape[2], k_h, stride, padding)
    w_out = conv_output_size(x.shape[3], k_w, stride, padding)
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((x.shape[0], w.shape[0], h_out, w_out), dtype=np.result_type(x, w))
    for a in range(k_h):
        for c in range(k_w):
            window = x[
                :,
                :,
                a : a + stride * (h_out - 1) + 1 : stride,
                c : c + stride * (w_out - 1) + 1 : stride,
            ]  # (batch, c_in, h_out, w_out)
            y += np.einsum("nchw,oc->nohw", window, w[:, :, a, c])
    if bias is not None:
        y += bias[None, :, None, None]
    return y


# ----------------------------------------------------------------------------------------------
# PyTorch modules
# ----------------------------------------------------------------------------------------------


def _check_odd_kernel(kernel_size: object) -> int:
    kernel_size = check_int(kernel_size, "kernel_size")
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd so that the output keeps the input size, got {kernel_size}"
        )
    return kernel_size


class PeriodicConv2d(nn.Module):
    """A 2-D convolution with periodic boundary conditions (a convolution on a torus).

    The input is padded circularly by ``kernel_size // 2`` on each side (the last rows are
    copied in front of the first and vice versa, likewise for columns) and then convolved
    without further padding, so the output has the input's height and width and the layer
    commutes *exactly* with periodic translations ``torch.roll(x, shifts, dims=(-2, -1))``.

    Args:
        in_channels: input channels, >= 1.
        out_channels: output channels, >= 1.
        kernel_size: odd kernel side, >= 1.
        bias: whether to add a learnable bias per output channel.

    Shape:
        ``(batch, in_channels, H, W) -> (batch, out_channels, H, W)``, for any
        ``H, W >= kernel_size // 2``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        bias: bool = True,
    ) -> None:
        super().__init__()
        in_channels = check_int(in_channels, "in_channels")
        out_channels = check_int(out_channels, "out_channels")
        kernel_size = _check_odd_kernel(kernel_size)
        self.pad = kernel_size // 2
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x (batch, channels, H, W)", ndim=4)
        p = self.pad
        x = F.pad(x, (p, p, p, p), mode="circular")  # (batch, c_in, H + 2p, W + 2p)
        return self.conv(x)


class ResidualBlock(nn.Module):
    """A residual block: ``y = relu(x + F(x))`` with ``F = conv-BN-ReLU-conv-BN``.

    Both convolutions are ``kernel_size x kernel_size`` with "same" padding and keep the number
    of channels, so ``F(x)`` can be added to ``x`` (He et al., 2016). With ``skip=False`` the
    block computes ``relu(F(x))``: the same layers without the identity path, for comparing a
    plain stack with a residual one.

    Args:
        channels: input and output channels, >= 1.
        kernel_size: odd kernel side.
        batch_norm: put a BatchNorm2d after each convolution.
        skip: add the identity path.

    Shape:
        ``(batch, channels, H, W) -> (batch, channels, H, W)``.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 3,
        batch_norm: bool = True,
        skip: bool = True,
    ) -> None:
        super().__init__()
        channels = check_int(channels, "channels")
        kernel_size = _check_odd_kernel(kernel_size)
        p = kernel_size // 2
        self.skip = bool(skip)
        norm = (lambda: nn.BatchNorm2d(channels)) if batch_norm else nn.Identity
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size, padding=p, bias=not batch_norm),
            norm(),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size, padding=p, bias=not batch_norm),
            norm(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x (batch, channels, H, W)", ndim=4)
        out = self.body(x)
        if self.skip:
            out = out + x
        return F.relu(out)


class InceptionBlock(nn.Module):
    """An inception module: four parallel branches, their outputs stacked as channels.

    The branches (Szegedy et al., 2015) look at the input at several scales: a 1x1
    convolution; a 1x1 then a 3x3 convolution; a 1x1 then a 5x5 convolution; and a 3x3
    max pooling (stride 1) followed by a 1x1 convolution. Each ends in a ReLU and gives
    ``branch_channels`` channels; the 1x1 convolutions in front of the larger kernels
    reduce the channels to ``branch_channels`` first, which keeps the block cheap.

    Args:
        in_channels: input channels, >= 1.
        branch_channels: output channels of each branch, >= 1.

    Shape:
        ``(batch, in_channels, H, W) -> (batch, 4 * branch_channels, H, W)``.
    """

    def __init__(self, in_channels: int, branch_channels: int) -> None:
        super().__init__()
        c_in = check_int(in_channels, "in_channels")
        c = check_int(branch_channels, "branch_channels")
        self.out_channels = 4 * c
        self.branch1 = nn.Sequential(nn.Conv2d(c_in, c, 1), nn.ReLU())
        self.branch3 = nn.Sequential(
            nn.Conv2d(c_in, c, 1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU()
        )
        self.branch5 = nn.Sequential(
            nn.Conv2d(c_in, c, 1), nn.ReLU(), nn.Conv2d(c, c, 5, padding=2), nn.ReLU()
        )
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(c_in, c, 1), nn.ReLU()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x (batch, channels, H, W)", ndim=4)
        branches = [
            self.branch1(x),
            self.branch3(x),
            self.branch5(x),
            self.branch_pool(x),
        ]
        return torch.cat(branches, dim=1)  # (batch, 4 * branch_channels, H, W)


def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


class UNet(nn.Module):
    """A small U-Net (Ronneberger et al., 2015): an image-to-image network with skip connections.

    The encoder applies, at each of ``depth`` levels, two 3x3 convolutions (each followed by
    BatchNorm and ReLU) and a 2x2 max pooling that halves the image and, from the next level
    on, doubles the channels: ``base_channels * 2**level`` at level ``level``. A bottleneck of
    two convolutions follows. The decoder mirrors the encoder: a 2x2 transposed convolution
    doubles the image size, the encoder's output at the same level is concatenated along the
    channels (the *skip connection*), and two convolutions merge them. A final 1x1
    convolution maps to ``out_channels`` (no activation: the outputs are logits or values).

    Attributes:
        encoders, pool, bottleneck, upsamplers, decoders, head: the layers, in the order
            described above (``encoders[0]`` works at full resolution).

    Args:
        in_channels: channels of the input images, >= 1.
        out_channels: channels of the output images, >= 1.
        base_channels: channels at the first level, >= 1.
        depth: number of poolings, >= 1; height and width must be divisible by ``2**depth``.

    Shape:
        ``(batch, in_channels, H, W) -> (batch, out_channels, H, W)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        base_channels: int = 16,
        depth: int = 2,
    ) -> None:
        super().__init__()
        in_channels = check_int(in_channels, "in_channels")
        out_channels = check_int(out_channels, "out_channels")
        base_channels = check_int(base_channels, "base_channels")
        self.depth = check_int(depth, "depth")
        widths = [base_channels * 2**level for level in range(self.depth + 1)]
        self.encoders = nn.ModuleList()
        c_prev = in_channels
        for level in range(self.depth):
            self.encoders.append(_double_conv(c_prev, widths[level]))
            c_prev = widths[level]
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double_conv(c_prev, widths[self.depth])
        self.upsamplers = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for level in reversed(range(self.depth)):
            self.upsamplers.append(
                nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2)
            )
            self.decoders.append(_double_conv(2 * widths[level], widths[level]))
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x (batch, channels, H, W)", ndim=4)
        factor = 2**self.depth
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise ValueError(
                f"height and width must be divisible by 2**depth = {factor}, "
                f"got {tuple(x.shape[-2:])}"
            )
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)  # (batch, widths[level], H / 2**level, ...)
            x = self.pool(x)
        x = self.bottleneck(x)  # (batch, widths[depth], H / 2**depth, ...)
        for upsample, decoder, skip in zip(
            self.upsamplers, self.decoders, reversed(skips)
        ):
            x = upsample(x)  # back to the resolution of `skip`
            x = decoder(torch.cat([skip, x], dim=1))  # concatenate along the channels
        return self.head(x)
