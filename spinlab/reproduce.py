"""Heavy, documented runs behind the book's figures (``spinlab reproduce ...``).

Each function writes a small ``.npz`` (+ JSON metadata with the command) that
the notebooks load when present and that the test suite re-validates; in fast
mode the notebooks recompute small versions instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .dynamics import SemiImplicitMidpoint
from .electrons import SDModel, field_locality
from .lattice import TriangularLattice
from .presets import get_preset
from .observables import (TETRAHEDRAL_CHIRALITY, chirality_structure_factor, domain_size, radial_average,
                          scalar_chirality, standard_observables)
from .spins import TEXTURES, random_spins, tetrahedral
from .trajectory import run

__all__ = ["compare_orders", "timestep_study", "quench", "coarsening", "quench_store", "wall_morphology", "chirality_vs_temperature", "locality", "mutual_locality",
           "fit_growth_exponent",
           "growth_exponents", "ORDER_PEAKS"]

#: Bragg peaks and their ideal weights: the signature of each order.
ORDER_PEAKS = {"120-degree": {"K": 0.5, "K'": 0.5}, "tetrahedral": {"M1": 1 / 3, "M2": 1 / 3, "M3": 1 / 3},
               "double-exchange": {"M": 1.0}}


def _observable_series(trajectory):
    return {k: np.asarray(v, float) for k, v in trajectory.observables.items()}


def compare_orders(preset: str, model, *, seeds=(101, 102, 103), L: int = 12, steps: int = 5000,
                   L_large: int = 96, large_steps: int = 3000, dt: float = 0.1, alpha: float = 1.0,
                   record_every: int = 50, progress: bool = True) -> tuple[dict, dict]:
    """ED-driven and ML-driven damped LLG from the same random states, and one large ML run.

    For every seed both runs start from ``random_spins(L*L, seed)`` (LL form,
    T = 0).  The end states of both are evaluated with ED.  Works for every preset of
    :data:`spinlab.presets.PRESETS`; both sizes are checked before any run.  Returns
    ``(arrays, summary)`` ready for :func:`spinlab.io.save_npz`.
    """
    get_preset(preset).check_size(L_large)
    ed = SDModel.from_preset(preset, L)
    lattice = ed.lattice
    ml = model.bind(lattice)
    observables = standard_observables(lattice)
    arrays, summary = {}, {"preset": preset, "L": L, "steps": steps, "dt": dt, "alpha": alpha, "seeds": list(seeds),
                           "runs": []}
    for seed in tqdm(seeds, desc=f"ED vs ML {preset}", disable=not progress):
        start = random_spins(lattice.n_sites, seed)
        row = {"seed": seed}
        for name, provider in (("ed", ed), ("ml", ml)):
            trajectory = run(start, provider, SemiImplicitMidpoint(dt, alpha), steps, record_every=record_every,
                             observables=observables, progress=False)
            final = trajectory.final_spins
            arrays[f"{name}/{seed}/times"] = trajectory.times
            arrays[f"{name}/{seed}/final"] = final
            for k, v in _observable_series(trajectory).items():
                arrays[f"{name}/{seed}/{k}"] = v
            row[f"{name}_energy_per_site"] = ed.energy(final) / lattice.n_sites  # both judged by ED
            row[f"{name}_peaks"] = {q: float(trajectory.observables[f"S({q})"][-1]) for q in ORDER_PEAKS[preset]}
            if lattice.kind == "triangular":
                row[f"{name}_chirality"] = float(scalar_chirality(lattice, final).mean())
        summary["runs"].append(row)
    large = get_preset(preset).lattice(L_large)
    obs_large = {k: v for k, v in standard_observables(large).items() if k.startswith("S(") or "chirality" in k}
    trajectory = run(random_spins(large.n_sites, seeds[0]), model.bind(large), SemiImplicitMidpoint(dt, alpha),
                     large_steps, record_every=max(1, large_steps // 30), observables=obs_large, progress=progress)
    arrays["large/times"] = trajectory.times
    arrays["large/final"] = trajectory.final_spins
    for k, v in _observable_series(trajectory).items():
        arrays[f"large/{k}"] = v
    summary.update(L_large=L_large, large_steps=large_steps,
                   large_peaks={q: float(trajectory.observables[f"S({q})"][-1]) for q in ORDER_PEAKS[preset]})
    return arrays, summary


def quench(model, L: int, kT: float, steps: int, *, dt: float = 0.1, alpha: float = 1.0, seed: int = 0,
           n_records: int = 60, maps_at=(), store=None, progress: bool = True) -> dict:
    """Thermal quench of the chiral phase: random spins, then ML-driven Langevin dynamics at ``kT``.

    Records at log-spaced times the mean chirality, its absolute value, the
    chirality structure factor S_χ(q) and the domain size L(t) from its first
    moment (background subtracted), and the walls' morphology (:func:`wall_morphology`); chirality maps of the up triangles at the
    recorded steps closest to those in ``maps_at`` and the spins there (``map_spins``).  With ``store`` a directory the run
    streams there (:func:`spinlab.trajectory.run`): an interrupted quench called again
    continues bit for bit, and a store of another quench (model, steps, kT, seed...) is refused.
    """
    lattice = TriangularLattice(L)
    record_steps = np.unique(np.round(np.geomspace(1, steps, n_records)).astype(int))
    observables = {"chirality": lambda s: scalar_chirality(lattice, s).mean(),
                   "abs_chirality": lambda s: np.abs(scalar_chirality(lattice, s)).mean(),
                   "s_chi": lambda s: chirality_structure_factor(lattice, s)}
    rng = np.random.default_rng(seed)  # draws the start, then the noise
    trajectory = run(random_spins(lattice.n_sites, rng), model.bind(lattice), SemiImplicitMidpoint(dt, alpha, kT=kT),
                     steps, record_steps=record_steps, observables=observables, store=store, seed=rng,
                     progress=progress)
    series = trajectory.observables
    at_maps = sorted({int(np.argmin(np.abs(record_steps - m))) for m in maps_at})
    map_spins = np.array([trajectory.spins_at(k) for k in at_maps]).reshape(-1, lattice.n_sites, 3)
    maps = [scalar_chirality(lattice, spins)[: lattice.n_sites] for spins in map_spins]
    morphology = np.array([wall_morphology(lattice, trajectory.spins_at(k)) for k in range(len(trajectory))])
    return {"times": trajectory.times, "domain_size": np.array([domain_size(lattice, s) for s in series["s_chi"]]),
            "chirality": series["chirality"], "abs_chirality": series["abs_chirality"], "s_chi": series["s_chi"],
            "bond_fraction": morphology[:, 0], "wall_density": morphology[:, 1],
            "maps": np.asarray(maps, float), "map_spins": map_spins, "map_times": trajectory.times[at_maps], "final": trajectory.final_spins}


def wall_morphology(lattice, spins, smoothing: float = 1.5) -> tuple[float, float]:
    """(share of wall length along bonds, wall length per area) of a texture's chirality map
    (:func:`~spinlab.walls.wall_normal_angles`; the share is 1/2 for isotropic walls)."""
    from .walls import bond_wall_fraction, wall_normal_angles

    angles, weights = wall_normal_angles(lattice, scalar_chirality(lattice, spins)[: lattice.n_sites], smoothing)
    return bond_wall_fraction(angles, weights), float(weights.sum() / lattice.n_sites)


def coarsening(model, L: int, kT: float, steps: int, *, seeds=(0, 1, 2), maps_at=(), work=None,
               n_records: int = 60, dt: float = 0.1, progress: bool = True) -> dict:
    """Independent quenches (:func:`quench`) reduced to what the coarsening figures need.

    Returns a dict of arrays: ``times`` (shared by all seeds); per seed ``"{seed}/domain_size"``,
    ``"{seed}/chirality"``, ``"{seed}/abs_chirality"``, ``"{seed}/bond_fraction"``, ``"{seed}/wall_density"``
    (:func:`wall_morphology`) and ``"{seed}/s_chi_radial"``, the
    shell average (:func:`~spinlab.observables.radial_average`) of S_χ(q) at every record on the
    shells ``q_shells``; for the first seed the chirality maps of the up triangles ``maps`` at
    ``map_times`` and the full S_χ(q) there, ``map_s_chi``, from which the domain sizes can be
    recomputed.  With ``work`` a directory, each quench streams to its own store there, so
    seeds can run (and be resumed) in separate processes and a final call collects them.
    """
    lattice = TriangularLattice(L)
    out = {}
    for seed in seeds:
        result = quench(model, L, kT, steps, dt=dt, seed=seed, n_records=n_records,
                        maps_at=maps_at if seed == seeds[0] else (), store=quench_store(work, L, kT, seed),
                        progress=progress)
        out["q_shells"], out[f"{seed}/s_chi_radial"] = radial_average(lattice, result["s_chi"])
        for key in ("domain_size", "chirality", "abs_chirality", "bond_fraction", "wall_density"):
            out[f"{seed}/{key}"] = result[key]
        out["times"] = result["times"]
        if seed == seeds[0]:
            at_maps = np.isin(result["times"], result["map_times"])
            out["maps"], out["map_times"], out["map_s_chi"] = result["maps"], result["map_times"], result["s_chi"][at_maps]
    return out


def quench_store(work, L: int, kT: float, seed: int):
    """The store of one seed of :func:`coarsening` in ``work`` (None without a work folder)."""
    return None if work is None else Path(work) / f"quench-L{L}-T{kT:g}-seed{seed}"


def size_window(times, sizes, smallest: float, largest: float) -> tuple[float, float]:
    """The times (t_min, t_max) from when the runs' mean domain size (geometric, over the rows of ``sizes``)
    first reaches ``smallest`` to the last record before it first exceeds ``largest``: a fit window set by
    the domain size, from formed domains to a size the lattice does not yet constrain (e.g. L_sys/8)."""
    times = np.asarray(times, float)
    mean = np.exp(np.log(np.atleast_2d(np.asarray(sizes, float))).mean(axis=0))
    start = np.flatnonzero(mean >= smallest)
    if start.size == 0:
        raise ValueError(f"the mean domain size never reaches {smallest} (largest {mean.max():.3g})")
    beyond = np.flatnonzero(mean[start[0]:] > largest)
    stop = start[0] + beyond[0] - 1 if beyond.size else mean.size - 1
    if stop <= start[0]:
        raise ValueError(f"the mean domain size passes from {smallest} to {largest} within one record")
    return float(times[start[0]]), float(times[stop])


def effective_exponents(times, sizes, span: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Effective growth exponents d ln L/d ln t of runs ``sizes`` (n_runs, n_times), from records ``span`` apart.

    Returns the geometric mid-times (n_times - span,) and the slopes (n_runs, n_times - span): a slope
    over a few records tames the noise of single records without hiding a drift of the exponent.
    """
    log_t, log_L = np.log(np.asarray(times, float)), np.log(np.atleast_2d(np.asarray(sizes, float)))
    if span < 1 or span >= log_t.size:
        raise ValueError(f"span must be between 1 and {log_t.size - 1} records, got {span}")
    slopes = (log_L[:, span:] - log_L[:, :-span]) / (log_t[span:] - log_t[:-span])
    return np.exp(0.5 * (log_t[span:] + log_t[:-span])), slopes


