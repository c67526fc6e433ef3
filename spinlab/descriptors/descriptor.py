r"""Magnetic descriptors: the symmetric (group-theoretical) one and the raw bond-list baseline.

A descriptor maps the spins around every site i to a feature vector
:math:`G_i`.  Both are built from bond variables :math:`b_{jk} = \mathbf S_j\cdot\mathbf S_k`
of the site pairs of the neighbourhood :math:`\{j : |r_j - r_i| \le r_c\}` (centre
included) with :math:`|r_j - r_k| \le \ell_\mathrm{max}`, so both are invariant under
global spin rotations.

* :class:`SymmetricDescriptor` is also invariant under the site point group (D6 or
  D4): the bond orbits are decomposed into irreps, :math:`f^{\Gamma,c}_O`, and the
  features are

  - the A1 components :math:`f^{A_1}_O` (linear: a Heisenberg energy is exactly representable),
  - the power spectrum :math:`|f^{\Gamma,c}_O|^2`,
  - the products with the reference vectors :math:`f^{\Gamma,c}_O\cdot R^\Gamma`,
    :math:`R^\Gamma = \sum_{O,c} f^{\Gamma,c}_O` (the smooth reference-IR variant),
  - the bispectrum of the references,
    :math:`B^{\Gamma_1\Gamma_2\Gamma_3} = \sum C_{abc} R^{\Gamma_1}_a R^{\Gamma_2}_b R^{\Gamma_3}_c`,
    without the channels that vanish identically for one reference vector.

  All are polynomials of the spins, so features and forces are smooth everywhere.
* :class:`BondListDescriptor` is the baseline of the authors' PRL code: the bond
  list in a fixed orbit-by-orbit order plus the scalar chiralities
  :math:`\mathbf S_0\cdot(\mathbf S_{j_k}\times\mathbf S_{j_{k-1}})` around each shell of the
  centre.  A lattice rotation permutes its entries, so a network on top of it is
  *not* point-group invariant.

Both give exact derivatives: :meth:`~Descriptor.vjp` (cotangent (N, F) -> gradient
(N, 3), what fields need) and :meth:`~Descriptor.jvp` (direction (N, 3) -> change of
G (N, F), what training on fields needs), without building the Jacobian.
:meth:`~Descriptor.pullback` runs features -> site function -> cotangent block by block
of sites, so that a large lattice never holds its features at once (model prediction).

Every descriptor includes the centre's self-product :math:`|\mathbf S_0|^2` (orbit 0):
it is 1 for unit spins, but its gradient :math:`2\mathbf S_0` lets a model represent the
longitudinal part of a field, which dominates ED fields at strong coupling, without
producing spurious torques.

Feature counts (default pair range: 2 triangular, 2.3 square):

==========  ======  ==========  =====  =====  ======  ========
lattice     cutoff  pair range  sites  pairs  orbits  features
==========  ======  ==========  =====  =====  ======  ========
triangular  2       2           19     100    14      159
triangular  3       2           37     232    27      348
triangular  4       2           61     418    45      614
square      2.3     2.3         21     123    21      215
==========  ======  ==========  =====  =====  ======  ========
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from ..lattice import Lattice, SquareLattice, Stencil, TriangularLattice
from ..spins import as_spins
from . import kernels
from .decomposition import decompose_orbit, invariant_tensors, pair_orbits
from .groups import GROUP_NAMES, irreps, mirror_irreps

__all__ = ["Descriptor", "SymmetricDescriptor", "StripDescriptor", "BondListDescriptor", "descriptor_from_config"]

_LATTICES = {"triangular": TriangularLattice, "square": SquareLattice}
#: Default pair range ℓ_max (capped by the cutoff): the configurations of physics.md §5.3.
DEFAULT_PAIR_RANGE = {"triangular": 2.0, "square": 2.3}
#: Sites per block of :meth:`Descriptor.pullback` (a few MB of features and activations per block:
#: they stay in the last-level cache; 2048 sites or more keep the threaded kernels).
BLOCK_SITES = 2048


class Descriptor:
    """Common machinery: neighbourhood, bond pairs and their orbits, binding to lattices.

    Parameters
    ----------
    kind : {"triangular", "square"}
    cutoff : float
        Neighbourhood radius r_c (lattice constants).
    pair_range : float, optional
        Largest distance ℓ_max between the two sites of a bond variable (default:
        ``min(cutoff, DEFAULT_PAIR_RANGE[kind])``, 2 triangular, 2.3 square).
    """

    name = "descriptor"
    _triples = np.zeros((0, 3), dtype=np.int64)  # stencil triples of chirality features
    #: names of the spin-independent columns that end every feature vector (none here; see StripDescriptor)
    static_names: tuple = ()

    def __init__(self, kind: str, cutoff: float, pair_range: float | None = None):
        if kind not in _LATTICES:
            raise ValueError(f"kind must be one of {sorted(_LATTICES)}, got {kind!r}")
        if pair_range is None:
            pair_range = min(cutoff, DEFAULT_PAIR_RANGE[kind])
        if not cutoff >= 1.0:
            raise ValueError(f"cutoff must be at least one lattice constant, got {cutoff}")
        if not 1.0 <= pair_range <= 2 * cutoff:
            raise ValueError(f"pair_range must lie in [1, 2 cutoff], got {pair_range}")
        self.kind, self.cutoff, self.pair_range = kind, float(cutoff), float(pair_range)
        reference = _LATTICES[kind](2 * int(np.ceil(cutoff)) + 1)
        self.stencil, self.irreps, self.group_name = self._point_group(reference.stencil(cutoff),
                                                                       reference.group_order)
        self.orbits = pair_orbits(self.stencil, pair_range)
        self.pairs = np.ascontiguousarray(np.concatenate([o.pairs for o in self.orbits]))
        #: pair (= bond variable) index range of each orbit: orbit k is pairs[orbit_slices[k]]
        ends = np.cumsum([o.size for o in self.orbits])
        self.orbit_slices = [slice(int(e - o.size), int(e)) for o, e in zip(self.orbits, ends)]
        self._bound = weakref.WeakKeyDictionary()

    # -- bookkeeping -------------------------------------------------------------------------------
    def _point_group(self, stencil: Stencil, order: int):
        """The stencil with the group the features are invariant under, that group's irreps and name."""
        return stencil, irreps(order), GROUP_NAMES[order]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_spin_features(self) -> int:
        """Features that depend on the spins (the first ones)."""
        return self.n_features - len(self.static_names)

    def config(self) -> dict:
        return {"descriptor": self.name, "kind": self.kind, "cutoff": self.cutoff, "pair_range": self.pair_range}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(kind={self.kind!r}, cutoff={self.cutoff:g}, pair_range={self.pair_range:g})"
                f"  # {self.group_name}, {self.stencil.size} sites, {len(self.pairs)} pairs, "
                f"{len(self.orbits)} orbits, {self.n_features} features")

    def orbit_table(self) -> list[dict]:
        """One row per bond orbit: size, representative pair and the distances involved."""
        v = self.stencil.vectors
        rows = []
        for k, o in enumerate(self.orbits):
            j, m = o.pairs[0]
            rows.append({"orbit": k, "size": o.size, "pair": (int(j), int(m)),
                         "bond_length": float(np.linalg.norm(v[j] - v[m])),
                         "site_distances": (float(np.linalg.norm(v[j])), float(np.linalg.norm(v[m])))})
        return rows

    def _binding(self, lattice: Lattice):
        """Neighbour table (N, M) and its inverse (source[s, k] = i with table[i, k] = s) for a lattice."""
        if lattice.kind != self.kind:
            raise ValueError(f"a {self.kind} descriptor cannot describe a {lattice.kind} lattice")
        if lattice not in self._bound:
            stencil, table = lattice.neighborhood(self.cutoff)
            if not np.array_equal(stencil.offsets, self.stencil.offsets):
                raise RuntimeError("stencil order differs between lattices")  # a bug, not user input
            source = np.full_like(table, -1)
            i, k = np.nonzero(table >= 0)
            source[table[i, k], k] = i
            self._bound[lattice] = (np.ascontiguousarray(table), source)
        return self._bound[lattice]

    @property
    def _n_products(self):
        return len(self.pairs) + len(self._triples)

    def _products(self, lattice, spins, rows=slice(None)):
        """Products x (n, P) of the sites ``rows`` (a slice)."""
        table = self._binding(lattice)[0][rows]
        x = np.empty((len(table), self._n_products))
        kernels.products(table, spins, self.pairs, self._triples, x)
        return x

    def _products_vjp(self, lattice, spins, cotangent):
        table, source = self._binding(lattice)
        out = np.empty((lattice.n_sites, 3))
        kernels.products_vjp(source, table, spins, self.pairs, self._triples, np.ascontiguousarray(cotangent), out)
        return out

    def _check(self, lattice, spins):
        return np.ascontiguousarray(as_spins(spins, lattice.n_sites))

    def _static(self, lattice, bias):
        """The spin-independent columns (N, len(static_names)) of every site, or None."""
        if bias is not None:
            raise ValueError(f"a {self.name} descriptor takes no bias: it describes equilibrium neighbourhoods")
        return None

    @staticmethod
    def _append(G, static, rows=slice(None)):
        return G if static is None else np.hstack([G, static[rows]])

    # -- the invariants layer: the identity here, overridden by the symmetric descriptor -------------------
    def _layer_input(self, x):
        """What the invariants and their reverse both read, computed once per block from the products x."""
        return x

    def _invariants(self, u):
        return u

    def _invariants_vjp(self, u, cotangent, out):
        out[:] = cotangent

    def _invariants_jvp(self, x, xdot):
        return xdot

    # -- the public interface ----------------------------------------------------------------------------
    def features(self, lattice: Lattice, spins, bias=None) -> np.ndarray:
        """Features G (N, F) of every site (``bias``: the leads' (μ_L, μ_R), strip descriptor only)."""
        static = self._static(lattice, bias)
        x = self._products(lattice, self._check(lattice, spins))
        return self._append(self._invariants(self._layer_input(x)), static)

    def vjp(self, lattice: Lattice, spins, cotangent) -> np.ndarray:
        r"""Vector-Jacobian product :math:`\partial(\sum_i \bar G_i\cdot G_i)/\partial\mathbf S`, shape (N, 3).

        With ``cotangent`` = ∂ε/∂G of a site-energy model this is ∂E/∂S = -H.  The static
        columns do not depend on the spins: their cotangents drop out.
        """
        spins = self._check(lattice, spins)
        x = self._products(lattice, spins)
        xbar = np.empty_like(x)
        cotangent = np.asarray(cotangent, dtype=float)[:, : self.n_spin_features]
        self._invariants_vjp(self._layer_input(x), np.ascontiguousarray(cotangent), xbar)
        return self._products_vjp(lattice, spins, xbar)

    def jvp(self, lattice: Lattice, spins, tangent) -> np.ndarray:
        r"""Jacobian-vector product :math:`\sum_j (\partial G_i/\partial\mathbf S_j)\,\dot{\mathbf S}_j`, shape (N, F)."""
        spins = self._check(lattice, spins)
        table, _ = self._binding(lattice)
        xdot = np.empty((lattice.n_sites, self._n_products))
        kernels.products_jvp(table, spins, np.ascontiguousarray(tangent, dtype=float), self.pairs, self._triples, xdot)
        Gdot = self._invariants_jvp(self._products(lattice, spins), xdot)
        return np.hstack([Gdot, np.zeros((len(Gdot), len(self.static_names)))]) if self.static_names else Gdot

    def pullback(self, lattice: Lattice, spins, site_cotangents, block_sites: int | None = None, bias=None) -> list:
        r"""Gradients :math:`\partial(\sum_i \varepsilon_o(G_i))/\partial\mathbf S`, one (N, 3) array per output o.

        ``site_cotangents(G, rows)`` gets the features G of the sites ``rows`` (a slice)
        and returns the list of :math:`\partial\varepsilon_o/\partial G` for them.  The sites
        are processed in blocks of ``block_sites`` (default :data:`BLOCK_SITES`): the features, the cotangents and the
        intermediates of ε then exist for one block at a time and stay in cache on a large
        lattice.  Only the cotangents of the products are kept for all sites, because the
        last step gathers every site's gradient from its neighbours' entries.
        """
        spins = self._check(lattice, spins)
        static = self._static(lattice, bias)
        n = lattice.n_sites
        block_sites = BLOCK_SITES if block_sites is None else int(block_sites)
        if block_sites < 1:
            raise ValueError(f"block_sites must be positive, got {block_sites}")
        xbars = None
        for start in range(0, n, block_sites):
            rows = slice(start, min(n, start + block_sites))
            u = self._layer_input(self._products(lattice, spins, rows))
            cotangents = site_cotangents(self._append(self._invariants(u), static, rows), rows)
            if xbars is None:
                xbars = [np.empty((n, self._n_products)) for _ in cotangents]
            for xbar, cotangent in zip(xbars, cotangents):
                cotangent = np.asarray(cotangent, dtype=float)[:, : self.n_spin_features]
                self._invariants_vjp(u, np.ascontiguousarray(cotangent), xbar[rows])
        return [self._products_vjp(lattice, spins, xbar) for xbar in xbars]


