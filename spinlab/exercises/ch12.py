"""Self-checks for the exercises of chapter 12, *Voltage-driven interface motion*.

1. :func:`check_interface_position` — x_DW of the right lead's FM layer from a column profile of C_i.
2. :func:`check_front_velocity` — the velocity of a decelerating front, by least squares over a window.
3. :func:`check_driving_force_ratio` — how much harder μ = −3.6 pushes the FM metal into the insulator than −3.28.
4. :func:`check_displacement_current` — the electrons a growing FM layer hands to its lead.
"""

from __future__ import annotations

import numpy as np

from . import close, exercise, exercises_of, number
from .ch11 import STRIP, _band, _grand_potentials

__all__ = ["check_interface_position", "check_front_velocity", "check_driving_force_ratio",
           "check_displacement_current", "kymograph", "fm_filling", "driving_force", "EXERCISES", "PROFILE",
           "KYMOGRAPH", "CONTROLS", "DISPLACEMENT"]

#: Exercise 1: a column profile of the local correlation C̄(x), x = 0 … 15, of a strip under bias.
PROFILE = (-0.62, -0.97, -0.55, 0.31, 0.12, -0.71, -0.98, -0.99, -0.93, -0.46, 0.27, 0.78, 0.91, 0.93, 0.88,
           -0.08)
#: Exercise 2: the synthetic kymograph (:func:`kymograph`) and the window of the fit.
KYMOGRAPH = {"Lx": 24, "dt_record": 5.0, "records": 31, "window": (50.0, 150.0)}
#: Exercise 3: the chemical potentials of the two zero-bias controls (both leads at μ).
CONTROLS = (-3.6, -3.28)
#: Exercise 4: a front moving at ``v`` columns per unit time across a strip of ``Ly`` rows, FM metal at μ_R.
DISPLACEMENT = {"Ly": 24, "v": 0.04}


def kymograph():
    """``(times, profiles)``: column profiles C̄(x) of a strip of ``KYMOGRAPH["Lx"]`` columns at times 0, 5, … 150.

    A smooth front, C̄ = 0.95 tanh((x − X)/1.5), with X(t) = 4 + 19 exp(−t/90) decelerating from the right lead,
    and from t = 60 a second FM layer growing from the left lead; the lead columns have a smaller |C̄| (three
    neighbours).  Synthetic: the shape of the chapter's kymographs, not a simulation.
    """
    times = np.arange(KYMOGRAPH["records"]) * KYMOGRAPH["dt_record"]
    x = np.arange(KYMOGRAPH["Lx"])
    profiles = []
    for t in times:
        c = 0.95 * np.tanh((x - (4 + 19 * np.exp(-t / 90))) / 1.5)
        if t > 60:
            c = np.maximum(c, 0.95 * np.tanh((0.03 * (t - 60) - x) / 1.5))
        c[0] *= 0.7
        c[-1] *= 0.7
        profiles.append(c)
    return times, np.array(profiles)


# ---------------------------------------------------------------- 1. x_DW from a profile


@exercise("interface-position", "a number: x_DW of the right lead's FM layer, in columns")
def check_interface_position(answer):
    """Exercise 1: where C̄(x) of :data:`PROFILE` crosses 0 at the inner edge of the right lead's FM layer."""
    from ..interface import front_position

    value = number(answer)
    profile = np.asarray(PROFILE)
    reference = front_position(profile, "right")
    lx = len(profile)
    if abs(value - reference) <= 2e-3:
        return True, ("the layer runs from the lead's column (whose dip below 0 does not end it: three neighbours "
                      "and the lead's coupling) to the first column with C̄ ≤ 0 seen from the lead; the FM patch "
                      "near the left lead is an island, connected to no lead, and is not the front.")
    if abs(value - round(value)) < 1e-9 and 8 <= value <= 11:
        return False, ("an integer column: interpolate C̄ linearly between the last column with C̄ ≤ 0 and the next "
                       "one, and find where the line crosses 0 (counting FM columns gives an integer too).")
    x = int(np.floor(reference))
    swapped = x + profile[x + 1] / (profile[x + 1] - profile[x])
    if abs(value - swapped) <= 2e-3:
        return False, "the crossing lies closer to the column whose |C̄| is smaller: check the weights."
    if abs(value - (lx - 1)) <= 2e-3 or abs(value - (lx - 2 + profile[-2] / (profile[-2] - profile[-1]))) <= 2e-3:
        return False, ("the lead's own column has three neighbours and couples to the lead: a dip of it below 0 does "
                       "not end the FM layer.")
    if value < 5:
        return False, "that is the FM island near the left lead: the front is the edge of the layer at the right lead."
    if abs(value - (lx - 1 - reference)) <= 2e-3:
        return False, "that is the layer's thickness from the lead; x_DW is a column coordinate, x = 0 … Lx − 1."
    return False, ("start at the right lead, walk left while C̄ > 0 (the lead's column may dip), and interpolate the "
                   "zero crossing between the last FM column and the first insulating one.")


