"""Tests of the self-check machinery shared by every chapter's checks."""

import pytest
import torch

from ml4phys.checks import CheckFailed, passed, require


def test_passed_prints_and_returns_true(capsys):
    assert passed("Exercise 0.1: nothing") is True
    assert "Correct. Exercise 0.1" in capsys.readouterr().out


def test_require_raises_check_failed_with_the_message():
    require(True, "never shown")
    with pytest.raises(CheckFailed, match="Not yet. the output has shape"):
        require(False, "the output has shape (3,), expected (3, 1)")
    assert issubclass(CheckFailed, AssertionError)


def test_call_student_reports_signature_return_type_and_exceptions():
    import numpy as np

    from ml4phys.checks._core import call_student

    assert call_student(lambda x: x + 1, 1, name="f(x)", expects=int) == 2
    with pytest.raises(CheckFailed, match=r"must be callable as f\(x\)"):
        call_student(lambda: None, 1, name="f(x)")
    with pytest.raises(CheckFailed, match="must return a ndarray; it returned a str"):
        call_student(lambda x: "nope", 1, name="f(x)", expects=np.ndarray)
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError: division by zero"):
        call_student(lambda x: x / 0, 1, name="f(x)")
    with pytest.raises(CheckFailed, match="must be a function"):
        call_student("nope", 1, name="f(x)")
    with pytest.raises(NotImplementedError, match="Exercise 0.1"):
        call_student(_stub, 1, name="f(x)")


def _stub(x):
    raise NotImplementedError("Exercise 0.1")


def test_conversions_and_parameter_count():
    import numpy as np
    import torch

    from ml4phys.checks._core import as_numpy, as_tensor, n_parameters

    assert as_numpy(torch.ones(2, requires_grad=True), "x").dtype == np.float64
    assert as_tensor([True, False], "mask").dtype == torch.bool
    for bad in ("nope", None, {"a": 1}, [object()]):
        with pytest.raises(
            CheckFailed, match="must be an array or a tensor of numbers"
        ):
            as_numpy(bad, "x")
    assert n_parameters(torch.nn.Linear(3, 2)) == 8
    with pytest.raises(CheckFailed, match="must be a torch.nn.Module"):
        n_parameters("nope")


def test_as_number_takes_one_finite_number_in_any_form():
    import numpy as np
    import torch

    from ml4phys.checks._core import as_number

    for value in (0.5, np.float32(0.5), np.array([0.5]), torch.tensor(0.5)):
        assert as_number(value, "x") == 0.5 and type(as_number(value, "x")) is float
    for bad, message in [
        (True, "got a bool"),
        ("0.5", "array or a tensor of numbers"),
        (np.ones(2), "one number"),
        (float("nan"), "finite"),
        (torch.tensor(float("inf")), "finite"),
    ]:
        with pytest.raises(CheckFailed, match=message):
            as_number(bad, "the answer")
    assert np.isnan(as_number(float("nan"), "x", finite=False))


def test_isolated_rng_leaves_the_global_generators_alone():
    import random

    import numpy as np
    import torch

    from ml4phys.checks._core import isolated_rng

    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()  # noqa: NPY002 (the legacy global state a student may use)
    python_state = random.getstate()
    with isolated_rng(3) as rng:
        a = torch.rand(1)
        np.random.seed(0)  # noqa: NPY002
        random.seed(0)
        assert isinstance(rng, np.random.Generator)
    with isolated_rng(3):
        assert torch.equal(torch.rand(1), a)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])  # noqa: NPY002
    assert random.getstate() == python_state


def test_digest_and_masked_floats_round_trip():
    from ml4phys.checks._core import _mask_floats, digest, unmask_floats

    assert digest((0, 2), "salt") == digest((0, 2), "salt") != digest((0, 1), "salt")
    assert unmask_floats(_mask_floats((2.5, -1.0), "s"), "s") == (2.5, -1.0)
    assert "2.5" not in _mask_floats((2.5,), "s")


@pytest.mark.parametrize("mode", [True, False])
def test_evaluating_runs_in_eval_mode_without_grad_and_restores_the_mode(mode):
    from ml4phys.checks._core import evaluating

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    model.train(mode)
    with evaluating(model):
        assert not model.training and not model[1].training
        assert not torch.is_grad_enabled()
        assert not model(torch.ones(1, 2)).requires_grad
    assert model.training is mode and torch.is_grad_enabled()
    with pytest.raises(RuntimeError), evaluating(model):
        raise RuntimeError("the student's model failed")
    assert model.training is mode
