r"""Nonequilibrium Green's functions (NEGF): exchange fields of a strip driven between two wide-band leads.

The strip is :class:`~spinlab.lattice.Strip` (open along x, periodic along y) with the
Hamiltonian :math:`\mathcal H(\mathbf S)` of :mod:`spinlab.electrons.hamiltonian` (basis index
``a = 2 i + s``, nearest-neighbour hopping t).  Wide-band leads couple to every site of
column x = 0 (left, L) and x = Lx - 1 (right, R), both spins:

.. math::

    \Sigma^r_\alpha = -\tfrac i2\Gamma_\alpha,\quad \Gamma_\alpha = \Gamma P_\alpha,\qquad
    G^r(\varepsilon) = [\varepsilon - \mathcal H_\mathrm{eff}]^{-1},\quad
    \mathcal H_\mathrm{eff} = \mathcal H + \Sigma^r_L + \Sigma^r_R ,

and the steady state (:math:`\rho_{ab} = \langle c^\dagger_b c_a\rangle`, Fermi functions
:math:`f_\alpha` at :math:`(\mu_\alpha, T)`) is

.. math::

    \rho = \sum_\alpha \int\frac{d\varepsilon}{2\pi} f_\alpha(\varepsilon)\,
           G^r\Gamma_\alpha G^a ,\qquad
    n_i = \mathrm{Tr}\,\rho_{ii},\quad \mathbf m_i = \mathrm{Tr}(\rho_{ii}\boldsymbol\sigma),\quad
    \mathbf H_i = J\,\mathbf m_i .

Out of equilibrium the field keeps the definition :math:`\mathbf H_i = J\mathbf m_i` but is
the gradient of no energy: a nonconservative provider (:mod:`spinlab.providers`); the dynamics
uses :math:`\mathbf H_{i\perp}` (LL torque :math:`-\mathbf S_i\times\mathbf H_i`).  There is no
+iη anywhere: a broadening that drains without injecting empties weakly coupled states
(physics reference §4.4).

**Two solvers.**

* ``method="closed-form"`` (the reference): diagonalize
  :math:`\mathcal H_\mathrm{eff} = V\Lambda V^{-1}` once; then
  :math:`\rho = V[\sum_\alpha M_\alpha\circ K(\mu_\alpha)]V^\dagger` with
  :math:`M_\alpha = V^{-1}\Gamma_\alpha V^{-1\dagger}` and the exact energy integral
  (:func:`fermi_pole_integral`).  Cost: a dense non-Hermitian eigendecomposition of size 2N.
* ``method="rgf"`` (the fast path): recursive Green's functions along x, slices of Ly sites x 2
  spins, O(Lx (2Ly)^3) per energy point.  :math:`\rho = \rho_\mathrm{eq}(\mu_L)
  + \int\frac{d\varepsilon}{2\pi}(f_R - f_L)\,G^r\Gamma_R G^a`: the equilibrium part on a contour
  in the upper half plane (:func:`equilibrium_contour`), the bias window on the real axis by
  adaptive Gauss-Kronrod quadrature.

**Bias convention.**  ``mu_left`` and ``mu_right`` are the electron chemical potentials of the
two leads and are given separately: which one is held fixed while the other moves is physics, not
a gauge (only shifting both μ's *and* all on-site energies together is a gauge; there is no
internal potential drop).  The defaults (μ_L = -3.6 < μ_R = -3.28, both in the Néel gap of
J = 3.8) make the right lead the one with the higher electron chemical potential; electrons flow
from right to left.  The ferromagnetic metallic layer nucleates at the electrode with the
**higher electron chemical potential** (here the right one).  The abstract of arXiv:2105.11076
calls this electrode the *anode*; by the usual definition (the anode is the electrode electrons
leave the device through, i.e. the one at the lower electron chemical potential, higher
electrostatic potential) it is the *cathode*.  spinlab avoids both words in its API and names
the electrodes by their chemical potentials.

**Bound states.**  A real eigenvalue of :math:`\mathcal H_\mathrm{eff}` (a state with no weight
on either lead column) is not reached by :math:`\int f G^r\Gamma G^a`; its occupation is not
fixed by the leads.  The closed form refuses it (:class:`BoundStateError`, width below
:data:`BOUND_STATE_WIDTH`).  The fast path fills such a state as the contour does: at the
reference chemical potential μ_L (its pole sits just below the real axis).

**Continuity (used by the tests).**  From :math:`\dot\rho = -i[\mathcal H, \rho]` at a site
without a lead, with bond blocks :math:`\mathcal H_{ij} = -t\,\mathbb 1` and on-site block
:math:`-J\mathbf S_i\cdot\boldsymbol\sigma`,

.. math::

    \dot n_i = -\sum_j I_{i\to j},\quad I_{i\to j} = 2t\,\mathrm{Im\,Tr}\,\rho_{ji};\qquad
    \dot{\mathbf m}_i = -\sum_j \mathbf I_{i\to j} + 2J\,\mathbf m_i\times\mathbf S_i,\quad
    \mathbf I_{i\to j} = 2t\,\mathrm{Im\,Tr}(\boldsymbol\sigma\rho_{ji}),

using :math:`\mathrm{Tr}(\sigma^a[\mathbf S\cdot\boldsymbol\sigma,\rho]) = 2i(\mathbf S\times\mathbf m)^a`.
In the steady state the spin-current divergence equals :math:`2J\mathbf m_i\times\mathbf S_i
= 2\mathbf H_i\times\mathbf S_i`, the electrons' reaction to the LL torque on the spin.

Examples
--------
>>> from spinlab.lattice import Strip
>>> from spinlab.spins import neel
>>> model = NEGFModel(Strip(8, 4))
>>> state = model.solve(neel(model.lattice))
>>> bool(abs(state.density[3] - 1) < 1e-3)   # the Néel insulator stays half filled
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre
from scipy.special import digamma, expit

from .._threads import eigh_threads, serial_blas
from ..lattice import Strip
from ..providers import batched
from ..spins import as_spins
from .hamiltonian import SpinFermionHamiltonian

__all__ = ["NEGFModel", "NEGFState", "BoundStateError", "BOUND_STATE_WIDTH", "fermi_pole_integral",
           "wide_band_density_matrix", "equilibrium_contour", "gauss_kronrod"]

#: An eigenvalue of H_eff with |Im λ| below this (units of t) is a bound state (no path to a lead).
BOUND_STATE_WIDTH = 1e-10
#: Fermi tails beyond this many kT are dropped (f < 5e-18).
FERMI_CUTOFF = 40.0
#: The contour crosses Re z = μ at a height of at least this (units of t), above N_p Matsubara poles.
CONTOUR_HEIGHT = 0.5
#: Energy points per eighth of the bias window before adaptive refinement.
WINDOW_START_PANELS = 8
#: The adaptive window quadrature gives up beyond this many energy points.
WINDOW_MAX_POINTS = 20_000


class BoundStateError(ValueError):
    """H_eff has a (numerically) real eigenvalue: a state that no lead fills or empties."""


# --------------------------------------------------------------------------------------------
# closed form (reference)
# --------------------------------------------------------------------------------------------

def fermi_pole_integral(a, b, mu: float, kT: float) -> np.ndarray:
    r"""The exact wide-band energy integral :math:`K = \frac1{2\pi}\int d\varepsilon\,
    \frac{f(\varepsilon)}{(\varepsilon - a)(\varepsilon - b)}`, Im a < 0 < Im b.

    .. math::

        T = 0:\ 2\pi K = \frac{\mathrm{Log}(\mu - a) - \mathrm{Log}(\mu - b) - 2\pi i}{a - b},\qquad
        T > 0:\ 2\pi K = \frac{\psi(\tfrac12 - \frac{a-\mu}{2\pi iT})
                               - \psi(\tfrac12 + \frac{b-\mu}{2\pi iT}) - i\pi}{a - b}

    (principal Log; the -2πi is the branch difference at ε → -∞; ψ the digamma function).
    ``a`` and ``b`` broadcast against each other.

    Examples
    --------
    A Lorentzian level of half-width 1 at 0 holds half an electron at μ = 0: 2 K(-i, i) = 1/2.

    >>> float(np.real(2 * fermi_pole_integral(-1j, 1j, 0.0, 0.0)))
    0.5
    """
    a, b = np.asarray(a, complex), np.asarray(b, complex)
    if kT == 0:
        num = np.log(mu - a) - np.log(mu - b) - 2j * np.pi
    else:
        num = digamma(0.5 - (a - mu) / (2j * np.pi * kT)) - digamma(0.5 + (b - mu) / (2j * np.pi * kT)) - 1j * np.pi
    return num / (2 * np.pi * (a - b))


def wide_band_density_matrix(h_eff: np.ndarray, leads, kT: float, *, blocks_only: bool = True) -> np.ndarray:
    r"""Steady-state :math:`\rho = \sum_\alpha\int\frac{d\varepsilon}{2\pi}f_\alpha G^r\Gamma_\alpha G^a`
    of a non-Hermitian :math:`\mathcal H_\mathrm{eff}`, by one eigendecomposition (closed form).

    Parameters
    ----------
    h_eff : (2N, 2N) complex array
        :math:`\mathcal H + \sum_\alpha\Sigma^r_\alpha` (plus any other non-Hermitian part, which
        then drains without injecting).
    leads : iterable of (indices, gamma, mu)
        Basis indices a the lead couples to, its Γ (:math:`\Gamma_\alpha = \Gamma` on those
        diagonal entries) and its chemical potential.
    kT : float
        Temperature of all leads (0 allowed).
    blocks_only : bool
        Return only the diagonal 2x2 blocks :math:`\rho_{ii}` (N, 2, 2) instead of the full matrix.

    Raises
    ------
    BoundStateError
        If an eigenvalue has :math:`|\mathrm{Im}\,\lambda| <` :data:`BOUND_STATE_WIDTH`.
    """
    with eigh_threads(len(h_eff)):
        lam, V = np.linalg.eig(h_eff)
        bound = np.abs(lam.imag) < BOUND_STATE_WIDTH
        if bound.any():
            raise BoundStateError(
                f"{int(bound.sum())} eigenvalue(s) of H_eff are real within {BOUND_STATE_WIDTH:g} (e.g. "
                f"{lam[bound][0].real:.4f}): states with no weight on a lead column, whose occupation the leads "
                "do not fix; the wide-band integral is singular there")
        Vinv = np.linalg.inv(V)
        X = np.zeros_like(V)
        for indices, gamma, mu in leads:
            W = Vinv[:, np.asarray(indices)]
            X += gamma * (W @ W.conj().T) * fermi_pole_integral(lam[:, None], lam.conj()[None, :], mu, kT)
        Y = V @ X
        if not blocks_only:
            return Y @ V.conj().T
    n = len(V) // 2
    Yb, Vb = Y.reshape(n, 2, -1), V.reshape(n, 2, -1)
    return np.einsum("iam,ibm->iab", Yb, Vb.conj())


# --------------------------------------------------------------------------------------------
# quadrature rules
# --------------------------------------------------------------------------------------------

def gauss_kronrod(n_gauss: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes and weights of the (n, 2n+1) Gauss-Kronrod pair on [-1, 1].

    Returns Kronrod nodes (2n+1,), Kronrod weights, and Gauss weights on the same nodes (zero at
    the n+1 Kronrod-only nodes).  The Kronrod nodes are the Gauss nodes plus the zeros of the
    Stieltjes polynomial :math:`E_{n+1}` (orthogonal to :math:`P_n x^k`, k <= n); the weights make
    the rule exact up to degree 3n+1 (a small Vandermonde solve, well conditioned for n <= 10).

    Examples
    --------
    >>> x, wk, wg = gauss_kronrod(7)
    >>> len(x), round(float(wk @ x**22), 12) == round(2 / 23, 12), round(float(wg @ x**12), 12) == round(2 / 13, 12)
    (15, True, True)
    """
    xg, wg_only = legendre.leggauss(n_gauss)
    quad_x, quad_w = legendre.leggauss(3 * n_gauss + 4)
    basis = np.stack([legendre.Legendre.basis(k)(quad_x) for k in range(n_gauss + 2)], axis=1)
    A = (basis[:, : n_gauss + 1] * (quad_w * basis[:, n_gauss])[:, None]).T @ basis  # <P_k P_n P_j>
    c = np.linalg.solve(A[:, : n_gauss + 1], -A[:, n_gauss + 1])  # E = P_{n+1} + sum_{k<=n} c_k P_k
    xs = legendre.Legendre(np.append(c, 1.0)).roots().real
    x = np.sort(np.concatenate([xg, xs]))
    V = np.vander(x, len(x), increasing=True).T
    moments = np.array([(1 - (-1) ** (k + 1)) / (k + 1) for k in range(len(x))])
    wk = np.linalg.solve(V, moments)
    wg = np.zeros_like(x)
    wg[np.searchsorted(x, xg)] = wg_only
    return x, wk, wg


