"""Tests of ml4phys.checks.ch03: right answers pass, wrong ones fail, stubs pass through."""

import copy
import math

import numpy as np
import pytest
import torch
from scipy.ndimage import uniform_filter
from scipy.optimize import minimize_scalar
from scipy.special import gammaln
from sklearn.linear_model import LogisticRegression
from torch import nn

from ml4phys import data
from ml4phys.checks import CheckFailed, ch03


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 3.x")


# --------------------------------------------------------------------------- Exercise 3.1


def switch_off_right(model, layer, k):
    new = copy.deepcopy(model)
    linears = [m for m in new if isinstance(m, nn.Linear)]
    with torch.no_grad():
        linears[layer + 1].weight[:, k] = 0.0
    return new


def switch_off_incoming(model, layer, k):
    """Also right for ReLU and tanh: the unit's pre-activation is 0, and so is its output."""
    new = copy.deepcopy(model)
    linears = [m for m in new if isinstance(m, nn.Linear)]
    with torch.no_grad():
        linears[layer].weight[k, :] = 0.0
        linears[layer].bias[k] = 0.0
    return new


def switch_off_weights_only(model, layer, k):
    """Wrong: the incoming weights are zeroed but the bias keeps the unit alive."""
    new = copy.deepcopy(model)
    linears = [m for m in new if isinstance(m, nn.Linear)]
    with torch.no_grad():
        linears[layer].weight[k, :] = 0.0
    return new


def switch_off_wrong_layer(model, layer, k):
    return switch_off_right(model, min(layer + 1, 1), k)


def switch_off_in_place(model, layer, k):
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        linears[layer + 1].weight[:, k] = 0.0
    return copy.deepcopy(model)


@pytest.mark.parametrize("answer", [switch_off_right, switch_off_incoming])
def test_switch_off_right(answer):
    assert ch03.check_switch_off(answer) is True


@pytest.mark.parametrize(
    "answer",
    [
        switch_off_weights_only,
        switch_off_wrong_layer,
        switch_off_in_place,
        lambda model, layer, k: model,
        lambda model, layer, k: None,
    ],
)
def test_switch_off_wrong(answer):
    with pytest.raises(CheckFailed):
        ch03.check_switch_off(answer)


def test_switch_off_leaves_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    ch03.check_switch_off(switch_off_right)
    assert torch.equal(torch.rand(3), expected)


# --------------------------------------------------------------------------- Exercise 3.2


def sorted_intensity_classifier():
    """Logistic regression on the sorted grid values: blind to position, sees the line shape."""
    curves, y = data.gaussian_lorentzian_curves(1000, np.random.default_rng(0))
    model = LogisticRegression(max_iter=2000).fit(np.sort(curves, axis=1), y)
    return lambda c: model.predict(np.sort(c, axis=1))


def test_curve_classifier_right():
    assert ch03.check_curve_classifier(sorted_intensity_classifier()) is True


@pytest.mark.parametrize(
    "classify",
    [
        lambda c: np.zeros(len(c), dtype=int),  # always Gaussian
        lambda c: (c[:, 0] > 0.02).astype(int),  # a weak feature
        lambda c: np.zeros((len(c), 2)),  # logits, not labels
        lambda c: np.full(len(c), 0.5),  # not a label
    ],
)
def test_curve_classifier_wrong(classify):
    with pytest.raises(CheckFailed):
        ch03.check_curve_classifier(classify)


def test_curve_classifier_stub():
    with pytest.raises(NotImplementedError):
        ch03.check_curve_classifier(stub)


# --------------------------------------------------------------------------- Exercise 3.3


def fill_ratio_classifier(images):
    """Square (1) when the smoothed shape fills more than 82 % of its bounding box."""
    mask = uniform_filter(np.asarray(images, dtype=float), size=(1, 3, 3)) > 0.6
    height, width = mask.any(axis=2).sum(axis=1), mask.any(axis=1).sum(axis=1)
    ratio = mask.sum(axis=(1, 2)) / np.maximum(height * width, 1)
    return (ratio > 0.82).astype(np.int64)


def test_circles_squares_right():
    assert (
        ch03.check_circles_squares(fill_ratio_classifier, fill_ratio_classifier) is True
    )


def test_circles_squares_wrong():
    def by_brightness(images):  # the area carries no information by construction
        return (images.mean(axis=(1, 2)) > np.median(images.mean(axis=(1, 2)))).astype(
            int
        )

    with pytest.raises(CheckFailed):
        ch03.check_circles_squares(fill_ratio_classifier, by_brightness)
    with pytest.raises(CheckFailed):
        ch03.check_circles_squares(by_brightness, fill_ratio_classifier)
    with pytest.raises(CheckFailed):
        ch03.check_circles_squares(fill_ratio_classifier, lambda images: np.ones(3))


