"""Re-validate what spinlab ships: the pretrained models and the small results behind the book's figures.

Each file was produced by a documented ``spinlab`` command (recorded inside it); these
tests check it against fresh exact-diagonalization numbers or recompute its derived
quantities, so a stale or hand-edited file fails.  Tests named ``test_data_contract_...``
only read numbers a command wrote (they fail if the file changes, not if the physics
does); each has a recomputation beside it, named in its docstring.
"""

import json

import numpy as np
import pytest

from spinlab.data import DATA_DIR
from spinlab.descriptors import SymmetricDescriptor
from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.electrons import KPMModel, SDModel
from spinlab.electrons.locality import field_locality
from spinlab.lattice import TriangularLattice
from spinlab.metrics import field_errors
from spinlab.models import SHIPPED, load_shipped, shipped_path
from spinlab.presets import get_preset
from spinlab.observables import (TETRAHEDRAL_CHIRALITY, domain_size, nearest_neighbor_correlation, peak_weights,
                                 scalar_chirality, structure_factor_at)
from spinlab.reproduce import ORDER_PEAKS, fit_growth_exponent, growth_exponents, mutual_locality, quench, size_window
from spinlab.io import load_npz
from spinlab.spins import TEXTURES, random_spins
from spinlab.trajectory import run

#: Held-out accuracy each shipped model must keep (relative to the reference's spread); measured
#: values are in the model's JSON and in the closing notes of the work.
ACCURACY = {
    "120-degree": {"relaxation": (0.01, 0.05), "thermal": (0.01, 0.05)},
    "tetrahedral": {"relaxation": (0.05, 0.8), "thermal": (0.015, 0.15)},
    # trained on five datasets (classes keyed "dataset/class"); short of issue 18's targets (models/README.md)
    "tetrahedral-walls": {"tetrahedral-12/thermal": (0.015, 0.15), "walls-12/walls": (0.02, 0.25),
                          "quench-24/labelled": (0.06, 0.55), "disks-24/labelled": (0.01, 0.6),
                          "quench-36/labelled": (0.05, 0.55)},
    "double-exchange": {"relaxation": (0.03, 0.35), "random": (0.05, 0.4)},
    # trained on ED labels of model-driven quenches only (classes "dataset/labelled")
    "double-exchange-al": {"l0/labelled": (0.05, 0.4), "l1/labelled": (0.05, 0.4)},
}
#: Limits on fresh random spins for models whose training data hold no random or thermal class.
RANDOM_SPINS = {"double-exchange-al": (0.05, 0.4)}
#: The shipped models of nonequilibrium (NEGF) data: checked by their own tests below.
DRIVEN = ("driven-strip", "driven-strip-conservative")
#: Held-out-bias bulk torque error the shipped strip model must keep (measured 0.388; the issue's target, 0.10,
#: is not reached: see models/README.md).
STRIP_BULK_TORQUE = 0.45


def test_every_shipped_model_is_checked():
    assert set(SHIPPED) == set(ACCURACY) | set(DRIVEN)


@pytest.mark.parametrize("name", sorted(ACCURACY))
def test_data_contract_shipped_model_records_its_command_and_held_out_accuracy(name):
    """Recomputed by ``test_shipped_model_predicts_fresh_ed_fields_of_thermal_states``."""
    meta = json.loads(shipped_path(name).with_suffix(".json").read_text())
    assert meta["command"].startswith("spinlab train") and f"/{name}" in meta["command"]
    held = meta["report"]["held_out"]
    for kind, (field_limit, torque_limit) in ACCURACY[name].items():
        assert held[kind]["field_relative"] < field_limit, (kind, held[kind])
        assert held[kind]["torque_relative"] < torque_limit, (kind, held[kind])


def test_a_missing_shipped_model_says_how_to_remake_it(monkeypatch, tmp_path):
    import spinlab.models

    monkeypatch.setattr(spinlab.models, "shipped_path", lambda name: tmp_path / name)
    with pytest.raises(ValueError, match=r"missing.*spinlab train data/tetrahedral --out spinlab/models/tetrahedral"):
        load_shipped("tetrahedral")


@pytest.mark.parametrize("name", sorted(ACCURACY))
def test_shipped_model_predicts_fresh_ed_fields(name):
    """New snapshots, never seen in training, with the electrons and lattice of the model's training data:
    thermal ones from ED Langevin at the ideal order (triangular), or random spins (double exchange, whose
    thermal training states come from long Langevin runs a test cannot afford)."""
    plan = json.loads(shipped_path(name).with_suffix(".json").read_text())["dataset"]["plan"]
    ed = SDModel.from_preset(plan["preset"], plan["L"], kT_el=plan["kT_el"])
    # a model trained on several datasets keys its classes "dataset/class"; its first dataset's plan is read here
    key = next((k for k in ACCURACY[name] if k.split("/")[-1] == "thermal"), "random")
    kind = key.split("/")[-1]
    if kind == "thermal":
        start = TEXTURES[get_preset(plan["preset"]).texture](ed.lattice)
        trajectory = run(start, ed, SemiImplicitMidpoint(plan["dt"], plan["alpha"], kT=0.01), 60, record_every=30,
                         seed=2026, progress=False)
        spins = trajectory.spins[1:]
    else:
        spins = np.stack([random_spins(ed.n_sites, 2026 + k) for k in range(3)])
    reference = np.stack([ed.exchange_field(s) for s in spins])
    errors = load_shipped(name).errors(spins, reference)
    field_limit, torque_limit = ACCURACY[name].get(key) or RANDOM_SPINS[name]
    assert errors["field_relative"] < field_limit and errors["torque_relative"] < torque_limit, errors


