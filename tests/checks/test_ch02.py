"""Tests of the chapter 2 self-checks: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest

from ml4phys.checks import CheckFailed, ch02
from ml4phys.nn import numpy_net


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 2.x")


# --- Exercise 2.1 -----------------------------------------------------------------------------


def backward_2layer(params, X, y, factor_b1=1.0, scale=1.0):
    """Right answer (and, with factor_b1 or scale, wrong ones)."""
    z1 = X @ params["W1"] + params["b1"]
    h = 1 / (1 + np.exp(-z1))
    y_hat = h @ params["W2"] + params["b2"]
    delta2 = scale * (y_hat - y) / len(X)
    delta1 = (delta2 @ params["W2"].T) * h * (1 - h)
    return {
        "W1": X.T @ delta1,
        "b1": factor_b1 * delta1.sum(axis=0),
        "W2": h.T @ delta2,
        "b2": delta2.sum(axis=0),
    }


def test_backward_2layer_right_answer_passes(capsys):
    assert ch02.check_backward_2layer(backward_2layer)
    assert "Correct" in capsys.readouterr().out


def test_backward_2layer_without_batch_average_fails():
    with pytest.raises(CheckFailed, match="proportional"):
        ch02.check_backward_2layer(
            lambda p, X, y: backward_2layer(p, X, y, scale=len(X))
        )


def test_backward_2layer_wrong_bias_gradient_fails():
    with pytest.raises(CheckFailed, match="dC/db1"):
        ch02.check_backward_2layer(
            lambda p, X, y: backward_2layer(p, X, y, factor_b1=0.0)
        )


def test_backward_2layer_missing_key_fails():
    def incomplete(p, X, y):
        grads = backward_2layer(p, X, y)
        del grads["b2"]
        return grads

    with pytest.raises(CheckFailed, match="lacks"):
        ch02.check_backward_2layer(incomplete)


def test_backward_2layer_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch02.check_backward_2layer(stub)


# --- Exercise 2.2 -----------------------------------------------------------------------------


def train_mlp(
    target_fn,
    activation,
    rng,
    layer_sizes=(2, 32, 32, 1),
    n_steps=2000,
    batch_size=32,
    lr=0.1,
    weight_scale=1.0,
    use_activation=None,
):
    params = numpy_net.init_params(layer_sizes, rng, weight_scale=weight_scale)
    losses = []
    for _ in range(n_steps):
        X = rng.uniform(-1, 1, size=(batch_size, 2))
        loss, grads = numpy_net.backprop(
            params, X, target_fn(X), activation=use_activation or activation
        )
        params = numpy_net.sgd_step(params, grads, lr)
        losses.append(loss)
    return params, losses


def test_train_mlp_right_answer_passes(capsys):
    assert ch02.check_train_mlp(train_mlp)
    assert "Correct" in capsys.readouterr().out


def test_train_mlp_ignoring_the_activation_fails():
    with pytest.raises(CheckFailed, match="variance"):
        ch02.check_train_mlp(
            lambda *a, **k: train_mlp(*a, **k, use_activation="sigmoid")
        )


def test_train_mlp_that_barely_learns_fails():
    with pytest.raises(CheckFailed):
        ch02.check_train_mlp(
            lambda f, act, rng, **k: train_mlp(f, act, rng, **{**k, "lr": 1e-4})
        )


def test_train_mlp_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch02.check_train_mlp(stub)


# --- Exercise 2.3 -----------------------------------------------------------------------------


def simulate_sgd_slope(
    w0, w_target, lr, batch_size, n_steps, n_runs, rng, sigma_x=1.0, reduce=np.mean
):
    w = np.full(n_runs, float(w0))
    paths = [w]
    for _ in range(n_steps):
        x = sigma_x * rng.normal(size=(n_runs, batch_size))
        w = w - lr * (w - w_target) * reduce(x**2, axis=1)
        paths.append(w)
    return np.stack(paths, axis=1)


def analytic_mean_var(w0, w_target, lr, batch_size, n_steps, sigma_x=1.0, b_factor=2.0):
    t = np.arange(n_steps + 1)
    s2 = sigma_x**2
    m = 1 - lr * s2
    mean = w_target + (w0 - w_target) * m**t
    var = (w0 - w_target) ** 2 * (
        (m**2 + b_factor * lr**2 * s2**2 / batch_size) ** t - m ** (2 * t)
    )
    return mean, var


def test_sgd_slope_right_answer_passes(capsys):
    assert ch02.check_sgd_slope(simulate_sgd_slope, analytic_mean_var)
    assert "Correct" in capsys.readouterr().out


def test_sgd_slope_wrong_variance_formula_fails():
    with pytest.raises(CheckFailed, match="analytic variance"):
        ch02.check_sgd_slope(
            simulate_sgd_slope, lambda *a, **k: analytic_mean_var(*a, **k, b_factor=1.0)
        )


def test_sgd_slope_summed_gradient_fails():
    with pytest.raises(CheckFailed, match="mean"):
        ch02.check_sgd_slope(
            lambda *a, **k: simulate_sgd_slope(*a, **k, reduce=np.sum),
            analytic_mean_var,
        )


def test_sgd_slope_one_batch_for_all_runs_fails():
    def shared_batches(w0, w_target, lr, batch_size, n_steps, n_runs, rng, sigma_x=1.0):
        w = np.full(n_runs, float(w0))
        paths = [w]
        for _ in range(n_steps):
            x = sigma_x * rng.normal(size=batch_size)  # the same batch for every run
            w = w - lr * (w - w_target) * np.mean(x**2)
            paths.append(w)
        return np.stack(paths, axis=1)

    with pytest.raises(CheckFailed):
        ch02.check_sgd_slope(shared_batches, analytic_mean_var)


def test_sgd_slope_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch02.check_sgd_slope(stub, analytic_mean_var)
    with pytest.raises(NotImplementedError):
        ch02.check_sgd_slope(simulate_sgd_slope, stub)


# --- Exercise 2.4 -----------------------------------------------------------------------------


def _grad(w, x, y):
    phase = w[:, None] * x
    return np.mean((np.sin(phase) - y) * np.cos(phase) * x, axis=-1)


def run_gd(w0, x, y, lr, n_steps):
    w = np.array(w0, dtype=float)
    for _ in range(n_steps):
        w = w - lr * _grad(w, x, y)
    return w


def run_sgd(w0, x, y, lr, n_steps, batch_size, rng, shared=False, replace=True):
    w = np.array(w0, dtype=float)
    for _ in range(n_steps):
        if shared:
            idx = np.broadcast_to(
                rng.integers(0, len(x), size=batch_size), (len(w), batch_size)
            )
        elif replace:
            idx = rng.integers(0, len(x), size=(len(w), batch_size))
        else:
            idx = np.argsort(rng.random((len(w), len(x))), axis=1)[:, :batch_size]
        w = w - lr * _grad(w, x[idx], y[idx])
    return w


def test_sine_fit_right_answer_passes(capsys):
    assert ch02.check_sine_fit(run_gd, run_sgd)
    assert "Correct" in capsys.readouterr().out


def test_sine_fit_without_replacement_passes():
    assert ch02.check_sine_fit(run_gd, lambda *a: run_sgd(*a, replace=False))


def test_sine_fit_gd_without_average_fails():
    with pytest.raises(CheckFailed, match="run_gd"):
        ch02.check_sine_fit(
            lambda w0, x, y, lr, n: run_gd(w0, x, y, lr * len(x), n), run_sgd
        )


def test_sine_fit_shared_batches_fail():
    with pytest.raises(CheckFailed):
        ch02.check_sine_fit(run_gd, lambda *a: run_sgd(*a, shared=True))


def test_sine_fit_sgd_with_full_gradient_fails():
    with pytest.raises(CheckFailed, match="var"):
        ch02.check_sine_fit(
            run_gd, lambda w0, x, y, lr, n, bs, rng: run_gd(w0, x, y, lr, n)
        )


def test_sine_fit_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch02.check_sine_fit(stub, run_sgd)
    with pytest.raises(NotImplementedError):
        ch02.check_sine_fit(run_gd, stub)


# --- Exercise 2.5 -----------------------------------------------------------------------------


def lorentzian_grad(theta, x, y, factor_1=1.0, reduce=np.mean):
    """Right answer (and, with factor_1 or reduce, the common slips)."""
    denominator = (x - theta[1]) ** 2 + 1
    residual = theta[0] / denominator - y
    return np.array(
        [
            reduce(residual / denominator),
            reduce(
                residual * factor_1 * 2 * theta[0] * (x - theta[1]) / denominator**2
            ),
        ]
    )


def fit_lorentzian(
    sample_batch, theta_start, lr, batch_size, n_steps, rng, grad=lorentzian_grad
):
    theta = np.array(theta_start, dtype=float)
    path = [theta]
    for _ in range(n_steps):
        x, y = sample_batch(batch_size, rng)
        theta = theta - lr * grad(theta, x, y)
        path.append(theta)
    return np.array(path)


def _lorentzian_cost(theta, x, y):
    return 0.5 * np.mean((theta[0] / ((x - theta[1]) ** 2 + 1) - y) ** 2)


def test_reference_lorentzian_gradient_matches_finite_differences_and_autograd():
    rng = np.random.default_rng(0)
    eps = 1e-6
    for batch_size in (1, 4, 32):
        theta = np.array([rng.uniform(-3, 3), rng.uniform(-4, 4)])
        x = rng.uniform(-5, 5, size=batch_size)
        y = rng.normal(size=batch_size)
        fd = np.array(
            [
                (
                    _lorentzian_cost(theta + eps * e, x, y)
                    - _lorentzian_cost(theta - eps * e, x, y)
                )
                / (2 * eps)
                for e in np.eye(2)
            ]
        )
        reference = ch02._lorentzian_grad(theta, x, y)
        np.testing.assert_allclose(reference, fd, rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(
            ch02._lorentzian_grad_autograd(theta, x, y),
            reference,
            rtol=1e-12,
            atol=1e-15,
        )
    # vectorised over parameter pairs and batches
    thetas = rng.normal(size=(5, 2))
    xs, ys = rng.uniform(-5, 5, size=(5, 7)), rng.normal(size=(5, 7))
    stacked = ch02._lorentzian_grad(thetas, xs, ys)
    assert stacked.shape == (5, 2)
    for k in range(5):
        np.testing.assert_allclose(
            stacked[k],
            ch02._lorentzian_grad_autograd(thetas[k], xs[k], ys[k]),
            rtol=1e-12,
        )


def test_lorentzian_grad_right_answer_passes(capsys):
    assert ch02.check_lorentzian_grad(lorentzian_grad)
    assert "Correct" in capsys.readouterr().out


def test_lorentzian_grad_torch_answer_passes():
    import torch

    def with_autograd(theta, x, y):
        t = torch.tensor(theta, requires_grad=True)
        cost = 0.5 * torch.mean(
            (t[0] / ((torch.tensor(x) - t[1]) ** 2 + 1) - torch.tensor(y)) ** 2
        )
        cost.backward()
        return t.grad

    assert ch02.check_lorentzian_grad(with_autograd)


@pytest.mark.parametrize(
    ("slip", "match"),
    [
        ({"factor_1": -1.0}, "opposite sign"),
        ({"factor_1": 0.5}, "constant factor"),
        ({"factor_1": 2.0}, "constant factor"),
        ({"reduce": np.sum}, "average over the batch"),
    ],
)
def test_lorentzian_grad_slips_fail(slip, match):
    with pytest.raises(CheckFailed, match=match):
        ch02.check_lorentzian_grad(
            lambda theta, x, y: lorentzian_grad(theta, x, y, **slip)
        )


def test_lorentzian_grad_other_wrong_answers_fail():
    def without_amplitude(theta, x, y):  # d f / d theta_1 without the factor theta_0
        g = lorentzian_grad(theta, x, y)
        return np.array([g[0], g[1] / theta[0]])

    with pytest.raises(CheckFailed, match="dC/dtheta_1"):
        ch02.check_lorentzian_grad(without_amplitude)
    with pytest.raises(CheckFailed, match="shape"):
        ch02.check_lorentzian_grad(lambda theta, x, y: lorentzian_grad(theta, x, y)[:1])

    def changes_theta(theta, x, y):
        g = lorentzian_grad(theta, x, y)
        theta -= 0.1 * g
        return g

    with pytest.raises(CheckFailed, match="unchanged"):
        ch02.check_lorentzian_grad(changes_theta)


def test_lorentzian_grad_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch02.check_lorentzian_grad(stub)


def test_lorentzian_fit_right_answer_passes(capsys):
    assert ch02.check_lorentzian_fit(fit_lorentzian)
    assert "Correct" in capsys.readouterr().out


def test_lorentzian_fit_wrong_gradients_fail():
    for grad in (
        lambda theta, x, y: lorentzian_grad(theta, x, y, factor_1=-1.0),
        lambda theta, x, y: lorentzian_grad(theta, x, y, factor_1=0.5),
        lambda theta, x, y: -lorentzian_grad(theta, x, y),  # ascent
    ):
        with pytest.raises(CheckFailed, match="step 1"):
            ch02.check_lorentzian_fit(
                lambda *args, g=grad: fit_lorentzian(*args, grad=g)
            )


def test_lorentzian_fit_one_batch_for_all_steps_fails():
    def one_batch(sample_batch, theta_start, lr, batch_size, n_steps, rng):
        x, y = sample_batch(batch_size, rng)
        return fit_lorentzian(
            lambda b, r: (x, y), theta_start, lr, batch_size, n_steps, rng
        )

    with pytest.raises(CheckFailed, match="fresh mini-batch"):
        ch02.check_lorentzian_fit(one_batch)


def test_lorentzian_fit_wrong_path_shapes_fail():
    with pytest.raises(CheckFailed, match="shape"):
        ch02.check_lorentzian_fit(lambda *args: fit_lorentzian(*args)[-1])
    with pytest.raises(CheckFailed, match="shape"):
        ch02.check_lorentzian_fit(lambda *args: fit_lorentzian(*args)[1:])


def test_lorentzian_fit_far_from_the_truth_fails_without_revealing_it(monkeypatch):
    monkeypatch.setattr(ch02, "_lorentz_standard_errors", lambda n: np.full(2, 1e-9))
    with pytest.raises(CheckFailed, match="five standard errors") as info:
        ch02.check_lorentzian_fit(fit_lorentzian)
    message = str(info.value)
    for value in ch02._LORENTZ_CHECK_THETA:
        assert f"{value:.1f}" not in message and f"{value:.2f}" not in message


def test_lorentzian_fit_stub_propagates():
    with pytest.raises(NotImplementedError):
        ch02.check_lorentzian_fit(stub)
