r"""Bond orbits of a neighbourhood and their decomposition into irreducible representations.

For a stencil (centre + neighbours) and its point group G, the unordered site
pairs within distance ℓ_max split into G-orbits O.  The bond variables of an
orbit carry the permutation representation :math:`(P(g)b)_{g\cdot p} = b_p`,
which the projection operators

.. math:: \mathcal P^\Gamma_{ab} = \frac{d_\Gamma}{|G|}\sum_g D^\Gamma_{ab}(g)\,P(g)

decompose: the column space of :math:`\mathcal P^\Gamma_{11}` holds the
:math:`m_\Gamma` copies of Γ, and for each copy w the partners
:math:`e_a = \mathcal P^\Gamma_{a1} w` give components :math:`f_a = e_a\cdot b_O`
that transform as :math:`f \to D^\Gamma(g) f`.

Everything is canonical: pairs in stencil order, orbits in order of their first
pair, copies by Gram-Schmidt over the columns of :math:`\mathcal P^\Gamma_{11}` in
pair order, invariant tensors by Gram-Schmidt over group-averaged basis tensors
with the first non-zero entry positive.  No random numbers, no LAPACK sign
choices: the same tables on every machine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..lattice import Stencil
from .groups import Irrep

__all__ = ["Orbit", "pair_orbits", "decompose_orbit", "invariant_tensors", "Copy"]

#: Gram-Schmidt keeps a vector whose residual norm exceeds this.
RANK_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Orbit:
    """A G-orbit of site pairs: ``pairs`` (n, 2) stencil positions; ``pairs[0]`` is the representative."""

    pairs: np.ndarray
    permutations: np.ndarray  # (|G|, n): g maps pair p to pair permutations[g, p]

    @property
    def size(self) -> int:
        return len(self.pairs)

    def representation(self) -> np.ndarray:
        """P(g) as (|G|, n, n) matrices with P(g)[g.p, p] = 1."""
        n_group, n = self.permutations.shape
        P = np.zeros((n_group, n, n))
        P[np.arange(n_group)[:, None], self.permutations, np.arange(n)[None, :]] = 1.0
        return P


def pair_orbits(stencil: Stencil, l_max: float) -> list[Orbit]:
    """Orbits of the centre's self-pair (0, 0) and of the pairs (j < k) of stencil sites with |r_j - r_k| <= l_max.

    The self-pair's bond variable |S_0|² is 1 for unit spins, but its gradient
    2 S_0 is what lets a site-energy model represent the longitudinal part of a
    field (the part parallel to each spin) without producing a torque.  It is
    orbit 0, of size 1.
    """
    n = stencil.size
    v = stencil.vectors
    pairs = [(0, 0)] + [(j, k) for j in range(n) for k in range(j + 1, n)
                        if np.linalg.norm(v[j] - v[k]) <= l_max + 1e-9]
    index = {p: m for m, p in enumerate(pairs)}
    perm = stencil.permutations
    images = np.array([[index[tuple(sorted((perm[g, j], perm[g, k])))] for (j, k) in pairs]
                       for g in range(len(perm))])  # images[g, m] = index of g.pair_m
    orbits, seen = [], np.zeros(len(pairs), bool)
    for m in range(len(pairs)):
        if seen[m]:
            continue
        members = list(dict.fromkeys(images[:, m]))  # g.rep in group order, first appearance
        seen[members] = True
        local = {p: q for q, p in enumerate(members)}
        permutations = np.array([[local[images[g, p]] for p in members] for g in range(len(perm))])
        orbits.append(Orbit(np.array([pairs[p] for p in members]), permutations))
    return orbits


def _gram_schmidt(columns: np.ndarray) -> list[np.ndarray]:
    """Orthonormal basis of the span of the columns, taken in order."""
    basis = []
    for c in columns.T:
        r = c - sum((b @ c) * b for b in basis) if basis else c.copy()
        norm = np.linalg.norm(r)
        if norm > RANK_TOLERANCE:
            basis.append(r / norm)
    return basis


@dataclass(frozen=True)
class Copy:
    """One copy of an irrep inside an orbit: ``partners`` (d, n), rows e_a orthonormal."""

    irrep: int
    partners: np.ndarray


def decompose_orbit(orbit: Orbit, table: list[Irrep]) -> list[Copy]:
    """All irrep copies of the orbit's permutation representation, irreps in table order.

    Raises RuntimeError if the copies do not span the orbit (a bug, never user input).
    """
    P = orbit.representation()
    n_group = len(P)
    copies = []
    for r, irrep in enumerate(table):
        projector = irrep.dim / n_group * np.einsum("gab,gij->abij", irrep.matrices, P)
        for w in _gram_schmidt(projector[0, 0]):
            partners = np.stack([projector[a, 0] @ w for a in range(irrep.dim)])
            copies.append(Copy(r, partners))
    U = np.concatenate([c.partners for c in copies])
    if U.shape != (orbit.size, orbit.size) or not np.allclose(U @ U.T, np.eye(orbit.size), atol=1e-10):
        raise RuntimeError("irreducible decomposition is incomplete")
    return copies


def invariant_tensors(d1: Irrep, d2: Irrep, d3: Irrep) -> list[np.ndarray]:
    r"""Orthonormal basis of the tensors C with :math:`C = D^1(g)\otimes D^2(g)\otimes D^3(g)\,C` for all g.

    Built by averaging the standard basis tensors over the group, in
    lexicographic order, then Gram-Schmidt; each tensor's first non-zero
    entry is made positive.
    """
    shape = (d1.dim, d2.dim, d3.dim)
    average = np.einsum("gai,gbj,gck->abcijk", d1.matrices, d2.matrices, d3.matrices) / len(d1.matrices)
    columns = np.stack([average[..., i, j, k].ravel() for i, j, k in itertools.product(*map(range, shape))], 1)
    tensors = []
    for t in _gram_schmidt(columns):
        first = t[np.flatnonzero(np.abs(t) > RANK_TOLERANCE)[0]]
        tensors.append((np.sign(first) * t).reshape(shape))
    return tensors
