"""Accuracy of predicted exchange fields: full field and torque, relative to the reference's spread."""

from __future__ import annotations

import numpy as np

__all__ = ["field_errors", "split_torque_error"]


def field_errors(spins, predicted, reference) -> dict:
    """Field and torque errors of a prediction, absolute and relative to the reference's spread.

    The torque is :math:`\\mathbf S\\times\\mathbf H` (it carries only the transverse field).
    Returns RMSE of the full field, of the torque, each divided by the standard deviation
    of the reference's components, and R² of the torque components.

    >>> s = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    >>> h = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    >>> field_errors(s, h, h)["torque_r2"]
    1.0
    """
    spins, predicted, reference = (np.asarray(a, float) for a in (spins, predicted, reference))
    torque_p, torque_r = np.cross(spins, predicted), np.cross(spins, reference)
    rmse = np.sqrt(np.mean((predicted - reference) ** 2))
    torque_rmse = np.sqrt(np.mean((torque_p - torque_r) ** 2))
    return {"field_rmse": float(rmse), "field_relative": float(rmse / reference.std()),
            "torque_rmse": float(torque_rmse), "torque_relative": float(torque_rmse / torque_r.std()),
            "torque_r2": float(1 - np.mean((torque_p - torque_r) ** 2) / torque_r.var())}


def split_torque_error(error, inside, spread: float) -> dict:
    r"""A torque error split between the sites ``inside`` and the rest, relative to the torque's ``spread``.

    ``error`` is (..., 3) torque components (e.g. prediction minus reference of
    :math:`\boldsymbol\tau_i = \mathbf S_i\times\mathbf H_i`), ``inside`` a boolean mask of its leading
    shape and ``spread`` the standard deviation of the reference torque components.  Each part is the rms
    error component on its sites divided by ``spread``, so the parts add up in squares,
    :math:`f e_{in}^2 + (1 - f) e_{out}^2 = e_{all}^2`, with f the share of sites inside; :math:`e_{all}` is the
    ``torque_relative`` of :func:`field_errors` when the spread is that of the same sites.

    Returns ``all``, ``inside``, ``outside`` (NaN for an empty part), ``fraction`` (f) and ``share`` (the inside
    sites' share of the squared error).

    >>> error = np.array([[0.3, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> split_torque_error(error, np.array([True, False]), 0.1)["share"]
    1.0
    """
    error, inside = np.asarray(error, float), np.asarray(inside, bool)
    if inside.shape != error.shape[:-1]:
        raise ValueError(f"error {error.shape} and mask {inside.shape} do not match")
    squared = np.sum(error ** 2, axis=-1)
    parts = {name: float(np.sqrt(squared[mask].mean() / 3) / spread) if mask.any() else np.nan
             for name, mask in (("all", np.ones_like(inside)), ("inside", inside), ("outside", ~inside))}
    total = squared.sum()
    return dict(parts, fraction=float(inside.mean()), share=float(squared[inside].sum() / total) if total else np.nan)
