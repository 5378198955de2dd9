"""Low-dimensional maps of data: PCA from the SVD, principal angles, and t-SNE in NumPy.

* :func:`pca` returns a :class:`PCAResult` (components, explained variance, the mean, and
  ``transform`` / ``inverse_transform``), computed from the SVD of the centred data;
* :func:`principal_angles` measures how far apart two subspaces are (QR, then an SVD);
* :func:`tsne` embeds data in two (or more) dimensions by t-distributed stochastic neighbour
  embedding (van der Maaten and Hinton, 2008), written out: the perplexity calibrated per
  point by bisection (:func:`conditional_probabilities`), the symmetrised affinities
  (:func:`joint_probabilities`), the Student-t similarities of the map and the KL divergence
  between the two (:func:`kl_divergence`) with its exact gradient (:func:`kl_gradient`),
  and gradient descent with momentum, gains and an early-exaggeration phase.

Chapter 10 teaches these and chapter 18 reuses PCA on Ising configurations. Everything works
on NumPy arrays of shape ``(n_samples, n_features)`` in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ml4phys._validation import check_int, check_positive, check_real, check_rng

__all__ = [
    "PCAResult",
    "pca",
    "principal_angles",
    "squared_distances",
    "conditional_probabilities",
    "joint_probabilities",
    "kl_divergence",
    "kl_gradient",
    "TSNEResult",
    "tsne",
]


def _check_matrix(X: object, name: str, min_rows: int = 1) -> np.ndarray:
    """``X`` as a finite float64 array of shape (rows, columns) with enough rows."""
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    if not isinstance(X, (np.ndarray, list, tuple)):
        raise TypeError(f"{name} must be a 2-D array, got {type(X).__name__}")
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {X.shape}")
    if X.shape[0] < min_rows or X.shape[1] < 1:
        raise ValueError(
            f"{name} must have at least {min_rows} rows and 1 column, got {X.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X.astype(np.float64)


# ------------------------------------------------------------------------------------ PCA


def _check_components(k: object, X: np.ndarray) -> int:
    k = check_int(k, "n_components")
    if k > min(X.shape):
        raise ValueError(f"n_components must be <= min(n, d) = {min(X.shape)}, got {k}")
    return k


@dataclass(frozen=True)
class PCAResult:
    """The principal components of a data set and the maps in and out of their span.

    Attributes:
        components: ``(k, d)``, orthonormal rows, the directions of largest variance first.
        explained_variance: ``(k,)``, the variance of the data along each component
            (the eigenvalues of the sample covariance, with ``1/(n-1)``).
        explained_variance_ratio: ``(k,)``, the same divided by the total variance.
        singular_values: ``(k,)``, the singular values of the centred data.
        mean: ``(d,)``, the mean that was subtracted.
    """

    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    singular_values: np.ndarray
    mean: np.ndarray

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The coordinates ``(n, k)`` of data ``X (n, d)`` along the components."""
        X = _check_matrix(X, "X")
        if X.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"X must have {self.mean.shape[0]} columns, got shape {X.shape}"
            )
        return (X - self.mean) @ self.components.T

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """The points ``(n, d)`` with coordinates ``Z (n, k)``: mean + Z @ components."""
        Z = _check_matrix(Z, "Z")
        if Z.shape[1] != self.components.shape[0]:
            raise ValueError(
                f"Z must have {self.components.shape[0]} columns, got shape {Z.shape}"
            )
        return self.mean + Z @ self.components

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """The orthogonal projection ``(n, d)`` of ``X`` onto mean + span(components)."""
        return self.inverse_transform(self.transform(X))


