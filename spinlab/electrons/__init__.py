"""Itinerant electrons coupled to classical spins: one Hamiltonian, shared ensembles, several solvers.

* :mod:`~spinlab.electrons.hamiltonian` — :math:`\\mathcal H(\\mathbf S)` from the lattice's bonds
  (memory O(N); dense or sparse on demand);
* :mod:`~spinlab.electrons.ensembles` — canonical, quasi-canonical and grand-canonical filling;
* :mod:`~spinlab.electrons.ed` — exact diagonalization, :class:`SDModel` (a field provider);
* :mod:`~spinlab.electrons.kpm` — the kernel polynomial method, :class:`KPMModel` (linear in N);
* :mod:`~spinlab.electrons.negf` — a strip between wide-band leads under bias, :class:`NEGFModel`
  (nonequilibrium Green's functions; a nonconservative provider);
* :mod:`~spinlab.electrons.locality` — how far a field reaches.

Further solvers (nonequilibrium Green's functions) live beside ``ed`` and ``kpm`` and take the
same Hamiltonian and ensemble (:class:`~spinlab.electrons.model.ElectronModel`).
"""

from .ed import DEGENERACY_THRESHOLD, ElectronicState, FermiLevelDegeneracyWarning, SDModel
from .ensembles import Ensemble, fermi
from .hamiltonian import SpinFermionHamiltonian
from .kpm import KPMModel, probe_colouring
from .locality import far_torque_changes, field_locality
from .negf import BoundStateError, NEGFModel, NEGFState

__all__ = ["SDModel", "ElectronicState", "FermiLevelDegeneracyWarning", "DEGENERACY_THRESHOLD", "Ensemble",
           "fermi", "SpinFermionHamiltonian", "field_locality", "far_torque_changes", "KPMModel", "probe_colouring",
           "NEGFModel", "NEGFState", "BoundStateError"]
