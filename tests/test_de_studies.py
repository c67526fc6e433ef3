"""Double exchange end to end: phase-separation observables, hole densities, the quench studies."""

import numpy as np
import pytest

from spinlab.__main__ import main
from spinlab.bp import BPModel
from spinlab.de_studies import (OBSERVABLES, arrest_quenches, benchmark_quenches, errors_at_holes, fixed_mu_errors,
                                kpm_hole_densities, phase_separation_quench, plateau, relaxed_droplet)
from spinlab.descriptors import SymmetricDescriptor
from spinlab.electrons import SDModel
from spinlab.io import load_npz
from spinlab.lattice import SquareLattice
from spinlab.metrics import field_errors
from spinlab.observables import local_correlation
from spinlab.phase_separation import (bond_correlations, fm_bond_fraction, fm_clusters, fm_droplet, fm_hole_density,
                                      hole_density, phase_separation_observables)
from spinlab.spins import ferromagnet, neel, random_spins


@pytest.fixture(scope="module")
def tiny_model():
    """A barely trained double-exchange model on 6 x 6: the studies' plumbing, not their physics."""
    ed = SDModel.from_preset("double-exchange", 6, kT_el=0.02)
    spins = np.stack([random_spins(36, k) for k in range(3)])
    return BPModel(SymmetricDescriptor("square", 2.3), hidden=(6,), epochs=2, progress=False).fit(
        spins, ed.exchange_field(spins), lattice=ed.lattice)


def test_neel_ferromagnet_and_droplet_have_the_textbook_correlations():
    lattice = SquareLattice(8)
    observe = phase_separation_observables(lattice)
    assert [observe[k](neel(lattice)) for k in OBSERVABLES] == [-1.0, 0.0, 0.0, 0.0]
    assert [observe[k](ferromagnet(lattice)) for k in OBSERVABLES] == [1.0, 1.0, 1.0, 64.0]
    droplet = fm_droplet(lattice, 2.0)  # 13 sites within distance 2 of the middle, 9 of them up in Néel order
    assert np.sum(np.any(droplet != neel(lattice), axis=1)) == 4
    bonds, c = bond_correlations(lattice, droplet)
    assert len(bonds) == 2 * 64 and fm_bond_fraction(lattice, droplet) == pytest.approx(np.mean(c > 0))
    assert list(fm_clusters(lattice, droplet)) == [5]  # its core and edge sites have C_i > 0, the rim not
    assert list(fm_clusters(lattice, droplet, min_size=6)) == []


def test_canonical_ed_puts_exactly_the_doped_holes_into_the_lower_band():
    ed = SDModel.from_preset("double-exchange", 8, kT_el=0.005)
    holes = hole_density(ed, random_spins(64, 3))
    assert holes.sum() == pytest.approx(64 - ed.n_electrons, abs=1e-10)  # N - N_e = 2 holes
    assert holes.min() > -0.05  # the upper Hund band, 2J = 12 higher, stays all but empty


@pytest.mark.parametrize("mu", [-2.6, -3.4, -5.0])
def test_fm_hole_density_equals_ed_of_a_uniform_ferromagnet(mu):
    ed = SDModel.from_preset("double-exchange", 16, mu=mu, kT_el=0.05)
    holes = hole_density(ed, ferromagnet(ed.lattice))
    np.testing.assert_allclose(holes, fm_hole_density(mu, J=6.0, kT=0.05, n_k=16), atol=1e-9)


def test_kpm_hole_densities_agree_with_ed_at_the_same_mu_and_filling():
    L, mu, spins = 8, -2.8, [random_spins(64, 5)]
    kpm = kpm_hole_densities(spins, L, mu, kT_el=0.05, probe_distance=None, progress=False)
    at_mu = SDModel.from_preset("double-exchange", L, mu=mu, kT_el=0.05)
    canonical = SDModel.from_preset("double-exchange", L, kT_el=0.05)
    np.testing.assert_allclose(kpm["holes_at_mu"][0], hole_density(at_mu, spins[0]), atol=1e-5)
    np.testing.assert_allclose(kpm["holes_canonical"][0], hole_density(canonical, spins[0]), atol=1e-5)
    assert kpm["canonical_mu"][0] == pytest.approx(canonical.solve(spins[0]).mu, abs=1e-4)
    assert kpm["hole_count_at_mu"][0] == pytest.approx(kpm["holes_at_mu"][0].sum())


