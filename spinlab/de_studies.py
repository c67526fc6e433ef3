"""The double-exchange runs behind chapters 9 and 10 (the PRL, physics.md §2.2; Figs. 8-10).

* :func:`benchmark_quenches` — ED- and ML-driven quenches on the training lattice from the same random
  states: the phase-separation observables against time for both (Fig. 8);
* :func:`arrest_quenches` — ML-driven quenches on a large lattice, seeds and a Langevin control, with
  the textures at chosen times (Figs. 9-10);
* :func:`relaxed_droplet` — one FM droplet in a Néel background, relaxed: the state of complete phase
  separation the arrested texture is compared with;
* :func:`fixed_mu_errors` — how far the canonical fields of quench states are from those at one fixed
  chemical potential: the error floor of a field that does not know the state's global μ;
* :func:`errors_at_holes` and :func:`hole_site_locality` — the model's torque error on the hole-rich
  sites of quench states and on the rest, and how far the exact field reaches at each;
* :func:`plateau` — the late-time mean of an observable over the last half-decade of time.

Every quench is damped LL dynamics (α = 0.5) from ``random_spins(N, seed)`` at T = 0 spins unless a
Langevin temperature is given, recorded at log-spaced steps; with ``work`` a folder every run streams
into its own store there and an interrupted study continues where it stopped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .dynamics import SemiImplicitMidpoint
from .electrons import KPMModel, SDModel
from .electrons.kpm import largest_distance
from .electrons.locality import field_locality
from .metrics import field_errors, split_torque_error
from .observables import local_correlation
from .phase_separation import HOLE_RICH, fm_droplet, hole_density, phase_separation_observables
from .presets import get_preset
from .spins import random_spins
from .trajectory import run

__all__ = ["log_record_steps", "phase_separation_quench", "benchmark_quenches", "arrest_quenches",
           "relaxed_droplet", "fixed_mu_errors", "errors_at_holes", "hole_site_locality", "late_times", "plateau",
           "training_chemical_potential", "kpm_hole_densities", "OBSERVABLES"]

#: The recorded observables (keys of :func:`~spinlab.phase_separation.phase_separation_observables`).
OBSERVABLES = ("nn_correlation", "fm_bond_fraction", "fm_cluster_count", "fm_cluster_mean_size")


def log_record_steps(steps: int, n_records: int) -> np.ndarray:
    """Step 0 and about ``n_records`` log-spaced steps up to ``steps`` (distinct, increasing)."""
    return np.unique(np.concatenate([[0], np.round(np.geomspace(1, steps, n_records)).astype(int)]))


def phase_separation_quench(provider, lattice, steps: int, *, seed: int, dt: float = 0.05, alpha: float = 0.5,
                            kT: float = 0.0, n_records: int = 60, maps_at=(), store=None,
                            keep_spins: bool = False, progress: bool = True) -> dict:
    """One quench from ``random_spins(N, seed)`` driven by ``provider`` (ED, KPM or a bound model).

    Returns ``times``, the :data:`OBSERVABLES` at every record (about ``n_records`` log-spaced ones plus
    the steps nearest to ``maps_at``), the spins there (``map_spins`` at ``map_times``) and the
    ``final`` spins, and with ``keep_spins`` the spins of every record (``spins``).  With ``kT > 0``
    Langevin noise is drawn from ``seed`` after the start.
    """
    rng = np.random.default_rng(seed)
    map_steps = np.clip(np.round(np.asarray(maps_at, float) / dt).astype(int), 0, steps)
    record_steps = np.union1d(log_record_steps(steps, n_records), map_steps)
    trajectory = run(random_spins(lattice.n_sites, rng), provider, SemiImplicitMidpoint(dt, alpha, kT=kT), steps,
                     record_steps=record_steps, observables=phase_separation_observables(lattice), store=store,
                     seed=rng, progress=progress)
    times = np.asarray(trajectory.times)
    at = np.searchsorted(record_steps, np.unique(map_steps))
    out = {"times": times, "final": np.asarray(trajectory.final_spins),
           "map_times": times[at], "map_spins": np.array([trajectory.spins_at(k) for k in at])}
    out.update({k: np.asarray(trajectory.observables[k], float) for k in OBSERVABLES})
    if keep_spins:
        out["spins"] = np.asarray(trajectory.spins)
    return out


def late_times(times, decades: float = 0.5) -> np.ndarray:
    """Mask of the records in the last ``decades`` of time (t >= t_end / 10**decades)."""
    times = np.asarray(times, float)
    return times >= times[-1] / 10**decades


def plateau(times, values, decades: float = 0.5) -> float:
    """Mean of ``values`` over the last ``decades`` of time (:func:`late_times`)."""
    return float(np.asarray(values, float)[late_times(times, decades)].mean())


def _spread(values) -> dict:
    values = np.asarray(values, float)
    return {"mean": float(values.mean()), "spread": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "values": [float(v) for v in values]}


def benchmark_quenches(model, L: int, seeds, steps: int, *, kT_el: float = 0.005, dt: float = 0.05,
                       alpha: float = 0.5, n_records: int = 60, early: float = 0.1, n_parity: int = 3000,
                       locality_radius: float | None = None, work=None, progress: bool = True):
    """ED- and ML-driven quenches on an L x L lattice from the same random states, and the model's
    accuracy along the ED trajectories (held-out whole trajectories when the seeds are not the
    training set's).  With ``work`` every run streams to a resumable store there; the ED runs do not
    depend on the model, so a second model benchmarked in the same folder reuses them.

    ED is quasi-canonical at ``kT_el`` (the electrons of the training data); the model is bound to
    the same lattice.  Returns ``(arrays, summary)``: per method and seed the observables against
    ``times``; per ED record the model's field and torque errors relative to the spread (``accuracy/*``);
    ``n_parity`` random (ED, ML) pairs of torque and field components from the records after the first
    ``early`` of the time (``parity/*``); the same on the states of the model's own quenches
    (``accuracy_own/*``, ``parity_own/*``), where ML-driven dynamics may leave the states it was
    trained on.  The summary holds the NN-correlation plateau of each seed with its mean and spread,
    and both errors before and after ``early`` t_max (``accuracy``, ``accuracy_own``).  Beside them,
    :func:`fixed_mu_errors` on the ED states (``fixed_mu``, ``accuracy_fixed_mu/*``): the error of
    fields that do not know each state's global μ, which no local model can beat by locality alone.
    Where on the ED states the torque error sits: :func:`errors_at_holes` (``holes/*``, summary
    ``holes``) and :func:`hole_site_locality` at ``locality_radius`` (default 2 r_c of the model's
    descriptor, the farthest spin its field can see; ``hole_locality/*``, summary ``hole_locality``).
    """
    ed = SDModel.from_preset("double-exchange", L, kT_el=kT_el)
    lattice = ed.lattice
    providers = {"ed": ed, "ml": model.bind(lattice)}
    arrays, summary = {}, {"L": L, "seeds": [int(s) for s in seeds], "steps": steps, "dt": dt, "alpha": alpha,
                           "kT_el": kT_el, "plateau": {}, "early": early}
    runs = [(name, seed) for seed in seeds for name in providers]
    states = {name: [] for name in providers}
    for name, seed in tqdm(runs, desc=f"ED vs ML quenches {L}x{L}", disable=not progress):
        # the model's runs are named by its fingerprint, so models compared in one folder share the ED runs
        tag = "ed" if name == "ed" else f"ml-{model.fingerprint()}"
        store = None if work is None else Path(work) / f"benchmark-{tag}-L{L}-seed{seed}"
        result = phase_separation_quench(providers[name], lattice, steps, seed=seed, dt=dt, alpha=alpha,
                                         n_records=n_records, store=store, keep_spins=True, progress=False)
        arrays["times"] = result["times"]
        arrays[f"{name}/{seed}/final"] = result["final"]
        for key in OBSERVABLES:
            arrays[f"{name}/{seed}/{key}"] = result[key]
        states[name].append(result["spins"])
    for name in providers:
        summary["plateau"][name] = _spread([plateau(arrays["times"], arrays[f"{name}/{s}/nn_correlation"])
                                            for s in seeds])
    # the ED states are solved once: their fields judge the model and their μ_c feed fixed_mu_errors
    ed_states = np.stack(states["ed"])
    solved = [[ed.solve(s) for s in run_] for run_ in ed_states]
    references = {"ed": np.array([[state.field for state in run_] for run_ in solved]),
                  "ml": np.stack([ed.exchange_field(run_) for run_ in states["ml"]])}
    predictions = {name: np.stack([providers["ml"].exchange_field(run_) for run_ in states[name]])
                   for name in providers}
    for tag, name in (("", "ed"), ("_own", "ml")):
        arrays_acc, summary[f"accuracy{tag}"] = _accuracy_along(np.stack(states[name]), predictions[name],
                                                                references[name], arrays["times"], early,
                                                                n_parity, tag=tag)
        arrays.update(arrays_acc)
    arrays_mu, summary["fixed_mu"] = fixed_mu_errors(ed_states, arrays["times"], kT_el=kT_el, early=early,
                                                     solved=solved)
    arrays.update(arrays_mu)
    late = arrays["times"] > early * arrays["times"][-1]
    arrays_holes, summary["holes"] = errors_at_holes(ed_states, predictions["ed"], solved, late)
    arrays.update(arrays_holes)
    radius = 2 * model.descriptor.cutoff if locality_radius is None else locality_radius
    arrays_reach, summary["hole_locality"] = hole_site_locality(ed_states, arrays["times"], solved, radius,
                                                                kT_el=kT_el, early=early, progress=progress)
    arrays.update(arrays_reach)
    return arrays, summary


def _accuracy_along(spins, predicted, reference, times, early: float, n_parity: int, seed: int = 0, tag: str = ""):
    """The model's errors along trajectories ``spins`` (seeds, records, N, 3) recorded at ``times``:
    its fields ``predicted`` against the ``reference`` fields, per record (``accuracy{tag}/*``), and
    parity samples (``parity{tag}/*``)."""
    late = times > early * times[-1]
    arrays, summary = _errors_by_stage(spins, predicted, reference, late, f"accuracy{tag}")
    torque_ref, torque_ml = np.cross(spins[:, late], reference[:, late]), np.cross(spins[:, late], predicted[:, late])
    pick = np.random.default_rng(seed).choice(torque_ref.size, size=min(n_parity, torque_ref.size), replace=False)
    pairs = {"torque": (torque_ref, torque_ml), "field": (reference[:, late], predicted[:, late])}
    arrays.update({f"parity{tag}/{kind}_{method}": values.ravel()[pick]
                   for kind, both in pairs.items() for method, values in zip(("ed", "ml"), both)})
    return arrays, summary


def _errors_by_stage(spins, predicted, reference, late, prefix: str):
    """Relative field and torque errors of ``predicted`` against ``reference`` on states (seeds, records,
    N, 3): per record (``{prefix}/field_relative``, ``{prefix}/torque_relative``) and over all, the
    early (``~late``) and the ``late`` records."""
    by_record = [field_errors(spins[:, k], predicted[:, k], reference[:, k]) for k in range(spins.shape[1])]
    arrays = {f"{prefix}/{key}": np.array([e[key] for e in by_record]) for key in ("field_relative", "torque_relative")}
    summary = {"all": field_errors(spins, predicted, reference),
               "early": field_errors(spins[:, ~late], predicted[:, ~late], reference[:, ~late]),
               "late": field_errors(spins[:, late], predicted[:, late], reference[:, late])}
    return arrays, summary


def fixed_mu_errors(spins, times, *, kT_el: float = 0.005, early: float = 0.1, solved=None):
    """Canonical ED fields of double-exchange states against ED fields at one fixed chemical potential:
    the part of the field that depends on the state's global μ.

    At fixed N_e each state has its own chemical potential μ_c, a global quantity (the level that holds
    exactly N_e electrons).  A local model cannot know it: at best it learns the fields at some typical
    μ.  This compares, on the states ``spins`` (seeds, records, N, 3) recorded at ``times``, the
    quasi-canonical fields with the grand-canonical ones at μ̄, the mean μ_c of the records after the
    first ``early`` of the time (both at ``kT_el``).  At μ = μ_c the two ensembles give the same field,
    so every difference comes from μ_c - μ̄; where μ̄ falls into the level spacing at the Fermi level
    around μ_c, several kT_el from its edges, the fields agree to rounding.

    Returns ``(arrays, summary)``: μ_c and that spacing per record (``fixed_mu/canonical_mu``,
    ``fixed_mu/fermi_gap``, seeds x records) and the
    errors of the fixed-μ fields relative to the canonical spread per record
    (``accuracy_fixed_mu/{field,torque}_relative``); the summary holds μ̄, the spread of μ_c over the
    late records and the errors before, after and over all ``times`` (``all``, ``early``, ``late``).
    ``solved``, the quasi-canonical solutions of ``spins`` at ``kT_el`` (seeds x records), if at hand.
    """
    spins = np.asarray(spins, float)
    L = int(round(np.sqrt(spins.shape[2])))
    if solved is None:
        canonical = SDModel.from_preset("double-exchange", L, kT_el=kT_el)
        solved = [[canonical.solve(s) for s in run_] for run_ in spins]
    mu_c = np.array([[state.mu for state in run_] for run_ in solved])
    gap = np.array([[state.gap for state in run_] for run_ in solved])
    reference = np.array([[state.field for state in run_] for run_ in solved])
    late = times > early * times[-1]
    mu_bar = float(mu_c[:, late].mean())
    at_mu_bar = SDModel.from_preset("double-exchange", L, kT_el=kT_el, mu=mu_bar)
    fixed = np.stack([at_mu_bar.exchange_field(run_) for run_ in spins])
    arrays, errors = _errors_by_stage(spins, fixed, reference, late, "accuracy_fixed_mu")
    arrays.update({"fixed_mu/canonical_mu": mu_c, "fixed_mu/fermi_gap": gap})
    return arrays, dict({"mu": mu_bar, "spread": float(mu_c[:, late].std())}, **errors)


def errors_at_holes(spins, predicted, solved, late, threshold: float = HOLE_RICH):
    """The model's torque error split by site: the hole-rich sites of each state and the rest.

    On states ``spins`` (seeds, records, N, 3) with predicted fields ``predicted`` and the ED
    solutions ``solved`` (seeds x records), a site is hole-rich where its hole density 1 - n_i
    exceeds ``threshold``.  Each part is the rms error of the torque components S × H on its sites,
    divided by the standard deviation of all torque components of the same records, so the parts
    add up: f e_rich² + (1 - f) e_rest² = e², with f the share of hole-rich sites and e the
    ``torque_relative`` of :func:`~spinlab.metrics.field_errors`.

    Returns ``(arrays, summary)``: per record the share of hole-rich sites and both errors
    (``holes/rich_fraction``, ``holes/rich``, ``holes/rest``; NaN where a record has no such
    site), and over the ``late`` records the same with ``rich_share``, the hole-rich sites' share of
    the squared error.
    """
    holes = 1 - np.array([[state.density for state in run_] for run_ in solved])
    reference = np.array([[state.field for state in run_] for run_ in solved])
    torque = np.cross(spins, reference)
    error = np.cross(spins, predicted) - torque

    def split(records):
        part = split_torque_error(error[:, records], holes[:, records] > threshold, torque[:, records].std())
        return {"rich": part["inside"], "rest": part["outside"], "rich_fraction": part["fraction"],
                "rich_share": part["share"]}

    by_record = [split(k) for k in range(spins.shape[1])]
    arrays = {f"holes/{key}": np.array([r[key] for r in by_record], float) for key in ("rich_fraction", "rich", "rest")}
    return arrays, dict(split(np.asarray(late)), threshold=threshold)


def hole_site_locality(spins, times, solved, radius: float, *, kT_el: float = 0.005, early: float = 0.1,
                       n_centres: int = 6, every: int = 2, progress: bool = False):
    """How much of the exact torque at hole-rich and at hole-poor sites of late quench states comes from
    spins farther than ``radius``, at fixed N_e and at fixed μ.

    For every ``every``-th record after the first ``early`` of the time (counted back from the last),
    the state of each seed has its spins beyond ``radius`` of a centre replaced by those of the next
    seed's state at the same time
    (:func:`~spinlab.electrons.locality.field_locality`, the last seed takes the first's).  The centres
    are the ``n_centres`` sites of highest hole density (``rich``) and as many sites spread over the
    hole-poorer half (``rest``).  The electrons hold N_e at ``kT_el``, and a second time sit at a fixed
    μ, the mean canonical μ of the two states (``*_fixed_mu``): at fixed N_e far spins can move holes
    into or out of a near cluster, at fixed μ they cannot.  ``solved`` are the quasi-canonical ED
    solutions of ``spins`` (seeds x records).  Shares are relative to the state's rms transverse field,
    as in :func:`~spinlab.reproduce.locality`.

    Returns ``(arrays, summary)``: ``hole_locality/times``, the shares per seed and record
    (``hole_locality/{rich,rest}{,_fixed_mu}``) and the mean hole density of the rich centres
    (``hole_locality/rich_holes``); the summary holds the shares' rms over all.
    """
    spins = np.asarray(spins, float)
    n_seeds, L = spins.shape[0], int(round(np.sqrt(spins.shape[2])))
    canonical = SDModel.from_preset("double-exchange", L, kT_el=kT_el)
    records = np.nonzero(np.asarray(times) > early * times[-1])[0][::-every][::-1]  # the last one among them
    keys = ("rich", "rest", "rich_fixed_mu", "rest_fixed_mu")
    shares = {key: np.zeros((n_seeds, len(records))) for key in keys}
    rich_holes = np.zeros((n_seeds, len(records)))  # mean hole density of the rich centres
    pairs = [(j, r, k) for j, r in enumerate(records) for k in range(n_seeds)]
    for j, r, k in tqdm(pairs, desc="locality at hole-rich sites", disable=not progress):
        a, b = spins[k, r], spins[(k + 1) % n_seeds, r]
        holes = 1 - solved[k][r].density
        order = np.argsort(holes)
        centres = {"rich": order[-n_centres:],
                   "rest": order[np.linspace(0, len(order) // 2 - 1, n_centres).astype(int)]}
        rich_holes[k, j] = holes[centres["rich"]].mean()
        at_mu = SDModel.from_preset("double-exchange", L, kT_el=kT_el,
                                    mu=0.5 * (solved[k][r].mu + solved[(k + 1) % n_seeds][r].mu))
        for part, sites in centres.items():
            shares[part][k, j] = field_locality(canonical, a, radius, centres=sites, environments=[b])
            shares[f"{part}_fixed_mu"][k, j] = field_locality(at_mu, a, radius, centres=sites, environments=[b])
    arrays = {f"hole_locality/{key}": value for key, value in shares.items()}
    arrays.update({"hole_locality/rich_holes": rich_holes, "hole_locality/times": np.asarray(times)[records]})
    summary = {key: float(np.sqrt(np.mean(value**2))) for key, value in shares.items()}
    return arrays, dict(summary, radius=radius, n_centres=n_centres)


def arrest_quenches(model, L: int, seeds, steps: int, *, kT_control: float = 0.005, dt: float = 0.05,
                    alpha: float = 0.5, n_records: int = 60, maps_at=(), n_textures: int = 8, work=None,
                    progress: bool = True):
    """ML-driven quenches on an L x L lattice: T = 0 spins for every seed, one Langevin control at
    ``kT_control`` (first seed), the local correlation C_i of every T = 0 seed at ``maps_at`` (recorded
    in every run, so that all share one time axis).

    Returns ``(arrays, summary)``.  The arrays hold the observables of every run against ``times``,
    ``map_correlation`` (seeds, maps, N) at ``map_times``, the first seed's spins there (``map_spins``)
    and at about ``n_textures`` log-spaced records (``texture_spins`` at ``texture_times``, for electron
    densities post hoc).  The summary holds, over the seeds, the NN-correlation plateau and the
    FM-cluster count over the last half-decade, and the count's change across that half-decade.
    """
    lattice = get_preset("double-exchange").lattice(L)
    provider = model.bind(lattice)
    runs = [(seed, 0.0) for seed in seeds] + ([(seeds[0], kT_control)] if kT_control > 0 else [])
    arrays, correlations = {}, []
    for seed, kT in tqdm(runs, desc=f"ML quenches {L}x{L}", disable=not progress):
        name = f"{seed}" if kT == 0 else f"langevin-{kT:g}/{seed}"
        store = None if work is None else Path(work) / f"arrest-L{L}-kT{kT:g}-seed{seed}"
        first = (seed, kT) == runs[0]
        result = phase_separation_quench(provider, lattice, steps, seed=seed, dt=dt, alpha=alpha, kT=kT,
                                         n_records=n_records, maps_at=maps_at, store=store, keep_spins=first,
                                         progress=progress and len(runs) == 1)
        times = arrays["times"] = result["times"]
        for key in OBSERVABLES:
            arrays[f"{name}/{key}"] = result[key]
        if kT == 0:
            correlations.append([local_correlation(lattice, spins) for spins in result["map_spins"]])
        if first:
            arrays["map_times"], arrays["map_spins"] = result["map_times"], result["map_spins"]
            spaced = np.searchsorted(times, np.geomspace(times[1], times[-1], n_textures))
            pick = np.union1d(spaced, np.searchsorted(times, result["map_times"]))
            arrays["texture_times"], arrays["texture_spins"] = times[pick], result["spins"][pick]
    arrays["map_correlation"] = np.array(correlations).reshape(len(seeds), len(arrays["map_times"]), -1)
    late = late_times(times)
    counts = np.array([arrays[f"{s}/fm_cluster_count"] for s in seeds])
    summary = {"L": L, "seeds": [int(s) for s in seeds], "steps": steps, "dt": dt, "alpha": alpha,
               "kT_control": kT_control,
               "plateau": _spread([plateau(times, arrays[f"{s}/nn_correlation"]) for s in seeds]),
               "late_cluster_count": _spread(counts[:, late].mean(axis=1)),
               "cluster_count_change": _spread(counts[:, -1] - counts[:, late][:, 0])}
    return arrays, summary


def relaxed_droplet(provider, lattice, radius: float, steps: int, *, dt: float = 0.05, alpha: float = 0.5,
                    progress: bool = True) -> dict:
    """One FM disc of ``radius`` in Néel order (:func:`~spinlab.phase_separation.fm_droplet`), relaxed
    by ``provider`` for ``steps``; returns the final spins and the observables at its end."""
    spins = fm_droplet(lattice, radius)
    # a tiny tilt lets the damped dynamics leave the collinear (stationary) start
    spins += 1e-3 * random_spins(lattice.n_sites, 0)
    spins /= np.linalg.norm(spins, axis=1, keepdims=True)
    trajectory = run(spins, provider, SemiImplicitMidpoint(dt, alpha), steps, record_every=steps,
                     observables=phase_separation_observables(lattice), progress=progress)
    return dict({k: float(trajectory.observables[k][-1]) for k in OBSERVABLES}, final=trajectory.final_spins)


def training_chemical_potential(datasets, after: float = 0.1) -> dict:
    """μ_train: the quasi-canonical chemical potential of the quench states a model was trained on, by
    ED with each dataset's ensemble.

    The quench states are the training snapshots of ED relaxations taken after the first ``after`` of
    their time, and the labelled states of model-driven quenches (``spinlab label``) taken after the
    same share of theirs.  ``datasets`` is one dataset or a list of them (the training sets of an
    active-learning model).  Returns the ``mean``, its ``spread`` (standard deviation) and the number
    of ``snapshots``.  A model trained at fixed N_e implicitly encodes this μ (physics.md §10, pitfall 2).
    """
    mus = []
    for dataset in datasets if isinstance(datasets, (list, tuple)) else [datasets]:
        train, _ = dataset.split()
        late = np.isin(train.kind, ("relaxation", "labelled")) & (train.times > after * dataset.times.max())
        plan = dataset.plan
        ed = SDModel.from_preset(plan["preset"], plan["L"], kT_el=plan["kT_el"])
        mus += [ed.solve(spins).mu for spins in train.spins[late]]
    if not mus:
        raise ValueError("the training sets hold no quench snapshots (relaxations or labelled states)")
    return {"mean": float(np.mean(mus)), "spread": float(np.std(mus)), "snapshots": len(mus)}


def kpm_hole_densities(configurations, L: int, mu: float, *, kT_el: float = 0.02, probe_distance: float = 6.0,
                       progress: bool = True) -> dict:
    """Hole densities h_i = 1 - n_i of L x L double-exchange textures by KPM, at the fixed chemical
    potential ``mu`` and canonically at the preset's filling.

    Returns ``holes_at_mu`` (B, N), ``holes_canonical`` (B, N), the hole counts at μ (B,) and the
    canonical μ of each texture (B,).  On 100 x 100 a probe distance of 6 keeps the field error
    near 1 % of its spread (``spinlab reproduce kpm-accuracy double-exchange``); lattices too small
    for it get the exact trace.
    """
    lattice = get_preset("double-exchange").lattice(L)
    if probe_distance is not None and probe_distance >= largest_distance(lattice):
        probe_distance = None  # a lattice smaller than the probes' reach: the exact trace
    kpm = KPMModel.from_preset("double-exchange", L, kT_el=kT_el, probe_distance=probe_distance)
    holes, holes_c, mus = [], [], []
    for spins in tqdm(configurations, desc=f"KPM hole densities {L}x{L}", disable=not progress):
        mus.append(kpm.chemical_potential(spins))
        at_mu, canonical = 1.0 - kpm.local_densities(spins, [mu, mus[-1]])
        holes.append(at_mu)
        holes_c.append(canonical)
    holes = np.array(holes)
    return {"holes_at_mu": holes, "holes_canonical": np.array(holes_c), "hole_count_at_mu": holes.sum(axis=1),
            "canonical_mu": np.array(mus)}
