"""A qubit to be steered from ``|0>`` to a target state by a short sequence of pulses.

After the state-preparation tasks of Bukov et al. (PRX 8, 031086, 2018): bang-bang control of
a single qubit with a sparse reward, the fidelity with the target at the end.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from ml4phys._validation import check_int, check_positive, check_real
from ml4phys.physics import quantum

__all__ = ["QubitControl", "bloch_state"]

CONTROLS = ("+x", "-x", "+z", "-z")
_HAMILTONIANS = {
    "+x": quantum.SIGMA_X,
    "-x": -quantum.SIGMA_X,
    "+z": quantum.SIGMA_Z,
    "-z": -quantum.SIGMA_Z,
}
_PAULIS = np.array([quantum.SIGMA_X, quantum.SIGMA_Y, quantum.SIGMA_Z])


def bloch_state(theta: float, phi: float) -> np.ndarray:
    """The pure state ``cos(theta/2)|0> + e^(i phi) sin(theta/2)|1>`` (Bloch angles)."""
    theta, phi = check_real(theta, "theta"), check_real(phi, "phi")
    return np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])


class QubitControl(gymnasium.Env):
    """Prepare a target state of one qubit with a fixed number of rotation pulses.

    **Description.** A qubit starts in ``|0>``. Each step applies one pulse of fixed
    duration ``dt``: the Hamiltonian ``H = +-Omega sigma_x`` or ``+-Omega sigma_z``
    (units with hbar = 1), which rotates the Bloch vector by the angle
    ``pulse_angle = 2 Omega dt`` about the axis ``+-x`` or ``+-z``. The evolution is exact,
    :func:`ml4phys.physics.quantum.evolve`. After ``n_steps`` pulses the episode ends and the
    agent is paid the fidelity ``|<target|psi>|^2`` with the target state.

    **Action space.** ``Discrete(4)``: the pulses ``CONTROLS = ("+x", "-x", "+z", "-z")``.

    **Observation space.** ``Discrete(n_steps + 1)``: the number of pulses applied so far.
    The dynamics are deterministic and the start is fixed, so the state after ``k`` pulses is
    a function of the actions so far, and an optimal *protocol* (a fixed action for each step
    index) is an optimal policy: the step index is all an optimal agent needs to see. The
    state vector and its Bloch vector are in ``info`` (``"psi"``, ``"bloch"``).

    **Rewards.** 0 after every pulse but the last; after the last, the fidelity with the
    target (sparse, in [0, 1]).

    **Starting state.** ``|0>`` (the north pole of the Bloch sphere), always.

    **Episode end.** Terminated after ``n_steps`` pulses.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        n_steps: int = 6,
        *,
        pulse_angle: float = np.pi / 4,
        target_theta: float = 2.2,
        target_phi: float = 1.0,
    ) -> None:
        self.n_steps = check_int(n_steps, "n_steps")
        self.pulse_angle = check_positive(pulse_angle, "pulse_angle")
        self.target = bloch_state(target_theta, target_phi)
        self.action_space = spaces.Discrete(len(CONTROLS))
        self.observation_space = spaces.Discrete(self.n_steps + 1)
        # U = exp(-i H dt) with Omega dt = pulse_angle / 2 (the rotation angle is 2 Omega dt)
        start = np.array([1.0, 0.0], dtype=complex)
        self.unitaries = np.array(
            [
                np.column_stack(
                    [
                        quantum.evolve(basis, _HAMILTONIANS[c], self.pulse_angle / 2)
                        for basis in (start, start[::-1])
                    ]
                )
                for c in CONTROLS
            ]
        )
        self.psi = start
        self.step_index = 0

    def bloch(self) -> np.ndarray:
        """The Bloch vector ``(<sigma_x>, <sigma_y>, <sigma_z>)`` of the current state."""
        return np.einsum("i,kij,j->k", self.psi.conj(), _PAULIS, self.psi).real

    def fidelity(self) -> float:
        """The fidelity ``|<target|psi>|^2`` of the current state with the target."""
        return float(abs(np.vdot(self.target, self.psi)) ** 2)

    def _info(self) -> dict[str, Any]:
        return {
            "psi": self.psi.copy(),
            "bloch": self.bloch(),
            "fidelity": self.fidelity(),
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.psi = np.array([1.0, 0.0], dtype=complex)
        self.step_index = 0
        return 0, self._info()

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in {self.action_space}, got {action!r}")
        if self.step_index >= self.n_steps:
            raise RuntimeError("the episode is over: call reset()")
        self.psi = self.unitaries[int(action)] @ self.psi
        self.step_index += 1
        terminated = self.step_index == self.n_steps
        reward = self.fidelity() if terminated else 0.0
        return self.step_index, float(reward), terminated, False, self._info()
