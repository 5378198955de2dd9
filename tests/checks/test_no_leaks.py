"""The self-checks never hand out the answer.

No checks module exports anything but its ``check_*`` functions, the core names and the
documented helpers the notebooks use (no reference solution, no "unknown" an exercise asks
for, no table of verdicts in plain text); no exported helper passes a check in place of the
student's answer; and failure messages do not print the reference value.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import ml4phys.checks
from ml4phys.checks import CheckFailed, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08
from ml4phys.nn import symmetry

CHECKS_DIR = Path(ml4phys.checks.__file__).parent
MODULE_NAMES = ["ml4phys.checks"] + [
    f"ml4phys.checks.{m.name}" for m in pkgutil.iter_modules([str(CHECKS_DIR)])
]

CORE = {"CheckFailed", "passed", "require"}

DOCUMENTED_HELPERS = {
    "ml4phys.checks": set(),
    "ml4phys.checks._core": {
        "as_number",
        "as_numpy",
        "as_tensor",
        "call_student",
        "digest",
        "evaluating",
        "isolated_rng",
        "n_parameters",
        "unmask_floats",
    },
    "ml4phys.checks.ch01": {
        "ROUGHNESS_EPS",
        "XOR_MARGIN",
        "XOR_TOLERANCE",
        "xor_test_points",
    },
    "ml4phys.checks.ch02": set(),
    "ml4phys.checks.ch03": {"CIRCLES_SQUARES_NOISE", "digits_split"},
    "ml4phys.checks.ch04": {
        "LAPLACE_TOLERANCE",
        "OSCILLATOR_OMEGA",
        "OSCILLATOR_T",
        "OSCILLATOR_TOLERANCE",
        "laplace_exact",
    },
    "ml4phys.checks.ch05": {
        "FASHION_MAX_PARAMETERS",
        "FASHION_THRESHOLD",
        "UNET_IOU_THRESHOLD",
    },
    "ml4phys.checks.ch06": {
        "STUDY_KINDS",
        "STUDY_N_TRAIN",
        "candidate_layers",
        "digits_study_data",
    },
    "ml4phys.checks.ch07": {
        "oscillator_energy",
        "product_target",
        "three_input_target",
    },
    "ml4phys.checks.ch08": {"COUNTDOWN_MAX", "OSCILLATOR_SETTINGS"},
    "ml4phys.checks.ch09": {"ADDITION_SPLIT_SEED", "addition_data"},
    "ml4phys.checks.ch10": set(),
    "ml4phys.checks.ch11": set(),
    "ml4phys.checks.ch12": {"DIGITS_SPLIT_SEED", "digits_data"},
    "ml4phys.checks.ch13": set(),
    "ml4phys.checks.ch14": set(),
    "ml4phys.checks.ch15": set(),
    "ml4phys.checks.ch16": set(),
    "ml4phys.checks.ch17": set(),
    "ml4phys.checks.ch18": set(),
    "ml4phys.checks.ch19": set(),
}
"""Public names besides the checks: settings of the exercises and data the notebooks use."""


def _defined_public_names(module) -> set[str]:
    """Public names the module defines itself (imported modules, functions and classes excluded)."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value):
            continue
        origin = getattr(value, "__module__", module.__name__)
        if origin == module.__name__ or not (
            inspect.isfunction(value) or inspect.isclass(value)
        ):
            if origin in ("__future__", "typing", "collections.abc"):
                continue
            names.add(name)
    return names


def test_every_checks_module_has_an_allowlist():
    assert sorted(DOCUMENTED_HELPERS) == sorted(MODULE_NAMES)


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_no_public_names_but_checks_core_and_documented_helpers(module_name):
    module = importlib.import_module(module_name)
    allowed = CORE | DOCUMENTED_HELPERS[module_name]
    public = _defined_public_names(module) | set(getattr(module, "__all__", []))
    extra = {name for name in public if not name.startswith("check_")} - allowed
    assert not extra, (
        f"{module_name} exports {sorted(extra)}: make them private (_name)"
    )
    for name in DOCUMENTED_HELPERS[module_name]:
        value = getattr(module, name)
        if callable(value):
            assert inspect.getdoc(value), f"{module_name}.{name} needs a docstring"


