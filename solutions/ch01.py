"""Worked solutions for chapter 1, *Itinerant magnets and their exchange fields* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers; the test suite feeds both to the checks
of :mod:`spinlab.exercises.ch01`.
"""

import warnings

import numpy as np

from spinlab.electrons import SDModel
from spinlab.lattice import TriangularLattice
from spinlab.spins import TEXTURES, ferromagnet, random_spins, three_sublattice


def ferromagnet_field():
    r"""Exercise 1: :math:`\mathbf H_i\cdot\mathbf S_i` of the ferromagnet at J = 8, f = 1/4.

    For :math:`\mathbf S_i = \hat z` the electron spin is a good quantum number: the bands are
    :math:`\varepsilon_k - J` (majority, in [−6 − J, 3 − J]) and :math:`\varepsilon_k + J`
    (minority, in [−6 + J, 3 + J]).  For J = 8 the minority band starts at 2, far above the
    top of the majority band at −5, so all :math:`N_e = 2fN = N/2` electrons are majority
    electrons, uniformly spread: :math:`n_\uparrow - n_\downarrow = 2f = 1/2` on every site and

    .. math:: \mathbf H_i\cdot\mathbf S_i = J\,(n_\uparrow - n_\downarrow) = J\cdot 2f = 4 .

    Typical mistake: J f = 2, confusing the filling fraction (per single-particle state) with
    the electrons per site.
    """
    J, f = 8.0, 0.25
    predicted = J * 2 * f
    lattice = TriangularLattice(6)
    spins = ferromagnet(lattice)
    field = SDModel(lattice, J=J, filling=f, kT_el=0.01).exchange_field(spins)
    assert np.allclose(np.sum(field * spins, axis=1), predicted, atol=1e-6)
    return predicted


def gap_120():
    r"""Exercise 2: the Fermi gap of the 120° state at half filling and J = 8.

    ED gives gaps 2.000 at J = 3 and 4.000 at J = 4 (and 8.000 at J = 6): for J ≳ 2 the gap is
    linear, :math:`\Delta = 2J - 4t`, not :math:`\Delta = J`.  At strong coupling the two bands
    are split by 2J and each has a reduced width (the electrons hop between non-parallel spins),
    which takes 2 × 2t off the splitting.  Prediction: :math:`\Delta(8) = 12`, confirmed by ED.
    """
    lattice = TriangularLattice(6)
    gap = {J: SDModel(lattice, J=J, filling=0.5).solve(three_sublattice(lattice)).gap for J in (3.0, 4.0, 8.0)}
    slope = gap[4.0] - gap[3.0]
    predicted = gap[4.0] + slope * (8.0 - 4.0)
    assert abs(predicted - gap[8.0]) < 1e-9
    return predicted


def torque_sum():
    r"""Exercise 3: :math:`\sum_i\mathbf S_i\times\mathbf H_i = 0` for every configuration.

    The energy does not change under a global rotation of all spins.  For an infinitesimal
    rotation :math:`\delta\mathbf S_i = \boldsymbol\omega\times\mathbf S_i`,

    .. math:: 0 = \delta E = -\sum_i \mathbf H_i\cdot(\boldsymbol\omega\times\mathbf S_i)
              = -\boldsymbol\omega\cdot\sum_i \mathbf S_i\times\mathbf H_i

    for every :math:`\boldsymbol\omega`, hence the sum vanishes.  Numerically, for the
    chapter's disordered tetrahedral state (J = 3, f = 1/4, kT_el = 0.01), it is zero to
    rounding, while :math:`\sum_i\mathbf H_i` (a typical mistake) is not.
    """
    lattice = TriangularLattice(6)
    s = TEXTURES["tetrahedral"](lattice) + 0.3 * random_spins(lattice.n_sites, 0)
    spins = s / np.linalg.norm(s, axis=1, keepdims=True)
    field = SDModel(lattice, J=3.0, filling=0.25, kT_el=0.01).exchange_field(spins)
    total = np.cross(spins, field).sum(axis=0)
    assert np.linalg.norm(total) < 1e-10
    return total


def _field_sum():
    lattice = TriangularLattice(6)
    s = TEXTURES["tetrahedral"](lattice) + 0.3 * random_spins(lattice.n_sites, 0)
    spins = s / np.linalg.norm(s, axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SDModel(lattice, J=3.0, filling=0.25, kT_el=0.01).exchange_field(spins).sum(axis=0)


SOLUTIONS = {"ferromagnet-field": ferromagnet_field, "gap-120": gap_120, "torque-sum": torque_sum}

#: Typical wrong answers (callables are evaluated by the tests).
MISTAKES = {
    "ferromagnet-field": [2.0, 8.0, -4.0, 3.0],
    "gap-120": [8.0, 16.0, 0.0],
    "torque-sum": [_field_sum, [1e-3, 0.0, 0.0]],
}
