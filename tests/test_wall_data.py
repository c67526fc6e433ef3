"""Training data with chiral walls, and one model trained on datasets of several lattices."""

import numpy as np
import pytest

from spinlab.__main__ import main
from spinlab.datasets import DatasetPlan, generate, load_dataset
from spinlab.spins import tetrahedral
from spinlab.training import train_on_dataset
from spinlab.wall_data import WallDataPlan
from spinlab.walls import chiral_wall_distance, chiral_walls, wall_distance, wall_torus

TINY = dict(L1=6, frames=("inverted",), steps=6, snapshots=3)


@pytest.fixture(scope="module")
def walls(tmp_path_factory):
    return tmp_path_factory.mktemp("walls") / "walls-6", WallDataPlan(**TINY)


@pytest.fixture(scope="module")
def wall_data(walls):
    directory, plan = walls
    return load_dataset(generate(plan, directory, workers=1, progress=False))


@pytest.fixture(scope="module")
def small_directory(tmp_path_factory):
    plan = DatasetPlan(L=6, kT_el=0.005, relaxations=1, relaxation_steps=5, relaxation_snapshots=2, thermal_runs=0,
                       random=2, random_per_shard=1)
    return generate(plan, tmp_path_factory.mktemp("small") / "small-6", workers=1, progress=False)


@pytest.fixture(scope="module")
def small_data(small_directory):
    return load_dataset(small_directory)


def test_wall_runs_start_from_walls_of_every_orientation_and_temperature(wall_data):
    assert set(wall_data.kind) == {"walls"} and len(wall_data) == 2 * 2 * 3
    assert wall_data.lattice.L1 == 6 and wall_data.lattice.L2 == 12
    starts = wall_data.subset(wall_data.times == 0)
    assert len(starts) == 4
    for spins in starts.spins:  # the tilted abrupt walls: two walls across the torus
        assert np.isfinite(chiral_wall_distance(wall_data.lattice, spins)).all()


def test_wall_snapshots_carry_quasi_canonical_ed_labels(walls, wall_data):
    ed = walls[1].model()
    assert ed.kT_el == 0.005 and ed.n_electrons == wall_data.lattice.n_sites // 2  # filling 1/4
    for k in (0, 5, 11):
        np.testing.assert_allclose(wall_data.fields[k], ed.exchange_field(wall_data.spins[k]), atol=1e-10)


def test_an_interrupted_wall_generation_continues_to_the_same_data(walls, wall_data, tmp_path):
    directory, plan = walls
    copy = tmp_path / "copy"
    generate(plan, copy, workers=1, progress=False)
    (copy / "walls-perpendicular-inverted-T0.005.npz").unlink()
    again = load_dataset(generate(plan, copy, workers=1, progress=False))
    np.testing.assert_array_equal(again.spins, wall_data.spins)
    np.testing.assert_array_equal(again.fields, wall_data.fields)


@pytest.mark.parametrize("change, message", [(dict(preset="120-degree"), "tetrahedral preset only"),
                                             (dict(L1=7), "L1 must be even"),
                                             (dict(frames=("twisted",)), "frames must be some of"),
                                             (dict(orientations=()), "orientations must be some of"),
                                             (dict(temperatures=(-0.1,)), "temperatures must be >= 0")])
def test_wall_data_plans_refuse_bad_input_in_one_line(change, message):
    with pytest.raises(ValueError, match=message):
        WallDataPlan(**dict(TINY, **change))


def test_generate_walls_command_writes_a_dataset(tmp_path, capsys):
    out = tmp_path / "cli-walls"
    assert main(["generate-walls", "--out", str(out), "--L1", "6", "--orientations", "bond", "--frames", "S4",
                 "--temperatures", "0", "--steps", "3", "--snapshots", "2", "--workers", "1"]) == 0
    data = load_dataset(out)
    assert len(data) == 2 and data.plan["frames"] == ["S4"] and "dataset complete" in capsys.readouterr().out


def test_chiral_wall_distance_finds_constructed_walls_and_none_in_one_domain():
    lattice = wall_torus("bond", 8)
    found = chiral_wall_distance(lattice, chiral_walls(lattice, "bond", "S4"))
    # the sites on both sides of each wall are wall sites: the distances are those to the wall line, less half a row
    np.testing.assert_allclose(found, wall_distance(lattice, "bond") - np.sqrt(3) / 4, atol=0.2)
    assert np.isinf(chiral_wall_distance(lattice, tetrahedral(lattice))).all()


