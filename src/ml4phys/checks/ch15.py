"""Self-checks for the exercises of chapter 15 (foundations of reinforcement learning).

Each ``check_*`` function tests one exercise of ``solutions/15_rl_foundations.ipynb``. It prints
a confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. The
reference values are computed inside the checks (by policy evaluation, finite differences and
breadth-first search) and never shown. A ``NotImplementedError`` raised by a stub passes
through.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ml4phys.checks._core import (
    as_number,
    as_numpy,
    call_student,
    isolated_rng,
    passed,
    require,
)
from ml4phys.rl import policy_gradient, q_learning, tabular
from ml4phys.rl.envs import RandomWalk, TreasureMaze

__all__ = [
    "check_walker_return",
    "check_policy_gradient",
    "check_nearest_chest",
    "check_exploration",
]

# ----------------------------------------------------------------------------------------------
# Exercise 15.1
# ----------------------------------------------------------------------------------------------

_WALKER_CASES = [
    # p, n, start, left_reward, right_reward, step_cost
    (0.3, 10, 3, 1.0, 3.0, 0.1),
    (0.5, 10, 3, 1.0, 3.0, 0.1),
    (0.7, 6, 2, 2.0, 0.5, 0.05),
    (0.9, 20, 15, -1.0, 4.0, 0.2),
    (0.5, 7, 4, 0.0, 1.0, 0.3),
    (0.15, 5, 1, 1.0, 1.0, 0.0),
    (0.62, 12, 6, 2.0, 2.5, 0.15),
]


def _walker_reference(p, n, start, left, right, cost):
    env = RandomWalk(
        n=n, start=start, left_reward=left, right_reward=right, step_cost=cost
    )
    P, R, terminal = env.transition_model()
    policy = np.tile([1.0 - p, p], (n + 1, 1))
    return tabular.policy_evaluation(P, R, policy, 1.0, terminal=terminal, tol=1e-13)[
        start
    ]


def check_walker_return(expected_return: Callable[..., Any]) -> bool:
    """Exercise 15.1: ``expected_return(p, n, start, left_reward, right_reward, step_cost)``.

    The expected return of the walker that steps right with probability ``p`` in every site
    (no discount), compared with an exact policy evaluation for several walkers and values of
    ``p``, including ``p = 1/2``.

    Args:
        expected_return: the student's closed form.
    """
    wrong = []
    for case in _WALKER_CASES:
        value = call_student(
            expected_return,
            *case,
            name="expected_return(p, n, start, left_reward, right_reward, step_cost)",
            exercise="Exercise 15.1",
        )
        value = as_number(value, "expected_return(...)", finite=False)
        reference = _walker_reference(*case)
        if not (
            np.isfinite(value) and abs(value - reference) <= 1e-6 * (1 + abs(reference))
        ):
            wrong.append((case, value))
    if wrong:
        case, value = wrong[0]
        only_half = all(c[0] == 0.5 for c, _ in wrong)
        hint = (
            " It is wrong only at p = 1/2: there (q/p)^k = 1 and the general formula is 0/0;"
            " take the limit, or solve the symmetric walk separately."
            if only_half
            else " Check the probability of reaching the right exit first and the expected"
            " duration of the walk (each step costs step_cost)."
        )
        require(
            False,
            f"Exercise 15.1: expected_return{case} returned {value!r}, which differs from "
            f"the exact expected return by more than a relative 1e-6 ({len(wrong)} of "
            f"{len(_WALKER_CASES)} cases wrong).{hint}",
        )
    return passed(
        "Exercise 15.1: the closed form agrees with policy evaluation on every walker tested."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 15.2
# ----------------------------------------------------------------------------------------------


def _gradient_cases():
    rng = np.random.default_rng(15_002)
    cases = []
    walker = RandomWalk(
        n=5, start=2, left_reward=1.0, right_reward=2.0, step_cost=0.1, slip=0.2
    )
    P, R, terminal = walker.transition_model()
    cases.append((P, R, terminal, rng.normal(size=(6, 2)), 1.0, 2))
    P, R, terminal = RandomWalk(n=6, start=4).transition_model()
    cases.append((P, R, terminal, rng.normal(size=(7, 2)), 0.9, 4))
    P = rng.random((4, 3, 4)) ** 2
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=(4, 3))
    cases.append((P, R, np.zeros(4, dtype=bool), rng.normal(size=(4, 3)), 0.8, 1))
    return cases


def _return_of(P, R, terminal, theta, gamma, start):
    policy = policy_gradient.softmax_policy(theta)
    return tabular.policy_evaluation(P, R, policy, gamma, terminal=terminal, tol=1e-13)[
        start
    ]


def _finite_differences(P, R, terminal, theta, gamma, start, h=1e-5):
    grad = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[idx] = h
        up = _return_of(P, R, terminal, theta + step, gamma, start)
        down = _return_of(P, R, terminal, theta - step, gamma, start)
        grad[idx] = (up - down) / (2 * h)
    return grad


def check_policy_gradient(exact_gradient: Callable[..., Any]) -> bool:
    """Exercise 15.2: ``exact_gradient(P, R, terminal, theta, gamma, start)``.

    The exact gradient of ``V(start)`` with respect to the logits of a tabular softmax
    policy, shape ``(S, A)``, compared with finite differences of exact policy evaluations on
    a slippery walker (gamma = 1), a walker with gamma = 0.9 and a random MDP with
    gamma = 0.8.

    Args:
        exact_gradient: the student's function.
    """
    for k, (P, R, terminal, theta, gamma, start) in enumerate(_gradient_cases()):
        result = call_student(
            exact_gradient,
            P.copy(),
            R.copy(),
            terminal.copy(),
            theta.copy(),
            gamma,
            start,
            name="exact_gradient(P, R, terminal, theta, gamma, start)",
            exercise="Exercise 15.2",
        )
        grad = as_numpy(result, "exact_gradient(...)")
        require(
            grad.shape == theta.shape,
            f"Exercise 15.2: the gradient must have the shape of theta, {theta.shape}; "
            f"got {grad.shape}.",
        )
        require(
            bool(np.all(np.isfinite(grad))),
            "Exercise 15.2: the gradient must be finite.",
        )
        reference = _finite_differences(P, R, terminal, theta, gamma, start)
        if np.allclose(grad, reference, atol=1e-6, rtol=1e-5):
            continue
        if np.allclose(grad, -reference, atol=1e-6, rtol=1e-5):
            require(False, "Exercise 15.2: the gradient has the wrong sign.")
        sums = np.abs(grad.sum(axis=1)).max()
        hint = (
            " For a softmax policy each row of the gradient sums to zero, and yours does not:"
            " check the factor pi(a|s) (Q(s,a) - V(s))."
            if sums > 1e-6
            else " The rows are fine in shape; check the visit counts d(s) (discounted by"
            " gamma^t, starting from the start state) and the action values Q = R + gamma P V."
        )
        require(
            False,
            f"Exercise 15.2: on test MDP {k + 1} of 3 (gamma = {gamma}) the gradient differs "
            f"from finite differences of the exact return (largest difference "
            f"{np.abs(grad - reference).max():.2e}).{hint}",
        )
    return passed(
        "Exercise 15.2: the policy gradient theorem agrees with finite differences on "
        "all three MDPs."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 15.3
# ----------------------------------------------------------------------------------------------

_SMALL_LAYOUT = """
#######
#S..C.#
#.###.#
#C..C.#
#######
"""


def _maze_cases():
    return [
        (None, 10),
        (None, 12),
        (None, 14),
        (_SMALL_LAYOUT, 4),
        (_SMALL_LAYOUT, 7),
        (_SMALL_LAYOUT, 9),
    ]


def _distances(walls, source):
    dist = {source: 0}
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            cell = (r + dr, c + dc)
            if not walls[cell] and cell not in dist:
                dist[cell] = dist[(r, c)] + 1
                queue.append(cell)
    return dist


def _nearest_first(env):
    position, left, used, collected = env.start, list(env.chests), 0, 0
    while left:
        dist = _distances(env.walls, position)
        reachable = [c for c in left if c in dist]
        if not reachable:
            break
        target = min(reachable, key=lambda c: dist[c])
        if used + dist[target] > env.max_steps:
            break
        used += dist[target]
        position = target
        left.remove(target)
        collected += 1
    return collected


def check_nearest_chest(nearest_chest_return: Callable[..., Any]) -> bool:
    """Exercise 15.3: ``nearest_chest_return(env)``, chests collected by "nearest first".

    Compared with a breadth-first search on the default maze with 10, 12 and 14 steps and on
    a small maze with 4, 7 and 9 steps (none of them has ties between nearest chests).

    Args:
        nearest_chest_return: the student's function of a ``TreasureMaze``.
    """
    for layout, steps in _maze_cases():
        env = TreasureMaze(layout, max_steps=steps)
        env.reset(seed=0)
        value = call_student(
            nearest_chest_return,
            env,
            name="nearest_chest_return(env)",
            exercise="Exercise 15.3",
        )
        value = as_number(value, "nearest_chest_return(env)")
        which = "the default maze" if layout is None else "a small maze"
        require(
            value == _nearest_first(TreasureMaze(layout, max_steps=steps)),
            f"Exercise 15.3: on {which} with max_steps = {steps} your function returned "
            f"{value:g}, which is not the number of chests the nearest-chest-first route "
            "collects. Walk a shortest path to the nearest chest left, count the steps, and "
            "stop when the next chest cannot be reached within max_steps.",
        )
    return passed(
        "Exercise 15.3: the nearest-chest-first route is right on all six mazes."
    )


# ----------------------------------------------------------------------------------------------
# Exercise 15.4
# ----------------------------------------------------------------------------------------------

_MAX_EPISODES = 300
_SEEDS = (150, 151, 152, 153, 154)
_NEEDED = 4


def _greedy_return(env, q):
    policy = q_learning.greedy_policy(q)
    state, _ = env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        state, reward, terminated, truncated, _ = env.step(int(policy[state]))
        total += reward
        done = terminated or truncated
    return total


def check_exploration(config: q_learning.QLearningConfig) -> bool:
    """Exercise 15.4: a ``QLearningConfig`` that finds the maze's optimum reliably.

    Q-learning with ``config`` (at most 300 episodes) is trained on the default maze with
    five fixed seeds; the greedy policy must reach the exact optimal return on at least four.

    Args:
        config: the student's configuration.
    """
    require(
        isinstance(config, q_learning.QLearningConfig),
        "Exercise 15.4: config must be an ml4phys.rl.q_learning.QLearningConfig; got a "
        f"{type(config).__name__}.",
    )
    require(
        config.n_episodes <= _MAX_EPISODES,
        f"Exercise 15.4: config.n_episodes must be at most {_MAX_EPISODES}; got "
        f"{config.n_episodes}.",
    )
    env = TreasureMaze()
    optimum = tabular.optimal_return(env)
    solved = 0
    with isolated_rng(15_004):
        for seed in _SEEDS:
            history = q_learning.train(env, config, seed=seed)
            solved += _greedy_return(env, history["q"]) == optimum
    require(
        solved >= _NEEDED,
        f"Exercise 15.4: the greedy policy reached the exact optimum on {solved} of "
        f"{len(_SEEDS)} seeds; it must do so on at least {_NEEDED}. Think about what makes an "
        "agent try the actions it has not tried yet.",
    )
    return passed(
        f"Exercise 15.4: the greedy policy reached the optimum on {solved} of "
        f"{len(_SEEDS)} seeds."
    )