# ---------------------------------------------------------------- 2. front velocity


def _front_series():
    from ..interface import front_position

    times, profiles = kymograph()
    return (times, np.array([front_position(p, "right") for p in profiles]),
            np.array([front_position(p, "left") for p in profiles]), profiles)


@exercise("front-velocity", "a number: dx_DW/dt of the right front, in columns per unit time (ħ/t)")
def check_front_velocity(answer):
    """Exercise 2: the least-squares slope of the right front's x_DW(t) over the window of :data:`KYMOGRAPH`."""
    from ..interface_studies import front_velocity

    value = number(answer)
    times, right, left, profiles = _front_series()
    window = KYMOGRAPH["window"]
    reference = front_velocity(times, right, window)
    if close(value, reference, rtol=5e-3):
        return True, ("negative: x_DW decreases as the FM layer grows from the right lead into the insulator. Over the "
                      "whole run the slope is steeper: the front decelerates, and a velocity means little without "
                      "its window.")
    if close(value, -reference, rtol=5e-3):
        return False, "the front moves towards the left lead: x_DW decreases, and dx_DW/dt is negative."
    if close(abs(value), abs(front_velocity(times, right, (times[0], times[-1]))), rtol=5e-3):
        return False, "fit only the records inside the window the exercise gives; the front decelerates."
    if close(abs(value), abs(reference) * KYMOGRAPH["dt_record"], rtol=5e-3):
        return False, "that is columns per record; the records are KYMOGRAPH['dt_record'] time units apart."
    sel = (times >= window[0]) & (times <= window[1])
    secant = (right[sel][-1] - right[sel][0]) / (times[sel][-1] - times[sel][0])
    if close(abs(value), abs(secant), rtol=5e-3):
        return False, "that uses the two end points only; fit a straight line to every record in the window."
    if close(abs(value), abs(front_velocity(times, left, window)), rtol=5e-3):
        return False, "that is the FM layer of the left lead; the exercise asks for the right lead's front."
    fraction = np.mean(profiles > 0, axis=1)
    if close(abs(value), abs(front_velocity(times, len(profiles[0]) * (1 - fraction), window)), rtol=5e-3):
        return False, ("L_x(1 − f_FM) counts every FM column, also those of the left lead's layer: follow the right "
                       "front with front_position.")
    return False, ("compute x_DW(t) with front_position for every profile, then fit a straight line over the window "
                   "(front_velocity(times, x, window)).")


# ---------------------------------------------------------------- 3. driving force


def driving_force(mu: float, J: float = STRIP["J"]) -> float:
    """Ω_AF(μ) − Ω_FM(μ) per site at T = 0: how much the FM metal beats the Néel insulator at a lead's μ."""
    fm, af = _grand_potentials(J)
    return float(af(mu) - fm(mu))


def fm_filling(mu: float, J: float = STRIP["J"]) -> float:
    """n_FM(μ): electrons per site of a fully polarized FM metal in equilibrium at μ (T = 0, 400² momenta)."""
    return float(np.mean(_band() - J < mu))