def test_plateau_averages_the_last_half_decade():
    times = np.array([0, 1, 10, 100, 400, 1000.0])
    assert plateau(times, [9, 9, 9, 9, 1, 3]) == 2.0  # t >= 1000 / sqrt(10) = 316: t = 400 and 1000


def test_benchmark_quenches_start_ed_and_model_from_the_same_state_and_resume(tiny_model, tmp_path):
    arrays, summary = benchmark_quenches(tiny_model, 6, (1, 2), 40, kT_el=0.02, n_records=8, locality_radius=2.0,
                                         work=tmp_path, progress=False)
    for seed in (1, 2):
        assert arrays[f"ed/{seed}/nn_correlation"][0] == arrays[f"ml/{seed}/nn_correlation"][0]
        assert arrays[f"ed/{seed}/nn_correlation"][-1] < arrays[f"ed/{seed}/nn_correlation"][0]  # AF correlations grow
    assert set(summary["plateau"]) == {"ed", "ml"} and len(summary["plateau"]["ed"]["values"]) == 2
    finals = np.stack([arrays["ed/1/final"], arrays["ed/2/final"]])  # the model judged on the ED states, recomputed
    ed = SDModel.from_preset("double-exchange", 6, kT_el=0.02)
    errors = tiny_model.errors(finals, ed.exchange_field(finals), lattice=ed.lattice)
    assert arrays["accuracy/torque_relative"][-1] == pytest.approx(errors["torque_relative"], rel=1e-10)
    own = np.stack([arrays["ml/1/final"], arrays["ml/2/final"]])  # and on the states of its own quenches
    errors = tiny_model.errors(own, ed.exchange_field(own), lattice=ed.lattice)
    assert arrays["accuracy_own/torque_relative"][-1] == pytest.approx(errors["torque_relative"], rel=1e-10)
    assert set(summary["accuracy_own"]) == {"all", "early", "late"} and len(arrays["parity_own/field_ml"]) > 100
    assert len(arrays["accuracy/field_relative"]) == len(arrays["times"]) and len(arrays["parity/torque_ed"]) > 100
    assert set(summary["accuracy"]) == {"all", "early", "late"}
    assert arrays["fixed_mu/canonical_mu"].shape == (2, len(arrays["times"]))  # the mu-blind floor on the ED states
    assert summary["fixed_mu"]["late"]["torque_relative"] > 0
    ed_states = np.stack([phase_separation_quench(ed, ed.lattice, 40, seed=seed, n_records=8, keep_spins=True,
                                                  store=tmp_path / f"benchmark-ed-L6-seed{seed}", progress=False)["spins"]
                          for seed in (1, 2)])
    alone, alone_summary = fixed_mu_errors(ed_states, arrays["times"], kT_el=0.02, early=0.1)  # solves on its own
    np.testing.assert_allclose(alone["accuracy_fixed_mu/torque_relative"], arrays["accuracy_fixed_mu/torque_relative"],
                               rtol=1e-12)
    assert alone_summary["mu"] == pytest.approx(summary["fixed_mu"]["mu"], rel=1e-12)
    # the late error split by site adds up to the whole: f e_rich^2 + (1 - f) e_rest^2 = e^2
    holes = summary["holes"]
    f = holes["rich_fraction"]
    assert 0 < f < 1 and 0 < holes["rich_share"] < 1
    assert f * holes["rich"] ** 2 + (1 - f) * holes["rest"] ** 2 == pytest.approx(
        summary["accuracy"]["late"]["torque_relative"] ** 2, rel=1e-10)
    assert arrays["holes/rest"].shape == arrays["times"].shape
    reach = {key: arrays[f"hole_locality/{key}"] for key in ("rich", "rest", "rich_fixed_mu", "rest_fixed_mu")}
    assert all(v.shape == (2, len(arrays["hole_locality/times"])) and np.all(v > 0) for v in reach.values())
    assert np.all(arrays["hole_locality/times"] > 0.1 * arrays["times"][-1])
    assert summary["hole_locality"]["rich"] == pytest.approx(np.sqrt(np.mean(reach["rich"] ** 2)))
    again, _ = benchmark_quenches(tiny_model, 6, (1, 2), 40, kT_el=0.02, n_records=8, locality_radius=2.0,
                                  work=tmp_path, progress=False)
    np.testing.assert_array_equal(again["ed/2/final"], arrays["ed/2/final"])  # read back from the stores


