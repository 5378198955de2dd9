"""The diffusion module of chapter 13 against step-by-step chains, Gaussian conditioning
and the exact score of Gaussian data."""

import math

import numpy as np
import pytest
import torch

from ml4phys.generative import diffusion


@pytest.fixture
def schedule():
    return diffusion.linear_schedule(50)


# --------------------------------------------------------------------------- schedules


def test_alpha_bars_are_the_cumulative_product():
    betas = torch.linspace(0.01, 0.2, 30, dtype=torch.float64)
    s = diffusion.Schedule.from_betas(betas)
    expected = [1.0]
    for beta in betas.tolist():
        expected.append(expected[-1] * (1 - beta))
    assert s.n_steps == 30 and s.betas[0] == 0 and s.alpha_bars[0] == 1
    np.testing.assert_allclose(s.alpha_bars.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(s.alphas.numpy(), 1 - s.betas.numpy())


def test_linear_and_cosine_schedules():
    lin = diffusion.linear_schedule(100)
    assert math.isclose(float(lin.betas[1]), 1e-3) and math.isclose(
        float(lin.betas[100]), 0.2
    )
    cos = diffusion.cosine_schedule(100)
    u = np.arange(101) / 100
    f = np.cos((u + 0.008) / 1.008 * np.pi / 2) ** 2
    np.testing.assert_allclose(cos.alpha_bars[:-1].numpy(), (f / f[0])[:-1], rtol=1e-9)
    assert float(lin.alpha_bars[-1]) < 1e-4 and float(cos.alpha_bars[-1]) < 1e-4
    assert bool((torch.diff(cos.alpha_bars) < 0).all())


# --------------------------------------------------------------------------- forward process


def test_q_sample_matches_the_step_by_step_chain(schedule):
    g = torch.Generator().manual_seed(0)
    n = 40_000
    x0 = torch.tensor([[1.0, -2.0]], dtype=torch.float64).repeat(n, 1)
    x = x0.clone()
    for t in range(1, schedule.n_steps + 1):
        beta = schedule.betas[t]
        x = (1 - beta).sqrt() * x + beta.sqrt() * torch.randn(
            x.shape, generator=g, dtype=x.dtype
        )
        if t in (1, 10, 25, 50):
            direct = diffusion.q_sample(
                x0, t, torch.randn(x0.shape, generator=g, dtype=x0.dtype), schedule
            )
            for a in (x, direct):
                np.testing.assert_allclose(
                    a.mean(0).numpy(),
                    (schedule.alpha_bars[t].sqrt() * x0[0]).numpy(),
                    atol=0.03,
                )
                np.testing.assert_allclose(
                    a.var(0).numpy(), 1 - float(schedule.alpha_bars[t]), atol=0.03
                )


def test_q_sample_per_sample_times(schedule):
    x0 = torch.randn(5, 3)
    noise = torch.randn(5, 3)
    t = torch.tensor([0, 1, 7, 20, 50])
    out = diffusion.q_sample(x0, t, noise, schedule)
    for i in range(5):
        a = float(schedule.alpha_bars[t[i]])
        torch.testing.assert_close(
            out[i], math.sqrt(a) * x0[i] + math.sqrt(1 - a) * noise[i]
        )
    torch.testing.assert_close(diffusion.q_sample(x0, 0, noise, schedule), x0)


def test_posterior_matches_gaussian_conditioning(schedule):
    """Given x_0, (x_{t-1}, x_t) are jointly Gaussian; condition the joint on x_t."""
    rng = np.random.default_rng(1)
    for t in (1, 2, 17, 50):
        ab_prev = float(schedule.alpha_bars[t - 1])
        alpha, beta = float(schedule.alphas[t]), float(schedule.betas[t])
        x0, xt = rng.normal(size=(1, 1)), rng.normal(size=(1, 1))
        # x_{t-1} = sqrt(ab_prev) x0 + u, u ~ N(0, 1 - ab_prev); x_t = sqrt(alpha) x_{t-1} + v
        mean = np.array([math.sqrt(ab_prev), math.sqrt(alpha * ab_prev)]) * x0[0, 0]
        c11 = 1 - ab_prev
        c12 = math.sqrt(alpha) * c11
        c22 = alpha * c11 + beta
        cond_mean = mean[0] + c12 / c22 * (xt[0, 0] - mean[1])
        cond_var = c11 - c12**2 / c22
        m, v = diffusion.posterior(torch.tensor(x0), torch.tensor(xt), t, schedule)
        assert math.isclose(float(m), cond_mean, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(float(v), cond_var, rel_tol=1e-9, abs_tol=1e-15)


# --------------------------------------------------------------------------- samplers


def _gaussian_eps(schedule, m, s):
    abar = schedule.alpha_bars.float()

    def eps(x, t, y=None):
        a = abar[t].unsqueeze(1)
        return (1 - a).sqrt() * (x - a.sqrt() * m) / (a * s**2 + 1 - a)

    return eps


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_ddpm_with_the_exact_score_reproduces_gaussian_data(variance):
    schedule = diffusion.linear_schedule(1000)
    m, s = 1.5, 0.5
    x = diffusion.ddpm_sample(
        _gaussian_eps(schedule, m, s), schedule, 20_000, 1, variance=variance,
        generator=torch.Generator().manual_seed(2),
    )  # fmt: skip
    assert abs(x.mean().item() - m) < 0.02
    assert abs(x.std().item() - s) < 0.015


def test_ddim_with_the_exact_score_reproduces_gaussian_data():
    schedule = diffusion.linear_schedule(200)
    m, s = -1.0, 0.7
    x = diffusion.ddim_sample(
        _gaussian_eps(schedule, m, s), schedule, 20_000, 1, 200,
        generator=torch.Generator().manual_seed(3),
    )  # fmt: skip
    assert abs(x.mean().item() - m) < 0.02
    assert abs(x.std().item() - s) < 0.02


def test_ddpm_trajectory_and_determinism(schedule):
    model = diffusion.NoiseMLP(2, schedule.n_steps, n_hidden=8, n_layers=1)
    path = diffusion.ddpm_sample(
        model,
        schedule,
        7,
        2,
        trajectory=True,
        generator=torch.Generator().manual_seed(4),
    )
    assert path.shape == (51, 7, 2)
    again = diffusion.ddpm_sample(
        model, schedule, 7, 2, generator=torch.Generator().manual_seed(4)
    )
    torch.testing.assert_close(path[-1], again)
    a = diffusion.ddim_sample(
        model, schedule, 7, 2, 5, generator=torch.Generator().manual_seed(5)
    )
    b = diffusion.ddim_sample(
        model, schedule, 7, 2, 5, generator=torch.Generator().manual_seed(5)
    )
    assert a.shape == (7, 2) and torch.equal(a, b)


def test_guidance_formula(schedule):
    calls = []

    def model(x, t, y):
        calls.append(y)
        return torch.full_like(x, 1.0) if y is None else torch.full_like(x, 3.0)

    y = torch.zeros(4, dtype=torch.long)
    eps = diffusion._guided_eps(model, torch.zeros(4, 2), 10, y, 2.0)
    torch.testing.assert_close(eps, torch.full((4, 2), 3.0 * 3 - 2.0 * 1))
    assert diffusion._guided_eps(model, torch.zeros(4, 2), 10, y, 0.0).eq(3.0).all()


def test_ddim_clip_keeps_bounded_data_bounded(schedule):
    model = diffusion.NoiseMLP(3, schedule.n_steps, n_hidden=8, n_layers=1)
    x = diffusion.ddim_sample(
        model, schedule, 50, 3, 10, clip=1.0, generator=torch.Generator().manual_seed(6)
    )
    assert float(x.abs().max()) <= 1.0 + 1e-5


# --------------------------------------------------------------------------- model and loss


def test_noise_mlp_shapes_and_labels():
    model = diffusion.NoiseMLP(64, 100, n_hidden=32, n_layers=2, n_classes=10)
    x, t = torch.randn(6, 64), torch.randint(1, 101, (6,))
    assert model(x, t).shape == (6, 64)
    y = torch.arange(6)
    out_cond, out_null = model(x, t, y), model(x, t, torch.full((6,), 10))
    assert not torch.allclose(out_cond, out_null)
    torch.testing.assert_close(model(x, t, None), out_null)
    with pytest.raises(ValueError):
        model(x, t, torch.full((6,), 11))
    assert diffusion.NoiseMLP(2, 10)(
        torch.randn(3, 2), torch.ones(3, dtype=torch.long)
    ).shape == (3, 2)


def test_noise_mlp_x0_parametrisation_returns_the_implied_noise():
    sched = diffusion.cosine_schedule(20)
    model = diffusion.NoiseMLP(
        5, 20, n_hidden=16, n_layers=2, n_classes=3, schedule=sched
    )
    x, t, y = torch.randn(8, 5), torch.randint(1, 21, (8,)), torch.arange(8) % 4
    eps = model(x, t, y)
    abar = sched.alpha_bars[t].float().unsqueeze(1)
    # the raw network output is x0_hat; x_t = sqrt(abar) x0_hat + sqrt(1 - abar) eps
    x0_hat = model.net(torch.cat([x, model.time_features(t), model.label(y)], dim=1))
    torch.testing.assert_close(abar.sqrt() * x0_hat + (1 - abar).sqrt() * eps, x)
    assert not diffusion.NoiseMLP(5, 20).predicts_x0
    with pytest.raises(ValueError):
        diffusion.NoiseMLP(5, 10, schedule=sched)
    with pytest.raises(TypeError):
        diffusion.NoiseMLP(5, 20, schedule="cosine")


def test_denoising_loss_matches_the_formula(schedule):
    model = diffusion.NoiseMLP(2, schedule.n_steps, n_hidden=8, n_layers=1)
    x0 = torch.randn(16, 2)
    loss = diffusion.denoising_loss(
        model, x0, schedule, generator=torch.Generator().manual_seed(7)
    )
    g = torch.Generator().manual_seed(7)
    t = torch.randint(1, schedule.n_steps + 1, (16,), generator=g)
    noise = torch.randn(x0.shape, generator=g)
    expected = (
        (noise - model(diffusion.q_sample(x0, t, noise, schedule), t)) ** 2
    ).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_denoising_loss_label_dropout(schedule):
    seen = []

    def model(x, t, y):
        seen.append(y)
        return torch.zeros_like(x)

    y = torch.zeros(1000, dtype=torch.long)
    diffusion.denoising_loss(
        model, torch.randn(1000, 2), schedule, y=y, p_uncond=0.3, n_classes=10,
        generator=torch.Generator().manual_seed(8),
    )  # fmt: skip
    share = (seen[0] == 10).float().mean().item()
    assert abs(share - 0.3) < 0.05 and set(seen[0].tolist()) == {0, 10}


# --------------------------------------------------------------------------- bad input


def test_bad_input(schedule):
    x = torch.randn(4, 2)
    with pytest.raises(TypeError):
        diffusion.q_sample(x.numpy(), 1, x, schedule)
    with pytest.raises(ValueError):
        diffusion.q_sample(x, 1, torch.randn(4, 3), schedule)
    with pytest.raises(ValueError):
        diffusion.q_sample(x, 51, x, schedule)
    with pytest.raises(ValueError):
        diffusion.q_sample(x, torch.tensor([1, 2]), x, schedule)
    with pytest.raises(TypeError):
        diffusion.q_sample(x, torch.ones(4), x, schedule)
    with pytest.raises(TypeError):
        diffusion.q_sample(x, True, x, schedule)
    with pytest.raises(ValueError):
        diffusion.q_sample(torch.full((4, 2), float("nan")), 1, x, schedule)
    with pytest.raises(TypeError):
        diffusion.q_sample(x, 1, x, "schedule")
    with pytest.raises(ValueError):
        diffusion.q_sample(torch.randn(4), 1, torch.randn(4), schedule)
    with pytest.raises(ValueError):
        diffusion.posterior(x, x, 0, schedule)
    with pytest.raises(ValueError):
        diffusion.Schedule.from_betas(torch.tensor([0.1, 1.5]))
    with pytest.raises(ValueError):
        diffusion.Schedule.from_betas(torch.tensor([0.1, float("nan")]))
    with pytest.raises(TypeError):
        diffusion.Schedule.from_betas([0.1, 0.2])
    with pytest.raises(TypeError):
        diffusion.linear_schedule(10.5)
    with pytest.raises(ValueError):
        diffusion.linear_schedule(0)
    with pytest.raises(ValueError):
        diffusion.linear_schedule(10, beta_start=-0.1)
    with pytest.raises(ValueError):
        diffusion.cosine_schedule(10, s=-1)
    model = diffusion.NoiseMLP(2, 50, n_hidden=8, n_layers=1)
    with pytest.raises(ValueError):
        diffusion.ddim_sample(model, schedule, 4, 2, 51)
    with pytest.raises(ValueError):
        diffusion.ddim_sample(model, schedule, 4, 2, 5, guidance=-1.0)
    with pytest.raises(TypeError):
        diffusion.ddpm_sample(model, schedule, 4, 2, generator=3)
    with pytest.raises(TypeError):
        diffusion.ddpm_sample("model", schedule, 4, 2)
    with pytest.raises(ValueError):
        diffusion.ddpm_sample(model, schedule, 4, 2, variance="big")
    with pytest.raises(TypeError):
        diffusion.ddpm_sample(model, schedule, 4, 2, trajectory="yes")
    with pytest.raises(ValueError):
        diffusion.ddpm_sample(model, schedule, 4, 2, y=torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError):
        diffusion.denoising_loss(model, x, schedule, p_uncond=1.5)
    with pytest.raises(ValueError):
        diffusion.denoising_loss(model, x, schedule, y=torch.zeros(4))
    with pytest.raises(ValueError):
        diffusion.NoiseMLP(2, 10, n_time=7)
    with pytest.raises(ValueError):
        diffusion.NoiseMLP(0, 10)
