r"""Classical Heisenberg model: a fast, exactly known field provider for tests, benchmarks and teaching.

.. math::

    E = \sum_{n=1}^{3} J_n \sum_{\langle ij\rangle_n} \mathbf S_i\cdot\mathbf S_j
        - \mathbf B\cdot\sum_i \mathbf S_i - K\sum_i (\mathbf S_i\cdot\hat{\mathbf e})^2,

with :math:`\langle ij\rangle_n` the bonds of neighbour shell n (third neighbours:
distance 2 along the bond directions on both lattices), each counted once.
:math:`J_n > 0` is antiferromagnetic, :math:`K > 0` an easy axis along
:math:`\hat{\mathbf e}`.  The exchange field is

.. math::

    \mathbf H_i = -\frac{\partial E}{\partial\mathbf S_i}
      = -\sum_n J_n \sum_{j\in\mathcal N_n(i)} \mathbf S_j + \mathbf B
        + 2K(\mathbf S_i\cdot\hat{\mathbf e})\,\hat{\mathbf e}.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._numba import site_kernel
from .lattice import Lattice
from .providers import batched
from .spins import SPIN_NORM_TOLERANCE, as_spins

__all__ = ["HeisenbergModel"]


@site_kernel
def _heisenberg_field(spins, neighbors, couplings, zeeman, anisotropy, axis, norm_limit, out):
    """Fill ``out`` with H; return the number of sites with | |S_i|^2 - 1 | > norm_limit (NaN included)."""
    n_sites, z = neighbors.shape
    bad = 0
    for i in prange(n_sites):
        sx, sy, sz = spins[i, 0], spins[i, 1], spins[i, 2]
        if not abs(sx * sx + sy * sy + sz * sz - 1.0) <= norm_limit:
            bad += 1
        hx, hy, hz = zeeman[0], zeeman[1], zeeman[2]
        for k in range(z):
            j = neighbors[i, k]
            if j >= 0:
                c = couplings[k]
                hx -= c * spins[j, 0]
                hy -= c * spins[j, 1]
                hz -= c * spins[j, 2]
        proj = 2.0 * anisotropy * (sx * axis[0] + sy * axis[1] + sz * axis[2])
        out[i, 0] = hx + proj * axis[0]
        out[i, 1] = hy + proj * axis[1]
        out[i, 2] = hz + proj * axis[2]
    return bad


class HeisenbergModel:
    """Heisenberg model with up to third-neighbour exchange, Zeeman field and easy-axis anisotropy.

    Parameters
    ----------
    lattice : Lattice
    J1, J2, J3 : float
        Exchange on neighbour shells 1-3 (positive: antiferromagnetic).
    field : (3,) array_like
        Zeeman field B (energy -B.S per spin).
    anisotropy : float
        K of the easy-axis term -K (S.e)^2.
    axis : (3,) array_like
        The anisotropy axis e (normalized).
    """

    conservative = True

    def __init__(self, lattice: Lattice, J1: float = 1.0, J2: float = 0.0, J3: float = 0.0,
                 field=(0.0, 0.0, 0.0), anisotropy: float = 0.0, axis=(0.0, 0.0, 1.0)):
        self.lattice = lattice
        self.n_sites = lattice.n_sites
        self.J = (float(J1), float(J2), float(J3))
        self.field = np.asarray(field, dtype=float).reshape(3)
        self.anisotropy = float(anisotropy)
        axis = np.asarray(axis, dtype=float).reshape(3)
        if not np.all(np.isfinite(self.J + (self.anisotropy,))) or not np.all(np.isfinite(self.field)):
            raise ValueError("couplings, field and anisotropy must be finite")
        if np.linalg.norm(axis) == 0:
            raise ValueError("the anisotropy axis must be a non-zero vector")
        self.axis = axis / np.linalg.norm(axis)
        tables, couplings = [], []
        for shell, J in enumerate(self.J, start=1):
            if J != 0.0:
                table = lattice.neighbors(shell)
                tables.append(table)
                couplings.append(np.full(table.shape[1], J))
        self._neighbors = np.ascontiguousarray(np.concatenate(tables, axis=1) if tables
                                               else np.zeros((self.n_sites, 0), dtype=np.int64))
        self._couplings = np.concatenate(couplings) if couplings else np.zeros(0)

    def __repr__(self) -> str:
        J1, J2, J3 = self.J
        return (f"HeisenbergModel({self.lattice!r}, J1={J1}, J2={J2}, J3={J3}, field={self.field.tolist()}, "
                f"anisotropy={self.anisotropy})")

    def config(self) -> dict:
        return {"provider": "HeisenbergModel", "lattice": self.lattice.config(), "J": list(self.J),
                "field": self.field.tolist(), "anisotropy": self.anisotropy, "axis": self.axis.tolist()}

    @property
    def neighbor_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Concatenated neighbour table (N, z) over the active shells, and the coupling of each column."""
        return self._neighbors, self._couplings

    def exchange_field(self, spins) -> np.ndarray:
        """H_i = -dE/dS_i, shape (N, 3) (or (B, N, 3) for a batch)."""
        if np.ndim(spins) == 3:
            return np.stack([self.exchange_field(x) for x in as_spins(spins, self.n_sites, batch=True)])
        # Integrators call this twice per step, and as_spins's norm check alone costs more than
        # the field: a float array of the right shape gets as_spins's screen |S_i|^2 - 1 inside
        # the kernel's own pass instead, and as_spins runs only to convert or to raise.
        s = spins
        if not (isinstance(s, np.ndarray) and s.dtype == np.float64 and s.shape == (self.n_sites, 3)):
            s = as_spins(spins, self.n_sites)
        out = np.empty((self.n_sites, 3))
        if _heisenberg_field(s, self._neighbors, self._couplings, self.field, self.anisotropy, self.axis,
                             2 * SPIN_NORM_TOLERANCE, out):
            as_spins(s, self.n_sites)
        return out

    @batched
    def energy(self, spins) -> float:
        """Total energy E (or (B,) for a batch)."""
        s = spins
        exchange = np.empty_like(s)
        # the exchange part alone (as_spins has checked the norms, hence no limit): bonds counted
        # twice in the neighbour sum, hence 1/2
        _heisenberg_field(s, self._neighbors, self._couplings, np.zeros(3), 0.0, self.axis, np.inf, exchange)
        return float(-0.5 * np.sum(exchange * s) - s.sum(axis=0) @ self.field
                     - self.anisotropy * np.sum((s @ self.axis) ** 2))

    def energy_and_field(self, spins):
        """(E, H) of one configuration or a batch."""
        return self.energy(spins), self.exchange_field(spins)
