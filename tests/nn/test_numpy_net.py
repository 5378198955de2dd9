"""Tests of ml4phys.nn.numpy_net against finite differences and PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from ml4phys.nn import numpy_net as nn

LAYER_SIZES = [3, 5, 4, 3]
BATCH_SIZE = 6

# Every supported (output activation, loss) pair, combined with every hidden activation below.
OUTPUT_LOSS_PAIRS = [(out, loss) for loss, outs in nn.LOSSES.items() for out in outs]
COMBINATIONS = list(itertools.product(nn.HIDDEN_ACTIVATIONS, OUTPUT_LOSS_PAIRS))
# torch's heaviside has no derivative: the step is compared with autograd only where it is absent
SMOOTH_COMBINATIONS = [
    (act, (out, loss)) for act, (out, loss) in COMBINATIONS if "step" not in (act, out)
]


class _TorchStep(torch.nn.Module):
    """The Heaviside step with the value 0 at z = 0, forward only."""

    def forward(self, z):
        return torch.heaviside(z, torch.zeros((), dtype=z.dtype))


TORCH_ACTIVATIONS = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "linear": torch.nn.Identity,
    "step": _TorchStep,
    "softmax": lambda: torch.nn.Softmax(dim=-1),
}


def _problem(seed: int, loss: str, layer_sizes=LAYER_SIZES, batch_size=BATCH_SIZE):
    """Random parameters (with nonzero biases), inputs and targets suitable for ``loss``."""
    rng = np.random.default_rng(seed)
    params = nn.init_params(layer_sizes, rng, weight_scale=1.5, bias_scale=0.5)
    X = rng.normal(size=(batch_size, layer_sizes[0]))
    n_out = layer_sizes[-1]
    if loss == "mse":
        y = rng.normal(size=(batch_size, n_out))
    elif loss == "bce":
        y = rng.integers(0, 2, size=(batch_size, n_out)).astype(float)
    else:
        y = np.eye(n_out)[rng.integers(0, n_out, size=batch_size)]
    return params, X, y


def _torch_net(params, activation, output_activation):
    """The same network as ``params`` built from torch layers, in float64."""
    layers = []
    for l, (W, b) in enumerate(params, start=1):
        linear = torch.nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T))  # torch stores (n_out, n_in)
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        name = output_activation if l == len(params) else activation
        layers.append(TORCH_ACTIVATIONS[name]())
    return torch.nn.Sequential(*layers)


def _torch_loss(net, X, y, loss):
    """The module's cost functions written with torch (logits taken before the last activation)."""
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    if loss == "mse":
        return ((net(X_t) - y_t) ** 2).sum() / (2 * len(X))
    logits = net[:-1](X_t)
    if loss == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y_t, reduction="sum"
        ) / len(X)
    return torch.nn.functional.cross_entropy(logits, y_t.argmax(dim=1))


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_elementwise_derivatives_match_finite_differences(name):
    f, df = nn.ACTIVATIONS[name]
    z = np.random.default_rng(0).normal(size=50) * 3
    eps = 1e-6
    np.testing.assert_allclose(df(z), (f(z + eps) - f(z - eps)) / (2 * eps), atol=1e-8)


def test_step_matches_numpy_heaviside_and_torch():
    z = np.concatenate([np.random.default_rng(4).normal(size=40), [0.0, -0.0, 5e-324]])
    expected = np.heaviside(z, 0.0)
    np.testing.assert_array_equal(nn.step(z), expected)
    np.testing.assert_array_equal(
        nn.step(z),
        torch.heaviside(
            torch.from_numpy(z), torch.tensor(0.0, dtype=torch.float64)
        ).numpy(),
    )
    assert nn.step(0.0) == 0.0 and nn.step(5e-324) == 1.0 and nn.step(-5e-324) == 0.0