@pytest.mark.parametrize("preset", ["120-degree", "tetrahedral"])
def test_ml_and_ed_dynamics_reach_the_same_order(preset):
    arrays, meta = load_npz(DATA_DIR / f"orders-{preset}.npz")
    assert meta["command"].startswith("spinlab reproduce orders")
    lattice = TriangularLattice(meta["L"])
    ed = SDModel.from_preset(preset, meta["L"])
    for row in meta["runs"]:
        seed = row["seed"]
        energies = {}
        for side in ("ed", "ml"):
            final = arrays[f"{side}/{seed}/final"]
            energies[side] = ed.energy(final) / lattice.n_sites  # recomputed, not read back
            assert energies[side] == pytest.approx(row[f"{side}_energy_per_site"], abs=1e-10)
            peaks = structure_factor_at(lattice, final, ORDER_PEAKS[preset])
            for q, ideal in ORDER_PEAKS[preset].items():
                assert peaks[q] == pytest.approx(ideal, abs=0.02), (side, seed, peaks)
            if preset == "tetrahedral":
                chi = scalar_chirality(lattice, final)
                assert np.all(np.abs(np.abs(chi) - TETRAHEDRAL_CHIRALITY) < 0.02)
                assert abs(chi.mean()) == pytest.approx(TETRAHEDRAL_CHIRALITY, abs=0.02)  # uniform sign
        assert energies["ml"] == pytest.approx(energies["ed"], abs=1e-3)
    # the large ML run orders in domains: the Bragg weight sits near the ordering wave vectors, split
    # as in the ideal order, though S(Q) itself is spread over |q - Q| ~ 2 pi / (domain size)
    large = TriangularLattice(meta["L_large"])
    weights = peak_weights(large, arrays["large/final"], ORDER_PEAKS[preset], radius=0.5)
    for q, ideal in ORDER_PEAKS[preset].items():
        assert 0.6 * ideal < weights[q] <= ideal + 0.02, weights


def test_chiral_order_is_lost_on_heating():
    arrays, meta = load_npz(DATA_DIR / "chiral-order.npz")
    assert meta["command"].startswith("spinlab reproduce chiral-order") and meta["L"] >= 24
    temperatures, order = arrays["temperatures"], arrays["order"]
    assert np.all(np.diff(temperatures) > 0)
    assert order[0] > 0.9 and order[-1] < 0.3, order  # ordered when cold, finite-size noise when hot
    # falls with temperature, up to the run-to-run spread
    assert np.all(np.diff(order) < 2 * arrays["spread"][1:] + 0.02), order


def test_tetrahedral_fields_are_local_for_thermal_spins_and_not_for_random_ones():
    """The evidence behind the tetrahedral model's accuracy (chapter 6): within the thermal ensemble the
    spins beyond R = 2 r_c = 4 carry a few percent of the torque, for random spins tens of percent."""
    arrays, meta = load_npz(DATA_DIR / "locality-tetrahedral.npz")
    assert meta["command"].startswith("spinlab reproduce locality") and meta["L"] >= 18
    radii = list(meta["radii"])
    four = radii.index(4.0)
    thermal = [name for name in meta["classes"] if name.startswith("thermal")]
    assert len(thermal) == len(meta["temperatures"]) >= 2
    for name in thermal:
        share = arrays[f"{name}/share"]
        assert np.all(np.diff(share) < 0) and share[four] < 0.1, (name, share)
        assert share[four] < arrays["random/share"][four] / 4, (name, share)
    assert arrays["random/share"][four] > 0.2, arrays["random/share"]
    # recompute one entry from the stored states with fresh ED fields
    ed = SDModel.from_preset(meta["preset"], meta["L"])
    a, b = arrays[f"{thermal[-1]}/states"]
    fresh = mutual_locality(ed, a, b, 4.0, meta["centres"])
    assert fresh == pytest.approx(arrays[f"{thermal[-1]}/share"][four], rel=1e-9)


def test_double_exchange_fields_are_local_on_quench_states_but_not_on_random_ones():
    """The evidence behind chapter 9's reading of the model's error: on quench states past the early
    disorder (t >= 20) the spins beyond R = 2 r_c = 4.6 of the shipped model carry a few percent of the
    torque, at fixed N_e and at fixed mu alike; on random spins a fifth or more."""
    arrays, meta = load_npz(DATA_DIR / "locality-double-exchange.npz")
    assert meta["command"].startswith("spinlab reproduce locality double-exchange") and meta["L"] >= 16
    radii = list(meta["radii"])
    at = radii.index(4.6)
    late = [f"quench-{t:g}" for t in meta["quench_times"] if t >= 20]
    assert len(late) >= 2
    for name in late:
        for share in (arrays[f"{name}/share"], arrays[f"{name}/share-fixed-mu"]):
            assert share[0] > 0.2 and share[at] < 0.05, (name, share)
        fixed = arrays[f"{name}/share-fixed-mu"][radii.index(3.0):]
        assert np.all(np.diff(fixed) <= 0), (name, fixed)  # no global constraint: the share falls with R
    assert arrays["random/share"][at] > 0.15 and arrays["random/share-fixed-mu"][at] > 0.15
    # recompute two entries from the stored states with fresh ED fields, at fixed N_e and at fixed mu
    ed = SDModel.from_preset("double-exchange", meta["L"], kT_el=meta["kT_el"])
    a, b = arrays[f"{late[0]}/states"]
    assert mutual_locality(ed, a, b, 4.6, meta["centres"]) == pytest.approx(arrays[f"{late[0]}/share"][at], rel=1e-9)
    at_mu = SDModel.from_preset("double-exchange", meta["L"], kT_el=meta["kT_el"], mu=meta["fixed_mu"][late[0]])
    assert mutual_locality(at_mu, a, b, 4.6, meta["centres"]) == pytest.approx(
        arrays[f"{late[0]}/share-fixed-mu"][at], rel=1e-9)


