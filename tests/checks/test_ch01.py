"""Tests of ml4phys.checks.ch01: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest

from ml4phys.checks import CheckFailed, ch01
from ml4phys.nn import numpy_net

# --------------------------------------------------------------------------- right answers


def xor_step_network(output_activation="step"):
    """Sign detectors, then 'x1 > 0 and not x2 > 0' and its mirror image, then OR; all steps."""
    params = [
        (np.eye(2), np.zeros(2)),  # s_i = H(x_i)
        (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([-0.5, -0.5])),
        (np.ones((2, 1)), np.array([-0.5])),
    ]
    if output_activation == "linear":  # u + v is already exactly 0 or 1
        params[-1] = (np.ones((2, 1)), np.zeros(1))
    return params, "step", output_activation


def xor_sigmoid_two_hidden_layers():
    """The same wiring with steep sigmoids: right within 0.1 away from the axes, never exact."""
    params = [
        (50.0 * np.eye(2), np.zeros(2)),
        (20.0 * np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([-10.0, -10.0])),
        (20.0 * np.ones((2, 1)), np.array([-10.0])),
    ]
    return params, "sigmoid", "sigmoid"


def xor_one_hidden_layer():
    """|x1 - x2| - |x1 + x2| = -2 sign(x1 x2) min(|x1|, |x2|), from four ReLUs."""
    W1 = np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, -1.0, 1.0]])
    W2 = 30.0 * np.array([[-1.0], [-1.0], [1.0], [1.0]])
    return [(W1, np.zeros(4)), (W2, np.zeros(1))], "relu", "sigmoid"


def outputs_after_layers(params, X, layers):
    W_out, b_out = params[-1]
    readouts, a = {}, X
    for n, (W, b) in enumerate(params[:-1], start=1):
        a = np.tanh(a @ W + b)
        readouts[n] = (a @ W_out + b_out)[:, 0]
    return np.array([readouts[n] for n in layers])


def roughness(image):
    F = np.asarray(image, dtype=float)
    d2 = np.mean(np.diff(F, axis=1) ** 2) + np.mean(np.diff(F, axis=0) ** 2)
    return d2 / (4 * F.var() + 1e-12)


def roughness_curve(
    sigmas_w, n_layers, rng, n_hidden=30, n_pixels=32, sigma_b=0.3, n_networks=2
):
    """Mean roughness of random tanh networks' images (the solution of Exercise 1.5, smaller)."""
    side = np.linspace(-1, 1, n_pixels)
    XX, YY = np.meshgrid(side, side)
    X = np.stack([XX.ravel(), YY.ravel()], axis=1)
    means = []
    for sigma_w in sigmas_w:
        values = []
        for _ in range(n_networks):
            params = numpy_net.init_params(
                [2] + [n_hidden] * n_layers + [1], rng, sigma_w, sigma_b
            )
            image = numpy_net.forward(params, X, "tanh", "linear").reshape(
                n_pixels, n_pixels
            )
            values.append(roughness(image))
        means.append(np.mean(values))
    return np.array(means)


def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    W1, b1 = np.ones((1, len(knots) - 1)), -knots[:-1]
    W2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    return [(W1, b1), (W2, np.array([values[0]]))]


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 1.x")


# --------------------------------------------------------------------------- Exercises 1.1 and 1.2


def test_xor_test_points_avoid_the_axes_and_label_the_quadrants():
    X, y = ch01.xor_test_points()
    assert np.all(np.abs(X) >= ch01.XOR_MARGIN - 1e-12)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(float))
    assert 0.4 < y.mean() < 0.6


def test_exact_xor_test_points_come_arbitrarily_close_to_the_axes():
    X, y = ch01._exact_xor_test_points()
    assert np.all(X != 0) and np.all(np.abs(X) <= 1)
    assert np.min(np.abs(X)) == 5e-324
    assert np.sum(np.min(np.abs(X), axis=1) <= 1e-9) >= 100
    for corner in [(-1, -1), (-1, 1), (1, -1), (1, 1)]:
        assert np.any(np.all(X == corner, axis=1))
    assert np.array_equal(y, (np.sign(X[:, 0]) * np.sign(X[:, 1]) < 0).astype(float))
    assert 0.4 < y.mean() < 0.6


