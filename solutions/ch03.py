"""Worked solutions for chapter 3, *Magnetic descriptors* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np

from spinlab.descriptors import SymmetricDescriptor
from spinlab.descriptors.decomposition import decompose_orbit
from spinlab.lattice import TriangularLattice
from spinlab.spins import TEXTURES, three_sublattice

DESCRIPTOR = SymmetricDescriptor("triangular", cutoff=2.0)
NN_ORBIT = 1  # the six bonds from the centre to its nearest neighbours


def _a1_columns(descriptor, orbit=None):
    """Mask of the A1 columns of ``irrep_components`` (of one orbit, or of all)."""
    mask = []
    for k, o in enumerate(descriptor.orbits):
        for c in decompose_orbit(o, descriptor.irreps):
            irrep = descriptor.irreps[c.irrep]
            mask += [irrep.name == "A1" and (orbit is None or k == orbit)] * irrep.dim
    return np.array(mask)


def pure_a1():
    r"""Exercise 1: the textures that are pure A1 at every site.

    A texture is pure A1 at a site when all bonds of each orbit are equal there, i.e. when the
    neighbourhood looks the same in every direction up to a global spin rotation.  That holds
    for the ferromagnet, and for the 120° and tetrahedral states, whose every triangle and every
    shell of neighbours is equivalent.  The stripe and the Néel state pick a direction; the
    up-up-up-down state is pure A1 only on its minority sites; the coplanar double-Q state is
    nowhere pure A1 (share 0.69).  Checked with the irrep shares at every site.
    """
    lattice = TriangularLattice(12)
    a1 = _a1_columns(DESCRIPTOR)
    pure = set()
    for name, make in TEXTURES.items():
        f = DESCRIPTOR.irrep_components(lattice, make(lattice))
        if np.all(np.sum(f[:, a1] ** 2, axis=1) > (1 - 1e-9) * np.sum(f**2, axis=1)):
            pure.add(name)
    assert pure == {"ferromagnet", "120-degree", "tetrahedral"}
    return pure


def a1_component():
    r"""Exercise 2: :math:`f^{A_1}` of the centre–nearest-neighbour orbit in the 120° state.

    All six bonds equal :math:`\mathbf S_0\cdot\mathbf S_j = \cos 120° = -1/2`.  The A1 partner
    vector is :math:`(1,\dots,1)/\sqrt6`, so
    :math:`f^{A_1} = 6\cdot(-1/2)/\sqrt6 = -\sqrt6/2 \approx -1.2247`.
    (The ferromagnet gives :math:`+\sqrt6`.)  Checked against ``irrep_components``.
    """
    value = -np.sqrt(6) / 2
    lattice = TriangularLattice(12)
    f = DESCRIPTOR.irrep_components(lattice, three_sublattice(lattice))[0]
    assert abs(f[_a1_columns(DESCRIPTOR, NN_ORBIT)][0] - value) < 1e-12
    return value


def nn_irreps():
    r"""Exercise 3: irreducible content of the six centre–nearest-neighbour bonds under :math:`D_6`.

    The bonds (0, j) are permuted like the six neighbours, the vertices of a hexagon.
    :math:`\mathrm{tr}\,P(g)` counts the bonds that g leaves in place: 6 for the identity,
    0 for the rotations, 2 for the three mirrors through opposite vertices and 0 for the three
    mirrors through opposite edges.  With the character table of :math:`D_6`,
    :math:`m_\Gamma = \frac1{12}\sum_g\chi^\Gamma(g)\,\mathrm{tr}\,P(g)` gives
    A1 + B1 + E1 + E2 in spinlab's labelling (B1 is the 1D irrep that is even under the
    vertex mirrors): 1 + 1 + 2 + 2 = 6 dimensions.  Computed here from the characters.
    """
    orbit = DESCRIPTOR.orbits[NN_ORBIT]
    fixed = np.trace(orbit.representation(), axis1=1, axis2=2)
    content = {r.name: int(round(r.characters @ fixed / len(fixed))) for r in DESCRIPTOR.irreps}
    content = {name: n for name, n in content.items() if n}
    projected = [DESCRIPTOR.irreps[c.irrep].name for c in decompose_orbit(orbit, DESCRIPTOR.irreps)]
    assert content == {name: projected.count(name) for name in set(projected)}
    return content


SOLUTIONS = {"pure-a1": pure_a1, "a1-component": a1_component, "nn-irreps": nn_irreps}

MISTAKES = {
    "pure-a1": [{"ferromagnet", "120-degree"}, {"ferromagnet", "120-degree", "tetrahedral", "stripe"},
                {"ferromagnet", "120-degree", "tetrahedral", "up-up-up-down"}],
    "a1-component": [-3.0, -0.5, np.sqrt(6), np.sqrt(6) / 2],
    "nn-irreps": [{"A1": 1, "E1": 1, "E2": 1}, "A1 + B2 + E1 + E2", {"A1": 1, "A2": 1, "B1": 1, "B2": 1, "E1": 1},
                  "2A1 + E1 + E2"],
}
