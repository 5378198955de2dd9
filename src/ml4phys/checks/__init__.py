"""Self-checks for the exercise notebooks, one module per chapter (``ch01``, ``ch02``, ...).

Usage in a notebook::

    from ml4phys.checks import ch01
    ch01.check_xor_network(xor_net)
"""

from ml4phys.checks._core import CheckFailed, passed, require

__all__ = ["CheckFailed", "passed", "require"]
