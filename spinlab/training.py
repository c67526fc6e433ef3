"""Training on generated ED datasets, and accuracy on held-out snapshots by class."""

from __future__ import annotations

import time

import numpy as np

from .bp import BPModel
from .datasets import KINDS
from .descriptors import SymmetricDescriptor
from .lattice import LATTICES
from .metrics import field_errors
from .spins import random_spins

__all__ = ["train_on_dataset", "evaluate_by_kind", "predictions_by_kind", "region_errors", "snapshot_weights",
           "check_one_ensemble", "field_cost"]


def train_on_dataset(data, *, cutoff: float = 2.0, pair_range: float | None = None, weights: dict | None = None,
                     init=None, progress: bool = True, **hyperparameters):
    r"""Fit a :class:`~spinlab.bp.BPModel` on the training split of one dataset or of several.

    Every 4th task of each snapshot class is held out whole (``Dataset.split``).  Several datasets
    (a list) may sit on different lattices (a 12 x 12 set and walled tori, say); they must share the
    preset and the electrons' ensemble (``kT_el``), since all labels of one model describe one free
    energy.  The descriptor is the symmetric one of the lattices' kind, with bonds
    :math:`\mathbf S_j\cdot\mathbf S_k` among the neighbourhood's sites up to ``pair_range`` apart
    (default: the descriptor's, min(cutoff, 2) on the triangular lattice).  ``weights`` maps a
    snapshot class or a dataset's name to a loss weight (the product applies; 1 where not given).
    ``hyperparameters`` not given take :class:`~spinlab.bp.BPModel`'s defaults (the single source
    of training defaults).  ``init``, a fitted :class:`~spinlab.bp.BPModel`, is the starting point
    (its descriptor, scaler and weights; ``cutoff`` and ``pair_range`` are then not used):
    fine-tuning a model on new data.  Returns ``(model, report)``, the report holding the held-out
    errors per class (per ``"name/class"`` with several datasets).
    """
    datasets = list(data) if isinstance(data, (list, tuple)) else [data]
    check_one_ensemble(datasets)
    unknown = set(weights or {}) - set(KINDS) - {d.name for d in datasets}
    if unknown:
        raise ValueError(f"weights for {', '.join(sorted(unknown))}: neither a snapshot class ({', '.join(KINDS)}) "
                         f"nor a dataset's name ({', '.join(d.name for d in datasets)})")
    splits = [d.split() for d in datasets]
    trains = [train for train, _ in splits]
    sample_weight = np.concatenate([snapshot_weights(train, weights or {}) for train in trains])
    lattices = [d.lattice for d in datasets]
    if init is None:
        model = BPModel(SymmetricDescriptor(lattices[0].kind, cutoff, pair_range), progress=progress, **hyperparameters)
    else:
        model = _continued(init, progress, hyperparameters)
    # one group is one lattice, and equal weights leave the training hash as without weights
    # energies only when they are fitted: without them the training hash stays what it always was
    energies = [t.energies for t in trains] if model.energy_weight else None
    model.fit([t.spins for t in trains], [t.fields for t in trains], energies, lattice=lattices,
              sample_weight=sample_weight)
    held_out = {}
    for d, (_, held) in zip(datasets, splits):
        prefix = "" if len(datasets) == 1 else f"{d.name}/"
        held_out.update({prefix + kind: errors for kind, errors in evaluate_by_kind(model, held).items()})
    report = {"held_out": held_out, "train_snapshots": int(sum(len(t) for t in trains)),
              "held_out_snapshots": int(sum(len(h) for _, h in splits)),
              "epochs_run": len(model.history_["train_loss"])}
    if weights:
        report["weights"] = dict(weights)
    if init is not None:
        report["init"] = init.fingerprint()
    return model, report


def _continued(init, progress, hyperparameters):
    """A model that starts from ``init``'s descriptor, scaler and weights (its architecture must match)."""
    import copy

    model = BPModel(init.descriptor, progress=progress, warm_start=True, **hyperparameters)
    for key in ("hidden", "activation", "outputs", "longitudinal"):
        if getattr(model, key) != getattr(init, key):
            raise ValueError(f"the starting model has {key} = {getattr(init, key)!r}, not {getattr(model, key)!r}")
    model.network_, model.scaler_ = copy.deepcopy(init.network_), copy.deepcopy(init.scaler_)
    model.history_ = {"train_loss": [], "validation_loss": [], "learning_rate": []}
    return model


def check_one_ensemble(datasets) -> None:
    """Refuse, in one line, datasets of different presets, electronic temperatures or chemical potentials."""
    for key in ("preset", "kT_el", "mu"):
        values = {d.plan.get(key) for d in datasets}
        if len(values) > 1:
            raise ValueError(f"the datasets differ in {key} ({', '.join(map(str, sorted(values, key=str)))}): "
                             "one model's labels must come from one preset and one ensemble")


def snapshot_weights(data, weights: dict) -> np.ndarray:
    """Loss weight of each snapshot: the product of the weights of its class and of its dataset's name."""
    w = np.full(len(data), float(weights.get(data.name, 1.0)))
    for kind, value in weights.items():
        w[data.kind == kind] *= float(value)
    return w


def predictions_by_kind(model, dataset) -> dict:
    """{kind: (spins, predicted fields, reference fields)} for every snapshot class present."""
    out = {}
    for kind in dict.fromkeys(dataset.kind):
        subset = dataset.subset(dataset.kind == kind)
        out[str(kind)] = (subset.spins, model.predict_fields(subset.spins, lattice=dataset.lattice), subset.fields)
    return out


def evaluate_by_kind(model, dataset) -> dict:
    """{kind: field_errors(...)} plus the number of snapshots of each class and, for classes with
    chiral walls (tetrahedral data), the torque errors on ``domain`` sites (farther than 3 from a wall)
    and on ``wall`` sites (within 2), by :func:`~spinlab.walls.chiral_wall_distance`."""
    report = {}
    for kind, (spins, predicted, reference) in predictions_by_kind(model, dataset).items():
        report[kind] = dict(field_errors(spins, predicted, reference), snapshots=int(len(spins)))
        if dataset.plan.get("preset") == "tetrahedral" and kind != "random":
            report[kind].update(region_errors(dataset.lattice, spins, predicted, reference))
    return report


def region_errors(lattice, spins, predicted, reference) -> dict:
    """Torque errors relative to the reference torque's spread on domain and wall sites of chiral textures."""
    from .walls import chiral_wall_distance

    distance = np.stack([chiral_wall_distance(lattice, s) for s in spins])
    out = {}
    for region, sites in (("domain", distance > 3), ("wall", distance <= 2)):
        if sites.sum() >= 10:
            errors = field_errors(spins[sites], predicted[sites], reference[sites])
            out[f"{region}_torque_relative"] = errors["torque_relative"]
            out[f"{region}_sites"] = int(sites.sum())
    return out


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