def _gauss_legendre_panels(edges, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on consecutive panels [edges[k], edges[k+1]]."""
    x, w = legendre.leggauss(n)
    edges = np.asarray(edges, float)
    lo, hi = edges[:-1, None], edges[1:, None]
    return ((hi + lo) / 2 + (hi - lo) / 2 * x).ravel(), ((hi - lo) / 2 * w).ravel()


def _vertical_ray(y0: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes y and weights for :math:`\int_0^\infty g(y)\,dy`, g smooth on the scale ``y0`` near 0 and
    :math:`\sim y^{-2}` at infinity: geometric panels from y0/4^k up to 16, then v = 1/y on the tail."""
    edges = [0.0]
    y = y0
    while y < 16.0:
        edges.append(y)
        y *= 4.0
    edges.append(16.0)
    y_fin, w_fin = _gauss_legendre_panels(edges, n)
    v, wv = _gauss_legendre_panels([0.0, 1 / 16.0], n)  # y = 1/v, dy = dv / v^2
    return np.concatenate([y_fin, 1 / v]), np.concatenate([w_fin, wv / v**2])


def equilibrium_contour(mu: float, kT: float, n: int = 6, *, height: float = CONTOUR_HEIGHT,
                        t0_resolution: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    r"""Complex nodes :math:`z_k` (Im > 0) and weights :math:`w_k` with
    :math:`\int_{-\infty}^{\infty} f(\varepsilon)\,g(\varepsilon)\,d\varepsilon \approx \sum_k w_k g(z_k)`
    for every g analytic in the upper half plane that decays like :math:`z^{-2}`.

    * T > 0: the N_p Matsubara poles :math:`\mu + i\pi T(2n+1)` below the line
      :math:`\mathrm{Im}\,z = Y = 2\pi T N_p \ge` ``height`` (weight :math:`-2\pi iT`), plus that
      line, on which :math:`f(\varepsilon + iY) = f(\varepsilon)`; split as
      :math:`f = \theta(\mu-\varepsilon) + (f - \theta)`: the θ part is the analytic
      :math:`\int_{-\infty + iY}^{\mu + iY} g\,dz = -i\int_0^\infty g(\mu + iY + iy)\,dy` (up the
      vertical ray), the (f - θ) part lives within :data:`FERMI_CUTOFF` kT of μ
      (Gauss-Legendre panels at 0, 4, 12, 40 kT on each side).
    * T = 0: :math:`\int_{-\infty}^{\mu} g = -i\int_0^\infty g(\mu + iy)\,dy`, with geometric panels
      down to ``t0_resolution`` above the real axis (resonances near μ).

    ``n`` Gauss-Legendre points per panel.

    Examples
    --------
    >>> z, w = equilibrium_contour(0.0, 0.0, n=8)
    >>> g = lambda z: 1 / (z + 1j) ** 2          # integral of g below mu = 0: -1/(0 + 1j) = i
    >>> bool(abs(w @ g(z) - 1j) < 1e-8)
    True
    """
    if kT == 0:
        y, wy = _vertical_ray(t0_resolution, n)
        return mu + 1j * y, -1j * wy
    n_poles = int(np.ceil(height / (2 * np.pi * kT)))
    Y = 2 * np.pi * kT * n_poles
    z_poles = mu + 1j * np.pi * kT * (2 * np.arange(n_poles) + 1)
    w_poles = np.full(n_poles, -2j * np.pi * kT)
    y, wy = _vertical_ray(Y, n)
    u_edges = np.array([0.0, 4.0, 12.0, FERMI_CUTOFF])
    u, wu = _gauss_legendre_panels(np.concatenate([-u_edges[::-1], u_edges[1:]]), n)
    f_minus_step = expit(-u) - (u < 0)
    z = np.concatenate([z_poles, mu + 1j * (Y + y), mu + kT * u + 1j * Y])
    w = np.concatenate([w_poles, -1j * wy, kT * wu * f_minus_step])
    return z, w


# --------------------------------------------------------------------------------------------
# recursive Green's functions along x
# --------------------------------------------------------------------------------------------

class _Slices:
    """The strip as Lx slices of Ly sites x 2 spins (slice index 2 y + s), coupled by -t 1 along x."""

    def __init__(self, hamiltonian: SpinFermionHamiltonian, lattice: Strip, gamma: float):
        Lx, Ly = lattice.Lx, lattice.Ly
        x, y = lattice.coords.T
        i, j = hamiltonian.bonds.T
        along_y = x[i] == x[j]
        if np.any(np.abs(x[i] - x[j]) > 1) or np.any(y[i[~along_y]] != y[j[~along_y]]):
            raise ValueError("the recursive Green's function needs nearest-neighbour bonds between adjacent slices")
        hop = np.zeros((Lx, Ly, Ly))
        np.add.at(hop, (x[i[along_y]], y[i[along_y]], y[j[along_y]]), -hamiltonian.hoppings[along_y])
        hop += hop.transpose(0, 2, 1)
        self.hopping_y = np.kron(hop, np.eye(2))  # (Lx, 2Ly, 2Ly)
        self.t = hamiltonian.t1
        self.Lx, self.Ly, self.dim = Lx, Ly, 2 * Ly
        self.lead_shift = np.zeros(Lx, complex)  # -Σ^r = +iΓ/2 on the lead slices
        self.lead_shift[[0, Lx - 1]] = 0.5j * gamma
        # site order of the strip (i = x + Lx y) -> (x, y)
        self.order = (x, y)

    def hamiltonians(self, onsite: np.ndarray) -> np.ndarray:
        """Slice matrices (Lx, 2Ly, 2Ly) from the on-site blocks (N, 2, 2)."""
        blocks = np.zeros((self.Lx, self.Ly, 2, self.Ly, 2), complex)
        x, y = self.order
        blocks[x, y, :, y, :] = onsite
        return self.hopping_y + blocks.reshape(self.Lx, self.dim, self.dim)

    def to_sites(self, blocks: np.ndarray) -> np.ndarray:
        """(Lx, Ly, 2, 2) blocks -> (N, 2, 2) in site order."""
        x, y = self.order
        return blocks[x, y]

    def _left_connected(self, z: np.ndarray, H: np.ndarray) -> np.ndarray:
        r""":math:`g^L_x = [z - H_x - \Sigma_x - t^2 g^L_{x-1}]^{-1}` for all slices, shape (Lx, nz, 2Ly, 2Ly)."""
        eye = np.eye(self.dim)
        gL = np.empty((self.Lx, len(z), self.dim, self.dim), complex)
        for x in range(self.Lx):
            M = (z + self.lead_shift[x])[:, None, None] * eye - H[x]
            if x:
                M -= self.t**2 * gL[x - 1]
            gL[x] = np.linalg.inv(M)
        return gL

    def diagonal_blocks(self, z: np.ndarray, H: np.ndarray) -> np.ndarray:
        r"""Site blocks :math:`G^r_{ii}(z)`, shape (nz, Lx, Ly, 2, 2).

        Backward sweep :math:`G_{xx} = g^L_x + t^2 g^L_x G_{x+1,x+1} g^L_x` (G_{Lx-1} = g^L_{Lx-1}).
        """
        gL = self._left_connected(z, H)
        out = np.empty((len(z), self.Lx, self.Ly, 2, 2), complex)
        G = gL[-1]
        for x in range(self.Lx - 1, -1, -1):
            if x < self.Lx - 1:
                G = gL[x] + self.t**2 * (gL[x] @ G @ gL[x])
            out[:, x] = np.einsum("kyayb->kyab", G.reshape(len(z), self.Ly, 2, self.Ly, 2))
        return out

    def right_injection_blocks(self, z: np.ndarray, H: np.ndarray, gamma: float) -> np.ndarray:
        r"""Site blocks of :math:`G^r\Gamma_R G^a` at real energies, shape (nz, Lx, Ly, 2, 2).

        Column to the right lead: :math:`G_{x,R} = -t\,g^L_x G_{x+1,R}`, :math:`G_{R,R} = g^L_{Lx-1}`.
        """
        gL = self._left_connected(z, H)
        out = np.empty((len(z), self.Lx, self.Ly, 2, 2), complex)
        C = gL[-1]
        for x in range(self.Lx - 1, -1, -1):
            if x < self.Lx - 1:
                C = -self.t * (gL[x] @ C)
            Cr = C.reshape(len(z), self.Ly, 2, self.dim)
            out[:, x] = gamma * np.einsum("kyam,kybm->kyab", Cr, Cr.conj())
        return out


def _chunks(n: int, size: int):
    return (slice(k, min(k + size, n)) for k in range(0, n, size))


# --------------------------------------------------------------------------------------------
# the provider
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class NEGFState:
    """The NEGF steady state of one spin configuration (diagonal blocks only).

    Attributes
    ----------
    field : (N, 3) array
        :math:`\\mathbf H_i = J\\mathbf m_i` (full field; only its transverse part drives the spins).
    density : (N,) array
        :math:`n_i = \\mathrm{Tr}\\,\\rho_{ii}`.
    spin_density : (N, 3) array
        :math:`\\mathbf m_i = \\mathrm{Tr}(\\rho_{ii}\\boldsymbol\\sigma)`.
    blocks : (N, 2, 2) complex array
        :math:`\\rho_{ii}` (``blocks[i, s, s'] = <c+_{is'} c_{is}>``).
    energy_points : int
        Green's-function evaluations used (0 for the closed form).
    """

    field: np.ndarray
    density: np.ndarray
    spin_density: np.ndarray
    blocks: np.ndarray
    energy_points: int

    def __repr__(self) -> str:
        return (f"NEGFState(N={len(self.density)}, electrons={self.density.sum():.6g}, "
                f"energy_points={self.energy_points})")


def _state(blocks: np.ndarray, J: float, energy_points: int) -> NEGFState:
    ud = blocks[:, 0, 1]
    m = np.stack([2 * ud.real, -2 * ud.imag, (blocks[:, 0, 0] - blocks[:, 1, 1]).real], axis=1)
    return NEGFState(field=J * m, density=np.trace(blocks, axis1=1, axis2=2).real, spin_density=m,
                     blocks=blocks, energy_points=energy_points)


class NEGFModel:
    r"""Electrons of a strip between two wide-band leads, in the NEGF steady state: a nonconservative
    field provider.

    See :mod:`spinlab.electrons.negf` for the equations, the two solvers and the bias convention
    (the FM metal nucleates at the lead with the higher electron chemical potential, the right one
    for the defaults: the paper's "anode", usually called the cathode).

    Parameters
    ----------
    lattice : Strip, optional
        Open along x, periodic along y; ``Strip(32, 24)`` by default.
    J, t : float
        Exchange coupling (-J S·σ) and nearest-neighbour hopping.
    Gamma : float
        Lead coupling Γ on every site of the columns x = 0 and x = Lx - 1 (both spins).
    mu_left, mu_right : float
        Electron chemical potentials of the left and right lead.
    kT_el : float
        Electronic temperature of both leads (0 allowed).
    method : {"rgf", "closed-form"}
        Recursive Green's functions (fast path) or the exact eigendecomposition (reference).
    points_per_panel : int
        Gauss-Legendre points per panel of the equilibrium contour (rgf): 6 gives transverse fields
        within ~1e-7 of the closed form on the 32 x 24 strip, 8 within ~1e-9 (``benchmarks/bench_negf.py``).
    window_tol : float
        Error target of the bias-window integral per density-matrix element (rgf): each panel's
        Gauss-Kronrod difference stays below its share of it.  The estimate is pessimistic: 1e-4
        gives transverse fields within ~2e-7 of the closed form.
    """

    conservative = False
    solver = "NEGF, wide-band leads"

    def __init__(self, lattice: Strip | None = None, *, J: float = 3.8, t: float = 1.0, Gamma: float = 1.0,
                 mu_left: float = -3.6, mu_right: float = -3.28, kT_el: float = 0.01, method: str = "rgf",
                 points_per_panel: int = 6, window_tol: float = 1e-4):
        lattice = Strip(32, 24) if lattice is None else lattice
        if not isinstance(lattice, Strip):
            raise TypeError(f"NEGFModel needs a Strip (open x, periodic y), got {lattice!r}")
        if lattice.Lx < 2:
            raise ValueError("the strip needs Lx >= 2 (one column per lead)")
        if method not in ("rgf", "closed-form"):
            raise ValueError(f"method must be 'rgf' or 'closed-form', got {method!r}")
        for name, value in (("Gamma", Gamma), ("kT_el", kT_el)):
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {value}")
        if Gamma == 0:
            raise ValueError("Gamma = 0 leaves every state bound: no lead fixes the occupations")
        self.lattice, self.n_sites = lattice, lattice.n_sites
        self.hamiltonian_ = SpinFermionHamiltonian(lattice, J, t1=t)
        self.J, self.t, self.Gamma = float(J), float(t), float(Gamma)
        self.mu_left, self.mu_right, self.kT_el = float(mu_left), float(mu_right), float(kT_el)
        self.method, self.points_per_panel, self.window_tol = method, int(points_per_panel), float(window_tol)
        x = lattice.coords[:, 0]
        self.lead_sites = {"left": np.flatnonzero(x == 0), "right": np.flatnonzero(x == lattice.Lx - 1)}
        self._slices = _Slices(self.hamiltonian_, lattice, self.Gamma)

    # -- identity --------------------------------------------------------------------------
    def config(self) -> dict:
        return {"provider": type(self).__name__, "lattice": self.lattice.config(), "J": self.J, "t": self.t,
                "Gamma": self.Gamma, "mu_left": self.mu_left, "mu_right": self.mu_right, "kT_el": self.kT_el,
                "method": self.method, "points_per_panel": self.points_per_panel, "window_tol": self.window_tol}

    def __repr__(self) -> str:
        return (f"NEGFModel({self.lattice!r}, J={self.J}, t={self.t}, Gamma={self.Gamma}, mu_left={self.mu_left}, "
                f"mu_right={self.mu_right}, kT_el={self.kT_el}, method={self.method!r})")

    # -- matrices --------------------------------------------------------------------------
    def lead_indices(self, lead: str) -> np.ndarray:
        """Basis indices ``2 i + s`` of the sites coupled to ``lead`` ("left" or "right")."""
        sites = self.lead_sites[lead]
        return np.stack([2 * sites, 2 * sites + 1], axis=1).ravel()

    def effective_hamiltonian(self, spins) -> np.ndarray:
        """Dense :math:`\\mathcal H_\\mathrm{eff} = \\mathcal H - \\frac i2(\\Gamma_L + \\Gamma_R)` (2N x 2N)."""
        h = self.hamiltonian_.dense(spins)
        for lead in ("left", "right"):
            idx = self.lead_indices(lead)
            h[idx, idx] -= 0.5j * self.Gamma
        return h

    def _leads(self):
        return [(self.lead_indices("left"), self.Gamma, self.mu_left),
                (self.lead_indices("right"), self.Gamma, self.mu_right)]

    def density_matrix(self, spins) -> np.ndarray:
        """The full steady-state ρ (2N x 2N) by the closed form (small strips: O(N^2) memory)."""
        s = as_spins(spins, self.n_sites)
        return wide_band_density_matrix(self.effective_hamiltonian(s), self._leads(), self.kT_el, blocks_only=False)

    def lead_currents(self, spins) -> dict:
        r"""Particle currents out of the strip into each lead,

        .. math::

            I_\alpha = \mathrm{Tr}[\Gamma_\alpha\rho]
                      - \int\frac{d\varepsilon}{2\pi}f_\alpha\mathrm{Tr}[\Gamma_\alpha A]

        with :math:`A = G^r(\Gamma_L + \Gamma_R)G^a`, so the integral is
        :math:`\mathrm{Tr}[\Gamma_\alpha\rho_\mathrm{eq}(\mu_\alpha)]`.  In the steady state
        :math:`I_L + I_R = 0` and :math:`I_R` is the Landauer current
        :math:`\int\frac{d\varepsilon}{2\pi}(f_L - f_R)\mathrm{Tr}[\Gamma_L G^r\Gamma_R G^a]`.
        """
        s = as_spins(spins, self.n_sites)
        if self.method == "rgf":
            return self._rgf_lead_currents(s)
        h = self.effective_hamiltonian(s)
        rho = wide_band_density_matrix(h, self._leads(), self.kT_el)
        currents = {}
        for lead, mu in (("left", self.mu_left), ("right", self.mu_right)):
            both_at_mu = [(idx, g, mu) for idx, g, _ in self._leads()]
            rho_eq = wide_band_density_matrix(h, both_at_mu, self.kT_el)
            sites = self.lead_sites[lead]
            currents[lead] = float(self.Gamma * np.trace(rho[sites] - rho_eq[sites], axis1=1, axis2=2).real.sum())
        return currents

    def _slice_hamiltonians(self, spins) -> np.ndarray:
        """The strip's Hamiltonian as the blocks of its columns, for the recursive Green's functions."""
        return self._slices.hamiltonians(self.hamiltonian_.onsite_blocks(spins))

    def _rgf_lead_currents(self, spins) -> dict:
        """:meth:`lead_currents` from diagonal blocks only: ρ − ρ_eq(μ_α) on the lead's column.  ρ_eq(μ_L) is the
        solver's own equilibrium part, so I_L is Γ Tr of the bias window there (as in :meth:`current`); I_R
        subtracts two contour integrals and carries their error, ~1e-7 absolute with the default panels."""
        with serial_blas():
            H = self._slice_hamiltonians(spins)
            rho_left, _ = self._equilibrium_blocks(H, self.mu_left)
            window, _ = self._window_blocks(H)
            rho_right, _ = self._equilibrium_blocks(H, self.mu_right)
        excess = {"left": window[0], "right": (rho_left + window - rho_right)[-1]}
        return {lead: float(self.Gamma * np.trace(blocks, axis1=-2, axis2=-1).real.sum())
                for lead, blocks in excess.items()}

    def current(self, spins, window_tol: float = 1e-6) -> float:
        r"""The steady-state particle current into the right lead, :math:`I_R = -I_L`, from the bias window alone.

        :math:`I_L = \Gamma\sum_{i\in L}\mathrm{Tr}\int\frac{d\varepsilon}{2\pi}(f_R - f_L)
        [G^r\Gamma_R G^a]_{ii}`, the Landauer current, by the fast path's adaptive real-axis quadrature to
        ``window_tol`` (no contour integral enters, so a gapped strip's tiny tunnelling current keeps its relative
        accuracy: ~1 % at 1e-9 with the default).  Negative when electrons enter the strip from the right lead
        (μ_R > μ_L).
        """
        s = as_spins(spins, self.n_sites)
        with serial_blas():
            window, _ = self._window_blocks(self._slice_hamiltonians(s), window_tol)
        return -float(self.Gamma * np.trace(window[0], axis1=-2, axis2=-1).real.sum())

    # -- solvers ---------------------------------------------------------------------------
    def solve(self, spins) -> NEGFState:
        """Steady-state diagonal blocks, densities and field for one configuration (N, 3)."""
        s = as_spins(spins, self.n_sites)
        if self.method == "closed-form":
            return _state(wide_band_density_matrix(self.effective_hamiltonian(s), self._leads(), self.kT_el), self.J, 0)
        with serial_blas():  # 2Ly x 2Ly matrices: BLAS threads cost more than they give
            H = self._slice_hamiltonians(s)
            rho, n_eq = self._equilibrium_blocks(H, self.mu_left)
            window, n_window = self._window_blocks(H)
        return _state(self._slices.to_sites(rho + window), self.J, n_eq + n_window)

    def _equilibrium_blocks(self, H: np.ndarray, mu: float, chunk: int = 16) -> tuple[np.ndarray, int]:
        r""":math:`\rho_\mathrm{eq}(\mu) = \frac i{2\pi}(Y - Y^\dagger) + L\,\mathbb 1`, blocks (Lx, Ly, 2, 2).

        :math:`Y = \int f\,g`, :math:`g = G^r(z) - (z - z_0)^{-1}\mathbb 1` (analytic in the upper half
        plane, :math:`O(z^{-2})`, so :func:`equilibrium_contour` applies and nothing is left below
        the contour); the subtracted Lorentzian level :math:`z_0` holds exactly
        :math:`L = 2\,\mathrm{Im}(\bar z_0)\,K(z_0, \bar z_0)` electrons (:func:`fermi_pole_integral`).
        """
        z, w = equilibrium_contour(mu, self.kT_el, self.points_per_panel)
        z0 = -1j * max(1.0, self.Gamma)
        Y = np.zeros((self._slices.Lx, self._slices.Ly, 2, 2), complex)
        for part in _chunks(len(z), chunk):
            Y += np.einsum("k,kxyab->xyab", w[part], self._slices.diagonal_blocks(z[part], H))
        Y -= np.sum(w / (z - z0)) * np.eye(2)
        lorentzian = (2 * z0.conjugate().imag * fermi_pole_integral(z0, z0.conjugate(), mu, self.kT_el)).real
        rho = 0.5j / np.pi * (Y - Y.conj().swapaxes(-1, -2)) + lorentzian * np.eye(2)
        return rho, len(z)

    def _window_blocks(self, H: np.ndarray, tol: float | None = None) -> tuple[np.ndarray, int]:
        r""":math:`\int\frac{d\varepsilon}{2\pi}(f_R - f_L)\,G^r\Gamma_R G^a` by adaptive Gauss-Kronrod
        (panels refined until each one's Gauss-Kronrod difference is below its share of ``tol``, by default
        ``window_tol``)."""
        tol = self.window_tol if tol is None else float(tol)
        shape = (self._slices.Lx, self._slices.Ly, 2, 2)
        if self.mu_left == self.mu_right:
            return np.zeros(shape, complex), 0
        lo, hi = sorted((self.mu_left, self.mu_right))
        # f_R - f_L < 1e-4 window_tol beyond: its tails are below the tolerance even under the
        # sharpest resonances (G Gamma_R G^a stays O(100) in the band-edge states of the Néel bulk)
        cutoff = min(FERMI_CUTOFF, np.log(1e4 / tol))
        lo, hi = lo - cutoff * self.kT_el, hi + cutoff * self.kT_el
        x, wk, wg = gauss_kronrod(7)
        panels = np.linspace(lo, hi, WINDOW_START_PANELS + 1)
        panels = np.stack([panels[:-1], panels[1:]], axis=1)
        total, evaluations = np.zeros(shape, complex), 0
        while len(panels):
            if evaluations > WINDOW_MAX_POINTS:
                raise RuntimeError(f"the bias-window quadrature did not converge in {WINDOW_MAX_POINTS} energy points "
                                   f"(window_tol={tol:g}): resonances narrower than the quadrature "
                                   "resolves lie in the window; raise window_tol or use method='closed-form'")
            mid, half = panels.mean(axis=1), (panels[:, 1] - panels[:, 0]) / 2
            eps = (mid[:, None] + half[:, None] * x).ravel()
            weight = self._bias_weight(eps) / (2 * np.pi)
            values = np.concatenate([self._slices.right_injection_blocks(eps[p], H, self.Gamma)
                                     for p in _chunks(len(eps), 16)])
            values = (weight[:, None, None, None, None] * values).reshape(len(panels), len(x), *shape)
            kronrod = np.einsum("k,pkxyab->pxyab", wk, values) * half[:, None, None, None, None]
            gauss = np.einsum("k,pkxyab->pxyab", wg, values) * half[:, None, None, None, None]
            evaluations += len(eps)
            error = np.abs(kronrod - gauss).reshape(len(panels), -1).max(axis=1)
            done = error <= tol * 2 * half / (hi - lo)
            total += kronrod[done].sum(axis=0)
            split = panels[~done]
            mids = split.mean(axis=1)
            panels = np.concatenate([np.stack([split[:, 0], mids], axis=1), np.stack([mids, split[:, 1]], axis=1)])
        return total, evaluations

    def _bias_weight(self, eps: np.ndarray) -> np.ndarray:
        """f_R - f_L on real energies (a window function at T = 0)."""
        if self.kT_el == 0:
            return (eps <= self.mu_right).astype(float) - (eps <= self.mu_left)
        return expit(-(eps - self.mu_right) / self.kT_el) - expit(-(eps - self.mu_left) / self.kT_el)

    # -- provider protocol -----------------------------------------------------------------
    @batched
    def exchange_field(self, spins) -> np.ndarray:
        """NEGF field :math:`\\mathbf H_i = J\\mathbf m_i`, shape (N, 3) (or (B, N, 3))."""
        return self.solve(spins).field

    def densities(self, spins) -> tuple[np.ndarray, np.ndarray]:
        """Electron density n_i and spin density m_i (N, 3) in the steady state."""
        state = self.solve(spins)
        return state.density, state.spin_density

    def energy(self, spins):
        """Refused: the NEGF field under bias is the gradient of no energy."""
        raise TypeError("NEGFModel has no energy (the NEGF field under bias is nonconservative): "
                        "use exchange_field and compare transverse parts")
