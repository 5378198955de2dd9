"""Self-checks for the exercises of chapter 11 (variational autoencoders).

Each ``check_*`` function tests one exercise of ``solutions/11_vae.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. The test
inputs are drawn inside the checks from generators the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from ml4phys import data
from ml4phys.checks._core import (
    as_numpy,
    as_tensor,
    call_student,
    isolated_rng,
    passed,
    require,
)
from ml4phys.generative import vae

__all__ = [
    "check_kl_gaussians",
    "check_importance_weighted",
    "check_beta_tradeoff",
    "check_conditional_vae",
]

_IW_SAMPLES = 4096
_IW_TOLERANCE = 0.05
_ELBO_REPEATS = 2000
_ELBO_TOLERANCE = 0.15
_CVAE_PER_CLASS = 30
_CVAE_THRESHOLD = 0.5
_CVAE_MIN_SPREAD = 0.01


# ----------------------------------------------------------------------------------------------
# Exercise 11.1
# ----------------------------------------------------------------------------------------------


def _reference_kl(mu_q, logvar_q, mu_p, logvar_p) -> torch.Tensor:
    dist = torch.distributions
    q = dist.Independent(dist.Normal(mu_q, torch.exp(0.5 * logvar_q)), 1)
    p = dist.Independent(dist.Normal(mu_p, torch.exp(0.5 * logvar_p)), 1)
    return dist.kl_divergence(q, p)


def check_kl_gaussians(kl_fn: Callable[..., Any]) -> bool:
    """Exercise 11.1: ``kl_fn(mu_q, logvar_q, mu_p, logvar_p)`` is
    :math:`\\mathrm{KL}(q \\| p)` of two diagonal Gaussians, one number per row.

    Compared with ``torch.distributions.kl_divergence`` on random float64 inputs of shape
    ``(batch, d)``, for several ``d``, including equal distributions (KL zero) and
    :math:`p = N(0, I)`.

    Args:
        kl_fn: the student's function.
    """
    g = torch.Generator().manual_seed(110_001)
    cases = []
    for d in (1, 3, 5):
        args = [torch.randn(7, d, generator=g, dtype=torch.float64) for _ in range(4)]
        cases.append((f"random Gaussians in d = {d}", args))
    mu, logvar = (torch.randn(4, 2, generator=g, dtype=torch.float64) for _ in range(2))
    cases.append(("q equal to p", [mu, logvar, mu.clone(), logvar.clone()]))
    zeros = torch.zeros(4, 2, dtype=torch.float64)
    cases.append(("p = N(0, I)", [mu, logvar, zeros, zeros.clone()]))
    for label, args in cases:
        result = call_student(
            kl_fn, *args, name="kl_fn(mu_q, logvar_q, mu_p, logvar_p)",
            exercise="Exercise 11.1",
        )  # fmt: skip
        kl = as_tensor(result, "the output of kl_fn").to(torch.float64)
        batch = args[0].shape[0]
        require(
            kl.shape == (batch,),
            f"Exercise 11.1: for inputs of shape {tuple(args[0].shape)} the KL must have "
            f"shape ({batch},), one number per row (sum over the latent axis); yours has "
            f"{tuple(kl.shape)}.",
        )
        require(
            bool(torch.isfinite(kl).all()),
            f"Exercise 11.1: with {label} your KL contains NaN or infinity.",
        )
        expected = _reference_kl(*args)
        error = (kl - expected).abs().max().item()
        if error > 1e-8:
            swapped = _reference_kl(args[2], args[3], args[0], args[1])
            hint = (
                " It looks like KL(p || q): the divergence is not symmetric."
                if (kl - swapped).abs().max().item() < 1e-8
                else " Check the factor 1/2 and whether you use variances or log-variances."
            )
            require(
                False,
                f"Exercise 11.1: with {label} your KL differs from "
                f"torch.distributions.kl_divergence by up to {error:.3g}.{hint}",
            )
    return passed(
        "Exercise 11.1: your KL divergence agrees with torch.distributions on random "
        "diagonal Gaussians, is zero for equal ones and reduces to the VAE's KL for p = N(0, I)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 11.2
# ----------------------------------------------------------------------------------------------


def _tiny_vae() -> tuple[vae.VAE, torch.Tensor]:
    """A small random VAE (1-D latent, 6 binary pixels) and 8 binary inputs, in float64."""
    with isolated_rng(110_002):
        model = vae.VAE(6, n_latent=1, hidden=(8,), activation="tanh").double()
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(2.0)
        x = (torch.rand(8, 6, dtype=torch.float64) < 0.5).double()
    return model, x


@torch.no_grad()
def _exact_log_evidence_and_elbo(
    model: vae.VAE, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """log p(x) and the ELBO of a 1-D-latent VAE by quadrature on a fine grid of z."""
    z = torch.linspace(-10.0, 10.0, 8001, dtype=torch.float64)
    dz = z[1] - z[0]
    logits = model.decode(z[:, None])  # (n_z, D)
    log_px_z = -torch.nn.functional.binary_cross_entropy_with_logits(
        logits[None].expand(len(x), -1, -1),
        x[:, None].expand(-1, len(z), -1),
        reduction="none",
    ).sum(-1)  # (batch, n_z)
    log_prior = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    log_evidence = torch.logsumexp(log_px_z + log_prior, dim=1) + torch.log(dz)
    mu, logvar = model.encode(x)  # (batch, 1)
    q = torch.exp(-0.5 * (z - mu) ** 2 / logvar.exp()) / torch.sqrt(
        2 * math.pi * logvar.exp()
    )  # (batch, n_z)
    expected_log_lik = (q * log_px_z).sum(1) * dz
    elbo = expected_log_lik - vae.gaussian_kl(mu, logvar)
    return log_evidence, elbo


def check_importance_weighted(log_evidence_fn: Callable[..., Any]) -> bool:
    """Exercise 11.2: ``log_evidence_fn(model, x, n_samples, generator)`` is the
    importance-weighted estimate of :math:`\\log p(x)`, one number per row of ``x``.

    On a small VAE with a one-dimensional latent space, where :math:`\\log p(x)` and the ELBO
    are computed by quadrature: with many samples the estimate must agree with
    :math:`\\log p(x)`; with one sample its average over many draws must agree with the ELBO;
    and equally seeded generators must give equal estimates.

    Args:
        log_evidence_fn: the student's function.
    """
    model, x = _tiny_vae()
    exact, elbo = _exact_log_evidence_and_elbo(model, x)
    name = "log_evidence_fn(model, x, n_samples, generator)"

    def estimate(inputs: torch.Tensor, n_samples: int, seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            out = call_student(
                log_evidence_fn, model, inputs, n_samples, g, name=name,
                exercise="Exercise 11.2",
            )  # fmt: skip
        out = as_tensor(out, "the output of log_evidence_fn").to(torch.float64)
        require(
            out.shape == (len(inputs),),
            f"Exercise 11.2: for x of shape {tuple(inputs.shape)} the estimate must have "
            f"shape ({len(inputs)},), one number per row; yours has {tuple(out.shape)}.",
        )
        require(
            bool(torch.isfinite(out).all()),
            "Exercise 11.2: your estimate contains NaN or infinity; use torch.logsumexp.",
        )
        return out

    many = estimate(x, _IW_SAMPLES, 1)
    error = (many - exact).abs().max().item()
    require(
        error < _IW_TOLERANCE,
        f"Exercise 11.2: with {_IW_SAMPLES} samples your estimate should be close to the "
        f"exact log p(x) (by quadrature); it is off by up to {error:.3g} nats (tolerance "
        f"{_IW_TOLERANCE}). Is it log of the *mean* of the weights p(x, z)/q(z|x)?",
    )
    repeated = x.repeat(_ELBO_REPEATS, 1)
    single = estimate(repeated, 1, 2).reshape(_ELBO_REPEATS, len(x)).mean(0)
    error = (single - elbo).abs().max().item()
    require(
        error < _ELBO_TOLERANCE,
        "Exercise 11.2: with n_samples = 1 the average of your estimate over many draws "
        f"should be the ELBO; it is off by up to {error:.3g} nats. Check the log q(z|x) and "
        "log p(z) terms.",
    )
    again = estimate(x, 16, 3)
    require(
        torch.equal(again, estimate(x, 16, 3)),
        "Exercise 11.2: equally seeded generators must give equal estimates: draw all the "
        "noise from the generator argument.",
    )
    return passed(
        "Exercise 11.2: your importance-weighted estimate converges to log p(x) and equals "
        "the ELBO on average for one sample."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 11.3
# ----------------------------------------------------------------------------------------------


def check_beta_tradeoff(results: Mapping[float, Any]) -> bool:
    """Exercise 11.3: the measured rate-distortion trade-off of the beta-VAE.

    ``results`` maps each ``beta`` to the pair ``(distortion, rate)`` measured on held-out
    data, in nats per sample: distortion :math:`-\\mathbb{E}_q \\log p(x \\mid z)`, rate
    :math:`\\mathrm{KL}(q(z \\mid x) \\| p(z))`. This check tests the shape of the
    measurements (at least four values of beta from at most 1 to at least 4; rates
    non-negative; the rate falls and the distortion grows with beta, up to small noise), not
    how they were computed.

    Args:
        results: ``{beta: (distortion, rate)}``.
    """
    require(
        isinstance(results, Mapping),
        "Exercise 11.3: results must be a dict {beta: (distortion, rate)}; got a "
        f"{type(results).__name__}.",
    )
    rows = []
    for beta, value in results.items():
        require(
            isinstance(beta, (int, float, np.floating, np.integer))
            and not isinstance(beta, bool),
            f"Exercise 11.3: the keys must be the values of beta (numbers); got {beta!r}.",
        )
        pair = as_numpy(value, f"results[{beta!r}]")
        require(
            pair.shape == (2,),
            f"Exercise 11.3: results[{beta!r}] must be a pair (distortion, rate); got "
            f"shape {pair.shape}.",
        )
        require(
            bool(np.isfinite(pair).all()),
            f"Exercise 11.3: results[{beta!r}] must be finite numbers.",
        )
        rows.append((float(beta), *pair))
    rows.sort()
    require(
        len(rows) >= 4 and rows[0][0] <= 1 and rows[-1][0] >= 4,
        "Exercise 11.3: results needs at least four values of beta, the smallest at most 1 "
        "and the largest at least 4.",
    )
    betas, distortion, rate = (np.array(c) for c in zip(*rows))
    require(
        bool((rate >= -1e-6).all()),
        "Exercise 11.3: a rate (KL divergence) must be non-negative; one of yours is "
        f"{rate.min():.3g}.",
    )
    slack_rate = 0.05 * rate[:-1] + 0.2
    require(
        bool((rate[1:] <= rate[:-1] + slack_rate).all()) and rate[-1] < rate[0] - 1.0,
        "Exercise 11.3: the rate should fall as beta grows (a larger beta penalises the KL "
        f"more); yours is {np.round(rate, 2).tolist()} for beta = {betas.tolist()}.",
    )
    slack_dist = 0.05 * np.abs(distortion[:-1]) + 0.2
    require(
        bool((distortion[1:] >= distortion[:-1] - slack_dist).all())
        and distortion[-1] > distortion[0],
        "Exercise 11.3: the distortion should grow with beta (less information in z, worse "
        f"reconstructions); yours is {np.round(distortion, 2).tolist()} for beta = "
        f"{betas.tolist()}.",
    )
    return passed(
        "Exercise 11.3: your measurements trace a rate-distortion curve: the rate falls and "
        "the distortion grows with beta."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 11.4
# ----------------------------------------------------------------------------------------------


def _fashion_classifier() -> torch.nn.Module:
    """A small MLP classifier (784-64-10) trained for three epochs on 10 000 training images.

    It recognises about four in five held-out Fashion-MNIST images. Trained with its own seed
    inside :func:`isolated_rng`, so the student's random state is untouched.
    """
    images, labels = data.load_fashion_mnist("train")
    x = torch.tensor(images[:10_000].reshape(-1, 784) / 255.0, dtype=torch.float32)
    y = torch.as_tensor(labels[:10_000], dtype=torch.int64)
    with isolated_rng(110_005):
        g = torch.Generator().manual_seed(110_005)
        classifier = torch.nn.Sequential(
            torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
        )
        optimizer = torch.optim.Adam(classifier.parameters(), lr=3e-3)
        for _ in range(3):
            order = torch.randperm(len(x), generator=g)
            for start in range(0, len(x), 128):
                batch = order[start : start + 128]
                loss = torch.nn.functional.cross_entropy(classifier(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return classifier.eval()


def check_conditional_vae(generate: Callable[..., Any]) -> bool:
    """Exercise 11.4: ``generate(labels, generator)`` draws Fashion-MNIST images of the
    classes asked for.

    For 30 draws of each class, the images (shape ``(n, 784)``, values in [0, 1]) are
    classified by a small MLP classifier that the check trains on real training images (it
    recognises about four in five held-out images); the share classified as the class asked
    for must be well above chance (one in ten), and the draws of one class must differ from
    one another.

    Args:
        generate: the student's function: ``labels`` an int64 tensor ``(n,)`` in 0..9,
            ``generator`` a ``torch.Generator``; returns ``(n, 784)`` images.
    """
    labels = torch.arange(10).repeat_interleave(_CVAE_PER_CLASS)
    labels = labels[
        torch.randperm(len(labels), generator=torch.Generator().manual_seed(4))
    ]
    g = torch.Generator().manual_seed(110_004)
    with torch.no_grad():
        result = call_student(
            generate, labels.clone(), g, name="generate(labels, generator)",
            exercise="Exercise 11.4",
        )  # fmt: skip
    images = as_numpy(result, "the output of generate")
    require(
        images.shape == (len(labels), 784),
        f"Exercise 11.4: for {len(labels)} labels generate must return shape "
        f"({len(labels)}, 784), flattened images; yours has {images.shape}.",
    )
    require(
        bool(np.isfinite(images).all()) and images.min() >= 0 and images.max() <= 1,
        "Exercise 11.4: the images must be finite pixel intensities in [0, 1] (apply a "
        "sigmoid to the decoder's logits).",
    )
    spread = min(images[labels.numpy() == c].std(axis=0).mean() for c in range(10))
    require(
        spread > _CVAE_MIN_SPREAD,
        "Exercise 11.4: the draws of one class should differ from one another (different "
        f"z from the prior); for one class their mean pixel spread is only {spread:.3g}.",
    )
    classifier = _fashion_classifier()
    with torch.no_grad():
        predicted = classifier(torch.tensor(images, dtype=torch.float32)).argmax(1)
    accuracy = float((predicted == labels).float().mean())
    require(
        accuracy >= _CVAE_THRESHOLD,
        f"Exercise 11.4: a small classifier trained on real images recognises the class you asked "
        f"for in {accuracy:.0%} of your images; it should be at least "
        f"{_CVAE_THRESHOLD:.0%} (chance is 10%). Does the decoder receive the one-hot label?",
    )
    return passed(
        f"Exercise 11.4: {accuracy:.0%} of your samples are recognised as the class asked "
        "for (chance: 10%)."
    )
