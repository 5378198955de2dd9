"""The contract that every self-check of every chapter keeps, tested on all of them at once.

Every public ``check_*`` of every ``ml4phys.checks.chNN`` module is discovered with
``inspect``; the kind of each argument (a function, a model, a class, a mapping of models, or
plain data) is read from its annotation. Each argument is then replaced in turn by wrong
things (not callable, a wrong signature, a wrong return type, an exception inside the
student's code, a wrong type of object, a module whose forward raises) while the other
arguments get valid values. The check must raise :class:`CheckFailed` with a message that
says what was expected (never a raw exception), and a stub's ``NotImplementedError`` must
reach the student unchanged. The check must not touch the global random state either.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from scipy.ndimage import uniform_filter
from torch import nn

import ml4phys.checks
from ml4phys import data
from ml4phys.checks import CheckFailed, ch02, ch06, ch07
from ml4phys.nn import kan, symmetry

CHECKS_DIR = Path(ml4phys.checks.__file__).parent
CHAPTER_NAMES = sorted(
    m.name
    for m in pkgutil.iter_modules([str(CHECKS_DIR)])
    if re.fullmatch(r"ch\d\d", m.name)
)
CHAPTERS = [importlib.import_module(f"ml4phys.checks.{name}") for name in CHAPTER_NAMES]


def discover_checks() -> dict[str, Callable[..., Any]]:
    """``"chNN.check_name" -> function`` for every public callable ``check_*`` of every chapter."""
    found = {}
    for module in CHAPTERS:
        for name, obj in inspect.getmembers(module, callable):
            if name.startswith("check_"):
                found[f"{module.__name__.rsplit('.', 1)[-1]}.{name}"] = obj
    return found


CHECKS = discover_checks()


def argument_kind(annotation: Any) -> str:
    """The kind of a check's argument, from its annotation (a string, by ``from __future__``)."""
    text = (
        annotation
        if isinstance(annotation, str)
        else getattr(annotation, "__name__", str(annotation))
    )
    if "Callable" in text:
        return "function"
    if text == "type":
        return "class"
    if text.startswith("Mapping") and "Module" in text:
        return "module_mapping"
    if "Module" in text or "KAN" in text:
        return "module"
    return "data"


def argument_kinds(check: Callable[..., Any]) -> dict[str, str]:
    return {
        name: argument_kind(p.annotation)
        for name, p in inspect.signature(check).parameters.items()
    }


# ---------------------------------------------------------------------------------------------
# valid arguments, for checks that take several (so that the check reaches the wrong one)
# ---------------------------------------------------------------------------------------------


def _sgd_slope_simulate(
    w0, w_target, lr, batch_size, n_steps, n_runs, rng, sigma_x=1.0
):
    w = np.full(n_runs, float(w0))
    paths = [w.copy()]
    for _ in range(n_steps):
        x = rng.normal(0, sigma_x, size=(n_runs, batch_size))
        w = w - lr * np.mean((w[:, None] - w_target) * x**2, axis=1)
        paths.append(w.copy())
    return np.stack(paths, axis=1)


def _run_gd(w0, x, y, lr, n_steps):
    w = np.array(w0, dtype=float)
    for _ in range(n_steps):
        w = w - lr * ch02._sine_grad(w, x, y)
    return w


def _run_sgd(w0, x, y, lr, n_steps, batch_size, rng):
    w = np.array(w0, dtype=float)
    for _ in range(n_steps):
        idx = rng.integers(0, len(x), size=(len(w), batch_size))
        phase = w[:, None] * x[idx]
        w = w - lr * np.mean((np.sin(phase) - y[idx]) * np.cos(phase) * x[idx], axis=1)
    return w


def _fill_ratio_classifier(images):
    mask = uniform_filter(np.asarray(images, dtype=float), size=(1, 3, 3)) > 0.6
    height, width = mask.any(axis=2).sum(axis=1), mask.any(axis=1).sum(axis=1)
    ratio = mask.sum(axis=(1, 2)) / np.maximum(height * width, 1)
    return (ratio > 0.82).astype(np.int64)


def _log_volume(d):
    return 0.5 * d * math.log(math.pi) - torch.lgamma(d / 2 + 1)


def _d_max() -> float:
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(
        lambda d: -_log_volume(torch.tensor(d)).item(), bounds=(1, 15), method="bounded"
    )
    return float(result.x)


