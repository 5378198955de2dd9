"""Denoising diffusion models (chapter 13): schedule, forward process, loss, samplers.

The forward process adds Gaussian noise in ``T`` small steps,
``q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)``, and has the closed-form
marginal ``q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)`` with
``abar_t = prod_{s <= t} (1 - beta_s)``. A network ``eps_theta(x_t, t, y)`` learns to
predict the noise that was added (:func:`denoising_loss`); the samplers run the process
backwards, step by step (:func:`ddpm_sample`, ancestral sampling) or deterministically
on a coarser grid of times (:func:`ddim_sample`). Both accept a guidance strength ``w``
for classifier-free guidance, ``eps = (1 + w) eps(x, t, y) - w eps(x, t, no label)``.

Times are integers ``t = 0, 1, ..., T`` as in the papers: ``t = 0`` is the data and
every array of the :class:`Schedule` has ``T + 1`` entries, with ``beta_0 = 0`` and
``abar_0 = 1``.

* :class:`Schedule`, :func:`linear_schedule`, :func:`cosine_schedule`;
* :func:`q_sample` (the closed-form forward process), :func:`posterior` (the Gaussian
  ``q(x_{t-1} | x_t, x_0)``);
* :class:`NoiseMLP`, a small noise-prediction network with a time embedding and an
  optional class label (index ``n_classes`` is the "no label" token);
* :func:`denoising_loss` (the simple epsilon loss, with label dropout for guidance);
* :func:`ddpm_sample` and :func:`ddim_sample`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ml4phys._validation import (
    check_bool,
    check_callable,
    check_int,
    check_nonnegative,
    check_positive,
    check_tensor,
)

__all__ = [
    "Schedule",
    "linear_schedule",
    "cosine_schedule",
    "q_sample",
    "posterior",
    "NoiseMLP",
    "denoising_loss",
    "ddpm_sample",
    "ddim_sample",
]

EpsModel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]
"""``eps_model(x_t, t, y) -> eps``: x_t ``(n, d)``, int times ``(n,)``, labels/None."""


@dataclass(frozen=True)
class Schedule:
    """A noise schedule of ``T`` steps; every tensor has ``T + 1`` entries (t = 0..T).

    Attributes:
        betas: ``beta_t``, the variance added in step t; ``beta_0 = 0``.
        alphas: ``alpha_t = 1 - beta_t``.
        alpha_bars: ``abar_t = prod_{s <= t} alpha_s``; ``abar_0 = 1``.
    """

    betas: torch.Tensor
    alphas: torch.Tensor
    alpha_bars: torch.Tensor

    @property
    def n_steps(self) -> int:
        """The number ``T`` of noising steps."""
        return len(self.betas) - 1

    @classmethod
    def from_betas(cls, betas: torch.Tensor) -> Schedule:
        """The schedule of ``beta_1, ..., beta_T`` (shape ``(T,)``, each in (0, 1))."""
        betas = check_tensor(betas, "betas", ndim=1, floating=True)
        if len(betas) < 1:
            raise ValueError("betas must hold at least one step")
        if not bool(torch.isfinite(betas).all()) or not bool(
            ((betas > 0) & (betas < 1)).all()
        ):
            raise ValueError("every beta_t must lie in the open interval (0, 1)")
        betas = torch.cat([betas.new_zeros(1), betas]).double()
        alphas = 1 - betas
        return cls(betas, alphas, torch.cumprod(alphas, 0))


def linear_schedule(
    n_steps: int = 100, beta_start: float | None = None, beta_end: float | None = None
) -> Schedule:
    """Betas rising linearly from ``beta_start`` to ``beta_end`` (Ho et al. 2020).

    The defaults scale the paper's 1e-4 .. 0.02 for T = 1000 by 1000 / T, so that the
    total noise, and with it ``abar_T``, stays about the same for every ``T``.

    Args:
        n_steps: the number T of steps, >= 1.
        beta_start: ``beta_1``; default ``0.1 / T``.
        beta_end: ``beta_T``; default ``20 / T`` (capped at 0.999).

    Returns:
        The :class:`Schedule`.
    """
    n_steps = check_int(n_steps, "n_steps")
    start = (
        0.1 / n_steps
        if beta_start is None
        else check_positive(beta_start, "beta_start")
    )
    end = (
        min(20 / n_steps, 0.999)
        if beta_end is None
        else check_positive(beta_end, "beta_end")
    )
    if not (start < 1 and end < 1):
        raise ValueError(f"beta_start and beta_end must be below 1, got {start}, {end}")
    return Schedule.from_betas(torch.linspace(start, end, n_steps, dtype=torch.float64))


def cosine_schedule(n_steps: int = 100, s: float = 0.008) -> Schedule:
    """The cosine schedule of Nichol & Dhariwal (2021).

    ``abar_t`` is proportional to ``cos^2((t/T + s) / (1 + s) pi/2)``.

    Args:
        n_steps: the number T of steps, >= 1.
        s: the small offset that keeps ``beta_1`` away from zero, >= 0.

    Returns:
        The :class:`Schedule` (betas capped at 0.999).
    """
    n_steps = check_int(n_steps, "n_steps")
    s = check_nonnegative(s, "s")
    u = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
    f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    betas = (1 - abar[1:] / abar[:-1]).clamp(1e-8, 0.999)
    return Schedule.from_betas(betas)


def _check_schedule(schedule: object) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    return schedule


def _check_times(t: object, n: int, schedule: Schedule, low: int = 0) -> torch.Tensor:
    """Integer times as a long tensor of shape (n,); an int is broadcast."""
    if isinstance(t, bool):
        raise TypeError("t must be an int or an integer tensor, got bool")
    if isinstance(t, int):
        t = torch.full((n,), t, dtype=torch.long)
    t = check_tensor(t, "t", ndim=1)
    if t.is_floating_point() or t.dtype == torch.bool:
        raise TypeError(f"t must hold integer times, got dtype {t.dtype}")
    if len(t) != n:
        raise ValueError(
            f"t must have one time per sample ({n}), got shape {tuple(t.shape)}"
        )
    if len(t) and not bool(((t >= low) & (t <= schedule.n_steps)).all()):
        raise ValueError(f"times must lie in {low}..{schedule.n_steps}")
    return t.long()


def _check_points(x: object, name: str) -> torch.Tensor:
    x = check_tensor(x, name, ndim=2, floating=True)
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _column(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values[t]`` as a column ``(n, 1)`` of the dtype of ``like``."""
    return values[t].to(like.dtype).unsqueeze(1)