def test_step_keeps_the_float_dtype_and_nan():
    assert nn.step(np.array([1.0, -1.0], dtype=np.float32)).dtype == np.float32
    assert nn.step(np.array([3, 0, -2])).dtype == np.float64
    np.testing.assert_array_equal(nn.step(np.array([3, 0, -2])), [1.0, 0.0, 0.0])
    assert np.isnan(nn.step(np.array([np.nan]))[0])


def test_step_rejects_non_real_input():
    with pytest.raises(TypeError, match="real numbers"):
        nn.step(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="real numbers"):
        nn.step(np.array(["a"]))


def test_step_derivative_is_zero_and_matches_finite_differences():
    f, df = nn.ACTIVATIONS["step"]
    z = np.random.default_rng(5).normal(size=50) * 3  # no entry within eps of the jump
    eps = 1e-6
    np.testing.assert_array_equal(df(z), np.zeros(50))
    np.testing.assert_array_equal((f(z + eps) - f(z - eps)) / (2 * eps), np.zeros(50))


def test_step_network_computes_exact_logic_and_has_zero_gradient():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    and_neuron = [(np.array([[1.0], [1.0]]), np.array([-1.5]))]
    y_hat = nn.forward(and_neuron, X, "step", "step")
    np.testing.assert_array_equal(y_hat[:, 0], [0.0, 0.0, 0.0, 1.0])
    # an OR neuron trained towards AND: positive cost, but every gradient is exactly zero
    or_neuron = [(np.array([[1.0], [1.0]]), np.array([-0.5]))]
    C, grads = nn.backprop(or_neuron, X, y_hat, "step", "step", "mse")
    assert C == pytest.approx(2 / 8)
    for dW, db in grads:
        assert not np.any(dW) and not np.any(db)
    xor = [
        (np.eye(2), np.full(2, -0.5)),
        (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.full(2, -0.5)),
        (np.ones((2, 1)), np.array([-0.5])),
    ]
    _, grads = nn.backprop(xor, X, 1 - y_hat, "step", "step", "mse")
    assert all(not np.any(dW) and not np.any(db) for dW, db in grads)


def test_activations_match_torch():
    z = np.random.default_rng(1).normal(size=(7, 4)) * 5
    z_t = torch.from_numpy(z)
    np.testing.assert_allclose(nn.sigmoid(z), torch.sigmoid(z_t).numpy(), rtol=1e-12)
    np.testing.assert_allclose(nn.tanh(z), torch.tanh(z_t).numpy(), rtol=1e-12)
    np.testing.assert_allclose(nn.relu(z), torch.relu(z_t).numpy())
    np.testing.assert_allclose(
        nn.softmax(z), torch.softmax(z_t, dim=-1).numpy(), rtol=1e-12
    )


