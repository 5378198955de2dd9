"""Tests of ml4phys.manifold: PCA and principal angles against scikit-learn and SciPy,
t-SNE's pieces against closed forms and torch autograd, and t-SNE against scikit-learn."""

import math

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from ml4phys import manifold


@pytest.fixture
def data():
    g = np.random.default_rng(0)
    return g.standard_normal((80, 7)) * np.geomspace(4, 0.2, 7) + 3.0


def test_pca_matches_sklearn(data):
    ours = manifold.pca(data, 4)
    theirs = PCA(n_components=4, svd_solver="full").fit(data)
    np.testing.assert_allclose(ours.explained_variance, theirs.explained_variance_)
    np.testing.assert_allclose(
        ours.explained_variance_ratio, theirs.explained_variance_ratio_
    )
    np.testing.assert_allclose(ours.singular_values, theirs.singular_values_)
    np.testing.assert_allclose(ours.mean, theirs.mean_)
    # each component equal up to its sign
    cos = np.abs(np.sum(ours.components * theirs.components_, axis=1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-10)
    np.testing.assert_allclose(
        np.abs(ours.transform(data)), np.abs(theirs.transform(data)), atol=1e-10
    )


def test_pca_components_orthonormal_and_reconstruction(data):
    result = manifold.pca(data, 7)
    np.testing.assert_allclose(
        result.components @ result.components.T, np.eye(7), atol=1e-12
    )
    np.testing.assert_allclose(result.reconstruct(data), data, atol=1e-10)
    assert result.explained_variance_ratio.sum() == pytest.approx(1.0)
    # Eckart-Young: the error of k components is the sum of the discarded s_j^2
    full = manifold.pca(data, 7)
    for k in (1, 3, 5):
        error = np.sum((manifold.pca(data, k).reconstruct(data) - data) ** 2)
        assert error == pytest.approx(np.sum(full.singular_values[k:] ** 2))


def test_pca_sign_is_deterministic(data):
    result = manifold.pca(data, 3)
    rows = np.arange(3)
    assert np.all(result.components[rows, np.abs(result.components).argmax(1)] > 0)


def test_principal_angles_match_scipy():
    g = np.random.default_rng(1)
    for p, q in ((3, 3), (2, 4), (4, 1)):
        A, B = g.standard_normal((10, p)), g.standard_normal((10, q))
        ours = manifold.principal_angles(A, B)
        np.testing.assert_allclose(ours, np.sort(subspace_angles(A, B)), atol=1e-7)
    A = g.standard_normal((6, 2))
    np.testing.assert_allclose(
        manifold.principal_angles(A, A @ [[2, 1], [0, 3]]), 0, atol=1e-7
    )
    e = np.eye(4)
    np.testing.assert_allclose(
        manifold.principal_angles(e[:, :1], e[:, 1:2]), [math.pi / 2]
    )


def test_perplexity_is_calibrated():
    g = np.random.default_rng(2)
    X = g.standard_normal((50, 4)) * [1, 1, 5, 0.1]
    for target in (2.0, 10.0, 30.0):
        P, beta = manifold.conditional_probabilities(X, target)
        np.testing.assert_allclose(P.sum(axis=1), 1.0)
        assert np.all(np.diag(P) == 0) and np.all(beta > 0)
        entropy = -np.sum(np.where(P > 0, P * np.log(np.where(P > 0, P, 1)), 0), axis=1)
        np.testing.assert_allclose(np.exp(entropy), target, rtol=1e-4)
        # P is the Gaussian of the returned precision
        D = manifold.squared_distances(X)
        W = np.exp(-beta[:, None] * D)
        np.fill_diagonal(W, 0)
        np.testing.assert_allclose(P, W / W.sum(1, keepdims=True), atol=1e-12)


def test_joint_probabilities_symmetric():
    X = np.random.default_rng(3).standard_normal((30, 3))
    P = manifold.joint_probabilities(X, 5)
    np.testing.assert_allclose(P, P.T)
    assert P.sum() == pytest.approx(1.0)
    assert np.all(P.sum(axis=1) >= 1 / (2 * 30) - 1e-12)


def _torch_kl(P, Y):
    D = torch.cdist(Y, Y) ** 2
    W = 1 / (1 + D)
    W = W * (1 - torch.eye(len(Y), dtype=Y.dtype))
    Q = W / W.sum()
    mask = P > 0
    return (P[mask] * torch.log(P[mask] / Q[mask])).sum()


def test_kl_and_gradient_match_autograd():
    g = np.random.default_rng(4)
    P = manifold.joint_probabilities(g.standard_normal((15, 6)), 4)
    Y = g.standard_normal((15, 2))
    Yt = torch.tensor(Y, requires_grad=True)
    kl = _torch_kl(torch.tensor(P), Yt)
    kl.backward()
    assert manifold.kl_divergence(P, Y) == pytest.approx(kl.item(), rel=1e-10)
    np.testing.assert_allclose(manifold.kl_gradient(P, Y), Yt.grad.numpy(), atol=1e-10)


def test_tsne_reaches_sklearn_kl():
    g = np.random.default_rng(5)
    centres = 3 * g.standard_normal((4, 50))
    X = np.repeat(centres, 30, axis=0) + g.standard_normal((120, 50))
    ours = manifold.tsne(X, perplexity=20, n_iter=400, rng=np.random.default_rng(0))
    theirs = TSNE(
        perplexity=20, method="exact", init="random", max_iter=400, random_state=0
    ).fit(X)
    assert ours.embedding.shape == (120, 2)
    assert ours.kl_divergence == pytest.approx(
        manifold.kl_divergence(ours.P, ours.embedding)
    )
    # ours within 20 % of scikit-learn's KL (both converge to the same level)
    assert ours.kl_divergence < 1.2 * theirs.kl_divergence_
    assert ours.kl_divergence < 0.5 * manifold.kl_divergence(
        ours.P, g.standard_normal((120, 2))
    )
    assert ours.kl_history[-1] <= ours.kl_history[0]


def test_tsne_is_deterministic():
    X = np.random.default_rng(6).standard_normal((20, 3))
    a = manifold.tsne(X, perplexity=5, n_iter=300, rng=np.random.default_rng(1))
    b = manifold.tsne(X, perplexity=5, n_iter=300, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.embedding, b.embedding)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda X: manifold.pca("abc", 2), TypeError),
        (lambda X: manifold.pca(X[0], 2), ValueError),
        (lambda X: manifold.pca(X[:1], 1), ValueError),
        (lambda X: manifold.pca(np.where(X > 1, np.nan, X), 2), ValueError),
        (lambda X: manifold.pca(X, 0), ValueError),
        (lambda X: manifold.pca(X, 8), ValueError),
        (lambda X: manifold.pca(X, 2.0), TypeError),
        (lambda X: manifold.pca(X.astype(str), 2), TypeError),
        (lambda X: manifold.principal_angles(X, X[:5]), ValueError),
        (lambda X: manifold.conditional_probabilities(X, 0.5), ValueError),
        (lambda X: manifold.conditional_probabilities(X, 100), ValueError),
        (lambda X: manifold.conditional_probabilities(X, "30"), TypeError),
        (lambda X: manifold.kl_divergence(np.ones((3, 3)), X), ValueError),
        (lambda X: manifold.kl_divergence(-np.eye(80), X), ValueError),
        (lambda X: manifold.tsne(X, rng=1), TypeError),
        (lambda X: manifold.tsne(X, rng=None), TypeError),
        (
            lambda X: manifold.tsne(X, n_iter=100, rng=np.random.default_rng(0)),
            ValueError,
        ),
        (
            lambda X: manifold.tsne(
                X, early_exaggeration=0.5, rng=np.random.default_rng(0)
            ),
            ValueError,
        ),
        (
            lambda X: manifold.tsne(X, learning_rate=-1, rng=np.random.default_rng(0)),
            ValueError,
        ),
        (
            lambda X: manifold.tsne(X, n_components=0, rng=np.random.default_rng(0)),
            ValueError,
        ),
    ],
)
def test_bad_inputs(data, call, error):
    with pytest.raises(error):
        call(data)


def test_transform_checks_width(data):
    result = manifold.pca(data, 2)
    with pytest.raises(ValueError):
        result.transform(data[:, :3])
    with pytest.raises(ValueError):
        result.inverse_transform(np.zeros((4, 3)))
