"""Self-checks for the exercises of chapter 1, *Itinerant magnets and their exchange fields*.

1. :func:`check_ferromagnet_field` — predict the field of the fully polarized ferromagnet.
2. :func:`check_gap_120` — change the coupling and predict the Fermi gap of the 120° state.
3. :func:`check_torque_sum` — derive the torque sum rule and check it numerically.
"""

from __future__ import annotations

import numpy as np

from . import close, exercise, exercises_of, number, vector

__all__ = ["check_ferromagnet_field", "check_gap_120", "check_torque_sum", "EXERCISES"]

#: Parameters of exercise 1: the ferromagnet at strong coupling.
FERROMAGNET = {"J": 8.0, "filling": 0.25}
#: Coupling of exercise 2 (the 120° state at half filling).
GAP_COUPLING = 8.0


@exercise("ferromagnet-field", "a number: H_i·S_i on one site, in units of t")
def check_ferromagnet_field(answer):
    """Exercise 1: :math:`\\mathbf H_i\\cdot\\mathbf S_i` of the ferromagnet at J = 8, f = 1/4."""
    value = number(answer)
    J, f = FERROMAGNET["J"], FERROMAGNET["filling"]
    # At J = 8 the minority band [-6 + J, 3 + J] lies above the whole majority band [-6 - J, 3 - J]:
    # every electron is a majority electron, n_up - n_down = N_e / N = 2 f on every site.
    reference = J * 2 * f
    if close(value, reference):
        return True, "every electron sits in the majority band, so the spin density per site equals the electron density."
    if close(value, J * f):
        return False, ("the filling f counts occupied states out of 2N; the spin density "
                       "n↑ − n↓ counts electrons per site.")
    if close(value, J):
        return False, "that would need one fully polarized electron on every site; at f = 1/4 there are fewer."
    if close(value, -reference):
        return False, "check the sign: with the coupling −J S·σ the electrons align with the spin."
    return False, ("compare with `SDModel(lattice, J=8, filling=0.25, kT_el=0.01).exchange_field(ferromagnet(lattice))`; "
                   "which bands are occupied when J is larger than the bandwidth?")


@exercise("gap-120", "a number: the Fermi gap at J = 8, in units of t")
def check_gap_120(answer):
    """Exercise 2: the Fermi gap of the ideal 120° state at half filling and J = 8."""
    from ..electrons import SDModel
    from ..lattice import TriangularLattice
    from ..spins import three_sublattice

    value = number(answer)
    lattice = TriangularLattice(6)
    reference = SDModel(lattice, J=GAP_COUPLING, filling=0.5).solve(three_sublattice(lattice)).gap
    if close(value, reference):
        return True, "the gap grows linearly with J, with a slope and an offset set by the hopping."
    if close(value, GAP_COUPLING):
        return False, "the gap equals J only at one coupling: compute it at two or three couplings and compare."
    if value <= 0:
        return False, "the 120° state at half filling is an insulator at strong coupling: its gap is positive."
    return False, "not what ED gives at J = 8: the gap is linear in J here, but not proportional to it."


@exercise("torque-sum", "three numbers: the vector sum over sites of S_i × H_i")
def check_torque_sum(answer):
    """Exercise 3: :math:`\\sum_i \\mathbf S_i\\times\\mathbf H_i` for any configuration."""
    value = vector(answer, 3)
    if np.linalg.norm(value) < 1e-8:
        return True, "a global rotation does not change E, so the total torque vanishes for every configuration."
    if np.linalg.norm(value) < 1e-4:
        return False, "small but not zero to rounding: was the field computed at the same spins?"
    return False, ("not zero. Is it the sum of the cross products S_i × H_i (a sum of the fields "
                   "themselves is not protected by any symmetry)?")


EXERCISES = exercises_of(__name__)
