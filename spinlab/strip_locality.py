r"""How far the driven strip's NEGF torque reaches, and the accuracy floor that leaves a local model (issue 16).

A Behler-Parrinello model sees the spins within :math:`r_c` of a site, and through the neighbours'
local energies those within :math:`2r_c`: whatever part of the exact torque is set by spins farther
away it cannot represent.  On states of NEGF-driven runs of the strip (the training protocol of
:mod:`spinlab.strip_data` at one bias, seeds not used in training), :func:`strip_locality`

* replaces, around centres in the bulk columns, every spin beyond R by the spin of another seed's
  state at the same time (:func:`~spinlab.electrons.locality.far_torque_changes`), a neighbourhood
  from the same ensemble, and records the change of the NEGF torque;
* pools the changes over records, seeds and centres into the **floor** at each R, the rms change
  divided by the spread of the bulk NEGF torques (the normalization of the models' ``torque_relative``),
  split between centres in the ferromagnetic metal (local correlation :math:`C_i > 0`) and in the Néel
  insulator (:func:`~spinlab.metrics.split_torque_error`);
* measures the given models' torque errors on the same bulk sites, split the same way,

so a model's error can be read against the floor of its own :math:`2r_c`.  Every seed's run streams
into ``work`` and the changes of every state are kept there: an interrupted study continues.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .datasets import require_integers
from .electrons.locality import far_torque_changes
from .io import load_npz, save_npz
from .metrics import split_torque_error
from .observables import local_correlation
from .strip_data import StripElectrons, StripPlan, run_strip_task
from .strip_studies import strip_regions

__all__ = ["StripLocalityPlan", "strip_runs", "strip_locality"]


@dataclass(frozen=True)
class StripLocalityPlan(StripElectrons):
    """What to measure: NEGF-driven runs of the strip at one bias and the radii of the locality test.

    Parameters
    ----------
    Lx, Ly, J, Gamma, kT_el, mu_left : see :class:`~spinlab.strip_data.StripElectrons`
    mu_right : float
        The right lead's chemical potential (default: the default bias).
    seeds : tuple of int
        One run per seed (at least two: each state takes its far spins from the next seed's).
    steps, records : int
        Steps of each run and states recorded from it, evenly in time (the start excluded).
    radii : tuple of float
        The R of the test, in lattice spacings.
    margin, column_step : int
        The bulk is the columns ``margin`` … Lx - 1 - ``margin``; every ``column_step``-th of them holds a centre
        (at a random row).
    """

    mu_right: float = -3.28
    seeds: tuple = (100, 101)
    steps: int = 400
    records: int = 10
    radii: tuple = (2.3, 4.6, 6.4, 8.0)
    margin: int = 5
    column_step: int = 2

    def __post_init__(self):
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        object.__setattr__(self, "radii", tuple(float(r) for r in self.radii))
        if len(set(self.seeds)) < 2:
            raise ValueError(f"give at least two different seeds (each state takes another's far spins), "
                             f"got {self.seeds}")
        if not self.radii or min(self.radii) <= 0:
            raise ValueError(f"radii must be positive, got {self.radii}")
        require_integers(self, ("records", "column_step"), 1)
        require_integers(self, ("margin",), 0)
        if not self.columns().size:
            raise ValueError(f"--margin {self.margin} leaves no bulk column on a strip of {self.Lx} columns")
        farthest = np.hypot(self.Lx - 1, self.Ly // 2)
        if max(self.radii) >= farthest:
            raise ValueError(f"R = {max(self.radii):g} reaches past the whole {self.Lx} x {self.Ly} strip")
        self.run_plan(self.seeds[0])  # steps, records and the electrons are checked by the data plan

    def columns(self) -> np.ndarray:
        """The columns that hold a centre."""
        return np.arange(self.margin, self.Lx - self.margin, self.column_step)

    def run_plan(self, seed: int) -> StripPlan:
        """The data plan of one seed's run: the training protocol, one run from the Néel start at ``mu_right``."""
        electrons = {f.name: getattr(self, f.name) for f in fields(StripElectrons)}
        return StripPlan(**electrons, mu_rights=(self.mu_right,), bridge_mu_rights=(), steps=self.steps,
                         snapshots=self.records, perturbations=0, seed=seed)

    def config(self) -> dict:
        return asdict(self)


def _claim(work, plan: StripLocalityPlan) -> Path:
    """The study's folder, refused if it holds another plan's runs (their states and changes would mix)."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    path, config = work / "plan.json", json.loads(json.dumps(plan.config()))
    if path.exists() and json.loads(path.read_text()) != config:
        raise ValueError(f"{work} holds the runs of another plan: use another work folder")
    path.write_text(json.dumps(config, indent=1))
    return work


def strip_runs(plan: StripLocalityPlan, work, progress: bool = True) -> list[dict]:
    """Each seed's run, its recorded states and their NEGF fields (``spins``, ``fields``, ``times``), read from
    ``work`` if done, else run there (continuing from the run's last checkpoint)."""
    work = _claim(work, plan)
    runs = []
    for seed in tqdm(plan.seeds, desc="NEGF-driven runs", disable=not progress):
        path = work / f"run-{seed}.npz"
        if not path.exists():
            task = dict(plan.run_plan(seed).tasks()[0], store=str(work / f"store-{seed}"))
            states = run_strip_task(task, progress)
            save_npz(path, {k: states[k] for k in ("spins", "fields", "times")}, {"seed": seed})
        runs.append(load_npz(path)[0])
    return runs


def _centres(plan: StripLocalityPlan, seed: int, record: int) -> np.ndarray:
    """One site per centre column, at a random row (sites are i = x + Lx y)."""
    rows = np.random.default_rng([seed, record]).integers(plan.Ly, size=plan.columns().size)
    return plan.columns() + plan.Lx * rows


def _changes(plan: StripLocalityPlan, runs, work, progress: bool) -> np.ndarray:
    """(seeds, records, radii, centres, 3) torque changes, each state's kept in ``work``."""
    model = plan.electrons(plan.lattice, plan.mu_left, plan.mu_right)
    changes = np.zeros((len(runs), plan.records, len(plan.radii), plan.columns().size, 3))
    jobs = [(s, k) for s in range(len(runs)) for k in range(plan.records)]
    for s, k in tqdm(jobs, desc="locality of NEGF states", disable=not progress):
        path = Path(work) / f"changes-{plan.seeds[s]}-{k:03d}.npy"
        if not path.exists():
            run_, environment = runs[s], runs[(s + 1) % len(runs)]
            found = far_torque_changes(model, run_["spins"][k], environment["spins"][k],
                                       _centres(plan, plan.seeds[s], k), plan.radii, reference=run_["fields"][k])
            np.save(path.with_suffix(".tmp.npy"), found)
            path.with_suffix(".tmp.npy").replace(path)
        changes[s, k] = np.load(path)
    return changes


def strip_locality(plan: StripLocalityPlan, work, models=None, progress: bool = True):
    """The locality study of ``plan``: runs, far-spin changes and the models' errors (module docstring).

    ``models`` maps names to fitted strip models (``predict_fields(spins, lattice=, bias=)``).  Returns
    ``(arrays, summary)``.  Arrays: ``times``, ``radii``, ``fm_fraction`` (seed, record), the ``centres``
    and whether each sits in the metal (``metal``), the raw ``changes``, the floor per record and radius
    (``floor/by_record``, each record's changes over its own bulk spread), per model the bulk error per
    record (``errors/<name>``) and, to re-check one change, the last record's states (``check/spins``).
    Summary: ``floor`` per radius (``all``, ``metal``, ``insulator`` and ``metal_share``, the metal centres'
    share of the squared change),
    ``errors`` per model (the same split over every bulk site), ``spread`` and ``metal_fraction``.
    """
    lattice = plan.lattice
    runs = strip_runs(plan, work, progress)
    changes = _changes(plan, runs, work, progress)
    spins = np.stack([r["spins"] for r in runs])
    fields_ = np.stack([r["fields"] for r in runs])
    correlation = np.array([[local_correlation(lattice, s) for s in run_] for run_ in spins])
    centres = np.array([[_centres(plan, seed, k) for k in range(plan.records)] for seed in plan.seeds])
    metal = np.take_along_axis(correlation, centres, axis=2) > 0
    bulk = strip_regions(lattice, plan.margin)["bulk"]
    torque = np.cross(spins, fields_)[:, :, bulk]
    spread = float(torque.std())

    floor = [split_torque_error(changes[:, :, r], metal, spread) for r in range(len(plan.radii))]
    by_record = np.sqrt(np.mean(changes ** 2, axis=(0, 3, 4))) / torque.std(axis=(0, 2, 3))[:, None]
    arrays = {"times": runs[0]["times"], "radii": np.array(plan.radii), "centres": centres, "metal": metal,
              "fm_fraction": np.mean(correlation > 0, axis=2), "changes": changes, "floor/by_record": by_record,
              "check/spins": spins[:, -1]}
    summary = {"floor": {f"{radius:g}": _parts(part) for radius, part in zip(plan.radii, floor)},
               "spread": spread, "metal_fraction": float(np.mean(correlation[:, :, bulk] > 0)), "errors": {}}
    bias = np.tile([plan.mu_left, plan.mu_right], (plan.records, 1))
    for name, model in (models or {}).items():
        predicted = np.stack([model.predict_fields(s, lattice=lattice, bias=bias) for s in spins])
        error = np.cross(spins, predicted - fields_)[:, :, bulk]
        arrays[f"errors/{name}"] = np.sqrt(np.mean(error ** 2, axis=(0, 2, 3))) / torque.std(axis=(0, 2, 3))
        summary["errors"][name] = _parts(split_torque_error(error, correlation[:, :, bulk] > 0, spread))
    return arrays, summary


def _parts(part: dict) -> dict:
    """A split error under the names of this study: metal sites inside, Néel insulator outside."""
    return {"all": part["all"], "metal": part["inside"], "insulator": part["outside"], "metal_share": part["share"]}