def test_one_model_trains_on_two_lattices_with_class_weights(small_data, wall_data):
    model, report = train_on_dataset([small_data, wall_data], weights={"walls": 3.0}, hidden=(4,), epochs=1,
                                     progress=False)
    assert model.lattice_ == small_data.lattice
    held = report["held_out"]
    assert set(held) == {"small-6/random", "walls-6/walls"} and report["weights"] == {"walls": 3.0}
    assert {"wall_torque_relative", "wall_sites"} <= set(held["walls-6/walls"])
    assert "wall_sites" not in held["small-6/random"]  # random states have no domains to speak of
    assert report["train_snapshots"] + report["held_out_snapshots"] == len(small_data) + len(wall_data)


def test_training_refuses_mixed_ensembles_and_unknown_weights(small_data, wall_data):
    other = type(small_data)(**{**small_data.__dict__, "plan": dict(small_data.plan, kT_el=0.0)})
    with pytest.raises(ValueError, match="differ in kT_el"):
        train_on_dataset([other, wall_data], hidden=(4,), epochs=1, progress=False)
    with pytest.raises(ValueError, match="neither a snapshot class"):
        train_on_dataset([small_data, wall_data], weights={"wall": 2.0}, hidden=(4,), epochs=1, progress=False)


def test_train_command_takes_several_datasets_and_weights(small_directory, walls, wall_data, tmp_path, capsys):
    import json

    out = tmp_path / "model"
    assert main(["train", str(small_directory), str(walls[0]), "--weight", "walls=2", "--weight", "small-6=0.5",
                 "--hidden", "4", "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert [d["name"] for d in meta["dataset"]["datasets"]] == ["small-6", "walls-6"]
    assert meta["report"]["weights"] == {"walls": 2.0, "small-6": 0.5}
    with pytest.raises(SystemExit):
        main(["train", str(walls[0]), "--weight", "walls", "--out", str(out)])
    assert "expected NAME=WEIGHT" in capsys.readouterr().err


def test_coarsening_seeds_run_in_workers_and_resume_to_the_same_result(tmp_path):
    from spinlab.io import load_npz

    common = ["reproduce", "coarsening", "--L", "12", "--steps", "30", "--seeds", "0", "1", "--maps", "30",
              "--fit-window", "0.5", "3", "--work", str(tmp_path / "runs")]
    assert main(common + ["--workers", "2", "--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--out", str(tmp_path / "b")]) == 0  # the stores are complete: this only collects
    a, meta = load_npz(tmp_path / "a" / "coarsening-L12-tetrahedral.npz")  # not the shipped 96 x 96 file's name
    b, _ = load_npz(tmp_path / "b" / "coarsening-L12-tetrahedral.npz")
    assert meta["dt"] == 0.1 and meta["model"] and meta["model_name"] == "tetrahedral"
    for seed in (0, 1):
        np.testing.assert_array_equal(a[f"{seed}/domain_size"], b[f"{seed}/domain_size"])
        fractions = a[f"{seed}/bond_fraction"]
        assert fractions.shape == a["times"].shape and np.all((fractions >= 0) & (fractions <= 1))
        assert np.all(a[f"{seed}/wall_density"] > 0)
    assert not np.array_equal(a["0/domain_size"], a["1/domain_size"])


def test_fine_tuning_starts_from_the_given_model_and_needs_its_architecture(small_data, wall_data):
    first, _ = train_on_dataset(small_data, hidden=(4,), epochs=2, progress=False)
    tuned, report = train_on_dataset([small_data, wall_data], init=first, hidden=(4,), epochs=1, learning_rate=1e-12,
                                     progress=False)
    assert report["init"] == first.fingerprint() and tuned.descriptor.config() == first.descriptor.config()
    for a, b in zip(tuned.network_.params, first.network_.params):  # a negligible step from the same weights
        np.testing.assert_allclose(a, b, atol=1e-9)
    assert tuned.network_.params[0] is not first.network_.params[0]  # a copy: the starting model is unchanged
    with pytest.raises(ValueError, match="hidden"):
        train_on_dataset(small_data, init=first, hidden=(5,), epochs=1, progress=False)
