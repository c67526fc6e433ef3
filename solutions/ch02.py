"""Worked solutions for chapter 2, *Spin dynamics* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np
from scipy.optimize import brentq

from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import TriangularLattice
from spinlab.trajectory import run


def _one_spin(theta0, alpha, h, dt, t_max):
    lattice = TriangularLattice(1)
    model = HeisenbergModel(lattice, J1=0.0, field=(0.0, 0.0, h))
    start = np.array([[np.sin(theta0), 0.0, np.cos(theta0)]])
    traj = run(start, model, SemiImplicitMidpoint(dt, alpha), round(t_max / dt), record_every=1, progress=False)
    return traj.times, traj.spins[:, 0]


def precession_period():
    r"""Exercise 1: the precession period in :math:`\mathbf H = 2\hat z` at LL damping α = 0.3.

    In the LL form the precession term alone turns the spin about ẑ, at the angular frequency h
    whatever α is; the damping term only changes the polar angle.  The period is
    :math:`2\pi/h = \pi`.  (In the Gilbert form it would be :math:`\pi(1+\alpha^2)`.)
    Numerically: the azimuth of a simulated spin advances by 2π in a time π.
    """
    h, alpha = 2.0, 0.3
    period = 2 * np.pi / h
    t, s = _one_spin(2.0, alpha, h, 1e-3, 2.0)
    phase = np.unwrap(np.arctan2(s[:, 1], s[:, 0]))
    measured = 2 * np.pi / np.polyfit(t, phase, 1)[0]
    assert abs(measured - period) < 1e-3
    return period


def equator_time():
    r"""Exercise 2: when the spin of the chapter's figure (θ0 = 2.5, h = 1, α = 0.1) crosses the equator.

    :math:`S_z(t) = \tanh(\alpha h t + \operatorname{artanh} S_z(0))` vanishes when
    :math:`\alpha h t^* = -\operatorname{artanh}\cos\theta_0`, i.e.
    :math:`t^* = \operatorname{artanh}(-\cos 2.5)/0.1 \approx 11.04\,\hbar/t`.
    Numerically: the first sign change of S_z in a run with Δt = 0.001.
    """
    theta0, alpha, h = 2.5, 0.1, 1.0
    t_star = -np.arctanh(np.cos(theta0)) / (alpha * h)
    t, s = _one_spin(theta0, alpha, h, 1e-3, 15.0)
    k = np.flatnonzero(s[:, 2] > 0)[0]
    measured = t[k - 1] + (t[k] - t[k - 1]) * (-s[k - 1, 2]) / (s[k, 2] - s[k - 1, 2])
    assert abs(measured - t_star) < 1e-3
    return t_star


def langevin_temperature():
    r"""Exercise 3: the temperature at which free spins in h = 1 have ⟨S_z⟩ = 1/2.

    The Boltzmann weight :math:`e^{hS_z/T}` on the sphere gives the Langevin function,
    :math:`\langle S_z\rangle = \coth(h/T) - T/h`.  Solving :math:`\coth x - 1/x = 1/2`
    gives :math:`x = h/T \approx 1.797`, so :math:`T \approx 0.5565\,h`.  A spin-1/2 (two-state)
    moment would instead give :math:`\tanh(h/T) = 1/2`, T ≈ 1.82 (a typical mistake).
    A check with the chapter's `thermal_sz(T, "precession", seed)` agrees within its error bar.
    """
    def langevin(x):
        return 1 / np.tanh(x) - 1 / x

    T = brentq(lambda T: langevin(1.0 / T) - 0.5, 0.05, 10.0, xtol=1e-12)
    assert abs(langevin(1.0 / T) - 0.5) < 1e-10
    return T


SOLUTIONS = {"precession-period": precession_period, "equator-time": equator_time,
             "langevin-temperature": langevin_temperature}

MISTAKES = {
    "precession-period": [np.pi * 1.09, 2 * np.pi, 2.0],
    "equator-time": [11.04 * 1.01, -11.04, 1.104, 10.5],
    "langevin-temperature": [1 / np.arctanh(0.5), 1.797, 0.6, 0.3],
}
