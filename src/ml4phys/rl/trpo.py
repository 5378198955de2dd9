"""Trust region policy optimisation (TRPO) for discrete actions, in one readable file.

TRPO :cite:`schulman2015` maximises the importance-weighted surrogate advantage
``L(theta) = E[pi_theta(a|s) / pi_old(a|s) * A(s, a)]`` subject to a bound on the mean
KL divergence ``KL(pi_old || pi_theta) <= max_kl``. Expanding ``L`` to first and the KL
to second order turns this into the natural-gradient step ``theta + beta * F^{-1} g``,
with ``F`` the Fisher information matrix of the policy and ``beta`` chosen so that the
quadratic KL equals ``max_kl``. The pieces are separate functions, each tested against a
reference:

* :func:`fisher_vector_product`: ``F v`` by double back-propagation of the KL, without
  ever forming ``F``;
* :func:`conjugate_gradient`: solves ``F x = g`` from such products alone;
* :func:`line_search`: backtracks the step until the exact KL is within the radius and
  the surrogate improves;
* the advantages come from :func:`ml4phys.rl.a2c.gae` (Schulman et al. 2016), the
  estimator that A2C and PPO use.

The layout follows CleanRL: a config, the networks, one :func:`update` (the chapter
shows it) and a :func:`train` loop. The value function is fitted by Adam, as in most
TRPO codes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

from ml4phys._validation import (
    check_bool,
    check_int,
    check_nonnegative,
    check_positive,
    check_tensor,
)
from ml4phys.rl.a2c import gae
from ml4phys.rl.networks import init_weights

__all__ = [
    "TRPOConfig",
    "CategoricalPolicy",
    "flat_params",
    "set_flat_params",
    "flat_grad",
    "mean_kl",
    "fisher_vector_product",
    "conjugate_gradient",
    "line_search",
    "update",
    "train",
    "evaluate",
]


@dataclass
class TRPOConfig:
    """Hyper-parameters of TRPO (names as in the paper and in CleanRL / Spinning Up)."""

    n_steps: int = 1024
    """Environment steps collected per policy update."""
    total_timesteps: int = 30_000
    """Environment steps of the whole run."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.97
    """The lambda of generalised advantage estimation."""
    max_kl: float = 0.01
    """The trust-region radius delta: the bound on the mean KL(pi_old || pi_new)."""
    cg_iters: int = 10
    """Conjugate-gradient iterations for the natural-gradient direction."""
    damping: float = 0.1
    """Added to the Fisher matrix, F + damping * I, to keep the CG solve well posed."""
    backtrack_coef: float = 0.8
    """Factor by which the line search shrinks the step."""
    backtrack_iters: int = 10
    """Most shrinkings the line search tries before it keeps the old policy."""
    value_lr: float = 1e-3
    """Adam learning rate of the value function."""
    value_epochs: int = 10
    """Passes of the value regression over each batch."""
    value_minibatch: int = 128
    """Minibatch size of the value regression."""
    hidden: int = 32
    """Width of the two hidden layers of the policy and value networks."""

    def __post_init__(self) -> None:
        self.n_steps = check_int(self.n_steps, "n_steps", 2)
        self.total_timesteps = check_int(self.total_timesteps, "total_timesteps")
        for name in ("gamma", "gae_lambda"):
            value = check_nonnegative(getattr(self, name), name)
            if value > 1:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
            setattr(self, name, value)
        self.max_kl = check_positive(self.max_kl, "max_kl")
        self.cg_iters = check_int(self.cg_iters, "cg_iters")
        self.damping = check_nonnegative(self.damping, "damping")
        self.backtrack_coef = check_positive(self.backtrack_coef, "backtrack_coef")
        if self.backtrack_coef >= 1:
            raise ValueError(
                f"backtrack_coef must lie in (0, 1), got {self.backtrack_coef}"
            )
        self.backtrack_iters = check_int(self.backtrack_iters, "backtrack_iters")
        self.value_lr = check_positive(self.value_lr, "value_lr")
        self.value_epochs = check_int(self.value_epochs, "value_epochs")
        self.value_minibatch = check_int(self.value_minibatch, "value_minibatch")
        self.hidden = check_int(self.hidden, "hidden")


def _mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
        nn.Linear(hidden, n_out),
    )  # fmt: skip


class CategoricalPolicy(nn.Module):
    """A softmax policy ``pi(a|s)`` over ``n_actions`` actions; an MLP gives logits."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 32) -> None:
        super().__init__()
        obs_dim = check_int(obs_dim, "obs_dim")
        n_actions = check_int(n_actions, "n_actions")
        self.net = _mlp(obs_dim, n_actions, check_int(hidden, "hidden"))

    def forward(self, obs: torch.Tensor) -> Categorical:
        """The action distribution at each row of ``obs`` ``(batch, obs_dim)``."""
        return Categorical(logits=self.net(obs))


def flat_params(model: nn.Module) -> torch.Tensor:
    """All parameters of ``model`` as one vector (a copy)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


