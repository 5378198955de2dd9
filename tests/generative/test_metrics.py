"""The sample-quality measures of Part III, against brute force and scipy."""

import numpy as np
import pytest
import scipy.stats
import torch

from ml4phys.generative import metrics


def _brute_mmd(x, y, sigma):
    def k(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * sigma**2))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)


def test_mmd_equals_the_double_sum_of_its_definition():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(1.0, 2.0, size=(5, 3))
    assert metrics.mmd(x, y, bandwidth=1.3) == pytest.approx(_brute_mmd(x, y, 1.3))


def test_mmd_median_heuristic_uses_the_pooled_pairwise_median():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    pooled = np.concatenate([x, y])
    d = [
        np.linalg.norm(a - b)
        for i, a in enumerate(pooled)
        for j, b in enumerate(pooled)
        if i != j
    ]
    assert metrics.mmd(x, y) == pytest.approx(_brute_mmd(x, y, np.median(d)))


def test_mmd_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(2)
    same = metrics.mmd(rng.normal(size=(400, 2)), rng.normal(size=(400, 2)))
    shifted = metrics.mmd(
        rng.normal(size=(400, 2)), rng.normal(1.0, 1.0, size=(400, 2))
    )
    assert abs(same) < 0.01
    assert shifted > 0.1


def test_mmd_accepts_tensors():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(10, 2)), rng.normal(size=(12, 2))
    from_tensors = metrics.mmd(torch.tensor(x, dtype=torch.float64), torch.tensor(y))
    assert from_tensors == pytest.approx(metrics.mmd(x, y))


@pytest.mark.parametrize("m", [300, 150])
def test_sliced_wasserstein_in_one_dimension_is_scipys_wasserstein(m):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 1)), rng.exponential(size=(m, 1))
    ours = metrics.sliced_wasserstein(x, y, rng, n_projections=3)
    assert ours == pytest.approx(scipy.stats.wasserstein_distance(x[:, 0], y[:, 0]))


def test_sliced_wasserstein_of_a_shift_is_the_mean_projected_shift():
    # shifting by a vector a moves every projection by a.theta, so SW_1 = E|a.theta|;
    # for a unit vector in 2-D, E|cos(phi)| = 2/pi
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 2))
    sw = metrics.sliced_wasserstein(
        x, x + np.array([1.0, 0.0]), rng, n_projections=20000
    )
    assert sw == pytest.approx(2 / np.pi, rel=0.02)
    assert metrics.sliced_wasserstein(x, x, rng) == 0.0


def test_sliced_wasserstein_p2_of_a_shift():
    # SW_2 of a shift a: sqrt(E (a.theta)^2) = |a| / sqrt(d)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(200, 4))
    a = np.array([3.0, 0.0, 0.0, 0.0])
    sw = metrics.sliced_wasserstein(x, x + a, rng, n_projections=40000, p=2)
    assert sw == pytest.approx(3.0 / 2.0, rel=0.02)


def test_gaussian_baseline_recovers_mean_and_covariance():
    rng = np.random.default_rng(7)
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    X = rng.multivariate_normal([1.0, -2.0], cov, size=5000)
    samples = metrics.gaussian_baseline(X, 20000, rng)
    assert samples.shape == (20000, 2) and samples.dtype == np.float32
    np.testing.assert_allclose(samples.mean(0), X.mean(0), atol=0.05)
    np.testing.assert_allclose(
        np.cov(samples, rowvar=False), np.cov(X, rowvar=False), atol=0.08
    )


def test_mode_coverage_counts_modes_and_good_samples():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.array([[0.1, 0.0], [0.0, -0.2], [10.2, 0.1], [5.0, 5.0]])
    cover = metrics.mode_coverage(samples, centres, radius=0.5)
    assert cover.n_covered == 2
    assert cover.share_high_quality == pytest.approx(0.75)
    np.testing.assert_array_equal(cover.counts, [2, 1, 0])
    assert metrics.mode_coverage(samples, centres, 0.5, min_count=2).n_covered == 1


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: metrics.mmd(np.zeros(5), np.zeros((5, 1))), ValueError),
        (lambda: metrics.mmd(np.zeros((1, 2)), np.ones((4, 2))), ValueError),
        (lambda: metrics.mmd(np.ones((3, 2)), np.ones((3, 3))), ValueError),
        (lambda: metrics.mmd(np.ones((3, 2)), np.full((3, 2), np.nan)), ValueError),
        (lambda: metrics.mmd("data", np.ones((3, 2))), TypeError),
        (lambda: metrics.mmd(np.ones((3, 2), bool), np.ones((3, 2))), TypeError),
        (
            lambda: metrics.mmd(np.ones((3, 2)), np.ones((3, 2)), bandwidth=-1),
            ValueError,
        ),
        (lambda: metrics.mmd(np.ones((3, 2)), np.ones((3, 2))), ValueError),
        (
            lambda: metrics.sliced_wasserstein(np.ones((3, 2)), np.ones((3, 2)), 5),
            TypeError,
        ),
        (
            lambda: metrics.sliced_wasserstein(
                np.ones((3, 2)), np.ones((3, 2)), np.random.default_rng(), p=0.5
            ),
            ValueError,
        ),
        (
            lambda: metrics.sliced_wasserstein(
                np.ones((3, 2)),
                np.ones((3, 2)),
                np.random.default_rng(),
                n_projections=0,
            ),
            ValueError,
        ),
        (
            lambda: metrics.gaussian_baseline(
                np.ones((1, 2)), 5, np.random.default_rng()
            ),
            ValueError,
        ),
        (
            lambda: metrics.gaussian_baseline(
                np.ones((4, 2)), 0, np.random.default_rng()
            ),
            ValueError,
        ),
        (
            lambda: metrics.mode_coverage(np.ones((3, 2)), np.ones((2, 3)), 1.0),
            ValueError,
        ),
        (
            lambda: metrics.mode_coverage(np.ones((3, 2)), np.ones((2, 2)), 0.0),
            ValueError,
        ),
    ],
)
def test_bad_input_is_refused(call, error):
    with pytest.raises(error):
        call()
