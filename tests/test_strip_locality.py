"""How far the driven strip's NEGF torque reaches: the far-spin changes, the floor they set a local model and
the study that measures both on NEGF-driven states."""

import numpy as np
import pytest

import spinlab.strip_locality as strip_locality_module
from spinlab.__main__ import main
from spinlab.electrons import NEGFModel, far_torque_changes
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import Strip
from spinlab.metrics import split_torque_error
from spinlab.spins import neel, perturbed, random_spins
from spinlab.strip_locality import StripLocalityPlan, strip_locality

TINY = dict(Lx=12, Ly=8, steps=8, records=2, radii=(1.5, 3.0), margin=2, column_step=3)


def test_far_torque_changes_vanish_exactly_beyond_the_reach_of_a_nearest_neighbour_field():
    lattice = Strip(8, 6)
    model = HeisenbergModel(lattice, J1=1.0)
    spins, other = random_spins(lattice.n_sites, 0), random_spins(lattice.n_sites, 1)
    changes = far_torque_changes(model, spins, other, centres=[9, 20, 35], radii=[0.5, 1.0, 2.0])
    assert changes.shape == (3, 3, 3)
    assert np.abs(changes[1:]).max() < 1e-14  # every neighbour lies within R = 1
    assert np.all(np.linalg.norm(changes[0], axis=-1) > 1e-3)  # R = 0.5 replaces the neighbours
    assert np.abs(far_torque_changes(model, spins, spins, [9], [0.5])).max() == 0.0
    with pytest.raises(ValueError, match="no site is farther"):
        far_torque_changes(model, spins, other, [9], [20.0])


def test_negf_torque_in_the_neel_insulator_forgets_far_spins_faster_than_in_a_ferromagnetic_metal():
    """The Néel strip is gapped at these μ's (the bulk density is 1), so its fields decay exponentially; the
    ferromagnet is a metal and carries the far spins' influence much farther."""
    lattice = Strip(16, 8)
    model = NEGFModel(lattice, J=3.8, Gamma=1.0, mu_left=-3.6, mu_right=-3.28, kT_el=0.01)
    rng = np.random.default_rng(3)
    centre = 7 + 16 * 4
    share = {}
    for name, state in (("insulator", neel(lattice)), ("metal", np.tile([0.0, 0.0, 1.0], (lattice.n_sites, 1)))):
        spins, other = perturbed(state, 0.15, rng), perturbed(state, 0.15, rng)
        torque = np.cross(spins, model.exchange_field(spins))
        changes = far_torque_changes(model, spins, other, [centre], [2.0, 4.0])
        share[name] = np.linalg.norm(changes[:, 0], axis=-1) / np.sqrt(np.mean(np.sum(torque ** 2, axis=1)))
    assert share["insulator"][1] < 1e-3 and share["insulator"][1] < 0.05 * share["insulator"][0]
    assert share["metal"][1] > 30 * share["insulator"][1]


def test_split_torque_error_adds_up_in_squares():
    rng = np.random.default_rng(0)
    error, inside = rng.normal(size=(4, 50, 3)), rng.random((4, 50)) < 0.3
    part = split_torque_error(error, inside, 2.0)
    f = part["fraction"]
    assert part["all"] == pytest.approx(np.sqrt(np.mean(error ** 2)) / 2.0, rel=1e-12)
    assert f * part["inside"] ** 2 + (1 - f) * part["outside"] ** 2 == pytest.approx(part["all"] ** 2, rel=1e-12)
    assert np.isnan(split_torque_error(error, np.zeros((4, 50), bool), 1.0)["inside"])
    with pytest.raises(ValueError, match="do not match"):
        split_torque_error(error, inside[0], 1.0)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    work = tmp_path_factory.mktemp("strip-locality")
    model = HeisenbergModel(Strip(TINY["Lx"], TINY["Ly"]), J1=0.2)
    models = {"heisenberg": type("Bound", (), {"predict_fields": lambda self, s, lattice, bias: np.stack(
        [model.exchange_field(x) for x in s])})()}
    plan = StripLocalityPlan(**TINY)
    return plan, work, strip_locality(plan, work, models, progress=False)


def test_strip_locality_pools_the_changes_against_the_bulk_spread_and_splits_them_by_phase(tiny_study):
    plan, _, (arrays, summary) = tiny_study
    changes, metal = arrays["changes"], arrays["metal"]
    assert changes.shape == (2, 2, 2, plan.columns().size, 3) and metal.shape == (2, 2, plan.columns().size)
    columns = arrays["centres"] % plan.Lx
    assert np.array_equal(columns, np.broadcast_to(plan.columns(), columns.shape))
    for r, radius in enumerate(plan.radii):
        floor = summary["floor"][f"{radius:g}"]
        assert floor["all"] == pytest.approx(np.sqrt(np.mean(changes[:, :, r] ** 2)) / summary["spread"], rel=1e-12)
        f = metal.mean()
        if 0 < f < 1:
            assert f * floor["metal"] ** 2 + (1 - f) * floor["insulator"] ** 2 == pytest.approx(floor["all"] ** 2)
    assert summary["floor"]["3"]["all"] < summary["floor"]["1.5"]["all"]
    error = summary["errors"]["heisenberg"]
    assert error["all"] > 0.5  # a Heisenberg field is nothing like the NEGF torque
    assert arrays["errors/heisenberg"].shape == (2,) and arrays["floor/by_record"].shape == (2, 2)


def test_strip_locality_recomputes_a_change_from_the_states_it_keeps(tiny_study):
    plan, _, (arrays, _) = tiny_study
    spins = arrays["check/spins"]
    model = NEGFModel(plan.lattice, J=plan.J, Gamma=plan.Gamma, mu_left=plan.mu_left, mu_right=plan.mu_right,
                      kT_el=plan.kT_el)
    centre = int(arrays["centres"][1, -1, 0])
    again = far_torque_changes(model, spins[1], spins[0], [centre], [plan.radii[0]])  # seed 1 takes seed 0's
    assert np.allclose(again[0, 0], arrays["changes"][1, -1, 0, 0], atol=1e-10)


def test_strip_locality_resumes_from_its_work_folder_and_refuses_another_plans(tiny_study, monkeypatch):
    plan, work, (arrays, _) = tiny_study

    def no_new_work(*args, **kwargs):
        raise AssertionError("the study recomputed what its work folder holds")

    monkeypatch.setattr(strip_locality_module, "far_torque_changes", no_new_work)
    monkeypatch.setattr(strip_locality_module, "run_strip_task", no_new_work)
    again, _ = strip_locality(plan, work, progress=False)
    assert np.array_equal(again["changes"], arrays["changes"])
    with pytest.raises(ValueError, match="another plan"):
        strip_locality(StripLocalityPlan(**dict(TINY, radii=(2.0,))), work, progress=False)


@pytest.mark.parametrize("options, message", [
    (["--seeds", "3", "3"], "at least two different seeds"),
    (["--radii", "40"], "reaches past"),
    (["--margin", "16"], "no bulk column"),
])
def test_strip_locality_command_refuses_bad_input_in_one_line(options, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "strip-locality", "--work", str(tmp_path), "--out", str(tmp_path), *options])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
