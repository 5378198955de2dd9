"""The GAN module of chapter 12: losses on known inputs, the gradient penalty against a
closed form and autograd, one training that moves samples toward the data, bad input."""

import math

import numpy as np
import pytest
import torch

from ml4phys import data
from ml4phys.generative import gan, metrics


def test_discriminator_loss_is_the_binary_cross_entropy():
    real = torch.tensor([2.0, -1.0, 0.5])
    fake = torch.tensor([[-3.0], [0.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones(3)) + bce(fake[:, 0], torch.zeros(2))
    assert gan.discriminator_loss(real, fake).item() == pytest.approx(expected.item())
    # at D = 1/2 everywhere the loss is 2 log 2 (V = -log 4)
    zero = torch.zeros(4)
    assert gan.discriminator_loss(zero, zero).item() == pytest.approx(math.log(4))


def test_generator_losses_on_known_logits():
    a = torch.tensor([0.0, math.log(3.0)])  # D = 1/2 and D = 3/4
    d = torch.sigmoid(a)
    sat = torch.log(1 - d).mean()
    nonsat = -torch.log(d).mean()
    assert gan.generator_loss_saturating(a).item() == pytest.approx(sat.item())
    assert gan.generator_loss_nonsaturating(a).item() == pytest.approx(nonsat.item())


def test_losses_stay_finite_where_the_naive_formulas_overflow():
    a = torch.tensor([-200.0, 200.0], requires_grad=True)
    for loss in (
        gan.generator_loss_saturating(a),
        gan.generator_loss_nonsaturating(a),
        gan.discriminator_loss(a, a),
    ):
        assert math.isfinite(loss.item())


def test_gradients_with_respect_to_the_logit():
    # d/da log(1 - sigma(a)) = -sigma(a) ; d/da -log sigma(a) = sigma(a) - 1
    a = torch.linspace(-8, 8, 17, dtype=torch.float64, requires_grad=True)
    (g_sat,) = torch.autograd.grad(gan.generator_loss_saturating(a) * len(a), a)
    (g_non,) = torch.autograd.grad(gan.generator_loss_nonsaturating(a) * len(a), a)
    s = torch.sigmoid(a.detach())
    torch.testing.assert_close(g_sat, -s)
    torch.testing.assert_close(g_non, s - 1)


def test_wasserstein_losses():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([[0.5], [-0.5], [0.0]])
    assert gan.critic_loss(real, fake).item() == pytest.approx(0.0 - 2.0)
    assert gan.critic_generator_loss(fake).item() == pytest.approx(0.0)


def test_gradient_penalty_of_a_linear_critic_is_known():
    # f(x) = w.x + b has gradient w everywhere: penalty (|w| - 1)^2, whatever the points
    critic = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 0.0, 4.0]]))
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    gp = gan.gradient_penalty(critic, real.double(), fake.double(), g)
    assert gp.item() == pytest.approx((5.0 - 1.0) ** 2)
    # and it is differentiable with respect to the critic: d/dw (|w|-1)^2 = 2(|w|-1) w/|w|
    gp.backward()
    expected = 2 * 4.0 * torch.tensor([[3.0, 0.0, 4.0]], dtype=torch.float64) / 5.0
    torch.testing.assert_close(critic.weight.grad, expected)


def test_gradient_penalty_matches_a_per_sample_autograd_computation():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
    ).double()
    real = torch.randn(5, 2, dtype=torch.float64)
    fake = torch.randn(5, 2, dtype=torch.float64)
    gp = gan.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(7))
    eps = torch.rand(
        5, 1, generator=torch.Generator().manual_seed(7), dtype=torch.float64
    )
    total = 0.0
    for i in range(5):
        x = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x[None]).sum(), x)
        total += (grad.norm() - 1) ** 2
    assert gp.item() == pytest.approx(total.item() / 5)


def test_a_short_training_moves_the_samples_toward_the_data():
    X, _ = data.gaussian_ring(2000, np.random.default_rng(0), n_modes=4, std=0.1)
    noise = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    G, D = gan.make_generator(2, 2, (32, 32)), gan.make_discriminator(2, (32, 32))
    config = gan.GANConfig(lr_generator=2e-3, lr_discriminator=2e-3)
    history = gan.train(G, D, X, config, 400, 64, noise, snapshot_steps=[0, 400])
    assert len(history.d_loss) == len(history.g_loss) == 400
    assert set(history.snapshots) == {0, 400}
    rng = np.random.default_rng(1)
    before = metrics.sliced_wasserstein(history.snapshots[0], X[:500], rng)
    after = metrics.sliced_wasserstein(history.snapshots[400], X[:500], rng)
    assert after < 0.5 * before
    assert not G.training and not D.training