def test_circles_squares_stub():
    with pytest.raises(NotImplementedError):
        ch03.check_circles_squares(stub, fill_ratio_classifier)


# --------------------------------------------------------------------------- Exercise 3.4


def log_volume_right(d):
    return 0.5 * d * math.log(math.pi) - torch.lgamma(d / 2 + 1)


D_MAX = minimize_scalar(
    lambda d: -(0.5 * d * math.log(math.pi) - gammaln(d / 2 + 1)),
    bounds=(1, 15),
    method="bounded",
    options={"xatol": 1e-12},
).x


def test_ball_volume_right():
    assert abs(D_MAX - 5.2569464) < 1e-6
    assert ch03.check_ball_volume(log_volume_right, D_MAX) is True
    assert ch03.check_ball_volume(log_volume_right, torch.tensor(D_MAX + 5e-4)) is True


@pytest.mark.parametrize(
    ("log_volume", "d_max"),
    [
        (log_volume_right, 5.0),  # integer maximum
        (log_volume_right, 5.26),  # off by 3e-3
        (log_volume_right, None),
        (
            lambda d: d * math.log(math.pi) - torch.lgamma(d / 2 + 1),
            D_MAX,
        ),  # wrong formula
        (lambda d: torch.exp(log_volume_right(d)), D_MAX),  # V, not log V
        (lambda d: log_volume_right(d).detach(), D_MAX),  # not differentiable
        (lambda d: log_volume_right(d).sum(), D_MAX),  # not element-wise
        (lambda d: log_volume_right(d).tolist(), D_MAX),  # not a tensor
    ],
)
def test_ball_volume_wrong(log_volume, d_max):
    with pytest.raises(CheckFailed):
        ch03.check_ball_volume(log_volume, d_max)


def test_ball_volume_stub():
    with pytest.raises(NotImplementedError):
        ch03.check_ball_volume(stub, D_MAX)


# --------------------------------------------------------------------------- Exercise 3.5

LRS = [0.01, 0.1, 1.0]
BATCH_SIZES = [8, 32, 128]
TABLE = np.array(
    [[0.136, 0.547, 0.651], [0.026, 0.047, 0.276], [np.nan, np.nan, np.nan]]
)


def test_sweep_right():
    assert ch03.check_lr_batch_sweep(TABLE, LRS, BATCH_SIZES, (0.1, 8)) is True
    assert ch03.check_lr_batch_sweep(TABLE.tolist(), LRS, BATCH_SIZES, [0.1, 8]) is True


@pytest.mark.parametrize(
    ("table", "best"),
    [
        (TABLE, (0.1, 32)),  # not the minimum
        (TABLE, (0.01, 8)),
        (TABLE.T, (0.1, 8)),  # transposed: the corner is the best
        (TABLE[:2], (0.1, 8)),  # wrong shape
        (np.full((3, 3), np.nan), (0.1, 8)),  # not filled in
        (np.full((3, 3), 0.2), (0.01, 8)),  # no learning signal
        (TABLE * 10, (0.1, 8)),  # best loss too high
        (-TABLE, (0.01, 128)),  # negative losses
        (TABLE, 0.1),  # best not a pair
    ],
)
def test_sweep_wrong(table, best):
    with pytest.raises(CheckFailed):
        ch03.check_lr_batch_sweep(table, LRS, BATCH_SIZES, best)


# --------------------------------------------------------------------------- Exercise 3.6


def test_digits_split():
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = ch03.digits_split()
    assert (
        X_train.shape == (1077, 64)
        and X_val.shape == (360, 64)
        and X_test.shape == (360, 64)
    )
    assert X_train.dtype == torch.float32 and y_test.dtype == torch.int64
    all_rows = torch.cat([X_train, X_val, X_test])
    assert (
        torch.unique(all_rows, dim=0).shape[0]
        == torch.unique(
            torch.from_numpy(data.load_digits()[0].reshape(-1, 64)), dim=0
        ).shape[0]
    )
    again = ch03.digits_split()
    assert torch.equal(again[2][0], X_test) and torch.equal(again[2][1], y_test)


def logistic_regression_network():
    """Multinomial logistic regression (650 parameters) fitted by scikit-learn, as a torch layer."""
    (X_train, y_train), _, _ = ch03.digits_split()
    fitted = LogisticRegression(max_iter=1000).fit(X_train.numpy(), y_train.numpy())
    layer = nn.Linear(64, 10)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(fitted.coef_))
        layer.bias.copy_(torch.from_numpy(fitted.intercept_))
    return nn.Sequential(layer)