@exercise("driving-force-ratio", "a number: ΔΩ(−3.6) / ΔΩ(−3.28), dimensionless")
def check_driving_force_ratio(answer):
    """Exercise 3: the ratio of Ω_AF − Ω_FM at the two control chemical potentials (J = 3.8, T = 0)."""
    from .ch11 import coexistence_mu

    value = number(answer)
    low, high = CONTROLS
    reference = driving_force(low) / driving_force(high)
    J = STRIP["J"]
    if close(value, reference, rtol=5e-3):
        return True, ("the lower μ pushes the metal into the insulator about twice as hard: dΔΩ/dμ = −(1 − n_FM), so "
                      "ΔΩ grows by the holes of the metal per unit of μ below μ_c. Compare the fronts of the two "
                      "zero-bias controls: a force ratio says how much faster the front should move only if the "
                      "front's mobility is the same at both μ.")
    if close(value, 1 / reference, rtol=5e-3):
        return False, "upside down: the exercise asks for ΔΩ at μ = −3.6 over ΔΩ at μ = −3.28."
    mu_c = coexistence_mu(J)
    if close(value, (mu_c - low) / (mu_c - high), rtol=5e-3):
        return False, ("that is the linear estimate from the distances to μ_c; the slope of ΔΩ, 1 − n_FM(μ), changes "
                       "with μ: integrate, or compute both grand potentials.")
    if close(value, fm_filling(low) / fm_filling(high), rtol=5e-3):
        return False, "that is the ratio of the metal's densities; the driving force is a grand-potential difference."
    fm, af = _grand_potentials(J)
    if close(value, fm(low) / fm(high), rtol=5e-3):
        return False, "that compares the metal with itself; the driving force is Ω_AF − Ω_FM at each μ."
    if close(value, driving_force(low, 6.0) / driving_force(high, 6.0), rtol=5e-3):
        return False, "that is J = 6 of the double-exchange chapters; the strip has J = 3.8."
    energy = lambda mu: (af(mu) + mu) - (fm(mu) + mu * fm_filling(mu))  # noqa: E731
    if close(value, energy(low) / energy(high), rtol=5e-3):
        return False, ("those are energies E = Ω + μN; at a lead the electron number is free, and the phases compete "
                       "in the grand potential Ω = E − μN.")
    if value <= 0:
        return False, "both controls lie below μ_c, where the FM metal wins: both differences have the same sign."
    return False, ("compute Ω(μ) = (1/N) Σ_{ε_n < μ} (ε_n − μ) for the FM majority band ε_k − J and for the Néel lower "
                   "band −sqrt(J² + ε_k²) on a 400 × 400 grid, at both μ, and divide the differences.")


# ---------------------------------------------------------------- 4. displacement current


@exercise("displacement-current", "a number: the particle current I_R into the right lead, electrons per unit time")
def check_displacement_current(answer):
    """Exercise 4: I_R = +L_y (1 − n_FM(μ_R)) v, the electrons a growing FM layer at the right lead gives back to it."""
    value = number(answer)
    ly, v = DISPLACEMENT["Ly"], DISPLACEMENT["v"]
    holes = 1 - fm_filling(STRIP["mu_right"])
    reference = ly * holes * v
    if close(value, reference, rtol=1e-2):
        return True, ("positive: out of the strip into the right lead, against the bias current, and orders of "
                      "magnitude larger than the steady tunnelling current through the insulator. NEGF's steady "
                      "state does not contain it: the electrons are assumed to settle instantly, so this charge "
                      "leaves between two steps without being counted as a current.")
    if close(value, -reference, rtol=1e-2):
        return False, ("spinlab counts I_R out of the strip into the right lead: does the growing metal take electrons "
                       "from the lead or give them back?")
    if close(abs(value), ly * (1 - holes) * v, rtol=1e-2):
        return False, ("that is the charge of the new metal; what leaves is the difference from the insulator's one "
                       "electron per site.")
    if close(abs(value), ly * (1 - fm_filling(STRIP["mu_left"])) * v, rtol=1e-2):
        return False, "the FM layer touches the right lead only: it takes the right lead's filling."
    if close(abs(value), holes * v, rtol=1e-2):
        return False, "that is one row; the front is a line of L_y sites."
    if close(abs(value), 2 * reference, rtol=1e-2):
        return False, "the insulator holds one electron per site in all, both spins together, not one per spin."
    return False, ("each column the front advances turns L_y sites from the half-filled insulator (n = 1) into metal "
                   "at the right lead's filling n_FM(μ_R): count the electrons that must leave per unit time.")


EXERCISES = exercises_of(__name__)
