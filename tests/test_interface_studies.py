"""The interface-motion study: its plan, its resumable runs and their reduction (spinlab.interface_studies)."""

import numpy as np
import pytest

from spinlab.interface_studies import (InterfacePlan, InterfaceRun, front_velocity, fm_density, interface_summary,
                                       run_interface, spot_checks, _agreement, _run_row)
from spinlab.lattice import Strip
from spinlab.models import load_shipped
from spinlab.spins import ferromagnet, neel

TINY = dict(Lx=8, Ly=6, seeds=(0, 1), controls=(-3.6,), control_seeds=(0,), sweep=(-3.2,), sweep_seeds=(0,),
            large=((12, 6),), large_seeds=(0,), steps=8, records=4)


@pytest.fixture(scope="module")
def models():
    return {"two-potential": load_shipped("driven-strip"), "conservative": load_shipped("driven-strip-conservative")}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, models):
    plan = InterfacePlan(**TINY)
    work = tmp_path_factory.mktemp("interface")
    for spec in plan.runs():
        run_interface(plan, spec, models, work, progress=False)
    return plan, work


def test_runs_with_one_seed_share_their_start_whatever_the_engine_and_bias():
    plan = InterfacePlan()
    a = plan.start(InterfaceRun("default", "negf", 32, 24, -3.6, -3.28, 3))
    b = plan.start(InterfaceRun("controls", "two-potential", 32, 24, -3.6, -3.6, 3))
    c = plan.start(InterfaceRun("default", "negf", 32, 24, -3.6, -3.28, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    x = Strip(32, 24).coords[:, 0]
    staggered = np.einsum("ic,ic->i", a, neel(Strip(32, 24)))
    assert staggered[x < 29].min() > 0.5  # thermal Néel ...
    assert staggered[x >= 29].min() < 0  # ... with the three columns at the right lead disturbed


def test_plan_lists_controls_default_sweep_and_large_runs_models_first():
    plan = InterfacePlan()
    runs = plan.runs()
    count = {g: sum(r.group == g for r in runs) for g in ("controls", "default", "sweep", "large")}
    assert count == {"controls": 3 * 2 * 2, "default": 3 * 5, "sweep": 3 * 3 * 2, "large": 2 * 2}
    controls = [r for r in runs if r.group == "controls"]
    assert all(r.mu_left == r.mu_right for r in controls)
    assert [r.engine == "negf" for r in controls] == sorted(r.engine == "negf" for r in controls)
    assert {r.mu_right for r in runs if r.group == "sweep"} == {-3.45, -3.35, -3.2}
    assert {r.engine for r in runs if r.group == "large"} == {"two-potential"}
    large = next(r for r in runs if r.Lx == 128)
    assert plan.steps_of(large) == 4 * plan.steps and len({r.name for r in runs}) == len(runs)
    assert [r.group for r in plan.runs(["default"])] == ["default"] * 15


@pytest.mark.parametrize("bad, message", [(dict(engines=("dft",)), "unknown engines"),
                                          (dict(groups=("all",)), "unknown groups"),
                                          (dict(integrator="euler"), "integrator must be"),
                                          (dict(steps=50, records=40), "multiple of records"),
                                          (dict(seeds=()), "at least one seed"),
                                          (dict(disturbed=40), "exceeds the strip"),
                                          (dict(Gamma=0.0), "Gamma = 0")])
def test_plan_refuses_bad_input_with_one_line(bad, message):
    with pytest.raises(ValueError, match=message):
        InterfacePlan(**bad)


def test_front_velocity_recovers_a_uniform_motion_over_its_window():
    t = np.linspace(0, 100, 41)
    x = np.where(t < 50, 30 - 0.2 * t, 20.0)  # moves, then stops
    assert front_velocity(t, x, (0, 50)) == pytest.approx(-0.2)
    assert front_velocity(t, x, (50, 100)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="fewer than two records"):
        front_velocity(t, x, (1.0, 2.0))


def test_run_row_sees_a_decelerating_front_and_the_current_jump_at_the_bridge():
    times = np.linspace(0, 100, 21)
    x = 31 - 8 * np.sqrt(times / 100) * 3  # decelerating, from 31 to 7
    profile = np.where(np.arange(32)[None, :] > x[:, None], 0.9, -1.0)
    profile[times >= 80] = 0.9  # the metal bridges the leads at t = 80
    current = np.where(times >= 80, -0.3, -1e-6)
    spec = InterfaceRun("default", "negf", 32, 24, -3.6, -3.28, 0)
    row = _run_row(spec, {"times": times, "x_right": x, "x_left": np.zeros_like(x), "fm_fraction": x / 32,
                          "profile": profile, "current": current})
    assert row["v_right"] < row["v_right_late"] < 0  # slower in the second half
    assert row["t_bridge"] == 80.0
    assert row["current_before_bridge"] == pytest.approx(1e-6) and row["current_after_bridge"] == pytest.approx(0.3)
    never = _run_row(spec._replace(engine="two-potential"), {"times": times, "x_right": x, "x_left": 0 * x,
                                                              "fm_fraction": x / 32, "profile": -np.ones((21, 32))})
    assert never["t_bridge"] is None and "current_before_bridge" not in never


def test_fm_density_averages_over_the_ferromagnetic_sites_only():
    strip = Strip(8, 4)
    spins = neel(strip)
    fm = strip.coords[:, 0] >= 5
    spins[fm] = [0.0, 0.0, 1.0]
    density = np.where(fm, 0.62, 1.0)
    assert fm_density(strip, spins, density) == pytest.approx(0.62)
    assert np.isnan(fm_density(strip, neel(strip), density))
    assert fm_density(strip, ferromagnet(strip), density) == pytest.approx(density.mean())


def test_agreement_is_zero_for_a_model_that_reproduces_negf_and_grows_with_the_offset():
    plan = InterfacePlan(Lx=8, Ly=4)
    rng = np.random.default_rng(0)
    negf = [{q: rng.normal(size=5) for q in ("x_right", "x_left", "fm_fraction")} for _ in range(3)]
    runs = {InterfaceRun("default", "negf", 8, 4, -3.6, -3.28, k): s for k, s in enumerate(negf)}
    runs.update({InterfaceRun("default", "two-potential", 8, 4, -3.6, -3.28, k): s for k, s in enumerate(negf)})
    shifted = [{q: v + 1.0 for q, v in s.items()} for s in negf]
    runs.update({InterfaceRun("default", "conservative", 8, 4, -3.6, -3.28, k): s for k, s in enumerate(shifted)})
    z = _agreement(plan, runs)
    assert z["two-potential"]["x_right"]["max"] == 0.0
    spread = np.stack([s["x_right"] for s in negf]).std(axis=0)
    assert z["conservative"]["x_right"]["max"] == pytest.approx((1.0 / np.maximum(spread, 0.08)).max())


def test_runs_continue_instead_of_starting_again(tiny_study, models):
    plan, work = tiny_study
    spec = plan.runs(["default"])[0]
    before = (work / spec.name / "index.json").read_text()
    store = run_interface(plan, spec, models, work, progress=False)
    assert store.finished and (work / spec.name / "index.json").read_text() == before


def test_negf_runs_carry_no_current_without_bias_and_one_with_it(tiny_study):
    plan, work = tiny_study
    arrays, summary = interface_summary(plan, work, density_times=(1.0, 4.0))
    control = next(r["name"] for r in summary["runs"] if r["group"] == "controls" and r["engine"] == "negf")
    biased = next(r["name"] for r in summary["runs"] if r["group"] == "default" and r["engine"] == "negf")
    assert np.abs(arrays[f"{control}/current"]).max() < 1e-10
    assert np.abs(arrays[f"{biased}/current"]).min() > 1e-8
    # the electrons flow from the higher-mu (right) lead to the left: out of the strip on the left
    assert np.all(arrays[f"{biased}/current"] < 0)


def test_summary_holds_every_run_its_groups_and_the_ml_textures_negf_densities(tiny_study):
    plan, work = tiny_study
    arrays, summary = interface_summary(plan, work, density_times=(1.0, 4.0))
    assert len(summary["runs"]) == len(plan.runs())
    assert set(summary["agreement"]) == {"two-potential", "conservative"}
    for engine in ("negf", "two-potential", "conservative"):
        density = arrays[f"snapshots/{engine}/density"]
        assert density.shape == (2, 48) and np.all((density > 0) & (density < 2))
    # a model-driven texture's density is NEGF's of that texture
    spins = arrays["snapshots/two-potential/spins"][1]
    negf = plan.negf(plan.runs(["default"])[0])
    np.testing.assert_allclose(negf.solve(spins).density, arrays["snapshots/two-potential/density"][1], atol=1e-12)
    key = next(k for k in summary["groups"] if k.startswith("default/negf"))
    assert len(summary["groups"][key]["v_right"]["values"]) == len(plan.seeds)


def test_unfinished_runs_are_named_when_summarized(tmp_path):
    plan = InterfacePlan(**TINY)
    with pytest.raises(ValueError, match="is not in"):
        interface_summary(plan, tmp_path)


def test_spot_checks_compare_the_model_with_negf_on_a_large_strip(tiny_study, models):
    plan, work = tiny_study
    arrays, rows = spot_checks(plan, work, models["two-potential"], (12, 6), margin=2)
    assert arrays["spot/spins"].shape == (3, 72, 3) and len(rows) == 3
    assert all(0 < row["torque_relative"] < 2 for row in rows)