@pytest.mark.parametrize("path", sorted(CHECKS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_verdict_table_in_plain_text(path):
    source = path.read_text()
    table = r"""(["'][\w ]+["']\s*:\s*(True|False)\s*,\s*){2,}"""  # two or more name: bool entries
    assert not re.search(table, source), "store verdicts as digests"


def test_unknowns_of_chapter_7_are_not_exported():
    for name in ("OSCILLATOR_MASS", "OSCILLATOR_OMEGA"):
        assert not hasattr(ch07, name)
    source = (CHECKS_DIR / "ch07.py").read_text()
    mass, omega = ch07._oscillator_parameters()
    assert not re.search(rf"=\s*{mass!r}\b", source) and not re.search(
        rf"=\s*{omega!r}\b", source
    )
    assert "X[:, 2:3]" not in source and "X[:, :1]) +" not in source


def test_exported_helpers_do_not_pass_the_checks_they_belong_to():
    with pytest.raises(CheckFailed):
        ch04.check_laplace_solution(ch04.laplace_exact)
    mass, omega = ch07._oscillator_parameters()
    with pytest.raises(CheckFailed):
        ch07.check_oscillator_formula(ch07.oscillator_energy, mass, omega)


# ---------------------------------------------------------------------------------------------
# failure messages do not contain the reference value
# ---------------------------------------------------------------------------------------------


def _formats(
    values, specs=(".3g", ".4g", ".6g", ".3f", ".4f", ".5f", ".6f")
) -> set[str]:
    out = set()
    for value in np.ravel(values):
        for spec in specs:
            text = format(float(value), spec)
            if (
                len(text.lstrip("-").replace(".", "").replace("0", "")) >= 2
            ):  # skip "0", "1.0"
                out.add(text)
    return out


def _message(check, *args) -> str:
    with pytest.raises(CheckFailed) as info:
        check(*args)
    return str(info.value)


def _assert_no_leak(message: str, references, specs=None) -> None:
    texts = _formats(references) if specs is None else _formats(references, specs)
    leaked = sorted(text for text in texts if text in message)
    assert not leaked, f"the message shows the reference value(s) {leaked}: {message}"


def test_roughness_message_hides_the_reference():
    def sample_variance(image):
        F = np.asarray(image, dtype=float)
        d = np.mean((F[:, 1:] - F[:, :-1]) ** 2) + np.mean((F[1:, :] - F[:-1, :]) ** 2)
        return d / (4 * F.var(ddof=1) + 1e-12)

    rows, cols = np.meshgrid(np.arange(6), np.arange(9), indexing="ij")
    checkerboard = np.where((rows + cols) % 2 == 0, 1.0, -1.0)
    noise = np.random.default_rng(7).standard_normal((40, 50))
    images = [
        cols.astype(float),
        rows.astype(float),
        checkerboard,
        noise,
        3 * noise + 2,
    ]
    message = _message(ch01.check_roughness, sample_variance)
    _assert_no_leak(message, [ch01._reference_roughness(image) for image in images])


def test_sgd_slope_messages_hide_the_exact_moments():
    def analytic(w0, w_target, lr, batch_size, n_steps, sigma_x=1.0):
        mean, var = ch02._slope_moments(w0, w_target, lr, batch_size, n_steps, sigma_x)
        return mean, 1.37 * var

    message = _message(ch02.check_sgd_slope, None, analytic)
    references = []
    for w0, w_target, lr, batch_size, n_steps, sigma_x in [
        (0.0, 1.0, 0.1, 4, 30, 1.0),
        (3.0, -1.0, 0.05, 1, 50, 2.0),
        (1.0, 2.0, 0.5, 16, 20, 0.7),
    ]:
        mean, var = ch02._slope_moments(w0, w_target, lr, batch_size, n_steps, sigma_x)
        references += [mean[[1, 5, n_steps]], var[[1, 5, n_steps]]]
    _assert_no_leak(message, np.concatenate(references))


def test_sine_fit_message_hides_where_gradient_descent_ends():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 4, size=30)
    y = np.sin(1.5 * x) + 0.05 * rng.normal(size=30)
    w = np.linspace(0.0, 4.0, 9)
    for _ in range(25):
        w = w - 0.1 * ch02._sine_grad(w, x, y)

    def run_gd_twice_the_rate(w0, x, y, lr, n_steps):
        w = np.array(w0, dtype=float)
        for _ in range(n_steps):
            w = w - 2 * lr * ch02._sine_grad(w, x, y)
        return w

    message = _message(ch02.check_sine_fit, run_gd_twice_the_rate, None)
    _assert_no_leak(message, w)


def test_ball_volume_messages_hide_log_v_and_d_max():
    from scipy.optimize import minimize_scalar
    from scipy.special import gammaln

    def log_volume(d):
        return 0.5 * d * math.log(math.pi) - torch.lgamma(d / 2 + 1)

    d_test = np.array([1.0, 2.0, 3.0, 5.5, 10.0, 20.0])
    reference = 0.5 * d_test * math.log(math.pi) - gammaln(d_test / 2 + 1)
    message = _message(ch03.check_ball_volume, lambda d: log_volume(d) + 0.01, 5.0)
    _assert_no_leak(message, reference)
    d_max = minimize_scalar(
        lambda d: -(0.5 * d * math.log(math.pi) - gammaln(d / 2 + 1)),
        bounds=(1, 15),
        method="bounded",
    ).x
    message = _message(ch03.check_ball_volume, log_volume, d_max + 0.01)
    _assert_no_leak(message, [d_max], specs=(".4f", ".5f", ".6f"))


def test_oscillator_loss_message_hides_the_expected_loss():
    omega = ch04.OSCILLATOR_OMEGA
    t_np = np.random.default_rng(41).uniform(0, ch04.OSCILLATOR_T, size=(50, 1))
    expected = np.mean(
        ((omega**2 - (1.1 * omega) ** 2) * np.cos(1.1 * omega * t_np)) ** 2
    )

    def residual_sum(x_fn, t, omega):
        x = x_fn(t)
        (dx,) = torch.autograd.grad(x.sum(), t, create_graph=True)
        (ddx,) = torch.autograd.grad(dx.sum(), t, create_graph=True)
        return ((ddx + omega**2 * x) ** 2).sum()

    message = _message(ch04.check_oscillator_loss, residual_sum)
    _assert_no_leak(message, [expected])


def test_power_law_message_hides_the_synthetic_parameters():
    message = _message(ch04.check_power_law_fit, lambda N, L: (1.0, 0.3, 0.0, 0.05))
    for text in ("a = 2.0", "alpha = 0.7", "L_inf = 0.002", "= 0.7,", "0.002"):
        assert text not in message, message


def test_maximise_channel_message_hides_the_reachable_activation():
    linear, deep = ch05._maximise_test_models()
    optimum = [(linear.weight[c].norm() + linear.bias[c]).item() for c in (0, 2)]
    message = _message(
        ch05.check_maximise_channel,
        lambda model, channel, size: 0.01 * torch.ones(size, size),
    )
    _assert_no_leak(message, optimum)


def test_layer_verdict_message_gives_no_count():
    message = _message(
        ch06.check_layer_verdicts, dict.fromkeys(ch06.candidate_layers(), True)
    )
    assert not re.search(r"\d+ of the \d+", message), message


def test_augmentation_study_message_hides_the_measured_accuracy():
    class Constant(torch.nn.Module):
        def forward(self, x):
            return torch.arange(9.0).expand(len(x), 9)

    _, (X_test, y_test) = ch06.digits_study_data()
    accuracy = float((y_test == 8).float().mean())
    error = symmetry.equivariance_error(Constant(), X_test[:200], symmetry.rotate90)
    models = {kind: Constant() for kind in ch06.STUDY_KINDS}
    message = _message(
        ch06.check_augmentation_study,
        models,
        dict.fromkeys(ch06.STUDY_KINDS, accuracy + 0.1),
        dict.fromkeys(ch06.STUDY_KINDS, error),
    )
    _assert_no_leak(message, [accuracy])


def test_oscillator_formula_message_hides_mass_and_omega():
    mass, omega = ch07._oscillator_parameters()
    message = _message(
        ch07.check_oscillator_formula,
        lambda x, p: ch07.oscillator_energy(x, p),
        1.0,
        omega,
    )
    _assert_no_leak(message, [mass, omega])
    assert repr(mass) not in message and repr(omega) not in message


def test_sgns_message_hides_the_reference_loss():
    generator = torch.Generator().manual_seed(8_041)
    tensors = [
        torch.randn(*shape, dtype=torch.float64, generator=generator)
        for shape in ((7, 4), (7, 4), (7, 5, 4))
    ]
    reference = ch08._reference_sgns(*tensors).item()

    def twice(v_centre, v_context, v_negative):
        return 2 * ch08._reference_sgns(v_centre, v_context, v_negative)

    message = _message(ch08.check_sgns_loss, twice)
    _assert_no_leak(message, [reference])
