"""Tests of ml4phys.checks.ch06: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys.checks import CheckFailed, ch06
from ml4phys.nn import symmetry, training
from ml4phys.physics import particles

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 6.x")


# --------------------------------------------------------------------------- Exercise 6.1


def error_without_normalisation(f, xs, t_in, t_out=None, group=(1, 2, 3)):
    with torch.no_grad():
        y = f(xs)
        target = [y if t_out is None else t_out(y, g) for g in group]
        return float(
            np.mean(
                [
                    (f(t_in(xs, g)) - t).flatten(1).norm(dim=1).mean().item()
                    for g, t in zip(group, target)
                ]
            )
        )


def error_ignoring_output_action(f, xs, t_in, t_out=None, group=(1, 2, 3)):
    return symmetry.equivariance_error(f, xs, t_in, None, group)


def test_equivariance_error_right():
    assert ch06.check_equivariance_error(symmetry.equivariance_error) is True


@pytest.mark.parametrize(
    "answer",
    [
        error_without_normalisation,
        error_ignoring_output_action,
        lambda *args: 0.0,
        lambda *args: "small",
    ],
)
def test_equivariance_error_wrong(answer):
    with pytest.raises(CheckFailed):
        ch06.check_equivariance_error(answer)


def test_equivariance_error_stub():
    with pytest.raises(NotImplementedError):
        ch06.check_equivariance_error(stub)


def test_layer_verdicts():
    layers = ch06.candidate_layers()
    verdicts = {}
    for name, layer in layers.items():
        size = 9 if name == "max_pool_9x9" else 8
        x = torch.rand(20, 1, size, size, generator=torch.Generator().manual_seed(0))
        verdicts[name] = (
            symmetry.equivariance_error(layer, x, symmetry.rotate90, symmetry.rotate90)
            < 1e-5
        )
    assert ch06.check_layer_verdicts(verdicts) is True
    assert sum(verdicts.values()) not in (0, len(verdicts))
    with pytest.raises(CheckFailed):
        ch06.check_layer_verdicts({name: True for name in layers})
    with pytest.raises(CheckFailed):
        ch06.check_layer_verdicts({name: not v for name, v in verdicts.items()})
    with pytest.raises(CheckFailed):
        ch06.check_layer_verdicts({"max_pool_8x8": True})
    with pytest.raises(CheckFailed):
        ch06.check_layer_verdicts({name: "yes" for name in layers})


# --------------------------------------------------------------------------- Exercise 6.2


def lift_loop(x, weight):
    k = weight.shape[-1]
    return torch.stack(
        [
            F.conv2d(x, torch.rot90(weight, r, dims=(-2, -1)), padding=k // 2)
            for r in range(4)
        ],
        2,
    )


def lift_clockwise(x, weight):
    k = weight.shape[-1]
    return torch.stack(
        [
            F.conv2d(x, torch.rot90(weight, -r, dims=(-2, -1)), padding=k // 2)
            for r in range(4)
        ],
        2,
    )


def group_conv_wrong_shift(y, weight):
    return symmetry.c4_group_conv(y, torch.flip(weight, dims=[2]))


def test_c4_convs_right():
    assert ch06.check_c4_convs(symmetry.c4_lift, symmetry.c4_group_conv) is True
    assert ch06.check_c4_convs(lift_loop, symmetry.c4_group_conv) is True


@pytest.mark.parametrize(
    "lift, group_conv",
    [
        (lift_clockwise, symmetry.c4_group_conv),
        (
            lambda x, w: F.conv2d(x, w, padding=1)[:, :, None].repeat(1, 1, 4, 1, 1),
            symmetry.c4_group_conv,
        ),
        (symmetry.c4_lift, group_conv_wrong_shift),
        (
            symmetry.c4_lift,
            lambda y, w: symmetry.c4_group_conv(y, w)[:, :, :, 1:-1, 1:-1],
        ),
    ],
)
def test_c4_convs_wrong(lift, group_conv):
    with pytest.raises(CheckFailed):
        ch06.check_c4_convs(lift, group_conv)


def test_c4_convs_stub():
    with pytest.raises(NotImplementedError):
        ch06.check_c4_convs(stub, stub)


# --------------------------------------------------------------------------- Exercise 6.3


def exact_energy(P):
    i, j = torch.triu_indices(P.shape[1], P.shape[1], offset=1)
    r = (P[:, i] - P[:, j]).norm(dim=-1).double().numpy()
    return particles.pair_potential(r).sum(1)


def test_particle_model_right():
    assert ch06.check_particle_model(exact_energy) is True
    assert (
        ch06.check_particle_model(lambda P: torch.from_numpy(exact_energy(P))[:, None])
        is True
    )


@pytest.mark.parametrize(
    "predict",
    [
        lambda P: np.full(len(P), -0.9),  # the mean
        lambda P: (
            exact_energy(P) + 0.1 * P[:, 0, 0].numpy()
        ),  # not permutation invariant
        lambda P: exact_energy(P)[:10],  # wrong shape
    ],
)
def test_particle_model_wrong(predict):
    with pytest.raises(CheckFailed):
        ch06.check_particle_model(predict)


def test_particle_model_stub():
    with pytest.raises(NotImplementedError):
        ch06.check_particle_model(stub)


# --------------------------------------------------------------------------- Exercise 6.4


class _Fixed(nn.Module):
    """A fake 'trained' model: logits from a fixed function, so the test needs no training."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _study_answer():
    """Nearest-neighbour classifiers on the training digits, as stand-ins for trained models."""
    (X_train, y_train), _ = ch06.digits_study_data()
    flat = X_train.flatten(1)
    one_hot = F.one_hot(y_train, 9).float()

    def logits_upright(x):  # kernel regression on upright templates
        d = torch.cdist(x.flatten(1), flat)
        return torch.softmax(-d / 0.3, dim=1) @ one_hot * 10

    def logits_invariant(x):  # best match over the four rotations of the input
        return torch.stack(
            [logits_upright(symmetry.rotate90(x, k)) for k in range(4)]
        ).amax(0)

    def logits_partly(x):  # a mixture: approximately invariant
        return 0.1 * logits_upright(x) + 0.9 * logits_invariant(x)

    models = {
        "CNN": _Fixed(logits_upright),
        "CNN + augmentation": _Fixed(logits_partly),
        "C4-invariant": _Fixed(logits_invariant),
    }
    _, (X_test, y_test) = ch06.digits_study_data()
    accuracies = {k: training.accuracy(m(X_test), y_test) for k, m in models.items()}
    errors = {
        k: symmetry.equivariance_error(m, X_test[:200], symmetry.rotate90)
        for k, m in models.items()
    }
    return models, accuracies, errors