def pca(X: np.ndarray, n_components: int) -> PCAResult:
    """Principal component analysis of ``X`` from the SVD of the centred data.

    The sign of each component is fixed: its entry of largest magnitude is positive.

    Args:
        X: data, shape ``(n, d)`` with ``n >= 2``.
        n_components: number ``k`` of components to keep, ``1 <= k <= min(n, d)``.

    Returns:
        The :class:`PCAResult`.

    Raises:
        TypeError, ValueError: on a bad ``X`` (not 2-D, NaN, under 2 rows) or ``k``.
    """
    X = _check_matrix(X, "X", min_rows=2)
    k = _check_components(n_components, X)

    mean = X.mean(axis=0)
    U, S, Vt = np.linalg.svd(X - mean, full_matrices=False)  # X - mean = U diag(S) Vt
    signs = np.sign(Vt[np.arange(len(S)), np.abs(Vt).argmax(axis=1)])
    Vt = Vt * signs[:, None]  # a deterministic sign for every component
    variance = S**2 / (X.shape[0] - 1)  # eigenvalues of the sample covariance
    return PCAResult(
        components=Vt[:k],
        explained_variance=variance[:k],
        explained_variance_ratio=variance[:k] / variance.sum(),
        singular_values=S[:k],
        mean=mean,
    )


