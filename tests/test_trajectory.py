"""Run loop: records in memory or streamed to a store, checkpoints, and bit-for-bit resume after
an interruption, a numerical failure or a SIGKILL."""

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc

import h5py
import numpy as np
import pytest

from spinlab import trajectory as trajectory_module
from spinlab.dynamics import AdamsBashforthMidpoint, SemiImplicitMidpoint
from spinlab.heisenberg import HeisenbergModel
from spinlab.io import load_npz, save_npz
from spinlab.lattice import SquareLattice, TriangularLattice
from spinlab.observables import magnetization
from spinlab.reproduce import quench, wall_morphology
from spinlab.spins import random_spins
from spinlab.trajectory import Trajectory, TrajectoryStore, open_trajectory, resume, run

N_STEPS = 1200
LATTICE = TriangularLattice(6)
OBSERVABLES = {"m": magnetization}


def heisenberg(lattice=LATTICE, cls=HeisenbergModel, **kwargs):
    return cls(lattice, **dict(dict(J1=1.0, J2=0.2, field=(0, 0, 0.3)), **kwargs))


class Interrupting(HeisenbergModel):
    """The Heisenberg model (same config) that raises KeyboardInterrupt at its ``interrupt_at``-th field call."""

    interrupt_at = None

    def exchange_field(self, spins):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        return super().exchange_field(spins)


def interrupting(interrupt_at, lattice=LATTICE):
    model = heisenberg(lattice, Interrupting)
    model.interrupt_at = interrupt_at
    return model


def reference_run(integrator=SemiImplicitMidpoint, model=None, **kwargs):
    kwargs = dict(dict(record_every=30, observables=OBSERVABLES, seed=7, progress=False), **kwargs)
    return run(random_spins(LATTICE.n_sites, 0), model or heisenberg(), integrator(0.02, 0.2, kT=0.3), N_STEPS,
               **kwargs)


def assert_same_records(a, b):
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.energies, b.energies)
    assert a.observables.keys() == b.observables.keys()
    for k in a.observables:
        np.testing.assert_array_equal(a.observables[k], b.observables[k])
    np.testing.assert_array_equal(np.array(list(a)), np.array(list(b)))
    np.testing.assert_array_equal(a.final_spins, b.final_spins)


def test_a_store_holds_the_records_of_a_run_in_memory_in_h5md_segments(tmp_path):
    stored = reference_run(store=tmp_path / "run", checkpoint_every=100)
    assert isinstance(stored, TrajectoryStore) and stored.finished
    assert_same_records(stored, reference_run())
    np.testing.assert_array_equal(stored.spins[-1], stored.spins_at(-1))
    index = json.loads((tmp_path / "run" / "index.json").read_text())
    assert len(index["segments"]) == N_STEPS // 100 and sum(s["records"] for s in index["segments"]) == len(stored)
    assert sorted(os.listdir(tmp_path / "run")) == sorted(["index.json", index["state"]]
                                                          + [s["file"] for s in index["segments"]])
    with h5py.File(tmp_path / "run" / "segment-00001.h5", "r") as f:
        assert f["h5md"].attrs["version"].tolist() == [1, 1] and f["h5md/creator"].attrs["name"] == "spinlab"
        assert f["particles/lattice/spin/value"].shape == (3, LATTICE.n_sites, 3)  # steps 120, 150, 180
        assert f["particles/lattice/spin/step"][()].tolist() == [120, 150, 180]
        assert f["observables/m/value"].shape == (3, 3) and f["observables/energy/time"].shape == (3,)
    assert "41 records" in repr(stored) and "step 1200 of 1200" in repr(stored) and len(repr(stored)) < 200
    assert repr(open_trajectory(tmp_path / "run")) == repr(stored)


@pytest.mark.parametrize("integrator", [SemiImplicitMidpoint, AdamsBashforthMidpoint])
@pytest.mark.parametrize("how", ["resume", "run again"])
def test_an_interrupted_run_continues_bit_for_bit(tmp_path, integrator, how):
    store = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        reference_run(integrator, interrupting(1001), store=store, checkpoint_every=40)
    interrupted = TrajectoryStore(store)
    assert 0 < interrupted.step < N_STEPS and len(interrupted) == interrupted.step // 30 + 1
    if how == "resume":
        continued = resume(store, heisenberg(), observables=OBSERVABLES, progress=False)
    else:
        continued = reference_run(integrator, store=store, checkpoint_every=40)
    assert_same_records(continued, reference_run(integrator))
    again = resume(store, interrupting(1), observables=OBSERVABLES, progress=False)  # finished: no step taken
    assert_same_records(again, continued)