def test_exact_xor_check_accepts_exact_step_networks(capsys):
    assert ch01.check_xor_network(xor_step_network())
    assert ch01.check_xor_network(xor_step_network("linear"))
    # four sign detectors in the first layer: exact on the axes too
    four = [
        (np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]]), np.zeros(4)),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]), np.full(2, -1.5)),
        (np.ones((2, 1)), np.array([-0.5])),
    ]
    assert ch01.check_xor_network((four, "step", "step"))
    assert "Correct" in capsys.readouterr().out


def test_exact_xor_check_rejects_approximate_and_wrong_networks():
    # a sigmoid network that is right within 0.1 away from the axes (Exercise 1.2's check)
    sigmoid_net = xor_sigmoid_two_hidden_layers()
    assert ch01._check_xor_outputs(*sigmoid_net, "test") is None
    with pytest.raises(CheckFailed, match="must be 'step'"):
        ch01.check_xor_network(sigmoid_net)
    # step hidden layers, sigmoid output: not exact
    params, _, _ = xor_step_network()
    with pytest.raises(CheckFailed, match="output activation must be 'step'"):
        ch01.check_xor_network((params, "step", "sigmoid"))
    # the wrong sign convention: 1 where the signs agree (XNOR)
    xnor = params[:-1] + [(-params[-1][0], -params[-1][1])]
    with pytest.raises(CheckFailed, match=r"exactly 0 there.* (\d+) of the \1 test"):
        ch01.check_xor_network((xnor, "step", "step"))
    # thresholds at 1/2 (the lecture's Boolean inputs) instead of 0
    shifted = [(np.eye(2), np.full(2, -0.5))] + params[1:]
    with pytest.raises(CheckFailed, match="test inputs are wrong"):
        ch01.check_xor_network((shifted, "step", "step"))
    # thresholds a hair off zero: wrong only next to the axes
    nudged = [(np.eye(2), np.full(2, 1e-12))] + params[1:]
    with pytest.raises(CheckFailed, match="test inputs are wrong"):
        ch01.check_xor_network((nudged, "step", "step"))
    # OR of the two signs instead of 'exactly one'
    or_net = [params[0], (np.eye(2), np.zeros(2)), (np.ones((2, 1)), np.array([-0.5]))]
    with pytest.raises(CheckFailed, match="exactly 0 there"):
        ch01.check_xor_network((or_net, "step", "step"))
    # outputs 0.999 instead of 1
    almost = params[:-1] + [(0.999 * np.ones((2, 1)), np.zeros(1))]
    with pytest.raises(CheckFailed, match=r"outputs 0\.999"):
        ch01.check_xor_network((almost, "step", "linear"))


def test_exact_xor_check_requires_two_hidden_layers():
    params, _, _ = xor_step_network()
    # one hidden layer: ReLUs and a step output are exact here, but not what is asked
    relu_params, _, _ = xor_one_hidden_layer()
    with pytest.raises(CheckFailed, match="must be 'step'"):
        ch01.check_xor_network((relu_params, "relu", "step"))
    with pytest.raises(CheckFailed, match="1 hidden layer "):
        ch01.check_xor_network(([params[0], params[2]], "step", "step"))
    extra = params[:2] + [(np.eye(2), np.zeros(2))] + params[2:]
    with pytest.raises(CheckFailed, match="3 hidden layers"):
        ch01.check_xor_network((extra, "step", "step"))
    with pytest.raises(CheckFailed, match="one output neuron"):
        ch01.check_xor_network(
            (params[:2] + [(np.ones((2, 2)), np.zeros(2))], "step", "step")
        )
    with pytest.raises(CheckFailed, match="cannot be evaluated"):
        ch01.check_xor_network(
            (params[:2] + [(np.ones((3, 1)), np.zeros(1))], "step", "step")
        )
    with pytest.raises(CheckFailed, match="hidden activation"):
        ch01.check_xor_network((params, "softmax", "step"))
    with pytest.raises(CheckFailed, match="triple"):
        ch01.check_xor_network(params)


