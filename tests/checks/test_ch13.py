"""Tests of ml4phys.checks.ch13: right answers pass, wrong ones fail, stubs pass through."""

import math

import pytest
import torch

from ml4phys.checks import CheckFailed, ch13


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 13.x")


# --------------------------------------------------------------------------- Exercise 13.1


def chain_right(x0, betas, generator=None):
    path, x = [x0], x0
    for beta in betas:
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = torch.sqrt(1 - beta) * x + torch.sqrt(beta) * noise
        path.append(x)
    return torch.stack(path)


def chain_no_sqrt(x0, betas, generator=None):
    path, x = [x0], x0
    for beta in betas:
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = (1 - beta) * x + beta * noise
        path.append(x)
    return torch.stack(path)


def chain_independent(x0, betas, generator=None):
    abar = torch.cumprod(1 - betas, 0)
    path = [x0]
    for a in abar:
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        path.append(a.sqrt() * x0 + (1 - a).sqrt() * noise)
    return torch.stack(path)


def chain_global_rng(x0, betas, generator=None):
    return chain_right(x0, betas, None)


def test_chain_right():
    assert ch13.check_forward_chain(chain_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        chain_no_sqrt,
        chain_independent,
        chain_global_rng,
        lambda x0, betas, generator=None: chain_right(x0, betas, generator)[1:],
    ],
)
def test_chain_wrong(answer):
    with pytest.raises(CheckFailed):
        ch13.check_forward_chain(answer)


def test_chain_stub():
    with pytest.raises(NotImplementedError):
        ch13.check_forward_chain(stub)


# --------------------------------------------------------------------------- Exercise 13.2


def weights_right(betas):
    alphas = 1 - betas
    return betas / (2 * alphas * (1 - torch.cumprod(alphas, 0)))


def weights_shifted(betas):
    alphas = 1 - betas
    abar_prev = torch.cat(
        [torch.ones(1, dtype=betas.dtype), torch.cumprod(alphas, 0)[:-1]]
    )
    return betas / (2 * alphas * (1 - abar_prev).clamp_min(1e-12))


def test_weights_right():
    assert ch13.check_elbo_weights(weights_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        weights_shifted,
        lambda betas: 2 * weights_right(betas),
        lambda betas: weights_right(betas) * betas,
        lambda betas: weights_right(betas)[:-1],
        lambda betas: torch.ones_like(betas),
    ],
)
def test_weights_wrong(answer):
    with pytest.raises(CheckFailed):
        ch13.check_elbo_weights(answer)


def test_weights_stub():
    with pytest.raises(NotImplementedError):
        ch13.check_elbo_weights(stub)


# --------------------------------------------------------------------------- Exercise 13.3


def mixture_right(x, abar, means, std):
    var = abar * std**2 + 1 - abar
    diff = x.unsqueeze(1) - math.sqrt(abar) * means  # (n, k, d)
    resp = torch.softmax(-(diff**2).sum(-1) / (2 * var), dim=1)
    score = -(resp.unsqueeze(-1) * diff).sum(1) / var
    return -math.sqrt(1 - abar) * score


def mixture_unscaled_means(x, abar, means, std):
    return mixture_right(x / math.sqrt(abar), abar, means, std)


def mixture_nearest(x, abar, means, std):
    var = abar * std**2 + 1 - abar
    diff = x.unsqueeze(1) - math.sqrt(abar) * means
    nearest = (diff**2).sum(-1).argmin(1)
    return math.sqrt(1 - abar) * diff[torch.arange(len(x)), nearest] / var


def test_mixture_right():
    assert ch13.check_mixture_eps(mixture_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        mixture_unscaled_means,
        mixture_nearest,
        lambda x, abar, means, std: -mixture_right(x, abar, means, std),
        lambda x, abar, means, std: mixture_right(x, abar, means, 1.0),
    ],
)
def test_mixture_wrong(answer):
    with pytest.raises(CheckFailed):
        ch13.check_mixture_eps(answer)


def test_mixture_stub():
    with pytest.raises(NotImplementedError):
        ch13.check_mixture_eps(stub)


# --------------------------------------------------------------------------- Exercise 13.4


def step_right(x_t, eps, abar_t, abar_s):
    x0_hat = (x_t - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
    return math.sqrt(abar_s) * x0_hat + math.sqrt(1 - abar_s) * eps


def step_fresh_noise(x_t, eps, abar_t, abar_s):
    x0_hat = (x_t - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
    return math.sqrt(abar_s) * x0_hat + math.sqrt(1 - abar_s) * torch.randn_like(eps)


def test_step_right():
    assert ch13.check_ddim_step(step_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        step_fresh_noise,
        lambda x_t, eps, abar_t, abar_s: step_right(x_t, eps, abar_s, abar_t),
        lambda x_t, eps, abar_t, abar_s: (
            (x_t - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
        ),
        lambda x_t, eps, abar_t, abar_s: (
            step_right(x_t, eps, abar_t, abar_s).float() + 1e-3
        ),
    ],
)
def test_step_wrong(answer):
    with pytest.raises(CheckFailed):
        ch13.check_ddim_step(answer)


def test_step_stub():
    with pytest.raises(NotImplementedError):
        ch13.check_ddim_step(stub)
