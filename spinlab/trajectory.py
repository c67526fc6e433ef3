"""The run loop: integrate, record, checkpoint, resume.

:func:`run` drives any field provider (:mod:`spinlab.providers`) with any integrator of
:mod:`spinlab.dynamics` and records, at chosen steps, the spins, the energy (NaN for
nonconservative providers) and named observables.  Times are in ħ/t of the
Landau-Lifshitz form.

* Without ``store`` the records stay in memory: a :class:`Trajectory`.
* With ``store=path`` (a directory) they stream to disk and at most one segment of records
  is held in memory, for any run length: a :class:`TrajectoryStore`, read lazily.

A store holds::

    index.json          the run (plan, provider config and fingerprint, lattice, integrator),
                        the completed segments and the checkpoint state file
    state-<step>.npz    the checkpoint: spins, step, integrator memory, random-generator state
                        and, for stateful providers, the provider state
    segment-00000.h5    the records of one checkpoint interval, H5MD layout:
    segment-00001.h5      particles/lattice/spin/{step,time,value}      value (R, N, 3)
    ...                   observables/energy/{step,time,value}          value (R,)
                          observables/<name>/{step,time,value}          value (R, ...)

A checkpoint closes the current segment, writes the state file, fsyncs both and only then
replaces the index (atomically).  An HDF5 file killed mid-write is often unreadable; the index
never names one, so a run killed at any moment leaves a readable store, and the files the
index does not name are removed when the run continues.  Checkpoints are made every
``checkpoint_every`` steps, when a segment reaches :data:`SEGMENT_BYTES`, at the end, and on
any exception (Ctrl-C included, also one raised inside an observable), with the last consistent
state.  :func:`resume`, or calling :func:`run` again with the same arguments, continues bit for
bit and refuses a store written by another model, lattice, integrator or plan.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

import h5py
import numpy as np
from tqdm.auto import tqdm

from . import __version__
from .dynamics import IntegrationError, Integrator, integrator_from_config
from .io import fsync_directory, load_npz, save_npz, write_json_atomic
from .lattice import lattice_from_config
from .providers import Stateful, as_provider, provider_fingerprint, recorded_energy
from .spins import as_spins

__all__ = ["Trajectory", "TrajectoryStore", "open_trajectory", "run", "resume", "SimulationError"]

#: Version of the store layout; stores of a newer version are refused.
STORE_FORMAT = 1
#: Checkpoints per run when ``checkpoint_every`` is not given.
CHECKPOINTS_PER_RUN = 20
#: A segment is closed (a checkpoint made) once its records reach this size: the memory bound.
SEGMENT_BYTES = 64 * 2**20

_INDEX = "index.json"
_KIND = "spinlab-trajectory"
_SPINS = "particles/lattice/spin"
_HEADER = ("plan", "provider", "lattice", "integrator")


class SimulationError(RuntimeError):
    """A run stopped on a numerical failure; ``trajectory`` holds what was recorded before it."""

    def __init__(self, message, trajectory=None, step=None):
        super().__init__(message)
        self.trajectory, self.step = trajectory, step


def _summary(n, times, names) -> str:
    span = f", t = {times[0]:g} to {times[-1]:g}" if n else ""
    return f"{n} records{span}, observables: {', '.join(names) or 'none'}"


@dataclass(repr=False)
class Trajectory:
    """Recorded states of a run, in memory.

    Attributes
    ----------
    times : (R,) array
        Times in units of ħ/t (LL form).
    spins : (R, N, 3) array
    energies : (R,) array
        The provider's energy (NaN for nonconservative providers).
    observables : dict of name -> (R, ...) array
    metadata : dict
        ``plan``, ``provider``, ``lattice``, ``integrator``; JSON-serializable.
    """

    times: np.ndarray
    spins: np.ndarray
    energies: np.ndarray
    observables: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)

    @property
    def final_spins(self) -> np.ndarray:
        """The last recorded configuration."""
        return self.spins[-1]

    def spins_at(self, k: int) -> np.ndarray:
        return self.spins[k]

    def __len__(self) -> int:
        return len(self.times)

    def __iter__(self):
        return iter(self.spins)

    def __repr__(self) -> str:
        return f"Trajectory({_summary(len(self), self.times, list(self.observables))})"

    def save(self, path) -> None:
        arrays = {"times": self.times, "spins": self.spins, "energies": self.energies}
        arrays.update({f"obs/{k}": v for k, v in self.observables.items()})
        save_npz(path, arrays, dict(self.metadata, kind="trajectory", spinlab=__version__))

    @classmethod
    def load(cls, path) -> "Trajectory":
        arrays, meta = load_npz(path)
        if meta.get("kind") != "trajectory":
            raise ValueError(f"{path} is not a spinlab trajectory (kind = {meta.get('kind')!r})")
        obs = {k[4:]: v for k, v in arrays.items() if k.startswith("obs/")}
        return cls(arrays["times"], arrays["spins"], arrays["energies"], obs, meta)


class TrajectoryStore:
    """The records of a run in a store directory (:func:`run` with ``store=``), read lazily.

    ``times``, ``energies`` and ``observables`` are small and read whole; the spins are read
    one record (:meth:`spins_at`, ``final_spins``) or one segment (iteration) at a time, and
    ``spins`` reads them all (small runs only).  Only the segments named by the index when the
    store is opened are read, so a store can be read while its run goes on.

    Attributes
    ----------
    metadata : dict
        ``plan``, ``provider`` (config, fingerprint, repr), ``lattice``, ``integrator``.
    step : int
        The step of the last checkpoint.
    """

    def __init__(self, path):
        self.path = Path(path)
        index = _read_index(self.path)
        self.metadata = {k: index[k] for k in _HEADER}
        self.step = index["step"]
        self._files = [self.path / s["file"] for s in index["segments"]]
        self._ends = np.cumsum([s["records"] for s in index["segments"]], dtype=int)
        self._series = None

    @property
    def finished(self) -> bool:
        return self.step == self.metadata["plan"]["n_steps"]

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def __repr__(self) -> str:
        plan = self.metadata["plan"]
        return (f"TrajectoryStore('{self.path}', {_summary(len(self), self.times, plan['observables'])}, "
                f"step {self.step} of {plan['n_steps']})")

    def _read_series(self) -> dict:
        if self._series is None:
            names = {"times": f"{_SPINS}/time", "energies": "observables/energy/value"}
            names.update({f"obs/{k}": f"observables/{k}/value" for k in self.metadata["plan"]["observables"]})
            parts = {k: [] for k in names}
            for file in self._files:
                with h5py.File(file, "r") as f:
                    for k, name in names.items():
                        parts[k].append(f[name][()])
            self._series = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        return self._series

    @property
    def times(self) -> np.ndarray:
        return self._read_series()["times"]

    @property
    def energies(self) -> np.ndarray:
        return self._read_series()["energies"]

    @property
    def observables(self) -> dict:
        return {k[4:]: v for k, v in self._read_series().items() if k.startswith("obs/")}

    def spins_at(self, k: int) -> np.ndarray:
        """The spins (N, 3) of record ``k`` (negative counts from the end)."""
        n = len(self)
        if not -n <= k < n:
            raise IndexError(f"record {k} out of range: {self.path} holds {n} records")
        k %= n
        segment = int(np.searchsorted(self._ends, k, side="right"))
        first = self._ends[segment - 1] if segment else 0
        with h5py.File(self._files[segment], "r") as f:
            return f[f"{_SPINS}/value"][k - first]

    def __iter__(self):
        for file in self._files:
            with h5py.File(file, "r") as f:
                values = f[f"{_SPINS}/value"][()]
            yield from values

    @property
    def spins(self) -> np.ndarray:
        """All recorded spins (R, N, 3), read at once."""
        lattice = self.metadata["lattice"]
        return np.array(list(self)).reshape(-1, lattice["L1"] * lattice["L2"], 3)

    @property
    def final_spins(self) -> np.ndarray:
        """The last recorded configuration."""
        return self.spins_at(-1)


def open_trajectory(path) -> Trajectory | TrajectoryStore:
    """A store directory as a :class:`TrajectoryStore`, a saved ``.npz`` as a :class:`Trajectory`."""
    return TrajectoryStore(path) if Path(path).is_dir() else Trajectory.load(path)


# -- the run loop ---------------------------------------------------------------------------------------
class _State(NamedTuple):
    """What a checkpoint holds: everything the next step depends on."""

    step: int
    spins: np.ndarray
    memory: np.ndarray | None
    rng: dict  # bit-generator state
    provider: dict | None  # provider state (stateful providers)


class _Records:
    """Records not yet on disk: the whole run in memory, or the open segment of a store."""

    def __init__(self, provider, observables: dict, dt: float):
        self.provider, self.observables, self.dt = provider, observables, dt
        self.items, self.nbytes = [], 0

    def record(self, step: int, spins: np.ndarray) -> None:
        energy = recorded_energy(self.provider, spins)
        values = {k: np.asarray(f(spins), dtype=float) for k, f in self.observables.items()}
        # everything is computed before the single append: an interrupt leaves a record out, never half in
        self.items.append((step, step * self.dt, spins.copy(), energy, values))
        self.nbytes += spins.nbytes + sum(v.nbytes for v in values.values())

    def keep_until(self, step: int) -> None:
        self.items = [r for r in self.items if r[0] <= step]

    def clear(self) -> None:
        self.items, self.nbytes = [], 0

    def arrays(self) -> dict:
        return {"step": np.array([r[0] for r in self.items]), "time": np.array([r[1] for r in self.items]),
                "spins": np.array([r[2] for r in self.items]), "energy": np.array([r[3] for r in self.items]),
                "observables": {k: np.array([r[4][k] for r in self.items]) for k in self.observables}}

    def trajectory(self, metadata: dict) -> Trajectory:
        if not self.items:
            n = self.provider.n_sites
            return Trajectory(np.zeros(0), np.zeros((0, n, 3)), np.zeros(0),
                              {k: np.zeros(0) for k in self.observables}, metadata)
        a = self.arrays()
        return Trajectory(a["time"], a["spins"], a["energy"], a["observables"], metadata)


def run(spins, provider, integrator: Integrator, n_steps: int, *, record_every: int | None = None,
        record_steps=None, observables: Mapping[str, Callable] | None = None, store=None,
        checkpoint_every: int | None = None, seed=None, progress: bool = True):
    """Integrate ``n_steps`` steps from ``spins``, recording every ``record_every`` steps.

    Parameters
    ----------
    spins : (N, 3) array
        Initial unit spins (not modified).
    provider : field provider
        See :mod:`spinlab.providers`; an unbound BP model is refused (bind it to a lattice).
    integrator : Integrator
    n_steps : int
    record_every : int, optional
        Record steps 0, k, 2k, ...; default about 100 records per run.
    record_steps : increasing ints in [0, n_steps], optional
        Record exactly these steps instead (e.g. log-spaced).
    observables : mapping name -> callable(spins), optional
        Evaluated at every record (values as float arrays); ``energy`` is always recorded.
    store : path, optional
        A directory to stream the records and checkpoints to (module docstring).  If it holds
        this run already (same provider, lattice, integrator and plan), the run continues from
        its last checkpoint; a store of another run is refused with the difference named.
    checkpoint_every : int, optional
        Steps between checkpoints of a store; default ``n_steps / 20``.
    seed : int, Generator or None
        Seeds the thermal noise (an int or a Generator makes the run reproducible; with None and
        kT > 0, calling ``run`` again draws another seed and is refused: use :func:`resume`).
        Runs without noise ignore it.
    progress : bool
        Show a progress bar for runs that last more than two seconds.

    Returns
    -------
    Trajectory or TrajectoryStore
        In memory without ``store``, read from disk with it.

    Raises
    ------
    SimulationError
        When a step yields non-finite fields or spins off the unit sphere; the message names
        the step and ``error.trajectory`` holds the records before it (checkpointed in a store).
    KeyboardInterrupt
        Re-raised after the last consistent state has been checkpointed to the store.
    """
    provider = as_provider(provider)
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
    plan = {"n_steps": int(n_steps)}
    if record_steps is not None:
        if record_every is not None:
            raise ValueError("give record_every or record_steps, not both")
        steps = np.asarray(record_steps)
        if (steps.ndim != 1 or np.any(steps != np.round(steps)) or np.any(np.diff(steps) <= 0)
                or np.any(steps < 0) or np.any(steps > n_steps)):
            raise ValueError(f"record_steps must be increasing integers in [0, {n_steps}], got {record_steps}")
        plan["record_steps"] = [int(s) for s in steps]
    else:
        record_every = max(1, plan["n_steps"] // 100) if record_every is None else int(record_every)
        if record_every < 1:
            raise ValueError(f"record_every must be >= 1, got {record_every}")
        plan["record_every"] = record_every
    checkpoint_every = (max(1, -(-plan["n_steps"] // CHECKPOINTS_PER_RUN)) if checkpoint_every is None
                        else int(checkpoint_every))
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    observables = dict(observables or {})
    if "energy" in observables:
        raise ValueError("the energy is always recorded: give the observable 'energy' another name")
    spins = as_spins(spins, provider.n_sites).copy()
    rng = np.random.default_rng(seed)
    # the plan identifies the run, so that calling run again continues it and nothing else
    # (without noise the generator is never used: any seed gives the same run)
    plan.update(checkpoint_every=checkpoint_every, observables=sorted(observables),
                seed=None if integrator.kT == 0 else int(seed) if isinstance(seed, (int, np.integer)) else
                f"generator state {_digest(json.dumps(rng.bit_generator.state))}",
                initial_spins=_digest(spins.tobytes()))
    header = _header(provider, integrator, plan)
    if store is not None and (Path(store) / _INDEX).exists():
        return _continue(store, header, provider, observables, progress)
    state = _State(0, spins, integrator.initial_memory(spins), rng.bit_generator.state,
                   provider.get_state() if isinstance(provider, Stateful) else None)
    writer = None if store is None else _Store.create(store, header, state)
    return _loop(state, rng, provider, integrator, header, observables, writer, progress)


def resume(store, provider, *, observables: Mapping[str, Callable] | None = None, progress: bool = True):
    """Continue the run of ``store`` from its last checkpoint, bit for bit.

    ``provider`` must have the configuration of the original run and ``observables`` the same
    names; the integrator, plan, state and records come from the store.  A finished run is
    returned without stepping.  Returns its :class:`TrajectoryStore`.
    """
    provider = as_provider(provider)
    index = _read_index(store)
    observables = dict(observables or {})
    if sorted(observables) != index["plan"]["observables"]:
        raise ValueError(f"resume needs the observables {index['plan']['observables']}, got {sorted(observables)}")
    header = _header(provider, integrator_from_config(index["integrator"]), index["plan"])
    return _continue(store, header, provider, observables, progress)


def _continue(path, header, provider, observables, progress):
    index = _read_index(path)
    _refuse_another_run(path, index, header)
    writer = _Store(path, index)
    writer.tidy()
    state = writer.load_state()
    bit_generator = getattr(np.random, state.rng["bit_generator"])()
    bit_generator.state = state.rng
    if state.provider is not None:
        provider.set_state(state.provider)
    integrator = integrator_from_config(index["integrator"])
    return _loop(state, np.random.Generator(bit_generator), provider, integrator, header, observables, writer,
                 progress)


def _loop(state, rng, provider, integrator, header, observables, writer, progress):
    plan = header["plan"]
    n_steps, every = plan["n_steps"], plan["checkpoint_every"]
    wanted = set(plan.get("record_steps", ()))
    due = (lambda s: s in wanted) if "record_steps" in plan else (lambda s: s % plan["record_every"] == 0)
    stateful = isinstance(provider, Stateful)
    records = _Records(provider, observables, integrator.dt)
    # ``committed`` is the last state whose records are all taken; an exception anywhere
    # (a step, an observable, Ctrl-C) checkpoints it, never a half-done step
    committed = state
    bar = tqdm(total=n_steps, initial=state.step, disable=not progress, delay=2.0, unit="step",
               desc=integrator.name, leave=False)
    try:
        if due(state.step) and (writer is None or writer.last_recorded < state.step):
            records.record(state.step, state.spins)
        spins, memory = state.spins, state.memory
        for step in range(state.step + 1, n_steps + 1):
            spins, memory = integrator.step(spins, provider.exchange_field, rng, memory)
            reached = _State(step, spins, memory, rng.bit_generator.state,
                             provider.get_state() if stateful else None)
            if due(step):
                records.record(step, spins)
            committed = reached
            if writer is not None and (step % every == 0 or step == n_steps or records.nbytes >= SEGMENT_BYTES):
                writer.checkpoint(committed, records)
            bar.update(1)
    except BaseException as err:
        records.keep_until(committed.step)
        if writer is not None:
            writer.checkpoint(committed, records)
        if not isinstance(err, IntegrationError):
            raise
        failed = committed.step + 1
        message = f"step {failed} (t = {failed * integrator.dt:g}) failed: {err}"
        if writer is not None:
            message += f"; the last good state (step {committed.step}) is checkpointed in {writer.path}"
        result = TrajectoryStore(writer.path) if writer is not None else records.trajectory(header)
        raise SimulationError(message, result, failed) from err
    finally:
        bar.close()
    return TrajectoryStore(writer.path) if writer is not None else records.trajectory(header)


# -- the store ------------------------------------------------------------------------------------------
class _Store:
    """A store being written.  Its index on disk is the truth; files it does not name are leftovers."""

    def __init__(self, path, index: dict):
        self.path, self.index = Path(path), index
        self.lattice = lattice_from_config(index["lattice"])

    @classmethod
    def create(cls, path, header: dict, state: _State) -> "_Store":
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(not _ours(p.name) for p in path.iterdir())):
            raise ValueError(f"{path} exists and is not a spinlab trajectory store: give a new or empty directory")
        path.mkdir(parents=True, exist_ok=True)
        store = cls(path, dict(header, kind=_KIND, format=STORE_FORMAT, spinlab=__version__, step=None, state=None,
                               segments=[]))
        store.tidy()  # what a run killed before its first checkpoint left
        store.checkpoint(state, None)
        return store

    @property
    def last_recorded(self) -> int:
        segments = self.index["segments"]
        return segments[-1]["last_step"] if segments else -1

    def tidy(self) -> None:
        named = {_INDEX, self.index["state"], *(s["file"] for s in self.index["segments"])}
        for p in self.path.iterdir():
            if _ours(p.name) and p.name not in named:
                p.unlink()

    def load_state(self) -> _State:
        arrays, meta = load_npz(self.path / self.index["state"])
        provider = meta["provider"]
        if provider is not None:
            provider = dict(provider, **{k[9:]: v for k, v in arrays.items() if k.startswith("provider/")})
        return _State(meta["step"], arrays["spins"], arrays.get("memory"), meta["rng"], provider)

    def checkpoint(self, state: _State, records: _Records | None) -> None:
        """Close the open segment, write ``state``, then name both in the index."""
        new_records = records is not None and records.items
        if state.step == self.index["step"] and not new_records:
            return
        with _interrupts_deferred():
            segments = list(self.index["segments"])
            if new_records:
                name = f"segment-{len(segments):05d}.h5"
                steps = self._write_segment(self.path / name, records.arrays())
                segments.append({"file": name, "records": len(steps), "first_step": int(steps[0]),
                                 "last_step": int(steps[-1])})
            state_file = f"state-{state.step:012d}.npz"
            _write_state(self.path / state_file, state)
            fsync_directory(self.path)
            index = dict(self.index, step=state.step, state=state_file, segments=segments)
            write_json_atomic(self.path / _INDEX, index)
            previous, self.index = self.index["state"], index
            if records is not None:
                records.clear()
            if previous not in (None, state_file):
                (self.path / previous).unlink()

    def _write_segment(self, path, a: dict) -> np.ndarray:
        lattice = self.lattice
        with h5py.File(path, "w") as f:
            f.create_group("h5md").attrs["version"] = [1, 1]
            f["h5md"].create_group("creator").attrs.update({"name": "spinlab", "version": __version__})
            f["h5md"].create_group("author").attrs["name"] = "spinlab"
            f.create_group("parameters").attrs["run"] = json.dumps({k: self.index[k] for k in _HEADER})
            box = f.create_group("particles/lattice/box")
            box.attrs.update({"dimension": 2, "boundary": ["periodic" if p else "none" for p in lattice.periodic]})
            box["edges"] = np.stack([lattice.L1 * lattice.a1, lattice.L2 * lattice.a2])
            _element(f, _SPINS, a, a["spins"])
            _element(f, "observables/energy", a, a["energy"])
            for name, value in a["observables"].items():
                _element(f, f"observables/{name}", a, value)
        fsync_directory(path)
        return a["step"]


def _element(f, name: str, a: dict, value) -> None:
    """An H5MD time-dependent data element: step, time and value datasets."""
    group = f.create_group(name)
    group["step"], group["time"], group["value"] = a["step"], a["time"], value
    group["time"].attrs["unit"] = "hbar/t"


def _write_state(path, state: _State) -> None:
    arrays = {"spins": state.spins}
    if state.memory is not None:
        arrays["memory"] = state.memory
    scalars = None
    if state.provider is not None:  # provider state: arrays into the npz, JSON scalars into its metadata
        scalars = {k: v for k, v in state.provider.items() if not isinstance(v, np.ndarray)}
        arrays.update({f"provider/{k}": v for k, v in state.provider.items() if isinstance(v, np.ndarray)})
    save_npz(path, arrays, {"kind": "spinlab-checkpoint", "step": state.step, "rng": state.rng,
                            "provider": scalars})


def _read_index(path) -> dict:
    file = Path(path) / _INDEX
    if not file.exists():
        raise ValueError(f"{path} is not a spinlab trajectory store (no {_INDEX})")
    index = json.loads(file.read_text())
    if index.get("kind") != _KIND:
        raise ValueError(f"{file} is not the index of a spinlab trajectory store (kind = {index.get('kind')!r})")
    if index["format"] > STORE_FORMAT:
        raise ValueError(f"{path} has store format {index['format']}, newer than this spinlab's ({STORE_FORMAT}); "
                         "upgrade spinlab")
    return index


def _header(provider, integrator, plan) -> dict:
    """What identifies a run, as JSON (so that it compares equal to the stored copy)."""
    header = {"plan": plan,
              "provider": {"config": provider.config(), "fingerprint": provider_fingerprint(provider),
                           "repr": repr(provider)},
              "lattice": provider.lattice.config(), "integrator": integrator.config()}
    return json.loads(json.dumps(header, default=str))


def _refuse_another_run(path, index: dict, header: dict) -> None:
    for key, label in (("lattice", "lattice"), ("provider", "model"), ("integrator", "integrator"), ("plan", "plan")):
        old, new = index[key], header[key]
        if key == "provider":
            old, new = old["config"], new["config"]
        if old != new:
            def described(h):
                provider, lattice = h["provider"]["repr"], repr(lattice_from_config(h["lattice"]))
                return provider if lattice in provider else f"{provider} on {lattice}"
            raise ValueError(f"{path}: the store was written by {described(index)}; got {described(header)} "
                             f"({label} differs: {_differences(old, new)})")


def _differences(old, new, limit: int = 3) -> str:
    a, b = _flatten(old), _flatten(new)
    # in the order of the new run's description, whatever order the stored index has
    keys = [k for k in dict.fromkeys([*b, *a]) if a.get(k, "(none)") != b.get(k, "(none)")]
    text = [f"{k}: {_short(a.get(k, '(none)'))} → {_short(b.get(k, '(none)'))}" for k in keys[:limit]]
    return "; ".join(text) + (f"; {len(keys) - limit} more" if len(keys) > limit else "")


def _flatten(value, prefix: str = "") -> dict:
    if not isinstance(value, dict):
        return {prefix or "value": value}
    out = {}
    for k, v in value.items():
        out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _digest(data) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def _ours(name: str) -> bool:
    """Files a store may hold (and leftovers of its writes)."""
    return name == _INDEX or name.startswith(("segment-", "state-")) or name.endswith(".tmp")


@contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C until the block is done, so that a checkpoint is written whole."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only delivered to the main thread
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)
