r"""The metal–insulator interface of the driven strip (physics.md §8, driven strip; Fig. 12).

Under bias a ferromagnetic (FM) metal grows from the right lead into the Néel insulator of the strip.
Its extent is read from the local correlation :math:`C_i = (1/z_i)\sum_{j\in nn(i)}\mathbf S_i\cdot\mathbf S_j`
(:func:`~spinlab.observables.local_correlation`), +1 in the FM metal and −1 in the Néel insulator:

* :func:`interface_position` — x_DW, where the column average :math:`\bar C(x)` first drops to 0 going from
  the right lead into the strip, linearly interpolated (spinlab's choice; the review does not define it);
* :func:`fm_fraction` — f_FM, the fraction of sites with :math:`C_i > 0`; :math:`L_x(1 - f_{FM})` is the
  alternative x_DW of physics.md §8, which counts FM sites anywhere (also at the left lead).
"""

from __future__ import annotations

import numpy as np

from .observables import local_correlation, magnetization

__all__ = ["column_average", "interface_position", "fm_fraction", "interface_observables"]


def column_average(lattice, values) -> np.ndarray:
    """The average of per-site ``values`` (N, ...) over each column of a strip, shape (Lx, ...) (site i = x + Lx y)."""
    values = np.asarray(values, float)
    if values.shape[:1] != (lattice.n_sites,):
        raise ValueError(f"values must have one entry per site ({lattice.n_sites}), got shape {values.shape}")
    return values.reshape(lattice.Ly, lattice.Lx, *values.shape[1:]).mean(axis=0)


def interface_position(lattice, spins) -> float:
    r"""x_DW: the position where the column-averaged local correlation :math:`\bar C(x)` crosses 0, found from the
    right lead inwards.

    The right lead's column is x = Lx − 1.  If :math:`\bar C(L_x-1)\le 0` there is no FM layer at the right lead and
    x_DW = Lx − 1; if no column has :math:`\bar C\le 0` the metal bridges the leads and x_DW = 0.  Otherwise x_DW is
    interpolated linearly between the first column x with :math:`\bar C(x)\le 0` and x + 1.
    """
    profile = column_average(lattice, local_correlation(lattice, spins))
    if profile[-1] <= 0:
        return float(lattice.Lx - 1)
    insulating = np.flatnonzero(profile <= 0)
    if insulating.size == 0:
        return 0.0
    x = insulating[-1]
    return float(x + profile[x] / (profile[x] - profile[x + 1]))


def fm_fraction(lattice, spins) -> float:
    """f_FM: the fraction of sites with a positive local correlation C_i."""
    return float(np.mean(local_correlation(lattice, spins) > 0))


def interface_observables(lattice) -> dict:
    """Observables of the driven strip for :func:`spinlab.trajectory.run`: x_DW, f_FM and |m|."""
    return {"x_dw": lambda s: interface_position(lattice, s),
            "fm_fraction": lambda s: fm_fraction(lattice, s),
            "|m|": lambda s: float(np.linalg.norm(magnetization(s)))}