def test_coarsening_domain_sizes_and_growth_exponent():
    arrays, meta = load_npz(DATA_DIR / "coarsening.npz")
    assert meta["command"].startswith("spinlab reproduce coarsening")
    assert meta["L"] >= 96 and len(meta["seeds"]) >= 3
    lattice = TriangularLattice(meta["L"])
    times, seeds, window = arrays["times"], meta["seeds"], meta["fit_window"]
    # the stored domain sizes are those of the stored structure factors and chirality maps
    at_maps = np.isin(times, arrays["map_times"])
    stored = arrays[f"{seeds[0]}/domain_size"][at_maps]
    np.testing.assert_allclose([domain_size(lattice, s) for s in arrays["map_s_chi"]], stored, rtol=1e-12)
    for chi, s_chi in zip(arrays["maps"], arrays["map_s_chi"]):
        fft = np.abs(np.fft.fft2(chi.reshape(lattice.L2, lattice.L1))) ** 2 / lattice.n_sites
        np.testing.assert_allclose(fft.ravel(), s_chi, rtol=1e-9, atol=1e-12)
    # domains grow as a power law with an exponent reproducible across runs
    exponents = np.array([fit_growth_exponent(times, arrays[f"{seed}/domain_size"], window) for seed in seeds])
    n, error = exponents.mean(), exponents.std(ddof=1) / np.sqrt(len(seeds))
    assert 0.3 < n < 1.2 and error < 0.15, exponents
    inside = (times >= window[0]) & (times <= window[1])
    for seed in seeds:
        sizes = arrays[f"{seed}/domain_size"][inside]
        assert sizes[-1] > 3 * sizes[0] and sizes[-1] < meta["L"] / 2, sizes
    # below T_chi the local order grows as the walls between domains disappear
    for seed in seeds:
        local_order = arrays[f"{seed}/abs_chirality"][inside] / TETRAHEDRAL_CHIRALITY
        assert local_order[-1] > local_order[0] + 0.1 and local_order[-1] > 0.6, local_order


@pytest.mark.parametrize("model_name", ["tetrahedral-walls", "tetrahedral"])
def test_coarsening_on_192_restarts_from_its_seed_and_spans_a_decade(model_name):
    """``reproduce coarsening --model MODEL --L 192``, for the wall-trained and the first shipped model: run by
    that model, its first records recomputed from the seed, its domain sizes those of its structure factors, and
    its mean domain growing from 6 to L_sys/8 over a decade in time, with an exponent reproducible across seeds."""
    arrays, meta = load_npz(DATA_DIR / f"coarsening-L192-{model_name}.npz")
    assert meta["model_name"] == model_name
    model = load_shipped(model_name)
    seeds, times = meta["seeds"], arrays["times"]
    assert meta["model"] == model.fingerprint() and meta["L"] == 192 and len(seeds) >= 2 and times[-1] >= 2000
    first = quench(model, meta["L"], meta["kT"], 2, dt=meta["dt"], seed=seeds[0], n_records=2, progress=False)
    np.testing.assert_allclose(first["times"], times[:2], rtol=1e-12)
    for key in ("domain_size", "chirality", "abs_chirality", "bond_fraction"):
        np.testing.assert_allclose(first[key], arrays[f"{seeds[0]}/{key}"][:2], rtol=1e-9, err_msg=key)
    lattice = TriangularLattice(meta["L"])
    at_maps = np.isin(times, arrays["map_times"])
    np.testing.assert_allclose([domain_size(lattice, s) for s in arrays["map_s_chi"]],
                               arrays[f"{seeds[0]}/domain_size"][at_maps], rtol=1e-12)
    sizes = np.array([arrays[f"{seed}/domain_size"] for seed in seeds])
    window = size_window(times, sizes, 6.0, meta["L"] / 8)
    assert window[1] >= 10 * window[0], window
    exponents = growth_exponents(arrays, seeds, window)
    assert 0.3 < exponents.mean() < 1.2 and exponents.std(ddof=1) / np.sqrt(len(seeds)) < 0.1, exponents
    shares = np.array([arrays[f"{seed}/bond_fraction"] for seed in seeds])
    assert np.all((shares > 0) & (shares < 1))


