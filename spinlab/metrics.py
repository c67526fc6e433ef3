"""Accuracy of predicted exchange fields: full field and torque, relative to the reference's spread."""

from __future__ import annotations

import numpy as np

__all__ = ["field_errors"]


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