@torch.no_grad()
def set_flat_params(model: nn.Module, flat: torch.Tensor) -> None:
    """Write the vector ``flat`` (as made by :func:`flat_params`) into ``model``."""
    n = sum(p.numel() for p in model.parameters())
    check_tensor(flat, "flat", 1, floating=True)
    if flat.numel() != n:
        raise ValueError(f"flat has {flat.numel()} entries, the model {n} parameters")
    i = 0
    for p in model.parameters():
        p.copy_(flat[i : i + p.numel()].view_as(p))
        i += p.numel()


def flat_grad(
    y: torch.Tensor, model: nn.Module, create_graph: bool = False
) -> torch.Tensor:
    """Gradient of the scalar ``y`` with respect to all parameters, as one vector."""
    grads = torch.autograd.grad(y, list(model.parameters()), create_graph=create_graph)
    return torch.cat([g.reshape(-1) for g in grads])


def mean_kl(policy: CategoricalPolicy, obs: torch.Tensor, old_logits: torch.Tensor):
    """Mean over states of ``KL(pi_old(.|s) || pi_theta(.|s))``, differentiable."""
    old = Categorical(logits=old_logits)
    return torch.distributions.kl_divergence(old, policy(obs)).mean()


def fisher_vector_product(
    policy: CategoricalPolicy, obs: torch.Tensor, v: torch.Tensor, damping: float = 0.0
) -> torch.Tensor:
    """``(F + damping I) v``, ``F`` the Hessian of the mean KL at the current policy.

    At ``theta = theta_old`` the KL and its gradient vanish and its Hessian is the
    Fisher matrix ``F = E_s E_{a~pi}[grad log pi grad log pi^T]``. Double
    back-propagation gives
    ``F v = grad_theta (grad_theta KL . v)`` for the price of two backward passes.

    Args:
        policy: the current policy (the KL is taken against a frozen copy of it).
        obs: states, shape ``(batch, obs_dim)``.
        v: a vector with one entry per policy parameter, shape ``(n_params,)``.
        damping: a non-negative ``lambda`` added on the diagonal.

    Returns:
        ``(F + damping I) v``, shape ``(n_params,)``.
    """
    check_tensor(obs, "obs", 2, floating=True)
    check_tensor(v, "v", 1, floating=True)
    damping = check_nonnegative(damping, "damping")
    n = sum(p.numel() for p in policy.parameters())
    if v.numel() != n:
        raise ValueError(f"v has {v.numel()} entries, the policy {n} parameters")
    with torch.no_grad():
        old_logits = policy.net(obs)
    grad_kl = flat_grad(mean_kl(policy, obs, old_logits), policy, create_graph=True)
    return flat_grad(grad_kl @ v, policy).detach() + damping * v


def conjugate_gradient(
    matvec: Callable[[torch.Tensor], torch.Tensor],
    b: torch.Tensor,
    n_iters: int = 10,
    residual_tol: float = 1e-10,
) -> torch.Tensor:
    """Approximately solve ``A x = b`` for a symmetric positive definite ``A``.

    Only products ``A p`` are needed. Starting from ``x = 0``, each iteration moves
    along a search direction ``p`` that is ``A``-conjugate to all earlier ones, so that
    in exact arithmetic the solve is exact after ``dim b`` iterations.

    Args:
        matvec: the map ``p -> A p``.
        b: the right-hand side, shape ``(n,)``.
        n_iters: the most iterations.
        residual_tol: stop once the squared residual ``|b - A x|^2`` falls below it.

    Returns:
        The approximate solution ``x``, shape ``(n,)``.
    """
    if not callable(matvec):
        raise TypeError(f"matvec must be callable, got {type(matvec).__name__}")
    check_tensor(b, "b", 1, floating=True)
    n_iters = check_int(n_iters, "n_iters")
    residual_tol = check_nonnegative(residual_tol, "residual_tol")
    x = torch.zeros_like(b)
    r = b.clone()  # residual b - A x
    p = b.clone()  # search direction
    rr = r @ r
    for _ in range(n_iters):
        if rr < residual_tol:
            break
        ap = matvec(p)
        step = rr / (p @ ap)
        x += step * p
        r -= step * ap
        rr_new = r @ r
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def line_search(
    policy: nn.Module,
    surrogate: Callable[[], torch.Tensor],
    kl: Callable[[], torch.Tensor],
    full_step: torch.Tensor,
    max_kl: float,
    backtrack_coef: float = 0.8,
    backtrack_iters: int = 10,
) -> tuple[bool, int]:
    """Backtrack from ``theta_old + full_step`` until the step is safe, in place.

    The step ``theta_old + backtrack_coef**j * full_step`` (``j = 0, 1, ...``) is
    accepted at the first ``j`` where the exact mean KL is at most ``max_kl`` *and* the
    surrogate advantage has improved; the quadratic model that gave ``full_step`` is
    only trusted after that check. If no ``j < backtrack_iters`` passes, the old
    parameters are restored.

    Args:
        policy: the policy; its parameters are ``theta_old`` on entry.
        surrogate: evaluates the surrogate advantage at the policy's current parameters.
        kl: evaluates the mean ``KL(pi_old || pi)`` at the current parameters.
        full_step: the proposed step, shape ``(n_params,)``.
        max_kl: the trust-region radius.
        backtrack_coef: shrink factor, in ``(0, 1)``.
        backtrack_iters: the most trials.

    Returns:
        ``(accepted, j)``: whether a step was taken, and how many shrinkings it needed.
    """
    check_tensor(full_step, "full_step", 1, floating=True)
    max_kl = check_positive(max_kl, "max_kl")
    backtrack_coef = check_positive(backtrack_coef, "backtrack_coef")
    if backtrack_coef >= 1:
        raise ValueError(f"backtrack_coef must lie in (0, 1), got {backtrack_coef}")
    backtrack_iters = check_int(backtrack_iters, "backtrack_iters")
    old = flat_params(policy)
    with torch.no_grad():
        old_value = surrogate().item()
        for j in range(backtrack_iters):
            set_flat_params(policy, old + backtrack_coef**j * full_step)
            if kl().item() <= max_kl and surrogate().item() > old_value:
                return True, j
    set_flat_params(policy, old)
    return False, backtrack_iters


