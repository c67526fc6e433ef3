r"""Exact diagonalization (ED): exchange fields of itinerant electrons for given classical spins.

For fixed spins the electrons are quadratic (:mod:`spinlab.electrons.hamiltonian`).  ED
diagonalizes :math:`\mathcal H\psi_n = \varepsilon_n\psi_n`, fills the levels in the chosen
ensemble (:mod:`spinlab.electrons.ensembles`) and takes the field from Hellmann-Feynman,

.. math::

    \mathbf H_i = -\partial E/\partial \mathbf S_i = J\,\mathbf m_i,\qquad
    \mathbf m_i = \mathrm{Tr}(\rho_{ii}\boldsymbol\sigma),\qquad
    \rho_{ab} = \langle c^\dagger_b c_a\rangle = \sum_n f_n\psi_n(a)\psi_n(b)^* ,

the unconstrained Cartesian derivative of the ensemble's potential E.  Cost: O(N³) per field.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._threads import eigh_threads
from ..providers import batched
from .model import ElectronModel

__all__ = ["SDModel", "ElectronicState", "FermiLevelDegeneracyWarning", "DEGENERACY_THRESHOLD"]

#: A level spacing at the Fermi level below this (in units of t1) makes T = 0 fields ill-defined.
DEGENERACY_THRESHOLD = 1e-10


class FermiLevelDegeneracyWarning(UserWarning):
    """The Fermi level of a T = 0 calculation lies inside a degenerate shell."""


@dataclass(frozen=True, repr=False)
class ElectronicState:
    """Everything one diagonalization gives for one spin configuration.

    Attributes
    ----------
    energy : float
        The thermodynamic potential whose negative gradient is ``field``.
    field : (N, 3) array
        Exchange field :math:`\\mathbf H_i = J \\mathbf m_i`.
    density : (N,) array
        :math:`n_i = \\mathrm{Tr}\\,\\rho_{ii}`.
    spin_density : (N, 3) array
        :math:`\\mathbf m_i = \\mathrm{Tr}(\\rho_{ii}\\boldsymbol\\sigma)`.
    eigenvalues, occupations : (2N,) arrays
    mu : float
        Chemical potential (mid-gap between the highest occupied and lowest empty
        level in the canonical ensemble).
    gap : float
        Level spacing at the Fermi level.
    """

    energy: float
    field: np.ndarray
    density: np.ndarray
    spin_density: np.ndarray
    eigenvalues: np.ndarray
    occupations: np.ndarray
    mu: float
    gap: float

    def __repr__(self) -> str:
        return (f"ElectronicState(N={len(self.density)}, energy={self.energy:.6g}, mu={self.mu:.4g}, "
                f"gap={self.gap:.3g}, electrons={self.occupations.sum():.6g})")


class SDModel(ElectronModel):
    r"""s-d / Kondo-lattice / double-exchange model on a lattice, solved by exact diagonalization.

    Built once (a bond list, memory O(N)), then evaluated as a pure function of the spins.
    A conservative field provider (:mod:`spinlab.providers`).

    Parameters
    ----------
    lattice : Lattice
        :class:`~spinlab.lattice.TriangularLattice`, :class:`~spinlab.lattice.SquareLattice`
        or :class:`~spinlab.lattice.Strip`.
    J : float
        Exchange (Hund / s-d) coupling; its sign is irrelevant for classical spins.
    t1, t3 : float
        Nearest- and third-neighbour hopping (third neighbours: distance 2 along the
        bond directions).
    filling : float, optional
        :math:`f = N_e / (2N)`; :math:`2Nf` must be an integer.
    n_electrons : int, optional
        :math:`N_e`, as an alternative to ``filling``.
    mu : float, optional
        Chemical potential: grand-canonical ensemble.
    kT_el : float
        Electronic temperature (not the spin bath's).  With ``filling`` or
        ``n_electrons`` and ``kT_el > 0`` the ensemble is quasi-canonical.

    Examples
    --------
    >>> from spinlab.lattice import TriangularLattice
    >>> from spinlab.spins import three_sublattice
    >>> lat = TriangularLattice(6)
    >>> model = SDModel(lat, J=4.0, filling=0.5)
    >>> round(model.solve(three_sublattice(lat)).gap, 3)
    4.0
    """

    solver = "exact diagonalization"

    def hamiltonian(self, spins) -> np.ndarray:
        """Dense single-particle matrix :math:`\\mathcal H` (2N x 2N), basis index ``2 i + s``."""
        return self.hamiltonian_.dense(spins)

    def spectrum(self, spins) -> np.ndarray:
        """Single-particle energies, ascending (2N,)."""
        H = self.hamiltonian(spins)
        with eigh_threads(len(H)):
            return np.linalg.eigvalsh(H)

    def solve(self, spins) -> ElectronicState:
        """Diagonalize once and return energy, field, densities and spectrum.

        Warns with :class:`FermiLevelDegeneracyWarning` when a T = 0 Fermi level
        falls inside a degenerate shell (level spacing below
        :data:`DEGENERACY_THRESHOLD`): the field is then ill-defined; use a
        small ``kT_el`` (0.003-0.01).
        """
        H = self.hamiltonian(spins)
        with eigh_threads(len(H)):
            eps, V = np.linalg.eigh(H)
        f, mu, gap, energy = self.ensemble_.occupations(eps)
        if self.kT_el == 0 and gap < DEGENERACY_THRESHOLD:
            warnings.warn(
                f"the Fermi level lies in a degenerate shell (level spacing {gap:.2e} < {DEGENERACY_THRESHOLD:g}): "
                "the T = 0 exchange field is ill-defined; use a small kT_el such as 0.005",
                FermiLevelDegeneracyWarning, stacklevel=2)
        occupied = f > 1e-17  # empty levels contribute nothing; skipping them halves the work at T = 0
        Vf, fo = V[:, occupied], f[occupied]
        up, dn = Vf[0::2], Vf[1::2]
        rho_uu = (up.real**2 + up.imag**2) @ fo
        rho_dd = (dn.real**2 + dn.imag**2) @ fo
        rho_ud = (up * dn.conj()) @ fo  # <c+_dn c_up>
        m = np.stack([2 * rho_ud.real, -2 * rho_ud.imag, rho_uu - rho_dd], axis=1)
        return ElectronicState(energy=energy, field=self.J * m, density=rho_uu + rho_dd, spin_density=m,
                               eigenvalues=eps, occupations=f, mu=float(mu), gap=float(gap))

    @batched
    def energy(self, spins):
        """The thermodynamic potential E (see :mod:`spinlab.electrons.ensembles`); batches accepted."""
        return self.ensemble_.occupations(self.spectrum(spins))[3]

    def fermi_gap(self, spins) -> float:
        """Level spacing at the Fermi level."""
        return self.ensemble_.occupations(self.spectrum(spins))[2]
