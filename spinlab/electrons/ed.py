r"""Itinerant electrons coupled to classical spins, solved by exact diagonalization.

The s-d (Kondo-lattice) Hamiltonian, also the double-exchange model at large J,

.. math::

    \hat H = -\sum_{\langle ij\rangle,\alpha} t_{ij}\,(c^\dagger_{i\alpha} c_{j\alpha} + \mathrm{h.c.})
             - J \sum_i \mathbf S_i \cdot c^\dagger_{i\alpha}\boldsymbol\sigma_{\alpha\beta} c_{i\beta},

with Pauli matrices :math:`\boldsymbol\sigma` (no factor 1/2), each bond counted
once, :math:`t_{ij} = t_1` on nearest and :math:`t_3` on third neighbours, and
classical unit spins.  For fixed spins the electrons are quadratic,
:math:`\hat H = \sum_{ab} c^\dagger_a \mathcal H_{ab} c_b` with composite index
``a = 2 i + s`` (s = 0 up, 1 down).

The exchange field is the unconstrained Cartesian derivative of the
thermodynamic potential, by Hellmann-Feynman

.. math::

    \mathbf H_i = -\partial E/\partial \mathbf S_i = J\,\mathbf m_i,\qquad
    \mathbf m_i = \mathrm{Tr}(\rho_{ii}\boldsymbol\sigma),\qquad
    \rho_{ab} = \langle c^\dagger_b c_a\rangle .

Ensembles (``E`` is the potential whose derivative the field is):

=================  =======================  ===========================================
ensemble           parameters               E
=================  =======================  ===========================================
canonical          ``filling`` or           :math:`\sum_n f_n\varepsilon_n`, lowest
                   ``n_electrons``,         :math:`N_e` levels filled
                   ``kT_el = 0``
quasi-canonical    same, ``kT_el > 0``      :math:`F = \Omega + \mu N_e`, μ re-solved so
                                            that :math:`\sum_n f_n = N_e`
grand canonical    ``mu`` (any ``kT_el``)   :math:`\Omega = -T\sum_n\ln(1 + e^{-(\varepsilon_n-\mu)/T})`
                                            (:math:`\sum_n (\varepsilon_n-\mu)\theta(\mu-\varepsilon_n)` at T = 0)
=================  =======================  ===========================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from threadpoolctl import ThreadpoolController

from .lattice import Lattice, SquareLattice, TriangularLattice
from .spins import as_spins, random_spins, transverse

__all__ = ["SDModel", "ElectronicState", "FermiLevelDegeneracyWarning", "PRESETS", "DEGENERACY_THRESHOLD",
           "field_locality"]

#: A level spacing at the Fermi level below this (in units of t1) makes T = 0 fields ill-defined.
DEGENERACY_THRESHOLD = 1e-10

#: Matrices up to this dimension are diagonalized on one BLAS thread: threading does not pay for them,
#: and with another busy process on the machine a threaded small eigh can be a hundred times slower.
SERIAL_EIGH_MAX_DIM = 600


@lru_cache(maxsize=1)
def _threadpools():
    return ThreadpoolController()


def _eigh(H: np.ndarray, eigenvectors: bool = True):
    """Hermitian eigensolver, single-threaded for small matrices."""
    solve = np.linalg.eigh if eigenvectors else np.linalg.eigvalsh
    if len(H) > SERIAL_EIGH_MAX_DIM:
        return solve(H)
    with _threadpools().limit(limits=1, user_api="blas"):
        return solve(H)


class FermiLevelDegeneracyWarning(UserWarning):
    """The Fermi level of a T = 0 calculation lies inside a degenerate shell."""


#: Parameter sets of the book (physics.md §2): lattice kind, J, filling.
PRESETS = {
    "120-degree": dict(lattice="triangular", J=4.0, filling=0.5),
    "tetrahedral": dict(lattice="triangular", J=3.0, filling=0.25),
    "double-exchange": dict(lattice="square", J=6.0, filling=0.485),
}


@dataclass(frozen=True)
class ElectronicState:
    """Everything one diagonalization gives for one spin configuration.

    Attributes
    ----------
    energy : float
        The thermodynamic potential whose negative gradient is ``field``.
    field : (N, 3) array
        Exchange field :math:`\\mathbf H_i = J \\mathbf m_i`.
    density : (N,) array
        :math:`n_i = \\mathrm{Tr}\\,\\rho_{ii}`.
    spin_density : (N, 3) array
        :math:`\\mathbf m_i = \\mathrm{Tr}(\\rho_{ii}\\boldsymbol\\sigma)`.
    eigenvalues, occupations : (2N,) arrays
    mu : float
        Chemical potential (mid-gap between the highest occupied and lowest empty
        level in the canonical ensemble).
    gap : float
        Level spacing at the Fermi level.
    """

    energy: float
    field: np.ndarray
    density: np.ndarray
    spin_density: np.ndarray
    eigenvalues: np.ndarray
    occupations: np.ndarray
    mu: float
    gap: float


class SDModel:
    r"""s-d / Kondo-lattice / double-exchange model on a lattice, solved by exact diagonalization.

    Built once, then evaluated as a pure function of the spins.

    Parameters
    ----------
    lattice : Lattice
        :class:`~spinlab.lattice.TriangularLattice`, :class:`~spinlab.lattice.SquareLattice`
        or :class:`~spinlab.lattice.Strip`.
    J : float
        Exchange (Hund / s-d) coupling; its sign is irrelevant for classical spins.
    t1, t3 : float
        Nearest- and third-neighbour hopping (third neighbours: distance 2 along the
        bond directions).
    filling : float, optional
        :math:`f = N_e / (2N)`; :math:`2Nf` must be an integer.
    n_electrons : int, optional
        :math:`N_e`, as an alternative to ``filling``.
    mu : float, optional
        Chemical potential: grand-canonical ensemble.
    kT_el : float
        Electronic temperature (not the spin bath's).  With ``filling`` or
        ``n_electrons`` and ``kT_el > 0`` the ensemble is quasi-canonical.

    Examples
    --------
    >>> from spinlab.lattice import TriangularLattice
    >>> from spinlab.spins import three_sublattice
    >>> lat = TriangularLattice(6)
    >>> model = SDModel(lat, J=4.0, filling=0.5)
    >>> round(model.solve(three_sublattice(lat)).gap, 3)
    4.0
    """

    def __init__(self, lattice: Lattice, *, J: float, t1: float = 1.0, t3: float = 0.0,
                 filling: float | None = None, n_electrons: int | None = None,
                 mu: float | None = None, kT_el: float = 0.0):
        if not isinstance(lattice, Lattice):
            raise TypeError(f"lattice must be a spinlab Lattice, got {type(lattice).__name__}")
        for name, value in (("J", J), ("t1", t1), ("t3", t3), ("kT_el", kT_el)):
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
        if kT_el < 0:
            raise ValueError(f"kT_el must be >= 0, got {kT_el}")
        given = [name for name, v in (("filling", filling), ("n_electrons", n_electrons), ("mu", mu)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of filling, n_electrons, mu (got {given or 'none'})")
        self.lattice = lattice
        self.J, self.t1, self.t3, self.kT_el = float(J), float(t1), float(t3), float(kT_el)
        self.n_sites = lattice.n_sites
        n_states = 2 * self.n_sites
        self.mu = None if mu is None else float(mu)
        self.n_electrons = None
        if filling is not None:
            ne = 2 * self.n_sites * filling
            if abs(ne - round(ne)) > 1e-9:
                raise ValueError(
                    f"filling {filling} gives N_e = 2 N f = {ne:g} on {self.n_sites} sites, not an integer; "
                    "give n_electrons instead"
                )
            n_electrons = int(round(ne))
        if n_electrons is not None:
            if int(n_electrons) != n_electrons or not 0 < n_electrons < n_states:
                raise ValueError(f"n_electrons must be an integer in 1..{n_states - 1} (2N - 1), got {n_electrons}")
            self.n_electrons = int(n_electrons)
        self._hopping = self._hopping_matrix()

    @classmethod
    def from_preset(cls, name: str, L: int, **overrides) -> "SDModel":
        """The model of a named parameter set of :data:`PRESETS` on an L x L lattice."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
        params = dict(PRESETS[name], **overrides)
        kinds = {"triangular": TriangularLattice, "square": SquareLattice}
        lattice = kinds[params.pop("lattice")](L)
        if {"n_electrons", "mu"} & overrides.keys() and "filling" not in overrides:
            params.pop("filling")
        return cls(lattice, **params)

    @property
    def ensemble(self) -> str:
        if self.mu is not None:
            return "grand-canonical"
        return "canonical" if self.kT_el == 0 else "quasi-canonical"

    @property
    def filling(self) -> float | None:
        return None if self.n_electrons is None else self.n_electrons / (2 * self.n_sites)

    def __repr__(self) -> str:
        fixed = f"mu={self.mu}" if self.mu is not None else f"n_electrons={self.n_electrons}"
        return (f"SDModel({self.lattice!r}, J={self.J}, t1={self.t1}, t3={self.t3}, {fixed}, "
                f"kT_el={self.kT_el})  # {self.ensemble}")

    # -- Hamiltonian ----------------------------------------------------------
    def _hopping_matrix(self) -> np.ndarray:
        """The spin-independent part kron(T, 1_2), T_ij = -t on bonds (both orientations)."""
        T = np.zeros((self.n_sites, self.n_sites))
        for shell, t in ((1, self.t1), (3, self.t3)):
            if t != 0.0:
                i, j = self.lattice.bonds(shell).T
                np.add.at(T, (i, j), -t)
                np.add.at(T, (j, i), -t)
        return np.kron(T, np.eye(2)).astype(np.complex128)

    def hamiltonian(self, spins) -> np.ndarray:
        r"""Dense single-particle matrix :math:`\mathcal H` (2N x 2N), basis index ``2 i + s``.

        On-site blocks are :math:`-J\,\mathbf S_i\cdot\boldsymbol\sigma
        = -J\begin{pmatrix} S^z & S^x - iS^y\\ S^x + iS^y & -S^z\end{pmatrix}`.
        """
        s = as_spins(spins, self.n_sites)
        H = self._hopping.copy()
        up = 2 * np.arange(self.n_sites)
        sx, sy, sz = -self.J * s.T
        H[up, up] += sz
        H[up + 1, up + 1] -= sz
        H[up, up + 1] += sx - 1j * sy
        H[up + 1, up] += sx + 1j * sy
        return H

    def spectrum(self, spins) -> np.ndarray:
        """Single-particle energies, ascending (2N,)."""
        return _eigh(self.hamiltonian(spins), eigenvectors=False)

    # -- occupations ------------------------------------------------------------
    def _occupations(self, eps: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        """Occupations f_n, chemical potential, Fermi-level gap and the potential E."""
        T = self.kT_el
        if self.mu is None and T == 0:
            ne = self.n_electrons
            f = np.zeros_like(eps)
            f[:ne] = 1.0
            gap = eps[ne] - eps[ne - 1]
            return f, 0.5 * (eps[ne] + eps[ne - 1]), gap, float(np.sum(eps[:ne]))
        if self.mu is None:
            mu = self._solve_mu(eps)
        else:
            mu = self.mu
        below, above = eps[eps <= mu], eps[eps > mu]
        gap = (above[0] if above.size else np.inf) - (below[-1] if below.size else -np.inf)
        if T == 0:  # grand canonical at T = 0
            f = (eps <= mu).astype(float)
            return f, mu, gap, float(np.sum((eps - mu) * f))
        x = (eps - mu) / T
        f = expit(-x)
        omega = -T * np.sum(np.logaddexp(0.0, -x))
        energy = omega if self.mu is not None else omega + mu * self.n_electrons
        return f, mu, gap, float(energy)

    def _solve_mu(self, eps: np.ndarray) -> float:
        T, ne = self.kT_el, self.n_electrons
        pad = 50 * T + 1.0
        return brentq(lambda mu: np.sum(expit((mu - eps) / T)) - ne, eps[0] - pad, eps[-1] + pad,
                      xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=400)

    # -- the solver ------------------------------------------------------------
    def solve(self, spins) -> ElectronicState:
        """Diagonalize once and return energy, field, densities and spectrum.

        Warns with :class:`FermiLevelDegeneracyWarning` when a T = 0 Fermi level
        falls inside a degenerate shell (level spacing below
        :data:`DEGENERACY_THRESHOLD`): the field is then ill-defined; use a
        small ``kT_el`` (0.003-0.01).
        """
        H = self.hamiltonian(spins)
        eps, V = _eigh(H)
        f, mu, gap, energy = self._occupations(eps)
        if self.kT_el == 0 and gap < DEGENERACY_THRESHOLD:
            warnings.warn(
                f"the Fermi level lies in a degenerate shell (level spacing {gap:.2e} < {DEGENERACY_THRESHOLD:g}): "
                "the T = 0 exchange field is ill-defined; use a small kT_el such as 0.005",
                FermiLevelDegeneracyWarning, stacklevel=2)
        occupied = f > 1e-17  # empty levels contribute nothing; skipping them halves the work at T = 0
        Vf, fo = V[:, occupied], f[occupied]
        up, dn = Vf[0::2], Vf[1::2]
        rho_uu = (up.real**2 + up.imag**2) @ fo
        rho_dd = (dn.real**2 + dn.imag**2) @ fo
        rho_ud = (up * dn.conj()) @ fo  # <c+_dn c_up>
        m = np.stack([2 * rho_ud.real, -2 * rho_ud.imag, rho_uu - rho_dd], axis=1)
        return ElectronicState(energy=energy, field=self.J * m, density=rho_uu + rho_dd, spin_density=m,
                               eigenvalues=eps, occupations=f, mu=float(mu), gap=float(gap))

    def energy_and_field(self, spins):
        """Energy E and field H = -dE/dS from one diagonalization; batches (B, N, 3) accepted."""
        s = as_spins(spins, self.n_sites, batch=True)
        if s.ndim == 3:
            states = [self.solve(x) for x in s]
            return np.array([st.energy for st in states]), np.stack([st.field for st in states])
        st = self.solve(s)
        return st.energy, st.field

    def energy(self, spins):
        """The thermodynamic potential E (see the module docstring); batches accepted."""
        s = as_spins(spins, self.n_sites, batch=True)
        if s.ndim == 3:
            return np.array([self.energy(x) for x in s])
        eps = self.spectrum(s)
        return self._occupations(eps)[3]

    def exchange_field(self, spins) -> np.ndarray:
        """Exchange field H_i = -dE/dS_i = J m_i, shape (N, 3) (or (B, N, 3))."""
        return self.energy_and_field(spins)[1]

    def densities(self, spins) -> tuple[np.ndarray, np.ndarray]:
        """Electron density n_i and electron spin density m_i (N, 3)."""
        st = self.solve(spins)
        return st.density, st.spin_density

    def fermi_gap(self, spins) -> float:
        """Level spacing at the Fermi level."""
        return self._occupations(self.spectrum(spins))[2]


def field_locality(model, spins, radius: float, *, centres=(0,), samples: int = 4, seed=None,
                   environments=None) -> float:
    r"""Share of a site's transverse field that comes from spins farther than ``radius``.

    For each centre site i and each sample, every spin at minimal-image distance
    :math:`|\mathbf r_j - \mathbf r_i| > R` is replaced (by a random spin, or by the spin of
    another configuration: ``environments``) and the change of the
    transverse field :math:`\mathbf H_{\perp,i} = \mathbf H_i - (\mathbf H_i\cdot\mathbf S_i)\mathbf S_i`
    (the part that exerts the torque) is recorded.  A model whose fields depend only on
    spins within R gives 0; a force field with cutoff :math:`2r_c \le R` cannot represent the
    rest.

    Parameters
    ----------
    model : SDModel or any field provider with a ``lattice``
    spins : (N, 3) array
    radius : float
        R, in lattice spacings; the lattice must reach beyond it.
    centres : sequence of int
        Sites whose fields are probed.
    samples : int
        Re-randomizations per centre.
    seed : int or numpy.random.Generator, optional
    environments : sequence of (N, 3) arrays, optional
        Configurations whose far spins replace those of ``spins``, one sample each, instead
        of random spins (``samples`` and ``seed`` are then unused).  Another thermal state
        at the same temperature asks how local the field is *within* that ensemble; random
        far spins ask it for any environment.

    Returns
    -------
    float
        rms change of the components of :math:`\mathbf H_{\perp,i}` over centres and samples,
        divided by the rms transverse-field component over all sites of ``spins``.
    """
    lattice, spins = model.lattice, as_spins(spins, model.lattice.n_sites)
    rng = np.random.default_rng(seed)
    reference = transverse(spins, model.exchange_field(spins))
    changes = []
    if environments is not None:
        environments = [as_spins(e, lattice.n_sites) for e in environments]
    for i in centres:
        far = np.linalg.norm(lattice.displacement(i, np.arange(lattice.n_sites)), axis=-1) > radius + 1e-9
        if not far.any():
            raise ValueError(f"no site is farther than R = {radius} from site {i} on this lattice")
        for k in range(samples if environments is None else len(environments)):
            perturbed = spins.copy()
            perturbed[far] = random_spins(int(far.sum()), rng) if environments is None else environments[k][far]
            changes.append(transverse(spins[i], model.exchange_field(perturbed)[i]) - reference[i])
    return float(np.sqrt(np.mean(np.square(changes))) / np.sqrt(np.mean(np.square(reference))))

