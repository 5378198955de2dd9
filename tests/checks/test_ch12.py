"""Tests of ml4phys.checks.ch12: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest
import torch

from ml4phys.checks import CheckFailed, ch12
from ml4phys.generative import gan, metrics


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 12.x")


# --------------------------------------------------------------------------- Exercise 12.1


def value_right(p, q, dx):
    total = np.where(p + q > 0, p + q, 1.0)
    a = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / total), 0.0)
    b = np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0) / total), 0.0)
    return float(np.sum(a + b) * dx)


def value_naive(p, q, dx):  # 0 log 0 = nan where a density vanishes
    with np.errstate(all="ignore"):
        return float(np.sum(p * np.log(p / (p + q)) + q * np.log(q / (p + q))) * dx)


def value_no_dx(p, q, dx):
    return value_right(p, q, 1.0)


def value_swapped(p, q, dx):  # D = p_g / (p_data + p_g) in the first term
    total = np.where(p + q > 0, p + q, 1.0)
    with np.errstate(all="ignore"):
        a = np.where(p > 0, p * np.log(np.where(q > 0, q, 1e-300) / total), 0.0)
        b = np.where(q > 0, q * np.log(np.where(p > 0, p, 1e-300) / total), 0.0)
    return float(np.sum(a + b) * dx)


def test_optimal_value_right():
    assert ch12.check_optimal_value(value_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        value_naive,
        value_no_dx,
        value_swapped,
        lambda p, q, dx: -np.log(4),
        lambda p, q, dx: np.array([1.0, 2.0]),
    ],
)
def test_optimal_value_wrong(answer):
    with pytest.raises(CheckFailed):
        ch12.check_optimal_value(answer)


def test_optimal_value_names_zero_log_zero_when_the_value_is_nan():
    with pytest.raises(CheckFailed, match="t log t"):
        ch12.check_optimal_value(value_naive)


def test_optimal_value_stub():
    with pytest.raises(NotImplementedError):
        ch12.check_optimal_value(stub)


# --------------------------------------------------------------------------- Exercise 12.2


def gradients_right(d):
    return -d, d - 1


def test_logit_gradients_right():
    assert ch12.check_logit_gradients(gradients_right) is True
    assert ch12.check_logit_gradients(lambda d: [torch.tensor(-d), d - 1]) is True


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda d: (d, 1 - d), "wrong sign"),
        (lambda d: (d - 1, -d), "differs"),  # swapped
        (lambda d: (-d * (1 - d), -d * (1 - d)), "differs"),  # dD/da, not the loss
        (lambda d: (-d,), "pair"),
        (lambda d: (-d[:3], d - 1), "shape"),
    ],
)
def test_logit_gradients_wrong(answer, message):
    with pytest.raises(CheckFailed, match=message):
        ch12.check_logit_gradients(answer)


def test_logit_gradients_stub():
    with pytest.raises(NotImplementedError):
        ch12.check_logit_gradients(stub)


# --------------------------------------------------------------------------- Exercise 12.3


def penalty_right(critic, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return torch.relu(grad.norm(dim=1) - 1).pow(2).mean()


def penalty_two_sided(critic, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return (grad.norm(dim=1) - 1).pow(2).mean()


def penalty_no_graph(critic, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return torch.relu(grad.norm(dim=1) - 1).pow(2).mean()


def penalty_global_norm(critic, x):  # one norm over the whole batch
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return torch.relu(grad.norm() - 1).pow(2)


def penalty_per_sample_vector(critic, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return torch.relu(grad.norm(dim=1) - 1).pow(2)


def test_one_sided_penalty_right():
    assert ch12.check_one_sided_penalty(penalty_right) is True


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (penalty_two_sided, "linear critic with gradient norm 1/2"),
        (penalty_no_graph, "differentiable"),
        (penalty_global_norm, "per sample"),
        (penalty_per_sample_vector, "scalar"),
        (lambda critic, x: 0.0, "Tensor"),
    ],
)
def test_one_sided_penalty_wrong(answer, message):
    with pytest.raises(CheckFailed, match=message):
        ch12.check_one_sided_penalty(answer)


def test_one_sided_penalty_stub():
    with pytest.raises(NotImplementedError):
        ch12.check_one_sided_penalty(stub)


# --------------------------------------------------------------------------- Exercise 12.4


def test_digits_data_split():
    X_train, y_train, X_test, y_test = ch12.digits_data()
    assert X_train.shape == (1297, 64) and X_test.shape == (500, 64)
    assert X_train.min() >= -1 and X_train.max() <= 1 and X_train.dtype == np.float32
    assert len(y_train) == 1297 and len(y_test) == 500


def test_digits_gan_passes_real_digits():
    _, _, X_test, _ = ch12.digits_data()
    assert ch12.check_digits_gan(X_test) is True
    assert ch12.check_digits_gan(X_test.reshape(-1, 8, 8)) is True


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda X, G: G, "confidence"),  # the Gaussian baseline itself
        (lambda X, G: X[:100], "n >= 500"),
        (lambda X, G: X * 3, r"\[-1, 1\]"),
        (lambda X, G: np.full_like(X, np.nan), "finite"),
        (lambda X, G: X[:, :32], "shape"),
    ],
)
def test_digits_gan_wrong(make, message):
    X_train, y_train, X_test, _ = ch12.digits_data()
    gaussian = np.clip(
        metrics.gaussian_baseline(X_train, 500, np.random.default_rng(5)), -1, 1
    )
    with pytest.raises(CheckFailed, match=message):
        ch12.check_digits_gan(make(X_test, gaussian))


def test_digits_gan_rejects_a_collapsed_generator():
    X_train, y_train, _, _ = ch12.digits_data()
    ones = X_train[y_train == 1]
    with pytest.raises(CheckFailed, match="classes"):
        ch12.check_digits_gan(np.concatenate([ones] * 5)[:500])


def test_an_untrained_generator_fails():
    G = gan.make_generator(16, 64, (32,), noise=torch.Generator().manual_seed(0))
    samples = np.clip(gan.sample(G, 500, torch.Generator().manual_seed(1)), -1, 1)
    with pytest.raises(CheckFailed):
        ch12.check_digits_gan(samples)
