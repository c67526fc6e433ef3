"""Worked solutions for chapter 7, *Coarsening of chiral domains* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically.
``MISTAKES`` lists typical wrong answers.
"""

import numpy as np
from scipy.integrate import solve_ivp


def allen_cahn():
    r"""Exercise 1: L(800) if L(50) = 4 and :math:`L\propto t^{1/2}`.

    :math:`L(t) = L(t_0)\,(t/t_0)^{1/2} = 4\cdot\sqrt{16} = 16`.  Linear growth would give 64.
    """
    return 4.0 * (800.0 / 50.0) ** 0.5


def peak_growth():
    r"""Exercise 2: the exponent m of :math:`S_\chi(q_\mathrm{peak}, t)\propto t^m` under Allen–Cahn.

    With :math:`S_\chi(q,t) = \chi_0^2 L^2 F(qL)`, the maximum sits at a fixed
    :math:`x^* = q_\mathrm{peak}L` where F is largest, so the peak height is
    :math:`\chi_0^2 F(x^*)\,L^2 \propto t^{2n}`: m = 1 for n = 1/2 (and m = 2 for linear growth).
    Equivalently, :math:`\sum_q S_\chi` is fixed while the weight is squeezed into a region of
    area :math:`\propto L^{-2}` in q.
    """
    return 2 * 0.5


def disk_lifetime():
    r"""Exercise 3: the lifetime of a disk with :math:`dR/dt = -D/R`, :math:`R_0 = 20`, D = 2.

    :math:`R\,dR/dt = \tfrac12\,d(R^2)/dt = -D`, so :math:`R^2(t) = R_0^2 - 2Dt` falls linearly and
    the disk vanishes at :math:`t^* = R_0^2/(2D) = 100`.  Numerically: integrate the equation until R
    reaches zero.  (Measuring the area of a shrinking chiral disk in a simulation against time is a
    window-free test of curvature-driven motion.)
    """
    R0, D = 20.0, 2.0
    t_star = R0**2 / (2 * D)

    def vanished(t, y):
        return y[0] - 1e-3

    vanished.terminal = True
    solution = solve_ivp(lambda t, y: [-D / y[0]], (0, 2 * t_star), [R0], events=vanished, rtol=1e-10, atol=1e-12)
    assert abs(solution.t_events[0][0] - t_star) < 1e-3
    return t_star


def late_exponent():
    r"""Exercise 4: the growth exponent of the shipped :math:`192\times192` runs where their mean L lies in [12, 24].

    ``size_window`` gives the times at which the geometric mean of the four runs' sizes passes 12 and 24; a
    straight-line fit of log L against log t over those times for each run, averaged over the runs, is the
    answer.  A fit to the mean curve agrees within the check's tolerance.
    """
    from spinlab.data import DATA_DIR
    from spinlab.io import load_npz
    from spinlab.reproduce import fit_growth_exponent, size_window

    arrays, meta = load_npz(DATA_DIR / "coarsening-L192-tetrahedral-walls.npz")
    times = arrays["times"]
    sizes = np.array([arrays[f"{seed}/domain_size"] for seed in meta["seeds"]])
    window = size_window(times, sizes, 12.0, 24.0)
    return float(np.mean([fit_growth_exponent(times, s, window) for s in sizes]))


def _early_exponent():
    from spinlab.exercises.ch07 import mean_window_exponent

    return mean_window_exponent(6.0, 12.0)


def _whole_window_exponent():
    from spinlab.exercises.ch07 import mean_window_exponent

    return mean_window_exponent(6.0, 24.0)


SOLUTIONS = {"allen-cahn": allen_cahn, "peak-growth": peak_growth, "disk-lifetime": disk_lifetime,
             "late-exponent": late_exponent}

MISTAKES = {
    "allen-cahn": [64.0, 8.0, 32.0],
    "peak-growth": [0.5, 2.0, -1.0],
    "disk-lifetime": [200.0, 10.0, 98.0],
    "late-exponent": [_early_exponent, _whole_window_exponent, lambda: 1 / late_exponent()],
}
