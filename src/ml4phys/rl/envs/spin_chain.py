"""An Ising chain (or square lattice) to be brought to its ground state one spin at a time.

Also here: the closed-form :func:`min_flips`, the :func:`energy`, the wrapper
:class:`DiscreteObservation` that turns the spins into one integer for tabular agents, and the
wrapper :class:`Curriculum` that moves the start away from the goal as training goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from ml4phys._validation import check_int, check_positive, check_real

__all__ = ["Curriculum", "DiscreteObservation", "SpinChain", "energy", "min_flips"]

REWARDS = ("energy", "shaped", "sparse")
ACTIONS = ("flip", "set")


def energy(spins: Any, coupling: float = 1.0, lattice_ndim: int = 1) -> np.ndarray:
    """Ising energy ``E = -J sum_<ij> s_i s_j`` over nearest neighbours, open boundaries.

    Args:
        spins: values in ``{-1, 1}``, shape ``(..., *lattice)``.
        coupling: ``J`` (ferromagnetic when positive).
        lattice_ndim: how many trailing axes are the lattice (1 chain, 2 square lattice).

    Returns:
        The energies, shape ``(...)`` (a 0-d array for one configuration).
    """
    s = np.asarray(spins)
    coupling = check_real(coupling, "coupling")
    lattice_ndim = check_int(lattice_ndim, "lattice_ndim")
    if s.ndim < lattice_ndim or not np.isin(s, (-1, 1)).all():
        raise ValueError(
            f"spins must hold -1 and 1 in at least {lattice_ndim} axes, got {s.shape}"
        )
    total = np.zeros(s.shape[: s.ndim - lattice_ndim])
    trailing = tuple(range(-lattice_ndim, 0))
    for axis in range(s.ndim - lattice_ndim, s.ndim):
        a = np.moveaxis(s, axis, -1)  # the lattice axes stay the trailing ones
        total = total + np.sum(a[..., 1:] * a[..., :-1], axis=trailing)
    return -coupling * total


def min_flips(spins: Any) -> int:
    """Fewest single-spin flips from ``spins`` to an aligned state (all up or all down).

    A flip changes one spin, so reaching all up takes at least (and at most) the number of
    down spins, and all down the number of up spins: ``min(n_down, n_up)``.

    Args:
        spins: one configuration, values in ``{-1, 1}``, any shape.
    """
    s = np.asarray(spins)
    if s.size == 0 or not np.isin(s, (-1, 1)).all():
        raise ValueError("spins must be a non-empty array of -1 and 1")
    n_up = int(np.sum(s == 1))
    return min(n_up, s.size - n_up)


class SpinChain(gymnasium.Env):
    """Bring an Ising chain to a ground state by changing one spin per step.

    **Description.** ``n_spins`` Ising spins ``s_i = +-1`` on an open chain (or, with
    ``shape=(L, L)``, an open ``L x L`` square lattice) with energy
    ``E(s) = -J sum_<ij> s_i s_j`` over nearest-neighbour bonds, ``J > 0``. Its two ground
    states are the aligned ones, all up and all down, both of energy ``-J n_bonds``; either
    is the goal. The agent sees all spins and changes one per step.

    **Action space.** ``action="flip"``: ``Discrete(n_sites)``, action ``a`` flips site ``a``
    (sites numbered row by row). ``action="set"``: ``Discrete(2 n_sites)``, action ``a`` sets
    site ``a // 2`` down (``a`` even) or up (``a`` odd); setting a spin to the value it has is
    allowed and changes nothing.

    **Observation space.** ``MultiBinary(shape)``: 1 for an up spin, 0 for a down spin.

    **Rewards.** ``reward="energy"``: ``-E(s')`` after every step, the negative energy of the
    new configuration (largest, ``J n_bonds``, at the goal). ``reward="shaped"``:
    ``-step_cost`` after every step, plus ``goal_bonus`` on the step that reaches the goal.
    ``reward="sparse"``: 1 on the step that reaches the goal, 0 otherwise.

    **Starting state.** ``start="random"``: uniform over the configurations that are not
    aligned. ``start=d`` (an int, ``1 <= d <= n_sites // 2``): an aligned state (up or down
    with equal probability) with ``d`` distinct random spins flipped, so that the fewest flips
    to the goal is exactly ``d``. ``reset(options={"distance": d})`` overrides it for one
    episode.

    **Episode end.** Terminated when the spins are aligned; truncated after ``max_steps``
    steps (default ``4 n_sites``).
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        n_spins: int = 8,
        *,
        shape: Sequence[int] | None = None,
        coupling: float = 1.0,
        reward: str = "energy",
        action: str = "flip",
        start: str | int = "random",
        step_cost: float = 1.0,
        goal_bonus: float | None = None,
        max_steps: int | None = None,
    ) -> None:
        if shape is None:
            shape = (check_int(n_spins, "n_spins", minimum=2),)
        else:
            if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
                raise TypeError(
                    f"shape must be a tuple of ints, got {type(shape).__name__}"
                )
            shape = tuple(check_int(k, "shape entries", minimum=2) for k in shape)
            if len(shape) not in (1, 2):
                raise ValueError(f"shape must have one or two entries, got {shape}")
        self.shape = shape
        self.n_sites = int(np.prod(shape))
        if self.n_sites > 24:
            raise ValueError(f"at most 24 sites, got {self.n_sites}")
        self.coupling = check_positive(coupling, "coupling")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {action!r}")
        self.reward_kind, self.action_kind = reward, action
        self.start = self._check_start(start)
        self.step_cost = check_real(step_cost, "step_cost")
        self.goal_bonus = (
            float(self.n_sites)
            if goal_bonus is None
            else check_real(goal_bonus, "goal_bonus")
        )
        self.max_steps = (
            4 * self.n_sites if max_steps is None else check_int(max_steps, "max_steps")
        )
        n_actions = self.n_sites if action == "flip" else 2 * self.n_sites
        self.action_space = spaces.Discrete(n_actions)
        self.observation_space = spaces.MultiBinary(shape)
        self.n_bonds = sum(
            (shape[k] - 1) * self.n_sites // shape[k] for k in range(len(shape))
        )
        self.spins = np.ones(shape, dtype=np.int8)
        self.n_steps = 0

    def _check_start(self, start: Any) -> str | int:
        if isinstance(start, str):
            if start != "random":
                raise ValueError(f"start must be 'random' or an int, got {start!r}")
            return start
        start = check_int(start, "start")
        if start > self.n_sites // 2:
            raise ValueError(
                f"start distance must be at most n_sites // 2 = {self.n_sites // 2}, "
                f"got {start}"
            )
        return start

    # -- physics ------------------------------------------------------------------------
    def energy(self) -> float:
        """The energy ``E(s)`` of the current spins."""
        return float(energy(self.spins, self.coupling, len(self.shape)))

    def is_aligned(self) -> bool:
        """Whether the spins are in a ground state (all equal)."""
        return bool(np.all(self.spins == self.spins.flat[0]))

    # -- Gymnasium ----------------------------------------------------------------------
    def _obs(self) -> np.ndarray:
        return (self.spins > 0).astype(np.int8)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        start = self.start
        if options and "distance" in options:
            start = self._check_start(int(options["distance"]))
        if start == "random":
            while True:
                spins = self.np_random.choice(
                    np.array([-1, 1], dtype=np.int8), self.shape
                )
                if not np.all(spins == spins.flat[0]):
                    break
        else:
            sign = 1 if self.np_random.random() < 0.5 else -1
            spins = np.full(self.n_sites, sign, dtype=np.int8)
            sites = self.np_random.choice(self.n_sites, size=start, replace=False)
            spins[sites] *= -1
            spins = spins.reshape(self.shape)
        self.spins = spins
        self.n_steps = 0
        return self._obs(), {"energy": self.energy(), "min_flips": min_flips(spins)}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in {self.action_space}, got {action!r}")
        flat = self.spins.reshape(-1).copy()
        if self.action_kind == "flip":
            flat[action] *= -1
        else:
            flat[action // 2] = 1 if action % 2 else -1
        self.spins = flat.reshape(self.shape)
        self.n_steps += 1
        terminated = self.is_aligned()
        truncated = not terminated and self.n_steps >= self.max_steps
        if self.reward_kind == "energy":
            reward = -self.energy()
        elif self.reward_kind == "shaped":
            reward = -self.step_cost + (self.goal_bonus if terminated else 0.0)
        else:
            reward = 1.0 if terminated else 0.0
        info = {"energy": self.energy()}
        return self._obs(), float(reward), terminated, truncated, info


class DiscreteObservation(gymnasium.ObservationWrapper):
    """The spins as one integer ``sum_i b_i 2^i`` (``b_i = 1`` for up), for tabular agents.

    Sites are numbered row by row; the observation space is ``Discrete(2 ** n_sites)``.
    """

    def __init__(self, env: gymnasium.Env) -> None:
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.MultiBinary):
            raise TypeError(
                f"env must have a MultiBinary observation space, got {space}"
            )
        self.n_sites = int(np.prod(space.shape))
        self.observation_space = spaces.Discrete(2**self.n_sites)
        self._weights = 2 ** np.arange(self.n_sites, dtype=np.int64)

    def observation(self, observation: np.ndarray) -> int:
        return int(np.asarray(observation).reshape(-1) @ self._weights)

    def spins(self, index: int | np.ndarray) -> np.ndarray:
        """The spins (values +-1) of an index or an array of indices: shape ``(..., n)``."""
        bits = (np.asarray(index)[..., None] >> np.arange(self.n_sites)) & 1
        return (2 * bits - 1).astype(np.int8)


class Curriculum(gymnasium.Wrapper):
    """Start each episode at a distance from the goal that a schedule chooses.

    Args:
        env: a :class:`SpinChain` (possibly wrapped).
        schedule: ``episode -> distance`` (an int, ``1 <= d <= n_sites // 2``) or
            ``"random"``, called with the number of the episode, from 0.
    """

    def __init__(
        self, env: gymnasium.Env, schedule: Callable[[int], int | str]
    ) -> None:
        super().__init__(env)
        if not callable(schedule):
            raise TypeError(f"schedule must be callable, got {type(schedule).__name__}")
        self.schedule = schedule
        self.episode = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        distance = self.schedule(self.episode)
        self.episode += 1
        options = dict(options or {})
        if distance != "random":
            options["distance"] = int(distance)
        return self.env.reset(seed=seed, options=options)
