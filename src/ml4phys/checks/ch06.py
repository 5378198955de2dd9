"""Self-checks for the exercises of chapter 6 (symmetry: invariant and equivariant networks).

Each ``check_*`` function tests one exercise of ``solutions/06_symmetry.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. Models
and functions are tested on inputs drawn inside the checks, which the notebook does not see. A
``NotImplementedError`` raised by a stub passes through.

Also here: :func:`candidate_layers`, the layers whose equivariance exercise 6.1 asks about, and
:func:`digits_study_data`, the fixed data of exercise 6.4.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys import data
from ml4phys.checks._core import (
    as_numpy,
    call_student,
    digest,
    isolated_rng,
    passed,
    require,
)
from ml4phys.nn import symmetry
from ml4phys.physics import particles

__all__ = [
    "STUDY_KINDS",
    "STUDY_N_TRAIN",
    "candidate_layers",
    "digits_study_data",
    "check_equivariance_error",
    "check_layer_verdicts",
    "check_c4_convs",
    "check_particle_model",
    "check_augmentation_study",
]

STUDY_KINDS = ("CNN", "CNN + augmentation", "C4-invariant")
"""The three models of exercise 6.4, as keys of the dictionaries passed to the check."""

STUDY_N_TRAIN = 100
"""Number of upright training digits in exercise 6.4."""

_PARTICLE_THRESHOLD = 0.15
_STUDY_MIN_ACCURACY = {"CNN + augmentation": 0.6, "C4-invariant": 0.75}
_STUDY_MAX_PLAIN_ACCURACY = 0.6


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    require(
        isinstance(value, (int, float, np.floating, np.integer))
        and not isinstance(value, bool),
        f"{name} must be a number, got {type(value).__name__}.",
    )
    return float(value)


# ----------------------------------------------------------------------------------------------
# Exercise 6.1
# ----------------------------------------------------------------------------------------------


def _error_cases() -> list[
    tuple[str, Callable, torch.Tensor, Callable, Callable | None, tuple]
]:
    """Hidden test cases: (description, f, xs, transform_in, transform_out, group)."""

    def build():
        xs_img = torch.rand(12, 2, 6, 6)
        w = torch.randn(3, 2, 3, 3)
        w_sym = (
            w
            + torch.rot90(w, 1, (-2, -1))
            + torch.rot90(w, 2, (-2, -1))
            + torch.rot90(w, 3, (-2, -1))
        )
        sets = torch.randn(10, 5, 3)
        mlp = nn.Sequential(nn.Linear(15, 8), nn.Tanh(), nn.Linear(8, 2))
        return xs_img, w, w_sym, sets, mlp

    with isolated_rng(606):
        xs_img, w, w_sym, sets, mlp = build()

    def permute(X, g):
        return X[:, torch.roll(torch.arange(X.shape[1]), g)]

    return [
        (
            "a convolution with a random filter, rho_out = rotation",
            lambda x: F.conv2d(x, w, padding=1),
            xs_img,
            symmetry.rotate90,
            symmetry.rotate90,
            (1, 2, 3),
        ),
        (
            "a convolution with a rotation-symmetric filter",
            lambda x: F.conv2d(x, w_sym, padding=1),
            xs_img,
            symmetry.rotate90,
            symmetry.rotate90,
            (1, 2, 3),
        ),
        (
            "the identity map, invariance (transform_out=None)",
            lambda x: x,
            xs_img,
            symmetry.rotate90,
            None,
            (1, 2, 3),
        ),
        (
            "a lifting convolution, group including the identity",
            lambda x: symmetry.c4_lift(x, w),
            xs_img,
            symmetry.rotate90,
            symmetry.rotate_c4_features,
            (0, 1, 2, 3),
        ),
        (
            "an MLP on a flattened set, under cyclic permutations",
            lambda X: mlp(X.flatten(1)),
            sets,
            permute,
            None,
            (1, 2),
        ),
    ]


def check_equivariance_error(equivariance_error: Callable[..., Any]) -> bool:
    """Exercise 6.1 (a): ``equivariance_error(f, xs, transform_in, transform_out, group)``.

    Compared with :func:`ml4phys.nn.symmetry.equivariance_error` (relative tolerance 1e-4, or
    absolute 1e-6 for errors that vanish) on hidden functions: convolutions with random and
    rotation-symmetric filters, an invariance case with ``transform_out=None``, a lifting
    convolution, and an MLP on sets under permutations.

    Args:
        equivariance_error: the student's function; returns a number.
    """
    for description, f, xs, t_in, t_out, group in _error_cases():
        got = _as_float(
            call_student(
                equivariance_error,
                f,
                xs,
                t_in,
                t_out,
                group,
                name="equivariance_error(f, xs, transform_in, transform_out, group)",
            ),
            "the result of equivariance_error(...)",
        )
        want = symmetry.equivariance_error(f, xs, t_in, t_out, group)
        require(
            math.isfinite(got) and abs(got - want) <= max(1e-4 * abs(want), 1e-6),
            f"for {description} your function gives {got:.6g}; that is not the mean over inputs and "
            "group elements of ||f(g x) - rho_out(g) f(x)|| / ||f(x)||. Check the norm (over all "
            "output components of one input), the division, the average, and that transform_out=None "
            "means the trivial action.",
        )
    return passed(
        "Exercise 6.1 (a): your equivariance_error agrees with the reference on five hidden functions."
    )


def candidate_layers() -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The layers of exercise 6.1 (b): each maps a batch of images ``(N, C, H, H)`` to images.

    The question for each is whether ``layer(rotate90(x, k)) == rotate90(layer(x), k)`` for all
    images ``x`` of the given size and all ``k``.
    """

    def build():
        w = torch.randn(2, 1, 3, 3)
        return w, w + w.transpose(-1, -2)

    with isolated_rng(616):
        w_random, w_transpose_symmetric = build()
    return {
        "max_pool_8x8": lambda x: F.max_pool2d(x[..., :8, :8], 2),
        "max_pool_9x9": lambda x: F.max_pool2d(x[..., :9, :9], 2),
        "upsample_nearest": lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
        "softmax_over_pixels": lambda x: torch.softmax(x.flatten(-2), dim=-1).reshape(
            x.shape
        ),
        "add_transpose": lambda x: x + x.transpose(-1, -2),
        "conv_transpose_symmetric_filter": lambda x: F.conv2d(
            x, w_transpose_symmetric, padding=1
        ),
        "conv_2x2_same_padding": lambda x: F.conv2d(
            F.pad(x, (0, 1, 0, 1)), torch.ones(1, 1, 2, 2)
        ),
    }


