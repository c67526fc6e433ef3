"""Self-checks for the exercises of chapter 7, *Coarsening of chiral domains*.

1. :func:`check_allen_cahn` — predict a domain size from the Allen–Cahn law.
2. :func:`check_peak_growth` — predict how the peak of the structure factor grows under dynamic scaling.
3. :func:`check_disk_lifetime` — derive the lifetime of a shrinking domain and check it numerically.
4. :func:`check_late_exponent` — measure the growth exponent of the late half of the size window.
"""

from __future__ import annotations

import functools

import numpy as np

from . import close, exercise, exercises_of, number

__all__ = ["check_allen_cahn", "check_peak_growth", "check_disk_lifetime", "check_late_exponent", "EXERCISES"]

#: Exercise 1: a domain size measured at one time, and the later time asked for.
ALLEN_CAHN = {"L0": 4.0, "t0": 50.0, "t": 800.0}
#: Exercise 3: the initial radius and the constant D of dR/dt = -D/R.
DISK = {"R0": 20.0, "D": 2.0}
#: Exercise 4: the shipped run and the halves of its size window.
LATE = {"file": "coarsening-L192-tetrahedral-walls.npz", "early": (6.0, 12.0), "late": (12.0, 24.0)}


@exercise("allen-cahn", "a number: the domain size L at t = 800")
def check_allen_cahn(answer):
    """Exercise 1: L(800) if L(50) = 4 and L ∝ t^{1/2}."""
    value = number(answer)
    L0, t0, t = ALLEN_CAHN["L0"], ALLEN_CAHN["t0"], ALLEN_CAHN["t"]
    reference = L0 * (t / t0) ** 0.5
    if close(value, reference):
        return True, "sixteen times the time, four times the size."
    if close(value, L0 * t / t0):
        return False, "that is linear growth, L ∝ t; the Allen–Cahn law is slower."
    if close(value, L0 * (t / t0) ** 0.25):
        return False, "that is L ∝ t^{1/4}; check the exponent."
    if close(value, L0 + (t - t0) ** 0.5) or close(value, (t - t0) ** 0.5):
        return False, "L ∝ t^{1/2} is a ratio law: L(t)/L(t0) = (t/t0)^{1/2}."
    return False, "use L(t)/L(t0) = (t/t0)^n with the Allen–Cahn exponent."


@exercise("peak-growth", "a number: the exponent m of S_χ(q_peak, t) ∝ t^m")
def check_peak_growth(answer):
    """Exercise 2: growth exponent of the peak height of S_χ under dynamic scaling and Allen–Cahn."""
    value = number(answer)
    n = 0.5  # Allen-Cahn; the peak of chi0^2 L^2 F(qL) sits at fixed qL, so its height grows as L^2 = t^(2n)
    reference = 2 * n
    if close(value, reference):
        return True, "the peak sits at a fixed qL, so its height scales like the prefactor L² = t^{2n}."
    if close(value, n):
        return False, "that is how L grows; the prefactor of the scaling form is L²."
    if close(value, 2.0):
        return False, "that would be the peak growth for linear coarsening, L ∝ t."
    if close(value, -reference) or close(value, -n):
        return False, "the peak grows with time: the domains get larger and their scattering stronger."
    return False, "write S_χ(q, t) = χ0² L² F(qL); at which q is the peak, and what is F there?"


@exercise("disk-lifetime", "a number: the time in units of ħ/t")
def check_disk_lifetime(answer):
    """Exercise 3: time for a disk of radius R0 = 20 to vanish if dR/dt = -D/R with D = 2."""
    value = number(answer)
    R0, D = DISK["R0"], DISK["D"]
    reference = R0**2 / (2 * D)
    if close(value, reference, rtol=2e-3):
        return True, "R² falls linearly in time, the hallmark of curvature-driven (Allen–Cahn) motion."
    if close(value, 2 * reference, rtol=2e-3):
        return False, "check the factor: d(R²)/dt = 2R dR/dt."
    if close(value, R0 / D, rtol=2e-3):
        return False, "that treats the speed as constant; it grows as the disk shrinks."
    if close(value, reference, rtol=0.05):
        return False, "close: a numerical integration has a step error; the equation has a closed-form solution."
    return False, "multiply dR/dt = −D/R by R and integrate from R0 to 0."


@functools.lru_cache(maxsize=None)
def mean_window_exponent(smallest: float, largest: float) -> float:
    """Mean over the seeds of the shipped 192 x 192 run of the exponent fitted where the mean L is in [smallest, largest]."""
    from ..data import DATA_DIR
    from ..io import load_npz
    from ..reproduce import growth_exponents, size_window

    arrays, meta = load_npz(DATA_DIR / LATE["file"])
    sizes = np.array([arrays[f"{seed}/domain_size"] for seed in meta["seeds"]])
    window = size_window(arrays["times"], sizes, smallest, largest)
    return float(growth_exponents(arrays, meta["seeds"], window).mean())


@exercise("late-exponent", "a number: the mean growth exponent for 12 <= L <= 24")
def check_late_exponent(answer):
    """Exercise 4: the growth exponent of the shipped 192 x 192 runs where their mean L is between 12 and 24."""
    value = number(answer)
    reference = mean_window_exponent(*LATE["late"])
    if abs(value - reference) <= 0.01:
        return True, ("compare it with the early half and with Figure 7.5: the exponent of a single window depends "
                      "on where the window lies.")
    if abs(value - mean_window_exponent(*LATE["early"])) <= 0.01:
        return False, "that is the early half, 6 <= L <= 12; the exercise asks for the late one."
    if abs(value - mean_window_exponent(LATE["early"][0], LATE["late"][1])) <= 0.01:
        return False, "that is the whole window, 6 <= L <= 24; fit the late half alone."
    if abs(value - 1 / reference) <= 0.02:
        return False, "L ∝ t^n: fit log L against log t, not the other way round."
    return False, ("use size_window(times, sizes, 12, 24) for the window, then fit log L against log t for each "
                   "seed (growth_exponents) and average.")


EXERCISES = exercises_of(__name__)
