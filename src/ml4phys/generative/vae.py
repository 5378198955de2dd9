"""Variational autoencoders (chapter 11): model, closed-form KL, reparameterisation, ELBO.

A VAE models data :math:`x \\in \\mathbb{R}^D` with a latent variable
:math:`z \\in \\mathbb{R}^d`: prior :math:`p(z) = N(0, I)`, decoder
:math:`p_\\theta(x \\mid z)` and an encoder (the approximate posterior)
:math:`q_\\phi(z \\mid x) = N(\\mu_\\phi(x), \\operatorname{diag} e^{\\ell_\\phi(x)})`
with the log-variance :math:`\\ell`. It is trained by maximising the evidence lower bound

.. math::

    \\mathrm{ELBO}(x) = \\mathbb{E}_{q_\\phi(z|x)}[\\log p_\\theta(x \\mid z)]
    - \\mathrm{KL}(q_\\phi(z \\mid x) \\,\\|\\, p(z)) \\le \\log p_\\theta(x),

i.e. by minimising :func:`negative_elbo`, in nats per sample. Two likelihoods:

* ``"bernoulli"``: each component of :math:`x \\in [0, 1]^D` is a Bernoulli variable with the
  probability the decoder gives (the decoder returns logits); for grey values in
  :math:`(0, 1)` this is the binary cross-entropy, the usual choice for images, but not a
  normalised density of grey values;
* ``"gaussian"``: :math:`x \\mid z \\sim N(\\text{decoder}(z), \\sigma^2 I)` with a fixed
  :math:`\\sigma`, a proper density, with its normalising constant included.

:func:`train` wraps the loss so that :func:`ml4phys.nn.training.fit` can train the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ml4phys._validation import (
    check_int,
    check_nonnegative,
    check_positive,
    check_tensor,
)
from ml4phys.nn.training import History, fit, make_mlp

__all__ = [
    "LIKELIHOODS",
    "VAE",
    "gaussian_kl",
    "reparameterise",
    "log_likelihood",
    "negative_elbo",
    "train",
]

LIKELIHOODS = ("bernoulli", "gaussian")
"""The decoder distributions :class:`VAE` supports."""


def _check_generator(generator: object) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )


def _check_mu_logvar(mu: object, logvar: object) -> None:
    check_tensor(mu, "mu", ndim=2, floating=True)
    check_tensor(logvar, "logvar", ndim=2, floating=True)
    if mu.shape != logvar.shape:
        raise ValueError(
            "mu and logvar must have the same shape (batch, n_latent), got "
            f"{tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    if not (torch.isfinite(mu).all() and torch.isfinite(logvar).all()):
        raise ValueError("mu and logvar must be finite (no NaN or infinity)")


class VAE(nn.Module):
    """A variational autoencoder with MLP encoder and decoder.

    The encoder maps ``x`` ``(batch, n_inputs)`` through ``hidden`` layers to
    ``2 * n_latent`` numbers, the mean and the log-variance of :math:`q(z \\mid x)`; the
    decoder maps ``z`` ``(batch, n_latent)`` through the reversed ``hidden`` layers to
    ``(batch, n_inputs)``: logits of the pixel probabilities (Bernoulli) or the mean
    (Gaussian).

    Args:
        n_inputs: dimension :math:`D` of the data.
        n_latent: dimension :math:`d` of the latent space.
        hidden: widths of the hidden layers of the encoder (the decoder mirrors them).
        likelihood: ``"bernoulli"`` or ``"gaussian"`` (see the module docstring).
        sigma: the fixed standard deviation of the Gaussian likelihood (ignored for
            Bernoulli).
        activation: hidden activation, a name accepted by ``training.make_mlp``.
    """

    def __init__(
        self,
        n_inputs: int,
        n_latent: int = 2,
        hidden: Sequence[int] = (256,),
        likelihood: str = "bernoulli",
        sigma: float = 0.1,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        n_inputs, n_latent = (
            check_int(n_inputs, "n_inputs"),
            check_int(n_latent, "n_latent"),
        )
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}"
            )
        hidden = [check_int(h, "hidden[i]") for h in hidden]
        self.n_inputs, self.n_latent, self.likelihood = n_inputs, n_latent, likelihood
        self.sigma = check_positive(sigma, "sigma")
        self.encoder = make_mlp([n_inputs, *hidden, 2 * n_latent], activation)
        self.decoder = make_mlp([n_latent, *reversed(hidden), n_inputs], activation)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean and log-variance of :math:`q(z \\mid x)`, both ``(batch, n_latent)``."""
        check_tensor(x, "x", ndim=2, floating=True)
        if x.shape[1] != self.n_inputs:
            raise ValueError(
                f"x must have shape (batch, {self.n_inputs}), got {tuple(x.shape)}"
            )
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder output ``(batch, n_inputs)``: logits (Bernoulli) or means (Gaussian)."""
        check_tensor(z, "z", ndim=2, floating=True)
        if z.shape[1] != self.n_latent:
            raise ValueError(
                f"z must have shape (batch, {self.n_latent}), got {tuple(z.shape)}"
            )
        return self.decoder(z)

    def mean(self, z: torch.Tensor) -> torch.Tensor:
        """The mean of :math:`p(x \\mid z)`: pixel probabilities or the Gaussian mean."""
        out = self.decode(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The mean of :math:`p(x \\mid z)` at :math:`z = \\mu(x)`: a reconstruction."""
        return self.mean(self.encode(x)[0])

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded means for ``n`` draws :math:`z \\sim N(0, I)` of the prior.

        Returns:
            ``(n, n_inputs)``: the means of :math:`p(x \\mid z)` (no pixel noise added).
        """
        n = check_int(n, "n")
        _check_generator(generator)
        parameter = next(self.parameters())
        z = torch.randn(
            n, self.n_latent, generator=generator, dtype=parameter.dtype
        ).to(parameter.device)
        return self.mean(z)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL divergence of :math:`N(\\mu, \\operatorname{diag} e^{\\ell})` from
    :math:`N(0, I)`, per sample, in nats.

    .. math:: \\mathrm{KL} = \\tfrac12 \\sum_j (\\mu_j^2 + e^{\\ell_j} - 1 - \\ell_j)

    Args:
        mu: means, ``(batch, n_latent)``.
        logvar: log-variances :math:`\\ell`, ``(batch, n_latent)``.

    Returns:
        ``(batch,)``, non-negative.
    """
    _check_mu_logvar(mu, logvar)
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)


