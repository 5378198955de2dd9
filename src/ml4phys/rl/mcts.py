"""Monte Carlo tree search for two-player, zero-sum, alternating games: UCT and PUCT.

A search grows a tree of positions from the current one. Each *simulation* walks down the tree
choosing children by a score (selection), adds new nodes at the bottom (expansion), estimates
the value of the leaf it reached (evaluation) and adds that value to the statistics of every
node on the path (backup). After ``n_simulations`` simulations the move played is the most
visited child of the root.

* **UCT** (Kocsis and Szepesvari, 2006) scores a child by its mean value plus the UCB1 bonus
  ``c_uct * sqrt(ln N / n)``, expands one untried move at a time, and evaluates a leaf by a
  random playout to the end of the game.
* **PUCT** (as in AlphaGo Zero and AlphaZero, Silver et al. 2017-2018) takes a prior
  ``evaluate(state) -> (p, v)``, a probability for every move and a value of the position, for
  example from a network. It scores ``Q + c_puct * P * sqrt(N) / (1 + n)``, expands every move
  of a leaf at once with its prior, and uses ``v`` instead of a playout.

Values are seen by the player to move (negamax): a node stores the values of the player who
moved *into* it, so a parent picks the child with the highest score, and the sign flips at
every level of the backup. The game is any object with ``n_actions``,
``legal_actions(state)``, ``next_state(state, action)``, ``is_terminal(state)`` and
``terminal_value(state)`` (see :class:`ml4phys.rl.tictactoe.TicTacToe`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml4phys._validation import check_int, check_nonnegative, check_rng

__all__ = [
    "MCTSConfig",
    "best_action",
    "Node",
    "puct_score",
    "rollout",
    "search",
    "simulate",
    "uct_score",
]

Evaluate = Callable[[Any], tuple[np.ndarray, float]]


@dataclass
class MCTSConfig:
    """Settings of a search."""

    n_simulations: int = 100
    """Simulations (selection, expansion, evaluation, backup) per move."""
    rule: str = "uct"
    """``"uct"`` (random playouts) or ``"puct"`` (a prior and a value, no playouts)."""
    c_uct: float = math.sqrt(2.0)
    """Exploration constant of UCB1, ``sqrt(2)`` for rewards in ``[0, 1]`` in the theory."""
    c_puct: float = 1.5
    """Exploration constant of PUCT, multiplying ``P * sqrt(N) / (1 + n)``."""

    def __post_init__(self) -> None:
        self.n_simulations = check_int(self.n_simulations, "n_simulations")
        if self.rule not in ("uct", "puct"):
            raise ValueError(f"rule must be 'uct' or 'puct', got {self.rule!r}")
        self.c_uct = check_nonnegative(self.c_uct, "c_uct")
        self.c_puct = check_nonnegative(self.c_puct, "c_puct")


class Node:
    """A position in the search tree and the statistics of the move that led to it."""

    __slots__ = (
        "state",
        "terminal",
        "prior",
        "visits",
        "value_sum",
        "children",
        "untried",
    )

    def __init__(self, state: Any, game: Any, prior: float = 1.0) -> None:
        self.state = state
        self.terminal = game.is_terminal(state)
        self.prior = prior
        self.visits = 0
        self.value_sum = 0.0  # values seen by the player who moved into this node
        self.children: dict[int, Node] = {}
        self.untried = [] if self.terminal else list(game.legal_actions(state))

    @property
    def q(self) -> float:
        """Mean value of the node for the player who moved into it (0 before any visit)."""
        return self.value_sum / self.visits if self.visits else 0.0


def uct_score(parent: Node, child: Node, c_uct: float) -> float:
    """UCB1: the child's mean value plus ``c_uct * sqrt(ln N_parent / n_child)``."""
    return child.q + c_uct * math.sqrt(math.log(parent.visits) / child.visits)


def puct_score(parent: Node, child: Node, c_puct: float) -> float:
    """PUCT: ``Q + c_puct * P * sqrt(N_parent) / (1 + n_child)``."""
    return child.q + c_puct * child.prior * math.sqrt(parent.visits) / (
        1 + child.visits
    )


def rollout(game: Any, state: Any, rng: np.random.Generator) -> float:
    """Play uniformly random moves to the end; the result for the player to move at ``state``."""
    sign = 1.0
    while not game.is_terminal(state):
        actions = game.legal_actions(state)
        state = game.next_state(state, actions[rng.integers(len(actions))])
        sign = -sign
    return sign * game.terminal_value(state)


def simulate(
    root: Node,
    game: Any,
    config: MCTSConfig,
    rng: np.random.Generator,
    evaluate: Evaluate | None = None,
) -> None:
    """One simulation: selection, expansion, evaluation and backup."""
    score = uct_score if config.rule == "uct" else puct_score
    c = config.c_uct if config.rule == "uct" else config.c_puct
    node, path = root, [root]
    # 1. selection: go down through fully expanded nodes by the highest score
    while not node.terminal and not node.untried:
        parent = node
        node = max(parent.children.values(), key=lambda child: score(parent, child, c))
        path.append(node)
    # 2. expansion and 3. evaluation; `value` is seen by the player to move at path[-1]
    if node.terminal:
        value = game.terminal_value(node.state)
    elif config.rule == "uct":  # one new child, valued by a random playout
        action = node.untried.pop(rng.integers(len(node.untried)))
        child = Node(game.next_state(node.state, action), game)
        node.children[action] = child
        path.append(child)
        value = rollout(game, child.state, rng)
    else:  # every child at once, with its prior; the value of the leaf from `evaluate`
        priors, value = evaluate(node.state)
        for action in node.untried:
            node.children[action] = Node(
                game.next_state(node.state, action), game, priors[action]
            )
        node.untried = []
    # 4. backup: each node stores the value of the player who moved into it
    for visited in reversed(path):
        value = -value
        visited.visits += 1
        visited.value_sum += value


def search(
    game: Any,
    state: Any,
    config: MCTSConfig,
    rng: np.random.Generator,
    evaluate: Evaluate | None = None,
) -> tuple[np.ndarray, Node]:
    """Run ``config.n_simulations`` simulations from ``state``.

    Args:
        game: the rules (see the module docstring).
        state: a position that is not over.
        config: the settings; ``rule="puct"`` needs ``evaluate``.
        rng: the generator of the playouts and of the order of expansion.
        evaluate: ``state -> (priors, value)``: priors of shape ``(game.n_actions,)``
            (used at the legal moves), the value in ``[-1, 1]`` for the player to move.

    Returns:
        ``(visits, root)``: the visit count of every move, shape ``(game.n_actions,)``, and
        the root of the tree.
    """
    if not isinstance(config, MCTSConfig):
        raise TypeError(f"config must be an MCTSConfig, got {type(config).__name__}")
    rng = check_rng(rng)
    if config.rule == "puct" and not callable(evaluate):
        raise TypeError("rule='puct' needs evaluate(state) -> (priors, value)")
    root = Node(state, game)
    if root.terminal:
        raise ValueError("the game is over at this state: there is nothing to search")
    for _ in range(config.n_simulations):
        simulate(root, game, config, rng, evaluate)
    visits = np.zeros(game.n_actions, dtype=np.int64)
    for action, child in root.children.items():
        visits[action] = child.visits
    return visits, root


def best_action(visits: np.ndarray, rng: np.random.Generator) -> int:
    """The most visited move; ties broken uniformly with ``rng``."""
    best = np.flatnonzero(visits == visits.max())
    return int(best[rng.integers(len(best))])