def test_fields_at_the_canonical_mu_are_the_canonical_fields_and_a_global_mu_shift_moves_them():
    ed = SDModel.from_preset("double-exchange", 8, kT_el=0.02)
    one = random_spins(64, 7)[None, None]  # one state: its own mu_c is the fixed mu
    arrays, summary = fixed_mu_errors(one, np.array([1.0]), kT_el=0.02, early=0.0)
    assert summary["mu"] == pytest.approx(ed.solve(one[0, 0]).mu, abs=1e-12)
    assert summary["late"]["field_relative"] < 1e-8 and summary["spread"] == 0
    two = np.stack([random_spins(64, 7), ferromagnet(ed.lattice)])[None]  # unlike states: unlike mu_c
    arrays, summary = fixed_mu_errors(two, np.array([1.0, 2.0]), kT_el=0.02, early=0.0)
    mu_c = arrays["fixed_mu/canonical_mu"][0]
    assert abs(mu_c[0] - mu_c[1]) > 0.1 and summary["mu"] == pytest.approx(mu_c.mean())
    assert np.all(arrays["accuracy_fixed_mu/field_relative"] > 1e-3)  # neither state sits at the mean mu


def test_a_second_model_benchmarked_in_the_same_folder_reuses_the_ed_runs(tiny_model, tmp_path):
    _, summary = benchmark_quenches(tiny_model, 6, (1,), 30, kT_el=0.02, n_records=6, locality_radius=2.0,
                                    work=tmp_path, progress=False)
    # one seed: the far spins come from the state itself, so nothing changes
    assert all(summary["hole_locality"][key] == 0 for key in ("rich", "rest", "rich_fixed_mu", "rest_fixed_mu"))
    ed_store = tmp_path / "benchmark-ed-L6-seed1"
    written = {f: f.stat().st_mtime_ns for f in ed_store.rglob("*") if f.is_file()}
    ed = SDModel.from_preset("double-exchange", 6, kT_el=0.02)
    spins = np.stack([random_spins(36, k) for k in range(3)])
    other = BPModel(SymmetricDescriptor("square", 2.3), hidden=(6,), epochs=1, seed=5, progress=False).fit(
        spins, ed.exchange_field(spins), lattice=ed.lattice)
    arrays, _ = benchmark_quenches(other, 6, (1,), 30, kT_el=0.02, n_records=6, locality_radius=2.0, work=tmp_path,
                                   progress=False)
    assert {f: f.stat().st_mtime_ns for f in ed_store.rglob("*") if f.is_file()} == written  # read, not rerun
    assert sorted(d.name for d in tmp_path.iterdir()) == sorted(
        ["benchmark-ed-L6-seed1", f"benchmark-ml-{tiny_model.fingerprint()}-L6-seed1",
         f"benchmark-ml-{other.fingerprint()}-L6-seed1"])
    assert arrays["ed/1/nn_correlation"][0] == arrays["ml/1/nn_correlation"][0]


def test_de_benchmark_of_another_model_is_a_file_of_its_own_that_names_it(tiny_model, tmp_path, capsys):
    tiny_model.save(tmp_path / "tiny-de")
    argv = ["reproduce", "de-benchmark", "--model", str(tmp_path / "tiny-de"), "--L", "6", "--seeds", "1",
            "--steps", "20", "--kT-el", "0.02", "--locality-radius", "2", "--work", str(tmp_path / "work"),
            "--out", str(tmp_path)]
    assert main(argv) == 0
    _, meta = load_npz(tmp_path / "de-benchmark-tiny-de.npz")
    assert meta["model"] == tiny_model.fingerprint() and not (tmp_path / "de-benchmark.npz").exists()
    assert "model along its own quenches (late)" in capsys.readouterr().out


def test_arrest_quenches_record_seeds_a_langevin_control_and_textures(tiny_model):
    arrays, summary = arrest_quenches(tiny_model, 6, (3, 4), 60, kT_control=0.01, n_records=10, maps_at=(0.5, 2.0),
                                      progress=False)
    assert {f"{s}/{k}" for s in (3, 4) for k in OBSERVABLES} <= set(arrays)
    assert "langevin-0.01/3/nn_correlation" in arrays
    assert not np.array_equal(arrays["langevin-0.01/3/nn_correlation"], arrays["3/nn_correlation"])  # the noise acts
    assert arrays["map_spins"].shape == (2, 36, 3) and np.allclose(arrays["map_times"], [0.5, 2.0])
    lattice = SquareLattice(6)
    assert arrays["map_correlation"].shape == (2, 2, 36)  # every T = 0 seed, every map time
    np.testing.assert_allclose(arrays["map_correlation"][0], [local_correlation(lattice, s) for s in arrays["map_spins"]])
    assert set(arrays["map_times"]) <= set(arrays["texture_times"]) and len(arrays["texture_times"]) >= 3
    at = np.searchsorted(arrays["texture_times"], arrays["map_times"])
    np.testing.assert_array_equal(arrays["texture_spins"][at], arrays["map_spins"])
    assert len(summary["late_cluster_count"]["values"]) == 2


