"""Self-checks for the exercises of chapter 19 (reinforcement learning for quantum technologies).

Each ``check_*`` function tests one exercise of ``solutions/19_quantum_rl.ipynb``. It prints a
confirmation and returns ``True`` when the answer is right, and raises
:class:`~ml4phys.checks.CheckFailed` with a message that says what is wrong otherwise. A
``NotImplementedError`` raised by a stub passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ml4phys.checks._core import as_numpy, call_student, isolated_rng, passed, require

__all__ = ["check_state_from_bloch", "check_decoder"]

_PAULIS = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])
_BLOCH_TOLERANCE = 1e-6
_P, _N_ROUNDS, _N_EPISODES = 0.1, 20, 1500


# ----------------------------------------------------------------------------------------------
# Exercise 19.1
# ----------------------------------------------------------------------------------------------


def check_state_from_bloch(state_from_bloch: Callable[[np.ndarray], Any]) -> bool:
    """Exercise 19.1: ``state_from_bloch(r)`` is a normalised state with Bloch vector ``r``.

    Tried on random unit vectors and on the two poles; the answer may differ from any
    particular formula by a global phase.

    Args:
        state_from_bloch: the student's function, ``r`` (shape ``(3,)``) -> shape ``(2,)``.
    """
    with isolated_rng(19) as rng:
        vectors = rng.normal(size=(20, 3))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.vstack([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0], vectors])
    for r in vectors:
        label = np.array2string(r, precision=3)
        psi = as_numpy(
            call_student(state_from_bloch, r.copy(), name="state_from_bloch(r)"),
            f"state_from_bloch({label})",
            dtype=complex,
        )
        require(
            psi.shape == (2,),
            f"state_from_bloch(r) must return a state vector of shape (2,); yours has "
            f"shape {psi.shape}.",
        )
        require(
            np.all(np.isfinite(psi)), f"state_from_bloch({label}) contains NaN or inf."
        )
        norm = float(np.linalg.norm(psi))
        require(
            abs(norm - 1) < _BLOCH_TOLERANCE,
            f"state_from_bloch({label}) has norm {norm:.6f}; a state must be normalised.",
        )
        got = np.einsum("i,kij,j->k", psi.conj(), _PAULIS, psi).real
        error = float(np.max(np.abs(got - r)))
        require(
            error < _BLOCH_TOLERANCE,
            f"for r = {label} your state has the Bloch vector "
            f"{np.array2string(got, precision=3)} (<sigma_x>, <sigma_y>, <sigma_z>). Check "
            "the half angle theta / 2 and the sign of the relative phase.",
        )
    return passed("Exercise 19.1: your states have the Bloch vectors asked for.")


# ----------------------------------------------------------------------------------------------
# Exercise 19.2
# ----------------------------------------------------------------------------------------------


def _table_of(decoder: Callable[[int], Any], n_obs: int, n_actions: int) -> np.ndarray:
    table = np.zeros(n_obs, dtype=int)
    for obs in range(n_obs):
        action = call_student(decoder, obs, name="decoder(obs)")
        require(
            isinstance(action, (int, np.integer)) and not isinstance(action, bool),
            f"decoder({obs}) must return an int action; it returned a "
            f"{type(action).__name__}.",
        )
        require(
            0 <= action < n_actions,
            f"decoder({obs}) returned {action}; actions are 0 to {n_actions - 1}.",
        )
        table[obs] = int(action)
    return table


def check_decoder(decoder: Callable[[int], Any]) -> bool:
    """Exercise 19.2: a policy of ``BitFlipCode`` that keeps the logical qubit alive.

    ``decoder(obs)`` is evaluated on every observation. One round of it must return the
    register to the code state after no flip and after a flip of each single qubit, and on
    ``BitFlipCode(p=0.1, n_rounds=20)`` it must keep the information, on average over many
    episodes of the check's own noise, about as long as the best decoder does.

    Args:
        decoder: the student's policy, observation (an int) -> action (an int).
    """
    from ml4phys.rl.envs import BitFlipCode
    from ml4phys.rl.envs.bit_flip_code import survival_curve

    probe = BitFlipCode(0.0, n_rounds=1, reward="code_space")
    table = _table_of(
        decoder, int(probe.observation_space.n), int(probe.action_space.n)
    )
    for flips, what in [
        ((), "no flip"),
        ((0,), "a flip of qubit 1"),
        ((1,), "a flip of qubit 2"),
        ((2,), "a flip of qubit 3"),
    ]:
        obs, _ = probe.reset(seed=0, options={"flips": flips})
        for _ in range(probe.steps_per_round):
            obs, reward, *_ = probe.step(int(table[obs]))
        require(
            reward == 1.0,
            f"after {what} at the start of a round, one round of your decoder does not "
            "bring the register back to the code state a|000> + b|111>.",
        )
    env = BitFlipCode(_P, n_rounds=_N_ROUNDS)
    lifetimes = np.zeros(_N_EPISODES)
    obs, _ = env.reset(seed=1919)
    for e in range(_N_EPISODES):
        if e:
            obs, _ = env.reset()
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(int(table[obs]))
            lifetimes[e] += reward
            done = terminated or truncated
    p = _P
    best = survival_curve(3 * p**2 - 2 * p**3, _N_ROUNDS)
    margin = 4 * lifetimes.std() / np.sqrt(_N_EPISODES) + 1e-9
    require(
        lifetimes.mean() >= best - margin,
        f"your decoder keeps the information for {lifetimes.mean():.2f} rounds on average "
        f"(of {_N_ROUNDS}), clearly less than a complete syndrome decoder does. Does it "
        "waste a step, or act on a parity it has not measured this round?",
    )
    return passed(
        f"Exercise 19.2: your decoder keeps the information for {lifetimes.mean():.2f} "
        f"rounds on average (of {_N_ROUNDS})."
    )
