"""KPM where ED cannot go: its three errors against ED, and the ML model checked against it.

Every function here is one ``spinlab reproduce`` command (:mod:`spinlab.cli`).  Long parts stream
into stores under ``work`` (:func:`spinlab.trajectory.run`) or cache their finished pieces there, so
an interrupted command called again continues.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .dynamics import SemiImplicitMidpoint
from .electrons import KPMModel, SDModel
from .io import write_json_atomic
from .metrics import field_errors
from .observables import TETRAHEDRAL_CHIRALITY, scalar_chirality
from .presets import get_preset
from .reproduce import quench
from .spins import random_spins, tetrahedral
from .trajectory import run

__all__ = ["cost_against_size", "accuracy_states", "kpm_accuracy", "wall_sites", "split_torque_errors", "walled_chemical_potential",
           "kpm_on_coarsening", "kpm_dynamics"]


def _torque_error(spins, predicted, reference) -> float:
    return field_errors(spins, predicted, reference)["torque_relative"]


def accuracy_states(preset: str, L: int, *, model=None, per_class: int = 2, seed: int = 0,
                    work=None, progress: bool = True) -> dict[str, np.ndarray]:
    """Configurations (``per_class``, N, 3) per class on which KPM's errors are measured.

    Every preset: ``random`` (infinite temperature).  ``tetrahedral`` (``model``: the shipped
    tetrahedral BP model): ``thermal-{kT}``, 300 Langevin steps (dt 0.1, α = 1) from the ideal
    order at kT = 0.005 and 0.02, and ``walled``, a quench from random spins at kT = 0.005 to
    t = 100, chiral domains separated by walls.  ``double-exchange``: ``quench-t{t}``, ED-driven
    damped quenches from random spins (LL α = 0.5, dt = 0.1, kT_el = 0.005) at t = 2 and t = 20.
    """
    lattice = get_preset(preset).lattice(L)
    store = (lambda name: None) if work is None else (lambda name: Path(work) / name)
    states = {"random": np.stack([random_spins(lattice.n_sites, seed + k) for k in range(per_class)])}
    if preset == "tetrahedral":
        bound = model.bind(lattice)
        for kT in (0.005, 0.02):
            states[f"thermal-{kT:g}"] = np.stack([
                run(tetrahedral(lattice), bound, SemiImplicitMidpoint(0.1, 1.0, kT=kT), 300, record_every=300,
                    seed=seed + k, store=store(f"thermal-L{L}-T{kT:g}-seed{seed + k}"), progress=progress).final_spins
                for k in range(per_class)])
        states["walled"] = np.stack([quench(model, L, 0.005, 1000, seed=seed + k, n_records=10, progress=progress,
                                            store=store(f"quench-L{L}-T0.005-seed{seed + k}"))["final"]
                                     for k in range(per_class)])
    elif preset == "double-exchange":
        ed = SDModel.from_preset(preset, L, kT_el=0.005)
        trajectories = [run(random_spins(lattice.n_sites, seed + k), ed, SemiImplicitMidpoint(0.1, 0.5), 200,
                            record_steps=[0, 20, 200], store=store(f"quench-{preset}-L{L}-seed{seed + k}"),
                            progress=progress) for k in range(per_class)]
        for t, index in ((2, 1), (20, 2)):
            states[f"quench-t{t}"] = np.stack([trajectory.spins_at(index) for trajectory in trajectories])
    else:
        raise ValueError(f"no accuracy states for preset {preset!r}")
    return states


def kpm_accuracy(preset: str, states: dict, *, kT_el: float = 0.05, distances=(2.0, 4.0, 6.0, 8.0, 10.0, 12.0),
                 expansion_moments=(150, 300, 600), work=None, progress: bool = True) -> dict:
    """The three separate errors of KPM fields, each as torque RMSE over the torque's standard deviation.

    * expansion: exact trace (one colour per site) at ``expansion_moments`` against ED at the same
      (N_e, T_el), on the first state of every class;
    * probing: distance-d colourings at the default expansion order against ED at the same (N_e, T_el)
      (``probing``: μ solved from the probed N(μ), quasi-canonical; ``probing_fixed_mu``: at ED's μ of
      the state, grand canonical), on every state;
    * ensemble: ED at T_el against canonical T = 0 ED, on every state.

    ``states`` maps a class name to configurations (S, N, 3) on the preset's L x L lattice.  With
    ``work`` a folder, each state's errors are cached there and a repeated call skips them.
    Returns the summary: ``summary[error][class][state]`` (a list over ``distances`` or
    ``expansion_moments`` where it has one), μ per state, probe counts and seconds per field.
    """
    from time import perf_counter

    first = next(iter(states.values()))
    L = int(round(np.sqrt(first.shape[1])))
    warm, cold = SDModel.from_preset(preset, L, kT_el=kT_el), SDModel.from_preset(preset, L)
    kpm = lambda **kw: KPMModel.from_preset(preset, L, kT_el=kT_el, **kw)
    models = [kpm(probe_distance=d) for d in distances]
    config = {"preset": preset, "L": L, "kT_el": kT_el, "distances": list(distances),
              "expansion_moments": list(expansion_moments), "moments": models[0].moments}
    summary = dict(config, classes=list(states), probes=[m.n_probes_ for m in models], seconds={},
                   expansion={}, probing={}, probing_fixed_mu={}, ensemble={}, mu={})
    jobs = [(name, k) for name, configs in states.items() for k in range(len(configs))]
    for name, k in tqdm(jobs, desc=f"KPM accuracy {preset}", disable=not progress):
        spins = states[name][k]
        cache = None if work is None else Path(work) / f"kpm-accuracy-{preset}-L{L}" / f"{name}-{k}.json"
        entry = json.loads(cache.read_text()) if cache is not None and cache.exists() else None
        if entry is None or entry["config"] != config or not np.array_equal(entry["spins_sum"], spins.sum(0)):
            reference = warm.solve(spins)
            entry = {"config": config, "spins_sum": spins.sum(0).tolist(), "mu": reference.mu,
                     "ensemble": _torque_error(spins, reference.field, cold.exchange_field(spins)),
                     "probing": [], "probing_fixed_mu": [], "seconds": []}
            for d, model in zip(distances, models):
                start = perf_counter()
                entry["probing"].append(_torque_error(spins, model.exchange_field(spins), reference.field))
                middle = perf_counter()
                fixed = kpm(probe_distance=d, mu=reference.mu).exchange_field(spins)
                entry["seconds"].append([middle - start, perf_counter() - middle])
                entry["probing_fixed_mu"].append(_torque_error(spins, fixed, reference.field))
            if k == 0:
                entry["expansion"] = [_torque_error(spins, kpm(moments=M, probe_distance=None).exchange_field(spins),
                                                   reference.field) for M in expansion_moments]
            if cache is not None:
                write_json_atomic(cache, entry)
        for key in ("mu", "ensemble", "probing", "probing_fixed_mu", "seconds"):
            summary[key].setdefault(name, []).append(entry[key])
        if k == 0:
            summary["expansion"][name] = entry["expansion"]
    return summary


def wall_sites(lattice, spins, radius: float = 1.0) -> np.ndarray:
    """Sites on or near a chiral domain wall (bool, N): where the scalar chirality of the up
    triangles, averaged over the site and its neighbours within ``radius``, is below half the
    ideal tetrahedral value in magnitude (a domain's mean stays near it; across a wall it changes sign).
    """
    chi = scalar_chirality(lattice, spins)[: lattice.n_sites] / TETRAHEDRAL_CHIRALITY
    around = np.concatenate([np.arange(lattice.n_sites)[:, None], lattice.sites_within(radius)], axis=1)
    return np.abs(chi[around].mean(axis=1)) < 0.5


def split_torque_errors(spins, predicted, reference, walls) -> dict:
    """Torque RMSE on all, wall and domain sites, each over the torque's standard deviation on all
    sites (one scale, so wall and domain errors compare directly); full-field error on all sites."""
    torque_p, torque_r = np.cross(spins, predicted), np.cross(spins, reference)
    scale = torque_r.std()
    rmse = lambda sel: float(np.sqrt(np.mean((torque_p[sel] - torque_r[sel]) ** 2)) / scale) if sel.any() else np.nan
    return {"all": rmse(np.ones(len(spins), bool)), "walls": rmse(walls), "domains": rmse(~walls),
            "wall_fraction": float(walls.mean()),
            "field": float(np.sqrt(np.mean((predicted - reference) ** 2)) / reference.std())}


def walled_chemical_potential(model, *, L: int = 24, kT_el: float = 0.05, progress: bool = True) -> dict:
    """μ for KPM on walled tetrahedral textures, and what fixing it costs against canonical ED.

    A quench of the shipped model (``model``) on L x L to t = 100 (kT = 0.005, seed 0) gives a
    walled state at filling 1/4; ED at (N_e, kT_el) gives its μ, and its field is that of ED grand
    canonical at (μ, kT_el), what KPM at that fixed μ converges to.  The ensemble error is the torque
    difference of that field against canonical T = 0 ED, on all, wall and domain sites;
    ``ml_error`` is the model's against canonical ED there.
    """
    spins = quench(model, L, 0.005, 1000, seed=0, n_records=10, progress=progress)["final"]
    warm = SDModel.from_preset("tetrahedral", L, kT_el=kT_el)
    reference = warm.solve(spins)
    walls = wall_sites(warm.lattice, spins)
    canonical = SDModel.from_preset("tetrahedral", L).exchange_field(spins)
    return {"L": L, "kT_el": kT_el, "mu": reference.mu, "spins": spins,
            "ensemble_error": split_torque_errors(spins, reference.field, canonical, walls),
            "ml_error": split_torque_errors(spins, model.bind(warm.lattice).exchange_field(spins), canonical, walls)}


def kpm_on_coarsening(model, *, L: int = 96, kT: float = 0.005, steps: int = 6000, at=(100.0, 200.0, 600.0),
                      kT_el: float = 0.05, moments: int = 600, probe_distance: float = 12.0, work=None,
                      progress: bool = True) -> tuple[dict, dict]:
    """The shipped tetrahedral model against KPM on the coarsening states, walls and domains apart.

    Regenerates the first quench of ``spinlab reproduce coarsening`` (seed 0, same store name under
    ``work``, so a finished coarsening run is reused), keeps its spins at the records nearest to
    ``at``, and compares the model's fields with KPM at fixed μ (:func:`walled_chemical_potential`).
    Returns ``(arrays, summary)``: spins, KPM fields and wall masks per time (the model's fields
    take 0.1 s to recompute from the spins).
    """
    reference = walled_chemical_potential(model, kT_el=kT_el, progress=progress)
    store = None if work is None else Path(work) / f"quench-L{L}-T{kT:g}-seed0"
    result = quench(model, L, kT, steps, seed=0, maps_at=[t / 0.1 for t in at], store=store, progress=progress)
    lattice = get_preset("tetrahedral").lattice(L)
    kpm = KPMModel.from_preset("tetrahedral", L, kT_el=kT_el, mu=reference["mu"], moments=moments,
                               probe_distance=probe_distance)
    bound = model.bind(lattice)
    arrays = {"times": result["map_times"], "walled_state": reference.pop("spins")}
    summary = {"L": L, "kT": kT, "steps": steps, "kT_el": kT_el, "moments": kpm.moments,
               "probe_distance": probe_distance, "mu": reference["mu"], "ensemble": reference, "errors": []}
    for k, spins in enumerate(tqdm(result["map_spins"], desc="KPM on coarsening states", disable=not progress)):
        walls = wall_sites(lattice, spins)
        arrays[f"{k}/spins"], arrays[f"{k}/kpm"], arrays[f"{k}/walls"] = spins, kpm.exchange_field(spins), walls
        summary["errors"].append(split_torque_errors(spins, bound.exchange_field(spins), arrays[f"{k}/kpm"], walls))
    return arrays, summary


def kpm_dynamics(model, *, L: int = 48, t_start: float = 100.0, steps: int = 300, dt: float = 0.1,
                 alpha: float = 1.0, kT_el: float = 0.05, moments: int = 300, probe_distance: float = 8.0,
                 record_every: int = 10, mu: float | None = None, work=None,
                 progress: bool = True) -> tuple[dict, dict]:
    """KPM-driven and ML-driven damped LLG (T = 0 spins) from the same ML-coarsened state.

    The start is the shipped model's quench on L x L (kT = 0.005, seed 0) at ``t_start``; both runs
    take ``steps`` semi-implicit midpoint steps.  KPM runs at ``mu``, by default that of
    :func:`walled_chemical_potential`.  Records the mean and absolute chirality, the wall fraction,
    each run's energy (KPM: its grand potential Ω, which damped KPM-driven dynamics never raises) and
    the rms spin difference between the two runs.
    """
    lattice = get_preset("tetrahedral").lattice(L)
    folder = (lambda name: None) if work is None else (lambda name: Path(work) / name)
    start = quench(model, L, 0.005, int(round(t_start / dt)), seed=0, n_records=10, progress=progress,
                   store=folder(f"quench-L{L}-T0.005-seed0"))["final"]
    if mu is None:
        mu = walled_chemical_potential(model, kT_el=kT_el, progress=progress)["mu"]
    kpm = KPMModel.from_preset("tetrahedral", L, kT_el=kT_el, mu=mu, moments=moments, probe_distance=probe_distance)
    observables = {"chirality": lambda s: scalar_chirality(lattice, s).mean(),
                   "abs_chirality": lambda s: np.abs(scalar_chirality(lattice, s)).mean(),
                   "wall_fraction": lambda s: wall_sites(lattice, s).mean()}
    runs = {name: run(start, provider, SemiImplicitMidpoint(dt, alpha), steps, record_every=record_every,
                      observables=observables, store=folder(f"kpm-dynamics-{name}-L{L}"), progress=progress)
            for name, provider in (("ml", model.bind(lattice)), ("kpm", kpm))}
    arrays = {"times": np.asarray(runs["ml"].times) + t_start, "start": start}
    for name, trajectory in runs.items():
        for key, values in trajectory.observables.items():
            arrays[f"{name}/{key}"] = np.asarray(values, float)
        arrays[f"{name}/energy"] = np.asarray(trajectory.energies, float)  # each run's own potential
        arrays[f"{name}/final"] = np.asarray(trajectory.final_spins)
    arrays["spin_difference"] = np.array([np.sqrt(np.mean(np.sum((runs["ml"].spins_at(k) - runs["kpm"].spins_at(k)) ** 2,
                                                                 axis=1))) for k in range(len(arrays["times"]))])
    summary = {"L": L, "t_start": t_start, "steps": steps, "dt": dt, "alpha": alpha, "kT_el": kT_el,
               "moments": kpm.moments, "probe_distance": probe_distance, "mu": mu,
               "final_spin_difference": float(arrays["spin_difference"][-1]),
               "final_abs_chirality": {name: float(arrays[f"{name}/abs_chirality"][-1]) for name in runs},
               "final_wall_fraction": {name: float(arrays[f"{name}/wall_fraction"][-1]) for name in runs}}
    return arrays, summary


def _median_seconds(fn, repeat: int) -> float:
    """Median wall time of ``fn()``; with repeats, after one untimed call (compilation, caches)."""
    from time import perf_counter

    if repeat > 1:
        fn()
    times = []
    for _ in range(repeat):
        start = perf_counter()
        fn()
        times.append(perf_counter() - start)
    return float(np.median(times))


def cost_against_size(sizes=(12, 24, 48, 96, 192), *, ed_max: int = 48, kT_el: float = 0.05, mu: float = -3.35,
                      probe_distance: float | None = None, progress: bool = True) -> dict:
    """Seconds per exchange field of the tetrahedral preset on random spins: canonical T = 0 ED (up to
    ``ed_max``), KPM at fixed ``mu`` (default order, ``probe_distance`` or the default d) and the
    shipped BP model, with the crossover size where KPM beats ED, KPM's time(4N)/time(N) and the
    ML/KPM speed-up at 96 x 96.  One run; the times are medians over repeats on small lattices.
    """
    from .electrons.kpm import DEFAULT_PROBE_DISTANCE
    from .models import load_shipped

    model = load_shipped("tetrahedral")
    out = {"L": list(sizes), "seconds": {"ed": [], "kpm": [], "ml": []}, "probes": [], "kT_el": kT_el, "mu": mu,
           "probe_distance": DEFAULT_PROBE_DISTANCE if probe_distance is None else probe_distance}
    for L in tqdm(sizes, desc="cost against N", disable=not progress):
        spins = random_spins(L * L, 0)
        kpm = KPMModel.from_preset("tetrahedral", L, kT_el=kT_el, mu=mu,
                                   probe_distance="auto" if probe_distance is None else probe_distance)
        repeat = 3 if L <= 24 else 1
        out["seconds"]["kpm"].append(_median_seconds(lambda: kpm.exchange_field(spins), repeat))
        bound = model.bind(kpm.lattice)
        out["seconds"]["ml"].append(_median_seconds(lambda: bound.exchange_field(spins), 5))
        if L <= ed_max:
            ed = SDModel.from_preset("tetrahedral", L)
            out["seconds"]["ed"].append(_median_seconds(lambda: ed.exchange_field(spins), repeat))
        else:
            out["seconds"]["ed"].append(None)
        out["probes"].append(kpm.n_probes_)
        out["moments"] = kpm.moments
    seconds = {k: dict(zip(sizes, v)) for k, v in out["seconds"].items()}
    faster = [L for L in sizes if seconds["ed"][L] is not None and seconds["kpm"][L] < seconds["ed"][L]]
    out["crossover_L"] = faster[0] if faster else None
    out["kpm_scaling"] = {f"{a}-{b}": seconds["kpm"][b] / seconds["kpm"][a]
                          for a, b in zip(sizes, sizes[1:]) if b == 2 * a and a >= 48}
    out["ml_over_kpm_96"] = seconds["kpm"][96] / seconds["ml"][96] if 96 in seconds["kpm"] else None
    return out
