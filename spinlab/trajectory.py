"""The run loop: integrate, record, checkpoint, resume.

``run`` drives any field provider (ED, a trained model, Heisenberg) with any
integrator of :mod:`spinlab.dynamics` and returns a :class:`Trajectory`.  With
``checkpoint=path`` the full state (spins, step, random-generator state,
integrator memory and everything recorded so far) is written atomically every
``checkpoint_every`` steps, on Ctrl-C and on a numerical failure;
:func:`resume` continues bit for bit as if never interrupted.

Files are ``.npz`` with a JSON metadata string, loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from tqdm.auto import tqdm

from . import __version__
from .dynamics import IntegrationError, Integrator, integrator_from_config
from .spins import as_spins

__all__ = ["Trajectory", "run", "resume", "SimulationError", "save_npz", "load_npz"]

CHECKPOINT_FORMAT = 1


class SimulationError(RuntimeError):
    """A run stopped on a numerical failure; ``trajectory`` holds what was recorded before it."""

    def __init__(self, message, trajectory=None, step=None):
        super().__init__(message)
        self.trajectory, self.step = trajectory, step


def save_npz(path, arrays: Mapping[str, np.ndarray], metadata: dict) -> None:
    """Write arrays and a JSON metadata dict to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, metadata=np.array(json.dumps(metadata)), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        umask = os.umask(0)  # mkstemp creates files readable by the owner only
        os.umask(umask)
        os.chmod(path, 0o666 & ~umask)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz(path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save_npz`: (arrays, metadata). Never unpickles."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "metadata"}
        if "metadata" not in data.files:
            raise ValueError(f"{path} has no spinlab metadata")
        metadata = json.loads(str(data["metadata"]))
    return arrays, metadata


@dataclass
class Trajectory:
    """Recorded states of a run.

    Attributes
    ----------
    times : (R,) array
        Times in units of ħ/t (LL form).
    spins : (R, N, 3) array
    energies : (R,) array
        The model's energy (NaN when the model has none).
    observables : dict of name -> (R, ...) array
    metadata : dict
        Integrator, model, seed, steps; JSON-serializable.
    """

    times: np.ndarray
    spins: np.ndarray
    energies: np.ndarray
    observables: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)

    @property
    def final_spins(self) -> np.ndarray:
        return self.spins[-1]

    def __len__(self) -> int:
        return len(self.times)

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


class _Recorder:
    """Lists of recorded values that grow during a run and round-trip through checkpoints."""

    def __init__(self, names):
        self.names = list(names)
        self.times, self.spins, self.energies = [], [], []
        self.values = {k: [] for k in self.names}

    def record(self, t, spins, model, observables):
        self.times.append(t)
        self.spins.append(spins.copy())
        self.energies.append(float(model.energy(spins)) if hasattr(model, "energy") else np.nan)
        for k in self.names:
            self.values[k].append(np.asarray(observables[k](spins), dtype=float))

    def arrays(self) -> dict:
        out = {"times": np.array(self.times), "spins": np.array(self.spins), "energies": np.array(self.energies)}
        out.update({f"obs/{k}": np.array(v) for k, v in self.values.items()})
        return out

    @classmethod
    def from_arrays(cls, arrays, names):
        rec = cls(names)
        rec.times = list(arrays["times"])
        rec.spins = list(arrays["spins"])
        rec.energies = list(arrays["energies"])
        rec.values = {k: list(arrays[f"obs/{k}"]) for k in names}
        return rec

    def trajectory(self, metadata) -> Trajectory:
        a = self.arrays()
        obs = {k: a[f"obs/{k}"] for k in self.names}
        return Trajectory(a["times"], a["spins"], a["energies"], obs, metadata)


def run(spins, model, integrator: Integrator, n_steps: int, *, record_every: int | None = None,
        observables: Mapping[str, Callable] | None = None, checkpoint=None, checkpoint_every: int | None = None,
        seed=None, progress: bool = True) -> Trajectory:
    """Integrate ``n_steps`` steps from ``spins`` and record every ``record_every`` steps.

    Parameters
    ----------
    spins : (N, 3) array
        Initial unit spins (not modified).
    model : field provider
        ``exchange_field(spins)``; ``energy(spins)`` is recorded when present.
    integrator : Integrator
    n_steps : int
    record_every : int, optional
        Default: about 100 records per run.  The initial state is always recorded.
    observables : mapping name -> callable(spins), optional
        Evaluated at every record.
    checkpoint : path, optional
        Checkpoint file, written atomically every ``checkpoint_every`` steps
        (default: at every record), on Ctrl-C and on a numerical failure.
    seed : int, Generator or None
        Seeds the thermal noise (required for reproducible runs at kT > 0).
    progress : bool
        Show a progress bar for runs that last more than two seconds.

    Raises
    ------
    SimulationError
        When a step yields non-finite fields or spins off the unit sphere; the
        message names the step, ``error.trajectory`` holds the records before it.
    """
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
    n_steps = int(n_steps)
    record_every = max(1, n_steps // 100) if record_every is None else int(record_every)
    if record_every < 1:
        raise ValueError(f"record_every must be >= 1, got {record_every}")
    checkpoint_every = record_every if checkpoint_every is None else int(checkpoint_every)
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    spins = as_spins(spins, getattr(model, "n_sites", None)).copy()
    observables = dict(observables or {})
    rng = np.random.default_rng(seed)
    recorder = _Recorder(observables)
    recorder.record(0.0, spins, model, observables)
    plan = dict(n_steps=n_steps, record_every=record_every, checkpoint_every=checkpoint_every,
                integrator=integrator.config(), model=repr(model), observables=list(observables),
                seed=seed if isinstance(seed, (int, type(None))) else "generator")
    state = dict(step=0, spins=spins, memory=integrator.initial_memory(spins), rng=rng)
    return _loop(state, model, integrator, observables, recorder, plan, checkpoint, progress)


def resume(checkpoint, model, *, observables: Mapping[str, Callable] | None = None,
           progress: bool = True) -> Trajectory:
    """Continue a run from its checkpoint file, bit for bit.

    ``model`` and ``observables`` must be the ones of the original run (the
    observables by the same names); the integrator, step, spins, random-generator
    state and records come from the file.
    """
    arrays, meta = load_npz(checkpoint)
    if meta.get("kind") != "checkpoint":
        raise ValueError(f"{checkpoint} is not a spinlab checkpoint")
    if meta.get("format", 0) > CHECKPOINT_FORMAT:
        raise ValueError(f"{checkpoint} has checkpoint format {meta['format']}, newer than this spinlab "
                         f"({CHECKPOINT_FORMAT}); upgrade spinlab")
    plan = meta["plan"]
    observables = dict(observables or {})
    if sorted(observables) != sorted(plan["observables"]):
        raise ValueError(f"resume needs the observables {plan['observables']}, got {sorted(observables)}")
    integrator = integrator_from_config(plan["integrator"])
    rng = np.random.default_rng()
    rng.bit_generator.state = meta["rng"]
    state = dict(step=meta["step"], spins=arrays["state/spins"], rng=rng,
                 memory=arrays.get("state/memory"))
    recorder = _Recorder.from_arrays(arrays, plan["observables"])
    return _loop(state, model, integrator, observables, recorder, plan, checkpoint, progress)


def _write_checkpoint(path, state, recorder, plan):
    arrays = recorder.arrays()
    arrays["state/spins"] = state["spins"]
    if state["memory"] is not None:
        arrays["state/memory"] = state["memory"]
    meta = dict(kind="checkpoint", format=CHECKPOINT_FORMAT, spinlab=__version__, step=state["step"],
                plan=plan, rng=state["rng"].bit_generator.state)
    save_npz(path, arrays, meta)


def _loop(state, model, integrator, observables, recorder, plan, checkpoint, progress):
    n_steps, record_every = plan["n_steps"], plan["record_every"]
    field = model.exchange_field
    spins, memory, rng = state["spins"], state["memory"], state["rng"]
    bar = tqdm(total=n_steps, initial=state["step"], disable=not progress, delay=2.0, unit="step",
               desc=integrator.name, leave=False)
    try:
        for step in range(state["step"], n_steps):
            try:
                new, memory = integrator.step(spins, field, rng, memory)
            except IntegrationError as err:
                message = f"step {step + 1} (t = {(step + 1) * integrator.dt:g}) failed: {err}"
                if checkpoint is not None:
                    _write_checkpoint(checkpoint, state, recorder, plan)
                    message += f"; the last good state is in {checkpoint}"
                raise SimulationError(message, recorder.trajectory(plan), step + 1) from err
            spins = new
            state.update(step=step + 1, spins=spins, memory=memory)
            if (step + 1) % record_every == 0:
                recorder.record((step + 1) * integrator.dt, spins, model, observables)
            if checkpoint is not None and (step + 1) % plan["checkpoint_every"] == 0:
                _write_checkpoint(checkpoint, state, recorder, plan)
            bar.update(1)
    except KeyboardInterrupt:
        if checkpoint is not None:
            _write_checkpoint(checkpoint, state, recorder, plan)
        raise
    finally:
        bar.close()
    return recorder.trajectory(plan)
