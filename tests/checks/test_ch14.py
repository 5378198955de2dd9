"""Tests of ml4phys.checks.ch14: right answers pass, wrong ones fail, stubs pass through."""

from __future__ import annotations

import numpy as np
import pytest

from ml4phys import data
from ml4phys.checks import CheckFailed, ch14
from ml4phys.generative import boltzmann as bm
from ml4phys.physics import ising


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 14.x")


# --------------------------------------------------------------------------- Exercise 14.1


def matrix_right(temperature, acceptance=None, proposal=0.25):
    states = ising.all_spin_states(2)
    energies = ising.ising_energy(states)
    acceptance = acceptance or (lambda de: min(1.0, np.exp(-de / temperature)))
    P = np.zeros((16, 16))
    for k in range(16):
        for site in range(4):
            new = k ^ (1 << site)
            P[k, new] = proposal * acceptance(energies[new] - energies[k])
        P[k, k] = 1 - P[k].sum()
    return P


def matrix_heat_bath(temperature):  # detailed balance, but not Metropolis
    return matrix_right(temperature, lambda de: 1 / (1 + np.exp(de / temperature)))


def matrix_wrong_sign(temperature):
    return matrix_right(temperature, lambda de: min(1.0, np.exp(de / temperature)))


def matrix_no_diagonal(temperature):
    P = matrix_right(temperature)
    np.fill_diagonal(P, 0)
    return P


def test_metropolis_right():
    assert ch14.check_metropolis_matrix(matrix_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        matrix_heat_bath,
        matrix_wrong_sign,
        matrix_no_diagonal,
        lambda T: matrix_right(T).T,
        lambda T: matrix_right(T)[:8],
        lambda T: matrix_right(T, proposal=0.125),
    ],
)
def test_metropolis_wrong(answer):
    with pytest.raises(CheckFailed):
        ch14.check_metropolis_matrix(answer)


def test_metropolis_stub():
    with pytest.raises(NotImplementedError):
        ch14.check_metropolis_matrix(stub)


# --------------------------------------------------------------------------- Exercise 14.2


def free_energy_pm_right(v, W, b, c):
    x = c + v @ W
    return -v @ b - np.sum(np.logaddexp(x, -x), axis=1)


def free_energy_pm_naive(v, W, b, c):
    x = c + v @ W
    with np.errstate(over="ignore"):
        return -v @ b - np.sum(np.log(2 * np.cosh(x)), axis=1)


def test_free_energy_right():
    assert ch14.check_free_energy_pm(free_energy_pm_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        free_energy_pm_naive,  # overflows for large weights
        lambda v, W, b, c: (
            -v @ b - np.sum(np.logaddexp(0, c + v @ W), axis=1)
        ),  # {0, 1}
        lambda v, W, b, c: -v @ b - np.sum(np.abs(c + v @ W), axis=1),  # no log 2 cosh
        lambda v, W, b, c: -free_energy_pm_right(v, W, b, c),
        lambda v, W, b, c: free_energy_pm_right(v, W, b, c)[:, None],
    ],
)
def test_free_energy_wrong(answer):
    with pytest.raises(CheckFailed):
        ch14.check_free_energy_pm(answer)


def test_free_energy_stub():
    with pytest.raises(NotImplementedError):
        ch14.check_free_energy_pm(stub)


# --------------------------------------------------------------------------- Exercise 14.3


def gradient_right(rbm, data):
    n = rbm.n_visible
    V = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
    log_p = -bm.free_energy(rbm, V) - bm.log_partition_function(rbm)
    p = np.exp(log_p)
    ph_model = bm.hidden_probabilities(rbm, V)
    ph_data = bm.hidden_probabilities(rbm, data)
    dW = data.T @ ph_data / len(data) - (V * p[:, None]).T @ ph_model
    return dW, data.mean(0) - p @ V, ph_data.mean(0) - p @ ph_model


def gradient_data_only(rbm, data):
    ph = bm.hidden_probabilities(rbm, data)
    return data.T @ ph / len(data), data.mean(0), ph.mean(0)


def gradient_unnormalised(rbm, data):
    dW, db, dc = gradient_right(rbm, data)
    return len(data) * dW, db, dc


def gradient_mutates(rbm, data):
    result = gradient_right(rbm, data)
    rbm.W += 1.0
    return result


def test_gradient_right():
    assert ch14.check_log_likelihood_gradient(gradient_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        gradient_data_only,
        gradient_unnormalised,
        gradient_mutates,
        lambda rbm, data: gradient_right(rbm, data)[:2],
        lambda rbm, data: tuple(-g for g in gradient_right(rbm, data)),
        lambda rbm, data: (
            gradient_right(rbm, data)[0].T,
            *gradient_right(rbm, data)[1:],
        ),
    ],
)
def test_gradient_wrong(answer):
    with pytest.raises(CheckFailed):
        ch14.check_log_likelihood_gradient(answer)


def test_gradient_stub():
    with pytest.raises(NotImplementedError):
        ch14.check_log_likelihood_gradient(stub)


# --------------------------------------------------------------------------- Exercise 14.4


def _segment_rbm(n_epochs, n_visible=16, width=4):
    rng = np.random.default_rng(0)
    X = data.segments(1000, rng, length=n_visible, width=min(width, n_visible - 1))
    rbm = bm.RBM.random(n_visible, 16, rng, data=X.astype(float))
    bm.train(rbm, X.astype(float), n_epochs, 20, 0.3, rng)
    return rbm


def test_segment_rbm_right():
    assert ch14.check_segment_rbm(_segment_rbm(300)) is True


@pytest.mark.parametrize(
    "answer",
    [
        lambda: _segment_rbm(1),  # barely trained
        lambda: _segment_rbm(5, n_visible=12),  # wrong size
        lambda: "an RBM",
        lambda: {"W": np.zeros((16, 4))},
    ],
)
def test_segment_rbm_wrong(answer):
    with pytest.raises(CheckFailed):
        ch14.check_segment_rbm(answer())