def test_wgan_gp_update_reports_the_penalty():
    noise = torch.Generator().manual_seed(0)
    G, D = gan.make_generator(3, 2, (8,)), gan.make_discriminator(2, (8,))
    optimizers = (torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters()))
    config = gan.GANConfig(loss="wgan-gp", latent_dim=3, n_critic=2)
    out = gan.update(
        G, D, torch.randn(16, 2, generator=noise), optimizers, config, noise
    )
    assert set(out) == {"d_loss", "g_loss", "gp"} and out["gp"] >= 0


def test_sample_shape_and_determinism():
    G = gan.make_generator(4, 3)
    a = gan.sample(G, 10, torch.Generator().manual_seed(1))
    b = gan.sample(G, 10, torch.Generator().manual_seed(1))
    assert a.shape == (10, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_divergence_raises():
    class NaNCritic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.w * x[:, :1] * float("nan")

    G = gan.make_generator(2, 2, (4,))
    X = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(FloatingPointError, match="diverged"):
        gan.train(G, NaNCritic(), X, gan.GANConfig(), 5, 4)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: gan.discriminator_loss([1.0], torch.zeros(2)), TypeError),
        (lambda: gan.discriminator_loss(torch.zeros(2, 2), torch.zeros(2)), ValueError),
        (
            lambda: gan.generator_loss_saturating(torch.zeros(3, dtype=torch.long)),
            TypeError,
        ),
        (lambda: gan.generator_loss_nonsaturating(torch.zeros(0)), ValueError),
        (lambda: gan.critic_loss(torch.zeros(2), None), TypeError),
        (lambda: gan.critic_generator_loss(torch.zeros(2, 3)), ValueError),
        (
            lambda: gan.gradient_penalty(
                torch.nn.Linear(2, 1), torch.zeros(3, 2), torch.zeros(4, 2)
            ),
            ValueError,
        ),
        (
            lambda: gan.gradient_penalty(torch.nn.Linear(2, 1), np.zeros((3, 2)), None),
            TypeError,
        ),
        (lambda: gan.make_generator(0, 2), ValueError),
        (lambda: gan.make_generator(2, 2, hidden=64), TypeError),
        (lambda: gan.make_discriminator(2, hidden=(64, -1)), ValueError),
        (lambda: gan.GANConfig(loss="minimax"), ValueError),
        (lambda: gan.GANConfig(n_critic=0), ValueError),
        (lambda: gan.GANConfig(gp_weight=float("nan")), ValueError),
        (lambda: gan.GANConfig(lr_generator=-1e-3), ValueError),
        (lambda: gan.GANConfig(betas=(1.0, 0.9)), ValueError),
        (lambda: gan.sample("G", 3), TypeError),
        (lambda: gan.sample(gan.make_generator(2, 2), 0), ValueError),
    ],
)
def test_bad_input_is_refused(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data": np.full((10, 2), np.nan)}, ValueError),
        ({"data": np.zeros(10)}, ValueError),
        ({"data": [[0.0, 1.0]]}, TypeError),
        ({"config": {"loss": "wgan-gp"}}, TypeError),
        ({"config": gan.GANConfig(latent_dim=5)}, ValueError),
        ({"n_steps": 0}, ValueError),
        ({"batch_size": 1.5}, TypeError),
        ({"snapshot_steps": [-1]}, ValueError),
    ],
)
def test_train_refuses_bad_arguments(kwargs, error):
    arguments = {
        "generator": gan.make_generator(2, 2, (4,)),
        "discriminator": gan.make_discriminator(2, (4,)),
        "data": np.zeros((10, 2), dtype=np.float32),
        "config": gan.GANConfig(),
        "n_steps": 2,
        **kwargs,
    }
    with pytest.raises(error):
        gan.train(**arguments)


def test_initialisation_from_a_generator_is_reproducible_and_default_scaled():
    a = gan.make_generator(3, 2, (50,), noise=torch.Generator().manual_seed(5))
    b = gan.make_generator(3, 2, (50,), noise=torch.Generator().manual_seed(5))
    c = gan.make_discriminator(2, (50,), noise=torch.Generator().manual_seed(6))
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
    w = a[0].weight
    assert w.abs().max() <= 1 / math.sqrt(3) and w.abs().max() > 0.8 / math.sqrt(3)
    assert c[-1].weight.abs().max() <= 1 / math.sqrt(50)
    with pytest.raises(TypeError):
        gan.make_generator(3, 2, noise=0)
