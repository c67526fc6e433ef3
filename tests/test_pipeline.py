"""The data -> model pipeline through the documented commands: generate, resume, train, load."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from spinlab.__main__ import main
from spinlab.bp import load_model
from spinlab.datasets import DatasetPlan, generate, load_dataset
from spinlab.de_studies import training_chemical_potential
from spinlab.descriptors import SymmetricDescriptor
from spinlab.electrons import SDModel
from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.lattice import SquareLattice, TriangularLattice
from spinlab.observables import chirality_structure_factor, domain_size
from spinlab.reproduce import effective_exponents, fit_growth_exponent, size_window
from spinlab.spins import random_spins, tetrahedral
from spinlab.trajectory import run

TINY = ["--L", "6", "--relaxations", "2", "--steps", "60", "--random", "4", "--thermal-runs", "1", "--workers", "1"]


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data") / "tetrahedral"
    assert main(["generate", "tetrahedral", "--out", str(directory), *TINY]) == 0
    return directory


def test_generated_fields_are_the_ed_fields_of_the_stored_spins(tiny_dataset):
    data = load_dataset(tiny_dataset)
    assert set(data.kind) == {"relaxation", "thermal", "random"}
    model = SDModel.from_preset("tetrahedral", 6)
    for k in (0, len(data) // 2, len(data) - 1):
        np.testing.assert_allclose(data.fields[k], model.exchange_field(data.spins[k]), atol=1e-12)
        assert data.energies[k] == pytest.approx(model.energy(data.spins[k]))
    relaxation = data.subset(data.task == "relaxation-000")
    assert relaxation.times[0] == 0 and np.all(np.diff(relaxation.times) > 0)
    assert relaxation.energies[-1] < relaxation.energies[0]


def test_generate_takes_the_time_step_damping_and_snapshots_of_its_quenches(tmp_path):
    """Double-exchange quenches are LL-damped with alpha = 0.5 (issue: double exchange end to end)."""
    argv = ["generate", "double-exchange", "--out", str(tmp_path / "de"), "--L", "4", "--relaxations", "1",
            "--steps", "400", "--snapshots", "4", "--dt", "0.05", "--alpha", "0.5", "--thermal-runs", "0",
            "--random", "0", "--workers", "1"]
    assert main(argv) == 0
    plan = json.loads((tmp_path / "de" / "plan.json").read_text())
    assert (plan["dt"], plan["alpha"], plan["relaxation_snapshots"]) == (0.05, 0.5, 4)
    data = load_dataset(tmp_path / "de")
    assert data.times.max() == pytest.approx(400 * 0.05) and np.all(np.diff(data.energies) < 0)  # damped


def test_interrupted_generation_resumes_without_duplicates(tiny_dataset, tmp_path):
    plan = DatasetPlan(**json.loads((tiny_dataset / "plan.json").read_text()))
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    (copy / "relaxation-001.npz").unlink()  # as if killed before this shard
    (copy / "random-000.npz").write_bytes(b"truncated")  # or killed while writing (save_npz is atomic, but still)
    before = {f.name: f.stat().st_mtime_ns for f in copy.glob("thermal*.npz")}
    generate(plan, copy, workers=1, progress=False)
    assert {f.name: f.stat().st_mtime_ns for f in copy.glob("thermal*.npz")} == before
    again, original = load_dataset(copy), load_dataset(tiny_dataset)
    assert len(again) == len(original)
    np.testing.assert_array_equal(again.spins, original.spins)  # seeded: recomputed shards are identical
    with pytest.raises(ValueError, match="another plan"):
        generate(DatasetPlan(**dict(json.loads((tiny_dataset / "plan.json").read_text()), seed=5)), copy,
                 progress=False)


def test_an_interrupted_relaxation_continues_from_its_last_checkpoint(tmp_path, monkeypatch):
    """Long ED quenches (hours on 16 x 16 and up) must not restart from scratch after Ctrl-C."""
    plan = DatasetPlan(preset="double-exchange", L=4, kT_el=0.02, relaxations=1, relaxation_steps=200,
                       relaxation_snapshots=6, dt=0.05, alpha=0.5, thermal_runs=0, random=0)
    clean = load_dataset(generate(plan, tmp_path / "clean", workers=1, progress=False))
    calls, original = [0], SDModel.exchange_field

    def counting(self, spins, interrupt_at=None):
        calls[0] += 1
        if calls[0] == interrupt_at:
            raise KeyboardInterrupt
        return original(self, spins)

    monkeypatch.setattr(SDModel, "exchange_field", lambda self, spins: counting(self, spins, interrupt_at=300))
    with pytest.raises(KeyboardInterrupt):
        generate(plan, tmp_path / "killed", workers=1, progress=False)
    assert not (tmp_path / "killed" / "relaxation-000.npz").exists()
    assert (tmp_path / "killed" / "runs" / "relaxation-000").is_dir()
    calls[0] = 0
    monkeypatch.setattr(SDModel, "exchange_field", lambda self, spins: counting(self, spins))
    resumed = load_dataset(generate(plan, tmp_path / "killed", workers=1, progress=False))
    assert 0 < calls[0] < 200  # two fields per step: the run went on from step ~150, not from 0
    np.testing.assert_array_equal(resumed.spins, clean.spins)
    np.testing.assert_array_equal(resumed.fields, clean.fields)
    assert len(resumed) == 6 and len(np.unique(resumed.times)) == 6  # exactly the snapshots asked for


def test_generation_on_a_dask_cluster_gives_the_same_shards(tiny_dataset, tmp_path):
    from dask import distributed  # the optional extra, installed by `.[dev]`

    plan = DatasetPlan(**json.loads((tiny_dataset / "plan.json").read_text()))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        generate(plan, tmp_path / "dask", client=client, progress=False)
    np.testing.assert_array_equal(load_dataset(tmp_path / "dask").fields, load_dataset(tiny_dataset).fields)


def test_train_command_writes_a_loadable_model_with_its_provenance(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "model"
    with pytest.warns(UserWarning) as said:  # two epochs: poor, and said so; the single random shard is not held out
        assert main(["train", str(tiny_dataset), "--out", str(out), "--hidden", "6", "--epochs", "2", "--quiet"]) == 0
    messages = " | ".join(str(w.message) for w in said)
    assert "no held-out random snapshots" in messages and "the model is poor" in messages
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["command"].startswith("spinlab train") and "--epochs 2" in meta["command"]
    assert set(meta["report"]["held_out"]) == {"relaxation", "thermal"}  # the single random shard is trained on
    assert meta["dataset"]["fingerprint"] == load_dataset(tiny_dataset).fingerprint()
    model = load_model(out)
    data = load_dataset(tiny_dataset)
    assert model.predict_fields(data.spins[0]).shape == (36, 3)  # on its training lattice by default
    assert "held_out" in capsys.readouterr().out


def test_a_model_name_with_a_dot_keeps_it():
    from spinlab.modelfiles import model_paths

    assert model_paths("runs/m-rc2.3") == (Path("runs/m-rc2.3.npz"), Path("runs/m-rc2.3.json"))
    assert model_paths("runs/m.npz") == model_paths("runs/m.json") == (Path("runs/m.npz"), Path("runs/m.json"))


def test_train_energy_weight_fits_the_labels_energies(tiny_dataset, tmp_path):
    out = tmp_path / "model"
    with pytest.warns(UserWarning):
        assert main(["train", str(tiny_dataset), "--out", str(out), "--hidden", "6", "--epochs", "1", "--quiet",
                     "--energy-weight", "100"]) == 0
    model, (train, _) = load_model(out), load_dataset(tiny_dataset).split()
    assert model.energy_weight == 100
    assert model.trained_on(train.spins, train.fields, train.energies, lattice=train.lattice)
    assert not model.trained_on(train.spins, train.fields, lattice=train.lattice)  # the energies were fitted


def test_train_pair_range_gives_the_descriptor_longer_bonds(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "model"
    argv = ["train", str(tiny_dataset), "--out", str(out), "--hidden", "6", "--epochs", "1", "--quiet"]
    with pytest.warns(UserWarning):
        assert main(argv + ["--pair-range", "3"]) == 0
    descriptor = load_model(out).descriptor
    assert descriptor.pair_range == 3 and descriptor.n_features > SymmetricDescriptor("triangular", 2.0).n_features
    with pytest.raises(SystemExit):  # longer than the neighbourhood (2 r_c): one line, no model
        main(argv[:3] + [str(tmp_path / "other")] + argv[4:] + ["--pair-range", "5"])
    assert "pair_range must lie in [1, 2 cutoff]" in capsys.readouterr().err
    assert not (tmp_path / "other.npz").exists()


@pytest.mark.parametrize("kwargs, message", [
    (dict(L=8), "multiple of 6"), (dict(L=-6), "multiple of 6"), (dict(preset="skyrmion"), "unknown preset"),
    (dict(preset="double-exchange", L=7), "multiple of 2"), (dict(relaxations=-2), "relaxations"),
    (dict(random=-5), "random"), (dict(engine="qmc"), "engine"), (dict(dt=0.0), "dt"),
    (dict(relaxations=0, thermal_runs=0, random=0), "no snapshots"),
])
def test_bad_plans_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DatasetPlan(**kwargs)


def test_square_lattice_pipeline_generate_train_run(tmp_path):
    """The same workflow on the double-exchange preset: generate -> train -> bind -> run."""
    directory = tmp_path / "de"
    assert main(["generate", "double-exchange", "--out", str(directory), "--L", "6", "--kT-el", "0.02",
                 "--relaxations", "1", "--steps", "30", "--random", "3", "--thermal-runs", "0", "--workers", "1"]) == 0
    data = load_dataset(directory)
    assert isinstance(data.lattice, SquareLattice) and data.lattice.n_sites == 36
    reference = SDModel.from_preset("double-exchange", 6, kT_el=0.02)
    np.testing.assert_allclose(data.fields[-1], reference.exchange_field(data.spins[-1]), atol=1e-12)
    assert "double-exchange" in repr(data) and "SquareLattice(6, 6" in repr(data)
    out = tmp_path / "model"
    with pytest.warns(UserWarning):  # two epochs make a poor model, and there is no thermal class: both said
        assert main(["train", str(directory), "--out", str(out), "--hidden", "6", "--epochs", "2", "--quiet"]) == 0
    model = load_model(out)
    assert model.descriptor.kind == "square" and model.lattice_ == data.lattice
    bigger = SquareLattice(10)
    trajectory = run(random_spins(bigger.n_sites, 0), model.bind(bigger), SemiImplicitMidpoint(0.01, 0.5), 4,
                     record_every=2, progress=False)
    assert len(trajectory) == 3 and np.all(np.isfinite(trajectory.final_spins))


def test_domain_size_and_growth_exponent_on_synthetic_domains():
    lattice = TriangularLattice(48)
    sizes = []
    for width in (4, 8, 16):
        spins = tetrahedral(lattice)
        spins[(lattice.coords[:, 0] // width) % 2 == 1, 2] *= -1  # stripes of opposite chirality
        sizes.append(domain_size(lattice, chirality_structure_factor(lattice, spins)))
    assert sizes[0] < sizes[1] < sizes[2]
    # for stripes, L grows linearly with the width: exponent 1 on synthetic "times" equal to the widths
    assert fit_growth_exponent([4, 8, 16], sizes, (4, 16)) == pytest.approx(1.0, abs=0.25)


def test_given_configurations_are_labelled_by_kpm_and_resume(tmp_path):
    """`spinlab label`: fields of configurations from a file and from a trajectory store, shard by shard."""
    from spinlab.electrons import KPMModel
    from spinlab.heisenberg import HeisenbergModel

    lattice = TriangularLattice(6)
    configurations = np.stack([random_spins(lattice.n_sites, 10 + k) for k in range(5)])
    np.savez(tmp_path / "configs.npz", spins=configurations)
    store = tmp_path / "store"
    run(random_spins(lattice.n_sites, 1), HeisenbergModel(lattice), SemiImplicitMidpoint(0.1, 0.5), 4,
        record_every=1, store=store, progress=False)
    out = tmp_path / "labelled"
    argv = ["label", str(tmp_path / "configs.npz"), str(store), "--preset", "tetrahedral", "--out", str(out),
            "--kT-el", "0.1", "--moments", "120", "--probe-distance", "2", "--every", "2", "--per-shard", "2",
            "--workers", "1"]
    assert main(argv) == 0
    data = load_dataset(out)
    assert len(data) == 3 + 3 and set(data.kind) == {"labelled"} and data.lattice == lattice
    kpm = KPMModel.from_preset("tetrahedral", 6, kT_el=0.1, moments=120, probe_distance=2.0)
    np.testing.assert_allclose(data.spins[:3], configurations[::2])
    np.testing.assert_allclose(data.fields[1], kpm.exchange_field(configurations[2]), atol=1e-12)
    np.testing.assert_allclose(data.times[3:], [0.0, 0.2, 0.4])
    # resumable: a lost shard is recomputed, the others are kept
    first = sorted(out.glob("labelled-*.npz"))[0]
    kept = {f.name: f.stat().st_mtime_ns for f in out.glob("labelled-*.npz") if f != first}
    first.unlink()
    assert main(argv) == 0
    assert {f.name: f.stat().st_mtime_ns for f in out.glob("labelled-*.npz") if f.name in kept} == kept
    np.testing.assert_array_equal(load_dataset(out).fields, data.fields)


def test_kpm_labels_default_to_the_automatic_probe_distance(tmp_path):
    """Without --probe-distance, `spinlab label` uses KPMModel's "auto": the exact trace on 6 x 6."""
    from spinlab.electrons import KPMModel

    configurations = random_spins(36, 30)[None]
    np.savez(tmp_path / "c.npz", spins=configurations)
    assert main(["label", str(tmp_path / "c.npz"), "--preset", "tetrahedral", "--kT-el", "0.1", "--moments", "120",
                 "--out", str(tmp_path / "o"), "--workers", "1"]) == 0
    exact = KPMModel.from_preset("tetrahedral", 6, kT_el=0.1, moments=120, probe_distance=None)
    np.testing.assert_allclose(load_dataset(tmp_path / "o").fields[0], exact.exchange_field(configurations[0]),
                               atol=1e-12)


