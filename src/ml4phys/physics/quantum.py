"""Qubits: state vectors, density matrices, unitary evolution, measurement and noise.

Everything is exact linear algebra on small Hilbert spaces (a few qubits), for chapter 19.
Qubit ``k`` of an ``n``-qubit register is the ``k``-th factor of the Kronecker product, so
basis state ``|b_0 b_1 ... b_{n-1}>`` has index ``sum_k b_k 2^(n-1-k)`` (qubit 0 is the most
significant bit, as in Nielsen & Chuang).

* Pauli matrices :data:`IDENTITY`, :data:`SIGMA_X`, :data:`SIGMA_Y`, :data:`SIGMA_Z`;
* :func:`ket`, :func:`kron`, :func:`on_qubit`: basis states and operators on a register;
* :func:`density_matrix`, :func:`fidelity`, :func:`expectation`;
* :func:`evolve`: ``exp(-i H t)`` applied to a state vector or a density matrix;
* :func:`measure`: a projective measurement with its random outcome and back-action;
* :func:`bit_flip_channel`: ``rho -> (1 - p) rho + p X_k rho X_k``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ml4phys._validation import check_int, check_nonnegative, check_real, check_rng

__all__ = [
    "IDENTITY",
    "SIGMA_X",
    "SIGMA_Y",
    "SIGMA_Z",
    "ket",
    "kron",
    "on_qubit",
    "density_matrix",
    "fidelity",
    "expectation",
    "evolve",
    "measure",
    "bit_flip_channel",
]

IDENTITY = np.eye(2, dtype=complex)
SIGMA_X = np.array([[0, 1], [1, 0]], dtype=complex)
SIGMA_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
SIGMA_Z = np.array([[1, 0], [0, -1]], dtype=complex)

_ATOL = 1e-8


# -- validation (private) ------------------------------------------------------------------
def _as_complex(value: Any, name: str) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            f"{name} must be an array of numbers, got {type(value).__name__}"
        )
    a = np.asarray(value)
    if not np.issubdtype(a.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    a = a.astype(complex)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _n_qubits(dim: int, name: str) -> int:
    n = int(round(np.log2(dim))) if dim > 0 else -1
    if n < 1 or 2**n != dim:
        raise ValueError(f"{name} must have dimension 2**n (n >= 1 qubits), got {dim}")
    return n


def _check_state(psi: Any, name: str = "psi") -> np.ndarray:
    psi = _as_complex(psi, name)
    if psi.ndim != 1:
        raise ValueError(f"{name} must be a state vector (1-d), got shape {psi.shape}")
    _n_qubits(psi.size, name)
    norm = np.linalg.norm(psi)
    if abs(norm - 1) > 1e-6:
        raise ValueError(f"{name} must be normalised, got norm {norm:.6g}")
    return psi


def _check_square(a: Any, name: str, dim: int | None = None) -> np.ndarray:
    a = _as_complex(a, name)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {a.shape}")
    _n_qubits(a.shape[0], name)
    if dim is not None and a.shape[0] != dim:
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {a.shape}")
    return a


def _check_hermitian(a: Any, name: str, dim: int | None = None) -> np.ndarray:
    a = _check_square(a, name, dim)
    if not np.allclose(a, a.conj().T, atol=_ATOL):
        raise ValueError(f"{name} must be Hermitian (equal to its conjugate transpose)")
    return a


def _check_density(rho: Any, name: str = "rho") -> np.ndarray:
    rho = _check_hermitian(rho, name)
    trace = np.trace(rho).real
    if abs(trace - 1) > 1e-6:
        raise ValueError(f"{name} must have trace 1, got {trace:.6g}")
    if np.linalg.eigvalsh(rho).min() < -1e-8:
        raise ValueError(f"{name} must be positive semi-definite")
    return rho


def _check_state_or_density(x: Any, name: str) -> np.ndarray:
    a = _as_complex(x, name)
    if a.ndim == 1:
        return _check_state(a, name)
    if a.ndim == 2:
        return _check_density(a, name)
    raise ValueError(
        f"{name} must be a state vector (1-d) or a density matrix (2-d), got {a.shape}"
    )


# -- states and operators --------------------------------------------------------------------
def ket(bits: str | Sequence[int]) -> np.ndarray:
    """The computational basis state ``|b_0 b_1 ...>``, for example ``ket("01")``.

    Args:
        bits: a string of ``0`` and ``1`` or a sequence of 0/1 integers, one per qubit.

    Returns:
        The state vector, shape ``(2 ** n,)``, complex.
    """
    if isinstance(bits, str):
        if not bits or set(bits) - {"0", "1"}:
            raise ValueError(
                f"bits must be a non-empty string of 0 and 1, got {bits!r}"
            )
        values = [int(b) for b in bits]
    else:
        if not isinstance(bits, Sequence) or len(bits) == 0:
            raise TypeError(f"bits must be a string or a sequence of 0/1, got {bits!r}")
        values = []
        for b in bits:
            if (
                isinstance(b, bool)
                or not isinstance(b, (int, np.integer))
                or b not in (0, 1)
            ):
                raise ValueError(f"bits must hold only 0 and 1, got {bits!r}")
            values.append(int(b))
    n = len(values)
    psi = np.zeros(2**n, dtype=complex)
    psi[int("".join(map(str, values)), 2)] = 1.0
    return psi


def kron(*factors: Any) -> np.ndarray:
    """The Kronecker product of vectors or matrices, in order: ``kron(a, b, c)``."""
    if not factors:
        raise ValueError("kron needs at least one factor")
    out = _as_complex(factors[0], "factors[0]")
    for k, f in enumerate(factors[1:], start=1):
        f = _as_complex(f, f"factors[{k}]")
        if f.ndim != out.ndim or f.ndim not in (1, 2):
            raise ValueError("kron factors must all be vectors or all be matrices")
        out = np.kron(out, f)
    return out


def on_qubit(op: Any, qubit: int, n_qubits: int) -> np.ndarray:
    """The single-qubit operator ``op`` acting on qubit ``qubit`` of ``n_qubits``.

    Returns ``I x ... x op x ... x I``, shape ``(2 ** n_qubits, 2 ** n_qubits)``.
    """
    op = _check_square(op, "op", dim=2)
    n_qubits = check_int(n_qubits, "n_qubits")
    qubit = check_int(qubit, "qubit", minimum=0)
    if qubit >= n_qubits:
        raise ValueError(f"qubit must be in [0, {n_qubits}), got {qubit}")
    factors = [IDENTITY] * n_qubits
    factors[qubit] = op
    return kron(*factors)


def density_matrix(psi: Any) -> np.ndarray:
    """The density matrix ``|psi><psi|`` of a normalised state vector."""
    psi = _check_state(psi)
    return np.outer(psi, psi.conj())


def fidelity(a: Any, b: Any) -> float:
    """The fidelity of two states, each a state vector or a density matrix.

    ``|<a|b>|^2`` for two pure states, ``<a|rho|a>`` for a pure state and a density matrix,
    and Uhlmann's ``(tr sqrt(sqrt(rho) sigma sqrt(rho)))^2`` for two density matrices.
    """
    a = _check_state_or_density(a, "a")
    b = _check_state_or_density(b, "b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"a and b must have the same dimension, got {a.shape} and {b.shape}"
        )
    if a.ndim == 1 and b.ndim == 1:
        value = abs(np.vdot(a, b)) ** 2
    elif a.ndim == 1:
        value = np.vdot(a, b @ a).real
    elif b.ndim == 1:
        value = np.vdot(b, a @ b).real
    else:
        w, v = np.linalg.eigh(a)
        root = (v * np.sqrt(np.clip(w, 0, None))) @ v.conj().T
        inner = np.linalg.eigvalsh(root @ b @ root)
        value = np.sum(np.sqrt(np.clip(inner, 0, None))) ** 2
    return float(np.clip(value, 0.0, 1.0))


def expectation(state: Any, observable: Any) -> float:
    """``<psi|A|psi>`` or ``tr(rho A)`` of a Hermitian observable ``A`` (a real number)."""
    state = _check_state_or_density(state, "state")
    A = _check_hermitian(observable, "observable", dim=state.shape[0])
    if state.ndim == 1:
        return float(np.vdot(state, A @ state).real)
    return float(np.trace(state @ A).real)


def evolve(state: Any, hamiltonian: Any, t: float) -> np.ndarray:
    """Evolve a state for time ``t`` under a constant Hamiltonian (units with hbar = 1).

    ``U = exp(-i H t)`` is computed exactly from the eigendecomposition ``H = V E V^dagger``
    as ``V exp(-i E t) V^dagger``; a state vector becomes ``U psi``, a density matrix
    ``U rho U^dagger``.
    """
    state = _check_state_or_density(state, "state")
    H = _check_hermitian(hamiltonian, "hamiltonian", dim=state.shape[0])
    t = check_real(t, "t")
    energies, V = np.linalg.eigh(H)
    U = (V * np.exp(-1j * energies * t)) @ V.conj().T
    return U @ state if state.ndim == 1 else U @ state @ U.conj().T


def _projectors_of(measurement: Any, dim: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Projectors and the outcome labels: eigenvalues of an observable, or indices."""
    if isinstance(measurement, (list, tuple)):
        if len(measurement) == 0:
            raise ValueError("the list of projectors is empty")
        projectors = []
        for k, P in enumerate(measurement):
            P = _check_hermitian(P, f"projectors[{k}]", dim=dim)
            if not np.allclose(P @ P, P, atol=1e-8):
                raise ValueError(f"projectors[{k}] is not a projector (P @ P != P)")
            projectors.append(P)
        if not np.allclose(sum(projectors), np.eye(dim), atol=1e-8):
            raise ValueError("the projectors must sum to the identity")
        return projectors, np.arange(len(projectors))
    A = _check_hermitian(measurement, "observable", dim=dim)
    energies, V = np.linalg.eigh(A)
    labels, projectors = [], []
    for value in energies:  # group (nearly) degenerate eigenvalues into one projector
        if labels and abs(value - labels[-1]) < 1e-8:
            continue
        cols = V[:, np.abs(energies - value) < 1e-8]
        labels.append(float(value))
        projectors.append(cols @ cols.conj().T)
    return projectors, np.array(labels)