def update(
    policy: CategoricalPolicy,
    value_fn: nn.Module,
    value_optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    config: TRPOConfig,
    generator: torch.Generator,
) -> dict[str, float]:
    """One TRPO iteration on a batch: natural-gradient step, line search, value fit."""
    obs, actions = batch["obs"], batch["actions"]
    advantages, returns = batch["advantages"], batch["returns"]
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    with torch.no_grad():
        old_logits = policy.net(obs)
        old_log_prob = Categorical(logits=old_logits).log_prob(actions)

    def surrogate() -> torch.Tensor:  # L(theta) = E[ratio * A]
        ratio = torch.exp(policy(obs).log_prob(actions) - old_log_prob)
        return (ratio * advantages).mean()

    # 1. Policy gradient g of the surrogate at theta_old.
    g = flat_grad(surrogate(), policy)
    # 2. Natural-gradient direction s = F^{-1} g by conjugate gradient on F v products.
    s = conjugate_gradient(
        lambda v: fisher_vector_product(policy, obs, v, config.damping),
        g,
        config.cg_iters,
    )
    # 3. Scale so that the quadratic KL, (1/2) beta^2 s^T F s, equals max_kl.
    s_f_s = s @ fisher_vector_product(policy, obs, s, config.damping)
    beta = torch.sqrt(2.0 * config.max_kl / (s_f_s + 1e-12))
    # 4. Backtracking line search on the exact KL and the surrogate.
    accepted, shrinks = line_search(
        policy,
        surrogate,
        lambda: mean_kl(policy, obs, old_logits),
        beta * s,
        config.max_kl,
        config.backtrack_coef,
        config.backtrack_iters,
    )
    with torch.no_grad():
        kl = mean_kl(policy, obs, old_logits).item()
    # 5. Value function: a few epochs of minibatch regression on the returns.
    n = len(obs)
    for _ in range(config.value_epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, config.value_minibatch):
            idx = order[start : start + config.value_minibatch]
            value_loss = ((value_fn(obs[idx]).squeeze(-1) - returns[idx]) ** 2).mean()
            value_optimizer.zero_grad()
            value_loss.backward()
            value_optimizer.step()
    return {
        "kl": kl,
        "accepted": float(accepted),
        "shrinks": float(shrinks),
        "step_norm": float(beta * s.norm()),
        "value_loss": value_loss.item(),
    }


def _check_discrete_env(env) -> None:
    import gymnasium

    if not isinstance(env, gymnasium.Env):
        raise TypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
    if not isinstance(env.action_space, gymnasium.spaces.Discrete):
        raise TypeError("this TRPO needs a Discrete action space")
    if not isinstance(env.observation_space, gymnasium.spaces.Box):
        raise TypeError("this TRPO needs a Box observation space")


