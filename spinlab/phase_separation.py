r"""Phase separation of the lightly hole-doped double-exchange magnet (physics.md §2.2; Figs. 9-10).

Quenched from random spins, the square-lattice double-exchange model at J_H = 6 and 3 % holes does not
reach Néel order: the holes gather in ferromagnetic (FM) clusters, where they can move, inside an
antiferromagnetic (AF) background, where they cannot, and the clusters freeze.  The observables here
describe that texture:

* the bond correlation :math:`S_i\cdot S_j` of every nearest-neighbour bond (+1 FM, -1 AF), its mean
  (the NN correlation) and the fraction of FM bonds (:math:`S_i\cdot S_j > 0`);
* FM clusters: connected sets of sites whose local correlation
  :math:`C_i = \frac1{z}\sum_{j\in nn(i)} S_i\cdot S_j` is positive, counted from ``min_size`` sites;
* the hole density :math:`h_i = 1 - n_i` from an electron solver (n_i: electrons on site i, so h_i = 0
  in the filled lower Hund band of an AF insulator), and the hole-rich fraction of sites.

:func:`fm_droplet` builds the comparison state of complete phase separation: one FM disc in a Néel
background.

>>> from spinlab.lattice import SquareLattice
>>> from spinlab.spins import neel
>>> lattice = SquareLattice(8)
>>> fm_bond_fraction(lattice, neel(lattice)), len(fm_clusters(lattice, neel(lattice)))
(0.0, 0)
>>> fm_clusters(lattice, fm_droplet(lattice, radius=1.5))  # a 3 x 3 disc: its corners have C_i = 0
array([5])
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .lattice import Lattice
from .observables import cluster_sizes, label_clusters, local_correlation, nearest_neighbor_correlation
from .spins import neel

__all__ = ["bond_correlations", "fm_bond_fraction", "fm_clusters", "phase_separation_observables",
           "hole_density", "hole_rich_fraction", "fm_hole_density", "fm_droplet", "HOLE_RICH"]

#: A site is hole-rich when h_i = 1 - n_i exceeds this: twice the mean hole density at f = 0.485.
HOLE_RICH = 0.06


def bond_correlations(lattice: Lattice, spins) -> tuple[np.ndarray, np.ndarray]:
    """``(bonds, S_i·S_j)``: the nearest-neighbour bonds (B, 2) and the correlation on each (B,)."""
    bonds = lattice.bonds(1)
    spins = np.asarray(spins, float)
    return bonds, np.einsum("bk,bk->b", spins[bonds[:, 0]], spins[bonds[:, 1]])


def fm_bond_fraction(lattice: Lattice, spins) -> float:
    """Share of nearest-neighbour bonds with S_i·S_j > 0 (0 for Néel order, 1 for a ferromagnet)."""
    return float(np.mean(bond_correlations(lattice, spins)[1] > 0))


def fm_clusters(lattice: Lattice, spins, min_size: int = 2) -> np.ndarray:
    """Sizes (largest first) of the FM clusters: connected sites with C_i > 0, at least ``min_size`` of them.

    A lone site with C_i > 0 is a fluctuation, not a cluster, hence the default ``min_size`` of 2.
    """
    labels, _ = label_clusters(lattice, local_correlation(lattice, spins) > 0)
    sizes = cluster_sizes(labels)
    return sizes[sizes >= min_size]


def phase_separation_observables(lattice: Lattice) -> dict:
    """Observables of a quench for :func:`spinlab.trajectory.run`: the NN correlation, the FM-bond
    fraction, and the number and mean size of the FM clusters (0 when there are none)."""
    def mean_size(spins):
        sizes = fm_clusters(lattice, spins)
        return float(sizes.mean()) if len(sizes) else 0.0

    return {"nn_correlation": lambda s: nearest_neighbor_correlation(lattice, s),
            "fm_bond_fraction": lambda s: fm_bond_fraction(lattice, s),
            "fm_cluster_count": lambda s: float(len(fm_clusters(lattice, s))),
            "fm_cluster_mean_size": mean_size}


def hole_density(solver, spins) -> np.ndarray:
    """h_i = 1 - n_i from an electron solver's ``solve(spins).density`` (ED or KPM), (N,).

    In the strong-coupling limit the lower Hund band holds one electron per site, so h_i counts the
    holes doped into it; the mean of h_i is 1 - 2f (0.03 at f = 0.485) when the solver is canonical.
    """
    return 1.0 - np.asarray(solver.solve(spins).density, float)


def hole_rich_fraction(holes, threshold: float = HOLE_RICH) -> float:
    """Share of sites whose hole density exceeds ``threshold``."""
    return float(np.mean(np.asarray(holes) > threshold))


def fm_hole_density(mu: float, J: float = 6.0, kT: float = 0.0, n_k: int = 400) -> float:
    r"""Holes per site of a uniform ferromagnet at chemical potential μ (square lattice, t = 1).

    The majority band of the FM state is :math:`\varepsilon_k - J`, :math:`\varepsilon_k = -2(\cos k_x + \cos k_y)`;
    it holds 1 - h electrons per site at μ (the minority band, 2J higher, stays empty):
    :math:`h = \langle 1 - f(\varepsilon_k - J - \mu)\rangle_k` over the momenta
    :math:`k = 2\pi n / n_k` of an ``n_k`` x ``n_k`` torus (exact there; the bulk for large ``n_k``).

    >>> fm_hole_density(-1.0), fm_hole_density(-11.0)  # above the band top -2, below the bottom -10
    (0.0, 1.0)
    """
    k = 2 * np.pi * np.arange(n_k) / n_k
    band = -2 * (np.cos(k)[:, None] + np.cos(k)[None, :]) - J
    if kT == 0:
        return float(np.mean(band > mu))
    return float(np.mean(1 - expit(-(band - mu) / kT)))


def fm_droplet(lattice: Lattice, radius: float) -> np.ndarray:
    """Néel order with one FM disc: spins up within ``radius`` of the middle site (periodic distances).

    The state of complete phase separation at the same filling, to be relaxed and compared with
    the arrested texture of a quench.
    """
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius}")
    spins = neel(lattice)
    sizes = np.array([lattice.L1, lattice.L2])
    offsets = lattice.coords - sizes // 2
    offsets = np.where(lattice.periodic, (offsets + sizes // 2) % sizes - sizes // 2, offsets)
    spins[np.hypot(*lattice.offset_vector(offsets).T) <= radius + 1e-9] = (0.0, 0.0, 1.0)
    return spins