def q_sample(
    x0: torch.Tensor, t: torch.Tensor | int, noise: torch.Tensor, schedule: Schedule
) -> torch.Tensor:
    """Sample the forward process in one go.

    ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``.

    Args:
        x0: clean data, ``(n, d)``.
        t: integer times in 0..T, ``(n,)``, or one int for all samples.
        noise: the standard normal ``eps``, ``(n, d)``.
        schedule: the noise schedule.

    Returns:
        ``x_t``, ``(n, d)``.
    """
    x0, noise = _check_points(x0, "x0"), _check_points(noise, "noise")
    schedule = _check_schedule(schedule)
    if noise.shape != x0.shape:
        raise ValueError(f"noise {tuple(noise.shape)} and x0 {tuple(x0.shape)} differ")
    t = _check_times(t, len(x0), schedule)
    abar = _column(schedule.alpha_bars, t, x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def posterior(
    x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor | int, schedule: Schedule
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of the Gaussian ``q(x_{t-1} | x_t, x_0)``, for t >= 1.

    ``mean = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x_0
    + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t`` and
    ``var = (1 - abar_{t-1}) / (1 - abar_t) beta_t`` (the same for every component).

    Args:
        x0: clean data, ``(n, d)``.
        xt: noisy data at time t, ``(n, d)``.
        t: integer times in 1..T, ``(n,)``, or one int.
        schedule: the noise schedule.

    Returns:
        ``(mean, var)`` with shapes ``(n, d)`` and ``(n, 1)``.
    """
    x0, xt = _check_points(x0, "x0"), _check_points(xt, "xt")
    schedule = _check_schedule(schedule)
    if xt.shape != x0.shape:
        raise ValueError(f"xt {tuple(xt.shape)} and x0 {tuple(x0.shape)} differ")
    t = _check_times(t, len(x0), schedule, low=1)
    beta, alpha = _column(schedule.betas, t, x0), _column(schedule.alphas, t, x0)
    abar, abar_prev = (
        _column(schedule.alpha_bars, t, x0),
        _column(schedule.alpha_bars, t - 1, x0),
    )
    mean = (abar_prev.sqrt() * beta * x0 + alpha.sqrt() * (1 - abar_prev) * xt) / (
        1 - abar
    )
    return mean, (1 - abar_prev) / (1 - abar) * beta


class NoiseMLP(nn.Module):
    """A noise-prediction MLP ``eps_theta(x_t, t, y)`` with time and label embeddings.

    The time enters as sinusoidal features of ``t / T`` (``n_time`` of them), the
    label as a learned embedding of ``n_classes + 1`` entries, the last being the
    "no label" token used for classifier-free guidance (``y=None`` selects it for every
    sample). Both are concatenated with ``x`` and passed through ``n_layers`` hidden
    layers of width ``n_hidden`` with SiLU activations.

    With a ``schedule`` the last layer is read as a guess ``x0_hat`` of the clean data
    instead (the "x0 parametrisation"), and the model returns the noise it implies,
    ``eps = (x_t - sqrt(abar_t) x0_hat) / sqrt(1 - abar_t)``: the same function class,
    but the output layer no longer has to undo the factor ``1 / sqrt(abar_t)``, which is
    large at high noise. (Times must then be at least 1, where ``abar_t < 1``.)

    Args:
        dim: the data dimension d.
        n_steps: the number T of diffusion steps (to scale the time).
        n_hidden: width of the hidden layers.
        n_layers: number of hidden layers, >= 1.
        n_classes: number of class labels; 0 for an unconditional model.
        n_time: number of sinusoidal time features (even).
        schedule: if given, predict ``x0`` and convert it to the noise with this
            schedule (its ``T`` must equal ``n_steps``); None predicts the noise.
    """

    def __init__(
        self,
        dim: int,
        n_steps: int,
        n_hidden: int = 128,
        n_layers: int = 3,
        n_classes: int = 0,
        n_time: int = 16,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__()
        self.dim = check_int(dim, "dim")
        self.n_steps = check_int(n_steps, "n_steps")
        self.predicts_x0 = schedule is not None
        if schedule is not None:
            if _check_schedule(schedule).n_steps != self.n_steps:
                raise ValueError(
                    f"schedule has T = {schedule.n_steps} steps, n_steps is {n_steps}"
                )
            self.register_buffer("alpha_bars", schedule.alpha_bars.float())
        n_hidden, n_layers = (
            check_int(n_hidden, "n_hidden"),
            check_int(n_layers, "n_layers"),
        )
        self.n_classes = check_int(n_classes, "n_classes", minimum=0)
        self.n_time = check_int(n_time, "n_time", minimum=2)
        if self.n_time % 2:
            raise ValueError(f"n_time must be even, got {n_time}")
        n_label = 16 if self.n_classes else 0
        self.label = (
            nn.Embedding(self.n_classes + 1, n_label) if self.n_classes else None
        )
        layers: list[nn.Module] = []
        width = self.dim + self.n_time + n_label
        for _ in range(n_layers):
            layers += [nn.Linear(width, n_hidden), nn.SiLU()]
            width = n_hidden
        layers.append(nn.Linear(width, self.dim))
        self.net = nn.Sequential(*layers)
        freqs = torch.exp(torch.linspace(0, math.log(100.0), self.n_time // 2))
        self.register_buffer("freqs", freqs)

    def time_features(self, t: torch.Tensor) -> torch.Tensor:
        """Sinusoidal features ``(n, n_time)`` of the integer times ``t`` ``(n,)``."""
        phase = (t.float() / self.n_steps).unsqueeze(1) * self.freqs
        return torch.cat([torch.sin(phase), torch.cos(phase)], dim=1)

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The predicted noise ``(n, d)`` for ``x`` ``(n, d)``, times, labels ``(n,)``.

        Labels run over 0..n_classes, ``n_classes`` meaning "no label"; ``y=None`` is no
        label for all samples (an unconditional model ignores ``y``).
        """
        parts = [x, self.time_features(t)]
        if self.label is not None:
            if y is None:
                y = torch.full(
                    (len(x),), self.n_classes, dtype=torch.long, device=x.device
                )
            if y.dtype != torch.long or bool(((y < 0) | (y > self.n_classes)).any()):
                raise ValueError(f"labels must be int64 in 0..{self.n_classes}")
            parts.append(self.label(y))
        out = self.net(torch.cat(parts, dim=1))
        if not self.predicts_x0:
            return out
        abar = self.alpha_bars[t].unsqueeze(1)
        return (x - abar.sqrt() * out) / (1 - abar).sqrt()


def denoising_loss(
    model: EpsModel,
    x0: torch.Tensor,
    schedule: Schedule,
    y: torch.Tensor | None = None,
    p_uncond: float = 0.0,
    n_classes: int = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The simple loss ``E_{t, eps} |eps - eps_theta(x_t, t, y)|^2`` of a batch.

    Draws ``t`` uniformly from 1..T and ``eps ~ N(0, I)`` per sample, forms ``x_t`` with
    :func:`q_sample` and averages the squared error over samples and components. With
    labels and ``p_uncond > 0``, each label is replaced by the "no label" token
    ``n_classes`` with probability ``p_uncond``, so that one network learns the
    conditional and the unconditional noise (classifier-free guidance).

    Args:
        model: ``model(x_t, t, y) -> eps``, e.g. a :class:`NoiseMLP`.
        x0: a batch of clean data, ``(n, d)``.
        schedule: the noise schedule.
        y: int64 labels ``(n,)`` or None.
        p_uncond: probability of dropping a label, in [0, 1].
        n_classes: the "no label" token (the number of classes) when ``y`` is given.
        generator: random generator for t, eps and the label dropout.

    Returns:
        The scalar loss (differentiable in the model's parameters).
    """
    check_callable(model, "model")
    x0, schedule = _check_points(x0, "x0"), _check_schedule(schedule)
    p_uncond = check_nonnegative(p_uncond, "p_uncond")
    if p_uncond > 1:
        raise ValueError(f"p_uncond must lie in [0, 1], got {p_uncond}")
    n = len(x0)
    t = torch.randint(1, schedule.n_steps + 1, (n,), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    if y is not None:
        y = check_tensor(y, "y", ndim=1)
        if y.dtype != torch.long or len(y) != n:
            raise ValueError("y must be int64 labels, one per sample")
        drop = torch.rand(n, generator=generator) < p_uncond
        y = torch.where(drop, torch.full_like(y, check_int(n_classes, "n_classes")), y)
    xt = q_sample(x0, t, noise, schedule)
    return ((noise - model(xt, t, y)) ** 2).mean()


def _guided_eps(
    model: EpsModel, x: torch.Tensor, t: int, y: torch.Tensor | None, w: float
) -> torch.Tensor:
    """``(1 + w) eps(x, t, y) - w eps(x, t, None)``; ``eps(x, t, y)`` when w = 0."""
    times = torch.full((len(x),), t, dtype=torch.long)
    eps = model(x, times, y)
    if w == 0 or y is None:
        return eps
    return (1 + w) * eps - w * model(x, times, None)


def _check_sampler_args(model, schedule, n, dim, y, guidance, generator):
    check_callable(model, "model")
    schedule = _check_schedule(schedule)
    n, dim = check_int(n, "n"), check_int(dim, "dim")
    guidance = check_nonnegative(guidance, "guidance")
    if y is not None:
        y = check_tensor(y, "y", ndim=1)
        if y.dtype != torch.long or len(y) != n:
            raise ValueError(f"y must be int64 labels of shape ({n},)")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator, got {type(generator).__name__}"
        )
    return schedule, n, dim, y, guidance


@torch.no_grad()
def ddpm_sample(
    model: EpsModel,
    schedule: Schedule,
    n: int,
    dim: int,
    y: torch.Tensor | None = None,
    guidance: float = 0.0,
    generator: torch.Generator | None = None,
    trajectory: bool = False,
    variance: str = "beta",
) -> torch.Tensor:
    """Ancestral sampling (Ho et al. 2020): ``x_T ~ N(0, I)``, T steps back to ``x_0``.

    Each step is
    ``x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t) + sigma_t z``
    with ``z ~ N(0, I)`` (no noise in the last step) and ``sigma_t^2 = beta_t``
    (``variance="beta"``, exact for data N(0, I)) or the posterior variance
    ``(1 - abar_{t-1}) / (1 - abar_t) beta_t`` (``variance="posterior"``, exact for data
    concentrated on one point).

    Args:
        model: ``model(x_t, t, y) -> eps`` (in eval mode).
        schedule: the noise schedule the model was trained with.
        n: number of samples.
        dim: data dimension.
        y: int64 labels ``(n,)`` for a conditional model, or None.
        guidance: the guidance strength w >= 0 (needs ``y``).
        generator: random generator for ``x_T`` and the noise of every step.
        trajectory: also return every intermediate ``x_t``.
        variance: ``"beta"`` or ``"posterior"``, the choice of ``sigma_t^2``.

    Returns:
        ``x_0`` of shape ``(n, dim)``, or with ``trajectory`` all of ``x_T, ..., x_0``,
        shape ``(T + 1, n, dim)`` (index k holds ``x_{T-k}``).
    """
    schedule, n, dim, y, w = _check_sampler_args(
        model, schedule, n, dim, y, guidance, generator
    )
    check_bool(trajectory, "trajectory")
    if variance not in ("beta", "posterior"):
        raise ValueError(f'variance must be "beta" or "posterior", got {variance!r}')
    x = torch.randn(n, dim, generator=generator)
    path = [x]
    for t in range(schedule.n_steps, 0, -1):
        beta, alpha = float(schedule.betas[t]), float(schedule.alphas[t])
        abar, abar_prev = (
            float(schedule.alpha_bars[t]),
            float(schedule.alpha_bars[t - 1]),
        )
        eps = _guided_eps(model, x, t, y, w)
        x = (x - beta / math.sqrt(1 - abar) * eps) / math.sqrt(alpha)
        if t > 1:
            var = beta if variance == "beta" else (1 - abar_prev) / (1 - abar) * beta
            x = x + math.sqrt(var) * torch.randn(n, dim, generator=generator)
        path.append(x)
    return torch.stack(path) if trajectory else x


@torch.no_grad()
def ddim_sample(
    model: EpsModel,
    schedule: Schedule,
    n: int,
    dim: int,
    n_steps: int,
    y: torch.Tensor | None = None,
    guidance: float = 0.0,
    generator: torch.Generator | None = None,
    clip: float | None = None,
) -> torch.Tensor:
    """Deterministic DDIM sampling (Song, Meng & Ermon 2021) on ``n_steps`` times.

    The times are evenly spaced. From ``x_T ~ N(0, I)``, each step from time t to an
    earlier time s estimates the clean data
    ``x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)`` and moves to
    ``x_s = sqrt(abar_s) x0_hat + sqrt(1 - abar_s) eps``; the last step lands on s = 0.

    Args:
        model: ``model(x_t, t, y) -> eps`` (in eval mode).
        schedule: the noise schedule the model was trained with.
        n: number of samples.
        dim: data dimension.
        n_steps: number of network evaluations, 1..T.
        y: int64 labels ``(n,)`` for a conditional model, or None.
        guidance: the guidance strength w >= 0 (needs ``y``).
        generator: random generator for ``x_T`` (the only randomness).
        clip: clip ``x0_hat`` to ``[-clip, clip]`` (data known to be bounded), or None.

    Returns:
        The samples ``(n, dim)``.
    """
    schedule, n, dim, y, w = _check_sampler_args(
        model, schedule, n, dim, y, guidance, generator
    )
    n_steps = check_int(n_steps, "n_steps")
    if n_steps > schedule.n_steps:
        raise ValueError(
            f"n_steps must be at most T = {schedule.n_steps}, got {n_steps}"
        )
    clip = None if clip is None else check_positive(clip, "clip")
    times = torch.linspace(schedule.n_steps, 0, n_steps + 1).round().long().tolist()
    x = torch.randn(n, dim, generator=generator)
    for t, s in zip(times[:-1], times[1:]):
        abar_t, abar_s = float(schedule.alpha_bars[t]), float(schedule.alpha_bars[s])
        eps = _guided_eps(model, x, t, y, w)
        x0_hat = (x - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
        if clip is not None:
            x0_hat = x0_hat.clamp(-clip, clip)
            eps = (x - math.sqrt(abar_t) * x0_hat) / math.sqrt(1 - abar_t)
        x = math.sqrt(abar_s) * x0_hat + math.sqrt(1 - abar_s) * eps
    return x