def test_data_contract_cutoff_sweep_reports_accuracy_and_cost():
    """Timings and training errors as the sweep wrote them; ``test_cutoff_sweep_feature_counts_are_recomputed``
    recomputes the feature counts, and the shipped model's own accuracy is recomputed against fresh ED above."""
    sweep = json.loads((DATA_DIR / "cutoff-sweep-tetrahedral.json").read_text())
    assert sweep["command"].startswith("spinlab reproduce cutoff-sweep")
    rows = sorted(sweep["rows"], key=lambda row: row["cutoff"])
    assert [row["cutoff"] for row in rows] == [2.0, 3.0, 4.0]
    assert np.all(np.diff([row["features"] for row in rows]) > 0)
    assert np.all(np.diff([row["cost_us_per_site"] for row in rows]) > 0)  # more features cost more
    # the shipped model uses the sweep's choice: the cheapest cutoff, as accurate as any near order
    assert load_shipped("tetrahedral").descriptor.cutoff == rows[0]["cutoff"]
    thermal = [row["report"]["held_out"]["thermal"]["torque_relative"] for row in rows]
    assert thermal[0] < 1.5 * min(thermal), thermal


def test_cutoff_sweep_feature_counts_are_recomputed():
    sweep = json.loads((DATA_DIR / "cutoff-sweep-tetrahedral.json").read_text())
    for row in sweep["rows"]:
        assert SymmetricDescriptor("triangular", row["cutoff"]).n_features == row["features"]


def _kpm_accuracy(preset):
    arrays, summary = load_npz(DATA_DIR / f"kpm-accuracy-{preset}.npz")
    assert summary["command"].startswith(f"spinlab reproduce kpm-accuracy {preset}")
    return {name: arrays[f"{name}/states"] for name in summary["classes"]}, summary


@pytest.mark.parametrize("preset", ["tetrahedral", "double-exchange"])
def test_kpm_errors_separate_into_expansion_probing_and_ensemble(preset):
    """``spinlab reproduce kpm-accuracy``: each of the three errors behaves as its cause says."""
    states, summary = _kpm_accuracy(preset)
    distances = summary["distances"]
    for name in summary["classes"]:
        expansion = summary["expansion"][name]
        assert np.all(np.diff(expansion) < 0) and expansion[-1] < 1e-3, expansion
        # exponential in M, at least at the rule's rate pi T / a (the default order gives 1e-8)
        scale = KPMModel.from_preset(preset, 6, kT_el=summary["kT_el"], probe_distance=None).scale_
        span = summary["expansion_moments"][-1] - summary["expansion_moments"][0]
        assert expansion[-1] / expansion[0] < 2 * np.exp(-np.pi * summary["kT_el"] * span / scale), expansion
        fixed = np.mean(summary["probing_fixed_mu"][name], axis=0)
        assert fixed[-1] < fixed[1] / 3, (name, fixed)  # decays with the colouring distance
        cost = np.mean(summary["seconds"][name], axis=0)[:, 1]
        assert cost[-1] > cost[0], cost  # more colours, more probes
    assert min(summary["ensemble"]["random"]) > 0.05  # metallic: kT_el matters


def test_default_probe_distance_is_the_smallest_that_meets_two_percent_on_thermal_states():
    """The default d: fixed-μ probing error at most 2 % of the torque's spread on thermal tetrahedral
    states (half the locality share at 2 r_c), and no smaller shipped d meets it."""
    from spinlab.electrons.kpm import DEFAULT_PROBE_DISTANCE

    _, summary = _kpm_accuracy("tetrahedral")
    thermal = [name for name in summary["classes"] if name.startswith("thermal")]
    worst = np.max([np.max(summary["probing_fixed_mu"][name], axis=0) for name in thermal], axis=0)
    meets = [d for d, error in zip(summary["distances"], worst) if error <= 0.02]
    assert meets and meets[0] == DEFAULT_PROBE_DISTANCE, dict(zip(summary["distances"], worst))
    for name in thermal:  # gapped: kT_el matters little (metallic random spins: much), solving μ does
        assert max(summary["ensemble"][name]) < min(0.01, 0.1 * min(summary["ensemble"]["random"]))
        k = summary["distances"].index(DEFAULT_PROBE_DISTANCE)
        assert np.mean(summary["probing"][name], axis=0)[k] > np.mean(summary["probing_fixed_mu"][name], axis=0)[k]


def test_kpm_accuracy_entries_are_recomputed():
    """One probing entry of each preset and one expansion entry, from the stored states and fresh ED."""
    for preset, name in (("tetrahedral", "thermal-0.005"), ("double-exchange", "quench-t20")):
        states, summary = _kpm_accuracy(preset)
        spins, L, kT = states[name][0], summary["L"], summary["kT_el"]
        reference = SDModel.from_preset(preset, L, kT_el=kT).solve(spins)
        assert reference.mu == pytest.approx(summary["mu"][name][0], abs=1e-10)
        kpm = KPMModel.from_preset(preset, L, kT_el=kT, probe_distance=summary["distances"][0], mu=reference.mu)
        error = field_errors(spins, kpm.exchange_field(spins), reference.field)["torque_relative"]
        assert error == pytest.approx(summary["probing_fixed_mu"][name][0][0], rel=1e-8)
    # the last preset (double exchange, 24 x 24) makes the exact trace cheap
    exact = KPMModel.from_preset(preset, L, kT_el=kT, moments=summary["expansion_moments"][0], probe_distance=None)
    error = field_errors(spins, exact.exchange_field(spins), reference.field)["torque_relative"]
    assert error == pytest.approx(summary["expansion"][name][0], rel=1e-8)


