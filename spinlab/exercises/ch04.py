"""Self-checks for the exercises of chapter 4, *Behler–Parrinello networks*.

1. :func:`check_field_reach` — change the cutoff and predict how far a field reaches.
2. :func:`check_parameter_count` — count the weights of a BP network.
3. :func:`check_j1j2_energy` — derive the energy of the 120° state of the target and check it.
"""

from __future__ import annotations

import numpy as np

from . import close, exercise, exercises_of, number

__all__ = ["check_field_reach", "check_parameter_count", "check_j1j2_energy", "EXERCISES"]

#: Exercise 1: the descriptor cutoff.
REACH_CUTOFF = 3.0
#: Exercise 2: the network (on the chapter's descriptor, triangular r_c = 2, one energy output).
HIDDEN = (16, 16)
#: Exercise 3: the chapter's target.
COUPLINGS = {"J1": 1.0, "J2": 0.3}


@exercise("field-reach", "a number: a distance in lattice spacings")
def check_field_reach(answer):
    """Exercise 1: beyond which distance a BP field with r_c = 3 is exactly unchanged by one spin."""
    value = number(answer)
    reference = 2 * REACH_CUTOFF
    if close(value, reference):
        return True, "the field on i collects the energies of all sites within r_c, each of which sees r_c further."
    if close(value, REACH_CUTOFF):
        return False, ("r_c is how far one local energy sees. The field is a derivative of the sum of "
                       "local energies: which of them depend on the rotated spin?")
    if value > reference:
        return False, "a BP field is strictly local; it cannot reach that far."
    return False, "write H_i = −Σ_j ∂ε(G_j)/∂S_i and ask which j contribute and what each G_j depends on."


def _parameter_count(n_features, hidden, n_outputs=1):
    sizes = (n_features, *hidden, n_outputs)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


@exercise("parameter-count", "a whole number of trainable parameters")
def check_parameter_count(answer):
    """Exercise 2: trainable parameters of ``BPModel(SymmetricDescriptor("triangular", 2.0), hidden=(16, 16))``."""
    from ..descriptors import SymmetricDescriptor

    value = number(answer)
    n = SymmetricDescriptor("triangular", cutoff=2.0).n_features
    reference = _parameter_count(n, HIDDEN)
    if value == reference:
        return True, "weights and biases of three layers; nearly all of them in the first layer."
    sizes = (n, *HIDDEN, 1)
    if value == sum(a * b for a, b in zip(sizes[:-1], sizes[1:])):
        return False, "close: every layer also has a bias per output."
    if value == _parameter_count(n, HIDDEN, 2):
        return False, "that is the two-potential network; this one has a single energy output."
    if value == _parameter_count(n, HIDDEN[:1]):
        return False, "there are two hidden layers."
    return False, f"the input layer has one unit per feature; this descriptor has {n} features."


def _energy_per_site():
    from ..heisenberg import HeisenbergModel
    from ..lattice import TriangularLattice
    from ..spins import three_sublattice

    lattice = TriangularLattice(12)
    return HeisenbergModel(lattice, **COUPLINGS).energy(three_sublattice(lattice)) / lattice.n_sites


@exercise("j1j2-energy", "a number: E/N in units of t")
def check_j1j2_energy(answer):
    """Exercise 3: E/N of the ideal 120° state for J1 = 1, J2 = 0.3."""
    value = number(answer)
    reference = _energy_per_site()
    J1, J2 = COUPLINGS["J1"], COUPLINGS["J2"]
    if close(value, reference):
        return True, "three first- and three second-neighbour bonds per site, each counted once."
    if close(value, 2 * reference):
        return False, "a site has six neighbours in each shell, but each bond belongs to two sites."
    if close(value, 3 * J1 * -0.5 + 3 * J2 * -0.5):
        return False, "which sublattice are the second neighbours (at √3) on?"
    if close(value, 3 * J1 * -0.5):
        return False, "the second-neighbour bonds are missing."
    if close(value, -reference):
        return False, "check the sign of the bond energies: E = +J Σ S_i·S_j with antiferromagnetic J1 > 0."
    return False, "count the bonds per site in each shell, and the value of S_i·S_j on each."


EXERCISES = exercises_of(__name__)
