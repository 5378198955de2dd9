"""The machinery shared by all exercise self-checks: one contract for every chapter.

A check either prints a short confirmation and returns ``True``, or raises
:class:`CheckFailed` with a message that says *what* is wrong (a shape, a value at one input,
a tolerance missed) without revealing the answer. A stub that still raises
``NotImplementedError`` is let through unchanged, so the student sees which exercise is open.

Every check calls the student's code only through :func:`call_student`, which turns a wrong
signature, a wrong return type or an exception raised inside the student's code into a
:class:`CheckFailed` that says what was expected and what happened. The other helpers convert
answers (:func:`as_numpy`, :func:`as_tensor`), count parameters (:func:`n_parameters`), keep
the check's own random numbers away from the student's global generators
(:func:`isolated_rng`), and compare answers that are stored only as salted hashes
(:func:`digest`, :func:`unmask_floats`).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import random
import struct
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch

__all__ = [
    "evaluating",
    "CheckFailed",
    "as_number",
    "as_numpy",
    "as_tensor",
    "call_student",
    "digest",
    "isolated_rng",
    "n_parameters",
    "passed",
    "require",
    "unmask_floats",
]


class CheckFailed(AssertionError):
    """Raised by a self-check when the answer is not right yet."""


def passed(message: str) -> bool:
    """Report a passed check and return ``True``.

    Args:
        message: what was checked, for example ``"Exercise 1.1: XOR network"``.
    """
    print(f"\u2705 Correct. {message}")
    return True


def require(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds.

    Args:
        condition: the property the answer must have.
        message: what is wrong when it does not hold; it must not give the answer away.
    """
    if not condition:
        raise CheckFailed(f"\u274c Not yet. {message}")


def _fail(message: str) -> None:
    raise CheckFailed(f"\u274c Not yet. {message}")


def _prefix(exercise: str | None) -> str:
    return f"{exercise}: " if exercise else ""


def _describe(types: type | tuple[type, ...]) -> str:
    """``(np.ndarray, torch.Tensor)`` -> ``"a ndarray or a Tensor"``, for messages."""
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(f"a {t.__name__}" for t in types)


def call_student(
    fn: Any,
    *args: Any,
    name: str,
    expects: type | tuple[type, ...] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    exercise: str | None = None,
    hint: Callable[[Exception], str] | None = None,
) -> Any:
    """Call the student's ``fn(*args, **kwargs)`` and return what it returns.

    Whatever goes wrong becomes a :class:`CheckFailed` that says what was expected and what
    happened, never a raw traceback: ``fn`` is not callable; it cannot be called with these
    arguments (checked with ``inspect.signature(fn).bind`` before the call); it raises (the
    message gives the exception's type and text); it returns something that is not an
    instance of ``expects``. A ``NotImplementedError`` (a stub) and a :class:`CheckFailed`
    raised inside ``fn`` propagate unchanged.

    Args:
        fn: the student's function, class or model.
        *args: positional arguments for the call.
        name: the call as the messages show it, e.g. ``"roughness(image)"``.
        expects: the type (or tuple of types) the result must have; ``None`` for any.
        kwargs: keyword arguments for the call.
        exercise: prefix of the messages, e.g. ``"Exercise 4.1"``.
        hint: maps the exception raised inside ``fn`` to extra advice for the message.

    Returns:
        The result of the call.
    """
    kwargs = dict(kwargs or {})
    short = name.split("(")[0]
    where = _prefix(exercise)
    if not callable(fn):
        _fail(
            f"{where}{short} must be a function (callable as {name}); got a {type(fn).__name__}."
        )
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature: just call them
        signature = None
    if signature is not None:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as err:
            _fail(
                f"{where}{short} must be callable as {name}, but its signature is {short}{signature}: {err}."
            )
    try:
        result = fn(*args, **kwargs)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as err:
        extra = hint(err) if hint is not None else ""
        _fail(
            f"{where}{name} raised {type(err).__name__}: {err}.{extra} It must run without errors "
            "on the check's inputs; call it yourself on such inputs to see where it fails."
        )
    if expects is not None and not isinstance(result, expects):
        _fail(
            f"{where}{name} must return {_describe(expects)}; it returned a {type(result).__name__}."
        )
    return result


