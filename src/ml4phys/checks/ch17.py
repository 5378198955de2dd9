"""Self-checks for the exercises of chapter 17 (planning, games and RL for physics).

Each ``check_*`` function tests one exercise of ``solutions/17_planning_physics.ipynb``. It
prints a confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. A
``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ml4phys.checks._core import (
    as_numpy,
    as_tensor,
    call_student,
    evaluating,
    isolated_rng,
    passed,
    require,
)

__all__ = ["check_bfs_flips", "check_set_agent", "check_symmetric_policy"]

_SET_N_SPINS = 6
_SET_THRESHOLD = 0.9
_SYMMETRY_TOLERANCE = 1e-4


def _fewest(n: int) -> np.ndarray:
    index = np.arange(2**n)
    n_up = ((index[:, None] >> np.arange(n)) & 1).sum(1)
    return np.minimum(n_up, n - n_up)


# ----------------------------------------------------------------------------------------------
# Exercise 17.1
# ----------------------------------------------------------------------------------------------


def check_bfs_flips(bfs_flips: Callable[[int], Any]) -> bool:
    """Exercise 17.1: ``bfs_flips(n_spins)`` gives the fewest flips of every configuration.

    The result must have shape ``(2 ** n_spins,)``, entry ``i`` for the configuration whose
    spin ``k`` is up when bit ``k`` of ``i`` is 1; it is compared for several chain lengths.

    Args:
        bfs_flips: the student's function.
    """
    for n in (2, 3, 5, 8):
        result = as_numpy(
            call_student(bfs_flips, n, name="bfs_flips(n_spins)"),
            f"the result of bfs_flips({n})",
        )
        require(
            result.shape == (2**n,),
            f"bfs_flips({n}) must have shape ({2**n},), one entry per configuration; "
            f"yours has shape {result.shape}.",
        )
        require(
            np.all(np.isfinite(result)) and np.all(result == np.round(result)),
            f"bfs_flips({n}) must hold whole numbers of flips (no NaN, no fractions).",
        )
        wrong = np.flatnonzero(result != _fewest(n))
        if wrong.size:
            i = int(wrong[0])
            spins = "".join("u" if (i >> k) & 1 else "d" for k in range(n))
            require(
                False,
                f"bfs_flips({n}) is wrong at {wrong.size} of {2**n} configurations, for "
                f"example index {i} (spins {spins}, u = up), where you give "
                f"{result[i]:g}. The search must start from both aligned states (distance "
                "0) and step by single flips.",
            )
    return passed("Exercise 17.1: your breadth-first search gives the fewest flips.")


# ----------------------------------------------------------------------------------------------
# Exercise 17.2
# ----------------------------------------------------------------------------------------------


def check_set_agent(q: np.ndarray) -> bool:
    """Exercise 17.2: a Q-table whose greedy policy aligns a 6-spin chain with set actions.

    ``q`` has shape ``(64, 12)`` (configurations of ``SpinChain(6, action="set")`` numbered
    by ``DiscreteObservation``, actions of the environment). Its greedy policy is run from
    every configuration that is not aligned; it must reach an aligned state in the fewest
    possible steps from at least 90 % of them.

    Args:
        q: the trained table.
    """
    n = _SET_N_SPINS
    table = as_numpy(q, "q")
    require(
        table.shape == (2**n, 2 * n),
        f"q must have shape ({2**n}, {2 * n}): one row per configuration of the 6-spin chain "
        f"and one column per set action; yours has shape {table.shape}.",
    )
    require(
        np.all(np.isfinite(table)), "q must hold finite numbers (it has NaN or inf)."
    )
    fewest = _fewest(n)
    weights = 2 ** np.arange(n)
    optimal, starts = 0, 0
    for index in range(1, 2**n - 1):
        bits = (index >> np.arange(n)) & 1
        steps = 0
        while 0 < bits.sum() < n and steps < 4 * n:
            action = int(np.argmax(table[int(bits @ weights)]))
            bits[action // 2] = action % 2
            steps += 1
        aligned = bits.sum() in (0, n)
        starts += 1
        optimal += bool(aligned and steps == fewest[index])
    fraction = optimal / starts
    require(
        fraction >= _SET_THRESHOLD,
        f"the greedy policy of q reaches an aligned state in the fewest steps from "
        f"{fraction:.0%} of the {starts} starts; it should from at least "
        f"{_SET_THRESHOLD:.0%}. Train longer, or check that the table belongs to "
        'SpinChain(6, action="set", reward="shaped") wrapped in DiscreteObservation.',
    )
    return passed(
        f"Exercise 17.2: your set-action agent takes the fewest steps from {fraction:.0%} "
        "of the starts."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 17.3
# ----------------------------------------------------------------------------------------------


def _transforms() -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    return [
        ("a left-right mirror", lambda x: x.flip(-1)),
        ("an up-down mirror", lambda x: x.flip(-2)),
        ("a transpose", lambda x: x.transpose(-1, -2)),
    ]


def check_symmetric_policy(policy: nn.Module) -> bool:
    """Exercise 17.3: a convolutional flip policy with the symmetries of the square lattice.

    ``policy(spins)`` maps a float tensor of spins ``+-1`` of shape ``(batch, L, L)`` to
    logits of shape ``(batch, L, L)``, one per site, for several ``L``. The logits must not
    change when every spin is reversed, and must move with the lattice under mirrors and the
    transpose (which generate the symmetries of the square); they must depend on the spins.

    Args:
        policy: the student's network.
    """
    require(
        isinstance(policy, nn.Module),
        f"policy must be a torch.nn.Module; got a {type(policy).__name__}.",
    )
    with isolated_rng(17_003) as rng, evaluating(policy):
        for size in (3, 4, 5):
            spins = torch.as_tensor(
                rng.choice([-1.0, 1.0], size=(6, size, size)), dtype=torch.float32
            )

            def run(x: torch.Tensor, size: int = size) -> torch.Tensor:
                out = as_tensor(
                    call_student(policy, x, name="policy(spins)", expects=torch.Tensor),
                    "the output of policy",
                ).to(torch.float64)
                require(
                    out.shape == x.shape,
                    f"for spins of shape {tuple(x.shape)} the logits must have the same "
                    f"shape (one per site); yours have {tuple(out.shape)}.",
                )
                require(
                    bool(torch.isfinite(out).all()),
                    "the logits must be finite numbers (they have NaN or inf).",
                )
                return out

            logits = run(spins)
            scale = float(logits.abs().max()) + 1e-12
            require(
                float((logits - logits[0]).abs().max()) > 1e-3 * scale,
                f"for L = {size} the logits are the same for every configuration: the "
                "policy must depend on the spins.",
            )
            error = float((run(-spins) - logits).abs().max()) / scale
            require(
                error < _SYMMETRY_TOLERANCE,
                f"for L = {size}, reversing every spin changes the logits by up to "
                f"{error:.2g} of their size; they should not change (the task is the same "
                "for up and down).",
            )
            for label, g in _transforms():
                error = float((run(g(spins)) - g(logits)).abs().max()) / scale
                require(
                    error < _SYMMETRY_TOLERANCE,
                    f"for L = {size}, after {label} of the spins the logits should be the "
                    f"mirrored logits; they differ by up to {error:.2g} of their size.",
                )
    return passed(
        "Exercise 17.3: your policy respects spin reversal and the symmetries of the square."
    )