def test_shipped_model_against_kpm_on_coarsening_states():
    """``spinlab reproduce kpm-coarsening``: the regenerated 96 x 96 quench is the coarsening run's (same
    chirality maps), its errors are recomputed from the stored spins and KPM fields, the KPM fields
    agree with a cheap independent KPM evaluation, and walls are where the model is worst."""
    from spinlab.kpm_studies import split_torque_errors, wall_sites

    arrays, summary = load_npz(DATA_DIR / "kpm-coarsening.npz")
    coarsening, _ = load_npz(DATA_DIR / "coarsening.npz")
    lattice = TriangularLattice(summary["L"])
    model = load_shipped("tetrahedral").bind(lattice)
    for k, t in enumerate(arrays["times"]):
        spins, kpm = arrays[f"{k}/spins"], arrays[f"{k}/kpm"]
        shipped_map = coarsening["maps"][np.argmin(np.abs(coarsening["map_times"] - t))]
        np.testing.assert_allclose(scalar_chirality(lattice, spins)[: lattice.n_sites], shipped_map, atol=1e-8)
        walls = wall_sites(lattice, spins)
        np.testing.assert_array_equal(walls, arrays[f"{k}/walls"])
        errors = split_torque_errors(spins, model.exchange_field(spins), kpm, walls)
        for key, value in errors.items():
            assert value == pytest.approx(summary["errors"][k][key], rel=1e-8), key
        assert errors["walls"] > errors["domains"]
    cheap = KPMModel.from_preset("tetrahedral", summary["L"], kT_el=summary["kT_el"], mu=summary["mu"],
                                 moments=300, probe_distance=4.0).exchange_field(spins)
    assert field_errors(spins, cheap, kpm)["torque_relative"] < 0.5  # d = 4 probing: about 0.2-0.3
    ensemble = summary["ensemble"]["ensemble_error"]
    assert ensemble["walls"] > ensemble["domains"]  # wall states are metallic: T_el matters there


def test_kpm_driven_dynamics_lowers_its_potential_and_ml_run_is_recomputed():
    """``spinlab reproduce kpm-dynamics``: damped KPM-driven LLG never raises the probed KPM potential;
    the ML-driven run is recomputed step for step; the two start together."""
    from spinlab.electrons import KPMModel

    arrays, summary = load_npz(DATA_DIR / "kpm-dynamics.npz")
    assert summary["command"].startswith("spinlab reproduce kpm-dynamics")
    assert arrays["spin_difference"][0] == 0.0
    assert np.all(np.diff(arrays["kpm/energy"]) <= 1e-9 * np.abs(arrays["kpm/energy"][0]))
    lattice = TriangularLattice(summary["L"])
    kpm = KPMModel.from_preset("tetrahedral", summary["L"], kT_el=summary["kT_el"], mu=summary["mu"],
                               moments=summary["moments"], probe_distance=summary["probe_distance"])
    assert kpm.energy(arrays["kpm/final"]) == pytest.approx(arrays["kpm/energy"][-1], rel=1e-10)
    ml = run(arrays["start"], load_shipped("tetrahedral").bind(lattice), SemiImplicitMidpoint(summary["dt"], summary["alpha"]),
             summary["steps"], record_every=summary["steps"], progress=False)
    np.testing.assert_allclose(ml.final_spins, arrays["ml/final"], atol=1e-8)


def test_data_contract_kpm_cost_is_linear_in_n_and_ed_is_not():
    """``spinlab reproduce kpm-cost`` (its probe counts are recomputed below): KPM time(4N)/time(N) at most
    4.5 from 48 x 48 up, ED at least 16 from 24 to 48, a crossover where ED ran, ML far cheaper."""
    cost = json.loads((DATA_DIR / "kpm-cost.json").read_text())
    assert cost["command"].startswith("spinlab reproduce kpm-cost")
    seconds = {k: dict(zip(cost["L"], v)) for k, v in cost["seconds"].items()}
    assert set(cost["kpm_scaling"]) == {"48-96", "96-192"}
    for pair, ratio in cost["kpm_scaling"].items():
        a, b = map(int, pair.split("-"))
        assert ratio == pytest.approx(seconds["kpm"][b] / seconds["kpm"][a]) and ratio <= 4.5
    assert seconds["ed"][48] / seconds["ed"][24] > 16
    assert cost["crossover_L"] is not None and seconds["kpm"][cost["crossover_L"]] < seconds["ed"][cost["crossover_L"]]
    assert cost["ml_over_kpm_96"] > 100


def test_kpm_cost_probe_counts_and_order_are_recomputed():
    cost = json.loads((DATA_DIR / "kpm-cost.json").read_text())
    for L, probes in zip(cost["L"], cost["probes"]):
        kpm = KPMModel.from_preset("tetrahedral", L, kT_el=cost["kT_el"], mu=cost["mu"], probe_distance="auto")
        assert (kpm.n_probes_, kpm.moments) == (probes, cost["moments"])