class Biased(HeisenbergModel):
    """A stateful provider: a bias field that follows the spins from call to call (state: an array, a count)."""

    def __init__(self, lattice):
        super().__init__(lattice, J1=1.0, J2=0.2)
        self.bias, self.calls = np.zeros(3), 0

    def exchange_field(self, spins):
        self.calls += 1
        self.bias = 0.9 * self.bias + 0.1 * spins.mean(axis=0)
        return super().exchange_field(spins) + self.bias

    def get_state(self):
        return {"bias": self.bias.copy(), "calls": self.calls}

    def set_state(self, state):
        self.bias, self.calls = np.array(state["bias"]), int(state["calls"])


def test_a_stateful_provider_continues_from_its_checkpointed_state(tmp_path):
    class Interrupted(Biased):
        def exchange_field(self, spins):
            if self.calls == 777:
                raise KeyboardInterrupt
            return super().exchange_field(spins)

    with pytest.raises(KeyboardInterrupt):
        reference_run(model=Interrupted(LATTICE), store=tmp_path / "run")
    continued = resume(tmp_path / "run", Biased(LATTICE), observables=OBSERVABLES, progress=False)
    assert_same_records(continued, reference_run(model=Biased(LATTICE)))


@pytest.mark.parametrize("interrupt_at", [1, 7])
def test_ctrl_c_inside_an_observable_leaves_a_store_that_resumes_bit_for_bit(tmp_path, interrupt_at):
    calls = []

    def fragile(spins):  # Ctrl-C at its interrupt_at-th record, in the middle of recording
        calls.append(1)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        return magnetization(spins)

    with pytest.raises(KeyboardInterrupt):
        reference_run(store=tmp_path / "run", checkpoint_every=40, observables={"m": fragile})
    interrupted = TrajectoryStore(tmp_path / "run")
    # the records before the interrupted one, and the state just before its step
    assert len(interrupted) == interrupt_at - 1 and interrupted.step == max(0, 30 * (interrupt_at - 1) - 1)
    continued = resume(tmp_path / "run", heisenberg(), observables=OBSERVABLES, progress=False)
    assert_same_records(continued, reference_run())


WRITERS = textwrap.dedent("""
    import os, signal, sys, time, traceback
    from spinlab.dynamics import SemiImplicitMidpoint
    from spinlab.heisenberg import HeisenbergModel
    from spinlab.lattice import TriangularLattice
    from spinlab.observables import magnetization
    from spinlab.spins import random_spins
    from spinlab.trajectory import run

    class Slow(HeisenbergModel):  # the same config as HeisenbergModel
        def exchange_field(self, spins):
            time.sleep(0.0005)  # 30 steps last about as long as a checkpoint: kills land in both
            return super().exchange_field(spins)

    lattice = TriangularLattice(6)
    model, start = Slow(lattice, J1=1.0, J2=0.2, field=(0, 0, 0.3)), random_spins(lattice.n_sites, 0)
    integrator = SemiImplicitMidpoint(0.02, 0.2, kT=0.3)
    run(start, model, integrator, 1, record_every=1, observables={{"m": magnetization}}, progress=False)  # compile
    print("ready", flush=True)
    for line in sys.stdin:  # "store delay": fork a writer on store (new or to continue), SIGKILL it after delay s
        store, delay = line.rsplit(" ", 1)
        pid = os.fork()
        if pid == 0:
            try:
                run(start, model, integrator, {n_steps}, record_every=3, observables={{"m": magnetization}},
                    store=store, checkpoint_every=30, seed=7, progress=False)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        time.sleep(float(delay))
        os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        print("killed" if os.WIFSIGNALED(status) else f"exit {{os.waitstatus_to_exitcode(status)}}", flush=True)
""")
KILL_STEPS = 600


