"""Worked solutions for chapter 4, *Behler–Parrinello networks* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np

from spinlab.descriptors import SymmetricDescriptor
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import TriangularLattice
from spinlab.mlp import MLP
from spinlab.spins import three_sublattice


def field_reach():
    r"""Exercise 1: how far a BP field with :math:`r_c = 3` reaches.

    :math:`\mathbf H_i = -\sum_j\partial\varepsilon(G_j)/\partial\mathbf S_i`: only sites j
    within :math:`r_c` of i contribute, and each :math:`G_j` depends on the spins within
    :math:`r_c` of j.  A spin k therefore changes the field on i only if some j lies within
    :math:`r_c` of both, i.e. :math:`|\mathbf r_i - \mathbf r_k| \le 2r_c = 6`.  Beyond that the
    field is exactly unchanged (the chapter shows this for :math:`r_c = 2`: reach 4).
    """
    return 2 * 3.0


def parameter_count():
    r"""Exercise 2: trainable parameters of ``BPModel(SymmetricDescriptor("triangular", 2.0), hidden=(16, 16))``.

    Layers 159 → 16 → 16 → 1, each with a weight matrix and a bias vector:
    :math:`(159\cdot16 + 16) + (16\cdot16 + 16) + (16\cdot1 + 1) = 2560 + 272 + 17 = 2849`.
    Counted here from spinlab's own network class.
    """
    n = SymmetricDescriptor("triangular", cutoff=2.0).n_features
    count = 0
    for a, b in zip((n, 16, 16), (16, 16, 1)):
        count += a * b + b
    assert count == sum(p.size for p in MLP((n, 16, 16, 1)).params)
    return count


def j1j2_energy():
    r"""Exercise 3: :math:`E/N` of the ideal 120° state for :math:`J_1 = 1`, :math:`J_2 = 0.3`.

    Per site there are three first-neighbour bonds (six neighbours, each bond shared by two
    sites) with :math:`\mathbf S_i\cdot\mathbf S_j = \cos 120° = -1/2`, and three
    second-neighbour bonds (at :math:`\sqrt3`), which join sites of the same sublattice:
    :math:`\mathbf S_i\cdot\mathbf S_j = 1`.  So
    :math:`E/N = 3J_1(-1/2) + 3J_2 = -1.5 + 0.9 = -0.6`.  Checked with ``HeisenbergModel``.
    """
    value = 3 * 1.0 * (-0.5) + 3 * 0.3 * 1.0
    lattice = TriangularLattice(12)
    energy = HeisenbergModel(lattice, J1=1.0, J2=0.3).energy(three_sublattice(lattice)) / lattice.n_sites
    assert abs(energy - value) < 1e-12
    return value


SOLUTIONS = {"field-reach": field_reach, "parameter-count": parameter_count, "j1j2-energy": j1j2_energy}

MISTAKES = {
    "field-reach": [3.0, 12.0, 4.0],
    "parameter-count": [2816, 2866, 2833, 2560],
    "j1j2-energy": [-1.2, -1.95, -1.5, 0.6],
}