def test_double_exchange_quench_curves_converge_in_the_time_step():
    """``spinlab reproduce timestep``: the ED quench's <S_i.S_j>(t) moves by O(dt²) against dt = 0.01; the
    first records of the dt = 0.1 run are recomputed from the same seed."""
    arrays, meta = load_npz(DATA_DIR / "timestep-double-exchange.npz")
    assert meta["command"].startswith("spinlab reproduce timestep") and meta["dts"][0] == 0.01
    for seed in meta["seeds"]:
        reference = arrays[f"0.01/{seed}/nn_correlation"]
        differences = [np.abs(arrays[f"{dt:g}/{seed}/nn_correlation"] - reference).max() for dt in meta["dts"][1:]]
        assert differences[0] < 0.02 and differences[1] / differences[0] == pytest.approx(4.0, rel=0.25), differences
        assert reference[-1] < -0.5  # the quench orders antiferromagnetically
    ed = SDModel.from_preset(meta["preset"], meta["L"], kT_el=meta["kT_el"])
    seed, dt = meta["seeds"][0], 0.1
    every = int(round(meta["t_max"] / meta["n_records"] / dt))
    fresh = run(random_spins(ed.n_sites, seed), ed, SemiImplicitMidpoint(dt, meta["alpha"]), 2 * every,
                record_every=every, progress=False,
                observables={"nn": lambda s: nearest_neighbor_correlation(ed.lattice, s)})
    np.testing.assert_allclose(fresh.observables["nn"], arrays[f"{dt:g}/{seed}/nn_correlation"][:3], atol=1e-12)


def _quench_start(ed_or_model, lattice, seed, meta, record_steps):
    """The first records of a double-exchange quench, recomputed from its seed as phase_separation_quench draws it."""
    from spinlab.phase_separation import phase_separation_observables

    rng = np.random.default_rng(seed)
    return run(random_spins(lattice.n_sites, rng), ed_or_model, SemiImplicitMidpoint(meta["dt"], meta["alpha"]),
               int(record_steps[-1]), record_steps=record_steps, observables=phase_separation_observables(lattice),
               seed=rng, progress=False)


@pytest.mark.parametrize("model_name, result", [("double-exchange", "de-benchmark.npz"),
                                                ("double-exchange-al", "de-benchmark-double-exchange-al.npz")])
def test_double_exchange_benchmark_plateaus_accuracy_and_start_are_recomputed(model_name, result):
    """``spinlab reproduce de-benchmark``: ED and ML quenches start from the same states (the first ED records
    recomputed), the plateaus are those of the curves, the model's last-record errors (on the ED states and
    on its own) are recomputed against fresh ED fields, and the ED quench settles in a mixed phase short of
    Néel order."""
    from spinlab.de_studies import plateau

    arrays, meta = load_npz(DATA_DIR / result)
    assert meta["command"].startswith("spinlab reproduce de-benchmark") and meta["L"] == 16
    assert meta["model"] == load_shipped(model_name).fingerprint()
    seeds, times = meta["seeds"], arrays["times"]
    assert len(seeds) >= 5
    for name in ("ed", "ml"):
        values = [plateau(times, arrays[f"{name}/{s}/nn_correlation"]) for s in seeds]
        assert meta["plateau"][name]["values"] == pytest.approx(values, abs=1e-12)
        assert meta["plateau"][name]["spread"] == pytest.approx(np.std(values, ddof=1), abs=1e-12)
    for seed in seeds:
        assert arrays[f"ed/{seed}/nn_correlation"][0] == arrays[f"ml/{seed}/nn_correlation"][0]
    ed = SDModel.from_preset("double-exchange", meta["L"], kT_el=meta["kT_el"])
    model = load_shipped(model_name).bind(ed.lattice)
    finals = np.stack([arrays[f"ed/{s}/final"] for s in seeds])
    errors = field_errors(finals, model.exchange_field(finals), ed.exchange_field(finals))
    assert arrays["accuracy/torque_relative"][-1] == pytest.approx(errors["torque_relative"], rel=1e-8)
    assert arrays["accuracy/field_relative"][-1] == pytest.approx(errors["field_relative"], rel=1e-8)
    own = np.stack([arrays[f"ml/{s}/final"] for s in seeds])  # the model on the end states of its own quenches
    errors = field_errors(own, model.exchange_field(own), ed.exchange_field(own))
    assert arrays["accuracy_own/torque_relative"][-1] == pytest.approx(errors["torque_relative"], rel=1e-8)
    # the mu-blind floor: ED at the late states' mean canonical mu against canonical ED, last record recomputed
    floor, mu_c = meta["fixed_mu"], arrays["fixed_mu/canonical_mu"]
    late = times > meta["early"] * times[-1]
    assert floor["mu"] == pytest.approx(mu_c[:, late].mean(), abs=1e-12)
    states = [ed.solve(s) for s in finals]
    assert mu_c[:, -1] == pytest.approx([state.mu for state in states], abs=1e-10)
    assert arrays["fixed_mu/fermi_gap"][:, -1] == pytest.approx([state.gap for state in states], abs=1e-10)
    at_mu = SDModel.from_preset("double-exchange", meta["L"], kT_el=meta["kT_el"], mu=floor["mu"])
    errors = field_errors(finals, at_mu.exchange_field(finals), ed.exchange_field(finals))
    assert arrays["accuracy_fixed_mu/torque_relative"][-1] == pytest.approx(errors["torque_relative"], rel=1e-8)
    # where the error sits: hole-rich sites of the last ED records apart, recomputed; the locality there
    holes = 1 - np.array([state.density for state in states])
    rich = holes > meta["holes"]["threshold"]
    reference, predicted = np.array([state.field for state in states]), model.exchange_field(finals)
    torque = np.cross(finals, reference)
    miss = np.sum((np.cross(finals, predicted) - torque) ** 2, axis=-1)
    assert arrays["holes/rich_fraction"][-1] == pytest.approx(rich.mean(), abs=1e-12)
    assert arrays["holes/rich"][-1] == pytest.approx(np.sqrt(miss[rich].mean() / 3) / torque.std(), rel=1e-8)
    assert arrays["holes/rest"][-1] == pytest.approx(np.sqrt(miss[~rich].mean() / 3) / torque.std(), rel=1e-8)
    reach = meta["hole_locality"]
    assert reach["radius"] == 2 * model.model.descriptor.cutoff and arrays["hole_locality/times"][-1] == times[-1]
    centres = np.argsort(holes[0])[-reach["n_centres"]:]  # seed 1 with the far spins of seed 2, last record
    share = field_locality(ed, finals[0], reach["radius"], centres=centres, environments=[finals[1]])
    assert arrays["hole_locality/rich"][0, -1] == pytest.approx(share, rel=1e-8)
    record_steps = np.round(times[:6] / meta["dt"]).astype(int)
    fresh = _quench_start(ed, ed.lattice, seeds[0], meta, record_steps)
    np.testing.assert_allclose(fresh.observables["nn_correlation"], arrays[f"ed/{seeds[0]}/nn_correlation"][:6],
                               atol=1e-10)
    # the physics: antiferromagnetic correlations grow, but the quench stops short of Néel order
    assert -0.99 < meta["plateau"]["ed"]["mean"] < -0.5
    assert meta["accuracy"]["late"]["field_relative"] < 0.05


