"""Reinforcement learning (Part IV).

* :mod:`ml4phys.rl.envs`: environments, each a ``gymnasium.Env`` subclass;
* :mod:`ml4phys.rl.recorded`: results of runs too long for a notebook, recorded by
  ``benchmarks/rl/`` and shipped with the package;
* planned rooms: ``tabular`` (value iteration, tabular Q-learning and policy gradient),
  ``buffers`` (replay and rollout buffers), and one module per agent (``reinforce``, ``dqn``,
  ``a2c``, ``ppo``, ``sac``).

Conventions (see CONTRIBUTING.md): an agent is one readable file with a ``@dataclass`` config
whose fields carry a docstring each and the paper's names (``gamma``, ``gae_lambda``,
``clip_coef``, ``tau``), and one ``update`` function the chapter shows with
``literalinclude``; an environment passes ``gymnasium.utils.env_checker.check_env`` and a
seeded determinism test.
"""

from ml4phys._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, submodules=["envs", "recorded"])
