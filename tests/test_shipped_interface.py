"""Re-validate the shipped interface-motion results (``spinlab reproduce interface-motion``, chapter 12).

Each test recomputes part of the file: a whole model-driven run from its seed, NEGF densities and the current
of stored NEGF states, the fronts and velocities from the stored profiles, the ML-NEGF agreement and the spot
checks of the large strip.  A stale or hand-edited file fails.
"""

import numpy as np
import pytest

from spinlab.data import DATA_DIR
from spinlab.interface import front_position
from spinlab.interface_studies import InterfacePlan, InterfaceRun, _agreement, _run_row, fm_density, run_interface
from spinlab.io import load_npz
from spinlab.metrics import field_errors
from spinlab.models import load_shipped
from spinlab.observables import local_correlation
from spinlab.spins import transverse

ARRAYS, META = load_npz(DATA_DIR / "interface-motion.npz")
PLAN = InterfacePlan(**META["plan"])
RUNS = {row["name"]: row for row in META["runs"]}


def _spec(row) -> InterfaceRun:
    return InterfaceRun(*(row[f] for f in InterfaceRun._fields))


def _series(name) -> dict:
    keys = ("times", "x_right", "x_left", "fm_fraction", "m", "profile", "current")
    return {k: ARRAYS[f"{name}/{k}"] for k in keys if f"{name}/{k}" in ARRAYS}


def test_results_hold_every_run_of_their_plan_and_were_made_by_the_command():
    assert META["command"].startswith("spinlab reproduce interface-motion")
    assert sorted(RUNS) == sorted(spec.name for spec in PLAN.runs())
    for name in RUNS:
        assert len(ARRAYS[f"{name}/times"]) == PLAN.records + 1


def test_a_model_driven_run_is_recomputed_from_its_seed(tmp_path):
    spec = next(s for s in PLAN.runs(["default"]) if s.engine == "two-potential")
    models = {"two-potential": load_shipped("driven-strip")}
    assert models["two-potential"].fingerprint() == META["models"]["two-potential"]
    store = run_interface(PLAN, spec, models, tmp_path, progress=False)
    np.testing.assert_allclose(np.asarray(store.observables["profile"]), ARRAYS[f"{spec.name}/profile"], atol=1e-8)
    np.testing.assert_allclose(np.asarray(store.observables["fm_fraction"]), ARRAYS[f"{spec.name}/fm_fraction"])


def test_fronts_velocities_and_agreement_are_recomputed_from_the_stored_series():
    series = {}
    for name, row in RUNS.items():
        s = _series(name)
        for lead in ("right", "left"):
            np.testing.assert_allclose([front_position(p, lead) for p in s["profile"]], s[f"x_{lead}"], atol=1e-12)
        again = _run_row(_spec(row), s)
        for key, value in again.items():
            assert value == (pytest.approx(row[key], abs=1e-12) if isinstance(value, float) else row[key]), key
        series[_spec(row)] = s
    agreement = _agreement(PLAN, series)
    for engine, qs in META["agreement"].items():
        for q, z in qs.items():
            assert agreement[engine][q]["rms"] == pytest.approx(z["rms"], rel=1e-12)


def test_stored_negf_states_give_their_densities_and_current_again():
    spec = next(s for s in PLAN.runs(["default"]) if s.engine == "negf" and s.seed == PLAN.seeds[0])
    negf = PLAN.negf(spec)
    spins, times = ARRAYS["snapshots/negf/spins"][0], ARRAYS["snapshots/negf/times"][0]
    np.testing.assert_allclose(negf.solve(spins).density, ARRAYS["snapshots/negf/density"][0], atol=1e-9)
    k = int(np.flatnonzero(ARRAYS[f"{spec.name}/times"] == times)[0])
    assert negf.current(spins) == pytest.approx(ARRAYS[f"{spec.name}/current"][k], rel=1e-9, abs=1e-15)
    lattice = spec.lattice
    for engine, values in META["fm_density"].items():
        snapshots = zip(ARRAYS[f"snapshots/{engine}/spins"], ARRAYS[f"snapshots/{engine}/density"],
                        ARRAYS[f"snapshots/{engine}/correlation"], values)
        for s, n, c, value in snapshots:
            np.testing.assert_allclose(local_correlation(lattice, s), c, atol=1e-12)
            assert fm_density(lattice, s, n) == pytest.approx(value, nan_ok=True)


def test_without_bias_no_current_flows_and_under_bias_electrons_enter_from_the_right():
    for name, row in RUNS.items():
        if row["engine"] != "negf":
            continue
        current = ARRAYS[f"{name}/current"]
        if row["mu_left"] == row["mu_right"]:
            assert np.abs(current).max() < 1e-10, name
        else:
            assert np.all(current < 0), name  # out of the strip into the right lead: negative


def test_spot_checks_of_the_large_strip_are_recomputed():
    model = load_shipped("driven-strip")
    size = tuple(PLAN.large[0])
    spec = next(s for s in PLAN.runs(["large"]) if (s.Lx, s.Ly) == size)
    spins, reference = ARRAYS["spot/spins"], ARRAYS["spot/negf"]
    predicted = model.predict_fields(spins, lattice=spec.lattice, bias=(spec.mu_left, spec.mu_right))
    x = spec.lattice.coords[:, 0]
    bulk = (x >= 5) & (x <= spec.Lx - 6)
    for k, row in enumerate(META["spot_checks"]):
        errors = field_errors(spins[k:k + 1, bulk], predicted[k:k + 1, bulk], reference[k:k + 1, bulk])
        assert errors["torque_relative"] == pytest.approx(row["torque_relative"], rel=1e-8)
    # the NEGF labels are transverse fields of the stored spins
    np.testing.assert_allclose(transverse(spins, reference), reference, rtol=0, atol=1e-12)
