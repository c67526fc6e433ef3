"""The data -> model pipeline through the documented commands: generate, resume, train, load."""

import json

import numpy as np
import pytest

from spinlab.__main__ import main
from spinlab.bp import load_model
from spinlab.datasets import DatasetPlan, generate, load_dataset
from spinlab.electrons import SDModel
from spinlab.lattice import TriangularLattice
from spinlab.observables import chirality_structure_factor, domain_size
from spinlab.reproduce import fit_growth_exponent
from spinlab.spins import tetrahedral

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


def test_interrupted_generation_resumes_without_duplicates(tiny_dataset, tmp_path):
    plan = DatasetPlan(**json.loads((tiny_dataset / "plan.json").read_text()))
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in tiny_dataset.iterdir():
        copy.joinpath(f.name).write_bytes(f.read_bytes())
    (copy / "relaxation-001.npz").unlink()  # as if killed before this shard
    (copy / "random-000.npz").write_bytes(b"truncated")  # or killed while writing (save_npz is atomic, but still)
    before = {f.name: f.stat().st_mtime_ns for f in copy.iterdir() if f.name.startswith("thermal")}
    generate(plan, copy, workers=1, progress=False)
    assert {f.name: f.stat().st_mtime_ns for f in copy.iterdir() if f.name.startswith("thermal")} == before
    again, original = load_dataset(copy), load_dataset(tiny_dataset)
    assert len(again) == len(original)
    np.testing.assert_array_equal(again.spins, original.spins)  # seeded: recomputed shards are identical
    with pytest.raises(ValueError, match="another plan"):
        generate(DatasetPlan(**dict(json.loads((tiny_dataset / "plan.json").read_text()), seed=5)), copy,
                 progress=False)


def test_generation_on_a_dask_cluster_gives_the_same_shards(tiny_dataset, tmp_path):
    from dask import distributed  # the optional extra, installed by `.[dev]`

    plan = DatasetPlan(**json.loads((tiny_dataset / "plan.json").read_text()))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        generate(plan, tmp_path / "dask", client=client, progress=False)
    np.testing.assert_array_equal(load_dataset(tmp_path / "dask").fields, load_dataset(tiny_dataset).fields)


def test_train_command_writes_a_loadable_model_with_its_provenance(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["train", str(tiny_dataset), "--out", str(out), "--hidden", "6", "--epochs", "2", "--quiet"]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["command"].startswith("spinlab train") and "--epochs 2" in meta["command"]
    assert set(meta["report"]["held_out"]) == {"relaxation", "thermal", "random"}
    assert meta["dataset"]["fingerprint"] == load_dataset(tiny_dataset).fingerprint()
    model = load_model(out)
    data = load_dataset(tiny_dataset)
    assert model.predict_fields(data.spins[0]).shape == (36, 3)
    assert "held_out" in capsys.readouterr().out


def test_bad_plans_are_refused():
    with pytest.raises(ValueError, match="multiple of 6"):
        DatasetPlan(L=8)
    with pytest.raises(ValueError, match="preset"):
        DatasetPlan(preset="double-exchange")


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
