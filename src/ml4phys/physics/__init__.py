"""Physical systems that the book learns from, each solved or sampled exactly where it can be.

* :mod:`~ml4phys.physics.ising`: Ising models: the exact open chain, and the periodic lattice
  with its Metropolis sampler and exact enumeration (chapters 14 and 18);
* :mod:`~ml4phys.physics.particles`: particles with a pair potential and their exact energy;
* :mod:`~ml4phys.physics.integrators`: velocity Verlet and fourth-order Runge-Kutta;
* :mod:`~ml4phys.physics.oscillators`: a chain of coupled oscillators and its normal modes;
* :mod:`~ml4phys.physics.quantum`: qubits, density matrices, unitary evolution, measurement
  with back-action and the bit-flip channel (chapter 19);
* :mod:`~ml4phys.physics.montecarlo`: autocorrelation times and thinned Ising samples over a
  temperature scan (chapter 18).

A room left for later: ``pde`` (residuals of differential equations for physics-informed
networks), added here as one module when a second chapter needs it.
"""

from ml4phys._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "ising",
        "particles",
        "integrators",
        "oscillators",
        "montecarlo",
        "quantum",
    ],
)
