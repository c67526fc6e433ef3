"""Self-checks for the exercises of chapter 11, *Generalized potential theory and NEGF*.

1. :func:`check_landauer_current` — the particle current through a small ferromagnetic strip under bias.
2. :func:`check_neel_bulk_field` — derive the parallel field deep in the Néel bulk of the driven strip.
3. :func:`check_coexistence_mu` — the chemical potential below which the FM metal beats the Néel insulator.
4. :func:`check_damping_like_torque` — the torque of the second potential W = c p·S.
"""

from __future__ import annotations

import functools

import numpy as np

from . import close, exercise, exercises_of, number, vector

__all__ = ["check_landauer_current", "check_neel_bulk_field", "check_coexistence_mu", "check_damping_like_torque",
           "neel_field", "coexistence_mu", "EXERCISES", "STRIP", "CURRENT", "TORQUE"]

#: The driven strip of the chapter (t = 1): exchange coupling, lead coupling, chemical potentials, temperature.
STRIP = {"J": 3.8, "Gamma": 1.0, "mu_left": -3.6, "mu_right": -3.28, "kT_el": 0.01}
#: Exercise 1: a fully polarized ferromagnet (all spins +z) on an Lx x Ly strip, with the chapter's leads.
CURRENT = {"Lx": 8, "Ly": 4}
#: Exercise 4: W = c p·S for one spin at ``angle_deg`` from p = z (in the xz plane, S_x > 0).
TORQUE = {"c": 0.05, "angle_deg": 60.0, "p": (0.0, 0.0, 1.0)}


def _band(n_k: int = 400) -> np.ndarray:
    """ε_k = -2(cos k_x + cos k_y) on an n_k x n_k grid of the square lattice's Brillouin zone (t = 1)."""
    k = 2 * np.pi * np.arange(n_k) / n_k
    return (-2 * (np.cos(k)[:, None] + np.cos(k)[None, :])).ravel()


@functools.lru_cache(maxsize=1)
def _current() -> dict:
    """Lead currents of the exercise-1 strip by the closed form (an 8 x 4 strip: milliseconds)."""
    from ..electrons import NEGFModel
    from ..lattice import Strip
    from ..spins import ferromagnet

    model = NEGFModel(Strip(CURRENT["Lx"], CURRENT["Ly"]), method="closed-form", **STRIP)
    return model.lead_currents(ferromagnet(model.lattice))


@exercise("landauer-current", "a number: the particle current I_R into the right lead, in units of t/ħ")
def check_landauer_current(answer):
    """Exercise 1: I_R of the 8 x 4 ferromagnet between the chapter's leads (lead_currents, closed form)."""
    value = number(answer)
    reference = _current()["right"]
    window = STRIP["mu_right"] - STRIP["mu_left"]
    if close(value, reference, rtol=2e-3):
        return True, ("negative: electrons enter from the right lead, whose chemical potential is higher, and leave "
                      "into the left one. The mean transmission in the window is about two of the three open "
                      "majority-spin channels: the wide-band contacts reflect part of each wave.")
    if close(value, -reference, rtol=2e-3):
        return False, ("right size, wrong sign: spinlab counts I_α out of the strip into lead α. Which lead do the "
                       "electrons come from?")
    if close(abs(value), abs(reference) * 2 * np.pi, rtol=2e-3):
        return False, "the Landauer formula carries dε/2π (with ħ = 1): divide the energy integral by 2π."
    if close(abs(value), abs(reference) / (2 * np.pi), rtol=2e-3):
        return False, "one factor 1/(2π) too many: I = ∫ dε/(2π) (f_L − f_R) T(ε)."
    if close(abs(value), 2 * abs(reference), rtol=2e-3):
        return False, ("the basis a = (i, s) already holds both spins: the trace over it counts each spin once; do "
                       "not multiply by 2 for spin.")
    if close(abs(value), 3 * window / (2 * np.pi), rtol=2e-3):
        return False, ("that is the ballistic bound, three perfectly transmitting channels. The wide-band contacts "
                       "are not reflectionless: compute T(ε) = Tr[Γ_L G^r Γ_R G^a].")
    if abs(value) < 1e-6:
        return False, "a ferromagnetic strip is a metal: its majority band crosses the bias window."
    return False, ("compute T(ε) = Γ² Σ |G^r_ab|² over a on the left and b on the right lead columns, with "
                   "G^r = (ε − H_eff)^−1 from NEGFModel.effective_hamiltonian, and integrate (f_L − f_R) T over "
                   "the window; check with NEGFModel.lead_currents.")