class _Constant(nn.Module):
    """Returns the same logits for every input: shape ``(n, *shape)``."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x):
        values = torch.arange(1.0, 1.0 + math.prod(self.shape)).reshape(self.shape)
        return values.expand(x.shape[0], *self.shape).clone()


class _TokenLogits(nn.Module):
    def forward(self, tokens):
        return torch.zeros(*tokens.shape, 12)


def _study_good() -> dict[str, Any]:
    models = {kind: _Constant(9) for kind in ch06.STUDY_KINDS}
    _, (X_test, y_test) = ch06.digits_study_data()
    accuracy = float((y_test == 8).float().mean())
    error = symmetry.equivariance_error(_Constant(9), X_test[:200], symmetry.rotate90)
    return {
        "models": models,
        "accuracies": dict.fromkeys(ch06.STUDY_KINDS, accuracy),
        "errors": dict.fromkeys(ch06.STUDY_KINDS, error),
    }


def _future_influence(model, tokens, t):
    changed = tokens.clone()
    changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % model.vocab_size
    with torch.no_grad():
        return float(
            (model(tokens)[:, : t + 1] - model(changed)[:, : t + 1]).abs().max()
        )


GOOD: dict[str, Callable[[], dict[str, Any]]] = {
    "ch02.check_sgd_slope": lambda: {
        "simulate_sgd_slope": _sgd_slope_simulate,
        "analytic_mean_var": lambda w0, w_target, lr, batch_size, n_steps, sigma_x=1.0: (
            ch02._slope_moments(w0, w_target, lr, batch_size, n_steps, sigma_x)
        ),
    },
    "ch02.check_sine_fit": lambda: {"run_gd": _run_gd, "run_sgd": _run_sgd},
    "ch03.check_circles_squares": lambda: {
        "classify_clean": _fill_ratio_classifier,
        "classify_noisy": _fill_ratio_classifier,
    },
    "ch03.check_ball_volume": lambda: {"log_volume": _log_volume, "d_max": _d_max()},
    "ch03.check_lr_batch_sweep": lambda: {
        "table": np.array([[0.2, 0.3], [0.01, 0.05]]),
        "lrs": [0.01, 0.1],
        "batch_sizes": [16, 64],
        "best": (0.1, 16),
    },
    "ch06.check_c4_convs": lambda: {
        "lift": symmetry.c4_lift,
        "group_conv": symmetry.c4_group_conv,
    },
    "ch06.check_augmentation_study": _study_good,
    "ch07.check_parameter_count": lambda: {
        "kan_n_parameters": lambda widths, grid_size, spline_order: (
            ch07._reference_count(widths, grid_size, spline_order)
        ),
        "mlp": nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1)),
    },
    "ch07.check_relevant_inputs": lambda: {
        "model": kan.KAN([3, 2, 1]),
        "relevant_inputs": [0, 1, 2],
    },
    "ch07.check_oscillator_formula": lambda: {
        "energy_formula": lambda x, p: ch07.oscillator_energy(x, p),
        "mass": ch07._oscillator_parameters()[0],
        "omega": ch07._oscillator_parameters()[1],
    },
    "ch09.check_causal_mask": lambda: {
        "make_mask": lambda n: torch.ones(n, n, dtype=torch.bool).tril(),
        "future_influence": _future_influence,
    },
    "ch09.check_ising_temperature": lambda: {
        "taus": [0.5, 1.0, 2.0],
        "correlations": [math.tanh(1 / tau) for tau in (0.5, 1.0, 2.0)],
        "beta_j": 1.0,
    },
    "ch09.check_adder": lambda: {"model": _TokenLogits(), "reverse_answer": False},
}
"""Valid values of the other arguments of checks with several arguments."""

MODULE_BASES: dict[str, tuple[type, tuple]] = {
    "ch07.check_product_kan": (kan.KAN, ([2, 2, 1],)),
    "ch07.check_relevant_inputs": (kan.KAN, ([3, 2, 1],)),
}
"""Checks that require a particular class of model: (base class, constructor arguments)."""


class _ResidualSkeleton(nn.Module):
    """The attributes exercise 5.4 asks for, so that the check reaches the forward pass."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)


CLASS_BASES: dict[str, type] = {"ch05.check_residual_block": _ResidualSkeleton}
"""Checks of a class that inspect its attributes before calling its forward pass."""


# ---------------------------------------------------------------------------------------------
# the wrong things
# ---------------------------------------------------------------------------------------------

STUB_MESSAGE = "Exercise N.k"


def _raise_boom(*args, **kwargs):
    raise RuntimeError("boom")


def _raise_stub(*args, **kwargs):
    raise NotImplementedError(STUB_MESSAGE)


def _too_many(a, b, c, d, e, f, g, h, i, j):
    return None


def _module(check: str, forward: Callable[..., Any]) -> nn.Module:
    base, args = MODULE_BASES.get(check, (nn.Module, ()))
    cls = type(
        "StudentModel", (base,), {"forward": lambda self, *a, **k: forward(*a, **k)}
    )
    return cls(*args)


def _class(
    check: str, init: Callable[..., Any] | None, forward: Callable[..., Any]
) -> type:
    base = CLASS_BASES.get(check, nn.Module)
    namespace = {"forward": lambda self, *a, **k: forward(*a, **k)}
    if init is not None:
        namespace["__init__"] = lambda self, *a, **k: init(*a, **k)
    elif base is nn.Module:
        namespace["__init__"] = lambda self, *a, **k: nn.Module.__init__(self)
    return type("StudentBlock", (base,), namespace)


