r"""The single-particle Hamiltonian of electrons hopping among classical spins, built once from the bonds.

.. math::

    \hat H = -\sum_{\langle ij\rangle,\alpha} t_{ij}\,(c^\dagger_{i\alpha} c_{j\alpha} + \mathrm{h.c.})
             - J \sum_i \mathbf S_i \cdot c^\dagger_{i\alpha}\boldsymbol\sigma_{\alpha\beta} c_{i\beta}
    = \sum_{ab} c^\dagger_a \mathcal H_{ab}(\mathbf S)\, c_b ,

with Pauli matrices :math:`\boldsymbol\sigma` (no factor 1/2), each bond counted once,
:math:`t_{ij} = t_1` on nearest and :math:`t_3` on third neighbours, and the composite
index ``a = 2 i + s`` (s = 0 up, 1 down).  The on-site blocks are
:math:`-J\,\mathbf S_i\cdot\boldsymbol\sigma
= -J\begin{pmatrix} S^z & S^x - iS^y\\ S^x + iS^y & -S^z\end{pmatrix}`.

Only the bond list is stored (memory O(N)); solvers ask for the matrix in the form they
need: dense for exact diagonalization, sparse (CSR) for the kernel polynomial method.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..lattice import Lattice
from ..spins import as_spins

__all__ = ["SpinFermionHamiltonian"]


class SpinFermionHamiltonian:
    """:math:`\\mathcal H(\\mathbf S)` of the s-d / double-exchange model on a lattice.

    Parameters
    ----------
    lattice : Lattice
    J : float
        Exchange (Hund / s-d) coupling.
    t1, t3 : float
        Nearest- and third-neighbour hopping.

    Attributes
    ----------
    bonds : (B, 2) int array
        Each bond once, nearest then third neighbours.
    hoppings : (B,) float array
        :math:`t_{ij}` of each bond.

    Examples
    --------
    >>> from spinlab.lattice import SquareLattice
    >>> h = SpinFermionHamiltonian(SquareLattice(100), J=6.0)
    >>> h.dimension, h.bonds.nbytes  # a 20000 x 20000 matrix, stored as its 20000 bonds
    (20000, 320000)
    """

    def __init__(self, lattice: Lattice, J: float, t1: float = 1.0, t3: float = 0.0):
        if not isinstance(lattice, Lattice):
            raise TypeError(f"lattice must be a spinlab Lattice, got {type(lattice).__name__}")
        for name, value in (("J", J), ("t1", t1), ("t3", t3)):
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
        self.lattice, self.J, self.t1, self.t3 = lattice, float(J), float(t1), float(t3)
        self.n_sites = lattice.n_sites
        bonds, hoppings = [], []
        for shell, t in ((1, self.t1), (3, self.t3)):
            if t != 0.0:
                b = lattice.bonds(shell)
                bonds.append(b)
                hoppings.append(np.full(len(b), t))
        self.bonds = np.concatenate(bonds) if bonds else np.zeros((0, 2), dtype=np.int64)
        self.hoppings = np.concatenate(hoppings) if hoppings else np.zeros(0)

    @property
    def dimension(self) -> int:
        """2N: sites times spin."""
        return 2 * self.n_sites

    def __repr__(self) -> str:
        return f"SpinFermionHamiltonian({self.lattice!r}, J={self.J}, t1={self.t1}, t3={self.t3})"

    def _entries(self, spins):
        """Row, column and value arrays of all non-zero entries (duplicates summed by the consumer)."""
        s = as_spins(spins, self.n_sites)
        i, j = self.bonds.T
        hop_rows, hop_cols = np.concatenate([i, j]), np.concatenate([j, i])
        hop = -np.concatenate([self.hoppings, self.hoppings]).astype(complex)
        up = 2 * np.arange(self.n_sites)
        sx, sy, sz = -self.J * s.T
        rows = np.concatenate([2 * hop_rows, 2 * hop_rows + 1, up, up + 1, up, up + 1])
        cols = np.concatenate([2 * hop_cols, 2 * hop_cols + 1, up, up + 1, up + 1, up])
        values = np.concatenate([hop, hop, sz, -sz, sx - 1j * sy, sx + 1j * sy])
        return rows, cols, values

    def dense(self, spins) -> np.ndarray:
        """The dense complex matrix (2N, 2N), for exact diagonalization."""
        rows, cols, values = self._entries(spins)
        H = np.zeros((self.dimension, self.dimension), dtype=np.complex128)
        np.add.at(H, (rows, cols), values)
        return H

    def sparse(self, spins) -> sp.csr_matrix:
        """The sparse complex matrix (2N, 2N) in CSR form (duplicates summed)."""
        rows, cols, values = self._entries(spins)
        return sp.csr_matrix((values, (rows, cols)), shape=(self.dimension, self.dimension))

    def neighbor_table(self) -> tuple[np.ndarray, np.ndarray]:
        r"""Hopping as a padded table: neighbours (N, z) (-1 where a site has fewer) and -t of each entry.

        :math:`(\mathcal H\psi)_{is} = \sum_k h_{ik}\,\psi_{j_{ik}s} + (-J\mathbf S_i\cdot\boldsymbol\sigma\,\psi_i)_s`,
        the form the Chebyshev recursion of :mod:`spinlab.electrons.kpm` applies.
        """
        i, j = self.bonds.T
        rows, cols = np.concatenate([i, j]), np.concatenate([j, i])
        values = -np.concatenate([self.hoppings, self.hoppings])
        order = np.argsort(rows, kind="stable")
        rows, cols, values = rows[order], cols[order], values[order]
        counts = np.bincount(rows, minlength=self.n_sites)
        z = int(counts.max(initial=0))
        slot = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        neighbors = np.full((self.n_sites, z), -1, dtype=np.int64)
        hoppings = np.zeros((self.n_sites, z))
        neighbors[rows, slot], hoppings[rows, slot] = cols, values
        return neighbors, hoppings

    def onsite_blocks(self, spins) -> np.ndarray:
        r"""The on-site 2x2 blocks :math:`-J\,\mathbf S_i\cdot\boldsymbol\sigma`, shape (N, 2, 2)."""
        s = as_spins(spins, self.n_sites)
        sx, sy, sz = -self.J * s.T
        blocks = np.empty((self.n_sites, 2, 2), dtype=np.complex128)
        blocks[:, 0, 0], blocks[:, 1, 1] = sz, -sz
        blocks[:, 0, 1], blocks[:, 1, 0] = sx - 1j * sy, sx + 1j * sy
        return blocks

    def bound(self) -> float:
        """A spin-independent bound on the spectrum, :math:`\\max_a \\sum_b |\\mathcal H_{ab}|` (Gershgorin).

        On-site blocks contribute :math:`|J|(|S^z| + |S^x - iS^y|) \\le \\sqrt2\\,|J|` for unit spins.
        """
        degree = np.zeros(self.n_sites)
        np.add.at(degree, self.bonds[:, 0], np.abs(self.hoppings))
        np.add.at(degree, self.bonds[:, 1], np.abs(self.hoppings))
        return float(degree.max(initial=0.0) + np.sqrt(2) * abs(self.J))