@pytest.mark.parametrize("model_name, result", [("double-exchange", "de-arrest.npz"),
                                                ("double-exchange-al", "de-arrest-double-exchange-al.npz")])
def test_double_exchange_arrest_maps_holes_and_plateaus_are_recomputed(model_name, result):
    """``spinlab reproduce de-arrest``: C_i maps average to the recorded NN correlation, canonical KPM hole
    maps hold the filling's holes, hole-rich fractions and plateaus are those of the stored arrays, the
    droplet radius follows from μ_train, and the first records of seed 1 are recomputed with the model."""
    from spinlab.de_studies import late_times, plateau
    from spinlab.phase_separation import fm_hole_density, hole_rich_fraction

    arrays, meta = load_npz(DATA_DIR / result)
    assert meta["command"].startswith("spinlab reproduce de-arrest") and meta["L"] == 100
    assert (f"--model spinlab/models/{model_name}" in meta["command"]) == (model_name != "double-exchange")
    seeds, times = meta["seeds"], arrays["times"]
    assert len(seeds) >= 5 and arrays["map_correlation"].shape == (len(seeds), len(arrays["map_times"]), 100**2)
    at = np.searchsorted(times, arrays["map_times"])
    for seed, maps in zip(seeds, arrays["map_correlation"]):
        np.testing.assert_allclose(maps.mean(axis=1), arrays[f"{seed}/nn_correlation"][at], atol=1e-12)
    values = [plateau(times, arrays[f"{s}/nn_correlation"]) for s in seeds]
    assert meta["plateau"]["values"] == pytest.approx(values, abs=1e-12)
    late = late_times(times)
    counts = [arrays[f"{s}/fm_cluster_count"][late].mean() for s in seeds]
    assert meta["late_cluster_count"]["values"] == pytest.approx(counts, abs=1e-12)
    # canonical KPM holes: Σ h_i = N - N_e exactly (μ solved on the same moments); at μ_train the count is free
    np.testing.assert_allclose(arrays["map_holes"].sum(axis=1), meta["holes_expected"], atol=1e-6)
    np.testing.assert_allclose(arrays["map_holes_at_mu"].sum(axis=1),
                               arrays["hole_count_at_mu"][np.searchsorted(arrays["texture_times"], arrays["map_times"])])
    at_textures = np.searchsorted(arrays["texture_times"], arrays["map_times"])
    np.testing.assert_allclose([hole_rich_fraction(h) for h in arrays["map_holes"]],
                               arrays["hole_rich/canonical"][at_textures], atol=0)
    mu = meta["mu_train"]["mean"]
    radius = np.sqrt(meta["holes_expected"] / (np.pi * fm_hole_density(mu, 6.0)))
    assert meta["droplet"]["radius"] == pytest.approx(radius, rel=1e-12)
    assert arrays["droplet_correlation"].mean() == pytest.approx(meta["droplet"]["nn_correlation"], abs=1e-12)
    lattice = get_preset("double-exchange").lattice(meta["L"])
    record_steps = np.round(times[:4] / meta["dt"]).astype(int)
    fresh = _quench_start(load_shipped(model_name).bind(lattice), lattice, seeds[0], meta, record_steps)
    np.testing.assert_allclose(fresh.observables["nn_correlation"], arrays[f"{seeds[0]}/nn_correlation"][:4],
                               atol=1e-10)
    # the physics: an antiferromagnetic background short of Néel order, with FM clusters in it
    assert -0.99 < meta["plateau"]["mean"] < -0.5
    assert np.all(arrays["map_correlation"] <= 1 + 1e-12) and np.all(arrays["map_correlation"] >= -1 - 1e-12)