class SymmetricDescriptor(Descriptor):
    """Point-group and spin-rotation invariant descriptor (module docstring).

    Examples
    --------
    >>> d = SymmetricDescriptor("triangular", cutoff=2.0)
    >>> d.n_features, len(d.orbits)
    (159, 14)
    """

    name = "symmetric"

    def __init__(self, kind: str = "triangular", cutoff: float = 2.0, pair_range: float | None = None):
        super().__init__(kind, cutoff, pair_range)
        rotations, orbit_offset = [], [0]
        copy_start, copy_dim, copy_irrep, copy_orbit, copy_number, names = [], [], [], [], [], []
        for k, orbit in enumerate(self.orbits):
            copies = decompose_orbit(orbit, self.irreps)
            U = np.concatenate([c.partners for c in copies])
            row, seen = orbit_offset[-1], {}
            rotations.append((slice(row, row + len(U)), np.ascontiguousarray(U.T), np.ascontiguousarray(U)))
            for c in copies:
                label = self.irreps[c.irrep].name
                n = seen[label] = seen.get(label, -1) + 1
                copy_orbit.append(k)
                copy_number.append(n)
                copy_start.append(row)
                copy_dim.append(self.irreps[c.irrep].dim)
                copy_irrep.append(c.irrep)
                names.append(f"{label}[o{k}.{n}]")
                row += self.irreps[c.irrep].dim
            orbit_offset.append(row)
        self.copy_names = names
        #: one row per irrep copy: orbit, irrep name, copy number, and its columns in irrep_components
        self.components = [{"orbit": o, "irrep": self.irreps[r].name, "copy": n, "columns": slice(start, start + dim)}
                           for o, r, n, start, dim in zip(copy_orbit, copy_irrep, copy_number, copy_start, copy_dim)]
        #: per orbit: its columns, U^T and U (f = U x over the orbit's bond products)
        self._rotations = rotations
        self._copy_start, self._copy_dim = np.array(copy_start), np.array(copy_dim)
        self._copy_irrep = np.array(copy_irrep)
        #: R = f @ summation: the references, (n_irreps, 2) per site flattened
        self._summation = np.zeros((orbit_offset[-1], 2 * len(self.irreps)))
        for start, dim, r in zip(copy_start, copy_dim, copy_irrep):
            self._summation[start + np.arange(dim), 2 * r + np.arange(dim)] = 1.0
        self._a1 = np.flatnonzero(self._copy_irrep == 0)
        self._channels, self._tensors, channel_names = self._bispectrum_channels()
        self.feature_names = ([names[c] for c in self._a1] + [f"|{n}|²" for n in names]
                              + [f"{n}·ref" for n in names] + channel_names)
        n_a1, n_copies = len(self._a1), len(names)
        #: column indices of each feature family in ``features``
        self.feature_families = {
            "A1": np.arange(n_a1), "power": n_a1 + np.arange(n_copies),
            "reference": n_a1 + n_copies + np.arange(n_copies),
            "bispectrum": n_a1 + 2 * n_copies + np.arange(len(channel_names))}

    def _bispectrum_channels(self):
        """Invariant triple products of the reference vectors that are not identically zero."""
        channels, tensors, labels = [], [], []
        for triple in itertools.combinations_with_replacement(range(len(self.irreps)), 3):
            for C in invariant_tensors(*(self.irreps[r] for r in triple)):
                # one vector fills repeated slots: keep only the part symmetric in them
                sym = C
                if triple[0] == triple[1]:
                    sym = 0.5 * (sym + sym.transpose(1, 0, 2))
                if triple[1] == triple[2]:
                    sym = 0.5 * (sym + sym.transpose(0, 2, 1))
                if np.abs(sym).max() < 1e-12:
                    continue
                padded = np.zeros((2, 2, 2))
                padded[: C.shape[0], : C.shape[1], : C.shape[2]] = C
                channels.append(triple)
                tensors.append(padded)
                labels.append("B(" + ",".join(self.irreps[r].name for r in triple) + ")")
        return np.array(channels, dtype=np.int64), np.array(tensors), labels

    def _layer_args(self):
        return (self._copy_start, self._copy_dim, self._copy_irrep, self._a1, self._channels, self._tensors)

    def _rotated(self, x, transpose=False, out=None):
        """f = U x of every row (x: bond products), or x = U^T f with ``transpose``: one matrix product per orbit."""
        out = np.empty_like(x) if out is None else out
        for columns, UT, U in self._rotations:
            np.matmul(x[:, columns], U if transpose else UT, out=out[:, columns])
        return out

    def _references(self, f):
        """The reference vectors R^Γ = Σ_c f^(Γ,c) of every row, (n, n_irreps, 2) (zero-padded for 1D irreps)."""
        return (f @ self._summation).reshape(len(f), -1, 2)

    def irrep_components(self, lattice: Lattice, spins) -> np.ndarray:
        """All irrep components f (N, n_pairs), orbit by orbit (for plots and teaching)."""
        return self._rotated(self._products(lattice, self._check(lattice, spins)))

    def _layer_input(self, x):
        """The irrep components f = U x and their reference vectors, shared by the invariants and their reverse."""
        f = self._rotated(x)
        return f, self._references(f)

    def _invariants(self, u):
        f, references = u
        out = np.empty((len(f), self.n_spin_features))
        kernels.invariants(f, references, *self._layer_args(), out)
        return out

    def _invariants_vjp(self, u, cotangent, out):
        f, references = u
        fbar, rbar = np.empty_like(f), np.empty((len(f), len(self.irreps), 2))
        kernels.invariants_vjp(f, references, cotangent, *self._layer_args(), fbar, rbar)
        fbar += rbar.reshape(len(f), -1) @ self._summation.T
        self._rotated(fbar, transpose=True, out=out)

    def _invariants_jvp(self, x, xdot):
        f, df = self._rotated(x), self._rotated(xdot)
        out = np.empty((len(x), self.n_spin_features))
        kernels.invariants_jvp(f, self._references(f), df, self._references(df), *self._layer_args(), out)
        return out