def test_augmentation_study_right_and_wrong():
    models, accuracies, errors = _study_answer()
    assert ch06.check_augmentation_study(models, accuracies, errors) is True
    with pytest.raises(CheckFailed):  # misreported accuracy
        ch06.check_augmentation_study(
            models, {**accuracies, "CNN": accuracies["CNN"] + 0.1}, errors
        )
    with pytest.raises(CheckFailed):  # misreported error
        ch06.check_augmentation_study(
            models, accuracies, {**errors, "C4-invariant": 0.5}
        )
    with pytest.raises(CheckFailed):  # augmentation swapped with the plain model
        swapped = {
            **models,
            "CNN": models["CNN + augmentation"],
            "CNN + augmentation": models["CNN"],
        }
        acc = {
            **accuracies,
            "CNN": accuracies["CNN + augmentation"],
            "CNN + augmentation": accuracies["CNN"],
        }
        err = {
            **errors,
            "CNN": errors["CNN + augmentation"],
            "CNN + augmentation": errors["CNN"],
        }
        ch06.check_augmentation_study(swapped, acc, err)
    with pytest.raises(CheckFailed):  # missing key
        ch06.check_augmentation_study({"CNN": models["CNN"]}, accuracies, errors)


def test_augmentation_study_stub():
    def stub_model(x):
        raise NotImplementedError("Exercise 6.4")

    models = {k: _Fixed(stub_model) for k in ch06.STUDY_KINDS}
    with pytest.raises(NotImplementedError):
        ch06.check_augmentation_study(
            models,
            dict.fromkeys(ch06.STUDY_KINDS, 0.5),
            dict.fromkeys(ch06.STUDY_KINDS, 0.5),
        )