def neel_field(J: float, n_k: int = 400) -> float:
    """J <J / sqrt(J² + ε_k²)>_k: H·S of the half-filled Néel state on the square lattice."""
    band = _band(n_k)
    return float(J * np.mean(J / np.sqrt(J**2 + band**2)))


@exercise("neel-bulk-field", "a number: H_i·S_i in the Néel bulk, in units of t")
def check_neel_bulk_field(answer):
    """Exercise 2: H·S = J <J/sqrt(J² + ε_k²)> of the half-filled Néel state at J = 3.8 (the bulk of the strip)."""
    value = number(answer)
    J = STRIP["J"]
    reference = neel_field(J)
    if close(value, reference, rtol=1e-3):
        return True, ("every electron of the filled lower band is polarized along its local spin by only "
                      "J/sqrt(J² + ε_k²), because it also hops onto the antiparallel neighbours. NEGF gives the same "
                      "number deep in the Néel bulk of the driven strip, whatever μ_L in the gap: the leads do not "
                      "reach an insulator.")
    if close(value, J, rtol=1e-3):
        return False, ("that is one fully polarized electron per site. An electron that hops between antiparallel "
                       "spins is not fully polarized.")
    if close(value, reference / J, rtol=2e-3):
        return False, "that is the spin density m·S; the field is J m."
    if close(value, reference / 2, rtol=2e-3):
        return False, "spinlab's Pauli matrices carry no factor 1/2 (book/conventions.md): H = J m."
    if close(value, -reference, rtol=2e-3):
        return False, "check the sign: with the coupling −J S·σ the electrons align with the spin."
    k = 2 * np.pi * np.arange(4000) / 4000
    if close(value, J * np.mean(J / np.sqrt(J**2 + 4 * np.cos(k) ** 2)), rtol=2e-3):
        return False, "that is the chain; the strip is a square lattice: ε_k = −2(cos k_x + cos k_y)."
    if 2.0 < value < 2.6:
        return False, ("that is in the range of the FM metal or of the edge column next to a lead; the exercise "
                       "asks for the Néel bulk, far from both.")
    return False, ("each spin species sees −J on one sublattice and +J on the other: find the lower band, the "
                   "polarization of its states along the local spin, and average over the Brillouin zone.")


def _grand_potentials(J: float, n_k: int = 400):
    """Ω_FM(μ) and Ω_AF(μ) per site at T = 0: the FM majority band ε_k − J and the Néel lower band."""
    band = _band(n_k)
    fm = lambda mu: float(np.mean(np.minimum(band - J - mu, 0.0)))  # noqa: E731
    af = lambda mu: float(np.mean(np.minimum(-np.sqrt(J**2 + band**2) - mu, 0.0)))  # noqa: E731
    return fm, af


@functools.lru_cache(maxsize=2)
def coexistence_mu(J: float) -> float:
    """μ_c with Ω_FM(μ_c) = Ω_AF(μ_c) (T = 0, uniform phases); the FM metal wins below it."""
    from scipy.optimize import brentq

    fm, af = _grand_potentials(J)
    return float(brentq(lambda mu: fm(mu) - af(mu), -J + 0.3, 4 - J, xtol=1e-10))