class StripDescriptor(SymmetricDescriptor):
    r"""Descriptor of a square-lattice strip between two leads (physics.md §6.2): one model for all columns.

    The spin features are those of :class:`SymmetricDescriptor` for the group the driven strip
    keeps, Cs = {1, mirror y -> -y} (the leads break the rotations, the bias breaks x -> -x), so
    bonds left and right of a site are told apart.  Spin-independent columns follow:

    * **presence**: for each mirror pair of stencil sites, the fraction present; a missing
      neighbour (beyond a lead column) is then distinguishable from a perpendicular one, whose
      bond variables are also zero;
    * **distance to each lead**, :math:`e(d) = \max(0, 1 - d/d_\mathrm{lead})^2` with
      :math:`d_L = x`, :math:`d_R = L_x - 1 - x`, zero beyond ``lead_range``, so a model does not
      see the raw x and transfers to other strip lengths (and to a periodic lattice, its bulk);
    * **bias**: the leads' electron chemical potentials (μ_L, μ_R), given with the spins.

    Parameters
    ----------
    cutoff, pair_range : float
        As for :class:`SymmetricDescriptor` (square lattice).
    lead_range : float
        Distance from a lead column beyond which a site is bulk for the lead features.

    Examples
    --------
    >>> d = StripDescriptor(cutoff=2.3)
    >>> d.static_names[-2:]
    ('mu_left', 'mu_right')
    """

    name = "strip"

    def __init__(self, cutoff: float = 2.3, pair_range: float | None = None, lead_range: float = 5.0):
        if not lead_range > 0:
            raise ValueError(f"lead_range must be positive, got {lead_range}")
        self.lead_range = float(lead_range)
        super().__init__("square", cutoff, pair_range)
        mirror = self.stencil.permutations[1]
        self._mirror_pairs = sorted({(min(k, mirror[k]), max(k, mirror[k])) for k in range(1, self.stencil.size)})
        offsets = self.stencil.offsets
        self.static_names = (tuple(f"present({offsets[j][0]},{abs(offsets[j][1])})" for j, _ in self._mirror_pairs)
                             + ("lead_left", "lead_right", "mu_left", "mu_right"))
        self.feature_names = self.feature_names + list(self.static_names)

    def _point_group(self, stencil, order):
        keep = [0, order]  # the identity and M_x = diag(1, -1), in the order of point_group_matrices
        return (Stencil(stencil.offsets, stencil.vectors, stencil.permutations[keep], stencil.group[keep]),
                mirror_irreps(), "Cs")

    def config(self) -> dict:
        return {"descriptor": self.name, "cutoff": self.cutoff, "pair_range": self.pair_range,
                "lead_range": self.lead_range}

    def __repr__(self) -> str:
        return super().__repr__().replace("kind='square', ", "").replace(
            ")  #", f", lead_range={self.lead_range:g})  #", 1)

    def _static(self, lattice, bias):
        if bias is None:
            raise ValueError("the strip descriptor needs the leads' chemical potentials: bias=(mu_left, mu_right)")
        mu = np.asarray(bias, dtype=float)
        if mu.shape != (2,) or not np.all(np.isfinite(mu)):
            raise ValueError(f"bias must be the two finite numbers (mu_left, mu_right), got {bias!r}")
        if not lattice.periodic[1]:
            raise ValueError(f"the strip descriptor needs a lattice periodic along y, got {lattice!r}")
        present = self._binding(lattice)[0] >= 0
        presence = np.stack([present[:, list(pair)].mean(axis=1) for pair in self._mirror_pairs], axis=1)
        x = lattice.coords[:, 0].astype(float)
        distances = np.full((len(x), 2), np.inf) if lattice.periodic[0] else np.stack([x, lattice.L1 - 1 - x], 1)
        leads = np.clip(1 - distances / self.lead_range, 0, None) ** 2
        return np.hstack([presence, leads, np.broadcast_to(mu, (len(x), 2))])


