"""Worked solutions for chapter 12, *Voltage-driven interface motion* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np
from scipy.optimize import brentq

from spinlab.exercises import ch11, ch12
from spinlab.interface import front_position
from spinlab.interface_studies import front_velocity
from spinlab.lattice import Strip
from spinlab.observables import local_correlation
from spinlab.spins import ferromagnet, neel

J, MU_L, MU_R = 3.8, -3.6, -3.28


def _band(n_k=400):
    k = 2 * np.pi * np.arange(n_k) / n_k
    return (-2 * (np.cos(k)[:, None] + np.cos(k)[None, :])).ravel()


def interface_position():
    r"""Exercise 1: x_DW of the right lead's FM layer in the profile ``ch12.PROFILE``.

    The profile, x = 0 … 15::

        -0.62 -0.97 -0.55  0.31  0.12 -0.71 -0.98 -0.99 -0.93 -0.46  0.27  0.78  0.91  0.93  0.88 -0.08

    Start at the right lead, x = 15.  Its column dips to −0.08: a lead column has three neighbours (open
    along x) and couples to the lead, so a small dip there does not end the FM layer (``front_position``
    skips it when the column next to it is FM).  Walking left, C̄ stays positive down to x = 10 (0.27)
    and is negative at x = 9 (−0.46).  The straight line through (9, −0.46) and (10, 0.27) crosses zero at

    .. math:: x_\mathrm{DW} = 9 + \frac{0.46}{0.46 + 0.27} = 9.630,

    closer to column 10, whose |C̄| is smaller.  The positive columns 3 and 4 are an FM island: it touches
    no lead and is not the front (nor a left front: column 0 is insulating).  Counting FM columns,
    L_x(1 − f) = 16 · 9/16 = 9, would have counted the island too.  Checked: ``front_position`` gives the
    same, and a texture built with this profile (FM rows of the sign of C̄) gives a front between columns 9
    and 10 with ``interface_position``.
    """
    profile = np.asarray(ch12.PROFILE)
    value = 9 + 0.46 / (0.46 + 0.27)
    assert abs(value - front_position(profile, "right")) < 1e-12
    assert front_position(profile, "left") == 0.0  # no layer at the left lead
    # a texture: columns with C > 0 ferromagnetic, the others Neel; its front lies between columns 9 and 10
    lattice = Strip(len(profile), 6)
    spins = neel(lattice)
    spins[profile[lattice.coords[:, 0]] > 0] = ferromagnet(lattice)[0]
    column = local_correlation(lattice, spins).reshape(lattice.Ly, lattice.Lx).mean(axis=0)
    assert 9 <= front_position(column, "right") <= 10
    return value


def front_velocity_of_kymograph():
    r"""Exercise 2: the right front's velocity in the synthetic kymograph, least squares over 50 ≤ t ≤ 150.

    ``times, profiles = ch12.kymograph()``; ``x = [front_position(p, "right") for p in profiles]``;
    ``front_velocity(times, x, (50, 150))`` = −0.0719 columns per unit time.  The front decelerates (its
    centre is X(t) = 4 + 19 exp(−t/90), whose slope is −0.121 at t = 50 and −0.040 at t = 150); over the whole
    run the fit gives −0.099, and the secant between t = 50 and 150 −0.073: the window and the method are part
    of the answer.  The left lead grows its own FM layer from t = 60 (``front_position(p, "left")`` moves
    at +0.029), which L_x(1 − f_FM) would mix into the right front (−0.101).
    """
    times, profiles = ch12.kymograph()
    right = np.array([front_position(p, "right") for p in profiles])
    value = front_velocity(times, right, ch12.KYMOGRAPH["window"])
    # the centre of the tanh front: the interpolated crossing follows it to 1e-2 columns
    centre = 4 + 19 * np.exp(-times / 90)
    inside = right < ch12.KYMOGRAPH["Lx"] - 1
    assert np.abs(right[inside] - centre[inside]).max() < 2e-2
    slopes = -19 / 90 * np.exp(-np.array(ch12.KYMOGRAPH["window"]) / 90)
    assert slopes[0] < value < slopes[1]  # between the slopes at the window's ends
    assert front_velocity(times, right, (0, 150)) < value  # faster early: decelerating
    return value


def driving_force_ratio():
    r"""Exercise 3: ΔΩ(−3.6) / ΔΩ(−3.28), with ΔΩ = Ω_AF − Ω_FM per site at T = 0 and J = 3.8.

    The FM metal fills its majority band ε_k − J up to μ, :math:`\Omega_\mathrm{FM}(\mu) = \langle\min(\varepsilon_k
    - J - \mu, 0)\rangle_k`; the Néel insulator has its lower band full, :math:`\Omega_\mathrm{AF} =
    -\langle\sqrt{J^2+\varepsilon_k^2}\rangle - \mu`.  On 400² momenta ΔΩ(−3.6) = 0.2511 and ΔΩ(−3.28) = 0.1189,
    ratio 2.112.  Since dΔΩ/dμ = −(1 − n_FM(μ)), ΔΩ(μ) = ∫_μ^{μ_c} (1 − n_FM) dμ' with μ_c = −2.946; the linear
    estimate (μ_c − μ_L)/(μ_c − μ_R) = 1.957 misses because the metal holds more holes at lower μ (0.445 per
    site at −3.6, 0.383 at −3.28).

    Compare it with the ratio of the front velocities of the chapter's two zero-bias controls (its table of
    the shipped runs).  The two ratios need not agree: a velocity is a driving force times a mobility, and the
    mobility of the front, and the nucleation at the undisturbed left lead, may depend on μ too.
    """
    band = _band()
    omega_fm = lambda mu: np.mean(np.minimum(band - J - mu, 0.0))  # noqa: E731
    omega_af = lambda mu: -np.mean(np.sqrt(J**2 + band**2)) - mu  # valid for mu in the Neel gap  # noqa: E731
    delta = {mu: omega_af(mu) - omega_fm(mu) for mu in ch12.CONTROLS}
    value = float(delta[MU_L] / delta[MU_R])
    # the integral form: dDelta/dmu = -(1 - n_FM)
    mu_c = brentq(lambda mu: omega_af(mu) - omega_fm(mu), -3.5, -2.5, xtol=1e-12)
    grid = np.linspace(MU_R, mu_c, 2001)
    holes = np.array([1 - np.mean(band - J < mu) for mu in grid])
    assert abs(np.trapezoid(holes, grid) - delta[MU_R]) < 1e-3
    assert abs(mu_c - ch11.coexistence_mu(J)) < 1e-8
    assert abs(ch12.driving_force(MU_L) / ch12.driving_force(MU_R) - value) < 1e-12
    return value


def displacement_current():
    r"""Exercise 4: the particle current into the right lead while the FM layer grows at v = 0.04 columns per time.

    Each column the front advances turns L_y = 24 sites of half-filled insulator (n = 1, both spins together)
    into FM metal at the right lead's filling, n_FM(μ_R) = 0.617 (the majority band ε_k − J filled up to
    μ_R = −3.28).  The metal touches only the right lead, so the 1 − n_FM = 0.383 electrons per site leave
    through it:

    .. math:: I_R = +L_y\,(1 - n_\mathrm{FM})\,v = 24 \times 0.383 \times 0.04 = 0.368\ \text{electrons per unit time},

    positive in spinlab's convention (out of the strip, into the lead), against the bias current, which is
    negative.  Before the metal bridges the leads the steady NEGF current through the insulator is orders of
    magnitude smaller: the chapter's table of NEGF currents shows it.  NEGF-LLG assumes the electrons reach
    their steady state at every step, so this charge flows between steps and never appears in ``lead_currents``.
    """
    n_fm = np.mean(_band() - J < MU_R)
    assert abs(n_fm - 0.617) < 2e-3
    value = ch12.DISPLACEMENT["Ly"] * (1 - n_fm) * ch12.DISPLACEMENT["v"]
    assert abs(ch12.fm_filling(MU_R) - n_fm) < 1e-12
    return float(value)


SOLUTIONS = {"interface-position": interface_position, "front-velocity": front_velocity_of_kymograph,
             "driving-force-ratio": driving_force_ratio, "displacement-current": displacement_current}


def _fraction_velocity():
    times, profiles = ch12.kymograph()
    return front_velocity(times, profiles.shape[1] * (1 - np.mean(profiles > 0, axis=1)), ch12.KYMOGRAPH["window"])


def _left_velocity():
    times, profiles = ch12.kymograph()
    return front_velocity(times, [front_position(p, "left") for p in profiles], ch12.KYMOGRAPH["window"])


def _whole_run_velocity():
    times, profiles = ch12.kymograph()
    return front_velocity(times, [front_position(p, "right") for p in profiles], (times[0], times[-1]))


MISTAKES = {
    "interface-position": [9.0, 10.0, 9 + 0.27 / 0.73, 15.0, 14 + 0.88 / 0.96, 2 + 0.55 / 0.86,
                           lambda: 15 - interface_position()],
    "front-velocity": [lambda: -front_velocity_of_kymograph(), _whole_run_velocity,
                       lambda: 5 * front_velocity_of_kymograph(), _fraction_velocity, _left_velocity],
    "driving-force-ratio": [lambda: 1 / driving_force_ratio(), lambda: (ch11.coexistence_mu(J) - MU_L)
                            / (ch11.coexistence_mu(J) - MU_R),
                            lambda: ch12.fm_filling(MU_L) / ch12.fm_filling(MU_R),
                            lambda: ch12.driving_force(MU_L, 6.0) / ch12.driving_force(MU_R, 6.0), -2.0],
    "displacement-current": [lambda: -displacement_current(), lambda: 24 * ch12.fm_filling(MU_R) * 0.04,
                             lambda: 24 * (1 - ch12.fm_filling(MU_L)) * 0.04, lambda: displacement_current() / 24,
                             lambda: 2 * displacement_current()],
}