_VERDICT_SALT = "ml4phys.checks.ch06.layer_verdicts"
_VERDICT_DIGESTS = {  # name -> digest((name, is_equivariant), _VERDICT_SALT): no plain verdicts here
    "max_pool_8x8": "bda0b5e7c81da2257fe1ef5fc284e5adb0e4afa10d4be7f14be846eb0b31eff6",
    "max_pool_9x9": "d7390a6fbd8d09370a1830c2b93b764bebea5ef478ae8e29d9989c7461c436d8",
    "upsample_nearest": "ef5aa4c9d2acd913621f34a1363ede49a74c9d4553a404cbcc15b5f490e23583",
    "softmax_over_pixels": "e070e6b4ab921ae47eea59ddafcd5671c9fb44578ca242b8f7b27b547508580d",
    "add_transpose": "c59f11f8f1f7f81f85e79f16652e250b512ff8ba8ffc11b58729b0803c87953e",
    "conv_transpose_symmetric_filter": "39e150198539a3360c67968815f7d0cdca1fc3bf3022c5745e7d8616bf58c388",
    "conv_2x2_same_padding": "e9805f45245dce83e8ec50adc51ce053fe05bc3649c12fd7da87836e02821f74",
}


def check_layer_verdicts(verdicts: Mapping[str, Any]) -> bool:
    """Exercise 6.1 (b): which layers of :func:`candidate_layers` are C4-equivariant.

    Args:
        verdicts: layer name -> ``True`` (equivariant under quarter turns, with the same action
            on input and output images) or ``False``.
    """
    require(
        isinstance(verdicts, Mapping),
        f"verdicts must be a dict, got {type(verdicts).__name__}.",
    )
    missing = sorted(set(_VERDICT_DIGESTS) - set(verdicts))
    require(not missing, f"verdicts has no entry for {missing}.")
    for name, value in verdicts.items():
        require(
            isinstance(value, (bool, np.bool_)),
            f"verdicts[{name!r}] must be True or False, got {value!r}.",
        )
    right = all(
        digest((name, bool(verdicts[name])), _VERDICT_SALT) == stored
        for name, stored in _VERDICT_DIGESTS.items()
    )
    require(
        right,
        "not all verdicts are right yet. Measure each layer with your "
        "equivariance_error on images of the size the layer expects (8x8 for max_pool_8x8, 9x9 "
        "for max_pool_9x9, any size for the others), then think about why.",
    )
    return passed(f"Exercise 6.1 (b): all {len(_VERDICT_DIGESTS)} verdicts are right.")


