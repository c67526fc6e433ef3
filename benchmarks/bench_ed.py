"""Exact-diagonalization exchange field against the bare eigh of the same matrix.

The diagonalization is the physical cost of an ED field; everything else
(building the matrix, occupations, the 2x2 density blocks) is overhead.
Target: field evaluation at most 1.3x the bare ``numpy.linalg.eigh``.
"""

import numpy as np
from _timing import header, median_time

from spinlab.electrons import SDModel
from spinlab.lattice import SquareLattice, TriangularLattice
from spinlab.spins import random_spins

CASES = [
    ("triangular", TriangularLattice, 12, dict(J=3.0, filling=0.25), 7),
    ("triangular", TriangularLattice, 18, dict(J=3.0, filling=0.25), 5),
    ("triangular", TriangularLattice, 24, dict(J=3.0, filling=0.25), 3),
    ("square", SquareLattice, 30, dict(J=6.0, filling=0.485, kT_el=0.005), 3),
]


def main():
    header("ED exchange field vs bare numpy.linalg.eigh")
    print(f"{'lattice':>10} {'L':>3} {'2N':>5} {'eigh [s]':>10} {'field [s]':>10} {'ratio':>6}")
    for kind, make, L, params, repeat in CASES:
        model = SDModel(make(L), **params)
        spins = random_spins(model.n_sites, 0)
        H = model.hamiltonian(spins)
        t_eigh = median_time(lambda: np.linalg.eigh(H), repeat=repeat)
        t_field = median_time(lambda: model.exchange_field(spins), repeat=repeat)
        print(f"{kind:>10} {L:>3} {2 * model.n_sites:>5} {t_eigh:>10.4f} {t_field:>10.4f} {t_field / t_eigh:>6.2f}")


if __name__ == "__main__":
    main()