def test_ed_labels_given_configurations_like_generated_ones(tmp_path):
    configurations = np.stack([random_spins(36, 20 + k) for k in range(2)])
    np.savez(tmp_path / "c.npz", spins=configurations, times=np.array([1.0, 2.0]))
    assert main(["label", str(tmp_path / "c.npz"), "--preset", "120-degree", "--engine", "ed", "--kT-el", "0.01",
                 "--out", str(tmp_path / "o"), "--workers", "1"]) == 0
    data = load_dataset(tmp_path / "o")
    ed = SDModel.from_preset("120-degree", 6, kT_el=0.01)
    np.testing.assert_allclose(data.fields, ed.exchange_field(configurations), atol=1e-12)
    assert data.times.tolist() == [1.0, 2.0] and np.all(data.gaps > 0)


def test_perturbed_labels_are_ed_fields_of_seeded_copies_near_the_configurations(tmp_path):
    configurations = np.stack([random_spins(36, 20 + k) for k in range(3)])
    np.savez(tmp_path / "c.npz", spins=configurations)
    args = ["label", str(tmp_path / "c.npz"), "--preset", "120-degree", "--engine", "ed", "--kT-el", "0.01",
            "--perturbation", "0.1", "--seed", "5", "--workers", "1", "--per-shard", "2"]
    assert main(args + ["--out", str(tmp_path / "o")]) == 0
    data = load_dataset(tmp_path / "o")
    angle = np.arccos(np.clip(np.sum(data.spins * configurations, axis=2), -1, 1))
    assert 0.05 < np.sqrt(np.mean(angle**2)) / np.sqrt(2) < 0.2  # rms 0.1 per transverse axis
    ed = SDModel.from_preset("120-degree", 6, kT_el=0.01)
    np.testing.assert_allclose(data.fields, ed.exchange_field(data.spins), atol=1e-12)
    assert main(args + ["--out", str(tmp_path / "again")]) == 0  # seeded: the same copies
    np.testing.assert_array_equal(load_dataset(tmp_path / "again").spins, data.spins)
    other = [a if a != "5" else "6" for a in args]
    assert main(other + ["--out", str(tmp_path / "other")]) == 0
    assert not np.allclose(load_dataset(tmp_path / "other").spins, data.spins)


