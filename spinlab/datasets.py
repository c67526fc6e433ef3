"""Exact-diagonalization training data: relaxation trajectories, thermal and random snapshots.

A dataset is a directory of shards, one per task, written atomically as
``.npz`` (arrays) with JSON metadata, plus ``plan.json``.  ``generate`` skips
the shards that already exist, so an interrupted generation resumes without
losing or duplicating data.  Tasks run in local worker processes (one BLAS and
numba thread each) or on a Dask cluster (``client=``).

Snapshot classes (``kind``):

* ``relaxation`` — damped ED-driven LLG from random spins (T = 0), sampled at
  logarithmically spaced times: the states the dynamics visits;
* ``thermal`` — ED-driven Langevin dynamics at low temperature from the ideal
  ordered state: fluctuations below the ordering temperature;
* ``random`` — spins uniform on the sphere (infinite temperature).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .dynamics import SemiImplicitMidpoint
from .electrons import KPMModel, SDModel
from .io import load_npz, save_npz, write_json_atomic
from .lattice import Lattice
from .presets import get_preset
from .spins import TEXTURES, random_spins
from .trajectory import run

__all__ = ["DatasetPlan", "Dataset", "generate", "load_dataset", "run_task", "KINDS", "ENGINES", "make_engine"]

KINDS = ("relaxation", "thermal", "random")

#: Electron solvers that label snapshots, by name (each a conservative field provider class).
ENGINES = {"ed": SDModel, "kpm": KPMModel}


def make_engine(engine: str, preset: str, L: int, kT_el: float = 0.0):
    """The labelling field provider of a preset on an L x L lattice, e.g. ``make_engine("ed", "tetrahedral", 12)``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(sorted(ENGINES))}")
    return ENGINES[engine].from_preset(preset, L, kT_el=kT_el)


