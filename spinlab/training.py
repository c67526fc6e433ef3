"""Training on generated ED datasets, and accuracy on held-out snapshots by class."""

from __future__ import annotations

import time

from .bp import BPModel
from .descriptors import SymmetricDescriptor
from .lattice import LATTICES
from .metrics import field_errors
from .spins import random_spins

__all__ = ["train_on_dataset", "evaluate_by_kind", "predictions_by_kind", "field_cost"]


def train_on_dataset(data, *, cutoff: float = 2.0, progress: bool = True, **hyperparameters):
    """Fit a :class:`~spinlab.bp.BPModel` on a dataset's training split.

    Every 4th task of each snapshot class is held out whole (``Dataset.split``).  The
    descriptor is the symmetric one of the dataset's lattice; ``hyperparameters`` not given
    take :class:`~spinlab.bp.BPModel`'s defaults (the single source of training defaults).
    Returns ``(model, report)``, the report holding the held-out errors per class.
    """
    train, held = data.split()
    lattice = data.lattice
    model = BPModel(SymmetricDescriptor(lattice.kind, cutoff), progress=progress, **hyperparameters)
    model.fit(train.spins, train.fields, lattice=lattice)
    report = {"held_out": evaluate_by_kind(model, held), "train_snapshots": len(train),
              "held_out_snapshots": len(held), "epochs_run": len(model.history_["train_loss"])}
    return model, report


def predictions_by_kind(model, dataset) -> dict:
    """{kind: (spins, predicted fields, reference fields)} for every snapshot class present."""
    out = {}
    for kind in dict.fromkeys(dataset.kind):
        subset = dataset.subset(dataset.kind == kind)
        out[str(kind)] = (subset.spins, model.predict_fields(subset.spins, lattice=dataset.lattice), subset.fields)
    return out


def evaluate_by_kind(model, dataset) -> dict:
    """{kind: field_errors(...)} plus the number of snapshots of each class."""
    report = {}
    for kind, (spins, predicted, reference) in predictions_by_kind(model, dataset).items():
        report[kind] = dict(field_errors(spins, predicted, reference), snapshots=int(len(spins)))
    return report


def field_cost(model, L: int = 96, repeat: int = 3) -> float:
    """Median wall time of one field prediction per site (µs) on an L x L lattice of the model's kind."""
    lattice = LATTICES[model.descriptor.kind](L)
    spins = random_spins(lattice.n_sites, 0)
    model.predict_fields(spins, lattice=lattice)  # compile and warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        model.predict_fields(spins, lattice=lattice)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2] / lattice.n_sites * 1e6