def check_readable_prefix(store, reference) -> bool:
    """The store opens, every record reads, and the records are the first ones of the reference."""
    if not (store / "index.json").exists():  # killed before the run's first index
        return False
    stored = TrajectoryStore(store)
    n = len(stored)
    spins = np.array(list(stored)).reshape(n, LATTICE.n_sites, 3)
    np.testing.assert_array_equal(spins, reference.spins[:n])
    np.testing.assert_array_equal(stored.times, reference.times[:n])
    np.testing.assert_array_equal(stored.energies, reference.energies[:n])
    np.testing.assert_array_equal(stored.observables["m"].reshape(n, 3), reference.observables["m"][:n])
    return True


def test_writers_killed_at_random_moments_leave_readable_stores_that_resume_bit_for_bit(tmp_path):
    reference = run(random_spins(LATTICE.n_sites, 0), heisenberg(), SemiImplicitMidpoint(0.02, 0.2, kT=0.3),
                    KILL_STEPS, record_every=3, observables=OBSERVABLES, seed=7, progress=False)
    # A writer runs for 1-3 s.  Two chains of twelve kills soon after each writer starts, each writer
    # continuing the store of the one before, and four writers killed once anywhere in their run.
    # The writers are forked from one process that has imported spinlab once (1-2 s per import).
    delays = np.random.default_rng(2024).uniform(0.0, 0.15, 28)
    delays[24:] *= 8
    stores = [tmp_path / f"chain-{k // 12}" for k in range(24)] + [tmp_path / f"single-{k}" for k in range(4)]
    writers = subprocess.Popen([sys.executable, "-c", WRITERS.format(n_steps=KILL_STEPS)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert writers.stdout.readline() == "ready\n"
        kills = 0
        for store, delay in zip(stores, delays):
            writers.stdin.write(f"{store} {delay}\n")
            writers.stdin.flush()
            outcome = writers.stdout.readline()
            assert outcome in ("killed\n", "exit 0\n")
            kills += outcome == "killed\n" and check_readable_prefix(store, reference)
    finally:
        writers.kill()
        writers.wait()
    assert kills >= 20
    for store in sorted(set(stores)):  # calling run again continues each store (or starts a new one)
        continued = run(random_spins(LATTICE.n_sites, 0), heisenberg(), SemiImplicitMidpoint(0.02, 0.2, kT=0.3),
                        KILL_STEPS, record_every=3, observables=OBSERVABLES, store=store, checkpoint_every=30,
                        seed=7, progress=False)
        assert_same_records(continued, reference)


@pytest.mark.parametrize("change, message", [
    (dict(model=heisenberg(J1=0.9)), r"model differs: J: \[1.0, 0.2, 0.0\] → \[0.9, 0.2, 0.0\]"),
    (dict(integrator=AdamsBashforthMidpoint), "integrator differs: integrator"),
    (dict(seed=8), "plan differs: seed: 7 → 8"),
    (dict(record_every=60), "plan differs: record_every: 30 → 60"),
    (dict(observables={}), "plan differs: observables"),
    (dict(checkpoint_every=40), "plan differs: checkpoint_every: 600 → 40"),
])
def test_calling_run_again_refuses_a_store_of_another_run(tmp_path, change, message):
    reference_run(store=tmp_path / "run", checkpoint_every=600)
    with pytest.raises(ValueError, match=message):
        reference_run(store=tmp_path / "run", **dict(dict(checkpoint_every=600), **change))


def test_resume_refuses_another_model_or_lattice_naming_the_difference(tmp_path):
    reference_run(store=tmp_path / "run", checkpoint_every=600)
    with pytest.raises(ValueError, match=r"HeisenbergModel\(TriangularLattice\(6, 6.*J1=1.0.*got.*J1=2.0.*"
                                         r"\(model differs: J"):
        resume(tmp_path / "run", heisenberg(J1=2.0), observables=OBSERVABLES, progress=False)
    with pytest.raises(ValueError, match=r"\(lattice differs: L1: 6 → 8; L2: 6 → 8\)"):
        resume(tmp_path / "run", heisenberg(TriangularLattice(8)), observables=OBSERVABLES, progress=False)
    with pytest.raises(ValueError, match=r"\(lattice differs: lattice: \"triangular\" → \"square\"\)"):
        resume(tmp_path / "run", heisenberg(SquareLattice(6)), observables=OBSERVABLES, progress=False)
    with pytest.raises(ValueError, match="resume needs the observables"):
        resume(tmp_path / "run", heisenberg(), observables={}, progress=False)


def test_a_directory_that_is_not_a_store_or_a_newer_store_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a spinlab trajectory store"):
        reference_run(store=tmp_path / "notes")
    with pytest.raises(ValueError, match="not a spinlab trajectory store"):
        resume(tmp_path / "notes", heisenberg(), observables=OBSERVABLES, progress=False)
    assert os.listdir(tmp_path / "notes") == ["todo.txt"]
    reference_run(store=tmp_path / "run", checkpoint_every=600)
    index = json.loads((tmp_path / "run" / "index.json").read_text())
    (tmp_path / "run" / "index.json").write_text(json.dumps(dict(index, format=index["format"] + 1)))
    with pytest.raises(ValueError, match="newer than this spinlab"):
        TrajectoryStore(tmp_path / "run")
    with pytest.raises(ValueError, match="newer than this spinlab"):
        resume(tmp_path / "run", heisenberg(), observables=OBSERVABLES, progress=False)


def test_a_long_store_run_holds_at_most_one_segment_of_records_in_memory(tmp_path, monkeypatch):
    lattice = TriangularLattice(48)
    model = HeisenbergModel(lattice, J1=1.0)
    start = random_spins(lattice.n_sites, 0)
    run(start, model, SemiImplicitMidpoint(0.02, 0.2), 2, record_every=1, progress=False)  # compile first
    segment_bytes = 2**20
    monkeypatch.setattr(trajectory_module, "SEGMENT_BYTES", segment_bytes)
    tracemalloc.start()
    try:
        stored = run(start, model, SemiImplicitMidpoint(0.02, 0.2), 400, record_every=1, checkpoint_every=400,
                     store=tmp_path / "run", progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    records_bytes = len(stored) * start.nbytes
    assert len(stored) == 401 and records_bytes > 20 * segment_bytes
    assert peak < 4 * segment_bytes  # the records of one segment, once in the list and once as its array
    assert len(json.loads((tmp_path / "run" / "index.json").read_text())["segments"]) >= 20


class Nonconservative:
    """A generalized provider: the Heisenberg field rotated by 90° about z, which has no potential."""

    conservative = False

    def __init__(self, lattice):
        self.lattice, self.n_sites = lattice, lattice.n_sites
        self._heisenberg = heisenberg(lattice)

    def config(self):
        return {"provider": "Nonconservative", "lattice": self.lattice.config()}

    def exchange_field(self, spins):
        h = self._heisenberg.exchange_field(spins)
        return np.stack([-h[:, 1], h[:, 0], h[:, 2]], axis=1)


def test_a_nonconservative_provider_runs_and_records_nan_energies(tmp_path):
    in_memory = reference_run(model=Nonconservative(LATTICE))
    assert np.all(np.isnan(in_memory.energies)) and np.all(np.isfinite(in_memory.spins))
    assert not np.allclose(in_memory.final_spins, reference_run().final_spins)
    assert_same_records(reference_run(model=Nonconservative(LATTICE), store=tmp_path / "run"), in_memory)


class Bindable:
    """An unbound model (like a BP model): ``bind(lattice)`` gives its provider, which may be interrupted."""

    def __init__(self, J1=1.0, interrupt_at=None):
        self.J1, self.interrupt_at = J1, interrupt_at

    def bind(self, lattice):
        model = Interrupting(lattice, J1=self.J1, J2=0.3)
        model.interrupt_at = self.interrupt_at
        return model


def test_quench_with_a_store_continues_bit_for_bit_and_refuses_a_stale_store(tmp_path):
    kwargs = dict(seed=3, n_records=12, maps_at=(10, 100), progress=False)
    reference = quench(Bindable(), 6, 0.2, 150, **kwargs)
    assert sorted(reference) == sorted(["times", "domain_size", "chirality", "abs_chirality", "s_chi", "bond_fraction",
                                        "wall_density", "maps", "map_spins", "map_times", "final"])
    assert reference["maps"].shape == (2, 36) and reference["times"][0] == 0.1
    # the last record's wall morphology is that of the final spins
    last = wall_morphology(TriangularLattice(6), reference["final"])
    assert (reference["bond_fraction"][-1], reference["wall_density"][-1]) == pytest.approx(last)
    with pytest.raises(KeyboardInterrupt):
        quench(Bindable(interrupt_at=201), 6, 0.2, 150, store=tmp_path / "q", **kwargs)
    assert 0 < TrajectoryStore(tmp_path / "q").step < 150
    continued = quench(Bindable(), 6, 0.2, 150, store=tmp_path / "q", **kwargs)
    for key in reference:
        np.testing.assert_array_equal(continued[key], reference[key])
    with pytest.raises(ValueError, match="integrator differs: kT: 0.2 → 0.3"):
        quench(Bindable(), 6, 0.3, 150, store=tmp_path / "q", **kwargs)
    with pytest.raises(ValueError, match="plan differs: n_steps: 150 → 300"):
        quench(Bindable(), 6, 0.2, 300, store=tmp_path / "q", **kwargs)
    with pytest.raises(ValueError, match="model differs: J"):
        quench(Bindable(J1=0.5), 6, 0.2, 150, store=tmp_path / "q", **kwargs)
    with pytest.raises(ValueError, match="plan differs: seed"):
        quench(Bindable(), 6, 0.2, 150, store=tmp_path / "q", **dict(kwargs, seed=4))


def test_a_crash_while_writing_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    save_npz(path, {"x": np.arange(3.0)}, {"kind": "test", "step": 1})

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_npz(path, {"x": np.arange(4.0)}, {"kind": "test", "step": 2})
    arrays, meta = load_npz(path)
    assert meta["step"] == 1 and len(arrays["x"]) == 3
    assert sorted(os.listdir(tmp_path)) == ["state.npz"]  # no temporary file left behind


def test_trajectory_records_and_round_trips_through_a_file(tmp_path):
    trajectory = reference_run()
    assert len(trajectory) == N_STEPS // 30 + 1
    np.testing.assert_allclose(trajectory.times, 0.02 * 30 * np.arange(len(trajectory)))
    assert trajectory.observables["m"].shape == (len(trajectory), 3)
    assert repr(trajectory) == "Trajectory(41 records, t = 0 to 24, observables: m)"
    trajectory.save(tmp_path / "t.npz")
    again = open_trajectory(tmp_path / "t.npz")
    assert isinstance(again, Trajectory)
    np.testing.assert_array_equal(again.spins, trajectory.spins)
    assert again.metadata["integrator"]["integrator"] == "semi-implicit-midpoint"
    with np.load(tmp_path / "t.npz", allow_pickle=False) as data:  # never needs pickle
        assert "spins" in data.files


def test_record_steps_records_exactly_those_steps():
    trajectory = reference_run(record_every=None, record_steps=[1, 2, 50, N_STEPS])
    np.testing.assert_allclose(trajectory.times, 0.02 * np.array([1, 2, 50, N_STEPS]))
    np.testing.assert_array_equal(trajectory.final_spins, reference_run().final_spins)


def test_same_seed_same_noise_different_seed_different_noise():
    a, b = reference_run(), reference_run()
    np.testing.assert_array_equal(a.spins, b.spins)
    c = run(random_spins(LATTICE.n_sites, 0), heisenberg(), SemiImplicitMidpoint(0.02, 0.2, kT=0.3), 30,
            record_every=30, seed=8, progress=False)
    assert not np.allclose(c.spins[-1], a.spins[1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_steps=-1), "n_steps"),
    (dict(n_steps=10, record_every=0), "record_every"),
    (dict(n_steps=10, record_steps=[3, 2]), "record_steps"),
    (dict(n_steps=10, record_steps=[0, 11]), "record_steps"),
    (dict(n_steps=10, record_steps=[1], record_every=2), "not both"),
    (dict(n_steps=10, checkpoint_every=0), "checkpoint_every"),
    (dict(n_steps=10, observables={"energy": magnetization}), "energy"),
])
def test_bad_run_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(random_spins(LATTICE.n_sites, 0), heisenberg(), SemiImplicitMidpoint(0.1, 0.1), **kwargs)


def test_an_unbound_model_is_refused_with_what_to_do():
    with pytest.raises(TypeError, match="bind"):
        run(random_spins(LATTICE.n_sites, 0), Bindable(), SemiImplicitMidpoint(0.1, 0.1), 10)