def test_sigmoid_and_softmax_are_stable_for_huge_inputs():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    with np.errstate(
        over="raise", invalid="raise", divide="raise"
    ):  # underflow to 0 is fine
        s = nn.sigmoid(z)
        p = nn.softmax(z)
    np.testing.assert_allclose(s, [[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(p, [[0.0, 0.0, 1.0]])
    assert np.all(np.isfinite(nn.sigmoid_prime(z)))


def test_softmax_jacobian_matches_finite_differences():
    z = np.random.default_rng(2).normal(size=(3, 4))
    jac = nn.softmax_jacobian(z)  # (3, 4, 4), [k, i, j] = d a_i / d z_j
    eps = 1e-6
    for j in range(4):
        dz = np.zeros(4)
        dz[j] = eps
        column = (nn.softmax(z + dz) - nn.softmax(z - dz)) / (2 * eps)  # (3, 4)
        np.testing.assert_allclose(jac[:, :, j], column, atol=1e-9)


def test_stable_cross_entropies_match_torch_for_extreme_logits():
    z = np.array([[-800.0, 3.0], [700.0, -2.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    bce = nn.binary_cross_entropy(z, y)
    bce_t = (
        torch.nn.functional.binary_cross_entropy_with_logits(
            torch.from_numpy(z), torch.from_numpy(y), reduction="sum"
        )
        / 2
    )
    assert bce == pytest.approx(bce_t.item(), rel=1e-12)
    ce = nn.cross_entropy(z, y)
    ce_t = torch.nn.functional.cross_entropy(torch.from_numpy(z), torch.tensor([0, 1]))
    assert np.isfinite(ce) and ce == pytest.approx(ce_t.item(), rel=1e-12)


# --------------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------------


def test_init_params_shapes_and_spread():
    rng = np.random.default_rng(3)
    params = nn.init_params([400, 300, 2], rng, weight_scale=2.0)
    assert [(W.shape, b.shape) for W, b in params] == [
        ((400, 300), (300,)),
        ((300, 2), (2,)),
    ]
    assert params[0][0].std() == pytest.approx(2.0 / np.sqrt(400), rel=0.02)
    assert np.all(params[0][1] == 0)
    params_b = nn.init_params([400, 300], np.random.default_rng(3), bias_scale=0.7)
    assert params_b[0][1].std() == pytest.approx(0.7, rel=0.2)


def test_init_params_is_reproducible():
    a = nn.init_params([2, 3, 1], np.random.default_rng(5), bias_scale=1.0)
    b = nn.init_params([2, 3, 1], np.random.default_rng(5), bias_scale=1.0)
    for (Wa, ba), (Wb, bb) in zip(a, b):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)


@pytest.mark.parametrize("activation", nn.HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output_activation", nn.OUTPUT_ACTIVATIONS)
def test_forward_matches_torch_sequential(activation, output_activation):
    params, X, _ = _problem(10, "mse")
    y_hat = nn.forward(params, X, activation, output_activation)
    net = _torch_net(params, activation, output_activation)
    with torch.no_grad():
        expected = net(torch.from_numpy(X)).numpy()
    assert y_hat.shape == (BATCH_SIZE, LAYER_SIZES[-1])
    np.testing.assert_allclose(y_hat, expected, rtol=1e-10, atol=1e-12)


def test_forward_of_a_batch_equals_stacked_single_samples():
    params, X, _ = _problem(11, "mse")
    batch = nn.forward(params, X, "tanh", "softmax")
    rows = np.stack(
        [nn.forward(params, X[i : i + 1], "tanh", "softmax")[0] for i in range(len(X))]
    )
    singles = np.stack(
        [nn.forward(params, x, "tanh", "softmax") for x in X]
    )  # 1-d inputs
    np.testing.assert_allclose(batch, rows, rtol=1e-12)
    np.testing.assert_allclose(batch, singles, rtol=1e-12)
    assert singles.shape == batch.shape


def test_forward_cache_holds_every_layer():
    params, X, _ = _problem(12, "mse")
    y_hat, cache = nn.forward(params, X, "relu", "linear", return_cache=True)
    assert cache.z[0] is None and len(cache.z) == len(cache.a) == len(params) + 1
    np.testing.assert_array_equal(cache.a[0], X)
    np.testing.assert_array_equal(cache.a[-1], y_hat)
    W1, b1 = params[0]
    np.testing.assert_allclose(cache.z[1], X @ W1 + b1)
    np.testing.assert_allclose(cache.a[1], np.maximum(cache.z[1], 0))


def test_hand_wired_and_gate():
    # One sigmoid neuron with large weights computes AND of two bits.
    params = [(np.array([[20.0], [20.0]]), np.array([-30.0]))]
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])  # integer input is accepted
    y_hat = nn.forward(params, X, output_activation="sigmoid")
    np.testing.assert_array_equal(y_hat[:, 0] > 0.5, [False, False, False, True])


# --------------------------------------------------------------------------------------------
# Backpropagation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("activation", "out_loss"), COMBINATIONS, ids=lambda v: str(v))
def test_backprop_matches_finite_differences(activation, out_loss):
    output_activation, loss = out_loss
    params, X, y = _problem(20, loss)
    C, grads = nn.backprop(params, X, y, activation, output_activation, loss)
    assert C == pytest.approx(
        nn.compute_loss(params, X, y, activation, output_activation, loss), rel=1e-12
    )

    def cost(p):
        return nn.compute_loss(p, X, y, activation, output_activation, loss)

    numeric = nn.numerical_gradient(cost, params, eps=1e-6)
    for (dW, db), (nW, nb) in zip(grads, numeric):
        np.testing.assert_allclose(dW, nW, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(db, nb, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(
    ("activation", "out_loss"), SMOOTH_COMBINATIONS, ids=lambda v: str(v)
)
def test_backprop_matches_torch_autograd(activation, out_loss):
    output_activation, loss = out_loss
    params, X, y = _problem(21, loss, batch_size=16)
    C, grads = nn.backprop(params, X, y, activation, output_activation, loss)

    net = _torch_net(params, activation, output_activation)
    C_t = _torch_loss(net, X, y, loss)
    C_t.backward()
    assert C == pytest.approx(C_t.item(), rel=1e-10)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for (dW, db), linear in zip(grads, linears):
        np.testing.assert_allclose(
            dW, linear.weight.grad.numpy().T, rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(db, linear.bias.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_ce_accepts_integer_labels_and_bce_accepts_flat_targets():
    params, X, y_onehot = _problem(22, "ce")
    labels = y_onehot.argmax(axis=1)
    C1, g1 = nn.backprop(params, X, y_onehot, "tanh", "softmax", "ce")
    C2, g2 = nn.backprop(params, X, labels, "tanh", "softmax", "ce")
    assert C1 == C2
    np.testing.assert_array_equal(g1[0][0], g2[0][0])

    params, X, y = _problem(23, "bce", layer_sizes=[3, 4, 1])
    C3, _ = nn.backprop(params, X, y, "relu", "sigmoid", "bce")
    C4, _ = nn.backprop(params, X, y[:, 0], "relu", "sigmoid", "bce")
    assert C3 == C4


def test_mse_normalisation():
    # Zero network output: C = 1/(2B) sum y^2.
    params = [(np.zeros((2, 3)), np.zeros(3))]
    X = np.ones((4, 2))
    y = np.arange(12.0).reshape(4, 3)
    assert nn.compute_loss(params, X, y, output_activation="linear") == pytest.approx(
        np.sum(y**2) / 8
    )


def test_numerical_gradient_leaves_params_unchanged():
    params, X, y = _problem(24, "mse")
    copies = [(W.copy(), b.copy()) for W, b in params]
    nn.numerical_gradient(lambda p: nn.compute_loss(p, X, y), params)
    for (W, b), (Wc, bc) in zip(params, copies):
        np.testing.assert_array_equal(W, Wc)
        np.testing.assert_array_equal(b, bc)


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def test_sgd_step_reduces_the_loss_on_a_regression():
    rng = np.random.default_rng(30)
    X = rng.uniform(-1, 1, size=(64, 1))
    y = np.sin(2 * X)
    params = nn.init_params([1, 10, 1], rng)
    losses = []
    for _ in range(200):
        C, grads = nn.backprop(params, X, y, "tanh", "linear", "mse")
        new_params = nn.sgd_step(params, grads, lr=0.2)
        assert new_params is not params and new_params[0][0] is not params[0][0]
        params = new_params
        losses.append(C)
    assert losses[1] < losses[0]
    assert losses[-1] < 0.1 * losses[0]


def test_sgd_step_is_a_plain_gradient_step():
    params = [(np.ones((2, 1)), np.zeros(1))]
    grads = [(np.full((2, 1), 2.0), np.array([4.0]))]
    new = nn.sgd_step(params, grads, lr=0.5)
    np.testing.assert_array_equal(new[0][0], [[0.0], [0.0]])
    np.testing.assert_array_equal(new[0][1], [-2.0])
    np.testing.assert_array_equal(params[0][0], [[1.0], [1.0]])  # unchanged


def test_xor_training_reaches_full_accuracy():
    rng = np.random.default_rng(31)
    corners = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)
    labels = np.array([0, 1, 0, 1], dtype=float)  # 1 in the 2nd and 4th quadrant
    idx = rng.integers(0, 4, size=200)
    X = corners[idx] + 0.15 * rng.normal(size=(200, 2))
    y = labels[idx]
    params = nn.init_params([2, 8, 1], rng, weight_scale=1.0)
    for _ in range(500):
        _, grads = nn.backprop(params, X, y, "tanh", "sigmoid", "bce")
        params = nn.sgd_step(params, grads, lr=1.0)
    y_hat = nn.forward(params, X, "tanh", "sigmoid")[:, 0]
    assert np.mean((y_hat > 0.5) == (y == 1)) == 1.0


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_unknown_names_list_the_valid_ones():
    params, X, y = _problem(40, "mse")
    with pytest.raises(ValueError, match="sigmoid, tanh, relu, linear"):
        nn.forward(params, X, activation="swish")
    with pytest.raises(ValueError, match="output layer only"):
        nn.forward(params, X, activation="softmax")
    with pytest.raises(ValueError, match="softmax"):
        nn.forward(params, X, output_activation="gelu")
    with pytest.raises(ValueError, match="mse, bce, ce"):
        nn.backprop(params, X, y, loss="hinge")
    with pytest.raises(ValueError, match="needs output_activation"):
        nn.backprop(params, X, y, output_activation="linear", loss="ce")
    with pytest.raises(ValueError, match="needs output_activation"):
        nn.compute_loss(params, X, y, output_activation="softmax", loss="bce")


def test_bad_shapes_raise():
    params, X, y = _problem(41, "mse")
    with pytest.raises(ValueError, match=r"shape \(batch, 3\)"):
        nn.forward(params, X[:, :2])
    with pytest.raises(ValueError, match="6 rows"):
        nn.backprop(params, X, y[:4])
    with pytest.raises(ValueError, match="shape"):
        nn.backprop(params, X, y[:, :2])
    with pytest.raises(ValueError, match="integer class labels"):
        nn.backprop(params, X, np.zeros(6), output_activation="softmax", loss="ce")
    with pytest.raises(ValueError, match="0..2"):
        nn.backprop(params, X, np.full(6, 3), output_activation="softmax", loss="ce")
    bad = [(np.ones((3, 5)), np.ones(5)), (np.ones((4, 2)), np.ones(2))]
    with pytest.raises(ValueError, match="layer 2"):
        nn.forward(bad, X)
    with pytest.raises(ValueError, match="b of shape"):
        nn.forward([(np.ones((3, 2)), np.ones(3))], X)
    with pytest.raises(TypeError, match="pair"):
        nn.forward([np.ones((3, 2))], X)
    with pytest.raises(TypeError, match="non-empty list"):
        nn.forward([], X)
    with pytest.raises(TypeError, match="real numbers"):
        nn.forward(params, np.array([["a", "b", "c"]]))


def test_bad_arguments_raise():
    params, _, _ = _problem(42, "mse")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        nn.init_params([2, 3], rng=0)
    with pytest.raises(ValueError, match="at least"):
        nn.init_params([2], np.random.default_rng(0))
    with pytest.raises(ValueError, match="positive integers"):
        nn.init_params([2, 0, 1], np.random.default_rng(0))
    with pytest.raises(ValueError, match="non-negative"):
        nn.init_params([2, 1], np.random.default_rng(0), weight_scale=-1.0)
    with pytest.raises(ValueError, match="lr"):
        nn.sgd_step(params, params, lr=0.0)
    with pytest.raises(ValueError, match="like params"):
        nn.sgd_step(params, params[:1], lr=0.1)
    with pytest.raises(ValueError, match="gradient shapes"):
        nn.sgd_step(params, [(W.T, b) for W, b in params], lr=0.1)
    with pytest.raises(ValueError, match="eps"):
        nn.numerical_gradient(lambda p: 0.0, params, eps=0)
    with pytest.raises(TypeError, match="callable"):
        nn.numerical_gradient(1.0, params)
