"""The machinery shared by all exercise self-checks.

A check either prints a short confirmation and returns ``True``, or raises
:class:`CheckFailed` with a message that says *what* is wrong (a shape, a value at one input,
a tolerance missed) without revealing the answer. A stub that still raises
``NotImplementedError`` is let through unchanged, so the student sees which exercise is open.
"""

from __future__ import annotations

__all__ = ["CheckFailed", "passed", "require"]


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
