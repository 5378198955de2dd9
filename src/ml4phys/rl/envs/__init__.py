"""Environments of Part IV, each a ``gymnasium.Env`` subclass.

Every class is available here directly (``ml4phys.rl.envs.TreasureMaze``) and is imported on
first use. Each passes ``gymnasium.utils.env_checker.check_env`` and a seeded determinism test
(``tests/rl/``).
"""

try:
    import gymnasium  # noqa: F401
except (
    ImportError
) as err:  # pragma: no cover - exercised by a test that hides gymnasium
    raise ImportError(
        "ml4phys.rl.envs needs gymnasium, which is not installed. "
        'Install it with: pip install "gymnasium>=1.0"  (or reinstall ml4phys, which '
        "depends on it)"
    ) from err

from ml4phys._lazy import attach

# module -> the environment classes it defines (one line per class).
_NAMES: dict[str, list[str]] = {
    "random_walk": ["RandomWalk"],
    "treasure_maze": ["TreasureMaze"],
    "spin_chain": ["SpinChain", "DiscreteObservation", "Curriculum"],
    "qubit_control": ["QubitControl"],
    "bit_flip_code": ["BitFlipCode"],
}

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=list(_NAMES),
    names={name: module for module, names in _NAMES.items() for name in names},
)