def principal_angles(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """The principal angles between the column spaces of ``A`` and ``B``, in radians.

    With orthonormal bases ``Q_A``, ``Q_B`` (from QR decompositions), the cosines of the
    angles are the singular values of ``Q_A^T Q_B``.

    Args:
        A: shape ``(d, p)``, columns spanning the first subspace (full column rank).
        B: shape ``(d, q)``, columns spanning the second.

    Returns:
        ``(min(p, q),)`` angles in ``[0, pi/2]``, in increasing order.

    Raises:
        TypeError, ValueError: on non-matrices, NaN, or a different number of rows.
    """
    A, B = _check_matrix(A, "A"), _check_matrix(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(
            f"A and B must have the same number of rows, got {A.shape} and {B.shape}"
        )
    Q_A, _ = np.linalg.qr(A)
    Q_B, _ = np.linalg.qr(B)
    cosines = np.linalg.svd(Q_A.T @ Q_B, compute_uv=False)  # decreasing
    return np.arccos(np.clip(cosines, -1.0, 1.0))


# ---------------------------------------------------------------------------------- t-SNE


def squared_distances(X: np.ndarray) -> np.ndarray:
    """The matrix ``(n, n)`` of squared Euclidean distances between the rows of ``X``."""
    X = _check_matrix(X, "X")
    norms = np.sum(X**2, axis=1)
    D = norms[:, None] + norms[None, :] - 2 * X @ X.T
    np.fill_diagonal(D, 0.0)
    return np.maximum(D, 0.0)  # rounding can make tiny distances negative


def _row_probabilities(
    D: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``p_{j|i} ~ exp(-beta_i D_ij)`` (no self term) and their entropies in nats."""
    D = D - np.min(D + np.diag(np.full(len(D), np.inf)), axis=1, keepdims=True)
    P = np.exp(-beta[:, None] * D)
    np.fill_diagonal(P, 0.0)
    Z = P.sum(axis=1, keepdims=True)
    P = P / Z
    entropy = np.log(Z[:, 0]) + beta * np.sum(P * D, axis=1)  # H_i = ln Z_i + beta <D>
    return P, entropy


def _check_perplexity(value: object, n: int) -> float:
    value = check_positive(value, "perplexity")
    if not 1.0 <= value <= n - 1:
        raise ValueError(
            f"perplexity must lie in [1, n - 1] = [1, {n - 1}], got {value}"
        )
    return value


def conditional_probabilities(
    X: np.ndarray, perplexity: float = 30.0, tol: float = 1e-5, max_iter: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian neighbour probabilities ``p_{j|i}`` with a given perplexity per point.

    For each point ``i`` the precision ``beta_i = 1 / (2 sigma_i^2)`` is found by bisection
    such that the perplexity ``exp(H_i)`` of the row ``p_{j|i} ~ exp(-beta_i |x_i - x_j|^2)``
    (``j != i``, entropy ``H_i`` in nats) equals ``perplexity`` to within ``tol`` in ``H``.
    All rows are bisected at once.

    Args:
        X: data, shape ``(n, d)`` with ``n >= 2``.
        perplexity: the target, ``1 <= perplexity <= n - 1`` (the number of "effective
            neighbours").
        tol: tolerance on the entropy, in nats.
        max_iter: number of bisection steps at most.

    Returns:
        ``(P, beta)``: ``P (n, n)`` with rows summing to one and zero diagonal, and the
        precisions ``beta (n,)``.
    """
    X = _check_matrix(X, "X", min_rows=2)
    perplexity = _check_perplexity(perplexity, len(X))
    tol, max_iter = check_positive(tol, "tol"), check_int(max_iter, "max_iter")

    D = squared_distances(X)
    scale = np.median(D[~np.eye(len(D), dtype=bool)]) or 1.0  # a scale-free start
    D = D / scale
    target = math.log(perplexity)
    beta = np.ones(len(D))
    low, high = np.zeros(len(D)), np.full(len(D), np.inf)
    for _ in range(max_iter):
        P, entropy = _row_probabilities(D, beta)
        too_flat = entropy > target  # too many neighbours: raise the precision
        if np.all(np.abs(entropy - target) < tol):
            break
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(np.isinf(high), 2 * beta, (low + high) / 2)
    return P, beta / scale


def joint_probabilities(X: np.ndarray, perplexity: float = 30.0) -> np.ndarray:
    """The symmetric affinities ``p_ij = (p_{j|i} + p_{i|j}) / (2n)``, summing to one."""
    P, _ = conditional_probabilities(X, perplexity)
    return (P + P.T) / (2 * len(P))


def _student_t(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The kernel ``w_ij = 1 / (1 + |y_i - y_j|^2)`` (zero diagonal) and ``q_ij = w_ij / Z``."""
    W = 1.0 / (1.0 + squared_distances(Y))
    np.fill_diagonal(W, 0.0)
    return W, W / W.sum()


def _check_pair(P: object, Y: object) -> tuple[np.ndarray, np.ndarray]:
    P, Y = _check_matrix(P, "P", min_rows=2), _check_matrix(Y, "Y", min_rows=2)
    if P.shape != (len(Y), len(Y)):
        raise ValueError(
            f"P must have shape (n, n) = {(len(Y), len(Y))}, got {P.shape}"
        )
    if np.any(P < 0):
        raise ValueError("P must be non-negative")
    return P, Y


def kl_divergence(P: np.ndarray, Y: np.ndarray) -> float:
    """``KL(P || Q) = sum_ij p_ij ln(p_ij / q_ij)`` for the Student-t similarities of ``Y``.

    Args:
        P: joint affinities ``(n, n)`` summing to one (see :func:`joint_probabilities`).
        Y: the map, ``(n, m)``.
    """
    P, Y = _check_pair(P, Y)
    _, Q = _student_t(Y)
    mask = P > 0
    return float(np.sum(P[mask] * np.log(P[mask] / Q[mask])))


def kl_gradient(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The gradient ``(n, m)`` of :func:`kl_divergence` with respect to the map ``Y``.

    ``dC/dy_i = 4 sum_j (p_ij - q_ij) (y_i - y_j) / (1 + |y_i - y_j|^2)``.
    """
    P, Y = _check_pair(P, Y)
    return _kl_gradient(P, Y)


def _kl_gradient(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    W, Q = _student_t(Y)
    A = (P - Q) * W  # (n, n): (p_ij - q_ij) w_ij
    return 4 * (A.sum(axis=1, keepdims=True) * Y - A @ Y)  # sum_j A_ij (y_i - y_j)


def _check_iterations(n_iter: object, exaggeration_iter: object) -> tuple[int, int]:
    n_iter = check_int(n_iter, "n_iter")
    exaggeration_iter = check_int(exaggeration_iter, "exaggeration_iter", minimum=0)
    if n_iter <= exaggeration_iter:
        raise ValueError(
            f"n_iter must exceed exaggeration_iter = {exaggeration_iter}, got {n_iter}"
        )
    return n_iter, exaggeration_iter


def _check_exaggeration(value: object) -> float:
    value = check_real(value, "early_exaggeration")
    if value < 1:
        raise ValueError(f"early_exaggeration must be >= 1, got {value}")
    return value


def _check_learning_rate(value: object, n: int, exaggeration: float) -> float:
    if value is None:  # scikit-learn's "auto"
        return max(n / exaggeration / 4, 50.0)
    return check_positive(value, "learning_rate")


@dataclass(frozen=True)
class TSNEResult:
    """The outcome of :func:`tsne`.

    Attributes:
        embedding: the map ``(n, n_components)``.
        kl_divergence: ``KL(P || Q)`` of the final map (without exaggeration).
        kl_history: the KL divergence every 50 iterations, for a plot of the optimisation.
        P: the joint affinities ``(n, n)`` that were matched.
    """

    embedding: np.ndarray
    kl_divergence: float
    kl_history: list[float] = field(repr=False)
    P: np.ndarray = field(repr=False)


def tsne(
    X: np.ndarray,
    n_components: int = 2,
    perplexity: float = 30.0,
    n_iter: int = 1000,
    early_exaggeration: float = 12.0,
    exaggeration_iter: int = 250,
    learning_rate: float | None = None,
    rng: np.random.Generator | None = None,
) -> TSNEResult:
    """t-distributed stochastic neighbour embedding of ``X``, exact (all pairs), in NumPy.

    Gradient descent on ``KL(P || Q)`` with momentum (0.5 during the first
    ``exaggeration_iter`` steps, 0.8 after), per-coordinate gains (+0.2 where the gradient
    keeps its sign, x0.8 where it flips, at least 0.01), and ``P`` multiplied by
    ``early_exaggeration`` during the first ``exaggeration_iter`` steps. The start is
    ``1e-4`` times standard normal numbers from ``rng``.

    Args:
        X: data, shape ``(n, d)`` with ``n >= 3``.
        n_components: dimension of the map, >= 1.
        perplexity: effective number of neighbours, ``1 <= perplexity <= n - 1``.
        n_iter: number of gradient steps in all, ``> exaggeration_iter``.
        early_exaggeration: factor on ``P`` in the first phase, >= 1.
        exaggeration_iter: length of the first phase, >= 0.
        learning_rate: step size; ``None`` takes ``max(n / early_exaggeration / 4, 50)``,
            scikit-learn's ``"auto"``.
        rng: the random generator of the start (required).

    Returns:
        The :class:`TSNEResult`.
    """
    X = _check_matrix(X, "X", min_rows=3)
    n_components = check_int(n_components, "n_components")
    n_iter, exaggeration_iter = _check_iterations(n_iter, exaggeration_iter)
    exaggeration = _check_exaggeration(early_exaggeration)
    learning_rate = _check_learning_rate(learning_rate, len(X), exaggeration)
    rng = check_rng(rng)

    P = joint_probabilities(X, perplexity)
    Y = 1e-4 * rng.standard_normal((len(X), n_components))
    update, gains = np.zeros_like(Y), np.ones_like(Y)
    history = []
    for it in range(n_iter):
        early = it < exaggeration_iter
        grad = _kl_gradient(exaggeration * P if early else P, Y)
        keeps_sign = update * grad < 0  # the last step went downhill along grad
        gains = np.maximum(np.where(keeps_sign, gains + 0.2, gains * 0.8), 0.01)
        update = (0.5 if early else 0.8) * update - learning_rate * gains * grad
        Y = Y + update
        if it % 50 == 49:
            history.append(kl_divergence(P, Y))
    return TSNEResult(
        embedding=Y, kl_divergence=kl_divergence(P, Y), kl_history=history, P=P
    )