def test_a_plan_written_before_an_option_existed_is_the_plan_with_its_default(tmp_path):
    np.savez(tmp_path / "c.npz", spins=random_spins(36, 1)[None])
    args = ["label", str(tmp_path / "c.npz"), "--preset", "120-degree", "--engine", "ed", "--kT-el", "0.01",
            "--workers", "1", "--out", str(tmp_path / "o")]
    assert main(args) == 0
    plan = json.loads((tmp_path / "o" / "plan.json").read_text())
    del plan["perturbation"], plan["seed"]
    (tmp_path / "o" / "plan.json").write_text(json.dumps(plan))
    assert main(args) == 0  # completes, not "another plan"


def test_model_quenches_are_resumable_stores_of_the_models_own_dynamics_ready_for_labels(tmp_path, capsys):
    from spinlab.models import load_shipped
    from spinlab.trajectory import open_trajectory

    args = ["quench", "double-exchange", "--preset", "double-exchange", "--L", "8", "--seeds", "3", "4",
            "--steps", "20", "--records", "5", "--out", str(tmp_path / "q")]
    assert main(args) == 0
    assert "spinlab label" in capsys.readouterr().out
    store = open_trajectory(tmp_path / "q" / "quench-L8-seed4")
    lattice = SquareLattice(8)
    direct = run(random_spins(64, 4), load_shipped("double-exchange").bind(lattice), SemiImplicitMidpoint(0.05, 0.5),
                 20, record_every=20, progress=False)
    np.testing.assert_allclose(store.final_spins, direct.final_spins, atol=1e-12)
    assert store.times[0] == 0 and np.isclose(store.times[-1], 1.0) and len(store) >= 5
    assert main(args) == 0  # finished stores are read, not rerun
    assert main(["label", str(tmp_path / "q" / "quench-L8-seed3"), "--preset", "double-exchange", "--engine", "ed",
                 "--kT-el", "0.005", "--workers", "1", "--out", str(tmp_path / "labels")]) == 0
    data = load_dataset(tmp_path / "labels")
    assert len(data) == len(store) and data.lattice.kind == "square"
    train, _ = data.split()  # the labelled quench states give the model's mu_train, like ED relaxations
    late = train.times > 0.1 * data.times.max()
    ed = SDModel.from_preset("double-exchange", 8, kT_el=0.005)
    mu_train = training_chemical_potential([data, data])
    assert mu_train["snapshots"] == 2 * late.sum() > 0
    assert mu_train["mean"] == pytest.approx(np.mean([ed.solve(s).mu for s in train.spins[late]]), abs=1e-12)
    with pytest.raises(SystemExit):  # a square-lattice model cannot drive the triangular preset
        main(["quench", "double-exchange", "--preset", "tetrahedral", "--L", "12", "--seeds", "1", "--out",
              str(tmp_path / "bad")])
    assert "square lattice" in capsys.readouterr().err


