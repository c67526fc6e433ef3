"""The driven strip's data and models: NEGF-driven runs at several biases, the held-out split, the
two-potential and conservative models and the signatures that tell them apart."""

import numpy as np
import pytest

from spinlab.bp import BPModel, load_model
from spinlab.__main__ import main
from spinlab.datasets import generate, load_dataset
from spinlab.descriptors import StripDescriptor
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import Strip
from spinlab.spins import neel, perturbed, random_spins, transverse
from spinlab.strip_data import StripPlan, thermal_neel
from spinlab.strip_studies import MODELS, split_driven, strip_potentials_study, strip_regions, train_strip_model

TINY = dict(Lx=12, Ly=6, mu_rights=(-3.6, -3.35, -3.28, -3.28), bridge_mu_rights=(-3.28,), steps=8, snapshots=2)


@pytest.fixture(scope="module")
def tiny_strip_data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("strip")
    generate(StripPlan(**TINY), directory, workers=1, progress=False)
    return directory, load_dataset(directory)


def test_driven_snapshots_carry_their_bias_and_their_negf_fields(tiny_strip_data):
    _, data = tiny_strip_data
    plan = StripPlan(**TINY)
    assert len(data) == 5 * 2 * 2 and data.bias.shape == (20, 2)  # 5 runs, 2 snapshots, 1 perturbed copy each
    np.testing.assert_array_equal(data.bias[:, 0], -3.6)
    for k in (0, 7, 19):
        mu_right = data.bias[k, 1]
        assert data.task[k].endswith(f"muR{mu_right:+.3f}")
        np.testing.assert_allclose(plan.model(mu_right).exchange_field(data.spins[k]), data.fields[k], atol=1e-12)
    # the perturbed copies are off the trajectory, near their snapshot
    first = data.subset(data.task == data.task[0])
    angle = np.arccos(np.clip(np.sum(first.spins[0] * first.spins[2], axis=1), -1, 1))
    assert 0.02 < np.sqrt(np.mean(angle ** 2)) < 0.5


def test_runs_start_from_a_disturbed_neel_state_or_a_metallic_bridge():
    lattice = Strip(12, 6)
    spins = thermal_neel(lattice, 0.05, 3, np.random.default_rng(0))
    x = lattice.coords[:, 0]
    order = np.sum(spins * neel(lattice), axis=1)
    assert np.all(order[x < 9] > 0.9) and np.mean(order[x >= 9]) < 0.6
    np.testing.assert_allclose(np.linalg.norm(perturbed(spins, 0.1, np.random.default_rng(1)), axis=1), 1.0)
    tasks = StripPlan(**TINY).tasks()
    assert [t["start"] for t in tasks] == ["neel"] * 4 + ["bridge"]
    assert len({t["name"] for t in tasks}) == len(tasks)


def test_an_interrupted_generation_resumes_to_the_same_data(tiny_strip_data, tmp_path):
    directory, data = tiny_strip_data
    again = tmp_path / "again"
    generate(StripPlan(**TINY), again, workers=1, progress=False)
    (again / f"{data.task[-1]}.npz").unlink()  # a lost shard is recomputed, the others kept
    resumed = load_dataset(generate(StripPlan(**TINY), again, workers=1, progress=False))
    assert resumed.fingerprint() == data.fingerprint()
    np.testing.assert_array_equal(resumed.bias, data.bias)


@pytest.mark.parametrize("kwargs, message", [(dict(mu_rights=(), bridge_mu_rights=()), "at least one"),
                                             (dict(snapshots=20, steps=8), "cannot exceed"),
                                             (dict(dt=0.0), "dt"), (dict(disturbed=40), "columns"),
                                             (dict(Gamma=0.0), "Gamma")])
def test_bad_strip_plans_are_refused_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StripPlan(**dict(TINY, **kwargs))


def test_the_split_holds_out_a_whole_run_and_a_whole_bias(tiny_strip_data):
    _, data = tiny_strip_data
    train, groups = split_driven(data, -3.35)
    assert set(groups["held-out bias"].task) == {"driven-01-neel-muR-3.350"}
    assert set(groups["held-out run"].task) == {"driven-03-neel-muR-3.280"}  # the second run at -3.28
    assert not set(train.task) & (set(groups["held-out bias"].task) | set(groups["held-out run"].task))
    assert len(train) + sum(len(g) for g in groups.values()) == len(data)
    with pytest.raises(ValueError, match="held-out bias"):
        split_driven(data, -3.0)


def test_conservative_and_two_potential_models_differ_where_physics_says(tiny_strip_data):
    """The conservative model's transverse field is odd under S -> -S and does no loop work, exactly; the
    NEGF field does neither at zero bias; the two-potential model carries an even part through W only."""
    _, data = tiny_strip_data
    train, _ = split_driven(data)
    models = {name: train_strip_model(train, outputs, hidden=(6,), epochs=3, lead_range=3.0, progress=False)
              for name, outputs in MODELS.items()}
    arrays, summary = strip_potentials_study(data, models, margin=3, n_parity=50, n_even=2, loop_steps=12,
                                             progress=False)
    assert summary["even_part"]["conservative"]["rms"] < 1e-14
    assert summary["even_part"]["two-potential"]["rms"] > 1e-8
    assert abs(summary["loop_work"]["conservative"]) < 1e-12
    assert abs(summary["loop_work"]["negf_zero_bias"]) < 1e-12
    assert abs(summary["loop_work"]["negf"]) > 1e3 * abs(summary["loop_work"]["negf_zero_bias"])
    np.testing.assert_allclose(arrays["split/U"] + arrays["split/W"], models["two-potential"].predict_fields(
        arrays["split/spins"], lattice=data.lattice, bias=summary["bias"]), atol=1e-14)
    assert set(summary["accuracy"]["two-potential"]) == {"held-out run", "held-out bias"}
    bulk = strip_regions(data.lattice, 3)["bulk"]
    assert summary["accuracy"]["conservative"]["held-out bias"]["bulk"]["sites"] == bulk.sum() == 6 * 6
    assert arrays["parity/two-potential/bulk"].shape == (50, 2)


