"""Tests of ml4phys.nn.symmetry: exact equivariance, agreement with torch and with direct loops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys import data
from ml4phys.nn import symmetry
from ml4phys.nn.symmetry import (
    C4Classifier,
    C4GroupConv,
    C4LiftingConv,
    C4Pool,
    DeepSet,
    RandomRot90,
    SmallCNN,
    c4_group_conv,
    c4_lift,
    equivariance_error,
    radial_features,
    rotate90,
    rotate_c4_features,
)
from ml4phys.physics.particles import pair_potential, particle_energies

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(
        *shape, generator=torch.Generator().manual_seed(seed), dtype=dtype
    )


# ------------------------------------------------------------------------------------ actions


def test_rotate90_matches_numpy_and_is_a_group_action():
    x = _randn(2, 3, 5, 7)
    for k in range(-4, 6):
        assert torch.equal(
            rotate90(x, k),
            torch.from_numpy(np.rot90(x.numpy(), k, axes=(-2, -1)).copy()),
        )
    assert torch.equal(rotate90(rotate90(x, 1), 3), x)
    assert torch.equal(rotate90(rotate90(x, 2), 3), rotate90(x, 1))
    # counterclockwise as imshow shows it: the top-right pixel moves to the top-left
    img = torch.zeros(3, 3)
    img[0, 2] = 1
    assert rotate90(img, 1)[0, 0] == 1


def test_rotate_c4_features_is_a_group_action():
    y = _randn(2, 3, 4, 5, 5)
    for k, l in itertools.product(range(4), repeat=2):
        assert torch.equal(
            rotate_c4_features(rotate_c4_features(y, k), l),
            rotate_c4_features(y, k + l),
        )
    out = rotate_c4_features(y, 1)
    for r in range(4):
        assert torch.equal(out[:, :, r], rotate90(y[:, :, (r - 1) % 4], 1))


def test_actions_validate_input():
    with pytest.raises(TypeError):
        rotate90(np.zeros((3, 3)), 1)
    with pytest.raises(TypeError):
        rotate90(torch.zeros(3, 3), 1.5)
    with pytest.raises(ValueError):
        rotate90(torch.zeros(3), 1)
    with pytest.raises(ValueError):
        rotate_c4_features(torch.zeros(2, 3, 5, 5), 1)


# --------------------------------------------------------------------------- equivariance error


def test_equivariance_error_zero_for_equivariant_and_known_value_otherwise():
    x = _randn(6, 1, 4, 4)
    # rotating the image is equivariant with rho_out = rho_in
    assert equivariance_error(lambda t: 2 * t, x, rotate90, rotate90) == 0.0
    # the sum of all pixels is invariant
    assert equivariance_error(lambda t: t.sum(dim=(-2, -1)), x, rotate90) < 1e-12
    # the identity map is not invariant: error = mean ||R x - x|| / ||x||, computed directly
    expected = np.mean(
        [
            (
                (rotate90(x, k) - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)
            ).numpy()
            for k in (1, 2, 3)
        ]
    )
    assert equivariance_error(lambda t: t, x, rotate90) == pytest.approx(
        float(expected), rel=1e-12
    )
    # with the identity included the average is diluted by 3/4
    assert equivariance_error(
        lambda t: t, x, rotate90, group=range(4)
    ) == pytest.approx(0.75 * expected)


def test_equivariance_error_validates_input():
    x = _randn(3, 4, 4)
    with pytest.raises(TypeError):
        equivariance_error("f", x, rotate90)
    with pytest.raises(ValueError):
        equivariance_error(lambda t: t, x, rotate90, group=[])
    with pytest.raises(ValueError):  # output shapes do not match: (3, 4) vs (3, 16)
        equivariance_error(
            lambda t: t[..., 0], x, rotate90, lambda y, g: y.repeat(1, 4)
        )


# ----------------------------------------------------------------------------------- Deep Sets


def test_deep_set_is_permutation_invariant_and_equals_explicit_sum():
    torch.manual_seed(0)
    phi = nn.Sequential(nn.Linear(3, 8), nn.Tanh())
    rho = nn.Linear(8, 2)
    X = _randn(5, 7, 3, dtype=torch.float32)
    for pooling in ("sum", "mean"):
        model = DeepSet(phi, rho, pooling)
        y = model(X)
        assert y.shape == (5, 2)
        g = torch.Generator().manual_seed(1)
        for _ in range(5):
            perm = torch.randperm(7, generator=g)
            assert torch.allclose(model(X[:, perm]), y, atol=1e-6)
        pooled = sum(phi(X[:, i]) for i in range(7))
        expected = rho(pooled if pooling == "sum" else pooled / 7)
        assert torch.allclose(y, expected, atol=1e-6)
    # a model without the symmetry is not invariant, so the test above can fail
    mlp = nn.Linear(21, 2)
    flat = X.flatten(1)
    assert not torch.allclose(
        mlp(flat), mlp(X[:, torch.arange(6, -1, -1)].flatten(1)), atol=1e-3
    )


def test_deep_set_validates_input():
    with pytest.raises(TypeError):
        DeepSet(lambda x: x, nn.Identity())
    with pytest.raises(ValueError):
        DeepSet(nn.Identity(), nn.Identity(), pooling="max")
    with pytest.raises(ValueError):
        DeepSet(nn.Identity(), nn.Identity())(torch.zeros(3, 2))


def test_radial_features_against_loop_and_invariances():
    pos = _randn(2, 5, 3)
    centres = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    G = radial_features(pos, centres, 0.4)
    expected = torch.zeros(2, 5, 3, dtype=torch.float64)
    for b, i, j in itertools.product(range(2), range(5), range(5)):
        if i != j:
            r = torch.linalg.norm(pos[b, i] - pos[b, j])
            expected[b, i] += torch.exp(-((r - centres) ** 2) / (2 * 0.4**2))
    assert torch.allclose(G, expected, atol=1e-12)
    Q, _ = torch.linalg.qr(_randn(3, 3, seed=3))
    moved = pos @ Q.T + torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    assert torch.allclose(radial_features(moved, centres, 0.4), G, atol=1e-10)
    perm = torch.tensor([3, 0, 4, 1, 2])
    assert torch.allclose(
        radial_features(pos[:, perm], centres, 0.4), G[:, perm], atol=1e-12
    )
    with pytest.raises(ValueError):
        radial_features(pos, centres, 0.0)


# ------------------------------------------------------------------------------------- C4 convs


def test_lifting_conv_orientation_zero_equals_torch_conv2d():
    x = _randn(3, 2, 9, 9)
    w = _randn(4, 2, 3, 3, seed=1)
    b = _randn(4, seed=2)
    out = c4_lift(x, w, b)
    assert out.shape == (3, 4, 4, 9, 9)
    for r in range(4):
        assert torch.allclose(
            out[:, :, r],
            F.conv2d(x, torch.rot90(w, r, dims=(-2, -1)), b, padding=1),
            atol=1e-12,
        )
    layer = C4LiftingConv(2, 4, 5)
    x32 = x.float()
    assert torch.allclose(
        layer(x32)[:, :, 0],
        F.conv2d(x32, layer.weight, layer.bias, padding=2),
        atol=1e-6,
    )


@pytest.mark.parametrize("size", [8, 9])
def test_lifting_and_group_conv_are_exactly_equivariant(size):
    x = _randn(2, 3, size, size)
    w_lift, w_group = _randn(5, 3, 3, 3, seed=1), _randn(4, 5, 4, 5, 5, seed=2)
    b = _randn(4, seed=3)
    y = c4_lift(x, w_lift)
    z = c4_group_conv(y, w_group, b)
    assert z.shape == (2, 4, 4, size, size)
    for k in range(4):
        y_k = c4_lift(rotate90(x, k), w_lift)
        assert torch.allclose(y_k, rotate_c4_features(y, k), atol=1e-11)
        assert torch.allclose(
            c4_group_conv(y_k, w_group, b), rotate_c4_features(z, k), atol=1e-11
        )
    # a non-rotated filter bank breaks the symmetry: the check above can fail
    plain = F.conv2d(x, w_lift, padding=1)
    assert not torch.allclose(
        F.conv2d(rotate90(x, 1), w_lift, padding=1), rotate90(plain, 1), atol=1e-3
    )


def test_group_conv_against_explicit_double_sum():
    x = _randn(1, 2, 4, 6, 6)
    w = _randn(3, 2, 4, 3, 3, seed=1)
    out = c4_group_conv(x, w)
    for o, r in itertools.product(range(3), range(4)):
        expected = sum(
            F.conv2d(
                x[:, c, s][:, None],
                torch.rot90(w[o, c, (s - r) % 4], r)[None, None],
                padding=1,
            )
            for c in range(2)
            for s in range(4)
        )
        assert torch.allclose(out[:, o, r], expected[:, 0], atol=1e-12)


def test_c4_modules_shapes_and_validation():
    x = torch.randn(2, 1, 8, 8)
    lift, group, pool = C4LiftingConv(1, 3), C4GroupConv(3, 2), C4Pool("mean")
    h = group(lift(x))
    assert h.shape == (2, 2, 4, 8, 8)
    assert pool(h).shape == (2, 2, 8, 8)
    assert torch.allclose(C4Pool("max")(h), h.max(dim=2).values)
    with pytest.raises(ValueError):
        C4LiftingConv(1, 3, kernel_size=4)
    with pytest.raises(TypeError):
        C4GroupConv(1.0, 3)
    with pytest.raises(ValueError):
        C4Pool("median")
    with pytest.raises(ValueError):
        c4_group_conv(torch.zeros(1, 2, 3, 5, 5), torch.zeros(1, 2, 3, 3, 3))
    with pytest.raises(ValueError):
        c4_lift(torch.zeros(1, 2, 5, 5), torch.zeros(1, 2, 2, 2))


def test_classifiers_invariance():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 8, 8)
    c4 = C4Classifier(1, 5, 8, width=4)
    cnn = SmallCNN(1, 5, 8, width=4)
    assert c4(x).shape == cnn(x).shape == (16, 5)
    assert equivariance_error(c4, x, rotate90) < 1e-5
    assert equivariance_error(cnn, x, rotate90) > 1e-3
    with pytest.raises(ValueError):
        C4Classifier(1, 5, 7)
    with pytest.raises(ValueError):
        c4(torch.rand(2, 1, 6, 6))


def test_random_rot90_rotates_in_training_only():
    x = torch.arange(5 * 16, dtype=torch.float32).reshape(5, 1, 4, 4)
    aug = RandomRot90(torch.Generator().manual_seed(0))
    out = aug(x)
    ks = []
    for xi, oi in zip(x, out):
        matches = [k for k in range(4) if torch.equal(rotate90(xi, k), oi)]
        assert len(matches) == 1
        ks.append(matches[0])
    assert len(set(ks)) > 1
    aug.eval()
    assert torch.equal(aug(x), x)
    with pytest.raises(TypeError):
        RandomRot90(generator=0)


# ------------------------------------------------------------------------------------ particles


def test_particle_energies_against_double_loop():
    pos, E = particle_energies(4, 5, np.random.default_rng(0), d=3, box=2.0)
    assert pos.shape == (4, 5, 3) and E.shape == (4,)
    assert pos.dtype == E.dtype == np.float32
    assert pos.min() >= 0 and pos.max() <= 2.0
    rng = np.random.default_rng(0)
    pos64 = rng.uniform(0.0, 2.0, size=(4, 5, 3))
    for s in range(4):
        e = 0.0
        for i in range(5):
            for j in range(i + 1, 5):
                r = np.sqrt(np.sum((pos64[s, i] - pos64[s, j]) ** 2))
                e += np.exp(-(r**2)) - 0.5 * np.exp(-(r**2) / 4)
        assert E[s] == pytest.approx(e, rel=1e-6, abs=1e-6)


def test_particle_energies_invariances_and_custom_potential():
    pos, E = particle_energies(3, 6, np.random.default_rng(1))

    def energy(p):
        r = np.linalg.norm(p[:, :, None] - p[:, None], axis=-1)
        return pair_potential(r)[:, ~np.eye(6, dtype=bool)].sum(1) / 2

    p = pos.astype(np.float64)
    assert np.allclose(energy(p), E, atol=1e-5)
    theta = 0.7
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    assert np.allclose(energy(p @ R.T + np.array([3.0, -1.0])), E, atol=1e-5)
    assert np.allclose(energy(p[:, ::-1]), E, atol=1e-5)
    _, E_harmonic = particle_energies(
        3, 2, np.random.default_rng(2), potential=lambda r: r**2
    )
    pos2, _ = particle_energies(3, 2, np.random.default_rng(2))
    assert np.allclose(
        E_harmonic, np.sum((pos2[:, 0] - pos2[:, 1]) ** 2, axis=1), rtol=1e-5
    )
    assert pair_potential(0.0) == pytest.approx(0.5)
    r_min = np.sqrt(4 / 3 * np.log(8))
    assert pair_potential(r_min) < pair_potential(r_min - 0.01)
    assert pair_potential(r_min) < pair_potential(r_min + 0.01)


def test_particle_energies_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        particle_energies(2, 1, rng)
    with pytest.raises(TypeError):
        particle_energies(2.0, 3, rng)
    with pytest.raises(TypeError):
        particle_energies(2, 3, 0)
    with pytest.raises(ValueError):
        particle_energies(2, 3, rng, box=-1.0)
    with pytest.raises(TypeError):
        particle_energies(2, 3, rng, potential=3)


def test_rotated_digits_split():
    (X_train, y_train), (X_test, y_test, k_test) = data.rotated_digits(
        np.random.default_rng(0), n_test=100
    )
    assert X_train.shape[1:] == X_test.shape[1:] == (1, 8, 8)
    assert len(X_test) == len(y_test) == len(k_test) == 100
    assert len(X_train) + 100 == 1797 - 180  # the 180 nines are dropped
    assert not (y_train == 9).any() and not (y_test == 9).any()
    images, _ = data.load_digits()
    flat = torch.from_numpy(images.reshape(len(images), -1))
    for x, k in zip(
        X_test[:10], k_test[:10]
    ):  # un-rotated, each test image is one of the digits
        upright = rotate90(x[0], -int(k)).flatten()
        assert (flat - upright).abs().sum(1).min() == 0
    with pytest.raises(ValueError):
        data.rotated_digits(np.random.default_rng(0), n_test=5000)


def test_module_exports():
    for name in symmetry.__all__:
        assert hasattr(symmetry, name)