def test_labelling_refuses_configurations_of_another_lattice(tmp_path, capsys):
    np.savez(tmp_path / "c.npz", spins=random_spins(35, 0)[None])
    with pytest.raises(SystemExit):
        main(["label", str(tmp_path / "c.npz"), "--preset", "tetrahedral", "--out", str(tmp_path / "o")])
    assert "not an L x L lattice" in capsys.readouterr().err


def test_timestep_study_records_common_times_and_resumes(tmp_path):
    from spinlab.reproduce import timestep_study

    kwargs = dict(L=6, dts=(0.02, 0.04), t_max=0.4, seeds=(3,), n_records=5, work=tmp_path, progress=False)
    arrays, summary = timestep_study("double-exchange", **kwargs)
    np.testing.assert_allclose(arrays["times"], np.linspace(0, 0.4, 6), atol=1e-12)
    small, large = arrays["0.02/3/nn_correlation"], arrays["0.04/3/nn_correlation"]
    assert small[0] == large[0] and summary["max_difference"]["3"]["0.04"] == pytest.approx(np.abs(small - large).max())
    assert summary["max_difference"]["3"]["0.04"] < 1e-3  # a second-order scheme at small dt
    again, _ = timestep_study("double-exchange", **kwargs)  # the stores are complete: read, not rerun
    np.testing.assert_array_equal(again["0.04/3/final"], arrays["0.04/3/final"])
    with pytest.raises(ValueError, match="multiple of dt"):
        timestep_study("double-exchange", L=6, dts=(0.03,), t_max=0.4, n_records=5, progress=False)