@exercise("coexistence-mu", "a number: the chemical potential μ_c, in units of t")
def check_coexistence_mu(answer):
    """Exercise 3: μ_c at J = 3.8 where the FM metal and the Néel insulator have the same grand potential."""
    value = number(answer)
    J = STRIP["J"]
    reference = coexistence_mu(J)
    if abs(value - reference) <= 0.01:
        return True, ("both leads, μ_L and μ_R, lie below μ_c: next to either of them the FM metal has the lower "
                      "grand potential, and the Néel insulator is only metastable. It can give up electrons only at "
                      "a lead; which lead it first gives way at is a matter of dynamics, and bulk thermodynamics "
                      "alone does not pick the electrode.")
    if abs(value - STRIP["mu_right"]) <= 0.005 or abs(value - STRIP["mu_left"]) <= 0.005:
        return False, "that is a lead's chemical potential; derive μ_c from the two grand potentials."
    if abs(value + J) <= 0.01 or abs(value + np.sqrt(J**2 + 16)) <= 0.01:
        return False, ("that is an edge of the Néel lower band. At μ_c the grand potentials Ω = E − μN of the two "
                       "states are equal; their densities are not.")
    if abs(value - coexistence_mu(6.0)) <= 0.01:
        return False, "that is the double-exchange value of chapter 10, at J = 6; the strip has J = 3.8."
    if abs(value + reference) <= 0.01:
        return False, "check the sign: μ_c lies in the lower half of the Néel gap, like the leads' potentials."
    if value < -4 - J or value > J:
        return False, "μ_c lies between the bottom of the FM majority band, −4 − J, and the Néel gap's top, J."
    return False, ("at T = 0 the grand potential per site is Ω(μ) = (1/N) Σ_{ε_n < μ} (ε_n − μ): compare the FM "
                   "majority band ε_k − J with the Néel lower band −sqrt(J² + ε_k²) on a fine k-grid, and find "
                   "where they cross.")


def _torque_geometry():
    c, theta = TORQUE["c"], np.radians(TORQUE["angle_deg"])
    spin = np.array([np.sin(theta), 0.0, np.cos(theta)])
    return c, spin, np.asarray(TORQUE["p"], float)


@exercise("damping-like-torque", "three numbers: dS/dt = (x, y, z) from the W part of the field")
def check_damping_like_torque(answer):
    """Exercise 4: dS/dt = −S × H_W with H_W = −S × ∂W/∂S, W = c p·S: equal to c S × (S × p)."""
    value = vector(answer, 3)
    c, spin, p = _torque_geometry()
    reference = c * np.cross(spin, np.cross(spin, p))
    field = -c * np.cross(spin, p)
    scale = np.linalg.norm(reference)
    if np.linalg.norm(value - reference) <= 2e-3 * scale:
        return True, ("the W part acts like damping of a second energy: dS/dt = −(∂W/∂S)⊥, so the spin runs down "
                      "the slope of W = c p·S, away from p for c > 0. Nothing precesses: this is the "
                      "Slonczewski-type torque, and the sign of c decides whether it damps or pumps.")
    if np.linalg.norm(value + reference) <= 2e-3 * scale:
        return False, ("the right line, but the opposite sense: with dS/dt = −S × H and H_W = −S × ∂W/∂S, the two "
                       "minus signs and the order of the cross products matter.")
    if np.linalg.norm(value - field) <= 2e-3 * scale or np.linalg.norm(value + field) <= 2e-3 * scale:
        return False, "that is the field H_W itself; the exercise asks for the motion dS/dt = −S × H_W."
    if np.linalg.norm(value - reference / c) <= 2e-3 * scale / c:
        return False, "the strength c of the potential scales the torque."
    if np.linalg.norm(value + c * p) <= 2e-3 * scale or np.linalg.norm(value - c * p) <= 2e-3 * scale:
        return False, ("that is the whole gradient of W; a unit spin can only move perpendicular to itself: keep "
                       "the part of ∂W/∂S transverse to S.")
    if abs(value @ spin) > 1e-3 * max(np.linalg.norm(value), 1e-12):
        return False, "a unit spin keeps its length: dS/dt must be perpendicular to S."
    return False, ("compute ∂W/∂S = c p, the field H_W = −S × c p, then dS/dt = −S × H_W, with "
                   "S = (sin 60°, 0, cos 60°).")


EXERCISES = exercises_of(__name__)