def bad_values(check: str, kind: str) -> list[tuple[str, Callable[[], Any], str]]:
    """``(label, make the wrong value, expected outcome)``; outcomes: fail, boom, stub."""
    if kind == "function":
        return [
            ("not callable", lambda: "nope", "fail"),
            ("no arguments", lambda: lambda: None, "fail"),
            ("too many arguments", lambda: _too_many, "fail"),
            ("returns a str", lambda: lambda *a, **k: "nope", "fail"),
            ("raises RuntimeError", lambda: _raise_boom, "boom"),
            ("stub", lambda: _raise_stub, "stub"),
        ]
    if kind == "module":
        return [
            ("not a module", lambda: "nope", "fail"),
            ("a function instead of a module", lambda: lambda x: x, "fail"),
            ("forward raises", lambda: _module(check, _raise_boom), "boom"),
            (
                "forward returns a str",
                lambda: _module(check, lambda *a: "nope"),
                "fail",
            ),
            ("forward is a stub", lambda: _module(check, _raise_stub), "stub"),
        ]
    if kind == "module_mapping":
        kinds = ch06.STUDY_KINDS
        return [
            ("not a mapping", lambda: "nope", "fail"),
            ("values are not modules", lambda: dict.fromkeys(kinds, "nope"), "fail"),
            (
                "forward raises",
                lambda: {k: _module(check, _raise_boom) for k in kinds},
                "boom",
            ),
            (
                "forward is a stub",
                lambda: {k: _module(check, _raise_stub) for k in kinds},
                "stub",
            ),
        ]
    if kind == "class":
        return [
            ("not a class", lambda: "nope", "fail"),
            ("an instance, not a class", lambda: nn.Identity(), "fail"),
            ("not a module class", lambda: dict, "fail"),
            (
                "__init__ raises",
                lambda: _class(check, _raise_boom, lambda x: x),
                "boom",
            ),
            (
                "__init__ is a stub",
                lambda: _class(check, _raise_stub, lambda x: x),
                "stub",
            ),
            ("forward raises", lambda: _class(check, None, _raise_boom), "boom"),
            (
                "forward returns a str",
                lambda: _class(check, None, lambda *a: "nope"),
                "fail",
            ),
            ("forward is a stub", lambda: _class(check, None, _raise_stub), "stub"),
        ]
    return [("a str", lambda: "nope", "fail"), ("None", lambda: None, "fail")]


CASES = [
    pytest.param(check, param, label, make, outcome, id=f"{check}-{param}-{label}")
    for check, fn in CHECKS.items()
    for param, kind in argument_kinds(fn).items()
    for label, make, outcome in bad_values(check, kind)
]

SAYS_WHAT_IS_EXPECTED = re.compile(r"\b(must|should|expected|needs?)\b")


def _fake_fashion(split="test"):
    r = np.random.default_rng(0)
    return r.integers(0, 256, size=(20, 28, 28)).astype(np.uint8), r.integers(
        0, 10, size=20
    )


# ---------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------


def test_every_chapter_and_every_check_is_discovered():
    on_disk = sorted(path.stem for path in CHECKS_DIR.glob("ch[0-9][0-9].py"))
    assert CHAPTER_NAMES == on_disk
    assert len(CHAPTERS) >= 9
    for module in CHAPTERS:
        chapter = module.__name__.rsplit(".", 1)[-1]
        exported = {name for name in module.__all__ if name.startswith("check_")}
        discovered = {
            name.split(".", 1)[1] for name in CHECKS if name.startswith(f"{chapter}.")
        }
        assert exported, f"{chapter} has no checks"
        assert discovered == exported, (
            f"{chapter}: __all__ and the module's check_* functions differ"
        )


def test_every_argument_of_every_check_is_covered():
    covered = {(check, param) for check, param, *_ in (case.values for case in CASES)}
    for check, fn in CHECKS.items():
        kinds = argument_kinds(fn)
        assert set(kinds) == {param for c, param in covered if c == check}
        if len(kinds) > 1:
            assert check in GOOD, f"register valid arguments for {check} in GOOD"
            assert set(GOOD[check]()) == set(kinds), (
                f"GOOD[{check!r}] must give every argument"
            )


@pytest.mark.parametrize(("check", "param", "label", "make", "outcome"), CASES)
def test_wrong_inputs_fail_clearly(
    check, param, label, make, outcome, monkeypatch, capsys
):
    monkeypatch.setattr(data, "load_fashion_mnist", _fake_fashion)
    fn = CHECKS[check]
    arguments = GOOD[check]() if check in GOOD else {}
    arguments[param] = make()
    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()  # noqa: NPY002 (the global state the student may use)
    if outcome == "stub":
        with pytest.raises(NotImplementedError) as info:
            fn(**arguments)
        assert str(info.value) == STUB_MESSAGE
    else:
        with pytest.raises(CheckFailed) as info:
            fn(**arguments)
        message = str(info.value)
        assert message.startswith("\u274c Not yet. ")
        assert len(message) > len("\u274c Not yet. ") + 10
        assert SAYS_WHAT_IS_EXPECTED.search(message), message
        assert "Traceback" not in message
        if outcome == "boom":
            assert "RuntimeError" in message and "boom" in message, message
    assert torch.equal(torch.random.get_rng_state(), torch_state), (
        "the check changed torch's global RNG"
    )
    after = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(after[1], numpy_state[1]) and after[2] == numpy_state[2]
    assert "Correct" not in capsys.readouterr().out
