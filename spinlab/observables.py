r"""Observables of spin configurations: magnetizations, structure factors, chirality, correlations, clusters.

Conventions (physics.md §8):

* spin structure factor :math:`S(\mathbf q) = |\sum_i \mathbf S_i e^{-i\mathbf q\cdot\mathbf r_i}|^2/N^2`
  on the lattice's q-grid, so that :math:`\sum_{\mathbf q} S(\mathbf q) = 1`;
  the 120-degree state has S(K) = S(K') = 1/2, the tetrahedral state S(M_a) = 1/3;
* scalar chirality :math:`\chi_\Delta = \mathbf S_i\cdot(\mathbf S_j\times\mathbf S_k)` with i, j, k
  counter-clockwise, on the 2N up and down triangles; the tetrahedral state has
  :math:`\chi_\Delta = \pm 4/(3\sqrt3)` on every triangle.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = [
    "magnetization",
    "staggered_magnetization",
    "structure_factor",
    "structure_factor_at",
    "peak_weights",
    "scalar_chirality",
    "chirality_structure_factor",
    "q_magnitudes",
    "domain_size",
    "radial_average",
    "nearest_neighbor_correlation",
    "local_correlation",
    "label_clusters",
    "cluster_sizes",
    "standard_observables",
    "TETRAHEDRAL_CHIRALITY",
]

#: |χ| of every triangle in the ideal tetrahedral state, 4/(3√3).
TETRAHEDRAL_CHIRALITY = 4 / (3 * np.sqrt(3))


def magnetization(spins) -> np.ndarray:
    """Mean spin (3,)."""
    return np.asarray(spins).mean(axis=0)


def staggered_magnetization(lattice, spins) -> float:
    """|Σ_i (-1)^(x+y) S_i| / N on a square lattice (1 for the Néel state)."""
    if lattice.kind != "square":
        raise ValueError("the staggered magnetization is defined on the bipartite square lattice")
    sign = (-1.0) ** lattice.coords.sum(axis=1)
    return float(np.linalg.norm(sign @ np.asarray(spins)) / lattice.n_sites)


def structure_factor(lattice, spins) -> np.ndarray:
    """S(q) on :attr:`~spinlab.lattice.Lattice.q_grid` (N,), summed over the three components.

    With q = (m1/L1) b1 + (m2/L2) b2 and r = n1 a1 + n2 a2 the phase is
    2π (m1 n1/L1 + m2 n2/L2): a 2D FFT over the site grid.
    """
    lattice._require_periodic()
    s = np.asarray(spins).reshape(lattice.L2, lattice.L1, 3)
    amplitude = np.fft.fft2(s, axes=(0, 1))
    return (np.sum(np.abs(amplitude) ** 2, axis=-1) / lattice.n_sites**2).ravel()


def structure_factor_at(lattice, spins, points=None) -> dict[str, float]:
    """S(q) at named high-symmetry points (default: all of the lattice's)."""
    sq = structure_factor(lattice, spins)
    hs = lattice.high_symmetry_points
    names = hs.keys() if points is None else points
    return {name: float(sq[lattice.q_index(hs[name])]) for name in names}


def scalar_chirality(lattice, spins) -> np.ndarray:
    """χ_Δ = S_i · (S_j × S_k) on the 2N triangles of a triangular lattice (up triangles first)."""
    if lattice.kind != "triangular":
        raise ValueError("scalar chirality per triangle needs a triangular lattice")
    s = np.asarray(spins)
    i, j, k = lattice.triangles().T
    return np.einsum("ij,ij->i", s[i], np.cross(s[j], s[k], axis=1))


def chirality_structure_factor(lattice, spins) -> np.ndarray:
    """S_χ(q) = |Σ_up χ_Δ e^{-iq·r_Δ}|² / N over the up triangles, on the q-grid (N,).

    The up triangles form a triangular Bravais lattice (one per site, centroid
    r + (a1 + a2)/3), so the sum is a 2D FFT; the constant centroid shift only
    changes a phase.  With N_Δ = N up triangles, Σ_q S_χ(q) = Σ_Δ χ_Δ².
    """
    chi = scalar_chirality(lattice, spins)[: lattice.n_sites].reshape(lattice.L2, lattice.L1)
    return (np.abs(np.fft.fft2(chi)) ** 2 / lattice.n_sites).ravel()


def _folded_distance(lattice, point) -> np.ndarray:
    """|q - point| for each q-grid point, minimized over reciprocal-lattice translations."""
    b1, b2 = lattice.reciprocal_vectors
    shifts = np.array([m1 * b1 + m2 * b2 for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)])
    return np.min(np.linalg.norm(lattice.q_grid[:, None, :] - np.asarray(point) + shifts[None], axis=-1), axis=1)


def q_magnitudes(lattice) -> np.ndarray:
    """|q| of each q-grid point folded into the first Brillouin zone (shortest equivalent vector)."""
    return _folded_distance(lattice, (0.0, 0.0))


def peak_weights(lattice, spins, points=None, radius: float = 0.5) -> dict[str, float]:
    """Weight of S(q) within ``radius`` of named high-symmetry points (default: all of the lattice's).

    The Bragg weight of an order broken into domains: a domain of size ξ spreads
    its peak over |q - Q| ≲ 2π/ξ, so S(Q) alone shrinks while the weight nearby
    stays.  Distances are folded by reciprocal-lattice vectors; Σ_q S(q) = 1.
    """
    sq = structure_factor(lattice, spins)
    hs = lattice.high_symmetry_points
    names = hs.keys() if points is None else points
    return {name: float(sq[_folded_distance(lattice, hs[name]) < radius].sum()) for name in names}


