r"""Chiral domain walls of the tetrahedral state: straight walls, disks, their energy and their modes.

The tetrahedral state (:func:`spinlab.spins.tetrahedral`) has scalar chirality
:math:`\chi = \pm 4/(3\sqrt3)` on every triangle; an improper rotation R of spin space
(det R = -1) maps it to the other chiral domain.  A wall between the domains separates
Chern insulators of opposite Chern number and carries gapless chiral modes
(physics.md §3).

Two straight walls fit a torus, parallel and as far apart as the torus allows:

``"bond"``
    Walls along a bond (along a1): domain -χ is the rows :math:`n_2 \in [L_2/2, L_2)`.
    The torus is :math:`L_1\times L_2`; each wall is :math:`\ell = L_1` long and the domains are
    :math:`L_2\sqrt3/4` wide.
``"perpendicular"``
    Walls perpendicular to a bond (along :math:`2\mathbf a_2 - \mathbf a_1`): domain -χ is
    :math:`u = (2n_1 + n_2) \bmod L_2 \in [L_2/2, L_2)`, which needs :math:`L_1 = L_2/2`; each
    wall is :math:`\ell = L_1\sqrt3` long and the domains are :math:`L_2/4` wide.

Where the domains meet, the relative spin frame R is a choice (:data:`WALL_FRAMES`): the
wall energy is minimized over frames after relaxation (:func:`spinlab.relaxation.relax`).
The wall energy per unit length at fixed :math:`N_e` is

.. math::

    \sigma = \frac{E_\text{walled} - E_\text{uniform}}{2\ell},

with E the quasi-canonical free energy of the solver; :func:`wall_energy` also gives the
grand potential at the uniform state's chemical potential and the charge the walls hold.
"""

from __future__ import annotations

import numpy as np

from .electrons.ensembles import Ensemble
from .lattice import TriangularLattice
from .observables import TETRAHEDRAL_CHIRALITY, scalar_chirality
from .spins import tetrahedral, transverse

__all__ = ["WALL_ORIENTATIONS", "WALL_FRAMES", "wall_torus", "wall_coordinate", "wall_distance", "wall_length",
           "chiral_walls", "chiral_disk", "chirality_profile", "wall_energy", "wall_spectrum", "field_response",
           "minus_chi_area", "wall_normal_angles", "bond_wall_fraction", "chiral_wall_distance"]

WALL_ORIENTATIONS = ("bond", "perpendicular")

_C3 = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # 120° about (1, 1, 1)

#: Relative spin frames R (det R = -1) of the -χ domain, :math:`\mathbf S_B = R\,\mathbf S_\text{tet}`.
#: Up to the translations of the tetrahedral state (the π rotations about x, y, z) the improper
#: symmetries of the tetrahedron and their products with -1 fall into six classes; these are four of them.
WALL_FRAMES = {
    "inverted": -np.eye(3),                                           # S -> -S: time reversal
    "inverted-C3": -_C3,                                              # -S, then 120° about (1, 1, 1)
    "mirrored": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # x <-> y: two corners kept
    "S4": np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),     # 90° about z, then z -> -z
}


def _check_orientation(orientation: str) -> None:
    if orientation not in WALL_ORIENTATIONS:
        raise ValueError(f"unknown wall orientation {orientation!r}; choose from {', '.join(WALL_ORIENTATIONS)}")


def wall_torus(orientation: str, width: int, length: int | None = None) -> TriangularLattice:
    """The torus holding two straight walls of ``orientation``.

    Parameters
    ----------
    orientation : {"bond", "perpendicular"}
    width : int
        Domain width in rows: ``"bond"`` gives :math:`L_2 = 2\\,\\text{width}` (domains
        :math:`\\text{width}\\cdot\\sqrt3/2` wide), ``"perpendicular"`` :math:`L_2 = 2\\,\\text{width}`
        and :math:`L_1 = \\text{width}` (domains width/2 wide).  Even, so the tetrahedral
        state fits each domain.
    length : int, optional
        :math:`L_1` of a ``"bond"`` torus (default ``width``); fixed by the width otherwise.
    """
    _check_orientation(orientation)
    if int(width) != width or width < 2 or width % 2:
        raise ValueError(f"the domain width must be an even number of rows >= 2, got {width}")
    if orientation == "perpendicular":
        if length is not None:
            raise ValueError("a perpendicular wall's length is fixed by the width (L1 = width)")
        return TriangularLattice(int(width), 2 * int(width))
    length = int(width) if length is None else length
    if int(length) != length or length < 2 or length % 2:
        raise ValueError(f"the wall length L1 must be an even integer >= 2, got {length}")
    return TriangularLattice(int(length), 2 * int(width))


