r"""Voltage-driven motion of the metal–insulator interface of the strip (Fig. 12; physics.md §2.3, §7.3, §8).

Every run is LL dynamics of a strip between two leads from a thermalized Néel state whose ``disturbed``
columns next to the right lead are random (the authors' start), driven by one *engine*:

* ``negf`` — the NEGF steady-state field (:class:`~spinlab.electrons.NEGFModel`, fast path);
* ``two-potential`` — the shipped generalized-potential model (``driven-strip``);
* ``conservative`` — the one-potential model trained on the same data (``driven-strip-conservative``).

The defaults are the authors' protocol: α = 0.55, dt = 0.5 and the noise knob kT = 0.0025 of their
Adams-Bashforth integrator (:class:`~spinlab.dynamics.AdamsBashforthMidpoint`, a knob, not a calibrated
temperature); ``integrator="langevin"`` uses the standard semi-implicit Langevin scheme at that kT instead.
Runs with the same seed share their start and their noise, whatever the engine and the bias.

:class:`InterfacePlan` lists the runs in groups: the zero-bias ``controls`` (both leads at one μ), the
``default`` bias over several seeds, the bias ``sweep`` (μ_L fixed, μ_R varied) and the ``large`` strips that
only the model can drive.  Each run streams into its own store (:func:`spinlab.trajectory.run`), so an
interrupted study continues where it stopped, and records the fronts from both leads, the FM fraction, |m| and
the column profile of C_i; NEGF runs also record the current into the right lead and the densities n_i.
:func:`interface_summary` reduces the stores to seed means, spreads, front velocities and the comparisons
of the issue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .dynamics import AdamsBashforthMidpoint, SemiImplicitMidpoint
from .electrons import NEGFModel
from .interface import front_position, interface_observables
from .lattice import Strip
from .metrics import field_errors
from .observables import local_correlation
from .spins import transverse
from .strip_data import StripElectrons, thermal_neel
from .strip_studies import strip_regions
from .io import load_npz, save_npz
from .trajectory import open_trajectory, run

__all__ = ["InterfacePlan", "InterfaceRun", "ENGINES", "GROUPS", "run_interface", "negf_currents", "front_velocity",
           "interface_summary", "spot_checks"]

#: The groups of runs of a study.
GROUPS = ("controls", "default", "sweep", "large")
#: Engines and the shipped model each ML engine uses.
ENGINES = {"negf": None, "two-potential": "driven-strip", "conservative": "driven-strip-conservative"}


class InterfaceRun(NamedTuple):
    """One run of a study: its group, engine, strip, biases and seed."""

    group: str
    engine: str
    Lx: int
    Ly: int
    mu_left: float
    mu_right: float
    seed: int

    @property
    def name(self) -> str:
        return (f"{self.engine}-{self.Lx}x{self.Ly}-muL{self.mu_left:+.3f}-muR{self.mu_right:+.3f}-"
                f"seed{self.seed}")

    @property
    def lattice(self) -> Strip:
        return Strip(self.Lx, self.Ly)


@dataclass(frozen=True)
class InterfacePlan(StripElectrons):
    """The runs of the interface study and their protocol.

    Parameters
    ----------
    Lx, Ly : int
        The strip of the NEGF runs.
    J, Gamma, kT_el : float
        Electrons: Hund coupling, lead coupling, electronic temperature.
    mu_left, mu_right : float
        The default bias (μ_L held fixed in the sweep).
    seeds : tuple of int
        Seeds of the default-bias runs.
    controls, control_seeds : tuples
        Zero-bias controls: for every μ of ``controls`` both leads at μ, one run per control seed.
    sweep, sweep_seeds : tuples
        The bias sweep: μ_R values (besides the default and μ_L itself), one run per sweep seed.
    large, large_seeds : tuples
        Larger strips (Lx, Ly) driven by the two-potential model only, at the default bias.
    engines : tuple of str
        Engines of the 32 x 24 runs (:data:`ENGINES`).
    groups : tuple of str
        The groups of runs the study holds (:data:`GROUPS`).
    steps, dt, alpha, kT, integrator : int, float, float, float, str
        Steps of the Lx = 32 runs (larger strips run ``steps * Lx / 32``), time step, LL damping, noise and
        integrator ("ab2": the authors' scheme with its noise knob; "langevin": the standard scheme).
    tilt, disturbed : float, int
        The start: Néel with random tilts of rms ``tilt``, the ``disturbed`` columns next to the right lead random.
    records : int
        Records per run.
    """

    mu_right: float = -3.28
    seeds: tuple = (0, 1, 2, 3, 4)
    controls: tuple = (-3.28, -3.6)
    control_seeds: tuple = (0, 1)
    sweep: tuple = (-3.45, -3.35, -3.2)
    sweep_seeds: tuple = (0, 1)
    large: tuple = ((64, 48), (128, 96))
    large_seeds: tuple = (0, 1)
    engines: tuple = ("negf", "two-potential", "conservative")
    groups: tuple = ("controls", "default", "sweep", "large")
    steps: int = 400
    dt: float = 0.5
    alpha: float = 0.55
    kT: float = 0.0025
    integrator: str = "ab2"
    tilt: float = 0.1
    disturbed: int = 3
    records: int = 40

    def __post_init__(self):
        for name in ("seeds", "controls", "control_seeds", "sweep", "sweep_seeds", "large_seeds", "engines", "groups"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "large", tuple(tuple(int(n) for n in size) for size in self.large))
        unknown = set(self.engines) - set(ENGINES)
        if unknown:
            raise ValueError(f"unknown engines {sorted(unknown)}; choose from {sorted(ENGINES)}")
        if set(self.groups) - set(GROUPS):
            raise ValueError(f"unknown groups {sorted(set(self.groups) - set(GROUPS))}; choose from {list(GROUPS)}")
        if self.integrator not in ("ab2", "langevin"):
            raise ValueError(f"integrator must be 'ab2' or 'langevin', got {self.integrator!r}")
        if not self.seeds:
            raise ValueError("give at least one seed of the default bias")
        if self.records < 1 or self.steps < self.records or self.steps % self.records:
            raise ValueError(f"steps ({self.steps}) must be a positive multiple of records ({self.records})")
        if self.disturbed > self.Lx:
            raise ValueError(f"disturbed ({self.disturbed}) exceeds the strip's {self.Lx} columns")
        self.electrons(self.lattice, self.mu_left, self.mu_right)  # checks the strip and the electrons

    def runs(self, groups=None) -> list[InterfaceRun]:
        """The runs of the plan's ``groups`` (or of those given), cheapest first within each group: models
        before NEGF."""
        groups = self.groups if groups is None else groups
        biased = [(self.mu_left, mu) for mu in self.sweep]
        plan = {"controls": [((mu, mu), self.control_seeds) for mu in self.controls],
                "default": [((self.mu_left, self.mu_right), self.seeds)],
                "sweep": [(bias, self.sweep_seeds) for bias in biased]}
        out = []
        for group, entries in plan.items():
            if group not in groups:
                continue
            for engine in sorted(self.engines, key=lambda e: e == "negf"):
                out += [InterfaceRun(group, engine, self.Lx, self.Ly, *bias, seed)
                        for bias, seeds in entries for seed in seeds]
        if "large" in groups:
            out += [InterfaceRun("large", "two-potential", Lx, Ly, self.mu_left, self.mu_right, seed)
                    for Lx, Ly in self.large for seed in self.large_seeds]
        return out

    def steps_of(self, spec: InterfaceRun) -> int:
        """Steps of a run: longer strips run longer, in proportion to Lx (a multiple of ``records``)."""
        return self.records * int(np.ceil(self.steps * spec.Lx / self.Lx / self.records))

    def negf(self, spec: InterfaceRun, method: str = "rgf") -> NEGFModel:
        """The NEGF solver of a run (``method``: the fast path "rgf" or the reference "closed-form")."""
        return self.electrons(spec.lattice, spec.mu_left, spec.mu_right, method)

    def start(self, spec: InterfaceRun) -> np.ndarray:
        return thermal_neel(spec.lattice, self.tilt, self.disturbed, np.random.default_rng([spec.seed, 0]))

    def make_integrator(self):
        if self.integrator == "ab2":
            return AdamsBashforthMidpoint(self.dt, self.alpha, self.kT)
        return SemiImplicitMidpoint(self.dt, self.alpha, kT=self.kT)

    def config(self) -> dict:
        return asdict(self)


def _negf_observables(model: NEGFModel) -> dict:
    """The current into the right lead and the densities n_i at every record of an NEGF run."""
    return {"current": model.current, "density": lambda s: model.solve(s).density}


def negf_currents(plan: InterfacePlan, spec: InterfaceRun, work) -> np.ndarray:
    """The current into the right lead at every record of an NEGF run (:meth:`NEGFModel.current`, from the bias
    window alone), computed once from the stored spins and kept in ``work/currents/<name>.npz``.

    The first stores of the study recorded the fast path's I_R in-run, whose contour error (~1e-7) swamps the
    tunnelling current of the insulating strip; recomputing every run's currents here makes them all alike.
    """
    path = Path(work) / "currents" / f"{spec.name}.npz"
    if path.exists():
        return load_npz(path)[0]["current"]
    store = open_trajectory(Path(work) / spec.name)
    model = plan.negf(spec)
    current = np.array([model.current(store.spins_at(k)) for k in range(len(store))])
    save_npz(path, {"current": current}, {"run": spec.name, "window_tol": 1e-6})
    return current


def run_interface(plan: InterfacePlan, spec: InterfaceRun, models: dict, work, progress: bool = True):
    """Run (or continue) one run of the plan in ``work/<name>``; returns its store."""
    lattice = spec.lattice
    observables = interface_observables(lattice)
    if spec.engine == "negf":
        provider = plan.negf(spec)
        observables.update(_negf_observables(provider))
    else:
        provider = models[spec.engine].bind(lattice, bias=(spec.mu_left, spec.mu_right))
    steps = plan.steps_of(spec)
    every = steps // plan.records
    return run(plan.start(spec), provider, plan.make_integrator(), steps, record_every=every, observables=observables,
               store=Path(work) / spec.name, checkpoint_every=max(every // 2, 1), seed=np.random.default_rng([spec.seed, 1]),
               progress=progress)


def front_velocity(times, positions, window) -> float:
    """Slope of a front's position against time over ``window`` = (t_min, t_max), by least squares."""
    times, positions = np.asarray(times), np.asarray(positions)
    sel = (times >= window[0]) & (times <= window[1])
    if sel.sum() < 2:
        raise ValueError(f"fewer than two records in the window {window}")
    return float(np.polyfit(times[sel], positions[sel], 1)[0])


def _series(store) -> dict:
    obs = store.observables
    profile = np.asarray(obs["profile"])
    out = {"times": np.asarray(store.times), "fm_fraction": np.asarray(obs["fm_fraction"]), "m": np.asarray(obs["|m|"]),
           "profile": profile, "x_right": np.array([front_position(p, "right") for p in profile]),
           "x_left": np.array([front_position(p, "left") for p in profile])}
    if "density" in obs:
        out["density"] = np.asarray(obs["density"])
    return out


def _run_row(spec: InterfaceRun, s: dict) -> dict:
    """One run in numbers: the fronts' velocities over the first and the second half of the run (a slower
    second half is a deceleration), where they end, when the metal first bridges the leads (every column
    with C > 0; None if never) and, for NEGF, the largest |current| before the bridge and the median after."""
    times, end = s["times"], s["times"][-1]
    halves = {"": (0.0, end / 2), "_late": (end / 2, end)}
    row = dict(spec._asdict(), name=spec.name, x_right_end=float(s["x_right"][-1]),
               x_left_end=float(s["x_left"][-1]), fm_fraction_end=float(s["fm_fraction"][-1]))
    for suffix, window in halves.items():
        row[f"v_right{suffix}"] = front_velocity(times, s["x_right"], window)
        row[f"v_left{suffix}"] = front_velocity(times, s["x_left"], window)
    bridged = np.all(s["profile"] > 0, axis=1)
    row["t_bridge"] = float(times[np.argmax(bridged)]) if bridged.any() else None
    if "current" in s:
        current = np.abs(s["current"])
        row["current_before_bridge"] = float(current[~np.logical_or.accumulate(bridged)].max())
        row["current_after_bridge"] = float(np.median(current[bridged])) if bridged.any() else None
    return row


def fm_density(lattice, spins, density, threshold: float = 0.5) -> float:
    """Mean density n_i over the FM region (sites with C_i > ``threshold``); NaN without one."""
    fm = local_correlation(lattice, spins) > threshold
    return float(np.mean(density[fm])) if fm.any() else float("nan")


def _stats(values) -> dict:
    """Mean and spread (standard deviation) over the finite values; ``values`` keeps them all (NaN: never)."""
    values = np.asarray(values, float)
    finite = values[np.isfinite(values)]
    mean, spread = (float(np.mean(finite)), float(np.std(finite))) if finite.size else (None, None)
    return {"mean": mean, "spread": spread, "count": int(finite.size),
            "values": [float(v) if np.isfinite(v) else None for v in values]}


def interface_summary(plan: InterfacePlan, work, *, density_times=(50.0, 100.0, 200.0)):
    """Reduce the finished stores of ``plan`` in ``work`` to ``(arrays, summary)``.

    Arrays: per run ``<name>/<series>`` (times, x_right, x_left, fm_fraction, m, profile and, for NEGF, current);
    per engine of the first default-bias seed the spins and C_i at ``density_times`` and the NEGF densities there
    (``snapshots/<engine>/*``; for ML textures computed here).  Summary: per group, engine and bias the seed
    mean and spread of both fronts' velocities (over the first and the second half of each run), of their end
    positions and of the time the metal bridges the leads; the
    ML-NEGF difference of the default runs in units of NEGF's seed spread; the FM region's density (rows of
    the runs: :func:`_run_row`).
    """
    lattice = plan.lattice
    arrays, rows, series, stores = {}, [], {}, {}
    for spec in plan.runs():
        if not (Path(work) / spec.name / "index.json").exists():
            raise ValueError(f"run {spec.name} is not in {work}: run the study (it continues what is there)")
        store = open_trajectory(Path(work) / spec.name)
        if not store.finished:
            raise ValueError(f"run {spec.name} in {work} is not finished: run the study again to continue it")
        stores[spec] = store
        s = _series(store)
        if spec.engine == "negf":
            s["current"] = negf_currents(plan, spec, work)
        series[spec] = s
        for key, value in s.items():
            if key != "density":
                arrays[f"{spec.name}/{key}"] = value
        rows.append(_run_row(spec, s))
    summary = {"plan": plan.config(), "runs": rows, "groups": _group_stats(rows),
               "agreement": _agreement(plan, series), "density_times": list(density_times)}
    first = {spec.engine: spec for spec in series if spec.group == "default" and spec.seed == plan.seeds[0]}
    summary["fm_density"] = {}
    for engine, spec in first.items():
        store = stores[spec]
        at = [int(np.argmin(np.abs(store.times - t))) for t in density_times]
        spins = np.stack([store.spins_at(k) for k in at])
        negf = plan.negf(spec)
        density = (series[spec]["density"][at] if engine == "negf"
                   else np.stack([negf.solve(s).density for s in spins]))
        arrays.update({f"snapshots/{engine}/spins": spins, f"snapshots/{engine}/density": density,
                       f"snapshots/{engine}/correlation": np.stack([local_correlation(lattice, s) for s in spins]),
                       f"snapshots/{engine}/times": store.times[at]})
        summary["fm_density"][engine] = [fm_density(lattice, s, n) for s, n in zip(spins, density)]
    return arrays, summary


def _group_stats(rows) -> dict:
    groups = {}
    for row in rows:
        key = f"{row['group']}/{row['engine']}/{row['Lx']}x{row['Ly']}/{row['mu_left']:+.3f}/{row['mu_right']:+.3f}"
        groups.setdefault(key, []).append(row)
    quantities = ("v_right", "v_left", "v_right_late", "v_left_late", "x_right_end", "x_left_end", "fm_fraction_end",
                  "t_bridge")
    return {key: {q: _stats([r[q] for r in rs]) for q in quantities} for key, rs in groups.items()}


def _agreement(plan, series) -> dict:
    """Per ML engine: the largest and the rms over time of |mean_ML - mean_NEGF| / NEGF's seed spread, for the
    default-bias fronts and FM fraction (the spread floored at 1 % of the range, so an empty spread is no zero)."""
    default = {}
    for spec, s in series.items():
        if spec.group == "default":
            default.setdefault(spec.engine, []).append(s)
    if "negf" not in default:
        return {}
    out = {}
    reference = {q: np.stack([s[q] for s in default["negf"]]) for q in ("x_right", "x_left", "fm_fraction")}
    scale = {"x_right": plan.Lx, "x_left": plan.Lx, "fm_fraction": 1.0}
    for engine, runs in default.items():
        if engine == "negf":
            continue
        out[engine] = {}
        for q, ref in reference.items():
            model = np.stack([s[q] for s in runs])
            spread = np.maximum(ref.std(axis=0), 0.01 * scale[q])
            z = np.abs(model.mean(axis=0) - ref.mean(axis=0)) / spread
            out[engine][q] = {"max": float(z.max()), "rms": float(np.sqrt(np.mean(z**2)))}
    return out


def spot_checks(plan: InterfacePlan, work, model, size=(64, 48), times=None, margin: int = 5):
    """NEGF against the model on three snapshots of the first large run of ``size``: torque errors
    (:func:`~spinlab.metrics.field_errors`) in the bulk of the strip.  Returns ``(arrays, rows)``."""
    spec = next(s for s in plan.runs(["large"]) if (s.Lx, s.Ly) == tuple(size))
    store = open_trajectory(Path(work) / spec.name)
    picks = (np.linspace(0, len(store) - 1, 4)[1:].round().astype(int) if times is None
             else [int(np.argmin(np.abs(store.times - t))) for t in times])
    spins = np.stack([store.spins_at(k) for k in picks])
    negf = plan.negf(spec)
    reference = np.stack([transverse(s, negf.exchange_field(s)) for s in spins])
    predicted = model.predict_fields(spins, lattice=spec.lattice, bias=(spec.mu_left, spec.mu_right))
    bulk = strip_regions(spec.lattice, margin)["bulk"]
    rows = [dict(field_errors(spins[k:k + 1, bulk], predicted[k:k + 1, bulk], reference[k:k + 1, bulk]),
                 time=float(store.times[p])) for k, p in enumerate(picks)]
    return {"spot/spins": spins, "spot/negf": reference, "spot/times": store.times[picks]}, rows
