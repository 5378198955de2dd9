"""Small images made on the fly: an image as a function, shapes, image-to-image pairs, rotated digits.

* :func:`image_function`, :func:`image_grid`: a picture whose grey value is a function of the
  coordinates ``(x, y)``, to be learned by a network that maps two numbers to one;
* :func:`circles_squares`: noisy images of circles and squares, two classes;
* :func:`random_circles`, :func:`squares`: one circle, or one square (axis-aligned or
  rotated), per image, with the parameters of the shape (the autoencoders of chapter 10);
* :func:`circles_to_squares`: images of discs and, as targets, the squares they are inscribed
  in (the U-Net of chapter 5);
* :func:`rotated_digits`: upright training digits and a test set turned by random quarter turns.

Images are float32, ``(n, H, W)`` or ``(n, 1, H, W)`` as each docstring says; coordinates are
mathematical (``x`` to the right, ``y`` upwards).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from ml4phys._validation import check_int, check_nonnegative, check_range, check_rng
from ml4phys.data._sampling import balanced_labels
from ml4phys.data.loaders import load_digits

__all__ = [
    "image_function",
    "image_grid",
    "circles_squares",
    "random_circles",
    "squares",
    "circles_to_squares",
    "rotated_digits",
    "segments",
]


def image_function(X: np.ndarray) -> np.ndarray:
    """A grey-scale picture (a smiling face) as a function of the coordinates.

    The picture lives on :math:`[-1, 1]^2` in mathematical coordinates (``X[:, 0]`` is
    :math:`x` to the right, ``X[:, 1]`` is :math:`y` upwards). It mixes features on
    every scale, so that a network fitting it shows what it has and has not learned:

    * smooth: a background of gentle diagonal waves, and soft shading on the face;
    * sharp: the dark outline of the face (a ring), dark eyes with tiny bright
      highlights (the finest detail), a smiling mouth (an arc);
    * high frequency: a band of hard black-and-white stripes along the bottom.

    Evaluate it on :func:`image_grid` to get pixels.

    Args:
        X: coordinates, array-like of shape ``(n, 2)``; points outside
            :math:`[-1, 1]^2` get the background value.

    Returns:
        Grey values of shape ``(n,)``, float32 in :math:`[0, 1]` (1 is white).

    Raises:
        ValueError: if ``X`` does not have shape ``(n, 2)`` or contains non-finite values.
    """
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be an array of real coordinates, got dtype {X.dtype}")
    X = X.astype(np.float64, copy=False)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must contain only finite coordinates")
    x, y = X[:, 0], X[:, 1]

    # Smooth background: soft diagonal waves between 0.2 and 0.4.
    img = 0.3 + 0.1 * np.sin(5.0 * (x + y))

    # Face: a disc of radius 0.6 centred at (0, 0.1), shaded by a soft light from the upper left.
    fx, fy = x, y - 0.1
    r_face = np.hypot(fx, fy)
    shade = 0.65 + 0.3 * np.exp(-((fx + 0.25) ** 2 + (fy - 0.25) ** 2) / 0.15)
    img = np.where(r_face < 0.6, shade, img)
    # Outline: a dark ring.
    img = np.where((r_face >= 0.6) & (r_face < 0.66), 0.05, img)

    # Eyes: dark discs with a small bright highlight each.
    for ex in (-0.22, 0.22):
        ey = 0.3
        img = np.where(np.hypot(x - ex, y - ey) < 0.09, 0.05, img)
        img = np.where(np.hypot(x - ex + 0.03, y - ey - 0.03) < 0.03, 1.0, img)

    # Mouth: the lower part of a ring of radius 0.32 around (0, 0.1).
    mouth = (np.abs(r_face - 0.32) < 0.045) & (fy < -0.12)
    img = np.where(mouth, 0.05, img)

    # Bottom band: hard vertical stripes, 12 periods across the image.
    stripes = np.floor((x + 1.0) * 12.0) % 2
    img = np.where(y < -0.8, stripes, img)

    return np.clip(img, 0.0, 1.0).astype(np.float32)


def image_grid(n_pixels: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Pixel-centre coordinates of an ``n_pixels x n_pixels`` image of :math:`[-1, 1]^2`.

    The points are in row-major image order: row 0 is the *top* of the picture
    (:math:`y` near +1), rows go downwards and columns go to the right. Hence
    ``image_function(X).reshape(shape)`` is an image that ``plt.imshow`` shows upright.

    Args:
        n_pixels: number of pixels along each side, a positive int. Pixel width is
            ``2 / n_pixels``; the centres lie half a pixel inside the square's edges.

    Returns:
        ``(X, shape)``: ``X`` of shape ``(n_pixels**2, 2)``, float32, with columns
        :math:`(x, y)`; ``shape`` is ``(n_pixels, n_pixels)``, the shape to reshape
        values on these points into an image.

    Raises:
        TypeError: if ``n_pixels`` is not an int.
        ValueError: if ``n_pixels < 1``.
    """
    n_pixels = check_int(n_pixels, "n_pixels")
    centres = -1.0 + (np.arange(n_pixels) + 0.5) * (2.0 / n_pixels)
    ys = centres[::-1]  # row 0 at the top
    YY, XX = np.meshgrid(ys, centres, indexing="ij")  # (n_pixels, n_pixels) each
    X = np.stack([XX.ravel(), YY.ravel()], axis=1).astype(np.float32)
    return X, (n_pixels, n_pixels)


