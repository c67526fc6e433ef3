"""Worked solutions for chapter 5, *120-degree order* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np

from spinlab.lattice import TriangularLattice
from spinlab.observables import structure_factor
from spinlab.spins import three_sublattice


def cost_ratios():
    r"""Exercise 1: how one ED field and one ML field scale from 12×12 to 96×96.

    The number of sites grows by :math:`(96/12)^2 = 64`.  ED diagonalizes a dense
    :math:`2N\times2N` matrix at a cost :math:`\propto N^3`: a factor :math:`64^3 = 262144`.
    The BP field costs a fixed amount per site: a factor 64.
    """
    ratio = (96 / 12) ** 2
    return (ratio**3, ratio)


def two_domains():
    r"""Exercise 2: :math:`S(K)` when the half :math:`n_1 \ge 6` of a 12×12 120° state is reversed.

    For the 120° state :math:`\mathbf S_i e^{-iK\cdot r_i} = \mathbf c + \mathbf c^* e^{-2iK\cdot r_i}`
    with a constant vector :math:`\mathbf c`; the second term averages to zero over any block of
    full periods.  Each half (6 × 12 sites, whole periods of the three sublattices) contributes
    :math:`\pm (N/2)\,\mathbf c`: the amplitudes cancel, and :math:`S(K) = 0` exactly.  Both halves
    are perfect ground states; the weight moves to wave vectors near K, set by the domain size.
    """
    lattice = TriangularLattice(12)
    spins = three_sublattice(lattice)
    spins[lattice.coords[:, 0] >= 6] *= -1
    value = structure_factor(lattice, spins)[lattice.q_index(lattice.high_symmetry_points["K"])]
    assert abs(value) < 1e-12
    return 0.0


def umbrella():
    r"""Exercise 3: :math:`S(K)` of the 120° state canted by θ = 30° towards ẑ.

    :math:`\mathbf S_i = \cos\theta\,\mathbf S^{120}_i + \sin\theta\,\hat z`.  The uniform part
    contributes only at Γ, where :math:`S(\Gamma) = \sin^2\theta`.  The in-plane part is the 120°
    state scaled by cos θ, and S(q) is quadratic in the spins:
    :math:`S(K) = S(K') = \cos^2\theta/2 = 3/8`.  Sum rule: :math:`\sin^2\theta + \cos^2\theta = 1`.
    """
    theta = np.radians(30.0)
    value = np.cos(theta) ** 2 / 2
    lattice = TriangularLattice(12)
    spins = np.cos(theta) * three_sublattice(lattice) + np.sin(theta) * np.array([0.0, 0.0, 1.0])
    sq = structure_factor(lattice, spins)
    assert abs(sq[lattice.q_index(lattice.high_symmetry_points["K"])] - value) < 1e-12
    assert abs(sq[lattice.q_index(lattice.high_symmetry_points["Γ"])] - np.sin(theta) ** 2) < 1e-12
    return value


SOLUTIONS = {"cost-ratios": cost_ratios, "two-domains": two_domains, "umbrella": umbrella}

MISTAKES = {
    "cost-ratios": [(512.0, 8.0), (64.0, 64.0), (4096.0, 64.0), (262144.0, 1.0)],
    "two-domains": [0.5, 0.25, 0.125],
    "umbrella": [0.5 * np.cos(np.radians(30)), 0.5, 0.75, 0.125],
}
