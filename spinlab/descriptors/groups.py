r"""Irreducible representations of the site point groups D6 (triangular) and D4 (square).

Group elements are ordered as in :func:`spinlab.lattice.point_group_matrices`:
rotations :math:`R(2\pi k/n)`, k = 0..n-1, then reflections :math:`R(2\pi k/n) M_x`.
The real orthogonal irrep matrices follow physics.md §5.1:

=====  ====================  =============================  ======================
irrep  rotation R(2πk/n)     reflection R(2πk/n) M_x        basis function
=====  ====================  =============================  ======================
A1     1                     1                              1
A2     1                     -1                             Im z^n
B1     (-1)^k                (-1)^k                         Re z^(n/2)
B2     (-1)^k                -(-1)^k                        Im z^(n/2)
E1     R(2πk/n)              R(2πk/n) M_x                   (x, y)
E2     R(4πk/n)              R(4πk/n) M_x                   (x² - y², 2xy)  (D6 only)
=====  ====================  =============================  ======================

For D4 the single two-dimensional irrep is called E.

The driven strip keeps only the mirror y -> -y of D4 (the leads break the rotations, the
bias breaks x -> -x): the group Cs = {1, M_x}, elements 0 and n of the table above, with
the irreps A' (even under the mirror) and A'' (odd), :func:`mirror_irreps`.  Entries are snapped to
their exact values (0, ±1/2, ±√3/2, ±1), so that every machine builds
bit-identical tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Irrep", "irreps", "mirror_irreps", "multiplication_table", "GROUP_NAMES"]

GROUP_NAMES = {6: "D6", 4: "D4"}
_EXACT = np.array([0.0, 0.5, np.sqrt(3) / 2, 1.0])


def _snap(x: np.ndarray) -> np.ndarray:
    """Replace values within 1e-12 of 0, ±1/2, ±√3/2, ±1 by the exact constant."""
    mag = np.abs(x)
    nearest = _EXACT[np.argmin(np.abs(mag[..., None] - _EXACT), axis=-1)]
    return np.where(np.abs(mag - nearest) < 1e-12, np.sign(x) * nearest, x)


def _rotation(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


@dataclass(frozen=True)
class Irrep:
    """One irreducible representation: name and matrices D(g), shape (|G|, d, d)."""

    name: str
    matrices: np.ndarray

    @property
    def dim(self) -> int:
        return self.matrices.shape[1]

    @property
    def characters(self) -> np.ndarray:
        return np.trace(self.matrices, axis1=1, axis2=2)


def irreps(order: int) -> list[Irrep]:
    """The irreps of D_order (order 4 or 6), as listed in the module docstring."""
    if order not in GROUP_NAMES:
        raise ValueError(f"only D4 and D6 are supported, got D{order}")
    k = np.arange(order)
    mirror = np.diag([1.0, -1.0])
    alternating = (-1.0) ** k
    one = np.ones(order)

    def one_dim(rot, ref):
        return np.concatenate([rot, ref])[:, None, None]

    def two_dim(multiple):
        rot = np.array([_rotation(multiple * 2 * np.pi * j / order) for j in k])
        return np.concatenate([rot, rot @ mirror])

    table = [
        Irrep("A1", one_dim(one, one)),
        Irrep("A2", one_dim(one, -one)),
        Irrep("B1", one_dim(alternating, alternating)),
        Irrep("B2", one_dim(alternating, -alternating)),
    ]
    if order == 6:
        table += [Irrep("E1", two_dim(1)), Irrep("E2", two_dim(2))]
    else:
        table += [Irrep("E", two_dim(1))]
    return [Irrep(r.name, _snap(r.matrices)) for r in table]


def mirror_irreps() -> list[Irrep]:
    """The irreps A' and A'' of Cs = {1, M_x} (the identity, then the mirror y -> -y)."""
    return [Irrep("A'", np.array([1.0, 1.0])[:, None, None]), Irrep("A''", np.array([1.0, -1.0])[:, None, None])]


def multiplication_table(group_matrices: np.ndarray) -> np.ndarray:
    """``table[g, h]`` = index of the product g·h, from the 2x2 matrices of the group."""
    products = np.einsum("gab,hbc->ghac", group_matrices, group_matrices)
    diff = np.linalg.norm((products[:, :, None] - group_matrices[None, None]).reshape(*products.shape[:2], len(group_matrices), 4), axis=-1)
    return np.argmin(diff, axis=-1)
