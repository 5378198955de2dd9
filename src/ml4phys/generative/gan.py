r"""Generative adversarial networks (chapter 12): small MLP players, their losses, one step.

A GAN trains two networks against each other. The *generator* :math:`G` maps latent noise
:math:`z \sim \mathcal N(0, I)` to a sample :math:`G(z)`; the *discriminator* :math:`D`
(a *critic* in the Wasserstein form) scores samples as real or fake. The module holds

* the players: :func:`make_generator`, :func:`make_discriminator` (also the critic), and
  :func:`sample` to draw from a trained generator;
* the losses as pure functions of the discriminator's outputs: :func:`discriminator_loss`,
  :func:`generator_loss_saturating`, :func:`generator_loss_nonsaturating`,
  :func:`critic_loss`, :func:`critic_generator_loss`, and the :func:`gradient_penalty` of
  Gulrajani et al. (2017);
* one training step, :func:`update`, steered by a :class:`GANConfig`, and a short
  :func:`train` loop around it with a :class:`GANHistory` (losses per step, snapshots of
  samples for figures) that raises on NaN.

Everything takes an explicit ``torch.Generator`` (called ``noise`` here, since
"generator" is the network) for the latent noise and the mini-batches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ml4phys._validation import check_int, check_nonnegative, check_positive
from ml4phys.nn.training import make_mlp
from ml4phys.runtime import in_book_build

__all__ = [
    "LOSSES",
    "GANConfig",
    "GANHistory",
    "critic_generator_loss",
    "critic_loss",
    "discriminator_loss",
    "generator_loss_nonsaturating",
    "generator_loss_saturating",
    "gradient_penalty",
    "make_discriminator",
    "make_generator",
    "sample",
    "train",
    "update",
]

LOSSES = ("saturating", "nonsaturating", "wgan-gp")
"""The games :func:`update` can play: the two classic generator losses and WGAN-GP."""


# ----------------------------------------------------------------------------------------------
# The players
# ----------------------------------------------------------------------------------------------


def make_generator(
    latent_dim: int,
    data_dim: int,
    hidden: Sequence[int] = (64, 64),
    noise: torch.Generator | None = None,
) -> torch.nn.Sequential:
    r"""An MLP generator ``z (n, latent_dim) -> x (n, data_dim)`` with ReLU hidden layers.

    The output layer is linear, so the samples can lie anywhere in :math:`\mathbb R^d`.

    Args:
        latent_dim: dimension of the latent noise, >= 1.
        data_dim: dimension of a sample, >= 1.
        hidden: widths of the hidden layers, each >= 1.
        noise: random generator of the initial weights (PyTorch's default scheme);
            ``None`` uses PyTorch's global generator.
    """
    latent_dim, data_dim = (
        check_int(latent_dim, "latent_dim"),
        check_int(data_dim, "data_dim"),
    )
    widths = _check_hidden(hidden)
    return _initialise(
        make_mlp([latent_dim, *widths, data_dim], activation="relu"), noise
    )


def make_discriminator(
    data_dim: int,
    hidden: Sequence[int] = (64, 64),
    noise: torch.Generator | None = None,
) -> torch.nn.Sequential:
    r"""An MLP discriminator or critic ``x (n, data_dim) -> score (n, 1)``, LeakyReLU inside.

    The output is a raw score: a logit :math:`a` with :math:`D(x) = \sigma(a)` for the
    classic GAN, the critic's value :math:`f(x)` for WGAN-GP. No batch norm, which would
    couple the samples of a batch and break the per-sample gradient penalty.

    Args:
        data_dim: dimension of a sample, >= 1.
        hidden: widths of the hidden layers, each >= 1.
        noise: random generator of the initial weights; ``None`` uses the global one.
    """
    data_dim = check_int(data_dim, "data_dim")
    widths = [data_dim, *_check_hidden(hidden), 1]
    layers: list[torch.nn.Module] = []
    for n_in, n_out in zip(widths[:-2], widths[1:-1]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.LeakyReLU(0.2)]
    layers.append(torch.nn.Linear(widths[-2], 1))
    return _initialise(torch.nn.Sequential(*layers), noise)


def sample(
    generator: torch.nn.Module, n: int, noise: torch.Generator | None = None
) -> np.ndarray:
    """``n`` samples of a generator as a float32 array ``(n, data_dim)``, without gradients.

    Args:
        generator: a network whose first layer is a ``Linear`` (its ``in_features`` is the
            latent dimension), e.g. from :func:`make_generator`.
        n: number of samples, >= 1.
        noise: the random generator of the latent noise; ``None`` uses PyTorch's global one.
    """
    n = check_int(n, "n")
    latent_dim = _latent_dim(generator)
    with torch.no_grad():
        z = torch.randn(n, latent_dim, generator=noise)
        return generator(z).numpy().astype(np.float32)


# ----------------------------------------------------------------------------------------------
# The losses: pure functions of the discriminator's raw outputs (logits or critic values)
# ----------------------------------------------------------------------------------------------


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    r"""The discriminator's loss :math:`-\mathbb E\log D(x) - \mathbb E\log(1-D(G(z)))`.

    With :math:`D = \sigma(a)`: :math:`-\log\sigma(a) = \operatorname{softplus}(-a)` and
    :math:`-\log(1-\sigma(a)) = \operatorname{softplus}(a)`, which stay finite for any
    logit. This is the binary cross-entropy with real = 1, fake = 0, and minus the value
    :math:`V(D, G)` of the game.

    Args:
        real_logits: logits on real samples, shape ``(n,)`` or ``(n, 1)``.
        fake_logits: logits on generated samples, shape ``(m,)`` or ``(m, 1)``.

    Returns:
        A scalar tensor.
    """
    real_logits, fake_logits = (
        _scores(real_logits, "real_logits"),
        _scores(fake_logits, "fake_logits"),
    )
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The generator's loss of the original minimax game, :math:`\mathbb E\log(1-D(G(z)))`.

    Equal to :math:`-\operatorname{mean}\,\operatorname{softplus}(a)`. Its gradient with
    respect to the logit, :math:`-\sigma(a)`, vanishes when the discriminator rejects the
    fakes (:math:`a \to -\infty`): the loss *saturates*.

    Args:
        fake_logits: logits on generated samples, shape ``(m,)`` or ``(m, 1)``.
    """
    return -F.softplus(_scores(fake_logits, "fake_logits")).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The non-saturating generator loss :math:`-\mathbb E\log D(G(z))`.

    Equal to :math:`\operatorname{mean}\,\operatorname{softplus}(-a)`; its gradient
    with respect to the logit, :math:`\sigma(a) - 1`, tends to :math:`-1` when the
    discriminator rejects the fakes, so the generator still learns.

    Args:
        fake_logits: logits on generated samples, shape ``(m,)`` or ``(m, 1)``.
    """
    return F.softplus(-_scores(fake_logits, "fake_logits")).mean()


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    r"""The Wasserstein critic's loss :math:`\mathbb E f(G(z)) - \mathbb E f(x)`.

    Minus the Kantorovich-Rubinstein estimate of the Wasserstein-1 distance (add the
    :func:`gradient_penalty` to keep :math:`f` close to 1-Lipschitz).

    Args:
        real_scores: critic values on real samples, shape ``(n,)`` or ``(n, 1)``.
        fake_scores: critic values on generated samples, shape ``(m,)`` or ``(m, 1)``.
    """
    real_scores, fake_scores = (
        _scores(real_scores, "real_scores"),
        _scores(fake_scores, "fake_scores"),
    )
    return fake_scores.mean() - real_scores.mean()


def critic_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    r"""The WGAN generator's loss :math:`-\mathbb E f(G(z))`.

    Args:
        fake_scores: critic values on generated samples, shape ``(m,)`` or ``(m, 1)``.
    """
    return -_scores(fake_scores, "fake_scores").mean()


def gradient_penalty(
    critic: torch.nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    noise: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The gradient penalty :math:`\mathbb E(|\nabla_{\hat x} f(\hat x)| - 1)^2`.

    The points :math:`\hat x = \epsilon x + (1-\epsilon)\tilde x` lie on the segments
    between real samples :math:`x` and fakes :math:`\tilde x`, with one
    :math:`\epsilon\sim U(0,1)` per pair (Gulrajani et al. 2017). The gradient is taken
    with ``create_graph=True``, so the penalty can be backpropagated to the critic.

    Args:
        critic: maps ``(n, d)`` to ``(n, 1)`` or ``(n,)``.
        real: real samples, shape ``(n, d)``.
        fake: generated samples, shape ``(n, d)`` (detached from the generator here).
        noise: the random generator of :math:`\epsilon`; ``None`` uses the global one.

    Returns:
        A scalar tensor.
    """
    real, fake = _check_pair(real, fake)
    eps = torch.rand(real.shape[0], 1, generator=noise, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


# ----------------------------------------------------------------------------------------------
# One step, and the loop
# ----------------------------------------------------------------------------------------------


@dataclass
class GANConfig:
    """What one :func:`update` does."""

    loss: str = "nonsaturating"
    """The game: ``"saturating"`` or ``"nonsaturating"`` (a discriminator with the
    cross-entropy loss, two generator losses), or ``"wgan-gp"`` (a critic)."""
    latent_dim: int = 2
    """Dimension of the latent noise :math:`z`."""
    n_critic: int = 1
    """Discriminator (critic) steps per generator step; Gulrajani et al. use 5."""
    gp_weight: float = 10.0
    r"""Weight :math:`\lambda` of the gradient penalty (WGAN-GP only)."""
    lr_generator: float = 1e-3
    """Adam learning rate of the generator (used by :func:`train`)."""
    lr_discriminator: float = 1e-3
    """Adam learning rate of the discriminator or critic (used by :func:`train`)."""
    betas: tuple[float, float] = (0.5, 0.9)
    """Adam's momentum parameters; a small first one is customary for GANs."""

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        self.latent_dim = check_int(self.latent_dim, "latent_dim")
        self.n_critic = check_int(self.n_critic, "n_critic")
        self.gp_weight = check_nonnegative(self.gp_weight, "gp_weight")
        self.lr_generator = check_positive(self.lr_generator, "lr_generator")
        self.lr_discriminator = check_positive(
            self.lr_discriminator, "lr_discriminator"
        )
        b1, b2 = self.betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {self.betas}")


def update(
    generator: torch.nn.Module,
    discriminator: torch.nn.Module,
    batch: torch.Tensor,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    config: GANConfig,
    noise: torch.Generator | None = None,
) -> dict[str, float]:
    r"""One round: ``n_critic`` discriminator steps, then one generator step.

    Each discriminator step draws fresh fakes for the same real ``batch``.

    Args:
        generator: latent ``(n, latent_dim)`` -> samples ``(n, d)``.
        discriminator: samples ``(n, d)`` -> scores ``(n, 1)``.
        batch: real samples, shape ``(n, d)``.
        optimizers: ``(generator_optimizer, discriminator_optimizer)``.
        config: the game and its settings.
        noise: random generator of the latent noise and of the penalty's
            :math:`\epsilon`.

    Returns:
        ``{"d_loss": ..., "g_loss": ...}`` of the last steps (``"gp"`` too for WGAN-GP).
    """
    g_opt, d_opt = optimizers
    n = batch.shape[0]
    wasserstein = config.loss == "wgan-gp"
    for _ in range(config.n_critic):
        z = torch.randn(n, config.latent_dim, generator=noise)
        fake = generator(z).detach()
        real_scores, fake_scores = discriminator(batch), discriminator(fake)
        if wasserstein:
            gp = gradient_penalty(discriminator, batch, fake, noise)
            d_loss = critic_loss(real_scores, fake_scores) + config.gp_weight * gp
        else:
            d_loss = discriminator_loss(real_scores, fake_scores)
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()

    z = torch.randn(n, config.latent_dim, generator=noise)
    fake_scores = discriminator(generator(z))
    if wasserstein:
        g_loss = critic_generator_loss(fake_scores)
    elif config.loss == "saturating":
        g_loss = generator_loss_saturating(fake_scores)
    else:
        g_loss = generator_loss_nonsaturating(fake_scores)
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()  # D's gradients from this step are zeroed before its next step

    out = {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
    if wasserstein:
        out["gp"] = gp.item()
    return out


@dataclass
class GANHistory:
    """What :func:`train` records."""

    d_loss: list[float] = field(default_factory=list)
    """Discriminator (critic) loss per step."""
    g_loss: list[float] = field(default_factory=list)
    """Generator loss per step."""
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)
    """Step -> samples ``(n_snapshot, d)`` from one fixed latent batch (step 0 = before)."""


def train(
    generator: torch.nn.Module,
    discriminator: torch.nn.Module,
    data: torch.Tensor | np.ndarray,
    config: GANConfig,
    n_steps: int,
    batch_size: int = 128,
    noise: torch.Generator | None = None,
    snapshot_steps: Sequence[int] = (),
    n_snapshot: int = 500,
    progress: bool | None = None,
) -> GANHistory:
    """Train a GAN for ``n_steps`` rounds of :func:`update` on mini-batches of ``data``.

    Adam optimizers with the config's learning rates and betas are made here. Each step
    draws a mini-batch of ``batch_size`` rows of ``data`` with replacement.

    Args:
        generator: from :func:`make_generator` (its input width must be
            ``config.latent_dim``).
        discriminator: from :func:`make_discriminator`.
        data: the training samples, shape ``(N, d)``, finite.
        config: the game and its settings.
        n_steps: number of generator steps, >= 1.
        batch_size: real samples per step, >= 1.
        noise: random generator of batches, latent noise and penalty; ``None`` = global.
        snapshot_steps: steps after which to store samples (0 = before training).
        n_snapshot: samples per snapshot, all from the same latent batch.
        progress: a progress bar; ``None`` shows it except in the book build.

    Returns:
        The :class:`GANHistory`. Both networks are left in ``eval()`` mode.

    Raises:
        FloatingPointError: when a loss becomes NaN or infinite.
    """
    X = _check_data(data)
    if not isinstance(config, GANConfig):
        raise TypeError(f"config must be a GANConfig, got {type(config).__name__}")
    n_steps, batch_size = (
        check_int(n_steps, "n_steps"),
        check_int(batch_size, "batch_size"),
    )
    n_snapshot = check_int(n_snapshot, "n_snapshot")
    steps = {check_int(s, "snapshot_steps[i]", minimum=0) for s in snapshot_steps}
    if _latent_dim(generator) != config.latent_dim:
        raise ValueError(
            f"the generator takes {_latent_dim(generator)} latent inputs, but "
            f"config.latent_dim = {config.latent_dim}"
        )
    g_opt = torch.optim.Adam(generator.parameters(), config.lr_generator, config.betas)
    d_opt = torch.optim.Adam(
        discriminator.parameters(), config.lr_discriminator, config.betas
    )
    z_fixed = torch.randn(n_snapshot, config.latent_dim, generator=noise)
    history = GANHistory()
    show = (not in_book_build()) if progress is None else bool(progress)
    generator.train(), discriminator.train()
    for step in tqdm(range(n_steps + 1), desc="GAN", disable=not show):
        if step in steps:
            with torch.no_grad():
                history.snapshots[step] = generator(z_fixed).numpy().copy()
        if step == n_steps:
            break
        idx = torch.randint(X.shape[0], (batch_size,), generator=noise)
        losses = update(generator, discriminator, X[idx], (g_opt, d_opt), config, noise)
        if not all(math.isfinite(v) for v in losses.values()):
            raise FloatingPointError(
                f"GAN training diverged at step {step}: losses {losses}; lower the "
                "learning rates"
            )
        history.d_loss.append(losses["d_loss"])
        history.g_loss.append(losses["g_loss"])
    generator.eval(), discriminator.eval()
    return history


# ----------------------------------------------------------------------------------------------
# Internals
# ----------------------------------------------------------------------------------------------


def _initialise(model: torch.nn.Sequential, noise: torch.Generator | None):
    """PyTorch's default initialisation of ``Linear`` layers, drawn from ``noise``."""
    if noise is None:
        return model
    if not isinstance(noise, torch.Generator):
        raise TypeError(f"noise must be a torch.Generator, got {type(noise).__name__}")
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, torch.nn.Linear):
                bound = 1 / math.sqrt(layer.in_features)  # kaiming_uniform(a=sqrt(5))
                layer.weight.uniform_(-bound, bound, generator=noise)
                layer.bias.uniform_(-bound, bound, generator=noise)
    return model


def _check_hidden(hidden: Sequence[int]) -> list[int]:
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(
            f"hidden must be a sequence of ints, got {type(hidden).__name__}"
        )
    return [check_int(h, "hidden[i]") for h in hidden]


def _latent_dim(generator: object) -> int:
    if not isinstance(generator, torch.nn.Module):
        raise TypeError(
            f"generator must be a torch.nn.Module, got {type(generator).__name__}"
        )
    first = next(
        (m for m in generator.modules() if isinstance(m, torch.nn.Linear)), None
    )
    if first is None:
        raise ValueError(
            "generator must contain a Linear layer (its input = the latent)"
        )
    return first.in_features


def _scores(value: object, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}")
    if value.dim() == 2 and value.shape[1] == 1:
        value = value[:, 0]
    if value.dim() != 1 or value.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n,) or (n, 1), got {tuple(value.shape)}"
        )
    return value


def _check_pair(real: object, fake: object) -> tuple[torch.Tensor, torch.Tensor]:
    for value, name in ((real, "real"), (fake, "fake")):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise TypeError(f"{name} must be a floating-point torch.Tensor")
        if value.dim() != 2 or value.shape[0] == 0:
            raise ValueError(f"{name} must have shape (n, d), got {tuple(value.shape)}")
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}"
        )
    return real, fake


def _check_data(data: object) -> torch.Tensor:
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(np.asarray(data, dtype=np.float32))
    if not isinstance(data, torch.Tensor):
        raise TypeError(f"data must be an array or a tensor, got {type(data).__name__}")
    if data.dim() != 2 or data.shape[0] == 0:
        raise ValueError(f"data must have shape (N, d), got {tuple(data.shape)}")
    if not bool(torch.isfinite(data).all()):
        raise ValueError("data contains NaN or infinite values")
    return data.float()
