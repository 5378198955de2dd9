"""Tests of ml4phys.rl.trpo: each piece against a reference, then a tiny run."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from ml4phys.rl import networks, trpo


def _small_policy(seed: int = 0) -> tuple[trpo.CategoricalPolicy, torch.Tensor]:
    """A policy small enough to form its Fisher matrix: 3 inputs, 4 units, 3 actions."""
    policy = trpo.CategoricalPolicy(obs_dim=3, n_actions=3, hidden=4)
    generator = torch.Generator().manual_seed(seed)
    networks.init_weights(policy, generator)
    obs = torch.randn(16, 3, generator=generator)
    return policy, obs


def _kl_hessian(policy: trpo.CategoricalPolicy, obs: torch.Tensor) -> torch.Tensor:
    """The Hessian of the mean KL(pi_old || pi_theta) at theta_old, row by row."""
    old_logits = policy.net(obs).detach()
    grad = trpo.flat_grad(
        trpo.mean_kl(policy, obs, old_logits), policy, create_graph=True
    )
    params = list(policy.parameters())
    rows = [
        torch.cat(
            [h.reshape(-1) for h in torch.autograd.grad(gi, params, retain_graph=True)]
        )
        for gi in grad
    ]
    return torch.stack(rows)


def _fisher_outer(policy: trpo.CategoricalPolicy, obs: torch.Tensor) -> torch.Tensor:
    """F = mean_s sum_a pi(a|s) grad log pi grad log pi^T, enumerated exactly."""
    n = sum(p.numel() for p in policy.parameters())
    fisher = torch.zeros(n, n)
    for s in obs:
        dist = policy(s[None])
        for a in range(3):
            g = trpo.flat_grad(dist.log_prob(torch.tensor([a]))[0], policy)
            fisher += dist.probs[0, a].detach() * torch.outer(g, g)
            dist = policy(s[None])
    return fisher / len(obs)


def test_kl_hessian_is_the_fisher_matrix():
    policy, obs = _small_policy()
    assert torch.allclose(
        _kl_hessian(policy, obs), _fisher_outer(policy, obs), atol=1e-6
    )


def test_fisher_vector_product_matches_explicit_matrix():
    policy, obs = _small_policy(1)
    fisher = _fisher_outer(policy, obs)
    v = torch.randn(fisher.shape[0], generator=torch.Generator().manual_seed(2))
    for damping in (0.0, 0.1):
        fvp = trpo.fisher_vector_product(policy, obs, v, damping)
        expected = fisher @ v + damping * v
        assert torch.allclose(fvp, expected, atol=1e-6)


def test_conjugate_gradient_matches_direct_solve_of_fisher_system():
    policy, obs = _small_policy(3)
    g = torch.randn(sum(p.numel() for p in policy.parameters()),
                    generator=torch.Generator().manual_seed(4))  # fmt: skip
    damping = 0.1
    matrix = _fisher_outer(policy, obs) + damping * torch.eye(len(g))
    direct = torch.linalg.solve(matrix.double(), g.double()).float()
    x = trpo.conjugate_gradient(
        lambda v: trpo.fisher_vector_product(policy, obs, v, damping), g, n_iters=len(g)
    )
    assert torch.allclose(x, direct, rtol=1e-3, atol=1e-3 * direct.abs().max())


def test_conjugate_gradient_on_spd_matrix_and_few_iterations():
    generator = torch.Generator().manual_seed(5)
    m = torch.randn(6, 6, generator=generator, dtype=torch.float64)
    a = m @ m.T + 6 * torch.eye(6, dtype=torch.float64)
    b = torch.randn(6, generator=generator, dtype=torch.float64)
    x = trpo.conjugate_gradient(lambda p: a @ p, b, n_iters=6)
    assert torch.allclose(x, torch.linalg.solve(a, b), atol=1e-10)
    # One iteration is the steepest-descent step with the exact line minimiser.
    x1 = trpo.conjugate_gradient(lambda p: a @ p, b, n_iters=1)
    assert torch.allclose(x1, (b @ b) / (b @ a @ b) * b)


def _ls_setup():
    policy, obs = _small_policy(6)
    old_logits = policy.net(obs).detach()
    actions = torch.arange(len(obs)) % 3
    adv = torch.randn(len(obs), generator=torch.Generator().manual_seed(7))
    old_lp = torch.distributions.Categorical(logits=old_logits).log_prob(actions)

    def surrogate():
        return (torch.exp(policy(obs).log_prob(actions) - old_lp) * adv).mean()

    def kl():
        return trpo.mean_kl(policy, obs, old_logits)

    return policy, obs, surrogate, kl


def test_line_search_respects_kl_bound_and_improves():
    policy, obs, surrogate, kl = _ls_setup()
    before = surrogate().item()
    g = trpo.flat_grad(surrogate(), policy)
    max_kl = 1e-3
    big_step = 50.0 * g / g.norm()  # far outside the trust region
    accepted, shrinks = trpo.line_search(
        policy, surrogate, kl, big_step, max_kl, 0.5, 30
    )
    assert accepted and shrinks > 0
    assert kl().item() <= max_kl
    assert surrogate().item() > before


def test_line_search_restores_parameters_when_nothing_passes():
    policy, obs, surrogate, kl = _ls_setup()
    old = trpo.flat_params(policy)
    g = trpo.flat_grad(surrogate(), policy)
    accepted, _ = trpo.line_search(
        policy, surrogate, kl, -g, 1.0, 0.5, 5
    )  # a descent step
    assert not accepted
    assert torch.equal(trpo.flat_params(policy), old)


def test_step_scaled_to_kl_radius_has_quadratic_kl_close_to_max_kl():
    policy, obs, surrogate, kl = _ls_setup()
    g = trpo.flat_grad(surrogate(), policy)
    damping = 0.1  # undamped, CG runs off into the near-null space of F (softmax shift)
    s = trpo.conjugate_gradient(
        lambda v: trpo.fisher_vector_product(policy, obs, v, damping), g, 10
    )
    old = trpo.flat_params(policy)
    max_kl = 1e-4
    beta = torch.sqrt(2 * max_kl / (s @ trpo.fisher_vector_product(policy, obs, s)))
    trpo.set_flat_params(policy, old + beta * s)
    # For a small radius the exact KL is the quadratic one, up to third-order terms.
    assert kl().item() == pytest.approx(max_kl, rel=0.05)
    # Scaled with the damped matrix, as update() does, the step stays inside the radius.
    beta = torch.sqrt(
        2 * max_kl / (s @ trpo.fisher_vector_product(policy, obs, s, damping))
    )
    trpo.set_flat_params(policy, old + beta * s)
    assert kl().item() <= max_kl


def test_tiny_cartpole_run_learns():
    env = gym.make("CartPole-v1")
    config = trpo.TRPOConfig(n_steps=512, total_timesteps=6144)
    history = trpo.train(env, config, seed=0)
    returns = np.array(history["episode_returns"])
    assert returns[:10].mean() < 40  # a random-ish start
    assert returns[-5:].mean() > 2 * returns[:10].mean()
    assert all(u["kl"] <= config.max_kl + 1e-9 for u in history["updates"])
    greedy = trpo.evaluate(env, history["policy"], 3, seed=100)
    assert greedy.mean() > 100


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_kl": 0.0}, ValueError),
        ({"max_kl": float("nan")}, ValueError),
        ({"max_kl": "0.01"}, TypeError),
        ({"cg_iters": 0}, ValueError),
        ({"cg_iters": 2.5}, TypeError),
        ({"backtrack_coef": 1.0}, ValueError),
        ({"damping": -1.0}, ValueError),
        ({"gamma": 1.5}, ValueError),
        ({"n_steps": 1}, ValueError),
    ],
)
def test_config_validation(kwargs, error):
    with pytest.raises(error):
        trpo.TRPOConfig(**kwargs)


def test_bad_inputs():
    policy, obs = _small_policy()
    n = sum(p.numel() for p in policy.parameters())
    with pytest.raises(ValueError, match="entries"):
        trpo.fisher_vector_product(policy, obs, torch.zeros(n + 1))
    with pytest.raises(TypeError):
        trpo.fisher_vector_product(policy, obs.numpy(), torch.zeros(n))
    with pytest.raises(ValueError):
        trpo.fisher_vector_product(policy, obs[0], torch.zeros(n))
    with pytest.raises(TypeError):
        trpo.conjugate_gradient("A", torch.zeros(3))
    with pytest.raises(ValueError):
        trpo.conjugate_gradient(lambda p: p, torch.zeros(3, 1))
    with pytest.raises(TypeError, match="Discrete"):
        trpo.train(gym.make("Pendulum-v1"), trpo.TRPOConfig(), seed=0)
    with pytest.raises(TypeError, match="config"):
        trpo.train(gym.make("CartPole-v1"), {"max_kl": 0.01}, seed=0)
    with pytest.raises(ValueError):
        trpo.train(gym.make("CartPole-v1"), trpo.TRPOConfig(), seed=-1)
    cart = gym.make("CartPole-v1")
    policy = trpo.CategoricalPolicy(4, 2)
    with pytest.raises(TypeError, match="greedy"):
        trpo.evaluate(cart, policy, 1, seed=0, greedy="yes")
    with pytest.raises(ValueError):
        trpo.evaluate(cart, policy, 0, seed=0)
    with pytest.raises(ValueError, match="entries"):
        trpo.set_flat_params(policy, torch.zeros(3))


def test_seeded_runs_are_reproducible():
    env = gym.make("CartPole-v1")
    config = trpo.TRPOConfig(n_steps=256, total_timesteps=512, hidden=8)
    a = trpo.train(env, config, seed=3)
    b = trpo.train(env, config, seed=3)
    c = trpo.train(env, config, seed=4)
    assert a["episode_returns"] == b["episode_returns"]
    assert a["updates"] == b["updates"]
    assert a["episode_returns"] != c["episode_returns"]
    assert torch.equal(trpo.flat_params(a["policy"]), trpo.flat_params(b["policy"]))


def test_init_weights_draws_from_the_generator_only():
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    networks.init_weights(a, torch.Generator().manual_seed(5))
    torch.rand(10)  # the global stream does not matter
    networks.init_weights(b, torch.Generator().manual_seed(5))
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    assert a.weight.abs().max() <= 1 / 3**0.5
    with pytest.raises(TypeError, match="Generator"):
        networks.init_weights(a, 5)