# ----------------------------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------------------------


def circles_squares(
    n: int, rng: np.random.Generator, size: int = 32, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Small images of one filled shape each: a circle (y = 0) or a square (y = 1).

    Each image is black (0) with one white (1) shape: a disc, or an axis-aligned square,
    at a random position and of random size, always lying fully inside the image. A
    pixel is white when its centre lies in the shape.

    Both classes share one distribution of *area*: a linear size
    :math:`L \\sim U[0.2, 0.55] \\times` ``size`` (pixels) is drawn, and the shape gets
    area :math:`L^2` (a square of side :math:`L`, a disc of radius :math:`L / \\sqrt\\pi`).
    So the mean brightness of an image (its white area) says almost nothing about the
    class: a classifier has to look at the shape (corners and straight edges), not at how
    much white there is.

    Args:
        n: number of images, a positive int.
        rng: the random generator.
        size: side of the square images in pixels, an int >= 12.
        noise: standard deviation of additive Gaussian pixel noise, >= 0 (values are not
            clipped, so noisy pixels can leave [0, 1]).

    Returns:
        ``(images, y)``: ``images`` of shape ``(n, size, size)``, float32, values in {0, 1}
        when ``noise == 0``; ``y`` of shape ``(n,)``, int64, 0 for circles and 1 for
        squares, balanced (``n // 2`` ones) in random order.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``size < 12`` or ``noise < 0``.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    size = check_int(size, "size", minimum=12)
    noise = check_nonnegative(noise, "noise")

    y = balanced_labels(n, rng)
    side = (
        rng.uniform(0.2, 0.55, size=n) * size
    )  # L, pixels; area L**2 for both classes
    radius = side / np.sqrt(np.pi)
    half_extent = np.where(y == 0, radius, side / 2)  # half-width of the bounding box
    # Centre uniform among positions that keep the bounding box inside [0, size]^2.
    centre = (
        half_extent[:, None]
        + rng.uniform(size=(n, 2)) * (size - 2 * half_extent)[:, None]
    )

    pixel = np.arange(size, dtype=np.float64) + 0.5  # pixel-centre coordinates
    images = np.empty((n, size, size), dtype=np.float32)
    for start in range(0, n, 2048):  # chunks bound the memory of the temporaries
        stop = min(start + 2048, n)
        dx = (
            pixel[None, None, :] - centre[start:stop, 0, None, None]
        )  # (chunk, 1, size) columns
        dy = (
            pixel[None, :, None] - centre[start:stop, 1, None, None]
        )  # (chunk, size, 1) rows
        r = radius[start:stop, None, None]
        h = side[start:stop, None, None] / 2
        disc = dx**2 + dy**2 <= r**2
        square = (np.abs(dx) <= h) & (np.abs(dy) <= h)
        is_square = (y[start:stop] == 1)[:, None, None]
        images[start:stop] = np.where(is_square, square, disc)
    if noise > 0:
        images += (noise * rng.standard_normal(images.shape)).astype(np.float32)
    return images, y


def _pixel_coordinates(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates: ``x`` of the columns ``(1, 1, size)``, ``y`` (upwards) of
    the rows ``(1, size, 1)``."""
    x = np.arange(size, dtype=np.float64) + 0.5
    return x[None, None, :], (size - x)[None, :, None]


def random_circles(
    n: int,
    rng: np.random.Generator,
    size: int = 27,
    radius_range: tuple[float, float] = (2.0, 8.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Images of one filled circle each, at a random place and of random radius.

    The radius ``r`` is uniform in ``radius_range`` and the centre uniform among the
    positions that keep the disc inside the image. The grey value of a pixel is
    ``clip(r - rho + 1/2, 0, 1)`` with ``rho`` the distance of its centre from the centre of
    the disc: one inside, zero outside, and a linear ramp one pixel wide at the edge (an
    approximation of the area of the pixel covered), so that the image depends continuously
    on the three parameters.

    Args:
        n: number of images, a positive int.
        rng: the random generator.
        size: side of the square images in pixels, an int >= 8.
        radius_range: ``(r_min, r_max)`` in pixels, ``0 < r_min < r_max < size / 2``.

    Returns:
        ``(images, params)``: ``images`` of shape ``(n, size, size)``, float32 in [0, 1];
        ``params`` of shape ``(n, 3)``, float32, the columns ``(cx, cy, r)`` in pixels
        (``cx`` from the left edge, ``cy`` upwards from the bottom edge).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``size < 8`` or the radius range is out of bounds.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    size = check_int(size, "size", minimum=8)
    r_min, r_max = check_range(radius_range, "radius_range")
    if not (0 < r_min and r_max < size / 2):
        raise ValueError(
            f"radius_range must lie in (0, size / 2) = (0, {size / 2}), got {radius_range}"
        )
    r = rng.uniform(r_min, r_max, size=n)
    centre = r[:, None] + rng.uniform(size=(n, 2)) * (size - 2 * r)[:, None]
    x, y = _pixel_coordinates(size)
    images = np.empty((n, size, size), dtype=np.float32)
    for start in range(0, n, 4096):  # chunks bound the memory of the temporaries
        s = slice(start, min(start + 4096, n))
        rho = np.hypot(x - centre[s, 0, None, None], y - centre[s, 1, None, None])
        images[s] = np.clip(r[s, None, None] - rho + 0.5, 0.0, 1.0)
    params = np.column_stack([centre, r]).astype(np.float32)
    return images, params


def squares(
    n: int,
    rng: np.random.Generator,
    size: int = 27,
    rotated: bool = False,
    side_range: tuple[float, float] = (5.0, 13.0),
    centred: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Images of one filled square each: axis-aligned, or turned by a random angle.

    The side ``L`` is uniform in ``side_range``; with ``rotated`` the angle is uniform in
    [15, 75] degrees (so that every rotated square is visibly turned), else zero. The centre
    is uniform among the positions that keep the square inside the image, or with
    ``centred`` the centre of the image (then only side and angle vary). In coordinates
    ``(u, v)`` along the square's sides, centred on it, a pixel's grey value is
    ``clip(L/2 - max(|u|, |v|) + 1/2, 0, 1)``: one inside, a ramp one pixel wide at the edge.

    Args:
        n: number of images, a positive int.
        rng: the random generator.
        size: side of the square images in pixels, an int >= 8.
        rotated: turn the squares (True) or keep them axis-aligned (False).
        side_range: ``(L_min, L_max)`` in pixels, ``0 < L_min < L_max <= size / sqrt(2)``.
        centred: put every square at the centre of the image.

    Returns:
        ``(images, params)``: ``images`` of shape ``(n, size, size)``, float32 in [0, 1];
        ``params`` of shape ``(n, 4)``, float32, the columns ``(cx, cy, side, angle)``
        (pixels, ``cy`` upwards; the angle in radians, counter-clockwise).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``n < 1``, ``size < 8`` or the side range is out of bounds.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    size = check_int(size, "size", minimum=8)
    for flag, name in ((rotated, "rotated"), (centred, "centred")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    low, high = check_range(side_range, "side_range")
    if not (0 < low and high <= size / np.sqrt(2)):
        raise ValueError(
            f"side_range must lie in (0, size / sqrt(2)], got {side_range} for size {size}"
        )
    side = rng.uniform(low, high, size=n)
    angle = np.deg2rad(rng.uniform(15, 75, size=n)) if rotated else np.zeros(n)
    cos, sin = np.cos(angle), np.sin(angle)
    # half the width of the bounding box
    half_extent = side / 2 * (np.abs(cos) + np.abs(sin))
    offset = np.full((n, 2), 0.5) if centred else rng.uniform(size=(n, 2))
    centre = half_extent[:, None] + offset * (size - 2 * half_extent)[:, None]
    x, y = _pixel_coordinates(size)
    images = np.empty((n, size, size), dtype=np.float32)
    for start in range(0, n, 4096):  # chunks bound the memory of the temporaries
        s = slice(start, min(start + 4096, n))
        dx, dy = x - centre[s, 0, None, None], y - centre[s, 1, None, None]
        c, si = cos[s, None, None], sin[s, None, None]
        u, v = c * dx + si * dy, -si * dx + c * dy  # along the square's sides
        distance = np.maximum(np.abs(u), np.abs(v))
        images[s] = np.clip(side[s, None, None] / 2 - distance + 0.5, 0.0, 1.0)
    params = np.column_stack([centre, side, angle]).astype(np.float32)
    return images, params


def circles_to_squares(
    n: int,
    rng: np.random.Generator,
    size: int = 32,
    n_shapes: tuple[int, int] = (1, 4),
    radius: tuple[float, float] = (2.0, 5.0),
    noise: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of images for an image-to-image task: discs in, their bounding squares out.

    Each input image is black (0) with a random number of white (1) filled discs, drawn
    uniformly from ``n_shapes[0]`` to ``n_shapes[1]`` (inclusive), each of radius
    :math:`r \\sim U[\\text{radius}]` (pixels) and centre uniform among positions that keep
    the square :math:`[c_x - r, c_x + r] \\times [c_y - r, c_y + r]` inside the image. The
    target image shows, for each disc, the filled axis-aligned square of the same centre
    and side :math:`2r`: the square the disc is inscribed in. A pixel is white when its
    centre lies in a shape; shapes may overlap, and the images then show their union. So
    every white input pixel is white in the target, and the target is whiter by a factor of
    about :math:`4/\\pi` for isolated shapes.

    Args:
        n: number of image pairs, a positive int.
        rng: the random generator.
        size: side of the square images in pixels, an int >= 8.
        n_shapes: ``(min, max)`` number of discs per image, ints with
            ``1 <= min <= max``.
        radius: ``(low, high)`` range of the disc radii in pixels, ``0 < low < high`` and
            ``2 * high <= size``.
        noise: standard deviation of Gaussian noise added to the *inputs* only (not
            clipped), >= 0.

    Returns:
        ``(inputs, targets)``, both of shape ``(n, size, size)`` and float32: ``inputs``
        with the discs (values in {0, 1} when ``noise == 0``), ``targets`` with the squares,
        values in {0, 1}.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument is out of range.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    size = check_int(size, "size", minimum=8)
    try:
        n_min, n_max = n_shapes
    except (TypeError, ValueError):
        raise TypeError(
            f"n_shapes must be a pair (min, max) of ints, got {n_shapes!r}"
        ) from None
    n_min = check_int(n_min, "n_shapes[0]")
    n_max = check_int(n_max, "n_shapes[1]")
    if n_max < n_min:
        raise ValueError(f"n_shapes must satisfy min <= max, got {n_shapes!r}")
    r_low, r_high = check_range(radius, "radius")
    if r_low <= 0 or 2 * r_high > size:
        raise ValueError(
            f"radius must satisfy 0 < low < high <= size / 2 = {size / 2}, got {radius!r}"
        )
    noise = check_nonnegative(noise, "noise")

    counts = rng.integers(n_min, n_max + 1, size=n)  # discs per image
    mask = (
        np.arange(n_max)[None, :] < counts[:, None]
    )  # (n, n_max): which slots hold a disc
    r = rng.uniform(r_low, r_high, size=(n, n_max))
    centre = (
        r[..., None] + rng.uniform(size=(n, n_max, 2)) * (size - 2 * r)[..., None]
    )  # (n, n_max, 2)

    pixel = np.arange(size, dtype=np.float64) + 0.5  # pixel-centre coordinates
    inputs = np.zeros((n, size, size), dtype=bool)
    targets = np.zeros((n, size, size), dtype=bool)
    for k in range(n_max):
        dx = pixel[None, None, :] - centre[:, k, 0, None, None]  # (n, 1, size): columns
        dy = pixel[None, :, None] - centre[:, k, 1, None, None]  # (n, size, 1): rows
        rk = r[:, k, None, None]
        on = mask[:, k, None, None]
        inputs |= on & (dx**2 + dy**2 <= rk**2)
        targets |= on & (np.abs(dx) <= rk) & (np.abs(dy) <= rk)
    inputs = inputs.astype(np.float32)
    if noise > 0:
        inputs += (noise * rng.standard_normal(inputs.shape)).astype(np.float32)
    return inputs, targets.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Rotated digits
# ----------------------------------------------------------------------------------------------


def rotated_digits(
    rng: np.random.Generator, n_test: int = 600, drop: Iterable[int] = (9,)
) -> tuple[
    tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]
]:
    """The 8x8 digits, split into upright training images and randomly rotated test images.

    The digits are shuffled; the first ``n_test`` become the test set, each rotated by a random
    number ``k`` of quarter turns; the rest, upright, form the training pool. Classes in ``drop``
    are removed first (by default 9, which a half turn makes indistinguishable from a 6); the
    remaining labels are kept as they are (0..8 by default).

    Args:
        rng: the random generator (shuffling and the test rotations).
        n_test: number of test images, >= 1.
        drop: digit classes to leave out.

    Returns:
        ``((X_train, y_train), (X_test, y_test, k_test))``: images float32 of shape
        ``(n, 1, 8, 8)``, labels int64 ``(n,)``, quarter turns int64 ``(n_test,)``.
    """
    rng = check_rng(rng)
    n_test = check_int(n_test, "n_test")
    drop = _check_digit_classes(drop, "drop")
    images, labels = load_digits()
    keep = ~np.isin(labels, drop)
    images, labels = images[keep], labels[keep]
    if n_test >= len(labels):
        raise ValueError(
            f"n_test must be smaller than the {len(labels)} digits kept, got {n_test}"
        )
    order = rng.permutation(len(labels))
    X = torch.from_numpy(images[order])[:, None]  # (n, 1, 8, 8)
    y = torch.from_numpy(labels[order])
    k_test = torch.from_numpy(rng.integers(0, 4, size=n_test))
    X_test = torch.stack(
        [torch.rot90(x, int(k), dims=(-2, -1)) for x, k in zip(X[:n_test], k_test)]
    )
    return (X[n_test:], y[n_test:]), (X_test, y[:n_test], k_test)


def _check_digit_classes(value: object, name: str) -> list[int]:
    """Return ``value`` as a list of digit classes 0..9, leaving at least two classes out of it."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be an iterable of digit classes (ints 0..9), got {type(value).__name__}"
        )
    classes = list(value)
    for c in classes:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
            raise TypeError(f"{name} must hold ints 0..9, got {c!r}")
        if not 0 <= c <= 9:
            raise ValueError(f"{name} must hold digit classes 0..9, got {c}")
    if len(set(classes)) > 8:
        raise ValueError(
            f"{name} must leave at least two of the ten digit classes, got {classes}"
        )
    return [int(c) for c in classes]


def segments(
    n: int, rng: np.random.Generator, length: int = 16, width: int = 4
) -> np.ndarray:
    """1-D binary images, each holding one contiguous segment of ``width`` ones.

    The segment starts at a position drawn uniformly from the ``length - width + 1`` possible
    ones (no wrap-around); all other pixels are 0. A simple distribution with strong
    correlations between pixels: independent pixels with the same marginals almost never
    produce one contiguous segment of the right width.

    Args:
        n: number of images, >= 1.
        rng: the random source.
        length: pixels per image, >= 2.
        width: ones per image, 1 <= width < length.

    Returns:
        float32 array of shape ``(n, length)`` with entries 0 and 1.
    """
    n = check_int(n, "n")
    rng = check_rng(rng)
    length = check_int(length, "length", minimum=2)
    width = check_int(width, "width")
    if width >= length:
        raise ValueError(
            f"width must be smaller than length = {length}, got width = {width}"
        )
    start = rng.integers(0, length - width + 1, size=n)
    pixel = np.arange(length)
    inside = (pixel >= start[:, None]) & (pixel < start[:, None] + width)
    return inside.astype(np.float32)
