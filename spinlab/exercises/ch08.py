"""Self-checks for the exercises of chapter 8, *Large lattices: the kernel polynomial method*.

1. :func:`check_moments_for_tolerance` — predict the expansion order for a tolerance at a lower temperature.
2. :func:`check_colour_growth` — derive how the number of probe colours grows with the distance d.
3. :func:`check_decay_rate` — derive the decay rate of the Chebyshev coefficients away from the band centre.
"""

from __future__ import annotations

import functools

import numpy as np

from . import close, exercise, exercises_of, number

__all__ = ["check_moments_for_tolerance", "check_colour_growth", "check_decay_rate", "EXERCISES",
           "TOLERANCE", "DECAY"]

#: Exercise 1: the tetrahedral preset at a lower electronic temperature and a looser tolerance.
TOLERANCE = {"preset": "tetrahedral", "kT_el": 0.02, "epsilon": 1e-6}
#: Exercise 3: the tetrahedral preset at kT_el = 0.05 and the chemical potential of its thermal states.
DECAY = {"preset": "tetrahedral", "kT_el": 0.05, "mu": -3.34}


@functools.lru_cache(maxsize=1)
def _scale() -> float:
    """The spectral scale a of the tetrahedral preset (a Gershgorin bound, the same for every L)."""
    from ..electrons import KPMModel

    return KPMModel.from_preset(TOLERANCE["preset"], 6, kT_el=0.05, probe_distance=None).scale_


@exercise("moments-for-tolerance", "a number: the expansion order M")
def check_moments_for_tolerance(answer):
    """Exercise 1: M = a ln(1/ε) / (π T) for ε = 1e-6 at kT_el = 0.02 (tetrahedral preset)."""
    value = number(answer)
    a, T, eps = _scale(), TOLERANCE["kT_el"], TOLERANCE["epsilon"]
    reference = a * np.log(1 / eps) / (np.pi * T)
    if abs(value - reference) <= max(2.0, 0.01 * reference):
        return True, ("at T_el = 0.05 the same tolerance takes 2.5 times fewer moments: M grows like 1/T_el, "
                      "and only like ln(1/ε) with the accuracy.")
    if close(value, a * np.log(1e8) / (np.pi * T), rtol=0.01):
        return False, "that is the order for the default tolerance 1e-8; the exercise asks for 1e-6."
    if close(value, a * np.log10(1 / eps) / (np.pi * T), rtol=0.01):
        return False, "the rule has a natural logarithm, ln(1/ε), not log10."
    if close(value, a * np.log(1 / eps) / T, rtol=0.01):
        return False, "the singularities of g sit at a distance πT from the real axis: the π belongs in the rule."
    if close(value, a * np.log(1 / eps) / (np.pi * 0.05), rtol=0.01) or close(value, 1214, rtol=0.01):
        return False, "that is the order at kT_el = 0.05; the exercise lowers the temperature."
    if close(value, np.log(1 / eps) / (np.pi * T), rtol=0.01):
        return False, "the rescaled function is g(a x): its singularities sit at πT/a from the interval."
    return False, "use M = a ln(1/ε) / (π T) with the preset's a (print kpm.scale_)."


@exercise("colour-growth", "a number: the exponent p of n_colours ∝ d^p")
def check_colour_growth(answer):
    """Exercise 2: the number of colours of a distance-d colouring of the square lattice grows like d²."""
    value = number(answer)
    if abs(value - 2.0) <= 0.2:
        return True, ("every disc of diameter d needs as many colours as it holds sites (∝ d²), and a periodic "
                      "colouring with period ⌊d⌋ + 1 in both directions gets by with (⌊d⌋ + 1)²: at fixed d the "
                      "probe count, and so the cost per site, does not grow with N.")
    if abs(value - 1.0) <= 0.2:
        return False, "colours must differ within a whole disc of diameter d, not only along a line."
    if abs(value - 3.0) <= 0.3:
        return False, "count the sites in a disc of diameter d on a two-dimensional lattice."
    if abs(value - 4.0) <= 0.3:
        return False, "that is the square of the count; how many sites does a disc of diameter d hold?"
    if value <= 0:
        return False, "a larger d forbids more pairs, so the number of colours grows with d."
    return False, "bound the count from below (sites in a disc of diameter d) and from above (a periodic colouring)."


@exercise("decay-rate", "a number: the rate r in |c_m| ~ exp(-r m)")
def check_decay_rate(answer):
    """Exercise 3: Re arccosh((μ + iπT)/a) for the tetrahedral preset at μ = -3.34, kT_el = 0.05."""
    value = number(answer)
    a, T, mu = _scale(), DECAY["kT_el"], DECAY["mu"]
    reference = float(np.arccosh(complex(mu, np.pi * T) / a).real)
    if close(value, reference, rtol=5e-3):
        return True, ("the singularity nearest to the interval decides: away from the band centre the ellipse "
                      "through μ ± iπT is fatter, the coefficients fall faster than e^{-πTm/a}, and the default "
                      "order is conservative.")
    if close(value, np.pi * T / a, rtol=5e-3):
        return False, ("that is the rate for μ at the band centre; the singularities sit at μ ± iπT, off the "
                       "centre of the interval. Which Bernstein ellipse passes through them?")
    if close(value, T / a, rtol=5e-3) or close(value, 2 * np.pi * T / a, rtol=5e-3):
        return False, "where does 1 + exp(-(ε - μ)/T) vanish? Those points set the decay."
    if 1.02 * reference < value < 1.3 * reference:
        return False, ("close: that looks like a fit of ln|c_m|, which the algebraic prefactor of the coefficients "
                       "biases upwards; derive the closed form and compare.")
    if value < 0:
        return False, "the coefficients decay: give r > 0 in |c_m| ~ exp(-r m)."
    return False, "find the singularities of g(a x) in the complex x plane and the Bernstein ellipse through them."


EXERCISES = exercises_of(__name__)