def growth_exponents(result: dict, seeds, window) -> np.ndarray:
    """Growth exponent n of L(t) ∝ t^n fitted over ``window`` for each seed of a :func:`coarsening` result."""
    return np.array([fit_growth_exponent(result["times"], result[f"{seed}/domain_size"], window) for seed in seeds])


def chirality_vs_temperature(model, temperatures, *, L: int = 24, steps: int = 2000, dt: float = 0.1,
                             alpha: float = 1.0, seed: int = 0, progress: bool = True) -> dict:
    """Chiral order parameter |<χ>|/χ_ideal after ``steps`` of ML-driven Langevin dynamics from the ideal state.

    Averaged over the second half of each run: it stays near 1 below the chiral
    ordering temperature and falls to the finite-size noise level above it.
    """
    lattice = TriangularLattice(L)
    provider = model.bind(lattice)
    start = tetrahedral(lattice)
    order, spread = [], []
    for k, kT in enumerate(tqdm(temperatures, desc="chiral order vs T", disable=not progress)):
        trajectory = run(start, provider, SemiImplicitMidpoint(dt, alpha, kT=kT), steps,
                         record_every=max(1, steps // 40), seed=seed + k, progress=False,
                         observables={"chirality": lambda s: scalar_chirality(lattice, s).mean()})
        late = np.abs(trajectory.observables["chirality"][len(trajectory) // 2:]) / TETRAHEDRAL_CHIRALITY
        order.append(late.mean())
        spread.append(late.std())
    return {"temperatures": np.asarray(temperatures, float), "order": np.array(order), "spread": np.array(spread),
            "L": L, "steps": steps}


def locality(preset: str, *, L: int = 18, radii=(2.0, 3.0, 4.0, 5.0), temperatures=(0.005, 0.01, 0.02),
             steps: int = 300, seeds=(11, 12), centres=None, dt: float = 0.1, alpha: float = 1.0,
             kT_el: float = 0.0, quench_times=(), fixed_mu: bool = False,
             progress: bool = True) -> tuple[dict, dict]:
    """How far the ED exchange field reaches, for disordered, thermal and quench states.

    Each class holds two configurations: random spins (``random_spins(N, seed)``), the end
    states of ED-driven Langevin runs of ``steps`` from the ideal order at one temperature, or,
    for each of ``quench_times``, the states at that time of two ED-driven damped quenches
    (spin temperature 0) from random spins.  For every radius R,
    :func:`~spinlab.electrons.field_locality` replaces the spins beyond R of each configuration
    by those of the other one of its class, at every site of ``centres`` (default: 16 sites N/16
    apart): the share of the transverse field that a model seeing only R cannot know *within
    that class*.  A force field with cutoff r_c sees R = 2 r_c.

    The electrons hold the preset's N_e at ``kT_el``.  A fixed particle number is itself
    non-local: replacing far spins moves the Fermi level of the whole system.  With
    ``fixed_mu`` each class is measured a second time at fixed μ (the mean of its two states'
    chemical potentials), where no such global constraint acts (``{class}/share-fixed-mu``).
    Returns ``(arrays, summary)`` for :func:`spinlab.io.save_npz`: per class its
    two states and the shares at ``radii``.
    """
    if len(seeds) != 2:
        raise ValueError(f"each class needs two configurations: pass two seeds, got {seeds!r}")
    quench_times = sorted(float(t) for t in quench_times)
    steps_at = [int(round(t / dt)) for t in quench_times]
    if any(abs(t - n * dt) > 1e-9 * max(1.0, t) for t, n in zip(quench_times, steps_at)):
        raise ValueError(f"quench times must be multiples of dt = {dt:g}, got {quench_times}")
    ed = SDModel.from_preset(preset, L, kT_el=kT_el)
    lattice = ed.lattice
    if centres is None:
        centres = range(0, lattice.n_sites, max(1, lattice.n_sites // 16))[:16]
    centres = tuple(int(i) for i in centres)
    states = {"random": [random_spins(lattice.n_sites, seed) for seed in seeds]}
    runs = [(kT, seed) for kT in temperatures for seed in seeds]
    for kT, seed in tqdm(runs, desc=f"ED Langevin {L}x{L}", disable=not progress):
        trajectory = run(TEXTURES[get_preset(preset).texture](lattice), ed, SemiImplicitMidpoint(dt, alpha, kT=kT), steps,
                         record_every=steps, seed=seed, progress=False)
        states.setdefault(f"thermal-{kT:g}", []).append(trajectory.final_spins)
    if quench_times:
        for seed in tqdm(seeds, desc=f"ED quenches {L}x{L}", disable=not progress):
            state, done = random_spins(lattice.n_sites, seed), 0
            for t, n in zip(quench_times, steps_at):
                if n > done:
                    state = run(state, ed, SemiImplicitMidpoint(dt, alpha), n - done, record_every=n - done,
                                progress=False).final_spins
                    done = n
                states.setdefault(f"quench-{t:g}", []).append(state)
    arrays, mu = {}, {}
    for name, (a, b) in states.items():
        arrays[f"{name}/states"] = np.stack([a, b])
        arrays[f"{name}/share"] = np.array([mutual_locality(ed, a, b, R, centres) for R in radii])
        if fixed_mu:
            mu[name] = 0.5 * (ed.solve(a).mu + ed.solve(b).mu)
            at_mu = SDModel.from_preset(preset, L, kT_el=kT_el, mu=mu[name])
            arrays[f"{name}/share-fixed-mu"] = np.array([mutual_locality(at_mu, a, b, R, centres) for R in radii])
    summary = {"preset": preset, "L": L, "radii": list(radii), "temperatures": list(temperatures), "steps": steps,
               "seeds": list(seeds), "centres": list(centres), "dt": dt, "alpha": alpha, "classes": list(states)}
    if kT_el or quench_times or fixed_mu:  # the shipped tetrahedral result predates these options
        summary.update(kT_el=kT_el, quench_times=quench_times, fixed_mu=mu)
    return arrays, summary


def mutual_locality(model, a, b, radius: float, centres) -> float:
    """:func:`~spinlab.electrons.field_locality` of two configurations of one class, each with the
    spins beyond ``radius`` taken from the other (rms of the two directions)."""
    return float(np.sqrt(np.mean([field_locality(model, x, radius, centres=centres, environments=[y]) ** 2
                                  for x, y in ((a, b), (b, a))])))


def timestep_study(preset: str, *, L: int = 12, dts=(0.01, 0.05, 0.1), t_max: float = 20.0, seeds=(1,),
                   alpha: float = 0.5, kT_el: float = 0.005, n_records: int = 40, work=None,
                   progress: bool = True) -> tuple[dict, dict]:
    """Is the time step small enough?  ED-driven damped quenches from the same random states at several dt.

    LL form, damping ``alpha``, T = 0 spins, quasi-canonical electrons at ``kT_el`` (a small smearing:
    T = 0 fields of random double-exchange states are ill-defined, physics.md §10.3).  Records the
    nearest-neighbour correlation at ``n_records`` common times up to ``t_max``.  With ``work`` (a
    folder) every run streams into its own store there and an interrupted study continues.
    Returns ``(arrays, summary)``: ``times``, ``{dt}/{seed}/nn_correlation`` and the final spins.
    """
    from .observables import nearest_neighbor_correlation

    interval = t_max / n_records
    for dt in dts:
        if abs(interval / dt - round(interval / dt)) > 1e-9:
            raise ValueError(f"the record interval t_max / n_records = {interval:g} must be a multiple of dt = {dt:g}")
    ed = SDModel.from_preset(preset, L, kT_el=kT_el)
    observables = {"nn_correlation": lambda spins: nearest_neighbor_correlation(ed.lattice, spins)}
    arrays, summary = {}, {"preset": preset, "L": L, "dts": list(dts), "t_max": t_max, "seeds": list(seeds),
                           "alpha": alpha, "kT_el": kT_el, "n_records": n_records, "max_difference": {}}
    for seed in seeds:
        for dt in tqdm(dts, desc=f"dt study, seed {seed}", disable=not progress):
            store = None if work is None else Path(work) / f"timestep-{preset}-L{L}-dt{dt:g}-seed{seed}"
            trajectory = run(random_spins(ed.n_sites, seed), ed, SemiImplicitMidpoint(dt, alpha),
                             int(round(t_max / dt)), record_every=int(round(interval / dt)),
                             observables=observables, store=store, progress=False)
            arrays["times"] = np.asarray(trajectory.times)
            arrays[f"{dt:g}/{seed}/nn_correlation"] = np.asarray(trajectory.observables["nn_correlation"])
            arrays[f"{dt:g}/{seed}/final"] = np.asarray(trajectory.final_spins)
        smallest = arrays[f"{dts[0]:g}/{seed}/nn_correlation"]
        summary["max_difference"][str(seed)] = {
            f"{dt:g}": float(np.abs(arrays[f"{dt:g}/{seed}/nn_correlation"] - smallest).max()) for dt in dts[1:]}
    return arrays, summary


def fit_growth_exponent(times, sizes, window) -> float:
    """Slope n of log L against log t over ``window`` = (t_min, t_max)."""
    times, sizes = np.asarray(times), np.asarray(sizes)
    sel = (times >= window[0]) & (times <= window[1]) & np.isfinite(sizes)
    return float(np.polyfit(np.log(times[sel]), np.log(sizes[sel]), 1)[0])
