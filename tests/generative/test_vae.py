"""Tests of ml4phys.generative.vae against closed forms, Monte Carlo, autograd and quadrature."""

import math

import numpy as np
import pytest
import torch

from ml4phys.generative import vae


def _gaussians(batch=5, d=3, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, d, generator=g, dtype=dtype) for _ in range(2))


def test_gaussian_kl_matches_torch_distributions():
    mu, logvar = _gaussians()
    dist = torch.distributions
    q = dist.Independent(dist.Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = dist.Independent(dist.Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    expected = dist.kl_divergence(q, p)
    assert vae.gaussian_kl(mu, logvar).shape == (5,)
    torch.testing.assert_close(vae.gaussian_kl(mu, logvar), expected)


def test_gaussian_kl_matches_monte_carlo():
    mu, logvar = _gaussians(batch=2, d=2, seed=1)
    g = torch.Generator().manual_seed(2)
    n = 400_000
    eps = torch.randn(n, 2, 2, generator=g, dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * eps  # (n, batch, d)
    log_q = (-0.5 * eps**2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_p = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    estimate = (log_q - log_p).mean(0)
    stderr = (log_q - log_p).std(0) / math.sqrt(n)
    exact = vae.gaussian_kl(mu, logvar)
    assert torch.all((estimate - exact).abs() < 5 * stderr)


def test_gaussian_kl_is_zero_for_the_prior_and_positive_otherwise():
    zeros = torch.zeros(3, 4)
    assert torch.allclose(vae.gaussian_kl(zeros, zeros), torch.zeros(3))
    mu, logvar = _gaussians()
    assert torch.all(vae.gaussian_kl(mu, logvar) > 0)


def test_reparameterise_has_the_right_moments_and_gradients():
    mu = torch.tensor([[1.0, -2.0]], requires_grad=True)
    logvar = torch.tensor([[0.5, -1.0]], requires_grad=True)
    g = torch.Generator().manual_seed(3)
    z = vae.reparameterise(mu.expand(200_000, 2), logvar.expand(200_000, 2), g)
    assert torch.allclose(z.mean(0), mu[0], atol=0.01)
    assert torch.allclose(z.var(0), logvar[0].exp(), rtol=0.02)
    # d/dmu E[z^2] = 2 mu and d/dlogvar E[z^2] = d/dlogvar (mu^2 + e^logvar) = e^logvar
    (z**2).mean(0).sum().backward()
    torch.testing.assert_close(mu.grad, 2 * mu.detach(), atol=0.02, rtol=0.02)
    torch.testing.assert_close(logvar.grad, logvar.detach().exp(), atol=0.02, rtol=0.02)


def test_reparameterise_is_reproducible_with_a_generator():
    mu, logvar = _gaussians()
    a = vae.reparameterise(mu, logvar, torch.Generator().manual_seed(4))
    b = vae.reparameterise(mu, logvar, torch.Generator().manual_seed(4))
    assert torch.equal(a, b)


def test_shapes_of_the_model():
    model = vae.VAE(12, n_latent=3, hidden=(16, 8))
    x = torch.rand(5, 12)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 3)
    assert model.decode(mu).shape == (5, 12)
    assert model(x).shape == (5, 12)
    samples = model.sample(7, torch.Generator().manual_seed(0))
    assert samples.shape == (7, 12) and samples.min() >= 0 and samples.max() <= 1
    assert vae.negative_elbo(model, x, torch.Generator().manual_seed(0)).shape == (5,)


def _exact_log_evidence(model, x):
    z = torch.linspace(-10, 10, 8001, dtype=torch.float64)
    with torch.no_grad():
        decoded = model.decode(z[:, None])  # (n_z, D)
        log_lik = torch.stack(
            [vae.log_likelihood(model, xi.expand(len(z), -1), decoded) for xi in x]
        )  # (batch, n_z)
    log_prior = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(log_lik + log_prior, 1) + torch.log(z[1] - z[0])


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_elbo_is_below_the_exact_log_likelihood(likelihood):
    torch.manual_seed(0)
    model = vae.VAE(
        4, n_latent=1, hidden=(8,), likelihood=likelihood, sigma=0.5
    ).double()
    x = torch.tensor([[1.0, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]], dtype=torch.float64)
    exact = _exact_log_evidence(model, x)
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        elbo = -torch.stack([vae.negative_elbo(model, x, g) for _ in range(4000)]).mean(
            0
        )
    assert torch.all(elbo < exact)


def test_gaussian_likelihood_is_a_normalised_density():
    model = vae.VAE(
        2, n_latent=1, hidden=(4,), likelihood="gaussian", sigma=0.3
    ).double()
    decoded = torch.tensor([[0.2, -0.1]], dtype=torch.float64)
    grid = torch.linspace(-3, 3, 601, dtype=torch.float64)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    x = torch.stack([xx.ravel(), yy.ravel()], 1)
    density = vae.log_likelihood(model, x, decoded.expand(len(x), -1)).exp()
    total = density.sum() * (grid[1] - grid[0]) ** 2
    assert abs(total.item() - 1) < 1e-3


def test_negative_elbo_gradient_reaches_encoder_and_decoder():
    model = vae.VAE(6, n_latent=2, hidden=(5,))
    loss = vae.negative_elbo(model, torch.rand(4, 6), torch.Generator().manual_seed(0))
    loss.mean().backward()
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters()
    )


def test_beta_zero_removes_the_kl():
    model = vae.VAE(6, n_latent=2, hidden=(5,))
    x = torch.rand(4, 6)
    a = vae.negative_elbo(model, x, torch.Generator().manual_seed(0), beta=0.0)
    b = vae.negative_elbo(model, x, torch.Generator().manual_seed(0), beta=1.0)
    mu, logvar = model.encode(x)
    torch.testing.assert_close(b - a, vae.gaussian_kl(mu, logvar))


def test_train_lowers_the_negative_elbo():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(256, 10, generator=g) < torch.linspace(0.1, 0.9, 10)).float()
    torch.manual_seed(0)
    model = vae.VAE(10, n_latent=2, hidden=(16,))
    history = vae.train(
        model,
        x,
        x[:64],
        n_epochs=15,
        batch_size=32,
        lr=1e-2,
        generator=torch.Generator().manual_seed(1),
    )
    assert history.val_loss[-1] < history.val_loss[0]
    assert len(history.train_loss) == 15


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: vae.gaussian_kl(np.zeros((2, 2)), torch.zeros(2, 2)), TypeError),
        (lambda: vae.gaussian_kl(torch.zeros(2, 2), torch.zeros(2, 3)), ValueError),
        (lambda: vae.gaussian_kl(torch.zeros(2), torch.zeros(2)), ValueError),
        (
            lambda: vae.gaussian_kl(torch.full((2, 2), math.nan), torch.zeros(2, 2)),
            ValueError,
        ),
        (
            lambda: vae.gaussian_kl(
                torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 2)
            ),
            TypeError,
        ),
        (
            lambda: vae.reparameterise(torch.zeros(2, 2), torch.zeros(2, 2), 3),
            TypeError,
        ),
        (lambda: vae.VAE(0), ValueError),
        (lambda: vae.VAE(4, likelihood="poisson"), ValueError),
        (lambda: vae.VAE(4, likelihood="gaussian", sigma=-1.0), ValueError),
        (lambda: vae.VAE(4.5), TypeError),
        (lambda: vae.VAE(4).encode(torch.zeros(3, 5)), ValueError),
        (lambda: vae.VAE(4).decode(torch.zeros(3, 3)), ValueError),
        (lambda: vae.VAE(4).sample(0), ValueError),
        (lambda: vae.VAE(4).sample(2, generator=1), TypeError),
        (lambda: vae.negative_elbo("model", torch.zeros(2, 4)), TypeError),
        (lambda: vae.negative_elbo(vae.VAE(4), torch.full((2, 4), 2.0)), ValueError),
        (
            lambda: vae.negative_elbo(vae.VAE(4), torch.full((2, 4), math.nan)),
            ValueError,
        ),
        (lambda: vae.negative_elbo(vae.VAE(4), torch.zeros(0, 4)), ValueError),
        (
            lambda: vae.negative_elbo(vae.VAE(4), torch.zeros(2, 4), beta=-1.0),
            ValueError,
        ),
        (lambda: vae.train(vae.VAE(4), torch.zeros(2, 4), lr=0.0), ValueError),
        (
            lambda: vae.log_likelihood("model", torch.zeros(2, 4), torch.zeros(2, 4)),
            TypeError,
        ),
        (
            lambda: vae.log_likelihood(
                vae.VAE(4), torch.zeros(2, 4), torch.zeros(3, 4)
            ),
            ValueError,
        ),
        (
            lambda: vae.log_likelihood(vae.VAE(4), torch.zeros(2, 4), np.zeros((2, 4))),
            TypeError,
        ),
    ],
)
def test_bad_input(make, error):
    with pytest.raises(error):
        make()