def test_locality_quench_classes_hold_the_quench_states_and_a_fixed_mu_share():
    from spinlab.reproduce import locality, mutual_locality

    kwargs = dict(L=8, radii=(2.0, 3.0), temperatures=(), quench_times=(1.0, 0.5), dt=0.05, alpha=0.5, kT_el=0.005,
                  fixed_mu=True, progress=False)
    arrays, summary = locality("double-exchange", **kwargs)
    assert summary["classes"] == ["random", "quench-0.5", "quench-1"] and summary["quench_times"] == [0.5, 1.0]
    ed = SDModel.from_preset("double-exchange", 8, kT_el=0.005)
    quenched = run(random_spins(64, 12), ed, SemiImplicitMidpoint(0.05, 0.5), 20, record_every=20, progress=False)
    np.testing.assert_allclose(arrays["quench-1/states"][1], quenched.final_spins, atol=1e-12)
    a, b = arrays["quench-1/states"]
    mu = summary["fixed_mu"]["quench-1"]
    assert mu == pytest.approx(0.5 * (ed.solve(a).mu + ed.solve(b).mu))
    at_mu = SDModel.from_preset("double-exchange", 8, kT_el=0.005, mu=mu)
    assert arrays["quench-1/share-fixed-mu"][1] == pytest.approx(mutual_locality(at_mu, a, b, 3.0, summary["centres"]))
    assert arrays["quench-1/share"][0] == pytest.approx(mutual_locality(ed, a, b, 2.0, summary["centres"]))
    with pytest.raises(ValueError, match="multiples of dt"):
        locality("double-exchange", **{**kwargs, "quench_times": (0.07,)})