def _check_torus(lattice, orientation: str) -> None:
    _check_orientation(orientation)
    if lattice.kind != "triangular" or not all(lattice.periodic):
        raise ValueError("chiral walls live on a periodic triangular lattice")
    if lattice.L1 % 2 or lattice.L2 % 4:
        raise ValueError(f"{lattice!r} does not hold two tetrahedral domains: need L1 even and L2 a multiple of 4 "
                         "(use wall_torus)")
    if orientation == "perpendicular" and 2 * lattice.L1 != lattice.L2:
        raise ValueError(f"{lattice!r}: perpendicular walls need L2 = 2 L1 (use wall_torus)")


def wall_coordinate(lattice, orientation: str) -> tuple[np.ndarray, float]:
    """Each site's row index across the walls (0 … L2-1) and the distance between rows.

    Rows 0 … L2/2-1 are the +χ domain; the walls lie between rows L2/2-1 and L2/2 and between
    rows L2-1 and 0.
    """
    _check_torus(lattice, orientation)
    n1, n2 = lattice.coords.T
    if orientation == "bond":
        return n2.copy(), np.sqrt(3) / 2
    return (2 * n1 + n2) % lattice.L2, 0.5


def wall_distance(lattice, orientation: str) -> np.ndarray:
    """Distance of every site from the nearer of the two constructed walls (N,)."""
    row, spacing = wall_coordinate(lattice, orientation)
    half = lattice.L2 // 2
    to_wall = np.minimum(np.abs(row - (half - 0.5)), np.minimum(row + 0.5, lattice.L2 - 0.5 - row))
    return to_wall * spacing


def wall_length(lattice, orientation: str) -> float:
    """Length ℓ of each of the two walls."""
    _check_torus(lattice, orientation)
    return float(lattice.L1 if orientation == "bond" else lattice.L1 * np.sqrt(3))


def _frame(frame) -> np.ndarray:
    if isinstance(frame, str):
        if frame not in WALL_FRAMES:
            raise ValueError(f"unknown wall frame {frame!r}; choose from {', '.join(WALL_FRAMES)} or give a 3 x 3 "
                             "matrix")
        return WALL_FRAMES[frame]
    R = np.asarray(frame, float)
    if R.shape != (3, 3) or not np.allclose(R @ R.T, np.eye(3), atol=1e-10) or np.linalg.det(R) > 0:
        raise ValueError("a wall frame is an improper rotation: a 3 x 3 orthogonal matrix with det = -1")
    return R


def chiral_walls(lattice, orientation: str, frame="inverted") -> np.ndarray:
    """Two straight walls: the tetrahedral state, and ``frame`` applied to it in the -χ domain (N, 3).

    The walls are abrupt; relax them (:func:`spinlab.relaxation.relax`) before measuring.
    """
    row, _ = wall_coordinate(lattice, orientation)
    spins = tetrahedral(lattice)
    minus = row >= lattice.L2 // 2
    spins[minus] = spins[minus] @ _frame(frame).T
    return spins