def test_exact_xor_check_never_shows_weights():
    params, _, _ = xor_step_network()
    xnor = params[:-1] + [(-params[-1][0], -params[-1][1])]
    with pytest.raises(CheckFailed) as info:
        ch01.check_xor_network((xnor, "step", "step"))
    message = str(info.value)
    assert "W" not in message.replace("Wrong", "") and "bias" not in message


def test_one_hidden_layer_check():
    assert ch01.check_xor_one_hidden_layer(xor_one_hidden_layer())
    with pytest.raises(CheckFailed, match="2 hidden layers"):
        ch01.check_xor_one_hidden_layer(xor_sigmoid_two_hidden_layers())
    (W1, b1), (W2, b2) = xor_one_hidden_layer()[0]
    with pytest.raises(CheckFailed, match="should be close to"):  # 1 - XOR
        ch01.check_xor_one_hidden_layer(([(W1, b1), (-W2, -b2)], "relu", "sigmoid"))
    with pytest.raises(CheckFailed, match=r"within 0\.1"):  # right signs, too soft
        ch01.check_xor_one_hidden_layer(([(W1, b1), (W2 / 10, b2)], "relu", "sigmoid"))


def test_xor_checks_let_a_stub_raise():
    with pytest.raises(NotImplementedError):
        ch01.check_xor_network(stub())
    with pytest.raises(NotImplementedError):
        ch01.check_xor_one_hidden_layer(stub())


# --------------------------------------------------------------------------- Exercise 1.3


def test_outputs_after_layers_check():
    assert ch01.check_outputs_after_layers(outputs_after_layers)

    def without_last_tanh(params, X, layers):
        W_out, b_out = params[-1]
        rows = []
        for n in layers:
            a = X
            for l, (W, b) in enumerate(params[:n], start=1):
                z = a @ W + b
                a = z if l == n else np.tanh(z)
            rows.append((a @ W_out + b_out)[:, 0])
        return np.array(rows)

    with pytest.raises(CheckFailed, match="differs from the expected"):
        ch01.check_outputs_after_layers(without_last_tanh)

    def off_by_one(params, X, layers):
        return outputs_after_layers(
            params, X, [min(n + 1, len(params) - 1) for n in layers]
        )

    with pytest.raises(CheckFailed, match="for n = 1"):
        ch01.check_outputs_after_layers(off_by_one)

    def transposed(params, X, layers):
        return outputs_after_layers(params, X, layers).T

    with pytest.raises(CheckFailed, match="shape"):
        ch01.check_outputs_after_layers(transposed)
    with pytest.raises(NotImplementedError):
        ch01.check_outputs_after_layers(stub)


# --------------------------------------------------------------------------- Exercises 1.4 and 1.5


def test_reference_roughness_known_values():
    assert ch01._reference_roughness(np.full((4, 4), 2.0)) == 0.0
    checkerboard = np.where(
        np.add.outer(np.arange(6), np.arange(6)) % 2 == 0, 1.0, -1.0
    )
    assert ch01._reference_roughness(checkerboard) == pytest.approx(2.0)
    ramp = np.tile(np.arange(9.0), (6, 1))  # F[i, j] = j: (1 + 0) / (4 (9^2 - 1) / 12)
    assert ch01._reference_roughness(ramp) == pytest.approx(3 / (9**2 - 1))
    noise = np.random.default_rng(0).standard_normal((200, 200))
    assert ch01._reference_roughness(noise) == pytest.approx(1.0, abs=0.02)


