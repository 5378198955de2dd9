"""Tests of the self-check machinery shared by every chapter's checks."""

import pytest

from ml4phys.checks import CheckFailed, passed, require


def test_passed_prints_and_returns_true(capsys):
    assert passed("Exercise 0.1: nothing") is True
    assert "Correct. Exercise 0.1" in capsys.readouterr().out


def test_require_raises_check_failed_with_the_message():
    require(True, "never shown")
    with pytest.raises(CheckFailed, match="Not yet. the output has shape"):
        require(False, "the output has shape (3,), expected (3, 1)")
    assert issubclass(CheckFailed, AssertionError)