def test_data_contract_driven_strip_model_records_its_command_and_held_out_accuracy():
    """Recomputed in part by ``test_driven_strip_potentials_are_recomputed_from_the_shipped_model``."""
    meta = json.loads(shipped_path("driven-strip").with_suffix(".json").read_text())
    assert meta["command"].startswith("spinlab reproduce strip-potentials")
    assert meta["hyperparameters"]["outputs"] == "two-potential"
    held = meta["report"]["two-potential"]["held-out bias"]  # the report holds the conservative model's too
    assert held["bulk"]["torque_relative"] < STRIP_BULK_TORQUE, held
    conservative = json.loads(shipped_path("driven-strip-conservative").with_suffix(".json").read_text())
    assert conservative["command"] == meta["command"] and conservative["hyperparameters"]["outputs"] == "energy"


def test_driven_strip_potentials_are_recomputed_from_the_shipped_model():
    """``spinlab reproduce strip-potentials``: the shipped model is the one the study measured; a held-out NEGF
    label, the model's U/W split, its even part under S -> -S and its loop work are recomputed; under bias
    the NEGF loop work dwarfs its zero-bias value and the conservative model has no even part."""
    from spinlab.strip_data import StripPlan
    from spinlab.torques import loop_work, time_reversal_even_part

    arrays, meta = load_npz(DATA_DIR / "strip-potentials.npz")
    assert meta["command"].startswith("spinlab reproduce strip-potentials")
    model = load_shipped("driven-strip")
    assert model.fingerprint() == meta["models"]["two-potential"]
    assert load_shipped("driven-strip-conservative").fingerprint() == meta["models"]["conservative"]
    plan = StripPlan(**meta["plan"])
    lattice, bias = plan.lattice, tuple(meta["bias"])
    np.testing.assert_allclose(arrays["sample/bias"], np.tile(bias, (len(arrays["sample/bias"]), 1)))
    np.testing.assert_allclose(plan.model(bias[1]).exchange_field(arrays["sample/spins"][0]),
                               arrays["sample/fields"][0], atol=1e-8)
    parts = model.field_parts(arrays["split/spins"], lattice=lattice, bias=bias)
    for part in ("U", "W"):
        np.testing.assert_allclose(parts[part], arrays[f"split/{part}"], atol=1e-10)
    provider = model.bind(lattice, bias=bias)
    # the study's even-part snapshots are the sample's (three, evenly over the held-out bias)
    np.testing.assert_allclose(time_reversal_even_part(provider, arrays["sample/spins"][-1]),
                               arrays["even/two-potential"][-1], atol=1e-10)
    work = meta["loop_work"]
    assert loop_work(provider, arrays["loop/spins"], work["site"], work["cone"], work["steps"]) == pytest.approx(
        work["two-potential"], rel=1e-8, abs=1e-14)
    # the physics: a nonconservative NEGF field, which the conservative model cannot carry
    assert abs(work["negf"]) > 1e3 * abs(work["negf_zero_bias"])
    assert meta["even_part"]["conservative"]["rms"] < 1e-10 * meta["even_part"]["negf_rms"]


def test_strip_locality_is_recomputed_from_the_states_it_keeps():
    """``spinlab reproduce strip-locality``: one far-spin change of a metallic centre is recomputed by NEGF from the
    stored last states, the floors and their metal / insulator split from the stored changes, the centres'
    phase from the states; the models measured are the shipped ones.  The physics: at R = 2 r_c = 4.6 the NEGF
    torque at a typical insulating centre forgets the far spins, at a metallic one it does not."""
    from spinlab.electrons import far_torque_changes
    from spinlab.metrics import split_torque_error
    from spinlab.observables import local_correlation
    from spinlab.strip_locality import StripLocalityPlan

    arrays, meta = load_npz(DATA_DIR / "strip-locality.npz")
    assert meta["command"].startswith("spinlab reproduce strip-locality")
    for name, shipped in (("two-potential", "driven-strip"), ("conservative", "driven-strip-conservative")):
        assert load_shipped(shipped).fingerprint() == meta["models"][name]
    plan = StripLocalityPlan(**meta["plan"])
    changes, metal, centres, spins = arrays["changes"], arrays["metal"], arrays["centres"], arrays["check/spins"]
    for s in range(len(plan.seeds)):
        assert np.array_equal(local_correlation(plan.lattice, spins[s])[centres[s, -1]] > 0, metal[s, -1])
    r = plan.radii.index(2 * load_shipped("driven-strip").descriptor.cutoff)
    c = int(np.argmax(metal[0, -1]))  # a metallic centre if there is one
    negf = plan.electrons(plan.lattice, plan.mu_left, plan.mu_right)
    again = far_torque_changes(negf, spins[0], spins[1], [centres[0, -1, c]], [plan.radii[r]])
    np.testing.assert_allclose(again[0, 0], changes[0, -1, r, c], atol=1e-8)
    for k, radius in enumerate(plan.radii):
        part = split_torque_error(changes[:, :, k], metal, meta["spread"])
        stored = meta["floor"][f"{radius:g}"]
        assert stored["all"] == pytest.approx(part["all"], rel=1e-10)
        assert stored["metal"] == pytest.approx(part["inside"], rel=1e-10)
        assert stored["insulator"] == pytest.approx(part["outside"], rel=1e-10)
    # a typical insulating centre forgets the far spins, a typical metallic one does not (a few insulating
    # centres next to the metal feel it: the insulators' mean is not small)
    insulator, metallic = (np.median(np.linalg.norm(changes[:, :, r][mask], axis=-1)) for mask in (~metal, metal))
    assert insulator < 0.02 * meta["spread"] and metallic > 10 * insulator, (insulator, metallic)