def test_roughness_check():
    assert ch01.check_roughness(roughness)

    def only_horizontal(image):
        F = np.asarray(image, dtype=float)
        return np.mean(np.diff(F, axis=1) ** 2) / (2 * F.var() + 1e-12)

    with pytest.raises(CheckFailed, match="ramp"):
        ch01.check_roughness(only_horizontal)

    def no_constant_case(image):
        F = np.asarray(image, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (
                np.mean(np.diff(F, axis=1) ** 2) + np.mean(np.diff(F, axis=0) ** 2)
            ) / (4 * F.var())

    with pytest.raises(CheckFailed, match="constant image 0"):
        ch01.check_roughness(no_constant_case)

    def sample_variance(image):  # ddof=1 instead of the population variance
        F = np.asarray(image, dtype=float)
        d2 = np.mean(np.diff(F, axis=1) ** 2) + np.mean(np.diff(F, axis=0) ** 2)
        return d2 / (4 * F.var(ddof=1) + 1e-12)

    with pytest.raises(CheckFailed, match="it should be"):
        ch01.check_roughness(sample_variance)

    def per_pixel(image):
        return np.zeros(np.shape(image))

    with pytest.raises(CheckFailed, match="one number"):
        ch01.check_roughness(per_pixel)
    with pytest.raises(NotImplementedError):
        ch01.check_roughness(stub)


def test_roughness_transition_check():
    assert ch01.check_roughness_transition(roughness_curve)

    def wrong_scale(
        sigmas_w, n_layers, rng, **kwargs
    ):  # weights ~ sigma_w / n_in: ordered always
        return roughness_curve(
            [s / np.sqrt(30) for s in sigmas_w], n_layers, rng, **kwargs
        )

    with pytest.raises(CheckFailed, match="chaotic"):
        ch01.check_roughness_transition(wrong_scale)

    def float32_without_eps(
        sigmas_w, n_layers, rng, **kwargs
    ):  # rounding noise counts as rough
        return np.array([0.6, 0.9])

    with pytest.raises(CheckFailed, match="ordered phase"):
        ch01.check_roughness_transition(float32_without_eps)

    def without_tanh(
        sigmas_w, n_layers, rng, **kwargs
    ):  # a linear network: always smooth
        return np.array([0.0, 0.01])

    with pytest.raises(CheckFailed, match="above 0.3"):
        ch01.check_roughness_transition(without_tanh)
    with pytest.raises(CheckFailed, match=r"shape \(2,\)"):
        ch01.check_roughness_transition(lambda sigmas_w, n_layers, rng: np.zeros(3))
    with pytest.raises(NotImplementedError):
        ch01.check_roughness_transition(stub)


# --------------------------------------------------------------------------- Exercise 1.6


def test_relu_interpolant_check():
    assert ch01.check_relu_interpolant(relu_interpolant)

    def one_neuron_per_knot(knots, values):  # right function, one neuron too many
        (W1, b1), (W2, b2) = relu_interpolant(knots, values)
        return [
            (np.hstack([W1, [[1.0]]]), np.append(b1, -knots[-1])),
            (np.vstack([W2, [[0.0]]]), b2),
        ]

    with pytest.raises(CheckFailed, match="suffice"):
        ch01.check_relu_interpolant(one_neuron_per_knot)

    def slopes_not_differences(knots, values):  # forgets that the slope changes add up
        slopes = np.diff(values) / np.diff(knots)
        return [
            (np.ones((1, len(slopes))), -knots[:-1]),
            (slopes[:, None], np.array([values[0]])),
        ]

    with pytest.raises(CheckFailed, match="the piecewise linear interpolation there"):
        ch01.check_relu_interpolant(slopes_not_differences)
    with pytest.raises(CheckFailed, match="one hidden layer"):
        ch01.check_relu_interpolant(
            lambda knots, values: relu_interpolant(knots, values)[:1]
        )
    with pytest.raises(NotImplementedError):
        ch01.check_relu_interpolant(stub)