def domain_size(lattice, structure_factor_values, background: float | None = None) -> float:
    r"""Domain size from the first moment of a structure factor, :math:`L = 2\pi\sum_q S/\sum_q |q| S`.

    q = 0 is excluded.  ``background`` (default: the mean of S over the outer
    quarter of the |q| range, where the domain contribution has decayed) is
    subtracted first, so thermal fluctuations do not shrink L.
    """
    s = np.asarray(structure_factor_values, float)
    q = q_magnitudes(lattice)
    if background is None:
        background = float(np.mean(s[q >= 0.75 * q.max()]))
    signal = np.clip(s - background, 0.0, None)
    signal[q == 0] = 0.0
    weight = np.sum(q * signal)
    return float(2 * np.pi * signal.sum() / weight) if weight > 0 else float("inf")


def radial_average(lattice, values, bins=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Average of values on the q-grid over shells of :math:`|\mathbf q|` (:func:`q_magnitudes`), q = 0 excluded.

    Parameters
    ----------
    lattice : Lattice
        A lattice periodic in both directions.
    values : (..., N) array
        Values on ``lattice.q_grid`` (e.g. a structure factor, or several of them stacked).
    bins : int or 1D array, optional
        Number of equal-width shells between 0 and the largest |q|, or the shell edges.
        Default: shells of width 2π/max(L1, L2), the spacing of the q-grid.

    Returns
    -------
    q : (M,) array
        Mean |q| of the grid points in each non-empty shell.
    mean : (..., M) array
        Mean of ``values`` over those points.

    Examples
    --------
    >>> from spinlab.lattice import TriangularLattice
    >>> lat = TriangularLattice(12)
    >>> q, mean = radial_average(lat, q_magnitudes(lat))
    >>> bool(np.allclose(q, mean))
    True
    """
    values = np.asarray(values, float)
    if values.shape[-1] != lattice.n_sites:
        raise ValueError(f"values must have N = {lattice.n_sites} as last axis, got shape {values.shape}")
    q = q_magnitudes(lattice)
    if bins is None:
        bins = int(np.ceil(q.max() / (2 * np.pi / max(lattice.L1, lattice.L2)))) + 1
    edges = np.linspace(0.0, q.max() * (1 + 1e-12), bins + 1) if np.ndim(bins) == 0 else np.asarray(bins, float)
    shell = np.digitize(q, edges) - 1
    shell[(q == 0) | (q >= edges[-1]) | (q < edges[0])] = -1
    used = np.unique(shell[shell >= 0])
    members = shell[None, :] == used[:, None]  # (M, N)
    counts = members.sum(axis=1)
    return members @ q / counts, values @ members.T / counts


def nearest_neighbor_correlation(lattice, spins) -> float:
    """Mean of S_i · S_j over nearest-neighbour bonds (-1 for Néel, -1/2 for 120 degrees)."""
    s = np.asarray(spins)
    i, j = lattice.bonds(1).T
    return float(np.mean(np.einsum("ij,ij->i", s[i], s[j])))


def local_correlation(lattice, spins) -> np.ndarray:
    """C_i = (1/z_i) Σ_{j ∈ nn(i)} S_i · S_j over the existing neighbours (open edges have fewer)."""
    s = np.asarray(spins)
    nn = lattice.neighbors(1)
    valid = nn >= 0
    products = np.einsum("ic,ikc->ik", s, s[np.where(valid, nn, 0)])
    return np.sum(products * valid, axis=1) / valid.sum(axis=1)


def label_clusters(lattice, mask) -> tuple[np.ndarray, int]:
    """Connected clusters of the sites where ``mask`` is True, joined by nearest-neighbour bonds.

    Returns ``(labels, n_clusters)``; labels are 0..n_clusters-1 for masked
    sites and -1 elsewhere.  Example: FM clusters of the double-exchange model,
    ``label_clusters(lattice, local_correlation(lattice, spins) > 0)``.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (lattice.n_sites,):
        raise ValueError(f"mask must have shape ({lattice.n_sites},), got {mask.shape}")
    i, j = lattice.bonds(1).T
    keep = mask[i] & mask[j]
    graph = coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=(lattice.n_sites,) * 2)
    _, raw = connected_components(graph, directed=False)
    labels = np.full(lattice.n_sites, -1)
    _, labels[mask] = np.unique(raw[mask], return_inverse=True)
    return labels, int(labels.max() + 1)


def cluster_sizes(labels) -> np.ndarray:
    """Sizes of the clusters of :func:`label_clusters`, largest first."""
    labels = np.asarray(labels)
    return np.sort(np.bincount(labels[labels >= 0]))[::-1]


def standard_observables(lattice) -> dict:
    """A dictionary of observables for :func:`spinlab.trajectory.run` suited to the lattice.

    Triangular: S(q) at K, K', M1, M2, M3, the mean chirality and the mean |χ|;
    square: S(q) at M and X and the staggered magnetization; both: |m| and the
    nearest-neighbour correlation.
    """
    obs = {
        "|m|": lambda s: np.linalg.norm(magnetization(s)),
        "nn_correlation": lambda s: nearest_neighbor_correlation(lattice, s),
    }
    if all(lattice.periodic):
        for name in lattice.high_symmetry_points:
            if name != "Γ":
                obs[f"S({name})"] = lambda s, q=lattice.q_index(lattice.high_symmetry_points[name]): \
                    structure_factor(lattice, s)[q]
    if lattice.kind == "triangular" and all(lattice.periodic):
        obs["chirality"] = lambda s: scalar_chirality(lattice, s).mean()
        obs["|chirality|"] = lambda s: np.abs(scalar_chirality(lattice, s)).mean()
    if lattice.kind == "square" and all(lattice.periodic):
        obs["staggered"] = lambda s: staggered_magnetization(lattice, s)
    return obs
