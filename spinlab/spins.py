"""Classical spin configurations: validation, random states and ideal ordered textures.

A configuration is a float64 array of shape (N, 3) of unit vectors, ordered
like the lattice sites (``i = n1 + L1 * n2``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SPIN_NORM_TOLERANCE",
    "as_spins",
    "transverse",
    "random_spins",
    "perturbed",
    "ferromagnet",
    "neel",
    "three_sublattice",
    "tetrahedral",
    "stripe",
    "up_up_up_down",
    "coplanar_double_q",
    "TEXTURES",
]

#: Spins whose length differs from 1 by more than this are refused, never silently normalized.
SPIN_NORM_TOLERANCE = 1e-3


def as_spins(spins, n_sites: int | None = None, *, batch: bool = False) -> np.ndarray:
    """Validate a spin configuration and return it as a float64 array.

    Parameters
    ----------
    spins : array_like, shape (N, 3), or (B, N, 3) when ``batch``
    n_sites : int, optional
        Required number of sites N.
    batch : bool
        Also accept a stack of configurations.

    Raises
    ------
    ValueError
        Wrong shape, non-finite values, or a spin whose length differs from 1
        by more than :data:`SPIN_NORM_TOLERANCE`.
    """
    s = np.asarray(spins, dtype=np.float64)
    ok_ndim = (2, 3) if batch else (2,)
    expected = f"({n_sites if n_sites is not None else 'N'}, 3)"
    if s.ndim not in ok_ndim or s.shape[-1] != 3:
        raise ValueError(f"spins must have shape {expected}{' or (B, N, 3)' if batch else ''}, got {s.shape}")
    if n_sites is not None and s.shape[-2] != n_sites:
        raise ValueError(f"spins must have shape {expected}: got {s.shape[-2]} sites for a lattice of {n_sites}")
    squared = np.einsum("...i,...i->...", s, s)
    # one pass catches everything: NaN and inf fail this comparison too
    if squared.size and not np.all(np.abs(squared - 1.0) <= 2 * SPIN_NORM_TOLERANCE):
        if not np.all(np.isfinite(s)):
            raise ValueError("spins contain NaN or infinite values")
        worst = np.max(np.abs(np.sqrt(squared) - 1.0))
        if worst > SPIN_NORM_TOLERANCE:
            raise ValueError(
                f"spins must be unit vectors: the largest | |S_i| - 1 | is {worst:.3g} "
                f"(tolerance {SPIN_NORM_TOLERANCE:g}); normalize them explicitly if that is intended"
            )
    return s


def transverse(spins, vectors) -> np.ndarray:
    r"""The part of ``vectors`` perpendicular to ``spins``, :math:`\mathbf v - (\mathbf v\cdot\mathbf S)\mathbf S`.

    For an exchange field this is the part that exerts the torque :math:`\mathbf S\times\mathbf H`.
    Works on (..., 3) arrays of unit spins and vectors of the same shape.
    """
    return vectors - np.sum(spins * vectors, axis=-1, keepdims=True) * spins


def random_spins(n_sites: int, seed=None) -> np.ndarray:
    """Spins drawn independently and uniformly on the unit sphere (infinite temperature).

    ``seed`` is an int, ``None`` or a :class:`numpy.random.Generator`.
    """
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n_sites, 3))
    return s / np.linalg.norm(s, axis=1, keepdims=True)


def perturbed(spins, angle: float, rng) -> np.ndarray:
    """The spins turned by small random angles: Gaussian kicks of rms ``angle`` (radians) along each of
    the two axes transverse to each spin, then renormalized (``rng``: a seed or a Generator)."""
    spins = np.asarray(spins, float)
    kick = np.random.default_rng(rng).normal(scale=angle, size=spins.shape)
    kick -= np.sum(kick * spins, axis=1, keepdims=True) * spins
    moved = spins + kick
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def ferromagnet(lattice, direction=(0.0, 0.0, 1.0)) -> np.ndarray:
    """All spins along ``direction``."""
    d = np.asarray(direction, float)
    return np.tile(d / np.linalg.norm(d), (lattice.n_sites, 1))


def _require_multiple(lattice, m: int, name: str) -> None:
    if lattice.L1 % m or lattice.L2 % m:
        raise ValueError(f"the {name} state needs L1 and L2 multiples of {m}, got {lattice.shape}")


def neel(lattice) -> np.ndarray:
    """Square-lattice Néel state, S_i = (-1)^(x+y) z."""
    _require_multiple(lattice, 2, "Néel")
    sign = (-1.0) ** lattice.coords.sum(axis=1)
    return sign[:, None] * np.array([0.0, 0.0, 1.0])


def three_sublattice(lattice) -> np.ndarray:
    """Triangular 120-degree state: sublattice (2 n1 + n2) mod 3 at angles 0, 120, 240 degrees in the xy plane."""
    _require_multiple(lattice, 3, "120-degree")
    n1, n2 = lattice.coords.T
    phi = 2 * np.pi / 3 * ((2 * n1 + n2) % 3)
    return np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], axis=1)


_TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)


def tetrahedral(lattice) -> np.ndarray:
    """Triple-Q state: sublattice (n1 mod 2) + 2 (n2 mod 2) carries the corners of a tetrahedron.

    Its components are modulated at M1, M2, M3; every triangle has scalar
    chirality 4/(3√3).
    """
    _require_multiple(lattice, 2, "tetrahedral")
    n1, n2 = lattice.coords.T
    return _TETRAHEDRON[(n1 % 2) + 2 * (n2 % 2)].astype(float)


def stripe(lattice) -> np.ndarray:
    """Collinear stripe at Q = b1/2: S = (-1)^n1 z."""
    _require_multiple(lattice, 2, "stripe")
    return ((-1.0) ** lattice.coords[:, 0])[:, None] * np.array([0.0, 0.0, 1.0])


def up_up_up_down(lattice) -> np.ndarray:
    """Collinear 2x2 state: three sublattices up, sublattice (1, 1) down."""
    _require_multiple(lattice, 2, "up-up-up-down")
    n1, n2 = lattice.coords.T
    sign = np.where((n1 % 2 == 1) & (n2 % 2 == 1), -1.0, 1.0)
    return sign[:, None] * np.array([0.0, 0.0, 1.0])


def coplanar_double_q(lattice) -> np.ndarray:
    """Coplanar 2Q state at M1, M2: S = ((-1)^n1, (-1)^n2, 0)/√2."""
    _require_multiple(lattice, 2, "coplanar 2Q")
    n1, n2 = lattice.coords.T
    return np.stack([(-1.0) ** n1, (-1.0) ** n2, np.zeros(len(n1))], axis=1) / np.sqrt(2)


#: Named ideal textures, for widgets and the command line.
TEXTURES = {
    "ferromagnet": ferromagnet,
    "120-degree": three_sublattice,
    "tetrahedral": tetrahedral,
    "stripe": stripe,
    "up-up-up-down": up_up_up_down,
    "coplanar 2Q": coplanar_double_q,
    "Néel": neel,
}
