r"""Two-dimensional Bravais lattices with periodic or open boundaries.

Sites are labelled by integer coordinates :math:`(n_1, n_2)`, position
:math:`\mathbf r = n_1 \mathbf a_1 + n_2 \mathbf a_2`, and flattened with
:math:`n_1` fastest: ``i = n1 + L1 * n2``.  The electron basis built on top of
a lattice flattens (site, spin) as ``2 i + s``.

Everything geometric that the rest of spinlab needs lives here: neighbour
shells and bonds, elementary triangles, reciprocal vectors and the discrete
q-grid, high-symmetry points, and the site point group (D6 for the
triangular, D4 for the square lattice) acting on a neighbourhood stencil as a
permutation.

Examples
--------
>>> lat = TriangularLattice(12)
>>> lat.n_sites, len(lat.bonds(1))
(144, 432)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = [
    "Lattice",
    "SquareLattice",
    "TriangularLattice",
    "Strip",
    "Stencil",
    "point_group_matrices",
    "lattice_from_config",
    "LATTICES",
]

#: Two distances closer than this belong to the same neighbour shell.
DISTANCE_TOLERANCE = 1e-8


def point_group_matrices(order: int) -> np.ndarray:
    r"""The dihedral group :math:`D_n` (n = ``order``) as 2x2 orthogonal matrices.

    Elements ``0 .. n-1`` are rotations :math:`R(2\pi k/n)`; elements
    ``n .. 2n-1`` are reflections :math:`R(2\pi k/n) M_x` with
    :math:`M_x = \mathrm{diag}(1, -1)`, whose mirror line makes the angle
    :math:`\pi k / n` with the x axis.  This order is the one the irrep
    tables of :mod:`spinlab.descriptors` use.
    """
    angles = 2 * np.pi * np.arange(order) / order
    c, s = np.cos(angles), np.sin(angles)
    rotations = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    reflections = rotations @ np.diag([1.0, -1.0])
    return np.concatenate([rotations, reflections])


@dataclass(frozen=True)
class Stencil:
    """A translation-invariant neighbourhood: integer offsets around a centre.

    Attributes
    ----------
    offsets : (M, 2) int array
        Offsets :math:`(\\Delta n_1, \\Delta n_2)`; row 0 is the centre (0, 0),
        the rest sorted by distance, then by polar angle in [0, 2π).
    vectors : (M, 2) float array
        Cartesian displacement of each offset.
    permutations : (|G|, M) int array
        ``permutations[g, k]`` is the stencil index of the image of site
        ``k`` under point-group element ``g`` (rotation or reflection about
        the centre).
    group : (|G|, 2, 2) float array
        The point-group matrices, in the order of :func:`point_group_matrices`.
    """

    offsets: np.ndarray
    vectors: np.ndarray
    permutations: np.ndarray
    group: np.ndarray

    @property
    def size(self) -> int:
        return len(self.offsets)

    @property
    def distances(self) -> np.ndarray:
        return np.hypot(*self.vectors.T)


class Lattice:
    """Base class of the 2D lattices; use a subclass.

    Parameters
    ----------
    L1, L2 : int
        Number of cells along :math:`\\mathbf a_1` and :math:`\\mathbf a_2`
        (``L2 = L1`` when omitted).
    periodic : (bool, bool)
        Periodic boundary along each primitive direction.
    """

    kind: str = ""
    a1: np.ndarray
    a2: np.ndarray
    group_order: int  # n of the dihedral group D_n of a site
    high_symmetry_points: dict  # name -> q vector, defined by each subclass

    def __init__(self, L1: int, L2: int | None = None, periodic=(True, True)):
        L2 = L1 if L2 is None else L2
        for name, value in (("L1", L1), ("L2", L2)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.L1, self.L2 = int(L1), int(L2)
        self.periodic = (bool(periodic[0]), bool(periodic[1]))
        n1, n2 = np.meshgrid(np.arange(self.L1), np.arange(self.L2), indexing="xy")
        self.coords = np.stack([n1.ravel(), n2.ravel()], axis=1)  # n1 fastest
        self.positions = self.coords @ np.stack([self.a1, self.a2])

    # -- basic geometry -----------------------------------------------------
    @property
    def n_sites(self) -> int:
        return self.L1 * self.L2

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L1, self.L2)

    def __repr__(self) -> str:
        bc = "".join("p" if p else "o" for p in self.periodic)
        return f"{type(self).__name__}({self.L1}, {self.L2}, boundary='{bc}')"

    def config(self) -> dict:
        """JSON description from which :func:`lattice_from_config` rebuilds the lattice."""
        return {"lattice": self.kind, "L1": self.L1, "L2": self.L2, "periodic": list(self.periodic)}

    def __eq__(self, other) -> bool:
        return isinstance(other, Lattice) and self.config() == other.config()

    def __hash__(self) -> int:
        return hash(repr(self))

    def site_index(self, n1, n2) -> np.ndarray:
        """Flat index of the site at integer coordinates (wrapped where periodic).

        Returns -1 where an open direction is left.
        """
        n1, n2 = np.asarray(n1), np.asarray(n2)
        inside = np.ones(np.broadcast(n1, n2).shape, dtype=bool)
        if self.periodic[0]:
            n1 = n1 % self.L1
        else:
            inside &= (n1 >= 0) & (n1 < self.L1)
        if self.periodic[1]:
            n2 = n2 % self.L2
        else:
            inside &= (n2 >= 0) & (n2 < self.L2)
        return np.where(inside, n1 + self.L1 * n2, -1)

    def offset_vector(self, offsets) -> np.ndarray:
        """Cartesian vector of integer offsets (..., 2)."""
        return np.asarray(offsets) @ np.stack([self.a1, self.a2])

    def _offsets_within(self, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """Integer offsets ≠ 0 whose Bravais vector is at most ``radius`` long, and those lengths."""
        reach = int(np.ceil(2 * radius)) + 1  # |n| <= 2r/√3 on the triangular lattice, r on the square one
        grid = np.stack(np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1), indexing="ij"), -1)
        grid = grid.reshape(-1, 2)
        length = np.hypot(*self.offset_vector(grid).T)
        keep = (length > 0) & (length <= radius + DISTANCE_TOLERANCE)
        return grid[keep], length[keep]

    def sites_within(self, distance: float) -> np.ndarray:
        """Table (N, K) of the sites whose Bravais offset from each site is at most ``distance`` long
        (the site itself excluded; -1 where an open edge cuts the disc).  On a torus smaller than
        the disc a site can appear more than once in its own row."""
        offsets, _ = self._offsets_within(distance)
        n1, n2 = self.coords.T
        return self.site_index(n1[:, None] + offsets[:, 0], n2[:, None] + offsets[:, 1])

    def _check_fits(self, radius: float) -> None:
        # A neighbourhood of radius r wraps onto itself unless the torus is
        # longer than 2r along every periodic direction.
        for length, periodic, name in ((self.L1, self.periodic[0], "L1"), (self.L2, self.periodic[1], "L2")):
            if periodic and length <= 2 * radius + DISTANCE_TOLERANCE:
                raise ValueError(
                    f"{self!r}: a neighbourhood of radius {radius:g} wraps onto itself "
                    f"({name} = {length} <= 2 r = {2 * radius:g}); use a larger lattice"
                )

    # -- neighbour shells -----------------------------------------------------
    @cached_property
    def _shell_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Offsets within a generous radius, with their distances, sorted."""
        offsets, dist = self._offsets_within(6)
        order = np.lexsort((offsets[:, 1], offsets[:, 0], dist))
        return offsets[order], dist[order]

    @cached_property
    def shell_distances(self) -> np.ndarray:
        """Distances of the neighbour shells (1-based: shell 1 is nearest neighbours)."""
        dist = self._shell_table[1]
        edges = np.flatnonzero(np.diff(dist) > DISTANCE_TOLERANCE)
        return np.concatenate([dist[[0]], dist[edges + 1]])

    def shell_offsets(self, shell: int) -> np.ndarray:
        """Integer offsets of neighbour shell ``shell`` (1 = nearest)."""
        if shell < 1 or shell > len(self.shell_distances):
            raise ValueError(f"shell must be in 1..{len(self.shell_distances)}, got {shell}")
        offsets, dist = self._shell_table
        return offsets[np.abs(dist - self.shell_distances[shell - 1]) < DISTANCE_TOLERANCE]

    def neighbors(self, shell: int = 1) -> np.ndarray:
        """Neighbour table (N, z) of shell ``shell``; -1 marks a missing neighbour (open edge)."""
        offsets = self.shell_offsets(shell)
        self._check_fits(self.shell_distances[shell - 1])
        n = self.coords[:, None, :] + offsets[None, :, :]
        return self.site_index(n[..., 0], n[..., 1])

    def bonds(self, shell: int = 1) -> np.ndarray:
        """Bonds (i, j) of neighbour shell ``shell``, each counted once, shape (n_bonds, 2)."""
        offsets = self.shell_offsets(shell)
        # one of each pair ±d: the one whose first nonzero component is positive
        half = (offsets[:, 0] > 0) | ((offsets[:, 0] == 0) & (offsets[:, 1] > 0))
        self._check_fits(self.shell_distances[shell - 1])
        n = self.coords[:, None, :] + offsets[None, half, :]
        j = self.site_index(n[..., 0], n[..., 1])
        i = np.broadcast_to(np.arange(self.n_sites)[:, None], j.shape)
        ok = j >= 0
        return np.stack([i[ok], j[ok]], axis=1)

    def displacement(self, i, j) -> np.ndarray:
        """Minimal-image displacement r_j - r_i: the shortest over the periodic images of site j."""
        dn = self.coords[np.asarray(j)] - self.coords[np.asarray(i)]
        shifts = [np.arange(-1, 2) * length if periodic else np.zeros(1, int)
                  for length, periodic in zip((self.L1, self.L2), self.periodic)]
        for axis, length in enumerate((self.L1, self.L2)):
            if self.periodic[axis]:
                dn[..., axis] = (dn[..., axis] + length // 2) % length - length // 2
        # on a sheared (triangular) torus the wrapped offset is not always the shortest image
        images = dn[..., None, None, :] + np.stack(np.meshgrid(*shifts, indexing="ij"), axis=-1)
        vectors = self.offset_vector(images).reshape(*dn.shape[:-1], -1, 2)
        best = np.argmin(np.linalg.norm(vectors, axis=-1), axis=-1)
        return np.take_along_axis(vectors, best[..., None, None], axis=-2)[..., 0, :]

    # -- point group ---------------------------------------------------------
    def stencil(self, radius: float) -> Stencil:
        """The neighbourhood of radius ``radius`` (centre included) and its point group.

        Raises ``ValueError`` when the lattice is too small for the
        neighbourhood to be free of periodic images (L <= 2 r).
        """
        if radius < 0:
            raise ValueError(f"radius must be non-negative, got {radius}")
        if radius > self._shell_table[1][-1]:
            raise ValueError(f"radius {radius} exceeds the largest supported neighbourhood")
        self._check_fits(radius)
        offsets, dist = self._shell_table
        keep = dist <= radius + DISTANCE_TOLERANCE
        offsets = np.concatenate([[[0, 0]], offsets[keep]])
        vectors = self.offset_vector(offsets).astype(float)
        angle = np.mod(np.arctan2(vectors[:, 1], vectors[:, 0]), 2 * np.pi)
        angle[0] = 0.0
        radius_key = np.round(np.hypot(*vectors.T) / DISTANCE_TOLERANCE**0.5)
        order = np.lexsort((np.round(angle, 9), radius_key))
        offsets, vectors = offsets[order], vectors[order]
        group = point_group_matrices(self.group_order)
        images = np.einsum("gab,kb->gka", group, vectors)
        # match each image to a stencil vector
        diff = np.linalg.norm(images[:, :, None, :] - vectors[None, None, :, :], axis=-1)
        permutations = np.argmin(diff, axis=-1)
        if not np.all(np.take_along_axis(diff, permutations[..., None], -1) < 1e-9):
            raise RuntimeError("stencil is not closed under the point group")  # a bug, not user input
        return Stencil(offsets, vectors, permutations, group)

    def neighborhood(self, radius: float) -> tuple[Stencil, np.ndarray]:
        """Stencil of radius ``radius`` and the site table (N, M) it induces (-1 = missing)."""
        st = self.stencil(radius)
        n = self.coords[:, None, :] + st.offsets[None, :, :]
        return st, self.site_index(n[..., 0], n[..., 1])

    def transform_sites(self, g: int, centre: int = 0) -> np.ndarray:
        """Site permutation p of point-group element ``g`` about site ``centre``.

        Site i is mapped to site p[i]; a spin configuration S transforms as
        S'[p] = S.  Only for fully periodic lattices whose point group is
        compatible with the torus (L1 = L2).
        """
        if not all(self.periodic) or self.L1 != self.L2:
            raise ValueError("lattice operations as site permutations need a periodic L x L lattice")
        R = point_group_matrices(self.group_order)[g]
        A = np.stack([self.a1, self.a2], axis=1)  # columns are a1, a2
        M = np.rint(np.linalg.solve(A, R @ A)).astype(int)  # integer action on (n1, n2)
        dn = self.coords - self.coords[centre]
        image = dn @ M.T + self.coords[centre]
        return self.site_index(image[:, 0], image[:, 1])

    def transform_spins(self, spins, g: int, centre: int = 0) -> np.ndarray:
        """The configuration moved by point-group element ``g`` about site ``centre``: S'[p[i]] = S[i].

        Spin vectors are not rotated (spin space is independent of the lattice).
        """
        p = self.transform_sites(g, centre)
        out = np.empty_like(np.asarray(spins))
        out[p] = spins
        return out

    # -- reciprocal space ----------------------------------------------------
    @property
    def reciprocal_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """b1, b2 with b_i . a_j = 2π δ_ij."""
        A = np.stack([self.a1, self.a2])
        B = 2 * np.pi * np.linalg.inv(A).T
        return B[0], B[1]

    def _require_periodic(self):
        if not all(self.periodic):
            raise ValueError(f"{self!r} is not periodic in both directions: no discrete q-grid")

    @cached_property
    def q_grid(self) -> np.ndarray:
        """Allowed wave vectors q = (m1/L1) b1 + (m2/L2) b2, shape (N, 2), m1 fastest."""
        self._require_periodic()
        b1, b2 = self.reciprocal_vectors
        frac = self.coords / np.array([self.L1, self.L2])
        return frac[:, :1] * b1 + frac[:, 1:] * b2

    def q_index(self, q) -> int:
        """Index into :attr:`q_grid` of the wave vector q (modulo reciprocal vectors).

        Raises ``ValueError`` when q is not on the grid (e.g. K on a lattice whose
        size is not a multiple of 3).
        """
        self._require_periodic()
        m = np.linalg.solve(np.stack(self.reciprocal_vectors, 1), np.asarray(q, float))
        m = m * np.array([self.L1, self.L2])
        mi = np.rint(m)
        if np.any(np.abs(m - mi) > 1e-8):
            raise ValueError(f"q = {np.asarray(q)} is not on the q-grid of {self!r}")
        return int(self.site_index(int(mi[0]) % self.L1, int(mi[1]) % self.L2))


class SquareLattice(Lattice):
    """Square lattice, a1 = (1, 0), a2 = (0, 1); site point group D4."""

    kind = "square"
    a1 = np.array([1.0, 0.0])
    a2 = np.array([0.0, 1.0])
    group_order = 4

    @property
    def high_symmetry_points(self) -> dict[str, np.ndarray]:
        """Γ = (0, 0), X = (π, 0), Y = (0, π), M = (π, π)."""
        return {
            "Γ": np.zeros(2),
            "X": np.array([np.pi, 0.0]),
            "Y": np.array([0.0, np.pi]),
            "M": np.array([np.pi, np.pi]),
        }


class TriangularLattice(Lattice):
    """Triangular lattice, a1 = (1, 0), a2 = (1/2, √3/2); site point group D6.

    Use L a multiple of 6 so that the K and M points (and with them the
    120-degree and tetrahedral orders) fit on the lattice.
    """

    kind = "triangular"
    a1 = np.array([1.0, 0.0])
    a2 = np.array([0.5, np.sqrt(3) / 2])
    group_order = 6

    @property
    def high_symmetry_points(self) -> dict[str, np.ndarray]:
        """Γ, K = (b1 + 2 b2)/3, K' = -K, M1 = b1/2, M2 = b2/2, M3 = (b1 + b2)/2."""
        b1, b2 = self.reciprocal_vectors
        K = (b1 + 2 * b2) / 3
        return {"Γ": np.zeros(2), "K": K, "K'": -K, "M1": b1 / 2, "M2": b2 / 2, "M3": (b1 + b2) / 2}

    def third_neighbor_bonds(self) -> np.ndarray:
        """Bonds to the six sites at distance 2 along the bond directions (shell 3)."""
        return self.bonds(3)

    def triangles(self) -> np.ndarray:
        """Elementary triangles (2N, 3), vertices counter-clockwise.

        Rows 0..N-1 are the up triangles (r, r + a1, r + a2) of each site r,
        rows N..2N-1 the down triangles (r + a1, r + a1 + a2, r + a2).
        """
        self._require_periodic()
        n1, n2 = self.coords.T
        s = self.site_index
        up = np.stack([s(n1, n2), s(n1 + 1, n2), s(n1, n2 + 1)], 1)
        down = np.stack([s(n1 + 1, n2), s(n1 + 1, n2 + 1), s(n1, n2 + 1)], 1)
        return np.concatenate([up, down])

    def triangle_centroids(self) -> np.ndarray:
        """Centroids (2N, 2) of :meth:`triangles` (unwrapped, next to the first vertex)."""
        up = self.positions + (self.a1 + self.a2) / 3
        down = self.positions + 2 * (self.a1 + self.a2) / 3
        return np.concatenate([up, down])


class Strip(SquareLattice):
    """Square-lattice strip, open along x (transport direction), periodic along y.

    The geometry of the driven double-exchange model: ``Strip(32, 24)``,
    site index i = x + Lx y.
    """

    def __init__(self, Lx: int, Ly: int):
        super().__init__(Lx, Ly, periodic=(False, True))

    @property
    def Lx(self) -> int:
        return self.L1

    @property
    def Ly(self) -> int:
        return self.L2

    @property
    def high_symmetry_points(self) -> dict[str, np.ndarray]:
        raise ValueError("a strip with open x has no discrete 2D q-grid")


#: Lattice classes by ``kind`` (model files, checkpoints, presets).
LATTICES = {"triangular": TriangularLattice, "square": SquareLattice}


def lattice_from_config(config: dict) -> Lattice:
    """Rebuild a lattice from :meth:`Lattice.config`.

    >>> lattice_from_config(Strip(32, 24).config())
    Strip(32, 24, boundary='op')
    """
    kind = config.get("lattice")
    if kind not in LATTICES:
        raise ValueError(f"unknown lattice kind {kind!r}; choose from {sorted(LATTICES)}")
    periodic = tuple(config.get("periodic", (True, True)))
    if kind == "square" and periodic == (False, True):
        return Strip(config["L1"], config["L2"])
    return LATTICES[kind](config["L1"], config.get("L2"), periodic=periodic)
