"""A walker on a line between two exits (chapter 15)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ml4phys._validation import check_int, check_nonnegative, check_real

__all__ = ["RandomWalk"]


class RandomWalk(gym.Env):
    """A walker on the sites ``0, 1, ..., n`` with an exit at each end.

    Description:
        The walker starts at site ``start`` and steps one site left or right. Each step costs
        ``step_cost``; reaching site 0 pays ``left_reward`` and reaching site ``n`` pays
        ``right_reward``, and either ends the episode. With ``slip > 0`` the walker moves the
        other way than chosen with probability ``slip``. The optimal policy and return, and
        the expected return of a policy that steps right with a fixed probability, have
        closed forms (chapter 15).

    Action space:
        ``Discrete(2)``: 0 left, 1 right.

    Observation space:
        ``Discrete(n + 1)``: the site. Sites 0 and ``n`` are terminal.

    Rewards:
        ``-step_cost`` per step, plus ``left_reward`` or ``right_reward`` on the step that
        reaches an exit.

    Episode end:
        ``terminated`` at site 0 or ``n``; ``truncated`` after ``max_steps`` steps.

    Args:
        n: the right exit's site (at least 2).
        start: the start site, ``0 < start < n``.
        left_reward: reward at site 0.
        right_reward: reward at site ``n``.
        step_cost: cost of a step (non-negative).
        slip: probability of moving the other way, in [0, 1/2).
        max_steps: time limit of an episode.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        n: int = 10,
        start: int = 3,
        left_reward: float = 1.0,
        right_reward: float = 3.0,
        step_cost: float = 0.1,
        slip: float = 0.0,
        max_steps: int = 1000,
    ) -> None:
        self.n = check_int(n, "n", minimum=2)
        self.start = check_int(start, "start")
        if not self.start < self.n:
            raise ValueError(
                f"start must satisfy 0 < start < n = {self.n}, got {start}"
            )
        self.left_reward = check_real(left_reward, "left_reward")
        self.right_reward = check_real(right_reward, "right_reward")
        self.step_cost = check_nonnegative(step_cost, "step_cost")
        self.slip = check_nonnegative(slip, "slip")
        if not self.slip < 0.5:
            raise ValueError(f"slip must be in [0, 0.5), got {slip}")
        self.max_steps = check_int(max_steps, "max_steps")
        self.observation_space = spaces.Discrete(self.n + 1)
        self.action_space = spaces.Discrete(2)
        self.position, self.steps = self.start, 0

    def transition_model(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model as arrays for :mod:`ml4phys.rl.tabular` (no time limit).

        Returns:
            ``P`` ``(n + 1, 2, n + 1)``, ``R`` ``(n + 1, 2)`` (expected reward) and
            ``terminal`` ``(n + 1,)``.
        """
        size = self.n + 1
        P, R = np.zeros((size, 2, size)), np.zeros((size, 2))
        terminal = np.zeros(size, dtype=bool)
        terminal[[0, self.n]] = True
        for s in range(size):
            for a in range(2):
                if terminal[s]:
                    P[s, a, s] = 1.0
                    continue
                for step, prob in ((2 * a - 1, 1 - self.slip), (1 - 2 * a, self.slip)):
                    P[s, a, s + step] += prob
                    R[s, a] += prob * (self._exit_reward(s + step) - self.step_cost)
        return P, R, terminal

    def _exit_reward(self, site: int) -> float:
        if site == 0:
            return self.left_reward
        return self.right_reward if site == self.n else 0.0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.position, self.steps = self.start, 0
        return self.position, {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0 or 1, got {action!r}")
        direction = 2 * int(action) - 1
        if self.slip > 0 and self.np_random.random() < self.slip:
            direction = -direction
        self.position += direction
        self.steps += 1
        reward = self._exit_reward(self.position) - self.step_cost
        terminated = self.position in (0, self.n)
        truncated = not terminated and self.steps >= self.max_steps
        return self.position, reward, terminated, truncated, {}
