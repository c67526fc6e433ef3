"""Self-checks for the exercises of chapter 5, *120-degree order*.

1. :func:`check_cost_ratios` — predict how ED and ML costs grow from 12×12 to 96×96.
2. :func:`check_two_domains` — predict the Bragg weight of two 120° domains.
3. :func:`check_umbrella` — derive S(K) of a canted (umbrella) 120° state and check it.
"""

from __future__ import annotations

import numpy as np

from . import Unreadable, close, exercise, exercises_of, number

__all__ = ["check_cost_ratios", "check_two_domains", "check_umbrella", "EXERCISES"]

#: Exercise 1: the two lattice sizes.
SIZES = (12, 96)
#: Exercise 3: the canting angle of the umbrella state, in degrees.
CANTING_DEGREES = 30.0


@exercise("cost-ratios", "two numbers (ED ratio, ML ratio), e.g. a tuple")
def check_cost_ratios(answer):
    """Exercise 1: factors by which one ED field and one ML field get more expensive from 12×12 to 96×96."""
    if isinstance(answer, dict):
        answer = (answer.get("ED", answer.get("ed")), answer.get("ML", answer.get("ml")))
    if not isinstance(answer, (tuple, list, np.ndarray)) or len(answer) != 2:
        raise Unreadable(f"got {type(answer).__name__}; give the pair (ED ratio, ML ratio)")
    ed, ml = number(answer[0]), number(answer[1])
    n_ratio = (SIZES[1] / SIZES[0]) ** 2
    l_ratio = SIZES[1] / SIZES[0]
    ed_ok, ml_ok = close(ed, n_ratio**3), close(ml, n_ratio)
    if ed_ok and ml_ok:
        return True, "dense diagonalization grows as N³, a local force field as N."
    hints = []
    if not ed_ok:
        if close(ed, l_ratio**3):
            hints.append("ED: you scaled with L; the matrix has 2N = 2L² rows")
        elif close(ed, n_ratio) or close(ed, n_ratio**2):
            hints.append("ED: a dense eigendecomposition of an n×n matrix costs ∝ n³")
        else:
            hints.append("ED: how does dense diagonalization scale with the matrix size, and the matrix size with L?")
    if not ml_ok:
        if close(ml, l_ratio):
            hints.append("ML: you scaled with L; the cost is per site")
        elif close(ml, 1.0):
            hints.append("ML: the cost per site is fixed, but there are more sites")
        else:
            hints.append("ML: every site costs the same fixed amount of work")
    return False, "; ".join(hints) + "."


def _two_domain_weight():
    from ..lattice import TriangularLattice
    from ..observables import structure_factor
    from ..spins import three_sublattice

    lattice = TriangularLattice(12)
    spins = three_sublattice(lattice)
    spins[lattice.coords[:, 0] >= lattice.L1 // 2] *= -1
    return float(structure_factor(lattice, spins)[lattice.q_index(lattice.high_symmetry_points["K"])])


@exercise("two-domains", "a number: S(K)")
def check_two_domains(answer):
    """Exercise 2: S(K) on 12×12 when the spins of the half n1 ≥ 6 of a 120° state are reversed."""
    value = number(answer)
    reference = _two_domain_weight()
    if abs(value - reference) < 1e-6:
        return True, "the amplitudes of the two domains are equal and opposite: S(q) adds amplitudes, then squares."
    if close(value, 0.5):
        return False, "each domain alone is a perfect 120° state, but S(K) squares the sum of the two domains' amplitudes."
    if close(value, 0.25):
        return False, "that adds the two domains' intensities; S(q) squares the sum of their amplitudes."
    if close(value, 0.125):
        return False, "that adds intensities, each of half the lattice; S(q) squares the sum of amplitudes."
    return False, "write Σ_i S_i e^{−iK·r_i} as a sum over the two halves and compare them."


def _umbrella_weight():
    from ..lattice import TriangularLattice
    from ..observables import structure_factor
    from ..spins import three_sublattice

    lattice = TriangularLattice(12)
    theta = np.radians(CANTING_DEGREES)
    spins = np.cos(theta) * three_sublattice(lattice) + np.sin(theta) * np.array([0.0, 0.0, 1.0])
    return float(structure_factor(lattice, spins)[lattice.q_index(lattice.high_symmetry_points["K"])])


@exercise("umbrella", "a number: S(K)")
def check_umbrella(answer):
    """Exercise 3: S(K) of the 120° state with every spin canted by 30° towards ẑ."""
    value = number(answer)
    reference = _umbrella_weight()
    theta = np.radians(CANTING_DEGREES)
    if close(value, reference, rtol=1e-4):
        return True, "only the in-plane parts carry the 120° pattern, and S(q) is quadratic in them."
    if close(value, 0.5 * np.cos(theta)):
        return False, "S(q) is quadratic in the spins: the in-plane amplitude enters squared."
    if close(value, 0.5):
        return False, "the canting takes weight away from K: where does the z component's weight go?"
    if close(value, 0.5 * np.sin(theta) ** 2) or close(value, np.sin(theta) ** 2):
        return False, "that is the weight of the uniform z component, which sits at Γ, not at K."
    if close(value, np.cos(theta) ** 2):
        return False, "that is all of the in-plane weight: which peaks share it?"
    return False, "split each spin into its in-plane 120° part and its uniform z part, and use Σ_q S(q) = 1."


EXERCISES = exercises_of(__name__)