def test_digit_classifier_right():
    model = logistic_regression_network().train()
    assert ch03.check_digit_classifier(model) is True
    assert model.training  # the mode is restored


def test_digit_classifier_wrong():
    torch.manual_seed(0)
    with pytest.raises(CheckFailed, match="parameters"):
        ch03.check_digit_classifier(
            nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
        )
    with pytest.raises(CheckFailed, match="accuracy"):
        ch03.check_digit_classifier(nn.Sequential(nn.Linear(64, 10)))  # untrained
    with pytest.raises(CheckFailed, match="logits"):
        ch03.check_digit_classifier(nn.Sequential(nn.Linear(64, 1)))
    with pytest.raises(CheckFailed):
        ch03.check_digit_classifier(None)


def test_digit_classifier_stub():
    class Stub(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(64, 10)

        def forward(self, X):
            raise NotImplementedError("Exercise 3.6")

    with pytest.raises(NotImplementedError):
        ch03.check_digit_classifier(Stub())


# --------------------------------------------------------------------------- Exercise 3.7


def sign_network(steepness=20.0, out=None):
    """sign(x1 x2) by hand, 17 parameters: tanh(k (|x1 + x2| - |x1 - x2|)).

    The hidden ReLU units give relu(+-u), relu(+-v) for u = x1 + x2, v = x1 - x2, so that
    |u| - |v| = 2 sign(x1 x2) min(|x1|, |x2|); the output tanh saturates it to +-1.
    """
    hidden = nn.Linear(2, 4)
    output = nn.Linear(4, 1)
    with torch.no_grad():
        hidden.weight.copy_(
            torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
        )
        hidden.bias.zero_()
        output.weight.copy_(steepness * torch.tensor([[1.0, 1.0, -1.0, -1.0]]))
        output.bias.zero_()
    layers = [hidden, nn.ReLU(), output, nn.Tanh()]
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


class _Squeeze(nn.Module):
    def forward(self, X):
        return X[:, 0]


class _AffineOut(nn.Module):
    def __init__(self, scale, shift):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, X):
        return self.scale * X + self.shift


def test_sign_grid_is_held_out_and_right():
    X, y = ch03._sign_grid(ch03._SIGN_HELDOUT_SIDE)
    assert X.shape == (1600, 2) and y.shape == (1600, 1)
    assert torch.equal(y, torch.sign(X[:, :1] * X[:, 1:]))
    assert bool((y != 0).all()) and float(X.min()) > -2 and float(X.max()) < 2
    train, _ = ch03._sign_grid(32)
    distance = torch.cdist(X.double(), train.double()).min()
    assert distance > 1e-3  # no held-out point is a training point


def test_sign_network_right():
    model = sign_network().train()
    assert ch03.check_sign_network(model) is True
    assert model.training  # the mode is restored
    assert ch03.check_sign_network(sign_network(out=_Squeeze())) is True  # (n,) outputs


def test_sign_network_trained_deep_and_narrow_passes():
    """A trained 2-3-3-1 tanh network (25 parameters) passes: the exercise can be solved."""
    n_side = 32
    centres = -2 + 4 / n_side * (np.arange(n_side) + 0.5)
    g1, g2 = np.meshgrid(centres, centres)
    X = torch.tensor(np.stack([g1.ravel(), g2.ravel()], axis=1), dtype=torch.float32)
    y = torch.sign(X[:, :1] * X[:, 1:])
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(2000):
        optimizer.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    assert ch03.check_sign_network(model) is True


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (sign_network(steepness=1.0), "squared error"),  # too soft near the axes
        (
            sign_network(out=_AffineOut(0.5, 0.5)),
            "squared error",
        ),  # labels 0/1, not -1/+1
        (sign_network(out=_AffineOut(-1.0, 0.0)), "squared error"),  # the opposite sign
        (nn.Sequential(nn.Linear(2, 1)), "squared error"),  # a linear model
        (nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1)), "parameters"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)), "shape"),
        (None, "Module"),
    ],
)
def test_sign_network_wrong(model, match):
    with pytest.raises(CheckFailed, match=match):
        ch03.check_sign_network(model)


def test_sign_network_counts_frozen_parameters():
    big = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1))
    for p in big[0].parameters():
        p.requires_grad_(False)
    with pytest.raises(CheckFailed, match="parameters"):
        ch03.check_sign_network(big)


def test_sign_network_stub():
    class Stub(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 1)

        def forward(self, X):
            raise NotImplementedError("Exercise 3.7")

    with pytest.raises(NotImplementedError):
        ch03.check_sign_network(Stub())
