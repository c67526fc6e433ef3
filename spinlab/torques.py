r"""Measures of a nonconservative field: what tells a driven provider from an equilibrium one.

An equilibrium field is :math:`\mathbf H = -\partial E/\partial\mathbf S` with E even under time
reversal :math:`\mathbf S\to-\mathbf S`, so

* its transverse part is odd: :func:`time_reversal_even_part` vanishes;
* its work around any closed loop in spin space vanishes: :func:`loop_work`.

Under bias neither holds (NEGF, physics.md §10 items 17-18).  In the two-potential model the
field-like part :math:`-(\partial U/\partial\mathbf S)_\perp` is odd and the damping-like part
:math:`-\mathbf S\times\partial W/\partial\mathbf S` even, so the even part is W's alone.
"""

from __future__ import annotations

import numpy as np

from .spins import transverse

__all__ = ["time_reversal_even_part", "loop_work"]


def time_reversal_even_part(provider, spins) -> np.ndarray:
    r""":math:`[\mathbf H_\perp(\mathbf S) + \mathbf H_\perp(-\mathbf S)]/2`, shape (N, 3): zero for an
    equilibrium field."""
    spins = np.asarray(spins, float)
    return 0.5 * (transverse(spins, provider.exchange_field(spins))
                  + transverse(-spins, provider.exchange_field(-spins)))


def loop_work(provider, spins, site: int, cone: float = 0.4, steps: int = 24) -> float:
    r"""Work :math:`\oint\mathbf H_i\cdot d\mathbf S_i` while spin ``site`` goes once around a cone of half-angle
    ``cone`` about its direction, the other spins fixed; zero for a conservative field.

    The integrand is periodic and smooth, so the trapezoid rule with ``steps`` points is spectrally accurate.
    """
    spins = np.asarray(spins, float)
    axis = spins[site] / np.linalg.norm(spins[site])
    e1 = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    work = 0.0
    for phi in 2 * np.pi * np.arange(steps) / steps:
        s = spins.copy()
        s[site] = np.cos(cone) * axis + np.sin(cone) * (np.cos(phi) * e1 + np.sin(phi) * e2)
        tangent = np.sin(cone) * (-np.sin(phi) * e1 + np.cos(phi) * e2)
        work += provider.exchange_field(s)[site] @ tangent * (2 * np.pi / steps)
    return float(work)
