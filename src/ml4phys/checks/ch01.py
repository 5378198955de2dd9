"""Self-checks for the exercises of chapter 1, "Neural networks as functions".

Each ``check_*`` function tests one exercise of ``solutions/01_networks.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks._core.CheckFailed` with a message saying what is wrong otherwise. A
``NotImplementedError`` raised by a stub is let through unchanged.

Networks are given as in :mod:`ml4phys.nn.numpy_net`: a list ``params = [(W1, b1), ..., (WL, bL)]``
with ``W`` of shape ``(n_in, n_out)`` and ``b`` of shape ``(n_out,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ml4phys.checks._core import as_numpy, call_student, passed, require
from ml4phys.nn import numpy_net

__all__ = [
    "ROUGHNESS_EPS",
    "XOR_MARGIN",
    "XOR_TOLERANCE",
    "check_outputs_after_layers",
    "check_relu_interpolant",
    "check_roughness",
    "check_roughness_transition",
    "check_xor_network",
    "check_xor_one_hidden_layer",
    "xor_test_points",
]

XOR_MARGIN = 0.1
"""The check of Exercise 1.2 tests points whose coordinates are both at least this far from 0."""

XOR_TOLERANCE = 0.1
"""The check of Exercise 1.2 accepts outputs within this distance of the target 0 or 1.

