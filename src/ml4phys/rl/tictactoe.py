"""Tic-tac-toe: the rules, an exact minimax player, and the counts of its game tree.

A position (a *board*) is a tuple of nine ints in ``{0, 1, -1}``: ``0`` an empty cell, ``1`` a
cross (X), ``-1`` a nought (O); the cells are numbered row by row, ``0`` to ``8``. X moves
first, so X is to move when both have played equally often. A game ends when one player has
three in a line (row, column or diagonal) or the board is full.

:func:`minimax_value` solves the game by negamax over the whole tree, with memoisation (there
are only 5478 positions reachable from the empty board, against 255168 games). The class
:class:`TicTacToe` is the interface that :mod:`ml4phys.rl.mcts` searches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ml4phys._validation import check_callable, check_rng

__all__ = [
    "EMPTY",
    "LINES",
    "TicTacToe",
    "check_board",
    "count_games",
    "features",
    "is_terminal",
    "legal_moves",
    "minimax_moves",
    "minimax_player",
    "minimax_value",
    "play",
    "play_game",
    "random_player",
    "reachable_positions",
    "to_play",
    "winner",
]

Board = tuple[int, ...]

EMPTY: Board = (0,) * 9
"""The empty board."""

LINES = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),
    (0, 4, 8),
    (2, 4, 6),
)
"""The eight lines of three cells: rows, columns, diagonals."""


def check_board(board: Any) -> Board:
    """Return ``board`` as a tuple of nine ints after checking it is a position of the game.

    Raises:
        TypeError: when ``board`` is not a sequence of ints.
        ValueError: when it does not have nine cells in ``{0, 1, -1}``, or the counts of X
            and O cannot occur in a game (X moves first).
    """
    if isinstance(board, (str, bytes)) or not isinstance(board, (Sequence, np.ndarray)):
        raise TypeError(
            f"board must be a sequence of nine ints, got {type(board).__name__}"
        )
    cells = tuple(board)
    if len(cells) != 9:
        raise ValueError(f"board must have 9 cells, got {len(cells)}")
    if any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) for c in cells):
        raise TypeError("board cells must be ints (0 empty, 1 X, -1 O)")
    cells = tuple(int(c) for c in cells)
    if any(c not in (0, 1, -1) for c in cells):
        raise ValueError(f"board cells must be 0, 1 or -1, got {cells}")
    if cells.count(1) - cells.count(-1) not in (0, 1):
        raise ValueError(
            f"board has {cells.count(1)} X and {cells.count(-1)} O: X moves first, so "
            "there must be as many X as O, or one more"
        )
    return cells


def to_play(board: Board) -> int:
    """The player to move: ``1`` (X) or ``-1`` (O)."""
    return 1 if board.count(1) == board.count(-1) else -1


def winner(board: Board) -> int:
    """``1`` if X has three in a line, ``-1`` if O has, ``0`` otherwise."""
    for a, b, c in LINES:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return board[a]
    return 0


def is_terminal(board: Board) -> bool:
    """Whether the game is over (a line of three, or a full board)."""
    return winner(board) != 0 or 0 not in board


def legal_moves(board: Board) -> list[int]:
    """The empty cells, or ``[]`` when the game is over."""
    if winner(board) != 0:
        return []
    return [i for i, c in enumerate(board) if c == 0]


def play(board: Board, move: int) -> Board:
    """The board after the player to move puts a mark on cell ``move``."""
    if board[move] != 0 or winner(board) != 0:
        raise ValueError(f"move {move} is not legal on {board}")
    cells = list(board)
    cells[move] = to_play(board)
    return tuple(cells)


@functools.cache
def _negamax(board: Board) -> int:
    """The game value for the player to move: 1 win, 0 draw, -1 loss (perfect play)."""
    w = winner(board)
    if w != 0:
        return w * to_play(board)  # the player who just moved won: -1 for the mover
    moves = [i for i, c in enumerate(board) if c == 0]
    if not moves:
        return 0
    return max(-_negamax(play(board, m)) for m in moves)


def minimax_value(board: Sequence[int]) -> int:
    """The value of a position for the player to move under perfect play of both sides.

    Args:
        board: nine cells in ``{0, 1, -1}``.

    Returns:
        ``1`` (the player to move wins), ``0`` (draw) or ``-1`` (loses).
    """
    return _negamax(check_board(board))


def minimax_moves(board: Sequence[int]) -> list[int]:
    """All optimal moves of the player to move (those that keep the game value).

    Args:
        board: a position that is not over.

    Returns:
        The cells, in increasing order.
    """
    board = check_board(board)
    moves = legal_moves(board)
    if not moves:
        raise ValueError("the game is over: there is no move")
    values = {m: -_negamax(play(board, m)) for m in moves}
    best = max(values.values())
    return [m for m in moves if values[m] == best]


def minimax_player(board: Board, rng: np.random.Generator) -> int:
    """A perfect player: one of the optimal moves, drawn uniformly with ``rng``."""
    moves = minimax_moves(board)
    return int(moves[rng.integers(len(moves))])


def random_player(board: Board, rng: np.random.Generator) -> int:
    """A uniformly random legal move."""
    moves = legal_moves(board)
    return int(moves[rng.integers(len(moves))])


Player = Callable[[Board, np.random.Generator], int]


def play_game(
    player_x: Player, player_o: Player, rng: np.random.Generator
) -> tuple[int, list[Board]]:
    """Play one game from the empty board.

    Args:
        player_x, player_o: functions ``(board, rng) -> cell``.
        rng: the generator both players draw from.

    Returns:
        ``(result, boards)``: ``1`` if X won, ``-1`` if O won, ``0`` for a draw, and the
        boards from the empty one to the last.
    """
    check_callable(player_x, "player_x")
    check_callable(player_o, "player_o")
    rng = check_rng(rng)
    board, boards = EMPTY, [EMPTY]
    while not is_terminal(board):
        player = player_x if to_play(board) == 1 else player_o
        board = play(board, int(player(board, rng)))
        boards.append(board)
    return winner(board), boards


def count_games() -> dict[str, int]:
    """Count the complete games of tic-tac-toe by walking the whole game tree.

    A game is a sequence of moves from the empty board to a terminal position; games that
    reach the same position by other move orders count separately.

    Returns:
        ``{"games", "x_wins", "o_wins", "draws"}``.
    """

    @functools.cache
    def counts(board: Board) -> tuple[int, int, int]:
        w = winner(board)
        if w != 0 or 0 not in board:
            return (int(w == 1), int(w == -1), int(w == 0))
        total = [0, 0, 0]
        for m in legal_moves(board):
            for k, n in enumerate(counts(play(board, m))):
                total[k] += n
        return tuple(total)

    x, o, d = counts(EMPTY)
    return {"games": x + o + d, "x_wins": x, "o_wins": o, "draws": d}


def reachable_positions() -> list[Board]:
    """Every position reachable from the empty board (terminal ones included), sorted."""
    seen = {EMPTY}
    frontier = [EMPTY]
    while frontier:
        board = frontier.pop()
        for m in legal_moves(board):
            nxt = play(board, m)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return sorted(seen)


def features(board: Sequence[int]) -> np.ndarray:
    """The board seen by the player to move, for a network: shape ``(27,)``, float32.

    Three one-hot planes of nine cells: the mover's marks, the opponent's marks, empty.
    """
    board = check_board(board)
    mine = np.asarray(board) * to_play(board)
    return np.concatenate([mine == 1, mine == -1, mine == 0]).astype(np.float32)


class TicTacToe:
    """The game as :mod:`ml4phys.rl.mcts` searches it (states are boards).

    Values are seen by the player to move in a state, as negamax sees them.
    """

    n_actions = 9

    def initial_state(self) -> Board:
        """The empty board."""
        return EMPTY

    def legal_actions(self, state: Board) -> list[int]:
        """The empty cells of a game not yet over."""
        return legal_moves(state)

    def next_state(self, state: Board, action: int) -> Board:
        """The board after the player to move plays ``action``."""
        return play(state, action)

    def is_terminal(self, state: Board) -> bool:
        """Whether the game is over."""
        return is_terminal(state)

    def terminal_value(self, state: Board) -> float:
        """The result of a finished game for the player to move: ``-1`` lost, ``0`` draw."""
        return float(winner(state) * to_play(state))