def measure(
    state: Any, measurement: Any, rng: np.random.Generator
) -> tuple[float | int, np.ndarray]:
    """A projective measurement: a random outcome (Born rule) and the state after it.

    Args:
        state: a state vector or a density matrix.
        measurement: a Hermitian observable (the outcome is one of its eigenvalues) or a list
            of orthogonal projectors that sum to the identity (the outcome is an index).
        rng: the generator that draws the outcome.

    Returns:
        ``(outcome, post_state)``: with projector ``P`` of the outcome, drawn with
        probability ``p = <psi|P|psi>`` (or ``tr(P rho)``), the state collapses to
        ``P psi / sqrt(p)`` (or ``P rho P / p``).
    """
    state = _check_state_or_density(state, "state")
    projectors, labels = _projectors_of(measurement, state.shape[0])
    rng = check_rng(rng)
    if state.ndim == 1:
        probs = np.array([np.vdot(state, P @ state).real for P in projectors])
    else:
        probs = np.array([np.trace(P @ state).real for P in projectors])
    probs = np.clip(probs, 0, None)
    k = int(rng.choice(len(probs), p=probs / probs.sum()))
    P = projectors[k]
    if state.ndim == 1:
        post = P @ state / np.sqrt(probs[k])
    else:
        post = P @ state @ P / probs[k]
    outcome = labels[k].item()
    return outcome, post


def bit_flip_channel(rho: Any, p: float, qubit: int) -> np.ndarray:
    """The bit-flip channel on one qubit: ``rho -> (1 - p) rho + p X_k rho X_k``.

    Args:
        rho: a density matrix of ``n`` qubits, shape ``(2 ** n, 2 ** n)``.
        p: the flip probability, in ``[0, 1]``.
        qubit: which qubit ``k`` may flip, ``0 <= k < n``.
    """
    rho = _check_density(rho)
    p = check_nonnegative(p, "p")
    if p > 1:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    X = on_qubit(SIGMA_X, qubit, _n_qubits(rho.shape[0], "rho"))
    return (1 - p) * rho + p * X @ rho @ X
