"""Tests of ml4phys.runtime: seeding, device choice, build detection."""

import numpy as np
import pytest
import torch

import ml4phys
from ml4phys.runtime import get_device, in_book_build, seed_everything


def test_seed_everything_makes_every_generator_reproducible():
    rng = seed_everything(7)
    first = (rng.random(3), np.random.rand(3), torch.rand(3))
    rng = seed_everything(7)
    second = (rng.random(3), np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    assert isinstance(rng, np.random.Generator)
    assert not np.array_equal(seed_everything(8).random(3), first[0])


@pytest.mark.parametrize(
    "bad, error",
    [(1.5, TypeError), ("3", TypeError), (True, TypeError), (-1, ValueError)],
)
def test_seed_everything_rejects_bad_seeds(bad, error):
    with pytest.raises(error, match="seed"):
        seed_everything(bad)


def test_get_device_defaults_to_what_is_there(monkeypatch):
    monkeypatch.delenv("ML4PHYS_DEVICE", raising=False)
    device = get_device()
    expected = "cuda" if torch.cuda.is_available() else device.type
    assert device.type == expected
    assert get_device(prefer_gpu=False) == torch.device("cpu")


def test_get_device_override(monkeypatch):
    monkeypatch.setenv("ML4PHYS_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize(
    "value, expected",
    [("1", True), ("", False), ("0", False), ("false", False), ("yes", True)],
)
def test_in_book_build(monkeypatch, value, expected):
    monkeypatch.setenv("ML4PHYS_BUILD", value)
    assert in_book_build() is expected


def test_public_api_is_reexported():
    assert ml4phys.seed_everything is seed_everything
    assert isinstance(ml4phys.__version__, str)


def test_glue_uses_myst_nb_and_validates(monkeypatch):
    import myst_nb

    from ml4phys.runtime import glue

    calls = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display: calls.append((name, value))
    )
    glue("ch00_answer", 42.0)
    assert calls == [("ch00_answer", 42.0)]
    with pytest.raises(TypeError, match="name"):
        glue("", 1.0)


@pytest.mark.parametrize(
    "value, plain",
    [
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7),
        (np.array(1.5), 1.5),
        (np.bool_(True), True),
    ],
)
def test_glue_stores_numpy_scalars_as_python_numbers(monkeypatch, value, plain):
    # myst-nb formats {glue:text}`key:.3f` from the stored text/plain; np.float64(0.25)
    # reads back as "np.float64(0.25)", which no format spec accepts
    import myst_nb

    from ml4phys.runtime import glue

    calls = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display: calls.append(value)
    )
    glue("ch00_value", value)
    assert calls == [plain] and type(calls[0]) is type(plain)


def test_glue_stores_a_zero_dimensional_tensor_as_a_number_and_keeps_others(
    monkeypatch,
):
    import myst_nb
    import torch

    from ml4phys.runtime import glue

    calls = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display: calls.append(value)
    )
    glue("ch00_loss", torch.tensor(0.125))
    vector = np.array([1.0, 2.0])
    glue("ch00_vector", vector)
    glue("ch00_text", "ok")
    assert calls[0] == 0.125 and type(calls[0]) is float
    assert calls[1] is vector and calls[2] == "ok"


def test_glue_without_myst_nb_only_displays(monkeypatch, capsys):
    import builtins

    from ml4phys.runtime import glue

    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError("no myst_nb here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    glue("ch00_quiet", 1.5)
    assert capsys.readouterr().out == ""
    glue("ch00_shown", 2.5, display=True)
    assert "2.5" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ml4phys.setup(3, plot_style="no"), TypeError, "plot_style"),
        (
            lambda: ml4phys.setup(3, n_threads=0, plot_style=False),
            ValueError,
            "n_threads",
        ),
        (lambda: seed_everything(2**70), ValueError, "seed"),
        (lambda: get_device("no"), TypeError, "prefer_gpu"),
        (lambda: ml4phys.glue("x", 1.0, display="yes"), TypeError, "display"),
    ],
    ids=[
        "plot-style-str",
        "n-threads-zero",
        "seed-too-large",
        "prefer-gpu-str",
        "display-str",
    ],
)
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_argument_to_setup_leaves_the_generators_alone():
    with torch.random.fork_rng():
        torch.manual_seed(11)
        expected = torch.rand(2)
        torch.manual_seed(11)
        with pytest.raises(ValueError, match="n_threads"):
            ml4phys.setup(3, n_threads=0, plot_style=False)
        assert torch.equal(torch.rand(2), expected)


def test_get_device_with_a_bad_override_names_the_variable(monkeypatch):
    monkeypatch.setenv("ML4PHYS_DEVICE", "nope")
    with pytest.raises(ValueError, match="ML4PHYS_DEVICE"):
        get_device()