def chiral_disk(lattice, radius: float, frame="inverted", centre=None) -> np.ndarray:
    """A -χ disk of ``radius`` (sites within it carry ``frame`` applied to the tetrahedral state) in +χ."""
    if not radius > 0:
        raise ValueError(f"the disk radius must be > 0, got {radius}")
    if 2 * radius >= min(lattice.L1, lattice.L2) * np.sqrt(3) / 2:
        raise ValueError(f"a disk of radius {radius} does not fit {lattice!r}")
    spins = tetrahedral(lattice)
    centre = lattice.site_index(lattice.L1 // 2, lattice.L2 // 2) if centre is None else centre
    inside = np.linalg.norm(lattice.displacement(centre, np.arange(lattice.n_sites)), axis=-1) <= radius
    spins[inside] = spins[inside] @ _frame(frame).T
    return spins


def minus_chi_area(lattice, spins) -> float:
    """Area of the -χ region: the up triangles with χ < 0, each of area √3/2 (one unit cell)."""
    return float((scalar_chirality(lattice, spins)[: lattice.n_sites] < 0).sum() * np.sqrt(3) / 2)


def chirality_profile(lattice, spins, orientation: str) -> np.ndarray:
    """Up-triangle chirality averaged along the walls, per row across them, in units of 4/(3√3) (L2,)."""
    row, _ = wall_coordinate(lattice, orientation)
    chi = scalar_chirality(lattice, spins)[: lattice.n_sites] / TETRAHEDRAL_CHIRALITY
    return np.bincount(row, chi, lattice.L2) / np.bincount(row, minlength=lattice.L2)


def wall_energy(model, walled, uniform, orientation: str) -> dict:
    r"""Wall energy per unit length of two walls at fixed N_e and at fixed μ.

    Parameters
    ----------
    model : SDModel
        With ``n_electrons`` (the canonical or quasi-canonical energy is the fixed-N_e one).
    walled, uniform : (N, 3) arrays
        The relaxed walled state and the uniform tetrahedral state of the same torus.
    orientation : str

    Returns
    -------
    dict
        ``sigma`` (fixed N_e), ``sigma_mu`` (grand potential :math:`\Omega = E - \mu N` at the
        uniform state's μ, the same kT_el) and ``charge_per_length``, the electrons the walls
        add at that μ per unit length of wall; ``mu`` and ``length``.
    """
    length = wall_length(model.lattice, orientation)
    eps_w, eps_u = model.spectrum(walled), model.spectrum(uniform)
    canonical = model.ensemble_
    _, mu, _, e_uniform = canonical.occupations(eps_u)
    e_walled = canonical.occupations(eps_w)[3]
    fixed_mu = Ensemble(mu=mu, kT=model.kT_el)
    f_w, _, _, omega_w = fixed_mu.occupations(eps_w)
    f_u, _, _, omega_u = fixed_mu.occupations(eps_u)
    return {"sigma": (e_walled - e_uniform) / (2 * length), "sigma_mu": (omega_w - omega_u) / (2 * length),
            "charge_per_length": float(f_w.sum() - f_u.sum()) / (2 * length), "mu": float(mu), "length": length}


def wall_spectrum(model, spins, near) -> tuple[np.ndarray, np.ndarray]:
    """Single-particle energies and each state's weight on the sites ``near`` (bool, N) (2N,), (2N,).

    A state spread evenly has weight ``near.mean()``; a wall-bound mode has weight near 1.
    """
    H = model.hamiltonian(spins)
    eps, V = np.linalg.eigh(H)
    on_site = (np.abs(V[0::2]) ** 2 + np.abs(V[1::2]) ** 2)
    return eps, on_site[np.asarray(near, bool)].sum(axis=0)


def field_response(model, spins, site: int, angle: float = 1e-4) -> np.ndarray:
    r"""How strongly each site's transverse field follows a small rotation of one spin (N,).

    Rotates spin ``site`` by ``angle`` about two axes perpendicular to it and returns
    :math:`\big(\sum_{\text{axes}} |\delta\mathbf H_{\perp,i}|^2\big)^{1/2}/\text{angle}`, a column
    of the energy's Hessian: how far the field of a site reaches (by symmetry of the Hessian,
    which spins it depends on).  Central differences.
    """
    spins = np.asarray(spins, float)
    s = spins[site]
    e1 = np.cross(s, [1.0, 0.0, 0.0] if abs(s[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(s, e1)
    total = np.zeros(len(spins))
    for axis in (e1, e2):
        changes = []
        for sign in (1, -1):
            turned = spins.copy()
            turned[site] = np.cos(angle) * s + sign * np.sin(angle) * axis
            changes.append(transverse(turned, model.exchange_field(turned)))
        total += np.sum(((changes[0] - changes[1]) / (2 * angle)) ** 2, axis=1)
    return np.sqrt(total)


def wall_normal_angles(lattice, chirality, smoothing: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    r"""Directions of the domain walls of an up-triangle chirality map, as angles of their normals mod 60°.

    The map is smoothed by a Gaussian of width ``smoothing`` (lattice spacings, in Fourier space on
    the torus) to :math:`\bar\chi`, and every up triangle gets the weight
    :math:`w = |\nabla\bar\chi|\,\delta_\epsilon(\bar\chi)` (a Gaussian δ of width ε = rms(χ̄)/5):
    by the coarea formula :math:`\sum w` times the area per triangle is the length of the walls
    (the lines χ̄ = 0), whatever their direction, so the weighted angles measure wall length per
    direction.  The normal is along :math:`\nabla\bar\chi`; the lattice's sixfold symmetry makes
    its angle meaningful mod 60°: a wall along a bond has its normal at 30°, a wall perpendicular
    to a bond at 0°.

    Parameters
    ----------
    lattice : periodic TriangularLattice
    chirality : (N,) array
        χ of the up triangles (the first N entries of :func:`~spinlab.observables.scalar_chirality`).
    smoothing : float

    Returns
    -------
    angles, weights : arrays
        Of the triangles with a weight above 10⁻⁶ of the largest.
    """
    chi = np.asarray(chirality, float)
    if lattice.kind != "triangular" or not all(lattice.periodic) or chi.shape != (lattice.n_sites,):
        raise ValueError("need a periodic triangular lattice and one chirality per up triangle (N,)")
    L1, L2 = lattice.L1, lattice.L2
    b1, b2 = lattice.reciprocal_vectors
    f1, f2 = np.meshgrid(np.fft.fftfreq(L1), np.fft.fftfreq(L2))
    q = f1[..., None] * b1 + f2[..., None] * b2
    # the shortest of the equivalent wave vectors, so that the Gaussian and the gradient see |q| in the zone
    images = np.stack([q + m1 * b1 + m2 * b2 for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)])
    q = np.take_along_axis(images, np.argmin(np.linalg.norm(images, axis=-1), axis=0)[None, ..., None], 0)[0]
    smooth_hat = np.fft.fft2(chi.reshape(L2, L1)) * np.exp(-0.5 * smoothing**2 * np.sum(q**2, axis=-1))
    smooth = np.fft.ifft2(smooth_hat).real.ravel()
    gx, gy = (np.fft.ifft2(1j * q[..., a] * smooth_hat).real.ravel() for a in (0, 1))
    epsilon = 0.2 * np.sqrt(np.mean(smooth**2))
    weight = np.hypot(gx, gy) * np.exp(-0.5 * (smooth / epsilon) ** 2) / (epsilon * np.sqrt(2 * np.pi))
    keep = weight > 1e-6 * weight.max()
    return np.degrees(np.arctan2(gy[keep], gx[keep])) % 60.0, weight[keep]


def bond_wall_fraction(angles, weights=None) -> float:
    """Share of wall length with normals within 15° of a bond wall's (30° mod 60°); 1/2 for walls of every direction."""
    angles = np.asarray(angles, float)
    weights = np.ones_like(angles) if weights is None else np.asarray(weights, float)
    return float(np.sum(weights[np.abs(angles - 30.0) < 15.0]) / np.sum(weights)) if len(angles) else float("nan")


def chiral_wall_distance(lattice, spins) -> np.ndarray:
    """Distance of every site from the nearest wall site of any texture (N,); inf without walls.

    A site's chirality sign is that of the summed χ of its six triangles; a wall site has a
    nearest neighbour of the other sign.  Unlike :func:`wall_distance` this needs no constructed
    walls: it classifies the sites of relaxing, coarsening or disk states (domain sites are those
    farther than 3 from a wall, the issue's measure of bulk accuracy).
    """
    spins = np.asarray(spins, float)
    chi = scalar_chirality(lattice, spins)
    site_chi = np.zeros(lattice.n_sites)
    for corner in lattice.triangles().T:
        np.add.at(site_chi, corner, chi)
    i, j = lattice.bonds().T
    opposite = np.sign(site_chi[i]) != np.sign(site_chi[j])
    wall = np.unique(np.concatenate([i[opposite], j[opposite]]))
    if not len(wall):
        return np.full(lattice.n_sites, np.inf)
    d = np.linalg.norm(lattice.displacement(np.arange(lattice.n_sites)[:, None], wall[None, :]), axis=-1)
    return d.min(axis=1)
