"""Worked solutions for chapter 8, *Large lattices: the kernel polynomial method* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np

from spinlab.electrons import KPMModel, probe_colouring
from spinlab.electrons.kpm import chebyshev_coefficients
from spinlab.lattice import SquareLattice


def _scale():
    return KPMModel.from_preset("tetrahedral", 6, kT_el=0.05, probe_distance=None).scale_


def moments_for_tolerance():
    r"""Exercise 1: the expansion order for an error :math:`\epsilon = 10^{-6}` at :math:`T_\mathrm{el} = 0.02`.

    The rule of the chapter is :math:`M = a\ln(1/\epsilon)/(\pi T)`.  The tetrahedral preset has
    :math:`a = (6 + 3\sqrt2)/0.99 = 10.346` (the Gershgorin bound of the triangular lattice at J = 3,
    over the spectral margin), so :math:`M = 10.346\cdot 13.816/(\pi\cdot 0.02) = 2274.9`, i.e.
    2275 moments.  Lowering the temperature from 0.05 to 0.02 multiplies M by 2.5; tightening the
    tolerance from :math:`10^{-6}` to :math:`10^{-8}` (the default) only by 4/3 (``KPMModel`` then
    picks 3034).  Checked: the interpolant of g(a x) at this order is accurate to far better than
    :math:`10^{-6}` (the rule is conservative, exercise 3 says why), and at half the order it is not
    as good as at the full order by orders of magnitude.
    """
    a, T, eps = _scale(), 0.02, 1e-6
    M = int(np.ceil(a * np.log(1 / eps) / (np.pi * T)))
    default = KPMModel.from_preset("tetrahedral", 6, kT_el=T, probe_distance=None).moments
    assert default == int(np.ceil(a * np.log(1e8) / (np.pi * T)))  # the same rule at the default 1e-8
    mu = -3.34
    g = lambda x: -T * np.logaddexp(0.0, -(a * x - mu) / T)
    x = np.cos(np.linspace(0, np.pi, 20001))
    error = lambda order: np.abs(np.polynomial.chebyshev.chebval(x, chebyshev_coefficients(g, order)) - g(x)).max()
    assert error(M) < eps and error(M // 2) > 100 * error(M)
    return M


def colour_growth():
    r"""Exercise 2: the number of colours of a distance-d colouring of the square lattice grows like :math:`d^2`.

    Lower bound: all sites within :math:`d/2` of a point are pairwise at most d apart, so they need
    different colours; a disc of radius :math:`d/2` holds about :math:`\pi d^2/4` sites.  Upper
    bound: colour site (x, y) by :math:`(x \bmod k, y \bmod k)` with :math:`k = \lfloor d\rfloor + 1`;
    two sites of one colour differ by a nonzero multiple of k in some coordinate, so they are at
    least :math:`k > d` apart, with :math:`k^2 \le (d + 1)^2` colours (on an L x L torus with k | L).
    Both bounds grow like :math:`d^2`: p = 2.  Numerically, the greedy colouring of
    ``probe_colouring`` on a 60 x 60 torus for d = 2 ... 16 gives a log-log slope within 0.2 of 2,
    and never fewer colours than the lower bound.  (The greedy colouring is not optimal: it uses
    about 1.6 d² colours, the periodic one d² where it fits the torus.)
    """
    lattice = SquareLattice(60)
    distances = np.array([2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0])
    counts = np.array([probe_colouring(lattice, d).max() + 1 for d in distances])
    slope = np.polyfit(np.log(distances), np.log(counts), 1)[0]
    assert abs(slope - 2) < 0.2, slope
    grid = np.arange(-17, 18)
    radius = np.hypot(*np.meshgrid(grid, grid))
    assert all(n >= np.sum(radius <= d / 2) for n, d in zip(counts, distances))
    return 2.0


def decay_rate():
    r"""Exercise 3: the decay rate of the Chebyshev coefficients of g(a x) at μ = -3.34, T = 0.05.

    :math:`g(\varepsilon) = -T\ln(1 + e^{-(\varepsilon-\mu)/T})` is singular where
    :math:`e^{-(\varepsilon-\mu)/T} = -1`, at :math:`\varepsilon = \mu \pm i\pi T(2n+1)`; the nearest
    to the real axis are :math:`x_\pm = (\mu \pm i\pi T)/a` in the rescaled variable.  A function
    analytic inside the Bernstein ellipse :math:`|x + \sqrt{x^2-1}| < \rho` has Chebyshev coefficients
    falling like :math:`\rho^{-m}`; the largest such ellipse passes through :math:`x_\pm`, so
    :math:`r = \ln\rho = \mathrm{Re}\,\mathrm{arccosh}\,x_+`.  For a small :math:`\pi T/a` this is
    :math:`r \approx \pi T/(a\sqrt{1 - (\mu/a)^2})`: with a = 10.346, :math:`r = 0.016040`, 5.6 %
    faster than the band-centre value :math:`\pi T/a = 0.015182` that the default order uses.
    Numerically: the coefficients of a log singularity carry an extra 1/m, so a fit of
    :math:`\ln(m|c_m|)` (envelope over windows of 40) for m = 100 ... 900 gives r within 0.5 %;
    a fit of :math:`\ln|c_m|` alone comes out about 10 % too fast.
    """
    a, T, mu = _scale(), 0.05, -3.34
    r = float(np.arccosh(complex(mu, np.pi * T) / a).real)
    assert abs(r - np.pi * T / (a * np.sqrt(1 - (mu / a) ** 2))) < 1e-3 * r
    c = chebyshev_coefficients(lambda x: -T * np.logaddexp(0.0, -(a * x - mu) / T), 1200)
    starts = np.arange(100, 900, 40)
    envelope = [np.max(np.abs(c[s:s + 40]) * np.arange(s, s + 40)) for s in starts]
    fitted = -np.polyfit(starts + 20, np.log(envelope), 1)[0]
    assert abs(fitted - r) < 5e-3 * r, (fitted, r)
    return r


SOLUTIONS = {"moments-for-tolerance": moments_for_tolerance, "colour-growth": colour_growth,
             "decay-rate": decay_rate}

MISTAKES = {
    "moments-for-tolerance": [3034, 988, 7147, 1214, 910],
    "colour-growth": [1.0, 3.0, 4.0, -2.0],
    "decay-rate": [0.015182, 0.004832, 0.0178, 0.030365],
}
