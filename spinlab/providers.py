r"""The field-provider protocol: what every engine and model gives the dynamics.

A **field provider** is bound to one lattice and returns the exchange field of a spin
configuration,

.. math:: \mathbf H_i = -\partial E/\partial\mathbf S_i \quad\text{(conservative)},

or, out of equilibrium, a field with no potential (a *generalized* provider, whose
transverse part :math:`\mathbf H_{i\perp}` is what the dynamics uses).

=====================  ============================================================  ======================
protocol               what it adds                                                  examples
=====================  ============================================================  ======================
:class:`FieldProvider`  ``lattice``, ``n_sites``, ``conservative``, ``config()``,    every provider
                        ``exchange_field(spins)`` for (N, 3) or (B, N, 3)
:class:`Conservative`   ``energy(spins)``, ``energy_and_field(spins)``               ED, Heisenberg, BP
                                                                                     (one potential), ridge
:class:`Stateful`       ``get_state()`` / ``set_state(state)``: arrays a checkpoint  stochastic or
                        must keep to resume bit for bit                              warm-started engines
=====================  ============================================================  ======================

``conservative`` is False for generalized providers (the two-potential BP model, NEGF
under bias); they may return the full field or only its transverse part, and are
compared on transverse parts.  ``config()`` is a JSON dict that identifies the
provider (parameters, lattice, weights' hash): checkpoints store it, and
:func:`spinlab.trajectory.resume` refuses another provider.

Models that are not bound to a lattice (a fitted :class:`~spinlab.bp.BPModel`) become
providers with ``model.bind(lattice)``; :func:`as_provider` says so when it is forgotten.

Examples
--------
>>> from spinlab.heisenberg import HeisenbergModel
>>> from spinlab.lattice import SquareLattice
>>> provider = as_provider(HeisenbergModel(SquareLattice(4), J1=1.0))
>>> isinstance(provider, Conservative), provider.conservative
(True, True)
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol, runtime_checkable

import numpy as np

from .lattice import Lattice
from .spins import as_spins

__all__ = ["FieldProvider", "Conservative", "Stateful", "as_provider", "provider_fingerprint", "batched",
           "recorded_energy"]


@runtime_checkable
class FieldProvider(Protocol):
    """Anything that drives spin dynamics: a lattice and an exchange field."""

    lattice: Lattice
    n_sites: int
    conservative: bool

    def exchange_field(self, spins) -> np.ndarray:
        """H for unit spins (N, 3) -> (N, 3), or a batch (B, N, 3) -> (B, N, 3)."""

    def config(self) -> dict:
        """A JSON dict identifying the provider (parameters, lattice, weights)."""


@runtime_checkable
class Conservative(FieldProvider, Protocol):
    """A provider whose field is the gradient of an energy, H = -dE/dS."""

    def energy(self, spins):
        """E (float), or (B,) for a batch."""

    def energy_and_field(self, spins):
        """(E, H) from one evaluation."""


@runtime_checkable
class Stateful(FieldProvider, Protocol):
    """A provider with internal state (random probes, warm starts) that a checkpoint must keep."""

    def get_state(self) -> dict:
        """Arrays (and JSON scalars) from which ``set_state`` restores the provider exactly."""

    def set_state(self, state: dict) -> None:
        """Restore what ``get_state`` returned."""


def as_provider(obj) -> FieldProvider:
    """Return ``obj`` if it is a field provider; otherwise raise a TypeError that says what to do.

    >>> from spinlab.bp import BPModel
    >>> as_provider(BPModel())
    Traceback (most recent call last):
    ...
    TypeError: BPModel is not bound to a lattice: pass model.bind(lattice), e.g. model.bind(TriangularLattice(48))
    """
    if isinstance(obj, FieldProvider):
        return obj
    name = type(obj).__name__
    if hasattr(obj, "bind"):
        kind = getattr(getattr(obj, "descriptor", None), "kind", "triangular")
        example = "TriangularLattice(48)" if kind == "triangular" else "SquareLattice(48)"
        raise TypeError(f"{name} is not bound to a lattice: pass model.bind(lattice), e.g. model.bind({example})")
    missing = [a for a in ("lattice", "n_sites", "conservative", "exchange_field", "config") if not hasattr(obj, a)]
    raise TypeError(f"{name} is not a field provider (missing {', '.join(missing)}); see spinlab.providers")


def provider_fingerprint(provider) -> str:
    """Short hash of ``provider.config()``: equal for the same model on the same lattice."""
    text = json.dumps(provider.config(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recorded_energy(provider, spins) -> float:
    """The energy a run records: E for conservative providers, NaN for generalized ones."""
    if provider.conservative:
        return float(provider.energy(spins))
    return float("nan")


def batched(method):
    """Decorator: let ``method(self, spins)`` for one (N, 3) configuration also take (B, N, 3).

    Validates the spins (shape, finiteness, unit length) with :func:`spinlab.spins.as_spins`.
    Tuple results (energy, field) are stacked item by item.
    """

    def wrapper(self, spins):
        s = as_spins(spins, self.n_sites, batch=True)
        if s.ndim == 2:
            return method(self, s)
        results = [method(self, x) for x in s]
        if isinstance(results[0], tuple):
            return tuple(np.stack([np.asarray(r[k]) for r in results]) for k in range(len(results[0])))
        return np.stack([np.asarray(r) for r in results])

    wrapper.__name__, wrapper.__doc__, wrapper.__qualname__ = method.__name__, method.__doc__, method.__qualname__
    wrapper.__wrapped__ = method
    return wrapper