@dataclass(frozen=True)
class DatasetPlan:
    """What to generate.  Defaults: the book's 12 x 12 training sets (physics.md §2.1).

    Parameters
    ----------
    preset : str
        A key of :data:`spinlab.presets.PRESETS` ("120-degree", "tetrahedral", "double-exchange").
    L : int
        L x L lattice of the preset (a multiple of 6 on the triangular, of 2 on the square lattice).
    engine : str
        The electron solver that labels the snapshots (a key of :data:`ENGINES`).
    kT_el : float
        Electronic temperature of the reference fields (0: canonical T = 0).
    relaxations, relaxation_steps, relaxation_snapshots : int
        Number of ED-LLG relaxations from random spins, their length (dt = ``dt``)
        and the snapshots kept from each (log-spaced in time).
    dt, alpha : float
        Time step and LL damping of the relaxations (and of the thermal runs).
    temperatures : tuple of float
        Spin-bath temperatures of the thermal runs (below the ordering temperature).
    thermal_runs, thermal_steps, thermal_snapshots : int
        Runs per temperature, their length, snapshots kept from the second half of each.
    random : int
        Random snapshots, in shards of ``random_per_shard``.
    seed : int
        Base seed; task k uses seed + k.
    """

    preset: str = "tetrahedral"
    L: int = 12
    engine: str = "ed"
    kT_el: float = 0.0
    relaxations: int = 8
    relaxation_steps: int = 3000
    relaxation_snapshots: int = 30
    dt: float = 0.1
    alpha: float = 1.0
    temperatures: tuple = (0.005, 0.01, 0.02)
    thermal_runs: int = 2
    thermal_steps: int = 600
    thermal_snapshots: int = 10
    random: int = 60
    random_per_shard: int = 20
    seed: int = 0

    def __post_init__(self):
        get_preset(self.preset).check_size(self.L)
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose from {', '.join(sorted(ENGINES))}")
        for name in ("relaxations", "thermal_runs", "random", "seed"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {getattr(self, name)!r}")
        for name in ("relaxation_steps", "relaxation_snapshots", "thermal_steps", "thermal_snapshots",
                     "random_per_shard"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("dt", "alpha", "kT_el"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0) or (name == "dt" and value == 0):
                raise ValueError(f"{name} must be {'positive' if name == 'dt' else '>= 0'}, got {value!r}")
        object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
        if any(not (np.isfinite(t) and t > 0) for t in self.temperatures):
            raise ValueError(f"temperatures must be positive, got {self.temperatures}")
        if not self.tasks():
            raise ValueError("the plan has no snapshots: give relaxations, thermal runs or random snapshots")

    @property
    def lattice(self) -> Lattice:
        return get_preset(self.preset).lattice(self.L)

    def tasks(self) -> list[dict]:
        """Independent units of work, each producing one shard."""
        tasks, k = [], 0
        for r in range(self.relaxations):
            tasks.append({"name": f"relaxation-{r:03d}", "kind": "relaxation", "seed": self.seed + k})
            k += 1
        for t in self.temperatures:
            for r in range(self.thermal_runs):
                tasks.append({"name": f"thermal-T{t:g}-{r:02d}", "kind": "thermal", "temperature": t,
                              "seed": self.seed + k})
                k += 1
        for start in range(0, self.random, self.random_per_shard):
            count = min(self.random_per_shard, self.random - start)
            tasks.append({"name": f"random-{start // self.random_per_shard:03d}", "kind": "random", "count": count,
                          "seed": self.seed + k})
            k += 1
        return [dict(t, plan=asdict(self)) for t in tasks]


def _model(plan: dict):
    return make_engine(plan.get("engine", "ed"), plan["preset"], plan["L"], plan["kT_el"])


def _log_spaced(n_records: int, count: int) -> np.ndarray:
    """``count`` distinct record indices 0..n_records-1, dense at early times."""
    idx = np.unique(np.round(np.geomspace(1, n_records, count * 2)).astype(int) - 1)
    return np.unique(np.concatenate([[0], idx[np.linspace(0, len(idx) - 1, count - 1).round().astype(int)]]))


def run_task(task: dict) -> dict:
    """Compute one shard: spins, ED fields, energies, times, gaps (top-level, so workers can pickle it)."""
    plan = task["plan"]
    model = _model(plan)
    n = model.n_sites
    if task["kind"] == "random":
        rng = np.random.default_rng(task["seed"])
        spins = np.stack([random_spins(n, rng) for _ in range(task["count"])])
        times = np.zeros(len(spins))
    elif task["kind"] == "relaxation":
        trajectory = run(random_spins(n, task["seed"]), model, SemiImplicitMidpoint(plan["dt"], plan["alpha"]),
                         plan["relaxation_steps"], record_every=10, progress=False)
        keep = _log_spaced(len(trajectory), plan["relaxation_snapshots"])
        spins, times = trajectory.spins[keep], trajectory.times[keep]
    else:
        integrator = SemiImplicitMidpoint(plan["dt"], plan["alpha"], kT=task["temperature"])
        start = TEXTURES[get_preset(plan["preset"]).texture](model.lattice)
        every = max(1, plan["thermal_steps"] // (2 * plan["thermal_snapshots"]))
        trajectory = run(start, model, integrator, plan["thermal_steps"], record_every=every, seed=task["seed"],
                         progress=False)
        spins = trajectory.spins[-plan["thermal_snapshots"]:]
        times = trajectory.times[-plan["thermal_snapshots"]:]
    states = [model.solve(s) for s in spins]
    return {"spins": spins, "fields": np.stack([st.field for st in states]),
            "energies": np.array([st.energy for st in states]), "gaps": np.array([st.gap for st in states]),
            "times": times}


def _init_worker():
    from threadpoolctl import threadpool_limits
    import numba

    threadpool_limits(1)
    numba.set_num_threads(1)


def generate(plan: DatasetPlan, directory, *, workers: int | None = None, client=None, progress: bool = True) -> Path:
    """Generate (or complete) the dataset of ``plan`` in ``directory``; returns the directory.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: the number of cores); ignored with ``client``.
    client : dask.distributed.Client, optional
        Run the tasks on a Dask cluster instead; shards are written by this process.
    """
    directory = Path(directory)
    plan_file = directory / "plan.json"
    if plan_file.exists():
        existing = json.loads(plan_file.read_text())
        if existing != json.loads(json.dumps(asdict(plan))):
            differ = sorted(k for k, v in asdict(plan).items() if json.loads(json.dumps(v)) != existing.get(k))
            raise ValueError(f"{directory} holds a dataset of another plan (differs in {', '.join(differ)}); "
                             "use a new directory")
    else:
        _model(asdict(plan))  # any remaining problem with the model shows before a file is written
        write_json_atomic(plan_file, asdict(plan))
    todo = [t for t in plan.tasks() if not _shard_complete(directory, t)]
    bar = tqdm(total=len(plan.tasks()), initial=len(plan.tasks()) - len(todo), disable=not progress,
               desc=f"ED data {plan.preset}", unit="shard")
    try:
        for task, arrays in _execute(todo, workers, client):
            meta = {k: v for k, v in task.items() if k != "plan"}
            save_npz(directory / f"{task['name']}.npz", arrays, dict(meta, preset=plan.preset))
            bar.update(1)
    finally:
        bar.close()
    return directory


def _shard_complete(directory, task) -> bool:
    path = directory / f"{task['name']}.npz"
    if not path.exists():
        return False
    try:
        _, meta = load_npz(path)
    except Exception:  # a damaged shard is recomputed
        return False
    return meta.get("name") == task["name"]


def _execute(tasks, workers, client):
    """Yield (task, result) as tasks finish."""
    if not tasks:
        return
    if client is not None:
        from dask.distributed import as_completed as dask_completed

        futures = {client.submit(run_task, t, pure=False): t for t in tasks}
        for future in dask_completed(futures):
            yield futures[future], future.result()
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for t in tasks:
            yield t, run_task(t)
        return
    # spawn, not fork: numba and BLAS thread pools do not survive a fork reliably
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
        futures = {pool.submit(run_task, t): t for t in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()


@dataclass
class Dataset:
    """Snapshots of a generated dataset, concatenated over shards.

    Attributes: ``spins``, ``fields`` (B, N, 3); ``energies``, ``gaps``, ``times`` (B,);
    ``kind`` (B,) strings from :data:`KINDS`; ``task`` (B,) shard names; ``plan`` dict.
    """

    spins: np.ndarray
    fields: np.ndarray
    energies: np.ndarray
    gaps: np.ndarray
    times: np.ndarray
    kind: np.ndarray
    task: np.ndarray
    plan: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.spins)

    @property
    def lattice(self) -> Lattice:
        """The lattice of every snapshot (from the plan)."""
        return DatasetPlan(**self.plan).lattice

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {int(np.sum(self.kind == k))}" for k in KINDS if np.any(self.kind == k))
        return (f"Dataset({len(self)} snapshots of {self.plan.get('preset')} on {self.lattice!r}, "
                f"{self.plan.get('engine', 'ed')} fields; {counts})")

    def subset(self, mask) -> "Dataset":
        mask = np.asarray(mask)
        return Dataset(self.spins[mask], self.fields[mask], self.energies[mask], self.gaps[mask], self.times[mask],
                       self.kind[mask], self.task[mask], self.plan)

    def split(self, every: int = 4) -> tuple["Dataset", "Dataset"]:
        """(train, held-out): every ``every``-th task of each kind is held out whole (the last one of a kind
        with fewer tasks, none of a kind with a single task)."""
        held = np.zeros(len(self), bool)
        for kind in KINDS:
            names = sorted(set(self.task[self.kind == kind]))
            for name in names[every - 1::every] or names[1:][-1:]:  # a kind's only task is never held out
                held |= self.task == name
        return self.subset(~held), self.subset(held)

    def fingerprint(self) -> str:
        """Hash of the snapshots (stored in the metadata of models trained on them)."""
        import hashlib

        h = hashlib.sha256()
        for a in (self.spins, self.fields):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]


def load_dataset(directory) -> Dataset:
    """Read all shards of a dataset directory (in task order)."""
    directory = Path(directory)
    if not (directory / "plan.json").exists():
        raise ValueError(f"{directory} is not a spinlab dataset (no plan.json)")
    plan = json.loads((directory / "plan.json").read_text())
    parts = {k: [] for k in ("spins", "fields", "energies", "gaps", "times", "kind", "task")}
    tasks = DatasetPlan(**plan).tasks()
    missing = [t["name"] for t in tasks if not (directory / f"{t['name']}.npz").exists()]
    if missing:
        raise ValueError(f"{directory} is incomplete ({len(missing)} shards missing, e.g. {missing[0]}); "
                         "re-run the generation to complete it")
    for t in tasks:
        arrays, meta = load_npz(directory / f"{t['name']}.npz")
        for k in ("spins", "fields", "energies", "gaps", "times"):
            parts[k].append(arrays[k])
        parts["kind"].append(np.full(len(arrays["spins"]), meta["kind"]))
        parts["task"].append(np.full(len(arrays["spins"]), meta["name"]))
    return Dataset(**{k: np.concatenate(v) for k, v in parts.items()}, plan=plan)