def as_numpy(value: Any, name: str, dtype: Any = np.float64) -> np.ndarray:
    """A student's array, tensor, list or number as a NumPy array.

    Args:
        value: what the student's code returned.
        name: what it is, for the message, e.g. ``"the output of roughness"``.
        dtype: the dtype to convert to; ``None`` keeps NumPy's choice (it must be numeric or
            boolean).

    Returns:
        The array (a tensor is detached and moved to the CPU first).

    Raises:
        CheckFailed: when ``value`` is not an array of numbers.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        _fail(
            f"{name} must be an array or a tensor of numbers; got a {type(value).__name__}."
        )
    try:
        array = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        _fail(
            f"{name} must be an array or a tensor of numbers; got a {type(value).__name__} ({err})."
        )
    if array.dtype.kind not in "biufc":
        _fail(
            f"{name} must be an array or a tensor of numbers; got a {type(value).__name__}."
        )
    return array


def as_number(value: Any, name: str, finite: bool = True) -> float:
    """A student's single number (a float, a NumPy scalar, a one-element array or tensor).

    Args:
        value: what the student's code returned.
        name: what it is, for the message.
        finite: refuse NaN and infinity; a check whose exercise has a typical way of
            producing them passes ``False`` and says what went wrong itself.

    Returns:
        The number as a Python float.

    Raises:
        CheckFailed: when ``value`` is a bool, not a number, holds more than one number, or
            (with ``finite``) is NaN or infinite.
    """
    require(not isinstance(value, bool), f"{name} must be a number, got a bool.")
    array = as_numpy(value, name)
    require(
        array.size == 1,
        f"{name} must be one number, got an array of shape {array.shape}.",
    )
    number = float(array.reshape(()))
    if finite:
        require(np.isfinite(number), f"{name} must be a finite number, got {number}.")
    return number


def as_tensor(value: Any, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A student's tensor, array, list or number as a detached torch tensor.

    Args:
        value: what the student's code returned.
        name: what it is, for the message.
        dtype: the dtype to convert to; ``None`` keeps the dtype.

    Returns:
        The tensor, detached from any graph.

    Raises:
        CheckFailed: when ``value`` is not a tensor or array of numbers.
    """
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        tensor = torch.as_tensor(as_numpy(value, name, dtype=None))
    return tensor if dtype is None else tensor.to(dtype)


def n_parameters(model: Any, trainable_only: bool = True, name: str = "model") -> int:
    """The number of (trainable) parameters of a torch module.

    Args:
        model: the student's network.
        trainable_only: count only the parameters with ``requires_grad``.
        name: what the model is called in the message.

    Raises:
        CheckFailed: when ``model`` is not a ``torch.nn.Module``.
    """
    require(
        isinstance(model, torch.nn.Module),
        f"{name} must be a torch.nn.Module; got a {type(model).__name__}.",
    )
    return sum(
        p.numel() for p in model.parameters() if p.requires_grad or not trainable_only
    )


@contextlib.contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Run a student's model in eval mode and without gradients; restore its mode after.

    A check evaluates the model as it will be used (dropout off, batch-norm statistics
    fixed) and leaves it in the train/eval mode the student had, even when the call fails.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def isolated_rng(seed: int | None = None) -> Iterator[np.random.Generator]:
    """Run a block with its own random numbers; the student's global generators stay untouched.

    Inside the block PyTorch's global generator is seeded with ``seed`` (within
    ``torch.random.fork_rng()``, so its state is restored afterwards), and NumPy's and Python's
    global states are restored too. The block gets a local ``np.random.Generator`` seeded with
    ``seed``.

    Args:
        seed: seed of the block's generators; ``None`` leaves PyTorch's global state as it is
            (restored afterwards) and gives a generator seeded from fresh entropy.

    Yields:
        ``np.random.default_rng(seed)``.
    """
    numpy_state = np.random.get_state()  # noqa: NPY002 (the student's legacy global state)
    python_state = random.getstate()
    with torch.random.fork_rng():
        if seed is not None:
            torch.manual_seed(seed)
        try:
            yield np.random.default_rng(seed)
        finally:
            np.random.set_state(numpy_state)  # noqa: NPY002
            random.setstate(python_state)


def digest(answer: Any, salt: str) -> str:
    """SHA-256 of an answer with a salt, so that a check can store the answer's hash only.

    Args:
        answer: anything with a stable ``repr`` (a bool, an int, a tuple of ints, a rounded
            float).
        salt: a string particular to the question.

    Returns:
        The hexadecimal digest of ``f"{salt}:{answer!r}"``.
    """
    return hashlib.sha256(f"{salt}:{answer!r}".encode()).hexdigest()


def unmask_floats(masked: str, salt: str) -> tuple[float, ...]:
    """Floats stored XOR-masked with a salt-derived key, so that they do not appear as literals.

    Args:
        masked: hexadecimal string of ``8 * n`` bytes (see :func:`_mask_floats`).
        salt: the salt they were masked with.

    Returns:
        The ``n`` floats.
    """
    data = bytes.fromhex(masked)
    key = hashlib.sha256(salt.encode()).digest()
    key = (key * (len(data) // len(key) + 1))[: len(data)]
    raw = bytes(a ^ b for a, b in zip(data, key))
    return struct.unpack(f"<{len(raw) // 8}d", raw)


def _mask_floats(values: tuple[float, ...], salt: str) -> str:
    """The inverse of :func:`unmask_floats`, for whoever writes a check."""
    raw = struct.pack(f"<{len(values)}d", *values)
    key = hashlib.sha256(salt.encode()).digest()
    key = (key * (len(raw) // len(key) + 1))[: len(raw)]
    return bytes(a ^ b for a, b in zip(raw, key)).hex()