def test_a_strip_model_learns_a_bias_driven_damping_like_torque_that_a_conservative_one_cannot():
    """Synthetic target on the strip: H_perp = -(dU/dS)_perp - S x dW/dS with U a Heisenberg energy and
    W = c(bias) sum S_i.S_j, c = mu_R - mu_L; a model that sees the bias learns it at a bias it never saw."""
    lattice = Strip(10, 6)

    def target(spins, bias):
        dU = -HeisenbergModel(lattice, J1=1.0).exchange_field(spins)
        dW = -HeisenbergModel(lattice, J1=bias[1] - bias[0]).exchange_field(spins)
        return -transverse(spins, dU) - np.cross(spins, dW)

    biases = np.array([(-3.6, -3.6), (-3.6, -3.2), (-3.6, -2.8)] * 6)
    spins = np.stack([random_spins(lattice.n_sites, k) for k in range(len(biases))])
    fields = np.stack([target(s, b) for s, b in zip(spins, biases)])
    test, test_bias = random_spins(lattice.n_sites, 99), (-3.6, -3.0)  # a bias between the trained ones
    common = dict(hidden=(16,), optimizer="lbfgs", epochs=300, field_weight=0.0, torque_weight=1.0, progress=False)
    errors = {}
    for outputs in ("two-potential", "energy"):
        model = BPModel(StripDescriptor(2.3, pair_range=1.0, lead_range=3.0), outputs=outputs, **common)
        model.fit(spins, fields, lattice=lattice, bias=biases)
        errors[outputs] = model.errors(test, target(test, test_bias), lattice=lattice, bias=test_bias)["torque_relative"]
    assert errors["two-potential"] < 0.1 and errors["energy"] > 3 * errors["two-potential"], errors


def test_generate_driven_defaults_are_the_plans():
    from spinlab.__main__ import build_parser
    from spinlab.cli import _strip_plan

    assert _strip_plan(build_parser().parse_args(["generate-driven", "--out", "x"])) == StripPlan()


def test_strip_study_command_trains_resumes_and_refuses_equilibrium_data(tiny_strip_data, tmp_path, capsys):
    directory, _ = tiny_strip_data
    argv = ["reproduce", "strip-potentials", str(directory), "--models", str(tmp_path / "models"), "--epochs", "2",
            "--hidden", "4", "--margin", "3", "--out", str(tmp_path / "results")]
    assert main(argv) == 0
    assert (tmp_path / "results" / "strip-potentials.npz").exists()
    assert main(argv) == 0
    assert "read from" in capsys.readouterr().out  # the second run reuses the trained models
    parallel = argv[:4] + [str(tmp_path / "parallel")] + argv[5:] + ["--workers", "2"]
    assert main(parallel) == 0
    assert "in 2 processes" in capsys.readouterr().out
    for name in MODELS:  # one process per model trains the same model as one process for both
        assert load_model(tmp_path / "parallel" / name).fingerprint() == load_model(tmp_path / "models" / name).fingerprint()
    with pytest.raises(SystemExit):
        main(argv[:-4] + ["--margin", "6", "--out", str(tmp_path / "results")])
    assert "leaves no bulk" in capsys.readouterr().err


def test_an_interrupted_strip_training_continues_from_its_best_weights(tiny_strip_data, tmp_path, capsys,
                                                                      monkeypatch):
    """Ctrl-C after 25 of 30 iterations keeps the best weights so far and their history; the next call
    trains the 5 missing iterations from those weights (its first step lowers their training loss). A crash
    keeps the last save, made every 20 iterations."""
    import spinlab.optimizers as optimizers

    directory, _ = tiny_strip_data
    models = tmp_path / "models"
    argv = ["reproduce", "strip-potentials", str(directory), "--models", str(models), "--epochs", "30",
            "--hidden", "4", "--margin", "3", "--out", str(tmp_path / "results")]
    show = optimizers._show

    def interrupted(bar, history):
        show(bar, history)
        if len(history["train_loss"]) == 25:
            raise KeyboardInterrupt

    monkeypatch.setattr(optimizers, "_show", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(argv)
    partial = load_model(models / "two-potential-partial")
    history = partial.metadata_["history"]
    assert len(history["train_loss"]) == 25 and not (models / "two-potential.npz").exists()
    monkeypatch.setattr(optimizers, "_show", show)
    assert main(argv) == 0
    assert "two-potential: continuing from" in capsys.readouterr().out
    done = load_model(models / "two-potential").metadata_["history"]
    assert len(done["train_loss"]) == 30 and done["train_loss"][:25] == history["train_loss"]
    assert done["train_loss"][25] < history["train_loss"][int(np.argmin(history["validation_loss"]))]
    assert not (models / "two-potential-partial.npz").exists()
    (models / "conservative.npz").unlink()

    def crashed(bar, history):
        show(bar, history)
        if len(history["train_loss"]) == 25:
            raise MemoryError

    monkeypatch.setattr(optimizers, "_show", crashed)
    with pytest.raises(MemoryError):  # a crash loses at most the iterations since the last save, every 20
        main(argv)
    assert len(load_model(models / "conservative-partial").metadata_["history"]["train_loss"]) == 20
    with pytest.raises(SystemExit):  # a partial fit of another network is not continued
        main(argv[:9] + ["5"] + argv[10:])
    assert "set up differently" in capsys.readouterr().err
