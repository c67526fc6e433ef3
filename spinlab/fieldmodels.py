"""What learned force fields share: the lattice they were trained on, binding to a lattice, scores.

A learned model (:class:`~spinlab.bp.BPModel`, :class:`~spinlab.ridge.RidgeFieldModel`) is
independent of the lattice size: its descriptor sees a finite neighbourhood.  To drive dynamics
it is bound to one lattice, ``model.bind(lattice)``, which gives a field provider
(:mod:`spinlab.providers`).  Predictions without ``lattice=`` use the lattice the model was
trained on; another size needs ``lattice=`` or ``bind``.
"""

from __future__ import annotations

import numpy as np

from .lattice import Lattice
from .metrics import field_errors
from .spins import as_spins

__all__ = ["FieldModel", "BoundModel"]


class FieldModel:
    """Lattice handling, binding and scores shared by the learned models."""

    descriptor = None
    lattice_: Lattice | None = None  # the training lattice, set by fit() and stored in model files

    @property
    def conservative(self) -> bool:
        return True

    def _check_lattice(self, lattice) -> Lattice:
        if not isinstance(lattice, Lattice):
            raise TypeError(f"lattice must be a spinlab Lattice, got {type(lattice).__name__}")
        if lattice.kind != self.descriptor.kind:
            raise ValueError(f"this model's descriptor is for the {self.descriptor.kind} lattice, "
                             f"got {lattice!r}")
        return lattice

    def _configs(self, spins, lattice):
        """(spins as (B, N, 3), lattice, whether a batch was given)."""
        s = as_spins(spins, batch=True)
        batch = s.ndim == 3
        s = s if batch else s[None]
        if lattice is None:
            lattice = self.lattice_
            if lattice is None or lattice.n_sites != s.shape[1]:
                trained = "" if self.lattice_ is None else f" (trained on {self.lattice_!r})"
                raise ValueError(f"spins of {s.shape[1]} sites: pass lattice= or bind the model, "
                                 f"model.bind(lattice){trained}")
        elif lattice.n_sites != s.shape[1]:
            raise ValueError(f"spins must have shape ({lattice.n_sites}, 3) on {lattice!r}, got {s.shape[1:]}")
        return s, self._check_lattice(lattice), batch

    @staticmethod
    def _biases(bias, n_configs: int):
        """The leads' (μ_L, μ_R) of every configuration, (n_configs, 2), or [None] * n_configs."""
        if bias is None:
            return [None] * n_configs
        b = np.asarray(bias, dtype=float)
        b = np.broadcast_to(b, (n_configs, 2)) if b.shape == (2,) else b
        if b.shape != (n_configs, 2):
            raise ValueError(f"bias must be one pair (mu_left, mu_right) or one per configuration ({n_configs}), "
                             f"got shape {np.shape(bias)}")
        return b

    def bind(self, lattice: Lattice, bias=None) -> "BoundModel":
        """This model on ``lattice`` (and, for a strip descriptor, at the leads' ``bias`` = (μ_L, μ_R)):
        a field provider for :func:`spinlab.trajectory.run`."""
        return BoundModel(self, self._check_lattice(lattice), bias)

    def errors(self, spins, fields, lattice=None, bias=None) -> dict:
        """:func:`~spinlab.metrics.field_errors` of the prediction against reference fields."""
        s, lat, _ = self._configs(spins, lattice)
        return field_errors(s, self.predict_fields(s, lattice=lat, bias=bias), np.asarray(fields).reshape(s.shape))

    def score(self, spins, fields, lattice=None, bias=None) -> float:
        """R² of the torques S × H (1 is perfect; scikit-learn convention: higher is better)."""
        return self.errors(spins, fields, lattice, bias)["torque_r2"]


class BoundModel:
    """A learned model on one lattice: a field provider (:mod:`spinlab.providers`).

    Conservative (with ``energy`` and ``energy_and_field``) when the model has one potential;
    a two-potential model is a generalized provider returning the transverse field only.
    """

    def __init__(self, model: FieldModel, lattice: Lattice, bias=None):
        self.model, self.lattice, self.n_sites = model, lattice, lattice.n_sites
        self.bias = None if bias is None else tuple(float(mu) for mu in bias)
        self.conservative = model.conservative

    def exchange_field(self, spins) -> np.ndarray:
        return self.model.predict_fields(spins, lattice=self.lattice, bias=self.bias)

    def energy(self, spins):
        if not self.conservative:
            raise TypeError("a two-potential model has no energy (it is nonconservative): use field_parts")
        return self.model.predict_energy(spins, lattice=self.lattice, bias=self.bias)

    def energy_and_field(self, spins):
        return self.energy(spins), self.exchange_field(spins)

    def field_parts(self, spins) -> dict:
        return self.model.field_parts(spins, lattice=self.lattice, bias=self.bias)

    def config(self) -> dict:
        return {"provider": type(self.model).__name__, "lattice": self.lattice.config(),
                "model": self.model.fingerprint(), **({} if self.bias is None else {"bias": list(self.bias)})}

    def __repr__(self) -> str:
        short = getattr(self.model, "short_repr", lambda: type(self.model).__name__)()
        return f"{short}.bind({self.lattice!r}" + ("" if self.bias is None else f", bias={self.bias}") + ")"
