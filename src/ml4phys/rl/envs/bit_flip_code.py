"""The three-qubit bit-flip code as a task: keep a logical qubit alive against bit flips.

After Nielsen & Chuang (section 10.1.1) and the agents of Fösel, Tighineanu, Weiss & Marquardt
(PRX 8, 031084, 2018), reduced to a finite memory of syndrome outcomes so that a table can
learn it. Also here: :func:`survival_curve`, the exact expected number of rounds survived for a
constant failure probability per round.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from ml4phys._validation import check_int, check_nonnegative, check_real
from ml4phys.physics import quantum

__all__ = ["ACTIONS", "BitFlipCode", "survival_curve"]

ACTIONS = ("idle", "measure Z1Z2", "measure Z2Z3", "X1", "X2", "X3")
_UNKNOWN, _EVEN, _ODD = 0, 1, 2  # memory of a parity this round: not measured, +1, -1
_MEMORY = ("?", "+", "-")
REWARDS = ("decoded", "code_space")


def survival_curve(fail_probability: float, n_rounds: int) -> float:
    """Expected rounds survived, ``sum_{t=1..T} (1 - q)^t``, for a failure rate ``q``."""
    q = check_nonnegative(fail_probability, "fail_probability")
    if q > 1:
        raise ValueError(f"fail_probability must be in [0, 1], got {q}")
    n_rounds = check_int(n_rounds, "n_rounds")
    t = np.arange(1, n_rounds + 1)
    return float(np.sum((1 - q) ** t))


class BitFlipCode(gymnasium.Env):
    """Protect ``a|000> + b|111>`` against bit flips with parity measurements and X gates.

    **Description.** Three physical qubits hold the logical state ``a|0_L> + b|1_L>`` with
    ``|0_L> = |000>`` and ``|1_L> = |111>`` (``a = cos(theta/2)``, ``b = sin(theta/2)``,
    ``theta = logical_theta``). The episode is a sequence of rounds. At the start of every
    round each qubit flips independently with probability ``p`` (an exact sample of the
    bit-flip channel on the state vector); the agent then takes ``steps_per_round`` actions.
    A parity measurement is the projective measurement of the stabiliser
    ``Z1Z2`` or ``Z2Z3`` (as :func:`ml4phys.physics.quantum.measure` does it): the outcome is random by the Born rule and the state collapses
    (for bit-flip errors on a code state the outcome is certain and the collapse leaves the
    state unchanged, which is why the code works). At the end of a round the state is
    *decoded* by the ideal recovery (measure both parities, undo the single flip they point
    at, unencode); the information has survived while the decoded logical state has
    fidelity above 1/2 with the initial one, i.e. while at most one qubit is flipped.

    **Action space.** ``Discrete(6)``: ``ACTIONS = ("idle", "measure Z1Z2", "measure Z2Z3",
    "X1", "X2", "X3")``.

    **Observation space.** ``Discrete(steps_per_round * 9)``: the step within the round
    ``k`` and what the agent has learned this round about each parity, ``m12`` and ``m23``
    in ``{0: not measured, 1: +1 (even), 2: -1 (odd)}``, as ``9 k + 3 m12 + m23``. The memory
    is cleared at the start of a round (new flips may have happened), and an X gate on a
    qubit flips the remembered parities it touches. This finite memory is not the full
    quantum state: the agent never sees the flips, only what its measurements told it.

    **Rewards.** +1 at the end of every round the information survives, 0 otherwise.
    With ``reward="code_space"`` the test is stricter: the fidelity of the physical state
    itself (no decoder) with the initial code state must be above 1/2, so the agent has to
    undo every flip within the round it happened in (an immediate training signal).

    **Starting state.** The code state, then the first round's random flips; memory empty.
    ``reset(options={"flips": (0, 2)})`` flips exactly the given qubits (numbered 0, 1, 2)
    in the first round instead, to test a policy on a chosen error.

    **Episode end.** Terminated at the end of the round in which the information is lost
    (two or more qubits flipped after the agent's actions); truncated after ``n_rounds``.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        p: float = 0.1,
        *,
        n_rounds: int = 20,
        steps_per_round: int = 3,
        logical_theta: float = np.pi / 6,
        reward: str = "decoded",
    ) -> None:
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        self.reward_kind = reward
        self.p = check_nonnegative(p, "p")
        if self.p > 1:
            raise ValueError(f"p must be a probability in [0, 1], got {self.p}")
        self.n_rounds = check_int(n_rounds, "n_rounds")
        self.steps_per_round = check_int(steps_per_round, "steps_per_round")
        theta = check_real(logical_theta, "logical_theta")
        self.logical = np.array([np.cos(theta / 2), np.sin(theta / 2)], dtype=complex)
        if np.sin(theta) ** 2 >= 0.5:
            raise ValueError(
                "logical_theta must satisfy sin(theta)^2 < 1/2, so that a logical flip "
                f"lowers the fidelity below 1/2; got {theta}"
            )
        self.action_space = spaces.Discrete(len(ACTIONS))
        self.observation_space = spaces.Discrete(self.steps_per_round * 9)
        n = 3
        self._X = [quantum.on_qubit(quantum.SIGMA_X, k, n) for k in range(n)]
        Z = [quantum.on_qubit(quantum.SIGMA_Z, k, n) for k in range(n)]
        self._parities = [Z[0] @ Z[1], Z[1] @ Z[2]]
        # the projectors onto parity +1 and -1 of each stabiliser, for measure() below
        self._projectors = [
            [(np.eye(8) + S) / 2, (np.eye(8) - S) / 2] for S in self._parities
        ]
        self._flip_index = [np.arange(8) ^ (4 >> k) for k in range(n)]  # X_k on indices
        self.psi = self._encode()
        self.memory = [_UNKNOWN, _UNKNOWN]
        self.step_in_round = 0
        self.round = 0

    def _encode(self) -> np.ndarray:
        psi = np.zeros(8, dtype=complex)
        psi[0], psi[7] = self.logical
        return psi

    # -- physics ------------------------------------------------------------------------
    def decoded(self) -> np.ndarray:
        """The logical state after the ideal recovery: undo the flip the syndrome points at.

        The syndrome is read off the state (both parities are definite for a code state
        with bit flips); the recovery applies the X it points at and projects onto
        ``|000>``, ``|111>``.
        """
        s12, s23 = (
            float(np.vdot(self.psi, P[1] @ self.psi).real) > 0.5
            for P in self._projectors
        )
        psi = self.psi
        flip = {(True, False): 0, (True, True): 1, (False, True): 2}.get((s12, s23))
        if flip is not None:
            psi = psi[self._flip_index[flip]]
        return np.array([psi[0], psi[7]])

    def recovery_fidelity(self) -> float:
        """Fidelity of :meth:`decoded` with the initial logical state."""
        logical = self.decoded()
        return float(
            abs(np.vdot(self.logical, logical)) ** 2 / np.vdot(logical, logical).real
        )

    def code_space_fidelity(self) -> float:
        """Fidelity of the physical state with the initial code state (no decoder)."""
        return float(abs(np.vdot(self._encode(), self.psi)) ** 2)

    def _obs(self) -> int:
        return 9 * self.step_in_round + 3 * self.memory[0] + self.memory[1]

    def decode_observation(self, obs: int) -> str:
        """A readable label of an observation: ``"step 1, Z1Z2 -, Z2Z3 ?"``."""
        obs = check_int(obs, "obs", minimum=0)
        if obs >= self.observation_space.n:
            raise ValueError(f"obs must be below {self.observation_space.n}, got {obs}")
        k, m = divmod(obs, 9)
        return f"step {k}, Z1Z2 {_MEMORY[m // 3]}, Z2Z3 {_MEMORY[m % 3]}"

    def _noise(self) -> None:
        for k in range(3):  # an exact sample of the bit-flip channel on each qubit
            if self.np_random.random() < self.p:
                self.psi = self.psi[self._flip_index[k]]

    # -- Gymnasium ----------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.psi = self._encode()
        self.round, self.step_in_round = 0, 0
        self.memory = [_UNKNOWN, _UNKNOWN]
        if options and "flips" in options:
            for qubit in options["flips"]:
                qubit = check_int(qubit, "options['flips'] entries", minimum=0)
                if qubit > 2:
                    raise ValueError(f"flipped qubits must be 0, 1 or 2, got {qubit}")
                self.psi = self.psi[self._flip_index[qubit]]
        else:
            self._noise()
        return self._obs(), {"round": 0}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in {self.action_space}, got {action!r}")
        action = int(action)
        info: dict[str, Any] = {}
        if action in (1, 2):  # projective measurement, Born rule and collapse
            even, odd = self._projectors[action - 1]
            p_odd = float(np.vdot(self.psi, odd @ self.psi).real)
            outcome_odd = self.np_random.random() < p_odd
            P, prob = (odd, p_odd) if outcome_odd else (even, 1.0 - p_odd)
            self.psi = P @ self.psi / np.sqrt(prob)
            self.memory[action - 1] = _ODD if outcome_odd else _EVEN
            info["outcome"] = -1 if outcome_odd else 1
        elif action >= 3:
            qubit = action - 3
            self.psi = self.psi[self._flip_index[qubit]]
            for j, touched in enumerate(
                ((0, 1), (1, 2))
            ):  # X_q flips the parities of q
                if qubit in touched and self.memory[j] != _UNKNOWN:
                    self.memory[j] = _EVEN + _ODD - self.memory[j]
        self.step_in_round += 1
        reward, terminated, truncated = 0.0, False, False
        if self.step_in_round == self.steps_per_round:
            self.round += 1
            info["recovery_fidelity"] = self.recovery_fidelity()
            info["code_space_fidelity"] = self.code_space_fidelity()
            fid = info[
                "recovery_fidelity"
                if self.reward_kind == "decoded"
                else "code_space_fidelity"
            ]
            if fid > 0.5:
                reward = 1.0
            else:
                terminated = True
            truncated = not terminated and self.round >= self.n_rounds
            self.step_in_round = 0
            self.memory = [_UNKNOWN, _UNKNOWN]
            if not (terminated or truncated):
                self._noise()
        info["round"] = self.round
        return self._obs(), reward, terminated, truncated, info
