"""Environments of Part IV, each a ``gymnasium.Env`` subclass.

Importing this package needs gymnasium, an optional dependency of ml4phys.
"""

try:
    import gymnasium  # noqa: F401
except (
    ImportError
) as err:  # pragma: no cover - exercised by a test that hides gymnasium
    raise ImportError(
        "ml4phys.rl.envs needs gymnasium, which is not installed. "
        'Install it with: pip install "ml4phys[rl]"  (or: pip install "gymnasium[classic-control]")'
    ) from err

__all__: list[str] = []