@torch.no_grad()
def evaluate(
    env, policy: CategoricalPolicy, n_episodes: int, seed: int, greedy: bool = True
) -> np.ndarray:
    """Returns of ``n_episodes`` episodes seeded ``seed, seed + 1, ...``.

    Args:
        env: a Gymnasium environment with a Discrete action space.
        policy: the policy.
        n_episodes: how many episodes.
        seed: seed of the first ``reset``.
        greedy: take the most probable action instead of sampling one.

    Returns:
        The undiscounted returns, shape ``(n_episodes,)``.
    """
    _check_discrete_env(env)
    n_episodes = check_int(n_episodes, "n_episodes")
    seed = check_int(seed, "seed", 0)
    check_bool(greedy, "greedy")
    generator = torch.Generator().manual_seed(seed)
    returns = np.zeros(n_episodes)
    for k in range(n_episodes):
        obs, _ = env.reset(seed=seed + k)
        done = False
        while not done:
            probs = policy(torch.as_tensor(obs, dtype=torch.float32)[None]).probs[0]
            if greedy:
                a = int(probs.argmax())
            else:
                a = int(torch.multinomial(probs, 1, generator=generator))
            obs, reward, terminated, truncated, _ = env.step(a)
            returns[k] += float(reward)
            done = terminated or truncated
    return returns


def train(env, config: TRPOConfig, seed: int) -> dict:
    """Train TRPO on ``env`` for ``config.total_timesteps`` steps.

    Seeding, spelled out: ``env.reset(seed=seed)`` once,
    ``env.action_space.seed(seed)``, ``torch.Generator().manual_seed(seed)`` for the
    initial weights, the sampled actions and the value minibatches; no global random
    state.

    Returns:
        A history dict: ``episode_returns`` and ``episode_end_steps`` of the training
        episodes (actions sampled from the policy), ``updates`` (the dict of each
        :func:`update`), ``seconds``, ``policy`` and ``value_fn``.
    """
    _check_discrete_env(env)
    if not isinstance(config, TRPOConfig):
        raise TypeError(f"config must be a TRPOConfig, got {type(config).__name__}")
    seed = check_int(seed, "seed", 0)
    start = time.perf_counter()
    obs_dim = env.observation_space.shape[0]
    generator = torch.Generator().manual_seed(seed)
    policy = CategoricalPolicy(obs_dim, int(env.action_space.n), config.hidden)
    value_fn = _mlp(obs_dim, 1, config.hidden)
    init_weights(policy, generator)
    init_weights(value_fn, generator)
    value_optimizer = torch.optim.Adam(value_fn.parameters(), lr=config.value_lr)
    env.action_space.seed(seed)
    history: dict = {"episode_returns": [], "episode_end_steps": [], "updates": []}
    obs, _ = env.reset(seed=seed)
    episode_return, step = 0.0, 0
    n = config.n_steps
    while step < config.total_timesteps:
        buf_obs = torch.zeros(n, obs_dim)
        buf_act = torch.zeros(n, dtype=torch.long)
        buf_rew, buf_done, buf_val = torch.zeros(n), torch.zeros(n), torch.zeros(n)
        for t in range(n):
            x = torch.as_tensor(obs, dtype=torch.float32)
            with torch.no_grad():
                probs = policy(x[None]).probs[0]
                buf_val[t] = value_fn(x[None])[0, 0]
            a = int(torch.multinomial(probs, 1, generator=generator))
            obs, reward, terminated, truncated, _ = env.step(a)
            step += 1
            buf_obs[t], buf_act[t], buf_rew[t] = x, a, float(reward)
            episode_return += float(reward)
            if truncated and not terminated:  # time limit: bootstrap from V(s_T)
                with torch.no_grad():
                    final = torch.as_tensor(obs, dtype=torch.float32)[None]
                    buf_rew[t] += config.gamma * value_fn(final)[0, 0]
            if terminated or truncated:
                buf_done[t] = 1.0
                history["episode_returns"].append(episode_return)
                history["episode_end_steps"].append(step)
                obs, _ = env.reset()
                episode_return = 0.0
        with torch.no_grad():
            last = value_fn(torch.as_tensor(obs, dtype=torch.float32)[None])[
                0, 0
            ].item()
        adv = gae(  # the advantage estimator of A2C and PPO, for one environment
            buf_rew[:, None],
            buf_val[:, None],
            buf_done[:, None],
            torch.tensor([last], dtype=buf_rew.dtype),
            config.gamma,
            config.gae_lambda,
        )[0][:, 0]
        batch = {
            "obs": buf_obs,
            "actions": buf_act,
            "advantages": adv,
            "returns": adv + buf_val,
        }
        info = update(policy, value_fn, value_optimizer, batch, config, generator)
        history["updates"].append(info)
        if not math.isfinite(info["value_loss"]):
            raise FloatingPointError(f"the value loss became non-finite at step {step}")
    history["seconds"] = time.perf_counter() - start
    history["policy"] = policy
    history["value_fn"] = value_fn
    return history
