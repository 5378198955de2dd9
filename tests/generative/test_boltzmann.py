"""Tests of the binary RBM: free energy, exact likelihood, Gibbs sampling and CD-k."""

from __future__ import annotations

import numpy as np
import pytest

from ml4phys import data
from ml4phys.generative import boltzmann as bm


def all_binary(n):
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)


def tiny_rbm(n_visible=5, n_hidden=3, seed=0, scale=1.0):
    r = np.random.default_rng(seed)
    return bm.RBM(
        W=scale * r.standard_normal((n_visible, n_hidden)),
        b=r.standard_normal(n_visible),
        c=r.standard_normal(n_hidden),
    )


def brute_joint(rbm):
    """p(v, h) over all states by enumeration: (V, H, P) with P of shape (2^nv, 2^nh)."""
    V, H = all_binary(rbm.n_visible), all_binary(rbm.n_hidden)
    E = -(V @ rbm.b)[:, None] - (H @ rbm.c)[None, :] - V @ rbm.W @ H.T
    w = np.exp(-E)
    return V, H, w / w.sum()


def brute_log_likelihood(rbm, X):
    V, _, P = brute_joint(rbm)
    p_v = P.sum(axis=1)
    index = (X @ (2 ** np.arange(X.shape[1]))).astype(int)
    return np.mean(np.log(p_v[index]))


def brute_gradient(rbm, X):
    """The exact gradient <v h>_data - <v h>_model by enumeration (reference for FD)."""
    V, _, P = brute_joint(rbm)
    p_v = P.sum(axis=1)
    ph_model = bm.hidden_probabilities(rbm, V)
    ph_data = bm.hidden_probabilities(rbm, X)
    dW = X.T @ ph_data / len(X) - (V * p_v[:, None]).T @ ph_model
    db = X.mean(0) - p_v @ V
    dc = ph_data.mean(0) - p_v @ ph_model
    return dW, db, dc


def test_energy_matches_formula():
    rbm = tiny_rbm()
    v, h = np.array([[1, 0, 1, 1, 0.0]]), np.array([[0, 1, 1.0]])
    expected = -(v @ rbm.b) - (h @ rbm.c) - v @ rbm.W @ h.T
    assert bm.energy(rbm, v, h) == pytest.approx(expected.ravel())


def test_free_energy_is_marginal_over_hidden():
    rbm = tiny_rbm()
    V, H = all_binary(5), all_binary(3)
    for v in V:
        vv = np.repeat(v[None], len(H), axis=0)
        brute = -np.log(np.exp(-bm.energy(rbm, vv, H)).sum())
        assert bm.free_energy(rbm, v[None])[0] == pytest.approx(brute)


@pytest.mark.parametrize("shape", [(5, 3), (3, 6)])
def test_exact_log_likelihood_matches_enumeration(shape):
    rbm = tiny_rbm(*shape, seed=1)
    X = (np.random.default_rng(2).random((20, shape[0])) < 0.5).astype(float)
    assert bm.exact_log_likelihood(rbm, X) == pytest.approx(
        brute_log_likelihood(rbm, X)
    )
    V, _, P = brute_joint(rbm)
    assert np.exp(-bm.free_energy(rbm, V) - bm.log_partition_function(rbm)) == (
        pytest.approx(P.sum(axis=1))
    )


def test_conditionals_match_enumeration():
    rbm = tiny_rbm()
    V, H, P = brute_joint(rbm)
    k = 11  # one visible state
    p_h = P[k] / P[k].sum()
    assert bm.hidden_probabilities(rbm, V[k : k + 1])[0] == pytest.approx(p_h @ H)
    j = 5
    p_v = P[:, j] / P[:, j].sum()
    assert bm.visible_probabilities(rbm, H[j : j + 1])[0] == pytest.approx(p_v @ V)


def test_exact_gradient_matches_finite_differences():
    rbm = tiny_rbm(4, 3, seed=3, scale=0.5)
    X = (np.random.default_rng(4).random((15, 4)) < 0.4).astype(float)
    grads = brute_gradient(rbm, X)
    eps = 1e-6
    for name, grad in zip(("W", "b", "c"), grads):
        param = getattr(rbm, name)
        fd = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + eps
            up = bm.exact_log_likelihood(rbm, X)
            param[idx] = old - eps
            down = bm.exact_log_likelihood(rbm, X)
            param[idx] = old
            fd[idx] = (up - down) / (2 * eps)
        assert np.allclose(grad, fd, atol=1e-6), name


def test_gibbs_sampling_reproduces_exact_distribution():
    rbm = tiny_rbm(4, 2, seed=5)
    V, _, P = brute_joint(rbm)
    p_v = P.sum(axis=1)
    rng = np.random.default_rng(6)
    v, _ = bm.gibbs_chain(rbm, np.zeros((20000, 4)), 30, rng)
    index = (v @ (2 ** np.arange(4))).astype(int)
    freq = np.bincount(index, minlength=16) / len(v)
    assert np.abs(freq - p_v).max() < 5 * np.sqrt(p_v.max() / len(v))


