"""Tests of ml4phys.rl.mcts: UCT and PUCT against exact minimax on tic-tac-toe."""

import math

import numpy as np
import pytest

from ml4phys.rl import mcts
from ml4phys.rl import tictactoe as ttt

GAME = ttt.TicTacToe()


def _uniform(state):
    return np.full(9, 1 / 9), 0.0


def _exact(state):
    """A perfect prior: uniform over the minimax moves, and the minimax value."""
    p = np.zeros(9)
    p[ttt.minimax_moves(state)] = 1.0
    return p / p.sum(), float(ttt.minimax_value(state))


def test_uct_finds_the_winning_move_and_the_block():
    rng = np.random.default_rng(0)
    win = (1, 1, 0, -1, -1, 0, 0, 0, 0)  # X to move wins at 2
    visits, _ = mcts.search(GAME, win, mcts.MCTSConfig(n_simulations=200), rng)
    assert mcts.best_action(visits, rng) == 2
    block = (1, 1, 0, -1, 0, 0, 0, 0, 0)  # O to move must block at 2
    visits, _ = mcts.search(GAME, block, mcts.MCTSConfig(n_simulations=400), rng)
    assert mcts.best_action(visits, rng) == 2


def test_root_q_converges_to_the_minimax_value():
    rng = np.random.default_rng(1)
    position = (1, 0, 0, 0, -1, 0, 0, 0, 0)
    _, root = mcts.search(GAME, position, mcts.MCTSConfig(n_simulations=3000), rng)
    best = max(root.children.values(), key=lambda c: c.visits)
    assert abs(best.q - ttt.minimax_value(position)) < 0.2


def test_visit_counts_add_up():
    rng = np.random.default_rng(2)
    for rule, evaluate in (("uct", None), ("puct", _uniform)):
        config = mcts.MCTSConfig(n_simulations=50, rule=rule)
        visits, root = mcts.search(GAME, ttt.EMPTY, config, rng, evaluate)
        assert root.visits == 50
        assert visits.sum() == 50 - (
            rule == "puct"
        )  # PUCT's first visit expands the root


def test_backup_signs_on_a_terminal_child():
    """After X plays the winning move, its child stores +1 for X (the mover)."""
    rng = np.random.default_rng(3)
    win = (1, 1, 0, -1, -1, 0, 0, 0, 0)
    _, root = mcts.search(GAME, win, mcts.MCTSConfig(n_simulations=100), rng)
    assert root.children[2].q == 1.0


def test_puct_with_an_exact_prior_plays_perfectly():
    rng = np.random.default_rng(4)
    config = mcts.MCTSConfig(n_simulations=20, rule="puct")

    def player(board, r):
        visits, _ = mcts.search(GAME, board, config, r, _exact)
        return mcts.best_action(visits, r)

    for _ in range(10):
        assert ttt.play_game(player, ttt.minimax_player, rng)[0] == 0
        assert ttt.play_game(ttt.minimax_player, player, rng)[0] == 0


def test_rollout_and_scores():
    rng = np.random.default_rng(5)
    won_by_x = (1, 1, 1, -1, -1, 0, 0, 0, 0)
    assert mcts.rollout(GAME, won_by_x, rng) == -1.0  # O to move has lost
    # the mean of rollouts from the empty board: X wins more often than O
    values = [mcts.rollout(GAME, ttt.EMPTY, rng) for _ in range(2000)]
    counts = ttt.count_games()
    assert np.mean(values) > 0 and counts["x_wins"] > counts["o_wins"]
    parent, child = mcts.Node(ttt.EMPTY, GAME), mcts.Node(ttt.play(ttt.EMPTY, 4), GAME)
    parent.visits, child.visits, child.value_sum, child.prior = 10, 2, 1.0, 0.5
    assert mcts.uct_score(parent, child, 2.0) == pytest.approx(
        0.5 + 2 * math.sqrt(math.log(10) / 2)
    )
    assert mcts.puct_score(parent, child, 2.0) == pytest.approx(
        0.5 + 2 * 0.5 * math.sqrt(10) / 3
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_simulations": 0},
        {"n_simulations": 2.5},
        {"rule": "ucb"},
        {"c_uct": -1.0},
        {"c_puct": float("nan")},
    ],
)
def test_bad_config(kwargs):
    with pytest.raises((TypeError, ValueError)):
        mcts.MCTSConfig(**kwargs)


def test_bad_search_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError):
        mcts.search(GAME, ttt.EMPTY, {"n_simulations": 5}, rng)
    with pytest.raises(TypeError):
        mcts.search(GAME, ttt.EMPTY, mcts.MCTSConfig(rule="puct"), rng)
    with pytest.raises(TypeError):
        mcts.search(GAME, ttt.EMPTY, mcts.MCTSConfig(), 0)
    with pytest.raises(ValueError):
        mcts.search(GAME, (1, 1, 1, -1, -1, 0, 0, 0, 0), mcts.MCTSConfig(), rng)