def reparameterise(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A draw :math:`z = \\mu + e^{\\ell/2} \\odot \\varepsilon`,
    :math:`\\varepsilon \\sim N(0, I)`, differentiable in ``mu`` and ``logvar``.

    Args:
        mu: means, ``(batch, n_latent)``.
        logvar: log-variances, ``(batch, n_latent)``.
        generator: the source of :math:`\\varepsilon` (``None``: PyTorch's global one).

    Returns:
        ``(batch, n_latent)``.
    """
    _check_mu_logvar(mu, logvar)
    _check_generator(generator)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def log_likelihood(model: VAE, x: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """:math:`\\log p(x \\mid z)` per sample, in nats, from the decoder output at ``z``.

    Args:
        model: the VAE (it says which likelihood).
        x: data ``(batch, n_inputs)``.
        decoded: ``model.decode(z)``, ``(batch, n_inputs)``.

    Returns:
        ``(batch,)``.
    """
    _check_elbo_args(model, x, None)
    check_tensor(decoded, "decoded", ndim=2, floating=True)
    if decoded.shape != x.shape:
        raise ValueError(
            f"decoded must have the shape of x, {tuple(x.shape)}, got {tuple(decoded.shape)}"
        )
    if model.likelihood == "bernoulli":
        return -nn.functional.binary_cross_entropy_with_logits(
            decoded, x, reduction="none"
        ).sum(dim=-1)
    sigma = model.sigma
    squared = ((x - decoded) ** 2).sum(dim=-1)
    return -0.5 * squared / sigma**2 - x.shape[1] * (
        math.log(sigma) + 0.5 * math.log(2 * math.pi)
    )


def negative_elbo(
    model: VAE,
    x: torch.Tensor,
    generator: torch.Generator | None = None,
    beta: float = 1.0,
) -> torch.Tensor:
    """Minus the evidence lower bound per sample, in nats, with one reparameterised draw.

    :math:`-\\log p(x \\mid z) + \\beta\\, \\mathrm{KL}(q(z \\mid x) \\| p(z))` with
    :math:`z = \\mu(x) + e^{\\ell(x)/2} \\odot \\varepsilon`; ``beta = 1`` is the ELBO,
    other values the :math:`\\beta`-VAE objective.

    Args:
        model: a :class:`VAE`.
        x: data ``(batch, n_inputs)``; in ``[0, 1]`` for the Bernoulli likelihood.
        generator: the source of :math:`\\varepsilon`.
        beta: weight of the KL term, >= 0.

    Returns:
        ``(batch,)``: an unbiased estimate of :math:`-\\mathrm{ELBO}(x)` for each sample.
    """
    _check_elbo_args(model, x, generator)
    beta = check_nonnegative(beta, "beta")
    mu, logvar = model.encode(x)
    z = reparameterise(mu, logvar, generator)
    reconstruction = log_likelihood(model, x, model.decode(z))
    return -reconstruction + beta * gaussian_kl(mu, logvar)


def _check_elbo_args(model: object, x: object, generator: object) -> None:
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a vae.VAE, got {type(model).__name__}")
    check_tensor(x, "x", ndim=2, floating=True)
    if x.shape[1] != model.n_inputs or len(x) == 0:
        raise ValueError(
            f"x must have shape (batch >= 1, {model.n_inputs}), got {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    if model.likelihood == "bernoulli" and (x.min() < 0 or x.max() > 1):
        raise ValueError("the Bernoulli likelihood needs x in [0, 1]")
    _check_generator(generator)


class _Objective(nn.Module):
    """The VAE seen by ``fit``: its forward pass returns the per-sample negative ELBO."""

    def __init__(
        self, model: VAE, generator: torch.Generator | None, beta: float
    ) -> None:
        super().__init__()
        self.model, self.generator, self.beta = model, generator, beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return negative_elbo(self.model, x, self.generator, self.beta)


def _mean_of_first(per_sample: torch.Tensor, _target: torch.Tensor) -> torch.Tensor:
    return per_sample.mean()


def train(
    model: VAE,
    X_train: torch.Tensor,
    X_val: torch.Tensor | None = None,
    *,
    n_epochs: int = 5,
    batch_size: int = 128,
    lr: float = 1e-3,
    beta: float = 1.0,
    generator: torch.Generator | None = None,
) -> History:
    """Train ``model`` with Adam on :func:`negative_elbo` through ``training.fit``.

    Args:
        model: the :class:`VAE` (trained in place).
        X_train: training data ``(n, n_inputs)``.
        X_val: held-out data, or ``None``; its negative ELBO is recorded after every epoch.
        n_epochs: passes through the data.
        batch_size: mini-batch size.
        lr: learning rate of Adam.
        beta: weight of the KL term (1: the ELBO).
        generator: shuffles the batches and draws the reparameterisation noise.

    Returns:
        The ``History``; ``train_loss`` and ``val_loss`` are negative ELBOs in nats per
        sample (``val_loss`` with one draw of :math:`z` per sample). The weights are those
        of the last epoch (not the best on ``X_val``).
    """
    _check_elbo_args(model, X_train, generator)
    if X_val is not None:
        _check_elbo_args(model, X_val, None)
    beta = check_nonnegative(beta, "beta")
    lr = check_positive(lr, "lr")
    objective = _Objective(model, generator, beta)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    val_data = None if X_val is None else (X_val, X_val)
    return fit(
        objective, _mean_of_first, optimizer, (X_train, X_train), val_data=val_data,
        n_epochs=n_epochs, batch_size=batch_size, generator=generator,
        restore_best=False,
    )  # fmt: skip