The check of Exercise 1.1 has no tolerance and no margin: its outputs must equal the targets."""


# ---------------------------------------------------------------------------------------------
# Exercises 1.1 and 1.2: XOR networks (exact with steps; approximate with one hidden layer)
# ---------------------------------------------------------------------------------------------


def xor_test_points(
    n_per_side: int = 41, margin: float = XOR_MARGIN
) -> tuple[np.ndarray, np.ndarray]:
    """Grid points of ``[-1, 1]^2`` away from the axes and the book's XOR targets there.

    Args:
        n_per_side: grid points along each side before the points near the axes are removed.
        margin: keep only points with ``|x_1| >= margin`` and ``|x_2| >= margin``.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, ``y`` of shape ``(n,)`` with 1 where
        ``x_1 x_2 < 0`` and 0 otherwise.
    """
    side = np.linspace(-1.0, 1.0, n_per_side)
    XX, YY = np.meshgrid(side, side)
    X = np.stack([XX.ravel(), YY.ravel()], axis=1)  # (n_per_side**2, 2)
    X = X[np.all(np.abs(X) >= margin - 1e-12, axis=1)]
    y = (X[:, 0] * X[:, 1] < 0).astype(float)
    return X, y


def _unpack_network(network: Any, exercise: str) -> tuple[list, str, str]:
    """Check the (params, activation, output_activation) triple and return it."""
    require(
        isinstance(network, (tuple, list))
        and len(network) == 3
        and isinstance(network[1], str)
        and isinstance(network[2], str),
        f"{exercise}: expected a triple (params, activation, output_activation) with the two "
        f"activations given by name, e.g. (params, 'relu', 'sigmoid'); got a {type(network).__name__}"
        + (f" of length {len(network)}" if isinstance(network, (tuple, list)) else "")
        + ".",
    )
    params, activation, output_activation = network
    require(
        activation in numpy_net.HIDDEN_ACTIVATIONS,
        f"{exercise}: the hidden activation must be one of {numpy_net.HIDDEN_ACTIVATIONS}, "
        f"got {activation!r}.",
    )
    require(
        output_activation in numpy_net.OUTPUT_ACTIVATIONS,
        f"{exercise}: the output activation must be one of {numpy_net.OUTPUT_ACTIVATIONS}, "
        f"got {output_activation!r}.",
    )
    require(
        isinstance(params, (list, tuple)) and len(params) > 0,
        f"{exercise}: params must be a non-empty list of (W, b) pairs.",
    )
    return list(params), activation, output_activation


def _network_outputs(
    params: list, X: np.ndarray, activation: str, output_activation: str, exercise: str
) -> np.ndarray:
    """Run the network on X with numpy_net.forward, turning its input errors into CheckFailed."""
    try:
        y_hat = numpy_net.forward(
            params, X, activation=activation, output_activation=output_activation
        )
    except Exception as err:
        require(
            False,
            f"{exercise}: the network cannot be evaluated on inputs of shape {X.shape}: "
            f"{type(err).__name__}: {err}. Expected params = [(W1, b1), ..., (WL, bL)] with W of "
            "shape (n_in, n_out) and b of shape (n_out,).",
        )
    y_hat = np.asarray(y_hat, dtype=float)
    require(
        y_hat.shape == (X.shape[0], 1),
        f"{exercise}: the network must have one output neuron (output shape ({X.shape[0]}, 1) for "
        f"{X.shape[0]} inputs), got output shape {y_hat.shape}.",
    )
    return y_hat[:, 0]


def _check_xor_outputs(
    params: list, activation: str, output_activation: str, exercise: str
) -> None:
    X, y = xor_test_points()
    y_hat = _network_outputs(params, X, activation, output_activation, exercise)
    not_finite = ~np.isfinite(y_hat)
    if np.any(not_finite):
        x1, x2 = X[not_finite][0]
        require(
            False,
            f"{exercise}: your network outputs {y_hat[not_finite][0]} at ({x1:.2f}, {x2:.2f}); "
            "it should output finite numbers.",
        )
    error = np.abs(y_hat - y)
    worst = int(np.argmax(error))
    x1, x2 = X[worst]
    require(
        error[worst] <= XOR_TOLERANCE,
        f"{exercise}: your network outputs {y_hat[worst]:.3g} at ({x1:.2f}, {x2:.2f}); it should "
        f"be close to {int(y[worst])} (within {XOR_TOLERANCE}). "
        f"{int(np.sum(error > XOR_TOLERANCE))} of the {len(y)} test points are off.",
    )


def _exact_xor_test_points() -> tuple[np.ndarray, np.ndarray]:
    """The inputs of the exact XOR check, all off the axes, and the book's XOR targets there.

    The four corners ``(+-1, +-1)``, a 200 x 200 grid of ``[-1, 1]^2`` (which misses the axes),
    2000 seeded uniform points, and points whose coordinates lie between 1e-9 and the smallest
    positive float (5e-324) from an axis, on either side.
    """
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    side = np.linspace(-1.0, 1.0, 200)
    XX, YY = np.meshgrid(side, side)
    grid = np.stack([XX.ravel(), YY.ravel()], axis=1)  # (40000, 2)
    rng = np.random.default_rng(
        101
    )  # private generator: the student's state is untouched
    uniform = rng.uniform(-1.0, 1.0, size=(2000, 2))
    tiny = np.array([1e-9, 1e-12, 1e-15, 1e-100, 1e-300, 5e-324])
    tiny = np.concatenate([tiny, -tiny])  # (12,)
    others = np.array([-1.0, -0.5, -1e-9, 5e-324, 0.3, 1.0])
    near_x2_axis = np.array([[a, t] for t in tiny for a in others])  # x_2 tiny
    near_axes = np.concatenate([near_x2_axis, near_x2_axis[:, ::-1]])
    both_tiny = np.array([[s, t] for s in tiny for t in tiny])
    X = np.concatenate([corners, grid, uniform, near_axes, both_tiny])
    assert np.all(X != 0.0)
    y = (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(
        float
    )  # x_1 x_2 < 0, without underflow
    return X, y


def check_xor_network(network: tuple[list, str, str]) -> bool:
    """Exercise 1.1: a step network with two hidden layers that computes the book's XOR exactly.

    The network is given as ``(params, "step", output_activation)`` with
    ``params = [(W1, b1), (W2, b2), (W3, b3)]`` (two hidden layers and one output neuron); the
    hidden activation must be ``"step"``, the output activation ``"step"`` (or ``"linear"``).
    Evaluated with ``numpy_net.forward(params, X, activation, output_activation)``, the output
    must *equal* the target, 1 where ``x_1 x_2 < 0`` and 0 elsewhere, exactly (``==``, no
    tolerance) at every test input: the four corners of ``[-1, 1]^2``, a fine grid, random
    points, and points as close to the axes as floating point allows (but off them).

    Args:
        network: ``(params, activation, output_activation)``.

    Returns:
        True when the network passes.
    """
    exercise = "Exercise 1.1"
    params, activation, output_activation = _unpack_network(network, exercise)
    require(
        activation == "step",
        f"{exercise}: the hidden activation must be 'step' (the Heaviside function), got "
        f"{activation!r}. A smooth activation can only approximate the jump of XOR across the "
        "axes, and this exercise asks for the exact function.",
    )
    require(
        output_activation in ("step", "linear"),
        f"{exercise}: the output activation must be 'step' (or 'linear', if your last layer "
        f"already adds up to exactly 0 or 1), got {output_activation!r}.",
    )
    require(
        len(params) == 3,
        f"{exercise}: your network has {len(params) - 1} hidden "
        f"layer{'s' if len(params) != 2 else ''} (params holds {len(params)} (W, b) "
        f"pair{'s' if len(params) != 1 else ''}); this exercise asks for exactly two hidden "
        "layers, i.e. three pairs.",
    )
    X, y = _exact_xor_test_points()
    y_hat = _network_outputs(params, X, activation, output_activation, exercise)
    wrong = y_hat != y
    if np.any(wrong):
        first = int(np.flatnonzero(wrong)[0])
        x1, x2 = X[first]
        require(
            False,
            f"{exercise}: at x = ({x1:.3g}, {x2:.3g}) your network outputs {float(y_hat[first])!r}, "
            f"but XOR is exactly {int(y[first])} there (outputs are compared with ==, without "
            f"tolerance). {int(np.sum(wrong))} of the {len(y)} test inputs are wrong.",
        )
    return passed(
        f"{exercise}: your step network with two hidden layers equals XOR exactly at all "
        f"{len(y)} test inputs, including points within 1e-300 of the axes."
    )


def check_xor_one_hidden_layer(network: tuple[list, str, str]) -> bool:
    """Exercise 1.2: a network with exactly one hidden layer that computes the book's XOR.

    The network must output 1 where ``x_1 x_2 < 0`` and 0 elsewhere, within
    :data:`XOR_TOLERANCE`, on a grid of points of ``[-1, 1]^2`` whose coordinates are both at
    least :data:`XOR_MARGIN` away from zero (see :func:`xor_test_points`); any activations.

    Args:
        network: ``(params, activation, output_activation)`` with ``params = [(W1, b1), (W2, b2)]``.

    Returns:
        True when the network passes.
    """
    exercise = "Exercise 1.2"
    params, activation, output_activation = _unpack_network(network, exercise)
    require(
        len(params) == 2,
        f"{exercise}: your network has {len(params) - 1} hidden layers (params holds {len(params)} "
        "(W, b) pairs); this exercise asks for exactly one hidden layer, i.e. two pairs.",
    )
    _check_xor_outputs(params, activation, output_activation, exercise)
    n_hidden = np.shape(params[0][0])[1]
    return passed(
        f"{exercise}: one hidden layer of {n_hidden} {activation} neurons computes XOR."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 1.3: reading a random deep network out after n layers
# ---------------------------------------------------------------------------------------------


def _random_tanh_network(
    rng: np.random.Generator, n_layers: int, width: int, sigma_w: float, sigma_b: float
) -> list:
    sizes = [2] + [width] * n_layers + [1]
    return [
        (
            rng.normal(0.0, sigma_w / np.sqrt(n_in), size=(n_in, n_out)),
            rng.normal(0.0, sigma_b, size=n_out),
        )
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def _reference_outputs_after_layers(
    params: list, X: np.ndarray, layers: Sequence[int]
) -> np.ndarray:
    """Readout ``a^(n) W_out + b_out`` after the first n tanh layers, for each n in layers."""
    W_out, b_out = params[-1]
    readouts = []
    for n in layers:
        a = X
        for W, b in params[:n]:
            a = np.tanh(a @ W + b)
        readouts.append((a @ W_out + b_out)[:, 0])
    return np.array(readouts)  # (len(layers), n_points)


def check_outputs_after_layers(
    outputs_after_layers: Callable[[list, np.ndarray, Sequence[int]], np.ndarray],
) -> bool:
    """Exercise 1.3: the output of a random tanh network cut off after n layers.

    ``outputs_after_layers(params, X, layers)`` gets ``params = [(W1, b1), ..., (WL, bL),
    (W_out, b_out)]`` (L tanh layers of equal width and a linear readout), inputs ``X`` of shape
    ``(n_points, 2)`` and a list of layer numbers ``1 <= n <= L``. For each ``n`` it must apply
    the first ``n`` layers with tanh and then the readout to ``a^(n)``, and return an array of
    shape ``(len(layers), n_points)``. The check compares with its own computation on networks
    that it draws itself.

    Args:
        outputs_after_layers: the student's function.

    Returns:
        True when the function passes.
    """
    exercise = "Exercise 1.3"
    rng = np.random.default_rng(20240101)
    cases = [
        (
            _random_tanh_network(rng, 6, 7, 1.7, 0.4),
            rng.uniform(-1, 1, size=(30, 2)),
            [1, 2, 6],
        ),
        (
            _random_tanh_network(rng, 4, 5, 3.0, 0.2),
            rng.uniform(-1, 1, size=(11, 2)),
            [4, 1, 3],
        ),
    ]
    for params, X, layers in cases:
        params_copy = [(W.copy(), b.copy()) for W, b in params]
        expected = _reference_outputs_after_layers(params, X, layers)
        got = as_numpy(
            call_student(
                outputs_after_layers,
                params_copy,
                X.copy(),
                list(layers),
                name="outputs_after_layers(params, X, layers)",
                exercise=exercise,
            ),
            f"{exercise}: the result of outputs_after_layers",
        )
        require(
            got.shape == expected.shape,
            f"{exercise}: for layers={layers} and {X.shape[0]} input points the result must have "
            f"shape {expected.shape} (one row per entry of layers), got {got.shape}.",
        )
        for row, n in enumerate(layers):
            deviation = float(np.max(np.abs(got[row] - expected[row])))
            require(
                deviation <= 1e-6 * (1 + np.max(np.abs(expected[row]))),
                f"{exercise}: for n = {n} (of {len(params) - 1} hidden layers) your output differs "
                f"from the expected one by up to {deviation:.3g}. Apply the first n layers, each "
                "with its tanh, then the readout layer params[-1] (no activation).",
            )
    return passed(
        f"{exercise}: the outputs after n layers agree with an independent computation."
    )


# ---------------------------------------------------------------------------------------------
# Exercises 1.4 and 1.5: roughness of an image and the order-chaos transition
# ---------------------------------------------------------------------------------------------


ROUGHNESS_EPS = 1e-12
"""The small constant added to ``4 Var F`` in the roughness of Exercise 1.4."""


def _reference_roughness(image: np.ndarray) -> float:
    """The roughness of Exercise 1.4 (private: the checks compare with it).

    ``R = (<(F[i, j+1] - F[i, j])^2> + <(F[i+1, j] - F[i, j])^2>) / (4 Var F + eps)``: the mean
    squared difference of horizontal and of vertical neighbours, over four times the (population)
    variance of the pixel values, with ``eps = ROUGHNESS_EPS``; 0 for a constant image.
    """
    F = np.asarray(image, dtype=float)
    d_horizontal = np.mean((F[:, 1:] - F[:, :-1]) ** 2)
    d_vertical = np.mean((F[1:, :] - F[:-1, :]) ** 2)
    return float((d_horizontal + d_vertical) / (4 * F.var() + ROUGHNESS_EPS))


def check_roughness(roughness: Callable[[np.ndarray], float]) -> bool:
    """Exercise 1.4: the roughness measure of an image, tested on images with known values.

    Args:
        roughness: maps an image (2-D array of shape (height, width)) to a float.

    Returns:
        True when the function passes.
    """
    exercise = "Exercise 1.4"
    rows, cols = np.meshgrid(np.arange(6), np.arange(9), indexing="ij")  # (6, 9) each
    checkerboard = np.where((rows + cols) % 2 == 0, 1.0, -1.0)
    rng = np.random.default_rng(7)
    noise = rng.standard_normal((40, 50))
    cases = [
        ("a constant 5x7 image", np.full((5, 7), 3.0)),
        ("the 6x9 image F[i, j] = j (a ramp along the rows)", cols.astype(float)),
        ("the 6x9 image F[i, j] = i (a ramp down the columns)", rows.astype(float)),
        ("a 6x9 checkerboard of +1 and -1", checkerboard),
        ("a 40x50 image of independent Gaussian pixels", noise),
        ("the same Gaussian image times 3, plus 2", 3 * noise + 2),
    ]
    for description, image in cases:
        expected = _reference_roughness(image)
        value = as_numpy(
            call_student(
                roughness, image.copy(), name="roughness(image)", exercise=exercise
            ),
            f"{exercise}: the result of roughness(image)",
        )
        require(
            np.ndim(value) == 0,
            f"{exercise}: roughness must return one number, got an array of shape {np.shape(value)} "
            f"for {description}.",
        )
        value = float(value)
        require(
            np.isfinite(value),
            f"{exercise}: for {description} your roughness is {value}; it should be a finite number"
            + (
                " (the eps in the denominator makes the roughness of a constant image 0)"
                if expected == 0
                else ""
            )
            + ".",
        )
        require(
            abs(value - expected) <= 1e-9 + 1e-6 * abs(expected),
            f"{exercise}: for {description} your roughness is {value:.6g}, too "
            f"{'large' if value > expected else 'small'}: it should be "
            f"{'smaller' if value > expected else 'larger'} (relative tolerance 1e-6). Check the "
            "two averages, the population variance (np.var) and the factor 4.",
        )
    return passed(
        f"{exercise}: your roughness gives the right value on {len(cases)} test images."
    )


def check_roughness_transition(
    roughness_curve: Callable[..., np.ndarray],
) -> bool:
    """Exercise 1.5: the mean roughness of random-network images as a function of sigma_w.

    Calls ``roughness_curve([0.5, 4.0], n_layers=20, rng=np.random.default_rng(0))`` and expects
    an array of two finite numbers in [0, 2]: small (below 0.05) deep in the ordered phase at
    ``sigma_w = 0.5``, large (above 0.3) in the chaotic phase at ``sigma_w = 4``.

    Args:
        roughness_curve: ``roughness_curve(sigmas_w, n_layers, rng, ...)``, the student's function.

    Returns:
        True when the function passes.
    """
    exercise = "Exercise 1.5"
    values = as_numpy(
        call_student(
            roughness_curve,
            [0.5, 4.0],
            name="roughness_curve(sigmas_w, n_layers=20, rng=rng)",
            kwargs={"n_layers": 20, "rng": np.random.default_rng(0)},
            exercise=exercise,
        ),
        f"{exercise}: the result of roughness_curve",
    )
    require(
        values.shape == (2,),
        f"{exercise}: for two values of sigma_w the result must have shape (2,), got {values.shape}.",
    )
    require(
        bool(np.all(np.isfinite(values)))
        and bool(np.all((values >= 0) & (values <= 2))),
        f"{exercise}: the roughness of an image lies between 0 and 2, your values are {values}.",
    )
    require(
        values[0] < 0.05,
        f"{exercise}: at sigma_w = 0.5 (ordered phase, 20 layers) your mean roughness is "
        f"{values[0]:.3g}; it should be small (below 0.05). Are the weights drawn with standard "
        "deviation sigma_w / sqrt(n_in), and does your roughness add eps to the denominator (a "
        "numerically constant image must not count as rough)?",
    )
    require(
        values[1] > 0.3,
        f"{exercise}: at sigma_w = 4 (chaotic phase, 20 layers) your mean roughness is "
        f"{values[1]:.3g}; it should be large (above 0.3). Are the weights drawn with standard "
        "deviation sigma_w / sqrt(n_in) (not sigma_w / n_in)?",
    )
    return passed(
        f"{exercise}: roughness {values[0]:.3g} in the ordered and {values[1]:.3g} in the chaotic phase."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 1.6: a ReLU network that interpolates given points
# ---------------------------------------------------------------------------------------------


def check_relu_interpolant(
    relu_interpolant: Callable[[np.ndarray, np.ndarray], list],
) -> bool:
    """Exercise 1.6: one hidden ReLU layer equal to the piecewise linear interpolation.

    ``relu_interpolant(knots, values)`` must return ``params = [(W1, b1), (W2, b2)]`` of a
    network ``1 -> H -> 1`` (ReLU hidden layer, linear output) with ``H <= len(knots) - 1`` that
    equals ``np.interp(x, knots, values)`` for ``knots[0] <= x <= knots[-1]``.

    Args:
        relu_interpolant: the student's function.

    Returns:
        True when the function passes.
    """
    exercise = "Exercise 1.6"
    rng = np.random.default_rng(11)
    cases = []
    for n_knots in [2, 5, 12]:
        knots = -3 + np.cumsum(
            rng.uniform(0.05, 1.0, size=n_knots)
        )  # increasing, unevenly spaced
        cases.append((knots, rng.normal(0, 2, size=n_knots)))
    for knots, values in cases:
        params = call_student(
            relu_interpolant,
            knots.copy(),
            values.copy(),
            name="relu_interpolant(knots, values)",
            expects=(list, tuple),
            exercise=exercise,
        )
        require(
            isinstance(params, (list, tuple)) and len(params) == 2,
            f"{exercise}: return params = [(W1, b1), (W2, b2)] (one hidden layer), got "
            + (
                f"{len(params)} pairs."
                if isinstance(params, (list, tuple))
                else f"a {type(params).__name__}."
            ),
        )
        x = np.concatenate([knots, np.linspace(knots[0], knots[-1], 301)])[
            :, None
        ]  # (n, 1)
        try:
            y_hat = numpy_net.forward(
                list(params), x, activation="relu", output_activation="linear"
            )
        except Exception as err:
            require(
                False,
                f"{exercise}: the network cannot be evaluated on inputs of shape {x.shape}: "
                f"{type(err).__name__}: {err}. Expected params = [(W1, b1), (W2, b2)] with W1 of "
                "shape (1, H), b1 (H,), W2 (H, 1), b2 (1,).",
            )
        y_hat = np.asarray(y_hat, dtype=float)
        require(
            y_hat.shape == (x.shape[0], 1),
            f"{exercise}: the network must map one input to one output, got output shape {y_hat.shape} "
            f"for inputs of shape {x.shape}.",
        )
        n_hidden = np.shape(params[0][0])[1]
        require(
            n_hidden <= len(knots) - 1,
            f"{exercise}: for {len(knots)} knots your hidden layer has {n_hidden} neurons, more "
            "than the exercise allows: one neuron per interval between neighbouring knots "
            "must suffice (each ReLU neuron can add one kink).",
        )
        expected = np.interp(x[:, 0], knots, values)
        error = np.abs(y_hat[:, 0] - expected)
        worst = int(np.argmax(error))
        require(
            error[worst] <= 1e-8 * (1 + np.max(np.abs(values))),
            f"{exercise}: with {len(knots)} knots your network outputs {y_hat[worst, 0]:.6g} at "
            f"x = {x[worst, 0]:.4g}, {'above' if y_hat[worst, 0] > expected[worst] else 'below'} "
            "the piecewise linear interpolation there.",
        )
    return passed(
        f"{exercise}: your network reproduces the piecewise linear interpolation "
        f"({len(cases)} sets of knots)."
    )