# ----------------------------------------------------------------------------------------------
# Exercise 6.2
# ----------------------------------------------------------------------------------------------


def check_c4_convs(lift: Callable[..., Any], group_conv: Callable[..., Any]) -> bool:
    """Exercise 6.2: the lifting and group convolutions of :math:`C_4`.

    ``lift(x, weight)`` maps ``(N, C_in, H, W)`` with filters ``(C_out, C_in, k, k)`` to
    ``(N, C_out, 4, H, W)``; ``group_conv(y, weight)`` maps ``(N, C_in, 4, H, W)`` with filters
    ``(C_out, C_in, 4, k, k)`` to ``(N, C_out, 4, H, W)``; both pad with zeros to keep the size.
    Checked: orientation 0 of the lifting equals ``F.conv2d``, both agree with
    :func:`ml4phys.nn.symmetry.c4_lift` / :func:`~ml4phys.nn.symmetry.c4_group_conv`, and both are
    exactly equivariant under :func:`~ml4phys.nn.symmetry.rotate90` and
    :func:`~ml4phys.nn.symmetry.rotate_c4_features`.

    Args:
        lift: the student's lifting convolution.
        group_conv: the student's group convolution.
    """
    gen = torch.Generator().manual_seed(626)
    x = torch.randn(2, 3, 7, 7, generator=gen, dtype=torch.float64)
    w_lift = torch.randn(4, 3, 3, 3, generator=gen, dtype=torch.float64)
    w_group = torch.randn(2, 4, 4, 5, 5, generator=gen, dtype=torch.float64)

    y = call_student(lift, x, w_lift, name="lift(x, weight)", expects=torch.Tensor)
    require(
        tuple(y.shape) == (2, 4, 4, 7, 7),
        f"lift of images (2, 3, 7, 7) with filters (4, 3, 3, 3) must "
        f"return shape (2, 4, 4, 7, 7) (batch, C_out, orientation, H, W); got {tuple(y.shape)}.",
    )
    require(
        torch.allclose(y[:, :, 0], F.conv2d(x, w_lift, padding=1), atol=1e-10),
        "orientation 0 of lift(x, w) is not conv2d(x, w) with 'same' zero padding.",
    )
    for k in (1, 2, 3):
        rotated = call_student(
            lift,
            symmetry.rotate90(x, k),
            w_lift,
            name="lift(x, weight)",
            expects=torch.Tensor,
        )
        require(
            torch.allclose(rotated, symmetry.rotate_c4_features(y, k), atol=1e-10),
            f"lift is not equivariant: lift(rotate90(x, {k})) differs from rotate_c4_features(lift(x), "
            f"{k}). Are the filter copies rotated by r quarter turns for orientation r, in the "
            "direction of rotate90?",
        )
    require(
        torch.allclose(y, symmetry.c4_lift(x, w_lift), atol=1e-10),
        "lift is equivariant but does not agree with the definition (ch06-eq-lift).",
    )

    z = call_student(
        group_conv, y, w_group, name="group_conv(y, weight)", expects=torch.Tensor
    )
    require(
        tuple(z.shape) == (2, 2, 4, 7, 7),
        "group_conv of (2, 4, 4, 7, 7) with filters (2, 4, 4, 5, 5) "
        f"must return shape (2, 2, 4, 7, 7); got {tuple(z.shape)}.",
    )
    for k in (1, 2, 3):
        rotated = call_student(
            group_conv,
            symmetry.rotate_c4_features(y, k),
            w_group,
            name="group_conv(y, weight)",
            expects=torch.Tensor,
        )
        require(
            torch.allclose(rotated, symmetry.rotate_c4_features(z, k), atol=1e-9),
            f"group_conv is not equivariant: group_conv(rotate_c4_features(y, {k})) differs from "
            f"rotate_c4_features(group_conv(y), {k}). Check the direction of the cyclic shift of the "
            "filter's orientation axis, and that the spatial rotation is by r for output r.",
        )
    require(
        torch.allclose(z, symmetry.c4_group_conv(y, w_group), atol=1e-9),
        "group_conv is equivariant but does not agree with the definition (ch06-eq-gconv): "
        "for output orientation r the filter of input orientation s is w[:, :, s - r] rotated by r.",
    )
    return passed(
        "Exercise 6.2: lift and group_conv agree with the definitions and are exactly "
        "equivariant under quarter turns."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 6.3
# ----------------------------------------------------------------------------------------------


def check_particle_model(predict_energy: Callable[[torch.Tensor], Any]) -> bool:
    """Exercise 6.3: a permutation-invariant model of the pair energy of 6 particles in 2D.

    On 1000 fresh configurations of :func:`ml4phys.physics.particles.particle_energies` (6 particles,
    d = 2, the default box and potential) the RMSE must be below 0.15 times the standard
    deviation of the energies, and the prediction must not change (to 1e-4 of that standard
    deviation) when the particles of each set are permuted at random.

    Args:
        predict_energy: maps positions, a float32 tensor ``(n, 6, 2)``, to energies ``(n,)`` or
            ``(n, 1)`` (a tensor or an array).
    """
    positions, energies = particles.particle_energies(
        1000, 6, np.random.default_rng(60_636)
    )
    P = torch.from_numpy(positions)
    with torch.no_grad():
        out = call_student(predict_energy, P, name="predict_energy(positions)")
    out = as_numpy(out, "the result of predict_energy")
    require(
        out.shape in ((1000,), (1000, 1)),
        f"predict_energy must return one energy per set, shape "
        f"(1000,) or (1000, 1); it returned shape {out.shape}.",
    )
    out = out.reshape(-1)
    std = float(energies.std())
    relative = float(np.sqrt(np.mean((out - energies) ** 2)) / std)
    perm = torch.from_numpy(
        np.random.default_rng(60_637).permuted(np.tile(np.arange(6), (1000, 1)), axis=1)
    )
    P_perm = torch.gather(P, 1, perm[:, :, None].expand(-1, -1, 2))
    with torch.no_grad():
        out_perm = call_student(
            predict_energy, P_perm, name="predict_energy(positions)"
        )
    out_perm = as_numpy(out_perm, "the result of predict_energy").reshape(-1)
    change = float(np.abs(out_perm - out).max())
    require(
        change < 1e-4 * std,
        f"your model is not permutation invariant: permuting the particles changes "
        f"its prediction by up to {change:.3g} (the energies vary by {std:.3f}).",
    )
    require(
        relative < _PARTICLE_THRESHOLD,
        f"on 1000 fresh configurations your RMSE is {relative:.3f} times the standard deviation of the "
        f"energies; it should be below {_PARTICLE_THRESHOLD}. Which features of a configuration does the "
        "energy depend on?",
    )
    return passed(
        f"Exercise 6.3: permutation invariant, and RMSE / std(E) = {relative:.3f} on 1000 fresh "
        f"configurations (below {_PARTICLE_THRESHOLD} needed)."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 6.4
# ----------------------------------------------------------------------------------------------


def digits_study_data() -> tuple[
    tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]
]:
    """The fixed data of exercise 6.4.

    Returns:
        ``((X_train, y_train), (X_test, y_test))``: the first :data:`STUDY_N_TRAIN` upright
        digits of :func:`ml4phys.data.rotated_digits` (nines dropped) and 600 test digits
        rotated by random quarter turns; images float32 ``(n, 1, 8, 8)``, labels int64 0..8.
    """
    (X_pool, y_pool), (X_test, y_test, _) = data.rotated_digits(
        np.random.default_rng(2019), n_test=600
    )
    return (X_pool[:STUDY_N_TRAIN], y_pool[:STUDY_N_TRAIN]), (X_test, y_test)


def check_augmentation_study(
    models: Mapping[str, nn.Module],
    accuracies: Mapping[str, Any],
    errors: Mapping[str, Any],
) -> bool:
    """Exercise 6.4: three trained digit classifiers, their test accuracies and invariance errors.

    The check recomputes, for each model in ``eval()`` mode, the accuracy on the rotated test
    digits of :func:`digits_study_data` and the invariance error of the logits on the first 200
    of them (:func:`ml4phys.nn.symmetry.equivariance_error`, quarter turns 1, 2, 3), and compares
    with the reported numbers. It then requires: the C4 model invariant to 1e-5, the two plain
    CNNs not (error above 1e-3) and the augmented one more invariant than the other; test
    accuracy at least 75 % (C4) and 60 % (augmentation), and below 60 % for the CNN trained on
    upright digits only.

    Args:
        models: :data:`STUDY_KINDS` -> trained model mapping ``(n, 1, 8, 8)`` to logits ``(n, 9)``.
        accuracies: the same keys -> the test accuracy you measured (a fraction).
        errors: the same keys -> the invariance error you measured.
    """
    for name, mapping in [
        ("models", models),
        ("accuracies", accuracies),
        ("errors", errors),
    ]:
        require(
            isinstance(mapping, Mapping),
            f"{name} must be a dict with keys {list(STUDY_KINDS)}.",
        )
        missing = [kind for kind in STUDY_KINDS if kind not in mapping]
        require(not missing, f"{name} has no entry for {missing}.")
    _, (X_test, y_test) = digits_study_data()
    measured_acc, measured_err = {}, {}
    for kind in STUDY_KINDS:
        model = models[kind]
        require(isinstance(model, nn.Module), f"models[{kind!r}] must be an nn.Module.")
        model.eval()
        with torch.no_grad():
            logits = call_student(
                model, X_test, name=f"models[{kind!r}](X)", expects=torch.Tensor
            )
        require(
            tuple(logits.shape) == (len(X_test), 9),
            f"models[{kind!r}] must return logits of shape (n, 9); it returned {tuple(logits.shape)}.",
        )
        measured_acc[kind] = float((logits.argmax(1) == y_test).float().mean())
        measured_err[kind] = call_student(
            symmetry.equivariance_error,
            model,
            X_test[:200],
            symmetry.rotate90,
            name=f"measuring the invariance error of models[{kind!r}]",
        )
        acc = _as_float(accuracies[kind], f"accuracies[{kind!r}]")
        err = _as_float(errors[kind], f"errors[{kind!r}]")
        require(
            abs(acc - measured_acc[kind]) < 2e-3,
            f"you report accuracy {acc:.4f} for {kind}, too "
            f"{'high' if acc > measured_acc[kind] else 'low'}: that is not what the model scores on "
            "the rotated test digits in eval mode (tolerance 2e-3).",
        )
        require(
            abs(err - measured_err[kind]) <= max(1e-3 * measured_err[kind], 1e-6),
            f"you report invariance error {err:.3g} for {kind}, too "
            f"{'large' if err > measured_err[kind] else 'small'}: that is not what the check measures "
            "on the first 200 test digits (quarter turns 1, 2, 3; relative tolerance 1e-3).",
        )
    require(
        measured_err["C4-invariant"] < 1e-5,
        f"the C4 model's invariance error is "
        f"{measured_err['C4-invariant']:.2g}: it should be invariant up to rounding.",
    )
    require(
        min(measured_err["CNN"], measured_err["CNN + augmentation"]) > 1e-3,
        "a plain CNN has an invariance error below 1e-3: is it really a plain CNN?",
    )
    require(
        measured_err["CNN + augmentation"] < measured_err["CNN"],
        "the CNN trained with augmentation is less invariant than the one without: was the "
        "augmentation active during training?",
    )
    for kind, threshold in _STUDY_MIN_ACCURACY.items():
        require(
            measured_acc[kind] >= threshold,
            f"{kind} reaches {measured_acc[kind]:.1%} on the rotated "
            f"test digits; it should reach at least {threshold:.0%}. Train for the number of steps given.",
        )
    require(
        measured_acc["CNN"] < _STUDY_MAX_PLAIN_ACCURACY,
        f"the plain CNN reaches {measured_acc['CNN']:.1%}, "
        "suspiciously high for a model that saw only upright digits: was it trained on rotated ones?",
    )
    summary = ", ".join(
        f"{kind} {measured_acc[kind]:.1%} (error {measured_err[kind]:.1e})"
        for kind in STUDY_KINDS
    )
    return passed(f"Exercise 6.4: {summary}.")
