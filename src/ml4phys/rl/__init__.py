"""Reinforcement learning (Part IV).

* :mod:`ml4phys.rl.envs`: environments, each a ``gymnasium.Env`` subclass;
* :mod:`ml4phys.rl.q_learning`: tabular Q-learning with epsilon-greedy exploration;
* :mod:`ml4phys.rl.tabular`: policy evaluation, value iteration and the finite-horizon
  optimum of finite MDPs;
* :mod:`ml4phys.rl.policy_gradient`: tabular softmax REINFORCE with and without a baseline;
* :mod:`ml4phys.rl.mcts`: Monte Carlo tree search, UCT and PUCT, for two-player games;
* :mod:`ml4phys.rl.tictactoe`: tic-tac-toe, its exact minimax player and game-tree counts;
* :mod:`ml4phys.rl.trpo`: trust region policy optimisation (Fisher-vector products,
  conjugate gradient, the KL-bounded line search) for discrete actions;
* :mod:`ml4phys.rl.sac`: soft actor-critic for continuous actions (squashed Gaussian
  policy, twin critics, Polyak targets, tuned temperature);
* :mod:`ml4phys.rl.networks`: the small MLP and convolutional actor-critics of chapter 16,
  weight initialisation from a generator, and the evaluation of a policy over seeded
  episodes;
* :mod:`ml4phys.rl.buffers`: the replay buffer of DQN and SAC and the vectorised on-policy
  rollouts of A2C and PPO;
* :mod:`ml4phys.rl.dqn`: deep Q-network with replay, target network and double-DQN switch;
* :mod:`ml4phys.rl.a2c`: advantage actor-critic and generalised advantage estimation;
* :mod:`ml4phys.rl.ppo`: PPO-clip, each of its parts a switch of the config;
* :mod:`ml4phys.rl.recorded`: results of runs too long for a notebook, recorded by
  ``benchmarks/rl/`` and shipped with the package;

Conventions (see CONTRIBUTING.md): an agent is one readable file with a ``@dataclass`` config
whose fields carry a docstring each and the paper's names (``gamma``, ``gae_lambda``,
``clip_coef``, ``tau``), and one ``update`` function the chapter shows with
``literalinclude``; an environment passes ``gymnasium.utils.env_checker.check_env`` and a
seeded determinism test.
"""

from ml4phys._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "envs",
        "recorded",
        "q_learning",
        "tabular",
        "policy_gradient",
        "mcts",
        "tictactoe",
        "trpo",
        "sac",
        "networks",
        "buffers",
        "dqn",
        "a2c",
        "ppo",
    ],
)
