"""Feature standardization fitted once on training data and stored with a model."""

from __future__ import annotations

import numpy as np

__all__ = ["FeatureScaler"]

#: A feature whose standard deviation is below this (relative to its mean magnitude) counts as constant.
CONSTANT_TOLERANCE = 1e-12


class FeatureScaler:
    """G -> (G - mean_) / scale_, per feature.

    Fitted on the training set only and then frozen: re-fitting on new data
    would silently change a trained model.  A feature that is constant on the
    training set gets ``scale_ = 1`` (flagged in ``constant_``): it maps to 0 and
    is never divided by zero.
    """

    def fit(self, features) -> "FeatureScaler":
        G = np.asarray(features, dtype=float).reshape(-1, np.shape(features)[-1])
        if len(G) == 0:
            raise ValueError("cannot fit a scaler on zero samples")
        self.mean_ = G.mean(axis=0)
        std = G.std(axis=0)
        self.constant_ = std <= CONSTANT_TOLERANCE * (1.0 + np.abs(self.mean_))
        self.scale_ = np.where(self.constant_, 1.0, std)
        return self

    def transform(self, features) -> np.ndarray:
        return (np.asarray(features) - self.mean_) / self.scale_

    def state(self) -> dict:
        """Arrays to store with a model."""
        return {"mean": self.mean_, "scale": self.scale_, "constant": self.constant_}

    @classmethod
    def from_state(cls, state) -> "FeatureScaler":
        scaler = cls()
        scaler.mean_ = np.asarray(state["mean"], dtype=float)
        scaler.scale_ = np.asarray(state["scale"], dtype=float)
        scaler.constant_ = np.asarray(state["constant"], dtype=bool)
        if not (scaler.mean_.shape == scaler.scale_.shape == scaler.constant_.shape) or np.any(scaler.scale_ <= 0):
            raise ValueError("inconsistent or non-positive scaler state")
        return scaler
