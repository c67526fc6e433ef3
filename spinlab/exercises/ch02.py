"""Self-checks for the exercises of chapter 2, *Spin dynamics*.

1. :func:`check_precession_period` — change the damping and predict the precession period.
2. :func:`check_equator_time` — derive when a damped spin crosses the equator.
3. :func:`check_langevin_temperature` — derive the temperature of half magnetization and check it.
"""

from __future__ import annotations

import numpy as np

from . import close, exercise, exercises_of, number

__all__ = ["check_precession_period", "check_equator_time", "check_langevin_temperature", "EXERCISES"]

#: Exercise 1: field and LL damping.
PRECESSION = {"h": 2.0, "alpha": 0.3}
#: Exercise 2: the spin of the chapter's figure, started at polar angle theta0.
EQUATOR = {"h": 1.0, "alpha": 0.1, "theta0": 2.5}
#: Exercise 3: field and target magnetization.
LANGEVIN = {"h": 1.0, "sz": 0.5}


@exercise("precession-period", "a number: the period in units of ħ/t")
def check_precession_period(answer):
    """Exercise 1: precession period in H = 2 ẑ with LL damping α = 0.3."""
    value = number(answer)
    h, alpha = PRECESSION["h"], PRECESSION["alpha"]
    reference = 2 * np.pi / h
    if close(value, reference):
        return True, "in the LL form the damping changes the polar angle, not the rate of precession."
    if close(value, reference * (1 + alpha**2)) or close(value, reference / (1 + alpha**2)):
        return False, "a factor 1 + α² belongs to the Gilbert form; this book uses the LL form."
    if close(value, 2 * np.pi):
        return False, "that is the period in a unit field; the angular frequency is h."
    if close(value, h) or close(value, 1 / h):
        return False, "that is a frequency (or its inverse without the 2π), not a period."
    return False, "read the angular frequency off φ(t) = φ0 + h t and turn it into a period."


def _equator_time():
    h, alpha, theta0 = EQUATOR["h"], EQUATOR["alpha"], EQUATOR["theta0"]
    return -np.arctanh(np.cos(theta0)) / (alpha * h)


@exercise("equator-time", "a number: the time in units of ħ/t")
def check_equator_time(answer):
    """Exercise 2: the time at which S_z(t) = 0, from θ0 = 2.5 at h = 1, α = 0.1 (LL form)."""
    value = number(answer)
    h, alpha = EQUATOR["h"], EQUATOR["alpha"]
    reference = _equator_time()
    if close(value, reference, rtol=3e-3):
        return True, "S_z(t) = tanh(α h t + artanh S_z(0)) vanishes when the argument of tanh does."
    if close(value, reference * (1 + alpha**2), rtol=3e-3):
        return False, "your time carries the Gilbert factor 1 + α²; this book uses the LL form."
    if close(value, -reference, rtol=3e-3):
        return False, "a sign: the spin starts below the equator (S_z(0) < 0) and the time must be positive."
    if close(value, reference * alpha * h, rtol=3e-3):
        return False, "the damping sets the rate of reversal: where did α h go?"
    if 0.9 * reference < value < 1.1 * reference:
        return False, "close, but not to three digits: solve S_z(t) = 0 with the closed form rather than reading a plot."
    return False, "set the closed-form S_z(t) to zero and solve for t; check against `precess()`."


def _langevin(x):
    return 1 / np.tanh(x) - 1 / x


def _half_temperature():
    from scipy.optimize import brentq

    h, sz = LANGEVIN["h"], LANGEVIN["sz"]
    return brentq(lambda T: _langevin(h / T) - sz, 0.01, 100.0, xtol=1e-12)


@exercise("langevin-temperature", "a number: k_B T in units of t")
def check_langevin_temperature(answer):
    """Exercise 3: the temperature at which free spins in h = 1 have ⟨S_z⟩ = 1/2."""
    value = number(answer)
    h, sz = LANGEVIN["h"], LANGEVIN["sz"]
    reference = _half_temperature()
    if close(value, reference, rtol=2e-3):
        return True, "the Langevin function of a classical unit vector, coth(h/T) − T/h, equals 1/2 there."
    if close(value, h / np.arctanh(sz), rtol=2e-3):
        return False, "tanh(h/T) belongs to a two-state (Ising, spin-1/2) moment; a classical unit vector has the Langevin function."
    if close(value, h / reference, rtol=2e-3):
        return False, "that looks like h/T, not T."
    if value <= 0:
        return False, "a temperature is positive."
    if close(value, reference, rtol=0.05):
        return False, "close: a simulation has statistical and time-step errors; solve the equation itself to three digits."
    if _langevin(h / value) > sz:
        return False, "at this temperature the spins are more than half polarized: the answer is warmer."
    return False, "at this temperature the spins are less than half polarized: the answer is colder."


EXERCISES = exercises_of(__name__)