def test_a_relaxed_droplet_keeps_its_ferromagnetic_core(tiny_model):
    lattice = SquareLattice(6)
    ed = SDModel.from_preset("double-exchange", 6, kT_el=0.02)
    result = relaxed_droplet(ed, lattice, 1.5, 100, progress=False)
    assert result["nn_correlation"] > -1 and result["final"].shape == (36, 3)
    assert np.allclose(np.linalg.norm(result["final"], axis=1), 1)


def test_de_arrest_command_writes_quenches_hole_densities_and_the_droplet(tiny_model, tmp_path, capsys):
    tiny_model.save(tmp_path / "model")
    argv = ["reproduce", "de-arrest", "--model", str(tmp_path / "model"), "--L", "8", "--seeds", "1", "2",
            "--steps", "40", "--maps", "1.0", "--mu-train", "-4.5", "--droplet-steps", "20", "--out", str(tmp_path)]
    assert main(argv) == 0
    arrays, meta = load_npz(tmp_path / "de-arrest-model.npz")  # another model: a file of its own
    assert meta["command"].startswith("spinlab reproduce de-arrest") and meta["holes_expected"] == 64 - 62
    assert meta["model"] == tiny_model.fingerprint()  # the study names the force field that drove it
    assert arrays["map_holes_at_mu"].shape == (1, 64) and arrays["droplet_correlation"].shape == (64,)
    assert "map_spins" not in arrays and "texture_spins" not in arrays  # consumed, not shipped
    np.testing.assert_allclose(meta["hole_count_at_mu_train"], arrays["hole_count_at_mu"])
    at = np.searchsorted(arrays["texture_times"], arrays["map_times"])
    np.testing.assert_allclose(arrays["hole_count_at_mu"][at], arrays["map_holes_at_mu"].sum(axis=1))
    assert arrays["hole_rich/canonical"].shape == arrays["texture_times"].shape
    assert np.all((0 <= arrays["hole_rich/canonical"]) & (arrays["hole_rich/canonical"] <= 1))
    assert "holes at mu_train = -4.5000" in capsys.readouterr().out


def test_de_arrest_needs_the_training_chemical_potential(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "de-arrest", "--L", "8", "--out", "x"])
    assert "give --data (the training set, for mu_train) or --mu-train" in capsys.readouterr().err


def test_errors_at_holes_put_the_sites_with_holes_apart_and_their_squares_add_up():
    ed = SDModel.from_preset("double-exchange", 6, kT_el=0.02)
    spins = np.stack([random_spins(36, 4), random_spins(36, 3)])[None]  # (1 seed, 2 records)
    solved = [[ed.solve(s) for s in spins[0]]]
    reference = np.array([[state.field for state in solved[0]]])
    predicted = reference + 0.01 * np.random.default_rng(0).normal(size=reference.shape)
    late = np.array([True, True])
    arrays, everything = errors_at_holes(spins, predicted, solved, late, threshold=-1.0)  # every site hole-rich
    assert everything["rich_fraction"] == 1 and everything["rich_share"] == pytest.approx(1)
    assert everything["rich"] == pytest.approx(field_errors(spins, predicted, reference)["torque_relative"], rel=1e-12)
    holes = 1 - solved[0][1].density
    threshold = np.median(holes)
    _, split = errors_at_holes(spins[:, 1:], predicted[:, 1:], [solved[0][1:]], np.array([True]), threshold=threshold)
    assert split["rich_fraction"] == pytest.approx(np.mean(holes > threshold))
    f = split["rich_fraction"]
    whole = field_errors(spins[:, 1:], predicted[:, 1:], reference[:, 1:])["torque_relative"]
    assert f * split["rich"] ** 2 + (1 - f) * split["rest"] ** 2 == pytest.approx(whole**2, rel=1e-10)
    assert np.isnan(arrays["holes/rest"]).all()  # no site is left over