def test_cd_update_in_expectation_is_data_minus_model_term():
    """With k large, the mean CD update approaches the exact gradient (enumeration)."""
    rbm = tiny_rbm(4, 2, seed=8, scale=0.5)
    X = np.repeat(
        (np.random.default_rng(9).random((4, 4)) < 0.5).astype(float), 2000, 0
    )
    exact_dW, exact_db, _ = brute_gradient(rbm, X)
    probe = rbm.copy()
    bm.cd_update(probe, X, 50, 1.0, np.random.default_rng(10))
    assert np.allclose(probe.W - rbm.W, exact_dW, atol=0.03)
    assert np.allclose(probe.b - rbm.b, exact_db, atol=0.03)


def test_cd_training_raises_exact_log_likelihood():
    rng = np.random.default_rng(11)
    X = data.segments(100, rng, length=6, width=2).astype(float)
    rbm = bm.RBM.random(6, 3, rng, data=X)
    history = bm.train(rbm, X, 40, 10, 0.2, rng, track_log_likelihood=True)
    assert len(history.log_likelihood) == 41
    assert len(history.reconstruction_error) == 40
    assert history.log_likelihood[-1] > history.log_likelihood[0] + 0.5
    # never better than the entropy bound of the empirical distribution
    _, counts = np.unique(X, axis=0, return_counts=True)
    q = counts / counts.sum()
    assert history.log_likelihood[-1] <= np.sum(q * np.log(q)) + 1e-9


def test_random_init_uses_data_marginals_and_is_seeded():
    X = data.segments(500, np.random.default_rng(0), length=8, width=3).astype(float)
    a = bm.RBM.random(8, 4, np.random.default_rng(1), data=X)
    b = bm.RBM.random(8, 4, np.random.default_rng(1), data=X)
    assert np.array_equal(a.W, b.W)
    p = np.clip(X.mean(0), 0.01, 0.99)
    # with W ~ 0 the model's marginals are sigmoid(b)
    assert np.allclose(1 / (1 + np.exp(-a.b)), p)


def test_train_refuses_to_diverge():
    rng = np.random.default_rng(0)
    X = data.segments(50, rng, length=8, width=3).astype(float)
    rbm = bm.RBM.random(8, 4, rng)
    rbm.W[:] = 1e300
    with pytest.raises(FloatingPointError, match="learning rate"):
        bm.train(rbm, X, 1, 10, 1e10, rng, weight_decay=1.0)


def _rbm():
    return tiny_rbm(4, 2)


R = np.random.default_rng
BAD = [
    (lambda: bm.RBM(W=[[1.0]], b=np.zeros(1), c=np.zeros(1)), TypeError, "W must"),
    (
        lambda: bm.RBM(W=np.zeros((2, 3)), b=np.zeros(3), c=np.zeros(3)),
        ValueError,
        "b must",
    ),
    (
        lambda: bm.RBM(W=np.full((2, 1), np.nan), b=np.zeros(2), c=np.zeros(1)),
        ValueError,
        "NaN",
    ),
    (lambda: bm.RBM(W=np.zeros(3), b=np.zeros(3), c=np.zeros(1)), ValueError, "shape"),
    (lambda: bm.RBM.random(0, 3, R()), ValueError, "n_visible"),
    (lambda: bm.RBM.random(4, 3, 5), TypeError, "rng"),
    (
        lambda: bm.RBM.random(4, 3, R(), data=np.full((2, 4), 0.5)),
        ValueError,
        "0 and 1",
    ),
    (lambda: bm.free_energy("rbm", np.zeros((1, 4))), TypeError, "boltzmann.RBM"),
    (lambda: bm.free_energy(_rbm(), np.zeros((1, 5))), ValueError, "shape"),
    (lambda: bm.free_energy(_rbm(), np.zeros(4)), ValueError, "shape"),
    (lambda: bm.free_energy(_rbm(), np.full((1, 4), np.nan)), ValueError, "NaN"),
    (lambda: bm.free_energy(_rbm(), [[0, 1, 0, 1]]), TypeError, "numpy array"),
    (
        lambda: bm.hidden_probabilities(_rbm(), np.full((1, 4), 2.0)),
        ValueError,
        "\\[0, 1\\]",
    ),
    (lambda: bm.energy(_rbm(), np.zeros((2, 4)), np.zeros((3, 2))), ValueError, "rows"),
    (lambda: bm.gibbs_chain(_rbm(), np.zeros((2, 4)), -1, R()), ValueError, "n_steps"),
    (lambda: bm.cd_update(_rbm(), np.zeros((2, 4)), 0, 0.1, R()), ValueError, "k must"),
    (
        lambda: bm.cd_update(_rbm(), np.zeros((2, 4)), 1, -0.1, R()),
        ValueError,
        "learning_rate",
    ),
    (
        lambda: bm.cd_update(_rbm(), np.zeros((2, 4)), 1, np.nan, R()),
        ValueError,
        "learning_rate",
    ),
    (
        lambda: bm.cd_update(_rbm(), np.zeros((2, 4)), 1, 0.1, R(), weight_decay=-1),
        ValueError,
        "weight_decay",
    ),
    (
        lambda: bm.train(_rbm(), np.zeros((2, 4)), 1, 0, 0.1, R()),
        ValueError,
        "batch_size",
    ),
    (lambda: bm.train(_rbm(), np.zeros((0, 4)), 1, 1, 0.1, R()), ValueError, "n >= 1"),
    (lambda: bm.log_partition_function(tiny_rbm(25, 30)), ValueError, "enumeration"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
