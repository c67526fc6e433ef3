"""Worked solutions for chapter 11, *Generalized potential theory and NEGF* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np
from scipy.optimize import brentq

from spinlab.electrons import NEGFModel
from spinlab.exercises import ch11
from spinlab.lattice import Strip
from spinlab.spins import ferromagnet, neel

J, GAMMA, MU_L, MU_R, KT = 3.8, 1.0, -3.6, -3.28, 0.01
LEADS = dict(J=J, Gamma=GAMMA, mu_left=MU_L, mu_right=MU_R, kT_el=KT)


def _band(n_k=400):
    k = 2 * np.pi * np.arange(n_k) / n_k
    return (-2 * (np.cos(k)[:, None] + np.cos(k)[None, :])).ravel()


def landauer_current():
    r"""Exercise 1: the particle current into the right lead of an 8 x 4 ferromagnet between the chapter's leads.

    With all spins along +z the Hamiltonian splits into the two spin species; in the bias window
    [μ_L, μ_R] = [−3.6, −3.28] only the majority band ε_k − J (from −7.8 to 0.2) has states.  On a strip of
    width 4 the transverse momenta are k_y = 0, ±π/2, π, and a channel is open where
    −2cos k_x − 2cos k_y − J lies in the window: k_y = ±π/2 and π, three channels (k_y = 0 would need
    −2cos k_x > 2).  A reflectionless strip would carry at most 3 (μ_R − μ_L)/(2π) = 0.153.

    The Landauer current is

    .. math:: I = \int\frac{d\varepsilon}{2\pi}\,(f_L - f_R)\,T(\varepsilon),\qquad
              T = \mathrm{Tr}[\Gamma_L G^r\Gamma_R G^a] = \Gamma^2\sum_{a\in L,\,b\in R}|G^r_{ab}|^2,

    with :math:`G^r = (\varepsilon - \mathcal H_\mathrm{eff})^{-1}` and
    :math:`\mathcal H_\mathrm{eff} = \mathcal H - \frac i2(\Gamma_L + \Gamma_R)`.  On a grid of 1201 energies
    from −3.9 to −3.0 the trapezoid rule gives I = −0.1131 (T ≈ 1.9–2.5 in the window, about two of the three
    channels: the wide-band contacts reflect).  spinlab counts each lead's current out of the strip into
    the lead; I_R equals the Landauer integral above, and it is negative because f_L − f_R < 0 in the
    window: electrons come in from the right lead, the one at the higher chemical potential, and leave
    into the left one.  ``NEGFModel.lead_currents`` gives the same to 1e-10, and I_L = −I_R (the steady
    state keeps its charge).
    """
    model = NEGFModel(Strip(8, 4), method="closed-form", **LEADS)
    spins = ferromagnet(model.lattice)
    h = model.effective_hamiltonian(spins)
    left, right = model.lead_indices("left"), model.lead_indices("right")
    eps = np.linspace(-3.9, -3.0, 1201)
    transmission = np.array([GAMMA**2 * np.sum(np.abs(np.linalg.inv(e * np.eye(len(h)) - h)[np.ix_(left, right)]) ** 2)
                             for e in eps])
    fermi = lambda mu: 0.5 * (1 - np.tanh((eps - mu) / (2 * KT)))  # noqa: E731
    landauer = np.trapezoid((fermi(MU_L) - fermi(MU_R)) * transmission, eps) / (2 * np.pi)
    window = (eps > MU_L) & (eps < MU_R)
    assert 1.5 < transmission[window].min() and transmission[window].max() < 3  # below three channels
    currents = model.lead_currents(spins)
    assert abs(currents["left"] + currents["right"]) < 1e-10
    assert abs(currents["right"] - landauer) < 1e-7, (currents, landauer)
    assert currents["right"] < 0 and abs(currents["right"]) < 3 * (MU_R - MU_L) / (2 * np.pi)
    return float(currents["right"])


def neel_bulk_field():
    r"""Exercise 2: the parallel field H·S deep in the Néel bulk of the driven strip.

    In the Néel state each spin species sees the on-site energy −J on one sublattice and +J on the
    other (for the majority species of sublattice A), and hopping couples the two sublattices: per
    momentum the 2 x 2 problem [[−J, ε_k], [ε_k, J]] has the energies ±sqrt(J² + ε_k²).  The lower
    eigenvector has weights (1 + J/E_k)/2 on its own sublattice and (1 − J/E_k)/2 on the other, with
    E_k = sqrt(J² + ε_k²), so an electron in it is polarized along its local spin by J/E_k.  At half
    filling the lower band, N states, is full (both species), one electron per site, and

    .. math:: \mathbf H_i\cdot\mathbf S_i = J\,\mathbf m_i\cdot\mathbf S_i
              = J\,\Bigl\langle \frac{J}{\sqrt{J^2 + \varepsilon_k^2}}\Bigr\rangle_k = 3.4275

    at J = 3.8 (400² momenta).  No expansion in ε_k/J helps here: the band reaches |ε_k| = 4 > J.  But
    1/sqrt(1 + x) ≥ 1 − x/2 bounds it from below by J(1 − ⟨ε²⟩/2J²) = 3.27 (⟨ε²⟩ = 4), and full
    polarization, J = 3.8, bounds it from above.  Both
    leads' μ lie in the Néel gap (−3.8, 3.8), so the bulk stays half filled.  Checked with NEGF on a
    16 x 8 strip under bias: the Néel columns 6–9 give n = 1 and H·S = 3.4275 within 2e-3, for μ_L = −3.6
    and for μ_L = −3.45.
    """
    value = ch11.neel_field(J)
    eps2 = np.mean(_band() ** 2)
    assert abs(eps2 - 4) < 1e-9 and J * (1 - eps2 / (2 * J**2)) < value < J
    lattice = Strip(16, 8)
    spins = neel(lattice)
    bulk = (lattice.coords[:, 0] >= 6) & (lattice.coords[:, 0] <= 9)
    for mu_left in (MU_L, -3.45):
        state = NEGFModel(lattice, **{**LEADS, "mu_left": mu_left}).solve(spins)
        assert np.allclose(state.density[bulk], 1.0, atol=1e-4)
        assert np.allclose(np.sum(state.field * spins, axis=1)[bulk], value, atol=2e-3)
    return value


def _omega(J_value):
    band = _band()
    fm = lambda mu: np.mean(np.minimum(band - J_value - mu, 0.0))  # noqa: E731
    af = lambda mu: np.mean(np.minimum(-np.sqrt(J_value**2 + band**2) - mu, 0.0))  # noqa: E731
    return fm, af


def coexistence_mu():
    r"""Exercise 3: the μ_c at which the FM metal and the Néel insulator have the same grand potential (J = 3.8).

    At T = 0 a uniform phase at chemical potential μ has :math:`\Omega(\mu) = \frac1N\sum_{\varepsilon_n<\mu}
    (\varepsilon_n - \mu)`.  The FM metal fills its majority band ε_k − J up to μ (the minority band
    starts at −0.2, above the leads); the Néel insulator, for μ in its gap (−J, J), has its lower band
    −sqrt(J² + ε_k²) full, :math:`\Omega_\mathrm{AF} = -\langle\sqrt{J^2+\varepsilon_k^2}\rangle - \mu
    = -4.2654 - \mu`.  Their difference grows with μ at the rate :math:`1 - n_\mathrm{FM}(\mu)`, and vanishes
    at :math:`\mu_c = -2.946` (400² momenta), where the FM metal holds n = 0.670.

    Below μ_c the FM metal wins: Ω_FM − Ω_AF = −0.251 at μ_L = −3.6 and −0.119 at μ_R = −3.28.  Both leads
    favour the metal, the left one even more.  Nothing in the bulk grand potentials therefore says why, in
    the authors' data, the FM layer grows from the electrode with the *higher* chemical potential; the
    insulator is metastable next to either lead, and where it first gives way is a matter of dynamics
    (their run starts from a Néel state already disturbed next to that electrode).  The metal that
    forms takes the density of its own lead: 0.617 at μ_R, the n ≈ 0.62 of the data.
    """
    fm, af = _omega(J)
    mu_c = float(brentq(lambda mu: fm(mu) - af(mu), -J + 0.3, 4 - J, xtol=1e-10))
    assert abs(af(-3.0) - (-np.mean(np.sqrt(J**2 + _band() ** 2)) + 3.0)) < 1e-12
    assert fm(MU_L) - af(MU_L) < fm(MU_R) - af(MU_R) < 0  # both leads favour the metal, the left one more
    assert fm(-2.5) > af(-2.5)  # above mu_c the insulator wins
    n_right = np.mean(_band() - J < MU_R)
    assert abs(n_right - 0.617) < 2e-3
    assert abs(mu_c - ch11.coexistence_mu(J)) < 1e-8
    return mu_c


def _spin():
    theta = np.radians(60.0)
    return np.array([np.sin(theta), 0.0, np.cos(theta)])


def damping_like_torque():
    r"""Exercise 4: the motion that the W part of the field gives a spin, for W = c p·S.

    :math:`\partial W/\partial\mathbf S = c\,\mathbf p`, so :math:`\mathbf H_W = -\mathbf S\times c\,\mathbf p`
    and, in :math:`d\mathbf S/dt = -\mathbf S\times\mathbf H` (α = 0),

    .. math:: \frac{d\mathbf S}{dt} = c\,\mathbf S\times(\mathbf S\times\mathbf p)
              = c\,[(\mathbf S\cdot\mathbf p)\,\mathbf S - \mathbf p] = -c\,\mathbf p_\perp .

    With S = (sin 60°, 0, cos 60°), p = z and c = 0.05: (S·p) S − p = (0.433, 0, −0.75), and
    dS/dt = (0.0217, 0, −0.0375): perpendicular to S, in the plane of S and p, away from p.  The W part
    is the gradient flow of W at unit rate, dS/dt = −(∂W/∂S)⊥, like the LL damping term of an energy;
    a negative c would pull S towards p.  Checked: the result is perpendicular to S and equals the
    finite-difference descent of W on the sphere.
    """
    c, spin, p = 0.05, _spin(), np.array([0.0, 0.0, 1.0])
    field = -np.cross(spin, c * p)
    rate = -np.cross(spin, field)
    assert abs(rate @ spin) < 1e-15
    assert np.allclose(rate, -(c * p - (c * p @ spin) * spin))
    # W decreases along the motion at the rate |grad W_perp|^2
    dt = 1e-6
    moved = spin + dt * rate
    moved /= np.linalg.norm(moved)
    assert np.isclose((c * p @ moved - c * p @ spin) / dt, -np.sum(rate**2), rtol=1e-4)
    return rate


SOLUTIONS = {"landauer-current": landauer_current, "neel-bulk-field": neel_bulk_field,
             "coexistence-mu": coexistence_mu, "damping-like-torque": damping_like_torque}

MISTAKES = {
    "landauer-current": [lambda: -landauer_current(), lambda: 2 * np.pi * landauer_current(),
                         lambda: landauer_current() / (2 * np.pi), lambda: 2 * landauer_current(),
                         -3 * (MU_R - MU_L) / (2 * np.pi), 0.0],
    "neel-bulk-field": [3.8, lambda: ch11.neel_field(J) / J, lambda: ch11.neel_field(J) / 2,
                        lambda: -ch11.neel_field(J), J * 0.617, 2.41],
    "coexistence-mu": [MU_R, MU_L, -3.8, lambda: ch11.coexistence_mu(6.0), lambda: -coexistence_mu(), -7.9],
    "damping-like-torque": [lambda: -damping_like_torque(), lambda: -np.cross(_spin(), [0.0, 0.0, 0.05]),
                            lambda: damping_like_torque() / 0.05, [0.0, 0.0, -0.05], [0.02, 0.01, 0.0]],
}
