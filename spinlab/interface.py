r"""The metal–insulator interface of the driven strip (physics.md §8, driven strip; Fig. 12).

Under bias a ferromagnetic (FM) metal grows from the right lead into the Néel insulator of the strip.
Its extent is read from the local correlation :math:`C_i = (1/z_i)\sum_{j\in nn(i)}\mathbf S_i\cdot\mathbf S_j`
(:func:`~spinlab.observables.local_correlation`), +1 in the FM metal and −1 in the Néel insulator:

* :func:`interface_position` — x_DW, where the column average :math:`\bar C(x)` first drops to 0 going from
  the right lead into the strip, linearly interpolated (spinlab's choice; the review does not define it); from
  the left lead the same for a second front, since FM can nucleate at both leads when both μ's favour it;
* :func:`fm_fraction` — f_FM, the fraction of sites with :math:`C_i > 0`; :math:`L_x(1 - f_{FM})` is the
  alternative x_DW of physics.md §8, which counts FM sites anywhere (also at the left lead).
"""

from __future__ import annotations

import numpy as np

from .observables import local_correlation, magnetization

__all__ = ["column_average", "interface_position", "front_position", "fm_fraction", "interface_observables"]


def column_average(lattice, values) -> np.ndarray:
    """The average of per-site ``values`` (N, ...) over each column of a strip, shape (Lx, ...) (site i = x + Lx y)."""
    values = np.asarray(values, float)
    if values.shape[:1] != (lattice.n_sites,):
        raise ValueError(f"values must have one entry per site ({lattice.n_sites}), got shape {values.shape}")
    return values.reshape(lattice.Ly, lattice.Lx, *values.shape[1:]).mean(axis=0)


def interface_position(lattice, spins, lead: str = "right") -> float:
    r"""x_DW: where the column-averaged local correlation :math:`\bar C(x)` crosses 0 at the edge of the FM layer of
    ``lead`` ("right", the default, or "left").

    :func:`front_position` of the profile :math:`\bar C(x)` (from the left lead: of the mirrored profile, and
    x_DW mirrored back).
    """
    if lead not in ("left", "right"):
        raise ValueError(f"lead must be 'left' or 'right', got {lead!r}")
    return front_position(column_average(lattice, local_correlation(lattice, spins)), lead)


def front_position(profile, lead: str = "right") -> float:
    r"""The front of the FM layer at ``lead`` in a column profile :math:`\bar C(x)`, x = 0 … Lx − 1.

    From the right lead: the last column x with :math:`\bar C(x)\le 0 < \bar C(x+1)`, interpolated linearly to
    the zero between x and x + 1.  Without such a crossing, x_DW = 0 if every column is FM (:math:`\bar C > 0`:
    the metal bridges the leads) and Lx − 1 otherwise (no FM layer at the right lead).  A dip of the lead's own
    column below 0 (three neighbours, and the lead's coupling) does not count as the end of the layer.  From the
    left lead the same, mirrored: x_DW = 0 without an FM layer at the left lead, Lx − 1 for a bridge.
    """
    profile = np.asarray(profile, float)
    if lead == "left":
        return float(len(profile) - 1 - front_position(profile[::-1]))
    if np.all(profile > 0):
        return 0.0
    rising = np.flatnonzero((profile[:-1] <= 0) & (profile[1:] > 0))
    if rising.size == 0:
        return float(len(profile) - 1)
    x = rising[-1]
    return float(x + profile[x] / (profile[x] - profile[x + 1]))


def fm_fraction(lattice, spins) -> float:
    """f_FM: the fraction of sites with a positive local correlation C_i."""
    return float(np.mean(local_correlation(lattice, spins) > 0))


def interface_observables(lattice) -> dict:
    """Observables of the driven strip for :func:`spinlab.trajectory.run`: x_DW from the right lead (``x_dw``) and
    from the left (``x_left``), f_FM, |m| and the column profile of the local correlation (``profile``)."""
    return {"x_dw": lambda s: interface_position(lattice, s),
            "x_left": lambda s: interface_position(lattice, s, "left"),
            "profile": lambda s: column_average(lattice, local_correlation(lattice, s)),
            "fm_fraction": lambda s: fm_fraction(lattice, s),
            "|m|": lambda s: float(np.linalg.norm(magnetization(s)))}
