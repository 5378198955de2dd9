"""A maze with treasure chests and a fixed number of steps (chapters 15 and 16)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ml4phys._validation import check_bool, check_int

__all__ = ["TreasureMaze", "DEFAULT_LAYOUT"]

DEFAULT_LAYOUT = """\
###########
#.....#...#
#.###.#.#.#
#.#C..S.#.#
#.#####.#.#
#.....#.#.#
#.###.#.#.#
#...#.#C#.#
###.#.#CC.#
#.....#...#
###########"""
"""The default 11 x 11 maze: four chests. The nearest chest (3 steps from the start) lies
alone at the end of a dead end in the west; three lie together 5 to 7 steps away in the
south. In the default 10 steps, "nearest chest first" collects one chest, the optimum three."""

_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left
_MAX_CHESTS = 12


class TreasureMaze(gym.Env):
    """Collect treasure chests in a maze within a fixed number of steps.

    Description:
        A grid of walls (``#``) and floor (``.``); some floor cells hold a chest (``C``), one
        is the start (``S``). The agent walks one cell per step; a chest it steps on is
        collected and disappears. The state is the agent's cell together with the set of
        chests still in the maze, so the problem is a finite Markov decision process whose
        states can be enumerated (:meth:`transition_table`) and solved exactly.

    Action space:
        ``Discrete(4)``: 0 up, 1 right, 2 down, 3 left. A move into a wall (or off the grid)
        leaves the agent where it is.

    Observation space:
        ``observation="index"``: ``Discrete(n_states)``, the index of (cell, chests left),
        see :meth:`state_index` and :meth:`decode`. ``observation="grid"``:
        ``Box(0, 1, (3, H, W), float32)`` with the channels walls, chests left, agent.

    Rewards:
        +1 for each chest collected, 0 for every other step.

    Episode end:
        ``terminated`` when the last chest is collected; ``truncated`` after ``max_steps``
        steps.

    Args:
        layout: the maze as rows of ``#.CS`` characters (one ``S``, 1 to 12 chests), or
            None for :data:`DEFAULT_LAYOUT`.
        max_steps: number of steps of an episode.
        observation: ``"index"`` or ``"grid"``.
        random_start: start on a floor cell without a chest drawn uniformly (from
            ``self.np_random``) instead of on ``S``.
        render_mode: None or ``"rgb_array"`` (a small RGB image of the maze).

    ``reset(options={"start": (row, col)})`` starts one episode on a given floor cell without
    a chest (to evaluate a policy from every cell), whatever ``random_start`` says.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        layout: str | None = None,
        max_steps: int = 10,
        observation: str = "index",
        random_start: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.walls, self.chests, self.start = _parse(
            DEFAULT_LAYOUT if layout is None else layout
        )
        self.max_steps = check_int(max_steps, "max_steps")
        if observation not in ("index", "grid"):
            raise ValueError(
                f"observation must be 'index' or 'grid', got {observation!r}"
            )
        check_bool(random_start, "random_start")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(
                f"render_mode must be None or 'rgb_array', got {render_mode!r}"
            )
        self.observation, self.random_start, self.render_mode = (
            observation,
            bool(random_start),
            render_mode,
        )
        self.height, self.width = self.walls.shape
        self.floor = [tuple(int(i) for i in c) for c in np.argwhere(~self.walls)]
        self._cell_index = {cell: i for i, cell in enumerate(self.floor)}
        self.n_chests = len(self.chests)
        self.n_states = len(self.floor) * 2**self.n_chests
        self._full_mask = 2**self.n_chests - 1
        self.action_space = spaces.Discrete(4)
        if observation == "index":
            self.observation_space = spaces.Discrete(self.n_states)
        else:
            self.observation_space = spaces.Box(
                0.0, 1.0, (3, self.height, self.width), dtype=np.float32
            )
        self.position, self.mask, self.steps = self.start, self._full_mask, 0

    # ---- the state index ------------------------------------------------------------------

    def state_index(self, position: tuple[int, int], chests_mask: int) -> int:
        """Index of the state (cell ``position``, chests ``chests_mask``).

        Bit ``i`` of ``chests_mask`` is 1 while chest ``i`` (in row-major order of the
        layout) is still in the maze.
        """
        cell = (int(position[0]), int(position[1]))
        if cell not in self._cell_index:
            raise ValueError(f"position {position!r} is not a floor cell of the maze")
        mask = check_int(chests_mask, "chests_mask", minimum=0)
        if mask > self._full_mask:
            raise ValueError(f"chests_mask must be < {self._full_mask + 1}, got {mask}")
        return self._cell_index[cell] * 2**self.n_chests + mask

    def decode(self, index: int) -> tuple[tuple[int, int], int]:
        """The inverse of :meth:`state_index`: ``(position, chests_mask)``."""
        index = check_int(index, "index", minimum=0)
        if index >= self.n_states:
            raise ValueError(f"index must be < {self.n_states}, got {index}")
        cell, mask = divmod(index, 2**self.n_chests)
        return self.floor[cell], mask

    def _move(self, position, mask, action):
        dr, dc = _MOVES[action]
        r, c = position[0] + dr, position[1] + dc
        if 0 <= r < self.height and 0 <= c < self.width and not self.walls[r, c]:
            position = (r, c)
        reward = 0.0
        for i, chest in enumerate(self.chests):
            if mask >> i & 1 and chest == position:
                mask &= ~(1 << i)
                reward = 1.0
        return position, mask, reward

    def transition_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The deterministic dynamics over the index states, for exact dynamic programming.

        Returns:
            ``next_state``: int array ``(n_states, 4)``; ``reward``: float array
            ``(n_states, 4)``; ``terminal``: bool array ``(n_states,)``, True where no chest
            is left (a terminal state leads to itself with reward 0).
        """
        next_state = np.zeros((self.n_states, 4), dtype=int)
        reward = np.zeros((self.n_states, 4))
        terminal = np.zeros(self.n_states, dtype=bool)
        for s in range(self.n_states):
            position, mask = self.decode(s)
            terminal[s] = mask == 0
            for a in range(4):
                if terminal[s]:
                    next_state[s, a] = s
                    continue
                p, m, r = self._move(position, mask, a)
                next_state[s, a], reward[s, a] = self.state_index(p, m), r
        return next_state, reward, terminal

    def start_state(self) -> int:
        """Index of the state at the ``S`` cell with every chest in place."""
        return self.state_index(self.start, self._full_mask)

    # ---- the Gymnasium interface ------------------------------------------------------------

    def _observe(self):
        if self.observation == "index":
            return self.state_index(self.position, self.mask)
        grid = np.zeros((3, self.height, self.width), dtype=np.float32)
        grid[0] = self.walls
        for i, (r, c) in enumerate(self.chests):
            if self.mask >> i & 1:
                grid[1, r, c] = 1.0
        grid[2][self.position] = 1.0
        return grid

    def _info(self) -> dict:
        return {"position": self.position, "chests_left": int(self.mask).bit_count()}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        start = None if options is None else options.get("start")
        if start is not None:
            try:
                start = (int(start[0]), int(start[1]))
            except (TypeError, ValueError, IndexError):
                raise TypeError(
                    f'options["start"] must be a cell (row, col), got {start!r}'
                ) from None
            if (
                start not in self.floor
                or start in self.chests
                or len(options["start"]) != 2
            ):
                raise ValueError(
                    f'options["start"] must be a floor cell without a chest, got {start}'
                )
            self.position = start
        elif self.random_start:
            free = [cell for cell in self.floor if cell not in self.chests]
            self.position = free[int(self.np_random.integers(len(free)))]
        else:
            self.position = self.start
        self.mask, self.steps = self._full_mask, 0
        return self._observe(), self._info()

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0, 1, 2 or 3, got {action!r}")
        self.position, self.mask, reward = self._move(
            self.position, self.mask, int(action)
        )
        self.steps += 1
        terminated = self.mask == 0
        truncated = not terminated and self.steps >= self.max_steps
        return self._observe(), reward, bool(terminated), bool(truncated), self._info()

    def image(self, position=None, chests_mask=None) -> np.ndarray:
        """RGB image ``(H, W, 3)`` uint8 of the maze (walls dark, chests gold, agent blue).

        Args:
            position: the agent's cell (default: the current one).
            chests_mask: the chests left (default: the current ones).
        """
        position = self.position if position is None else tuple(position)
        mask = self.mask if chests_mask is None else int(chests_mask)
        img = np.full((self.height, self.width, 3), 245, dtype=np.uint8)
        img[self.walls] = (60, 60, 70)
        for i, chest in enumerate(self.chests):
            if mask >> i & 1:
                img[chest] = (230, 170, 20)
        img[position] = (30, 90, 200)
        return img

    def render(self):
        if self.render_mode == "rgb_array":
            return np.kron(self.image(), np.ones((8, 8, 1), dtype=np.uint8))
        return None


def _parse(layout: object):
    if not isinstance(layout, str):
        raise TypeError(f"layout must be a string of rows, got {type(layout).__name__}")
    rows = [row.strip() for row in layout.strip().splitlines() if row.strip()]
    if not rows or len({len(r) for r in rows}) != 1:
        raise ValueError("layout must be non-empty rows of equal length")
    bad = set("".join(rows)) - set("#.CS")
    if bad:
        raise ValueError(f"layout may only hold '#', '.', 'C', 'S', got {sorted(bad)}")
    grid = np.array([list(r) for r in rows])
    starts = [tuple(int(i) for i in c) for c in np.argwhere(grid == "S")]
    chests = [tuple(int(i) for i in c) for c in np.argwhere(grid == "C")]
    if len(starts) != 1:
        raise ValueError(f"layout must have exactly one 'S', got {len(starts)}")
    if not 1 <= len(chests) <= _MAX_CHESTS:
        raise ValueError(
            f"layout must have 1 to {_MAX_CHESTS} chests, got {len(chests)}"
        )
    return grid == "#", chests, starts[0]