def test_effective_exponents_follow_a_crossover_between_two_power_laws():
    times = np.geomspace(1, 1e4, 41)
    crossover = 100.0
    sizes = np.stack([c * times**0.5 * (1 + times / crossover) ** 0.5 for c in (1.0, 2.0)])  # t^(1/2), then t^1
    mid, slopes = effective_exponents(times, sizes, span=2)
    assert slopes.shape == (2, 39) and mid[0] == pytest.approx(np.sqrt(times[0] * times[2]))
    np.testing.assert_allclose(slopes[0], slopes[1], atol=1e-12)  # a prefactor does not change the exponent
    assert slopes[0, 0] == pytest.approx(0.5, abs=0.01) and slopes[0, -1] == pytest.approx(1.0, abs=0.01)
    assert np.all(np.diff(slopes[0]) > 0)
    with pytest.raises(ValueError, match="span"):
        effective_exponents(times, sizes, span=41)


def test_size_window_spans_the_chosen_domain_sizes_of_the_mean_run():
    times = np.geomspace(1, 1e4, 41)
    sizes = np.stack([2 * times**0.5, 8 * times**0.5])  # geometric mean 4 t^(1/2)
    t_min, t_max = size_window(times, sizes, 6.0, 24.0)
    assert t_min == times[times >= 2.25][0] and t_max == times[times <= 36.0][-1]
    assert fit_growth_exponent(times, sizes[0], (t_min, t_max)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="never reaches"):
        size_window(times, sizes, 1e3, 2e3)
