r"""The metal–insulator interface of the driven strip (physics.md §8, driven strip; Fig. 12).

Under bias a ferromagnetic (FM) metal grows from the right lead into the Néel insulator of the strip.
Its extent is read from the local correlation :math:`C_i = (1/z_i)\sum_{j\in nn(i)}\mathbf S_i\cdot\mathbf S_j`
(:func:`~spinlab.observables.local_correlation`), +1 in the FM metal and −1 in the Néel insulator:

* :func:`interface_position` — x_DW, where the column average :math:`\bar C(x)` crosses 0 at the inner end of
  the FM layer connected to the right lead, linearly interpolated (spinlab's choice; the review does not define
  it; :func:`front_position` on a stored profile); from the left lead the same for a second front, since FM can
  nucleate at both leads when both μ's favour it;
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
    return front_position(column_average(lattice, local_correlation(lattice, spins)), lead)


def front_position(profile, lead: str = "right") -> float:
    r"""The front of the FM layer at ``lead`` in a column profile :math:`\bar C(x)`, x = 0 … Lx − 1.

    The layer is the run of FM columns (:math:`\bar C > 0`) that ends at the lead; its front is where
    :math:`\bar C` crosses 0 at the run's inner end, interpolated linearly between the last column with
    :math:`\bar C\le 0` and the next.  The lead's own column may dip below 0 (it has three neighbours and the lead's
    coupling) without ending the layer.  From the right lead: x_DW = Lx − 1 without a layer and 0 when the layer
    reaches the left lead (the metal bridges the leads).  From the left lead the same, mirrored: 0 without a
    layer, Lx − 1 for a bridge.  FM islands not connected to the lead do not count.
    """
    if lead not in ("left", "right"):
        raise ValueError(f"lead must be 'left' or 'right', got {lead!r}")
    profile = np.asarray(profile, float)
    if lead == "left":
        return float(len(profile) - 1 - front_position(profile[::-1]))
    end = len(profile) - 1
    if profile[end] <= 0 < profile[end - 1]:  # a dip of the lead's own column
        end -= 1
    if profile[end] <= 0:
        return float(len(profile) - 1)
    insulating = np.flatnonzero(profile[:end] <= 0)
    if insulating.size == 0:
        return 0.0
    x = insulating[-1]
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
