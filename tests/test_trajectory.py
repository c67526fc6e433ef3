"""Run loop: records, saving, atomic checkpoints and bit-for-bit resume after a crash."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from spinlab.dynamics import AdamsBashforthMidpoint, SemiImplicitMidpoint
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import TriangularLattice
from spinlab.observables import magnetization
from spinlab.spins import random_spins
from spinlab.trajectory import Trajectory, load_npz, resume, run, save_npz

N_STEPS = 1200
CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from spinlab.dynamics import {integrator}
    from spinlab.heisenberg import HeisenbergModel
    from spinlab.lattice import TriangularLattice
    from spinlab.observables import magnetization
    from spinlab.spins import random_spins
    from spinlab.trajectory import run

    class Slow(HeisenbergModel):
        def exchange_field(self, spins):
            time.sleep(0.001)  # long enough to be killed mid-run
            return super().exchange_field(spins)

    lat = TriangularLattice(6)
    model = Slow(lat, J1=1.0, J2=0.2, field=(0, 0, 0.3))
    run(random_spins(lat.n_sites, 0), model, {integrator}(0.02, 0.2, kT=0.3), {n_steps}, record_every=30,
        observables={{"m": magnetization}}, checkpoint=sys.argv[1], checkpoint_every=40, seed=7, progress=False)
""")


def reference_run(integrator, **kwargs):
    lat = TriangularLattice(6)
    model = HeisenbergModel(lat, J1=1.0, J2=0.2, field=(0, 0, 0.3))
    return model, run(random_spins(lat.n_sites, 0), model, integrator(0.02, 0.2, kT=0.3), N_STEPS, record_every=30,
                      observables={"m": magnetization}, seed=7, progress=False, **kwargs)


@pytest.mark.parametrize("integrator", [SemiImplicitMidpoint, AdamsBashforthMidpoint])
def test_a_killed_run_resumes_bit_for_bit(tmp_path, integrator):
    checkpoint = tmp_path / "run.npz"
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(integrator=integrator.__name__, n_steps=N_STEPS))
    child = subprocess.Popen([sys.executable, str(script), str(checkpoint)], start_new_session=True)
    try:
        deadline = time.time() + 120
        step = 0
        while step < 200 and time.time() < deadline and child.poll() is None:
            time.sleep(0.05)
            if checkpoint.exists():
                step = load_npz(checkpoint)[1]["step"]
        assert child.poll() is None, "the child finished before it could be killed"
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    killed_at = load_npz(checkpoint)[1]["step"]
    assert 200 <= killed_at < N_STEPS
    model, uninterrupted = reference_run(integrator)
    resumed = resume(checkpoint, model, observables={"m": magnetization}, progress=False)
    np.testing.assert_array_equal(resumed.spins, uninterrupted.spins)
    np.testing.assert_array_equal(resumed.times, uninterrupted.times)
    np.testing.assert_array_equal(resumed.energies, uninterrupted.energies)
    np.testing.assert_array_equal(resumed.observables["m"], uninterrupted.observables["m"])


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


def test_resume_refuses_other_observables_and_other_files(tmp_path):
    model, _ = reference_run(SemiImplicitMidpoint, checkpoint=tmp_path / "c.npz", checkpoint_every=600)
    with pytest.raises(ValueError, match="observables"):
        resume(tmp_path / "c.npz", model, observables={}, progress=False)
    save_npz(tmp_path / "other.npz", {}, {"kind": "trajectory"})
    with pytest.raises(ValueError, match="not a spinlab checkpoint"):
        resume(tmp_path / "other.npz", model, progress=False)


def test_trajectory_records_and_round_trips_through_a_file(tmp_path):
    _, trajectory = reference_run(SemiImplicitMidpoint)
    assert len(trajectory) == N_STEPS // 30 + 1
    np.testing.assert_allclose(trajectory.times, 0.02 * 30 * np.arange(len(trajectory)))
    assert trajectory.observables["m"].shape == (len(trajectory), 3)
    trajectory.save(tmp_path / "t.npz")
    again = Trajectory.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(again.spins, trajectory.spins)
    assert again.metadata["integrator"]["integrator"] == "semi-implicit-midpoint"
    with np.load(tmp_path / "t.npz", allow_pickle=False) as data:  # never needs pickle
        assert "spins" in data.files


def test_same_seed_same_noise_different_seed_different_noise():
    _, a = reference_run(SemiImplicitMidpoint)
    _, b = reference_run(SemiImplicitMidpoint)
    np.testing.assert_array_equal(a.spins, b.spins)
    lat = TriangularLattice(6)
    model = HeisenbergModel(lat, J1=1.0, J2=0.2, field=(0, 0, 0.3))
    c = run(random_spins(lat.n_sites, 0), model, SemiImplicitMidpoint(0.02, 0.2, kT=0.3), 30, record_every=30,
            seed=8, progress=False)
    assert not np.allclose(c.spins[-1], a.spins[1])


@pytest.mark.parametrize("kwargs, message", [(dict(n_steps=-1), "n_steps"), (dict(n_steps=10, record_every=0),
                                                                                "record_every")])
def test_bad_run_arguments_are_refused(kwargs, message):
    lat = TriangularLattice(6)
    with pytest.raises(ValueError, match=message):
        run(random_spins(lat.n_sites, 0), HeisenbergModel(lat), SemiImplicitMidpoint(0.1, 0.1), **kwargs)
