"""Tests of ml4phys.rl.tictactoe: the rules, the minimax player and the game-tree counts."""

import itertools

import numpy as np
import pytest

from ml4phys.rl import tictactoe as ttt


def test_game_tree_counts_are_the_known_numbers():
    assert ttt.count_games() == {
        "games": 255168,
        "x_wins": 131184,
        "o_wins": 77904,
        "draws": 46080,
    }


def test_positions_and_game_value():
    positions = ttt.reachable_positions()
    assert len(positions) == 5478
    assert sum(ttt.is_terminal(b) for b in positions) == 958
    assert ttt.minimax_value(ttt.EMPTY) == 0  # a draw under perfect play


def _exhaustive(board):
    """Plain minimax without memoisation, for a reference."""
    if ttt.is_terminal(board):
        return ttt.winner(board) * ttt.to_play(board)
    return max(-_exhaustive(ttt.play(board, m)) for m in ttt.legal_moves(board))


def test_minimax_matches_exhaustive_search():
    rng = np.random.default_rng(0)
    positions = [b for b in ttt.reachable_positions() if b.count(0) <= 6]
    for i in rng.choice(len(positions), 300, replace=False):
        assert ttt.minimax_value(positions[i]) == _exhaustive(positions[i])


def test_minimax_never_loses_against_random_play():
    rng = np.random.default_rng(1)
    for _ in range(200):
        result, _ = ttt.play_game(ttt.minimax_player, ttt.random_player, rng)
        assert result >= 0
        result, _ = ttt.play_game(ttt.random_player, ttt.minimax_player, rng)
        assert result <= 0


def test_minimax_against_itself_draws():
    rng = np.random.default_rng(2)
    for _ in range(20):
        result, boards = ttt.play_game(ttt.minimax_player, ttt.minimax_player, rng)
        assert result == 0 and len(boards) == 10


def test_rules():
    board = ttt.EMPTY
    for move in (0, 3, 1, 4, 2):
        board = ttt.play(board, move)
    assert ttt.winner(board) == 1 and ttt.is_terminal(board)
    assert ttt.legal_moves(board) == []
    with pytest.raises(ValueError):
        ttt.play(board, 8)
    assert ttt.minimax_moves((1, 1, 0, -1, -1, 0, 0, 0, 0)) == [2]
    f = ttt.features((1, 0, 0, 0, -1, 0, 0, 0, 1))
    assert f.shape == (27,) and f.sum() == 9
    assert f[4] == 1 and f[9] == 1  # O to move: its own mark first


@pytest.mark.parametrize(
    "board, error",
    [
        ("x" * 9, TypeError),
        (None, TypeError),
        ((0,) * 8, ValueError),
        ((2,) + (0,) * 8, ValueError),
        ((-1,) + (0,) * 8, ValueError),
        ((1, 1) + (0,) * 7, ValueError),
        ((0.5,) + (0,) * 8, TypeError),
        ((True,) + (0,) * 8, TypeError),
    ],
)
def test_bad_boards(board, error):
    with pytest.raises(error):
        ttt.minimax_value(board)


def test_bad_players():
    with pytest.raises(TypeError):
        ttt.play_game("nope", ttt.random_player, np.random.default_rng(0))
    with pytest.raises(TypeError):
        ttt.play_game(ttt.random_player, ttt.random_player, 0)


def test_all_lines_are_wins():
    for line in ttt.LINES:
        board = tuple(1 if i in line else 0 for i in range(9))
        assert ttt.winner(board) == 1
    assert len(set(itertools.chain(*ttt.LINES))) == 9
