"""Tests of ml4phys.checks.ch11: right answers pass, wrong ones fail, stubs pass through."""

import math

import numpy as np
import pytest
import torch

from ml4phys import data
from ml4phys.checks import CheckFailed, ch11
from ml4phys.generative import vae


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 11.x")


# --------------------------------------------------------------------------- Exercise 11.1


def kl_right(mu_q, logvar_q, mu_p, logvar_p):
    ratio = torch.exp(logvar_q - logvar_p)
    return 0.5 * (
        ratio + (mu_q - mu_p) ** 2 / logvar_p.exp() - 1 - logvar_q + logvar_p
    ).sum(-1)


def test_kl_right():
    assert ch11.check_kl_gaussians(kl_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        lambda mq, lq, mp, lp: kl_right(mp, lp, mq, lq),  # KL(p || q)
        lambda mq, lq, mp, lp: 2 * kl_right(mq, lq, mp, lp),  # no factor 1/2
        lambda mq, lq, mp, lp: kl_right(mq, lq, mp, lp)[:, None],  # wrong shape
        lambda mq, lq, mp, lp: vae.gaussian_kl(mq, lq),  # ignores p
        lambda mq, lq, mp, lp: kl_right(
            mq, 2 * lq, mp, 2 * lp
        ),  # std taken for variance
    ],
)
def test_kl_wrong(answer):
    with pytest.raises(CheckFailed):
        ch11.check_kl_gaussians(answer)


def test_kl_stub():
    with pytest.raises(NotImplementedError):
        ch11.check_kl_gaussians(stub)


# --------------------------------------------------------------------------- Exercise 11.2


def _log_weights(model, x, n_samples, generator):
    mu, logvar = model.encode(x)
    eps = torch.randn(n_samples, *mu.shape, generator=generator, dtype=mu.dtype)
    z = mu + torch.exp(0.5 * logvar) * eps  # (K, batch, d)
    decoded = model.decode(z.reshape(-1, mu.shape[1]))
    log_lik = vae.log_likelihood(model, x.repeat(n_samples, 1), decoded)
    log_lik = log_lik.reshape(n_samples, len(x))
    log_prior = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_q = (-0.5 * eps**2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
    return log_lik + log_prior - log_q  # (K, batch)


def iw_right(model, x, n_samples, generator):
    return torch.logsumexp(_log_weights(model, x, n_samples, generator), 0) - math.log(
        n_samples
    )


def iw_mean_of_logs(model, x, n_samples, generator):
    return _log_weights(model, x, n_samples, generator).mean(0)


def iw_no_log_k(model, x, n_samples, generator):
    return torch.logsumexp(_log_weights(model, x, n_samples, generator), 0)


def iw_global_noise(model, x, n_samples, generator):
    return iw_right(model, x, n_samples, None)


def test_importance_weighted_right():
    assert ch11.check_importance_weighted(iw_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        iw_mean_of_logs,
        iw_no_log_k,
        iw_global_noise,
        lambda model, x, n, g: iw_right(model, x, n, g)[None],
    ],
)
def test_importance_weighted_wrong(answer):
    with pytest.raises(CheckFailed):
        ch11.check_importance_weighted(answer)


def test_importance_weighted_stub():
    with pytest.raises(NotImplementedError):
        ch11.check_importance_weighted(stub)


# --------------------------------------------------------------------------- Exercise 11.3

GOOD_TRADEOFF = {
    0.5: (-80.0, 14.0),
    1.0: (-75.0, 11.0),
    4.0: (-40.0, 5.0),
    16.0: (10.0, 1.5),
}


def test_beta_right():
    assert ch11.check_beta_tradeoff(GOOD_TRADEOFF) is True
    noisy = {**GOOD_TRADEOFF, 2.0: (-74.0, 11.1)}  # within the noise
    assert ch11.check_beta_tradeoff(noisy) is True


@pytest.mark.parametrize(
    "results",
    [
        {b: v[::-1] for b, v in GOOD_TRADEOFF.items()},  # (rate, distortion) swapped
        {b: (d, -r) for b, (d, r) in GOOD_TRADEOFF.items()},  # negative rates
        {1.0: (-75.0, 11.0), 4.0: (-40.0, 5.0), 16.0: (10.0, 1.5)},  # too few betas
        {2.0: (-75.0, 11.0), 4.0: (-40.0, 5.0), 8.0: (0, 3), 16.0: (10.0, 1.5)},
        {b: (d, 5.0) for b, (d, r) in GOOD_TRADEOFF.items()},  # the rate does not fall
        {b: (0.0, r) for b, (d, r) in GOOD_TRADEOFF.items()},  # the distortion stays
        {0.5: (1, 2, 3), 1.0: (1, 2, 3), 4.0: (1, 2, 3), 8.0: (1, 2, 3)},
        {"a": (1, 2)},
        [(0.5, (-80.0, 14.0))],
    ],
)
def test_beta_wrong(results):
    with pytest.raises(CheckFailed):
        ch11.check_beta_tradeoff(results)


# --------------------------------------------------------------------------- Exercise 11.4


def _test_centroids():
    images, labels = data.load_fashion_mnist("test")
    x = images.reshape(-1, 784) / 255.0
    return torch.tensor(np.stack([x[labels == c].mean(0) for c in range(10)]))


def test_conditional_right():
    centroids = _test_centroids()

    def generate(labels, generator):
        noise = 0.1 * torch.randn(
            len(labels), 784, generator=generator, dtype=torch.float64
        )
        return (centroids[labels] + noise).clamp(0, 1)

    assert ch11.check_conditional_vae(generate) is True


def test_conditional_wrong():
    centroids = _test_centroids()

    def noisy(index, generator):
        noise = 0.1 * torch.randn(
            len(index), 784, generator=generator, dtype=torch.float64
        )
        return (centroids[index] + noise).clamp(0, 1)

    wrong = [
        lambda labels, g: noisy((labels + 1) % 10, g),  # the wrong class
        lambda labels, g: noisy(torch.zeros_like(labels), g),  # ignores the label
        lambda labels, g: centroids[labels],  # no diversity
        lambda labels, g: 255 * noisy(labels, g),  # not in [0, 1]
        lambda labels, g: noisy(labels, g).reshape(-1, 28, 28),  # not flattened
    ]
    for answer in wrong:
        with pytest.raises(CheckFailed):
            ch11.check_conditional_vae(answer)


def test_conditional_stub():
    with pytest.raises(NotImplementedError):
        ch11.check_conditional_vae(stub)