class BondListDescriptor(Descriptor):
    """Raw bond list plus scalar chiralities: the rotation-invariant, *not* point-group invariant baseline."""

    name = "bond-list"

    def __init__(self, kind: str = "triangular", cutoff: float = 2.0, pair_range: float | None = None):
        super().__init__(kind, cutoff, pair_range)
        # chiralities S_0 . (S_{j_k} x S_{j_{k-1}}) cyclically around each shell of the centre,
        # sites in stencil (angle) order
        distances = np.round(self.stencil.distances, 9)
        triples = []
        for radius in np.unique(distances[1:]):
            shell = np.flatnonzero(distances == radius)
            triples += [(0, shell[k], shell[k - 1]) for k in range(len(shell))]
        self._triples = np.array(triples, dtype=np.int64).reshape(-1, 3)
        v = self.stencil.vectors
        self.feature_names = ([f"S{j}·S{k} (|d|={np.linalg.norm(v[j] - v[k]):.3g})" for j, k in self.pairs]
                              + [f"χ(0,{j},{k})" for _, j, k in self._triples])


def descriptor_from_config(config: dict) -> Descriptor:
    """Rebuild a descriptor from :meth:`Descriptor.config`."""
    classes = {cls.name: cls for cls in (SymmetricDescriptor, StripDescriptor, BondListDescriptor)}
    params = dict(config)
    name = params.pop("descriptor", None)
    if name not in classes:
        raise ValueError(f"unknown descriptor {name!r}; choose from {sorted(classes)}")
    return classes[name](**params)
