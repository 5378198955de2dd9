"""Physical systems that the book learns from, each solved or sampled exactly where it can be.

* :mod:`~ml4phys.physics.ising`: Ising models (the exact open chain now; lattice Monte Carlo
  with Part III, for the Boltzmann machines of chapter 14 and the phases of chapter 18);
* :mod:`~ml4phys.physics.particles`: particles with a pair potential and their exact energy;
* :mod:`~ml4phys.physics.integrators`: velocity Verlet and fourth-order Runge-Kutta;
* :mod:`~ml4phys.physics.oscillators`: a chain of coupled oscillators and its normal modes.

Rooms for the later parts: ``pde`` (residuals of differential equations for physics-informed
networks), ``spin_chains`` (the environments' physics of chapter 17) and ``quantum`` (state
vectors, density matrices and measurement for chapter 19) are added here, one module each.
"""

from ml4phys._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__, submodules=["ising", "particles", "integrators", "oscillators"]
)
