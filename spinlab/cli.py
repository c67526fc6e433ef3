"""Sub-commands of the ``spinlab`` command (``python -m spinlab COMMAND --help``).

Every user error ends in one line, ``spinlab: error: ...`` (exit status 2), and is found
before any work is done or any file written.  ``reproduce`` writes its results into
``--out`` (default ``results/`` in the current directory); the results shipped with
spinlab are rewritten only with ``--update-shipped``.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import shlex
import sys
import warnings
from pathlib import Path

import numpy as np

from .data import DATA_DIR
from .presets import PRESETS, get_preset

__all__ = ["add_commands", "command_line", "UsageError"]

#: Held-out torque R² below this makes ``spinlab train`` warn that the model is poor.
POOR_TORQUE_R2 = 0.5


class UsageError(ValueError):
    """A mistake in a command's arguments: reported as one line, without a traceback."""


def command_line(argv=None) -> str:
    """The command as typed, for the provenance stored with results."""
    args = sys.argv[1:] if argv is None else argv
    return "spinlab " + " ".join(shlex.quote(a) for a in args)


def _bp_default(name):
    """The default of a BPModel hyper-parameter: one source for the CLI and the API."""
    from .bp import BPModel

    return inspect.signature(BPModel).parameters[name].default


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _strip_size(text):
    try:
        lx, ly = (int(n) for n in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a strip size is LXxLY, e.g. 64x48; got {text}") from None
    if lx < 2 or ly < 1:
        raise argparse.ArgumentTypeError(f"a strip needs LX >= 2 and LY >= 1, got {text}")
    return (lx, ly)


def _count(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _probe_distance(text):
    return "auto" if text == "auto" else _positive_float(text)


def _non_negative_float(text):
    value = float(text)
    if not (np.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def _results_path(args, name: str) -> Path:
    """Where a reproduce command writes: ``--out`` (a folder), or the shipped file with --update-shipped."""
    if args.update_shipped:
        return DATA_DIR / name
    return Path(args.out) / name


# -- generate -------------------------------------------------------------------------------------------------
def _generate(args) -> int:
    from .datasets import DatasetPlan

    plan = DatasetPlan(preset=args.preset, L=args.L, engine=args.engine, kT_el=args.kT_el,
                       relaxations=args.relaxations, relaxation_steps=args.steps,
                       relaxation_snapshots=args.snapshots, dt=args.dt, alpha=args.alpha, random=args.random,
                       temperatures=tuple(args.temperatures), thermal_runs=args.thermal_runs,
                       thermal_steps=args.thermal_steps, seed=args.seed)
    return _run_plan(plan, args)


def _plan_defaults(plan_class) -> dict:
    """The field defaults of a data plan, so that a command's defaults are the plan's and cannot drift apart."""
    return {f.name: f.default for f in dataclasses.fields(plan_class) if f.default is not dataclasses.MISSING}


def _plan_from(plan_class, args):
    """The plan with every field the command has an option for (lists become tuples)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(plan_class) if hasattr(args, f.name)}
    return plan_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in given.items()})


def _strip_plan(args):
    from .strip_data import StripPlan

    return _plan_from(StripPlan, args)


def _generate_driven(args) -> int:
    return _run_plan(_strip_plan(args), args)


def _generate_walls(args) -> int:
    from .wall_data import WallDataPlan

    return _run_plan(_plan_from(WallDataPlan, args), args)


def _label(args) -> int:
    from .datasets import LabelPlan, read_configurations

    L = args.L
    if L is None:
        n_sites = read_configurations(args.sources[0])[0].shape[1]
        L = int(round(np.sqrt(n_sites)))
        if L * L != n_sites:
            raise UsageError(f"{args.sources[0]} holds {n_sites} sites, not an L x L lattice: give --L")
    plan = LabelPlan(preset=args.preset, L=L, sources=tuple(args.sources), engine=args.engine, kT_el=args.kT_el,
                     mu=args.mu, moments=args.moments, probe_distance=None if args.exact_trace else args.probe_distance,
                     every=args.every, per_shard=args.per_shard, perturbation=args.perturbation, seed=args.seed)
    return _run_plan(plan, args)


def _quench(args) -> int:
    from .datasets import model_quenches

    get_preset(args.preset).check_size(args.L)
    from .models import SHIPPED, load_shipped

    model = load_shipped(args.model) if args.model in SHIPPED else _model_for(args.preset, args.model)
    paths = model_quenches(model, args.preset, args.L, args.seeds, args.steps, args.out, dt=args.dt,
                           alpha=args.alpha, n_records=args.records)
    print(f"{len(paths)} quenches in {args.out}; label them with: spinlab label {args.out}/quench-L{args.L}-seed* "
          f"--preset {args.preset} --engine ed --out DATA")
    return 0


def _run_plan(plan, args) -> int:
    """Generate (or complete) a dataset on local workers or the Dask cluster at ``--scheduler``."""
    from .datasets import generate

    client = None
    if args.scheduler:
        from dask.distributed import Client

        client = Client(args.scheduler)
    directory = generate(plan, args.out, workers=args.workers, client=client)
    print(f"dataset complete in {directory} ({len(list(directory.glob('*.npz')))} shards)")
    return 0


# -- train ------------------------------------------------------------------------------------------------------
TRAINING_OPTIONS = ("hidden", "activation", "longitudinal", "learning_rate", "epochs", "batch_size", "patience",
                    "stop_patience", "torque_weight", "field_weight", "energy_weight", "optimizer", "seed")


def _hyperparameters(args) -> dict:
    hyper = {k: getattr(args, k) for k in TRAINING_OPTIONS}
    hyper["hidden"] = tuple(hyper["hidden"])
    return hyper


def _load_dataset(path):
    from .datasets import load_dataset

    if not Path(path).is_dir():
        raise UsageError(f"no dataset folder {path}: make one with `spinlab generate PRESET --out {path}`")
    return load_dataset(path)


def _warn_about_report(report, kinds) -> None:
    """Say so when a trained model is poor or was not checked on a snapshot class of its data."""
    held = report["held_out"]
    for kind in kinds:
        if kind not in held:
            warnings.warn(f"no held-out {kind} snapshots: the model was not checked on that class", stacklevel=2)
        elif held[kind]["torque_r2"] < POOR_TORQUE_R2:
            warnings.warn(f"held-out torque R² on {kind} snapshots is {held[kind]['torque_r2']:.3g}: the model is "
                          "poor there (more data, more epochs or a larger cutoff?)", stacklevel=2)


def _train(args) -> int:
    from .training import train_on_dataset

    datasets = [_load_dataset(path) for path in args.data]
    data = datasets[0] if len(datasets) == 1 else datasets
    init = None
    if args.init is not None:
        from .bp import load_model
        from .models import SHIPPED, load_shipped

        init = load_shipped(args.init) if args.init in SHIPPED else load_model(args.init)
    model, report = train_on_dataset(data, cutoff=args.cutoff, pair_range=args.pair_range, weights=dict(args.weight),
                                     init=init, progress=not args.quiet, **_hyperparameters(args))
    if len(datasets) == 1:
        provenance = {"plan": datasets[0].plan, "fingerprint": datasets[0].fingerprint()}
    else:
        provenance = {"plan": datasets[0].plan, "datasets": [
            {"name": d.name, "plan": d.plan, "fingerprint": d.fingerprint()} for d in datasets]}
    model.save(args.out, command=command_line(args.argv),
               extra={"dataset": provenance, "report": report,
                      "history": {k: [float(x) for x in v] for k, v in model.history_.items()}})
    print(f"model written to {args.out}.npz/.json ({model.descriptor})")
    print(json.dumps(report, indent=2))
    prefixes = [""] if len(datasets) == 1 else [f"{d.name}/" for d in datasets]
    _warn_about_report(report, [p + str(k) for p, d in zip(prefixes, datasets) for k in dict.fromkeys(d.kind)])
    return 0


def _weight(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        weight = float(value)
    except ValueError:
        weight = -1.0
    if not sep or not name or not (np.isfinite(weight) and weight >= 0):
        raise argparse.ArgumentTypeError(f"expected NAME=WEIGHT with a weight >= 0, got {text!r}")
    return name, weight


# -- reproduce ---------------------------------------------------------------------------------------------------
def _model_for(preset, path):
    """The model a reproduce command uses, with a warning when it was trained for another preset."""
    from .bp import load_model
    from .models import load_shipped

    if path is None:  # every preset has a shipped model
        return load_shipped(preset)
    model = load_model(path)
    trained_for = model.metadata_.get("dataset", {}).get("plan", {}).get("preset")
    if trained_for is not None and trained_for != preset:
        warnings.warn(f"{path} was trained on {trained_for} data, not on {preset}: its fields describe another "
                      "model", stacklevel=2)
    return model


def _study_file(study: str, model_path) -> str:
    """The result file of a study: ``{study}.npz`` with the shipped model, and with another model a file
    of its own beside it, named after the model (``{study}-{model}.npz``)."""
    return f"{study}.npz" if model_path is None else f"{study}-{Path(model_path).name}.npz"


def _write(path: Path, arrays, metadata) -> None:
    from .io import save_npz

    save_npz(path, arrays, metadata)
    print(f"written {path}")


def _reproduce_orders(args) -> int:
    from . import reproduce
    from .presets import get_preset

    get_preset(args.preset).check_size(args.L)
    get_preset(args.preset).check_size(args.L_large)
    model = _model_for(args.preset, args.model)
    arrays, summary = reproduce.compare_orders(args.preset, model, seeds=tuple(args.seeds), L=args.L,
                                               steps=args.steps, L_large=args.L_large, large_steps=args.large_steps)
    _write(_results_path(args, f"orders-{args.preset}.npz"), arrays,
           dict(summary, kind="orders", command=command_line(args.argv)))
    print(json.dumps(summary, indent=2, default=float))
    return 0


def _sweep_model(data, cutoff, args):
    """Train the sweep's model at one cutoff, or reuse the one an interrupted sweep saved in --models."""
    from .bp import load_model
    from .training import evaluate_by_kind, train_on_dataset

    hyper = _hyperparameters(args)
    path = Path(args.models) / f"{data.plan['preset']}-rc{cutoff:g}" if args.models else None
    if path is not None and Path(f"{path}.npz").exists():
        train, held = data.split()
        model = load_model(path)
        same = all(getattr(model, k) == v for k, v in hyper.items())
        if same and model.trained_on(train.spins, train.fields):
            print(f"reusing {path}.npz (r_c = {cutoff:g}), trained by an earlier run of this sweep")
            return model, {"held_out": evaluate_by_kind(model, held), "train_snapshots": len(train),
                           "held_out_snapshots": len(held), "epochs_run": model.metadata_.get("epochs_run")}
    model, report = train_on_dataset(data, cutoff=cutoff, **hyper)
    if path is not None:
        model.save(path, command=command_line(args.argv), extra={"epochs_run": report["epochs_run"]})
    return model, report


def _reproduce_cutoff_sweep(args) -> int:
    from .io import write_json_atomic
    from .training import field_cost

    data = _load_dataset(args.data)
    rows = []
    for cutoff in args.cutoffs:
        model, report = _sweep_model(data, cutoff, args)
        rows.append({"cutoff": cutoff, "features": model.descriptor.n_features, "report": report,
                     "cost_us_per_site": field_cost(model)})
        print(json.dumps(rows[-1], indent=2))
    out = _results_path(args, f"cutoff-sweep-{data.plan['preset']}.json")
    write_json_atomic(out, {"preset": data.plan["preset"], "rows": rows, "command": command_line(args.argv)})
    print(f"written {out}")
    return 0


def _reproduce_chiral_order(args) -> int:
    from . import reproduce
    from .models import load_shipped

    result = reproduce.chirality_vs_temperature(load_shipped("tetrahedral"), args.temperatures, L=args.L,
                                                steps=args.steps)
    _write(_results_path(args, "chiral-order.npz"), {k: v for k, v in result.items() if isinstance(v, np.ndarray)},
           {"kind": "chiral-order", "L": args.L, "steps": args.steps, "command": command_line(args.argv)})
    for T, m in zip(result["temperatures"], result["order"]):
        print(f"kT = {T:.4f}: |<chi>|/chi_ideal = {m:.3f}")
    return 0


def _reproduce_locality(args) -> int:
    from . import reproduce
    from .presets import get_preset

    get_preset(args.preset).check_size(args.L)
    if max(args.radii) >= args.L / 2:
        raise UsageError(f"radii must stay below L/2 = {args.L / 2:g} (the torus wraps beyond), got {max(args.radii)}")
    arrays, summary = reproduce.locality(args.preset, L=args.L, radii=args.radii, temperatures=args.temperatures,
                                         steps=args.steps, dt=args.dt, alpha=args.alpha, kT_el=args.kT_el,
                                         quench_times=args.quench_times, fixed_mu=args.fixed_mu)
    _write(_results_path(args, f"locality-{args.preset}.npz"), arrays,
           {**summary, "kind": "locality", "command": command_line(args.argv)})
    print("share of H_perp from beyond R, R = " + ", ".join(f"{R:g}" for R in args.radii))
    for name in summary["classes"]:
        print(f"{name:>16}: " + ", ".join(f"{v:.3f}" for v in arrays[f"{name}/share"]))
        if args.fixed_mu:
            print(f"{'at fixed mu':>16}: " + ", ".join(f"{v:.3f}" for v in arrays[f"{name}/share-fixed-mu"]))
    return 0


def _reproduce_kpm_accuracy(args) -> int:
    from . import kpm_studies
    from .models import load_shipped

    L = args.L or {"tetrahedral": 36, "double-exchange": 24}[args.preset]
    get_preset(args.preset).check_size(L)
    model = load_shipped("tetrahedral") if args.preset == "tetrahedral" else None
    states = kpm_studies.accuracy_states(args.preset, L, model=model, work=args.work)
    summary = kpm_studies.kpm_accuracy(args.preset, states, kT_el=args.kT_el, distances=args.distances,
                                       expansion_moments=args.expansion_moments, work=args.work)
    _write(_results_path(args, f"kpm-accuracy-{args.preset}.npz"),
           {f"{name}/states": configs for name, configs in states.items()},
           dict(summary, kind="kpm-accuracy", command=command_line(args.argv)))
    for error in ("expansion", "probing", "probing_fixed_mu", "ensemble"):
        print(f"{error}: " + "; ".join(f"{name} {np.round(np.mean(np.atleast_2d(v), axis=0), 4).tolist()}"
                                       if error != "expansion" else f"{name} {np.round(v, 6).tolist()}"
                                       for name, v in summary[error].items()))
    return 0


def _tetrahedral_kpm_study(args, study, name: str, **options):
    """Run ``study`` (a :mod:`spinlab.kpm_studies` function) on the shipped tetrahedral model with the
    common KPM options and write its result as ``name``.npz; returns ``(arrays, summary)``."""
    from .models import load_shipped

    get_preset("tetrahedral").check_size(args.L)
    arrays, summary = study(load_shipped("tetrahedral"), L=args.L, kT_el=args.kT_el, moments=args.moments,
                            probe_distance=args.distance, work=args.work, **options)
    _write(_results_path(args, f"{name}.npz"), arrays, dict(summary, kind=name, command=command_line(args.argv)))
    return arrays, summary


def _reproduce_kpm_coarsening(args) -> int:
    from .kpm_studies import kpm_on_coarsening

    arrays, summary = _tetrahedral_kpm_study(args, kpm_on_coarsening, "kpm-coarsening", steps=args.steps, at=args.at)
    for t, errors in zip(arrays["times"], summary["errors"]):
        print(f"t = {t:6.1f}: ML torque error / spread: all {errors['all']:.3f}, walls {errors['walls']:.3f}, "
              f"domains {errors['domains']:.3f} (wall fraction {errors['wall_fraction']:.2f})")
    ensemble = summary["ensemble"]["ensemble_error"]
    print(f"ensemble: ED at (mu, kT_el) against canonical T = 0 ED on a {summary['ensemble']['L']}^2 walled state: "
          f"all {ensemble['all']:.3f}, walls {ensemble['walls']:.3f}, domains {ensemble['domains']:.3f}")
    ml = summary["ensemble"]["ml_error"]
    print(f"ML against canonical T = 0 ED there: all {ml['all']:.3f}, walls {ml['walls']:.3f}, "
          f"domains {ml['domains']:.3f}")
    return 0


def _reproduce_kpm_cost(args) -> int:
    from .io import write_json_atomic
    from .kpm_studies import cost_against_size

    result = dict(cost_against_size(args.sizes, ed_max=args.ed_max), command=command_line(args.argv))
    out = _results_path(args, "kpm-cost.json")
    write_json_atomic(out, result)
    print(f"seconds per field: {result['seconds']}")
    print(f"crossover L = {result['crossover_L']}, KPM time(4N)/time(N) = {result['kpm_scaling']}, "
          f"ML/KPM at 96 x 96 = {result['ml_over_kpm_96']}")
    print(f"written {out}")
    return 0


def _reproduce_kpm_dynamics(args) -> int:
    from .kpm_studies import kpm_dynamics

    _, summary = _tetrahedral_kpm_study(args, kpm_dynamics, "kpm-dynamics", t_start=args.t_start, steps=args.steps)
    print(f"after {args.steps} steps: rms spin difference ML vs KPM {summary['final_spin_difference']:.3f}; "
          f"|chirality| ML {summary['final_abs_chirality']['ml']:.3f}, KPM {summary['final_abs_chirality']['kpm']:.3f}")
    return 0


def _reproduce_timestep(args) -> int:
    from . import reproduce

    arrays, summary = reproduce.timestep_study(args.preset, L=args.L, dts=tuple(args.dts), t_max=args.t_max,
                                               seeds=tuple(args.seeds), alpha=args.alpha, kT_el=args.kT_el,
                                               work=args.work)
    _write(_results_path(args, f"timestep-{args.preset}.npz"), arrays,
           dict(summary, kind="timestep", command=command_line(args.argv)))
    for seed, differences in summary["max_difference"].items():
        print(f"seed {seed}: largest |Δ<S_i.S_j>| against dt = {args.dts[0]:g}: " +
              ", ".join(f"dt = {dt}: {d:.2e}" for dt, d in differences.items()))
    return 0


COARSENING_L = 96  # the lattice of the shipped coarsening.npz


def _quench_worker(model_path, L: int, kT: float, steps: int, dt: float, seed: int, records: int, work: str) -> int:
    """One seed of the coarsening study in a worker process (or on a Dask worker sharing ``work``)."""
    from . import reproduce

    reproduce.quench(_model_for("tetrahedral", model_path), L, kT, steps, dt=dt, seed=seed, n_records=records,
                     store=reproduce.quench_store(work, L, kT, seed), progress=False)
    return seed


def _reproduce_coarsening(args) -> int:
    from . import reproduce
    from .presets import get_preset

    get_preset("tetrahedral").check_size(args.L)
    model = _model_for("tetrahedral", args.model)  # a missing or damaged model file fails here, before any run
    seeds = [(args.model, args.L, args.kT, args.steps, args.dt, seed, args.records, args.work) for seed in args.seeds]
    print(f"{len(seeds)} quenches in {args.work} (each continues from its last checkpoint)")
    if args.workers > 1 or args.scheduler:  # else coarsening() below runs them here, with progress
        _run_jobs(seeds, args.workers, "quenches", _quench_worker, None, scheduler=args.scheduler)
    result = reproduce.coarsening(model, args.L, args.kT, args.steps, seeds=args.seeds, maps_at=args.maps,
                                  work=args.work, dt=args.dt, n_records=args.records)
    exponents = reproduce.growth_exponents(result, args.seeds, args.fit_window)
    model_name = "tetrahedral" if args.model is None else Path(args.model).name
    # the chapter's first study keeps its name; other lattices and models get files of their own beside it
    name = "coarsening" if args.model is None and args.L == COARSENING_L else f"coarsening-L{args.L}-{model_name}"
    _write(_results_path(args, f"{name}.npz"), result,
           {"kind": "coarsening", "L": args.L, "kT": args.kT, "steps": args.steps, "seeds": list(args.seeds),
            "dt": args.dt, "alpha": 1.0, "fit_window": list(args.fit_window), "model": model.fingerprint(),
            "model_name": model_name, "command": command_line(args.argv)})
    error = exponents.std(ddof=1) / np.sqrt(len(exponents)) if len(exponents) > 1 else np.nan
    print(f"growth exponents over t in {args.fit_window}: {np.round(exponents, 3)}; "
          f"n = {exponents.mean():.3f} ± {error:.3f}")
    return 0


def _reproduce_de_benchmark(args) -> int:
    from .de_studies import benchmark_quenches

    get_preset("double-exchange").check_size(args.L)
    model = _model_for("double-exchange", args.model)
    arrays, summary = benchmark_quenches(model, args.L, args.seeds, args.steps, kT_el=args.kT_el,
                                         locality_radius=args.locality_radius, work=args.work)
    _write(_results_path(args, _study_file("de-benchmark", args.model)), arrays,
           dict(summary, kind="de-benchmark", model=model.fingerprint(), command=command_line(args.argv)))
    for name, p in summary["plateau"].items():
        print(f"{name.upper()} NN-correlation plateau on {args.L} x {args.L}: {p['mean']:.4f} ± {p['spread']:.4f} "
              f"over {len(args.seeds)} seeds")
    for key, states in (("accuracy", "the ED quenches"), ("accuracy_own", "its own quenches")):
        for stage, e in summary[key].items():
            print(f"model along {states} ({stage}): field error {e['field_relative']:.4f}, torque error "
                  f"{e['torque_relative']:.4f} of their spreads")
    holes, reach = summary["holes"], summary["hole_locality"]
    print(f"late torque error at hole-rich sites ({holes['rich_fraction']:.3f} of them): {holes['rich']:.4f}, "
          f"elsewhere {holes['rest']:.4f}; the ED torque there from beyond R = {reach['radius']:g}: "
          f"{reach['rich']:.4f} and {reach['rest']:.4f} (fixed mu: {reach['rich_fixed_mu']:.4f}, "
          f"{reach['rest_fixed_mu']:.4f})")
    floor = summary["fixed_mu"]
    print(f"ED at one fixed mu = {floor['mu']:.4f} (the late states' canonical mu: spread {floor['spread']:.4f}) "
          f"against canonical ED, late: field error {floor['late']['field_relative']:.4f}, torque error "
          f"{floor['late']['torque_relative']:.4f}")
    return 0


def _strip_provenance(data) -> dict:
    """What a strip model file records of its data: the plan, the fingerprint and the held-out bias."""
    from .strip_studies import HELD_OUT_BIAS

    return {"dataset": {"plan": data.plan, "fingerprint": data.fingerprint()}, "held_out_bias": HELD_OUT_BIAS}


def _train_strip_model(data_dir, name: str, path, command: str, params: dict) -> str:
    """Train one model of the strip study on the training split of ``data_dir`` and save it (one process).

    The best weights so far are saved every 20 iterations and on Ctrl-C to ``<name>-partial``, from
    which the next call continues: the fit goes on in sittings until it has ``epochs`` iterations.
    """
    from .bp import load_model
    from .datasets import load_dataset
    from .modelfiles import model_paths
    from .strip_studies import MODELS, split_driven, train_strip_model

    data = load_dataset(data_dir)
    train, _ = split_driven(data)
    partial = Path(path).with_name(f"{name}-partial")

    def save(model, to):
        model.save(to, command=command, extra=dict(
            _strip_provenance(data), history={k: [float(x) for x in v] for k, v in model.history_.items()}))

    init = None
    if model_paths(partial)[0].exists():
        init = load_model(partial)
        if init.metadata_["dataset"]["fingerprint"] != data.fingerprint():
            raise UsageError(f"{partial}.npz was trained on other data: delete it to start afresh")
        init.history_ = {k: list(v) for k, v in init.metadata_["history"].items()}
        print(f"{name}: continuing from {partial}.npz after {len(init.history_['train_loss'])} of "
              f"{params['epochs']} iterations")
    model = train_strip_model(train, MODELS[name], init=init, checkpoint=lambda m: save(m, partial), **params)
    save(model, path)
    for file in model_paths(partial):
        file.unlink(missing_ok=True)
    return name


def _reproduce_strip_potentials(args) -> int:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from .bp import load_model
    from .datasets import _init_worker
    from .models import shipped_path
    from .strip_studies import MODELS, strip_potentials_study, strip_regions

    data = _load_dataset(args.data)
    if data.bias is None:
        raise UsageError(f"{args.data} holds equilibrium data: make driven-strip data with `spinlab generate-driven`")
    if not strip_regions(data.lattice, args.margin)["bulk"].any():
        raise UsageError(f"--margin {args.margin} leaves no bulk on {data.lattice!r}")
    folder = Path(args.models)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in MODELS}
    missing = [name for name, path in paths.items() if not path.with_suffix(".npz").exists()]
    for name in (name for name in paths if name not in missing):
        print(f"{name} model read from {paths[name]}.npz (delete it to retrain)")
    params = dict(cutoff=args.cutoff, hidden=tuple(args.hidden), epochs=args.epochs, seed=args.seed)
    command = command_line(args.argv)
    workers = min(args.workers, len(missing))
    if workers > 1:  # the models train independently: one process each (progress bars would interleave)
        print(f"training {', '.join(missing)} in {workers} processes")
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
            futures = [pool.submit(_train_strip_model, args.data, name, paths[name], command,
                                   dict(params, progress=False)) for name in missing]
            for future in as_completed(futures):
                print(f"{future.result()} model trained and written to {args.models}")
    else:
        for name in missing:
            _train_strip_model(args.data, name, paths[name], command, params)
    models = {name: load_model(path) for name, path in paths.items()}
    arrays, summary = strip_potentials_study(data, models, margin=args.margin)  # its sample/* is re-checked by tests
    summary.update(kind="strip-potentials", command=command, plan=data.plan, fingerprint=data.fingerprint(),
                   models={name: m.fingerprint() for name, m in models.items()})
    _write(_results_path(args, "strip-potentials.npz"), arrays, summary)
    if args.update_shipped:
        for name, shipped in (("two-potential", "driven-strip"), ("conservative", "driven-strip-conservative")):
            models[name].save(shipped_path(shipped), command=command,
                              extra=dict(_strip_provenance(data), report=summary["accuracy"]))
            print(f"shipped {name} model written to {shipped_path(shipped)}.npz/.json")
    for name, groups_ in summary["accuracy"].items():
        for group, regions in groups_.items():
            print(f"{name:>14} {group:>14}: torque error " + ", ".join(
                f"{region} {e['torque_relative']:.3f}" for region, e in regions.items()) + " of their spreads")
    work = summary["loop_work"]
    print(f"loop work: NEGF {work['negf']:.3e} (zero bias {work['negf_zero_bias']:.1e}), two-potential "
          f"{work['two-potential']:.3e}, conservative {work['conservative']:.1e}")
    even = summary["even_part"]
    print(f"even part: NEGF rms {even['negf_rms']:.3e}; W against it: relative error "
          f"{even['two-potential']['relative_error']:.3f}")
    return 0


def _interface_models(args, engines) -> dict:
    """The ML engines' models: --model / --conservative files, or the shipped ones."""
    from .bp import load_model
    from .interface_studies import ENGINES
    from .models import load_shipped

    paths = {"two-potential": args.model, "conservative": args.conservative}
    try:
        return {engine: load_shipped(ENGINES[engine]) if paths[engine] is None else load_model(paths[engine])
                for engine in engines if engine != "negf"}
    except (OSError, ValueError) as err:
        raise UsageError(str(err)) from None


def _run_jobs(jobs, workers: int, description: str, in_worker, here, scheduler=None) -> None:
    """Run every job: ``in_worker(*job)`` on the Dask cluster at ``scheduler`` or in ``workers`` spawned
    processes (one BLAS and numba thread each), or ``here(job)`` in this process, one after another
    with its own progress, when ``workers`` is 1."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from tqdm.auto import tqdm

    from .datasets import _init_worker

    if not jobs:
        return
    if scheduler:
        from dask.distributed import Client, as_completed as dask_completed

        with Client(scheduler) as client:
            futures = [client.submit(in_worker, *job, pure=False) for job in jobs]
            for future in tqdm(dask_completed(futures), total=len(futures), desc=description):
                future.result()
    elif workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
            futures = [pool.submit(in_worker, *job) for job in jobs]
            for future in tqdm(as_completed(futures), total=len(futures), desc=description):
                future.result()
    else:
        for job in tqdm(jobs, desc=description):
            here(job)


def _run_interface_worker(plan_config: dict, spec: tuple, model_args: dict, work: str) -> str:
    """One run of the interface study in a worker process."""
    from argparse import Namespace

    from .interface_studies import InterfacePlan, InterfaceRun, negf_currents, run_interface

    spec = InterfaceRun(*spec)
    plan = InterfacePlan(**plan_config)
    run_interface(plan, spec, _interface_models(Namespace(**model_args), [spec.engine]), work, progress=False)
    if spec.engine == "negf":
        negf_currents(plan, spec, work)
    return spec.name


def _reproduce_interface_motion(args) -> int:
    from .interface_studies import InterfacePlan, InterfaceRun, interface_summary, run_interface, spot_checks

    try:
        plan = InterfacePlan(mu_left=args.mu_left, mu_right=args.mu_right, seeds=args.seeds, controls=args.controls,
                             control_seeds=args.control_seeds, sweep=args.sweep, sweep_seeds=args.sweep_seeds,
                             large=args.large, large_seeds=args.large_seeds, engines=args.engines, groups=args.groups,
                             steps=args.steps, records=args.records, integrator=args.integrator, kT=args.kT)
    except ValueError as err:
        raise UsageError(str(err)) from None
    models = _interface_models(args, plan.engines)  # a missing or damaged model file fails here, before any run
    runs = plan.runs()
    for spec in {(s.engine, s.Lx, s.Ly): s for s in runs if s.engine != "negf"}.values():  # one field per strip
        try:
            models[spec.engine].bind(spec.lattice, bias=(spec.mu_left, spec.mu_right)).exchange_field(plan.start(spec))
        except ValueError as err:
            raise UsageError(f"{spec.engine} model on {spec.Lx} x {spec.Ly}: {err}") from None
    model_args = {"model": args.model, "conservative": args.conservative}
    print(f"{len(runs)} runs in {args.work} (each continues from its last checkpoint)")
    _run_jobs([(plan.config(), tuple(spec), model_args, args.work) for spec in runs], args.workers, "interface runs",
              _run_interface_worker, lambda job: run_interface(plan, InterfaceRun(*job[1]), models, args.work,
                                                               progress=True))
    arrays, summary = interface_summary(plan, args.work)
    if "large" in plan.groups and plan.large:
        spot_arrays, summary["spot_checks"] = spot_checks(plan, args.work, models["two-potential"], plan.large[0])
        arrays.update(spot_arrays)
    summary.update(kind="interface-motion", command=command_line(args.argv),
                   models={name: m.fingerprint() for name, m in models.items()})
    _write(_results_path(args, "interface-motion.npz"), arrays, summary)
    for key, stats in summary["groups"].items():
        print(f"{key}: right front {stats['v_right']['mean']:+.4f} ± {stats['v_right']['spread']:.4f}, left front "
              f"{stats['v_left']['mean']:+.4f} ± {stats['v_left']['spread']:.4f} columns per unit time; FM fraction at "
              f"the end {stats['fm_fraction_end']['mean']:.3f}")
    for engine, qs in summary["agreement"].items():
        print(f"{engine} vs NEGF (default bias, in NEGF seed spreads): " + ", ".join(
            f"{q} max {z['max']:.2f} rms {z['rms']:.2f}" for q, z in qs.items()))
    return 0


def _reproduce_strip_locality(args) -> int:
    from .strip_locality import StripLocalityPlan, strip_locality

    try:
        plan = _plan_from(StripLocalityPlan, args)
    except ValueError as err:
        raise UsageError(str(err)) from None
    models = _interface_models(args, ["two-potential", "conservative"])
    try:
        arrays, summary = strip_locality(plan, args.work, models)
    except ValueError as err:  # a work folder of another plan
        raise UsageError(str(err)) from None
    summary.update(kind="strip-locality", command=command_line(args.argv), plan=plan.config(),
                   models={name: m.fingerprint() for name, m in models.items()})
    _write(_results_path(args, "strip-locality.npz"), arrays, summary)
    print(f"bulk NEGF torque from spins beyond R (all / metal / Neel insulator sites, of the bulk spread "
          f"{summary['spread']:.4f}; {summary['metal_fraction']:.2f} of bulk sites metallic):")
    for radius, part in summary["floor"].items():
        print(f"  R = {radius:>4}: {part['all']:.4f} / {part['metal']:.4f} / {part['insulator']:.4f}")
    for name, part in summary["errors"].items():
        print(f"{name} model, bulk torque error: {part['all']:.3f} / {part['metal']:.3f} / {part['insulator']:.3f}")
    return 0


def _run_wall_task(plan_config: dict, task: tuple, work: str) -> tuple:
    """One task of the chiral-wall study in a worker process."""
    from .wall_studies import WallPlan, run_task

    run_task(WallPlan(**plan_config), task, work)
    return task


def _reproduce_chiral_walls(args) -> int:
    from .wall_studies import WallPlan, run_task, wall_summary

    try:
        plan = WallPlan(bond_widths=tuple(args.bond_widths), bond_length=args.bond_length,
                        perpendicular_widths=tuple(args.perpendicular_widths), frames=tuple(args.frames),
                        max_steps=args.max_steps, disk_L=args.disk_L, disk_radius=args.disk_radius,
                        disk_frames=tuple(args.disk_frames), disk_t_max=args.disk_t_max,
                        thermal_steps=args.thermal_steps)
    except ValueError as err:
        raise UsageError(str(err)) from None
    model = _model_for("tetrahedral", args.model)  # a missing or damaged model file fails here, before any run
    tasks = [] if args.summary_only else plan.tasks()
    if tasks:
        print(f"{len(tasks)} tasks in {args.work} (each continues where it stopped)")
    _run_jobs([(plan.config(), task, args.work) for task in tasks], args.workers, "wall tasks", _run_wall_task,
              lambda job: run_task(plan, job[1], args.work, progress=True))
    try:
        arrays, summary = wall_summary(plan, args.work, model, coarsening=args.coarsening or DATA_DIR / "coarsening.npz")
    except (FileNotFoundError, ValueError) as err:  # relaxations missing, or walls annihilated at every width
        raise UsageError(str(err)) from None
    summary.update(kind="chiral-walls", command=command_line(args.argv))
    summary["model"]["name"] = "tetrahedral" if args.model is None else Path(args.model).name
    _write(_results_path(args, _study_file("chiral-walls", args.model)), arrays, summary)
    for orientation, o in summary["orientations"].items():
        m = summary["model"][orientation]
        print(f"{orientation} wall: sigma = {o['sigma']:.5f} ± {o['finite_size_error']:.5f} ({o['frame']} frame, "
              f"width {o['width']}); model {m['sigma']:.5f} ({m['sigma_ratio']:.2f} of ED"
              f"{'' if m['walls_kept'] else ', its walls annihilated'}), ED torque at the model's "
              f"wall {m['ed_torque_near_wall']:.4f}" + ("" if m["ed_torque_ratio"] is None else
                                                         f" ({m['ed_torque_ratio']:.2f} of a thermal state's)"))
    m = summary["model"]
    print(f"sigma_perp - sigma_bond: ED {summary['sigma_difference']['perpendicular_minus_bond']:+.5f}, model "
          f"{m['sigma_difference']:+.5f}; disk shrink rate, model / ED: " + ", ".join(
              f"{key[5:]} {value['rate_ratio']:.2f}" for key, value in m.items() if key.startswith("disk/")))
    print("share of wall length along bonds in the coarsening maps (isotropic: 0.5): " + ", ".join(
        f"t = {t:.0f}: {f:.2f}" for t, f in zip(arrays["morphology/times"], arrays["morphology/bond_fraction"])))
    for key, rate in summary["disks"].items():
        print(f"disk {key}: area shrinks at {rate['rate']:.3f} per unit time{' (partial run)' * rate['partial']}")
    return 0


def _reproduce_de_arrest(args) -> int:
    from . import de_studies
    from .observables import local_correlation
    from .phase_separation import fm_hole_density, hole_rich_fraction

    preset = get_preset("double-exchange")
    preset.check_size(args.L)
    if args.mu_train is None and args.data is None:
        raise UsageError("give --data (the training set, for mu_train) or --mu-train")
    model = _model_for("double-exchange", args.model)
    mu_train = ({"mean": args.mu_train, "spread": args.mu_train_spread, "snapshots": None} if args.mu_train is not None
                else de_studies.training_chemical_potential([_load_dataset(path) for path in args.data]))
    arrays, summary = de_studies.arrest_quenches(model, args.L, args.seeds, args.steps, kT_control=args.kT_control,
                                                 maps_at=args.maps, n_textures=args.textures, work=args.work)
    arrays.pop("map_spins")  # shipped as C_i maps; the textures' spins only feed KPM
    holes = de_studies.kpm_hole_densities(arrays.pop("texture_spins"), args.L, mu_train["mean"])
    at_maps = np.searchsorted(arrays["texture_times"], arrays["map_times"])
    arrays.update({"hole_rich/canonical": np.array([hole_rich_fraction(h) for h in holes["holes_canonical"]]),
                   "hole_rich/at_mu": np.array([hole_rich_fraction(h) for h in holes["holes_at_mu"]]),
                   "hole_count_at_mu": holes["hole_count_at_mu"], "canonical_mu": holes["canonical_mu"],
                   "map_holes": holes["holes_canonical"][at_maps], "map_holes_at_mu": holes["holes_at_mu"][at_maps]})
    n_holes = args.L**2 - preset.n_electrons(args.L)  # the lower Hund band holds one electron per site
    radius = float(np.sqrt(n_holes / (np.pi * fm_hole_density(mu_train["mean"], preset.J))))
    lattice = preset.lattice(args.L)
    droplet = de_studies.relaxed_droplet(model.bind(lattice), lattice, radius, args.droplet_steps)
    arrays["droplet_correlation"] = local_correlation(lattice, droplet.pop("final"))
    summary.update(mu_train=mu_train, holes_expected=n_holes, droplet=dict(droplet, radius=radius,
                   steps=args.droplet_steps),
                   hole_count_at_mu_train=[float(c) for c in holes["hole_count_at_mu"]],
                   canonical_mu=[float(m) for m in holes["canonical_mu"]])
    _write(_results_path(args, _study_file("de-arrest", args.model)), arrays,
           dict(summary, kind="de-arrest", model=model.fingerprint(), command=command_line(args.argv)))
    p, c = summary["plateau"], summary["late_cluster_count"]
    print(f"NN-correlation plateau on {args.L} x {args.L}: {p['mean']:.4f} ± {p['spread']:.4f}; relaxed droplet "
          f"(r = {radius:.1f}): {droplet['nn_correlation']:.4f}")
    print(f"FM clusters over the last half-decade: {c['mean']:.1f} ± {c['spread']:.1f}; change across it "
          f"{summary['cluster_count_change']['mean']:+.1f} ± {summary['cluster_count_change']['spread']:.1f}")
    print(f"holes at mu_train = {mu_train['mean']:.4f}: {np.round(holes['hole_count_at_mu'], 1).tolist()} at t = "
          f"{np.round(arrays['texture_times'], 1).tolist()} (filling 0.485 means {n_holes:g})")
    return 0


def _figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .plotting import overview_figure

    fig = overview_figure(args.coarsening or DATA_DIR / "coarsening.npz")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi)
    print(f"written {args.out}")
    return 0


# -- the parser ----------------------------------------------------------------------------------------------
class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows every option's default (where there is one); keeps the descriptions' line breaks."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or action.required:
            return action.help
        return super()._get_help_string(action)


def _parser(subparsers, name, **kwargs):
    return subparsers.add_parser(name, formatter_class=_Formatter, **kwargs)


def _add_training_options(p) -> None:
    p.add_argument("--hidden", type=_positive_int, nargs="+", default=list(_bp_default("hidden")),
                   help="hidden layer widths of the network")
    p.add_argument("--activation", default=_bp_default("activation"), choices=["silu", "tanh", "softplus", "relu"],
                   help="activation function (smooth ones give smooth fields)")
    p.add_argument("--longitudinal", action="store_true",
                   help="learn the field's parallel part with its own output (lambda_i S_i): for fields like double "
                        "exchange's, whose |H_par| ~ 5.6 dwarfs |H_perp|")
    p.add_argument("--lr", type=_positive_float, default=_bp_default("learning_rate"), dest="learning_rate",
                   help="Adam learning rate")
    p.add_argument("--epochs", type=_positive_int, default=_bp_default("epochs"),
                   help="passes over the training snapshots (L-BFGS: iterations)")
    p.add_argument("--batch-size", type=_positive_int, default=_bp_default("batch_size"), dest="batch_size",
                   help="snapshots per Adam step")
    p.add_argument("--patience", type=_positive_int, default=_bp_default("patience"),
                   help="epochs without improvement before the learning rate decays")
    p.add_argument("--stop-patience", type=_positive_int, default=_bp_default("stop_patience"), dest="stop_patience",
                   help="epochs without improvement before training stops (the best weights are kept)")
    p.add_argument("--torque-weight", type=_non_negative_float, default=_bp_default("torque_weight"),
                   dest="torque_weight", help="weight of |S x dH|^2 in the loss: torques are a few %% of ED fields")
    p.add_argument("--field-weight", type=_non_negative_float, default=_bp_default("field_weight"),
                   dest="field_weight", help="weight of |dH|^2 in the loss")
    p.add_argument("--energy-weight", type=_non_negative_float, default=_bp_default("energy_weight"),
                   dest="energy_weight", help="weight of the squared energy error per site in the loss (the labels' "
                   "thermodynamic potential): pins energy differences such as wall energies, which fields fix "
                   "only through their integral")
    p.add_argument("--optimizer", default=_bp_default("optimizer"), choices=["adam", "lbfgs"],
                   help="Adam on minibatches or full-batch L-BFGS")
    p.add_argument("--seed", type=_count, default=_bp_default("seed"),
                   help="initialization, shuffling and validation split")


def _add_worker_options(p) -> None:
    """Where a dataset's tasks run (:func:`_run_plan`)."""
    p.add_argument("--workers", type=_positive_int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address: run the tasks on that cluster")


def _add_quench_options(p, L: int, seeds, steps: int) -> None:
    """The double-exchange quench studies' model, lattice, seeds, length and resumable work folder."""
    p.add_argument("--model", default=None, help="model path (default: the shipped double-exchange model)")
    p.add_argument("--L", type=_positive_int, default=L, help="L x L lattice")
    p.add_argument("--seeds", type=_count, nargs="+", default=seeds, help="random starting states")
    p.add_argument("--steps", type=_positive_int, default=steps, help="steps of dt = 0.05 per quench")
    p.add_argument("--work", default=None, help="folder for the runs' stores: an interrupted study continues")


def _add_output_options(p) -> None:
    out = p.add_mutually_exclusive_group()
    out.add_argument("--out", default="results", help="folder for the result (created if needed)")
    out.add_argument("--update-shipped", action="store_true", dest="update_shipped",
                     help="rewrite the result shipped with spinlab (spinlab/data) instead")


def _add_kpm_options(p, *, L: int, moments: int, distance: float) -> None:
    """The lattice, KPM and output options of the reproduce commands that check the tetrahedral model."""
    p.add_argument("--L", type=_positive_int, default=L, help="triangular L x L lattice")
    p.add_argument("--kT-el", type=_positive_float, default=0.05, dest="kT_el", help="electronic temperature of KPM")
    p.add_argument("--moments", type=_positive_int, default=moments, help="Chebyshev moments M")
    p.add_argument("--distance", type=_positive_float, default=distance, help="probe colouring distance d")
    p.add_argument("--work", default="runs", help="folder of the resumable runs")
    _add_output_options(p)


def add_commands(subparsers) -> None:
    presets = sorted(PRESETS)
    g = _parser(subparsers, "generate", help="generate training data labelled by an electron solver",
                description="Generate a training set (relaxation, thermal and random snapshots) as resumable shards.\n"
                            "Re-running the same command completes an interrupted generation.")
    g.add_argument("preset", choices=presets, help="parameter set (lattice, J, filling)")
    g.add_argument("--out", required=True, help="dataset folder")
    g.add_argument("--L", type=_positive_int, default=12,
                   help="L x L lattice (a multiple of 6 on the triangular, 2 on the square lattice)")
    g.add_argument("--engine", default="ed", choices=["ed", "kpm"],
                   help="electron solver that labels the snapshots (kpm needs --kT-el > 0)")
    g.add_argument("--kT-el", type=_non_negative_float, default=0.0, dest="kT_el",
                   help="electronic temperature of the labels (0: canonical T = 0)")
    g.add_argument("--relaxations", type=_count, default=8, help="damped relaxations from random spins")
    g.add_argument("--steps", type=_positive_int, default=3000, help="steps per relaxation")
    g.add_argument("--snapshots", type=_positive_int, default=30,
                   help="snapshots kept from each relaxation (log-spaced in time)")
    g.add_argument("--dt", type=_positive_float, default=0.1, help="time step of the relaxations and thermal runs")
    g.add_argument("--alpha", type=_non_negative_float, default=1.0,
                   help="Landau-Lifshitz damping of the relaxations and thermal runs")
    g.add_argument("--thermal-runs", type=_count, default=2, dest="thermal_runs",
                   help="Langevin runs per temperature from the ideal order")
    g.add_argument("--temperatures", type=_positive_float, nargs="+", default=[0.005, 0.01, 0.02],
                   help="spin-bath temperatures of the thermal runs")
    g.add_argument("--thermal-steps", type=_positive_int, default=600, dest="thermal_steps",
                   help="steps per thermal run (snapshots from its second half)")
    g.add_argument("--random", type=_count, default=60, help="random (infinite-temperature) snapshots")
    g.add_argument("--seed", type=_count, default=0, help="base seed; task k uses seed + k")
    _add_worker_options(g)
    g.set_defaults(run=_generate)

    d = _parser(subparsers, "generate-driven", help="NEGF training data of the strip driven between two leads",
                description="NEGF-driven LL runs of the strip (open x, periodic y) from a thermalized Neel state at\n"
                            "several biases (mu_left fixed, one run per --mu-right value), snapshots evenly in time\n"
                            "plus perturbed copies, labelled by NEGF. Re-running completes an interrupted generation.")
    d.add_argument("--out", required=True, help="dataset folder")
    from .strip_data import StripPlan

    plan = _plan_defaults(StripPlan)
    d.add_argument("--Lx", type=_positive_int, default=plan["Lx"], help="columns (transport direction, open)")
    d.add_argument("--Ly", type=_positive_int, default=plan["Ly"], help="rows (periodic)")
    d.add_argument("--J", type=_positive_float, default=plan["J"], help="Hund coupling")
    d.add_argument("--Gamma", type=_positive_float, default=plan["Gamma"], help="wide-band lead coupling")
    d.add_argument("--kT-el", type=_non_negative_float, default=plan["kT_el"], dest="kT_el",
                   help="electronic temperature")
    d.add_argument("--mu-left", type=float, default=plan["mu_left"], dest="mu_left",
                   help="left lead chemical potential (fixed)")
    d.add_argument("--mu-right", type=float, nargs="+", default=list(plan["mu_rights"]), dest="mu_rights",
                   metavar="MU",
                   help="right lead chemical potential of each run from the Neel start (repeat one for another run)")
    d.add_argument("--bridge-mu-right", type=float, nargs="*", default=list(plan["bridge_mu_rights"]), metavar="MU",
                   dest="bridge_mu_rights",
                   help="the same for runs from a tilted ferromagnet (a metal bridging the leads)")
    d.add_argument("--steps", type=_positive_int, default=plan["steps"], help="steps per run")
    d.add_argument("--dt", type=_positive_float, default=plan["dt"], help="time step")
    d.add_argument("--alpha", type=_non_negative_float, default=plan["alpha"], help="Landau-Lifshitz damping")
    d.add_argument("--kT", type=_non_negative_float, default=plan["kT"], help="spin-bath temperature")
    d.add_argument("--snapshots", type=_positive_int, default=plan["snapshots"],
                   help="snapshots per run (evenly in time)")
    d.add_argument("--perturbations", type=_count, default=plan["perturbations"],
                   help="randomly tilted copies of each snapshot")
    d.add_argument("--seed", type=_count, default=plan["seed"], help="base seed; run k uses seed + k")
    _add_worker_options(d)
    d.set_defaults(run=_generate_driven)

    from .wall_data import WallDataPlan
    from .walls import WALL_FRAMES, WALL_ORIENTATIONS

    w = _parser(subparsers, "generate-walls", help="ED training data from chiral domain walls (tetrahedral preset)",
                description="ED-driven LL runs from two straight chiral walls on an L1 x 2L1 torus, one per wall\n"
                            "orientation, relative spin frame and spin temperature, snapshots log-spaced in time,\n"
                            "labelled by quasi-canonical ED. Re-running completes an interrupted generation.")
    w.add_argument("--out", required=True, help="dataset folder")
    plan = _plan_defaults(WallDataPlan)
    w.add_argument("--L1", type=_positive_int, default=plan["L1"], help="torus L1 x 2 L1 (L1 even)")
    w.add_argument("--kT-el", type=_non_negative_float, default=plan["kT_el"], dest="kT_el",
                   help="electronic temperature")
    w.add_argument("--orientations", nargs="+", choices=WALL_ORIENTATIONS, default=list(plan["orientations"]),
                   help="wall orientations")
    w.add_argument("--frames", nargs="+", choices=list(WALL_FRAMES), default=list(plan["frames"]),
                   help="relative spin frames of the -chi domain")
    w.add_argument("--temperatures", type=_non_negative_float, nargs="+", default=list(plan["temperatures"]),
                   help="spin-bath temperatures of the runs (0: damped relaxation)")
    w.add_argument("--steps", type=_positive_int, default=plan["steps"], help="steps per run")
    w.add_argument("--snapshots", type=_positive_int, default=plan["snapshots"],
                   help="snapshots per run (log-spaced in time)")
    w.add_argument("--dt", type=_positive_float, default=plan["dt"], help="time step")
    w.add_argument("--alpha", type=_non_negative_float, default=plan["alpha"], help="Landau-Lifshitz damping")
    w.add_argument("--tilt", type=_non_negative_float, default=plan["tilt"],
                   help="random kick of every spin at the start")
    w.add_argument("--seed", type=_count, default=plan["seed"], help="base seed; run k uses seed + k")
    _add_worker_options(w)
    w.set_defaults(run=_generate_walls)

    b = _parser(subparsers, "label", help="label given configurations with an electron solver (KPM by default)",
                description="Compute the exchange fields of given spin configurations (ML-driven states on lattices ED\n"
                            "cannot evolve, say) and store them as a dataset. Re-running completes an interrupted run.")
    b.add_argument("sources", nargs="+", help=".npz files with a 'spins' array, or trajectory store folders")
    b.add_argument("--preset", required=True, choices=presets, help="parameter set (lattice, J, filling)")
    b.add_argument("--out", required=True, help="dataset folder")
    b.add_argument("--L", type=_positive_int, default=None, help="L x L lattice (default: from the site count)")
    b.add_argument("--engine", default="kpm", choices=["kpm", "ed"], help="electron solver")
    b.add_argument("--kT-el", type=_positive_float, default=0.02, dest="kT_el", help="electronic temperature")
    b.add_argument("--mu", type=float, default=None,
                   help="chemical potential (grand canonical); default: the preset's filling (quasi-canonical)")
    b.add_argument("--moments", type=_positive_int, default=None,
                   help="KPM expansion order (default: enough for 1e-8 at this temperature)")
    probes = b.add_mutually_exclusive_group()
    probes.add_argument("--probe-distance", type=_probe_distance, default="auto", dest="probe_distance",
                        help="KPM probe colouring distance d (lattice spacings; auto: spinlab's default where the "
                             "lattice is larger than it, else the exact trace)")
    probes.add_argument("--exact-trace", action="store_true", dest="exact_trace",
                        help="KPM with one probe per site and spin (exact trace; costly)")
    b.add_argument("--every", type=_positive_int, default=1, help="label every n-th configuration of each source")
    b.add_argument("--per-shard", type=_positive_int, default=4, dest="per_shard", help="configurations per shard")
    b.add_argument("--perturbation", type=_non_negative_float, default=0.0,
                   help="label copies turned by random angles of this rms (radians per transverse axis) instead: "
                        "states just off the trajectories")
    b.add_argument("--seed", type=_count, default=0, help="seed of the perturbations")
    _add_worker_options(b)
    b.set_defaults(run=_label)

    q = _parser(subparsers, "quench", help="model-driven damped quenches from random spins, to be labelled",
                description="Damped quenches from random spins driven by a force field, one resumable store per seed:\n"
                            "the states the model itself visits, for `spinlab label` and another round of training.")
    q.add_argument("model", nargs="?", default=None,
                   help="model path, or a shipped model's name (default: the preset's shipped model)")
    q.add_argument("--preset", required=True, choices=presets, help="parameter set (lattice)")
    q.add_argument("--out", required=True, help="folder of the stores (an interrupted run continues)")
    q.add_argument("--L", type=_positive_int, default=16, help="L x L lattice")
    q.add_argument("--seeds", type=_count, nargs="+", required=True, help="random starting states, one run each")
    q.add_argument("--steps", type=_positive_int, default=2000, help="steps per quench")
    q.add_argument("--dt", type=_positive_float, default=0.05, help="time step")
    q.add_argument("--alpha", type=_positive_float, default=0.5, help="Landau-Lifshitz damping")
    q.add_argument("--records", type=_positive_int, default=40, help="log-spaced records per quench (and step 0)")
    q.set_defaults(run=_quench)

    t = _parser(subparsers, "train", help="train a BP model on a generated dataset",
                description="Train a Behler-Parrinello model on the fields of a dataset. Every 4th task of each "
                            "snapshot class is held out;\nthe held-out errors per class are stored with the model.")
    t.add_argument("data", nargs="+", help="dataset folders written by `spinlab generate` (several: one model on "
                                           "all of them, e.g. a 12 x 12 set and walled tori; one preset and kT_el)")
    t.add_argument("--weight", type=_weight, action="append", default=[], metavar="NAME=WEIGHT",
                   help="loss weight of a snapshot class (e.g. walls=3) or of a dataset folder's name; repeatable")
    t.add_argument("--out", required=True, help="model path without extension (writes .npz and .json)")
    t.add_argument("--cutoff", type=_positive_float, default=2.0, help="descriptor cutoff r_c (lattice spacings)")
    t.add_argument("--pair-range", type=_positive_float, default=None, dest="pair_range",
                   help="longest bond S_j.S_k among the neighbourhood's sites, up to 2 r_c (default: min(r_c, 2) "
                        "triangular, min(r_c, 2.3) square); longer bonds let a site energy hold longer-range couplings")
    t.add_argument("--init", default=None, help="start from this model (a shipped model's name or a model path): "
                   "its descriptor, scaler and weights; --cutoff and --pair-range are then not used")
    _add_training_options(t)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(run=_train)

    r = _parser(subparsers, "reproduce", help="heavy runs behind the book's figures",
                description="Documented runs whose small outputs the book shows; shipped copies live in "
                            "spinlab/data.")
    runs = r.add_subparsers(dest="what", metavar="WHAT", required=True)
    o = _parser(runs, "orders", help="ED- vs ML-driven LLG from the same random states, plus a large ML run")
    o.add_argument("preset", choices=["120-degree", "tetrahedral"],
                   help="parameter set (double exchange: `reproduce de-benchmark`)")
    o.add_argument("--model", default=None, help="model path (default: the shipped model of the preset)")
    o.add_argument("--seeds", type=_count, nargs="+", default=[101, 102, 103], help="random starting states")
    o.add_argument("--L", type=_positive_int, default=12, help="lattice of the ED vs ML runs")
    o.add_argument("--steps", type=_positive_int, default=5000, help="steps of dt = 0.1 per run")
    o.add_argument("--L-large", type=_positive_int, default=96, dest="L_large", help="lattice of the large ML run")
    o.add_argument("--large-steps", type=_positive_int, default=3000, dest="large_steps",
                   help="steps of the large ML run")
    _add_output_options(o)
    o.set_defaults(run=_reproduce_orders)
    c = _parser(runs, "cutoff-sweep", help="accuracy and cost of BP models against the descriptor cutoff")
    c.add_argument("data", help="dataset folder")
    c.add_argument("--cutoffs", type=_positive_float, nargs="+", default=[2.0, 3.0, 4.0], help="r_c values")
    _add_training_options(c)
    c.add_argument("--models", default=None, help="also save each model into this folder (makes the sweep resumable)")
    _add_output_options(c)
    c.set_defaults(run=_reproduce_cutoff_sweep)
    t = _parser(runs, "chiral-order", help="chiral order parameter against temperature (ML Langevin)")
    t.add_argument("--temperatures", type=_positive_float, nargs="+",
                   default=[0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06], help="spin-bath temperatures")
    t.add_argument("--L", type=_positive_int, default=24, help="triangular L x L lattice")
    t.add_argument("--steps", type=_positive_int, default=3000, help="steps of dt = 0.1 per temperature")
    _add_output_options(t)
    t.set_defaults(run=_reproduce_chiral_order)
    g = _parser(runs, "locality", help="how far ED fields reach, for random, thermal and quench spins")
    g.add_argument("preset", nargs="?", default="tetrahedral", choices=presets, help="parameter set")
    g.add_argument("--L", type=_positive_int, default=18, help="ED on the L x L lattice")
    g.add_argument("--radii", type=_positive_float, nargs="+", default=[2.0, 3.0, 4.0, 5.0],
                   help="R in lattice spacings: spins farther than R are replaced")
    g.add_argument("--temperatures", type=_positive_float, nargs="+", default=[0.005, 0.01, 0.02],
                   help="kT of the thermal classes (two ED Langevin states each)")
    g.add_argument("--steps", type=_positive_int, default=300, help="ED Langevin steps from the ideal order")
    g.add_argument("--quench-times", type=_positive_float, nargs="*", default=[],
                   help="add a class of quench states at each of these times (ED-driven damped runs from random spins)")
    g.add_argument("--dt", type=_positive_float, default=0.1, help="time step of the Langevin runs and quenches")
    g.add_argument("--alpha", type=_positive_float, default=1.0, help="Landau-Lifshitz damping of the runs")
    g.add_argument("--kT-el", type=_non_negative_float, default=0.0,
                   help="electronic temperature (0: canonical T = 0; the preset's N_e in either case)")
    g.add_argument("--fixed-mu", action="store_true",
                   help="measure every class a second time at fixed chemical potential (no global N_e constraint)")
    _add_output_options(g)
    g.set_defaults(run=_reproduce_locality)
    k = _parser(runs, "kpm-accuracy", help="expansion, probing and ensemble errors of KPM fields against ED",
                description="The three errors of KPM exchange fields against ED, on random, thermal and walled\n"
                            "tetrahedral states (36 x 36) or random and quench double-exchange states (24 x 24).")
    k.add_argument("preset", nargs="?", default="tetrahedral", choices=["tetrahedral", "double-exchange"],
                   help="parameter set")
    k.add_argument("--L", type=_positive_int, default=None,
                   help="L x L lattice (default 36 tetrahedral, 24 double exchange)")
    k.add_argument("--kT-el", type=_positive_float, default=0.05, dest="kT_el", help="electronic temperature")
    k.add_argument("--distances", type=_positive_float, nargs="+", default=[2.0, 4.0, 6.0, 8.0, 10.0, 12.0],
                   help="probe colouring distances d")
    k.add_argument("--expansion-moments", type=_positive_int, nargs="+", default=[150, 300, 600],
                   dest="expansion_moments", help="expansion orders M of the exact-trace check")
    k.add_argument("--work", default="runs", help="folder of the resumable runs and finished states")
    _add_output_options(k)
    k.set_defaults(run=_reproduce_kpm_accuracy)
    w = _parser(runs, "kpm-coarsening", help="the shipped tetrahedral model against KPM on 96 x 96 coarsening states",
                description="Regenerates the first quench of `reproduce coarsening` and compares the model's\n"
                            "torques with KPM at its map times, on wall and domain sites.")
    w.add_argument("--steps", type=_positive_int, default=6000, help="steps of the quench (as `reproduce coarsening`)")
    w.add_argument("--at", type=_positive_float, nargs="+", default=[100.0, 200.0, 600.0], help="times compared")
    _add_kpm_options(w, L=96, moments=600, distance=12.0)
    w.set_defaults(run=_reproduce_kpm_coarsening)
    z = _parser(runs, "kpm-cost", help="seconds per exchange field against N: ED, KPM and the ML model",
                description="One field of the tetrahedral preset on random spins by ED, KPM and the shipped model\n"
                            "(benchmarks/bench_kpm.py prints the same measurement). Run it on a quiet machine.")
    z.add_argument("--sizes", type=_positive_int, nargs="+", default=[12, 24, 48, 96, 192], help="lattice sizes L")
    z.add_argument("--ed-max", type=_positive_int, default=48, dest="ed_max", help="largest L for ED")
    _add_output_options(z)
    z.set_defaults(run=_reproduce_kpm_cost)
    y = _parser(runs, "kpm-dynamics", help="KPM- and ML-driven LLG from the same ML-coarsened state",
                description="Damped LLG driven by KPM and by the shipped model from one 48 x 48 quench state.")
    y.add_argument("--t-start", type=_positive_float, default=100.0, dest="t_start", help="quench time of the start")
    y.add_argument("--steps", type=_positive_int, default=300, help="steps of dt = 0.1 of both runs")
    _add_kpm_options(y, L=48, moments=300, distance=8.0)
    y.set_defaults(run=_reproduce_kpm_dynamics)
    d = _parser(runs, "timestep", help="ED-driven quenches at several time steps: is dt small enough?",
                description="Damped ED-driven quenches from the same random states at several dt; the nearest-\n"
                            "neighbour correlation curves must agree (issue: the double-exchange time step).")
    d.add_argument("preset", nargs="?", default="double-exchange", choices=presets, help="parameter set")
    d.add_argument("--L", type=_positive_int, default=12, help="L x L lattice (ED)")
    d.add_argument("--dts", type=_positive_float, nargs="+", default=[0.01, 0.05, 0.1],
                   help="time steps, the reference (smallest) first")
    d.add_argument("--t-max", type=_positive_float, default=20.0, dest="t_max", help="length of each quench")
    d.add_argument("--seeds", type=_count, nargs="+", default=[1], help="random starting states")
    d.add_argument("--alpha", type=_positive_float, default=0.5, help="LL damping")
    d.add_argument("--kT-el", type=_positive_float, default=0.005, dest="kT_el",
                   help="electronic smearing (T = 0 fields of random states are ill-defined)")
    d.add_argument("--work", default="runs", help="folder of the resumable runs")
    _add_output_options(d)
    d.set_defaults(run=_reproduce_timestep)
    q = _parser(runs, "coarsening", help="thermal quench of the chiral phase: domain growth L(t)")
    q.add_argument("--L", type=_positive_int, default=COARSENING_L, help="triangular L x L lattice")
    q.add_argument("--kT", type=_positive_float, default=0.005, help="spin-bath temperature of the quench")
    q.add_argument("--steps", type=_positive_int, default=6000, help="steps of dt")
    q.add_argument("--dt", type=_positive_float, default=0.1, help="time step")
    q.add_argument("--records", type=_positive_int, default=60, help="records per quench (log-spaced in time)")
    q.add_argument("--model", default=None, help="model path (default: the shipped tetrahedral model)")
    q.add_argument("--seeds", type=_count, nargs="+", default=[0, 1, 2], help="independent quenches")
    q.add_argument("--maps", type=_positive_int, nargs="+", default=[200, 500, 1000, 2000, 4000, 6000],
                   help="steps at which to keep chirality maps (of the first seed)")
    q.add_argument("--work", default="runs", help="folder of the resumable per-seed runs (a fresh one per model: "
                   "a store of another quench is refused)")
    q.add_argument("--workers", type=_positive_int, default=1, help="seeds in parallel processes")
    q.add_argument("--scheduler", default=None, help="Dask scheduler address: run the seeds on that cluster "
                   "(its workers must share --work)")
    q.add_argument("--fit-window", type=_positive_float, nargs=2, default=[30.0, 600.0], dest="fit_window",
                   metavar=("T_MIN", "T_MAX"), help="times over which log L is fitted against log t")
    _add_output_options(q)
    q.set_defaults(run=_reproduce_coarsening)

    d = _parser(runs, "de-benchmark", help="double exchange: ED- vs ML-driven quenches from the same random states",
                description="Damped quenches (LL form, alpha = 0.5, dt = 0.05, T = 0 spins) of the double-exchange\n"
                            "model from the same random states, driven by ED and by the model (Fig. 8).")
    _add_quench_options(d, L=16, seeds=[201, 202, 203, 204, 205], steps=4000)
    d.add_argument("--kT-el", type=_non_negative_float, default=0.005, dest="kT_el",
                   help="electronic temperature of ED (that of the training data)")
    d.add_argument("--locality-radius", type=_positive_float, default=None, dest="locality_radius",
                   help="R of the locality test at hole-rich sites (default: 2 r_c of the model)")
    _add_output_options(d)
    d.set_defaults(run=_reproduce_de_benchmark)
    sp = _parser(runs, "strip-potentials", help="driven strip: two-potential and conservative models on NEGF data",
                 description="Train the two-potential (field-like U, damping-like W) and the conservative BP model\n"
                             "on NEGF transverse fields of the driven strip, hold out a whole run and every run at\n"
                             "mu_R = -3.35, and compare them: errors in the bulk and near the leads, parity, the\n"
                             "even part under S -> -S and the loop work on a metallic bridge (Fig. 11).")
    sp.add_argument("data", help="dataset folder written by `spinlab generate-driven`")
    sp.add_argument("--models", default="runs/strip-models",
                    help="folder of the trained models (a model found there is reused: the study resumes)")
    sp.add_argument("--cutoff", type=_positive_float, default=2.3, help="descriptor cutoff r_c")
    sp.add_argument("--hidden", type=_positive_int, nargs="+", default=[32, 32], help="hidden layer widths")
    sp.add_argument("--epochs", type=_positive_int, default=300,
                    help="L-BFGS iterations in all (an interrupted fit, saved every 20, continues to this many)")
    sp.add_argument("--seed", type=_count, default=0, help="seed of the initial weights and the validation split")
    sp.add_argument("--margin", type=_count, default=5, help="columns next to each lead counted as edges, not bulk")
    sp.add_argument("--workers", type=_positive_int, default=1, help="processes: 2 trains the two models at once")
    _add_output_options(sp)
    sp.set_defaults(run=_reproduce_strip_potentials)
    from .interface_studies import ENGINES, GROUPS, InterfacePlan

    default = _plan_defaults(InterfacePlan)
    im = _parser(runs, "interface-motion", help="driven strip: NEGF- and ML-driven motion of the metal-insulator "
                 "interface (Fig. 12)",
                 description="LL dynamics of the strip from a thermalized Neel state (3 columns next to the right lead\n"
                             "disturbed), driven by NEGF, the two-potential and the conservative model, with the\n"
                             "authors' AB2 integrator and noise knob: zero-bias controls, the default bias over seeds,\n"
                             "a bias sweep at fixed mu_L and model-driven larger strips. Every run streams to --work and\n"
                             "continues from its last checkpoint when the command is run again.")
    im.add_argument("--work", default="runs/interface", help="folder of the resumable runs")
    im.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS), help="which runs")
    im.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(default["engines"]),
                    help="engines of the 32 x 24 runs")
    im.add_argument("--mu-left", type=float, default=default["mu_left"], dest="mu_left", help="left lead's mu")
    im.add_argument("--mu-right", type=float, default=default["mu_right"], dest="mu_right",
                    help="right lead's mu of the default bias")
    im.add_argument("--seeds", type=_count, nargs="+", default=list(default["seeds"]), help="default-bias seeds")
    im.add_argument("--controls", type=float, nargs="*", default=list(default["controls"]),
                    help="zero-bias controls: both leads at each mu")
    im.add_argument("--control-seeds", type=_count, nargs="+", default=list(default["control_seeds"]),
                    dest="control_seeds", help="seeds of each control")
    im.add_argument("--sweep", type=float, nargs="*", default=list(default["sweep"]), help="mu_R of the bias sweep")
    im.add_argument("--sweep-seeds", type=_count, nargs="+", default=list(default["sweep_seeds"]), dest="sweep_seeds",
                    help="seeds of each sweep bias")
    im.add_argument("--large", type=_strip_size, nargs="*", default=list(default["large"]),
                    help="larger strips LXxLY driven by the two-potential model")
    im.add_argument("--large-seeds", type=_count, nargs="+", default=list(default["large_seeds"]), dest="large_seeds",
                    help="seeds of each larger strip")
    im.add_argument("--steps", type=_positive_int, default=default["steps"],
                    help="steps of the 32-column runs (longer strips run longer in proportion)")
    im.add_argument("--records", type=_positive_int, default=default["records"], help="records per run")
    im.add_argument("--integrator", choices=["ab2", "langevin"], default=default["integrator"],
                    help="ab2: the authors' scheme, kT a noise knob; langevin: the standard semi-implicit scheme")
    im.add_argument("--kT", type=_non_negative_float, default=default["kT"], help="noise (knob for ab2)")
    im.add_argument("--model", default=None, help="two-potential model file (default: the shipped driven-strip)")
    im.add_argument("--conservative", default=None,
                    help="conservative model file (default: the shipped driven-strip-conservative)")
    im.add_argument("--workers", type=_positive_int, default=1, help="runs in parallel processes")
    _add_output_options(im)
    im.set_defaults(run=_reproduce_interface_motion)
    from .strip_locality import StripLocalityPlan

    default = _plan_defaults(StripLocalityPlan)
    sl = _parser(runs, "strip-locality",
                 help="driven strip: how far the NEGF torque reaches, the floor of a local model",
                 description="NEGF-driven runs of the strip at one bias (the training protocol, new seeds); around\n"
                             "centres in the bulk the spins beyond R are replaced by another seed's at the same time\n"
                             "and the change of the NEGF torque is recorded: the part a model of cutoff r_c <= R/2\n"
                             "cannot represent, in the metal and in the Neel insulator, beside the shipped models'\n"
                             "errors on the same sites. Runs and changes are kept in --work: the study resumes.")
    sl.add_argument("--work", default="runs/strip-locality", help="folder of the resumable runs and changes")
    sl.add_argument("--mu-right", type=float, default=default["mu_right"], dest="mu_right", help="right lead's mu")
    sl.add_argument("--seeds", type=_count, nargs="+", default=list(default["seeds"]),
                    help="one run per seed (at least two)")
    sl.add_argument("--steps", type=_positive_int, default=default["steps"], help="steps per run (dt 0.5)")
    sl.add_argument("--records", type=_positive_int, default=default["records"], help="states per run, evenly in time")
    sl.add_argument("--radii", type=_positive_float, nargs="+", default=list(default["radii"]), help="the R's")
    sl.add_argument("--margin", type=_count, default=default["margin"], help="columns next to each lead left out")
    sl.add_argument("--column-step", type=_positive_int, default=default["column_step"], dest="column_step",
                    help="a centre in every k-th bulk column")
    sl.add_argument("--model", default=None, help="two-potential model file (default: the shipped driven-strip)")
    sl.add_argument("--conservative", default=None,
                    help="conservative model file (default: the shipped driven-strip-conservative)")
    _add_output_options(sl)
    sl.set_defaults(run=_reproduce_strip_locality)
    a = _parser(runs, "de-arrest", help="double exchange: ML quenches on a large lattice, arrested phase separation",
                description="ML-driven quenches of the double-exchange model (T = 0 spins, seeds, one Langevin\n"
                            "control), KPM hole densities of the first seed's textures, a relaxed FM droplet at the\n"
                            "same filling for comparison (Figs. 9-10).")
    _add_quench_options(a, L=100, seeds=[1, 2, 3, 4, 5], steps=2000)
    a.add_argument("--kT-control", type=_non_negative_float, default=0.005, dest="kT_control",
                   help="spin temperature of the Langevin control run (0: none)")
    a.add_argument("--maps", type=_positive_float, nargs="+", default=[10.0, 30.0, 100.0],
                   help="times of the C_i maps of every seed (and of the first seed's KPM hole densities)")
    a.add_argument("--textures", type=_positive_int, default=8,
                   help="log-spaced times of the first seed's KPM hole densities (besides --maps)")
    a.add_argument("--data", nargs="+", default=None,
                   help="the model's training sets, for mu_train (their quench snapshots)")
    a.add_argument("--mu-train", type=float, default=None, dest="mu_train", help="mu_train given instead of --data")
    a.add_argument("--mu-train-spread", type=_non_negative_float, default=None, dest="mu_train_spread",
                   help="its spread over the training snapshots (recorded with --mu-train)")
    a.add_argument("--droplet-steps", type=_positive_int, default=2000, dest="droplet_steps",
                   help="steps relaxing the single FM droplet")
    _add_output_options(a)
    a.set_defaults(run=_reproduce_de_arrest)

    from .walls import WALL_FRAMES

    cw = _parser(runs, "chiral-walls", help="tetrahedral state: ED chiral walls, their energy and modes, a shrinking disk",
                 description="Straight walls between the two chiral domains (along a bond and perpendicular to one)\n"
                             "relaxed by ED for every relative spin frame and several wall separations; their energy\n"
                             "per length at fixed N_e and at fixed mu, in-gap wall modes, the reach of wall-site fields;\n"
                             "a -chi disk shrinking under ED-driven damped dynamics; and what the model (default: the\n"
                             "shipped tetrahedral one) makes of the same walls and disk. Every task keeps its result in\n"
                             "--work and is skipped, or continued from its last checkpoint, when the command runs again.")
    cw.add_argument("--work", default="runs/walls", help="folder of the resumable tasks")
    cw.add_argument("--bond-widths", type=_positive_int, nargs="+", default=[8, 12, 16], dest="bond_widths",
                    help="domain widths (rows) of the walls along a bond")
    cw.add_argument("--bond-length", type=_positive_int, default=12, dest="bond_length",
                    help="length L1 of the walls along a bond")
    cw.add_argument("--perpendicular-widths", type=_positive_int, nargs="+", default=[12, 16],
                    dest="perpendicular_widths", help="torus widths of the walls perpendicular to a bond")
    cw.add_argument("--frames", nargs="+", choices=list(WALL_FRAMES), default=list(WALL_FRAMES),
                    help="relative spin frames across the wall")
    cw.add_argument("--max-steps", type=_positive_int, default=1500, dest="max_steps", help="ED fields per relaxation")
    cw.add_argument("--disk-L", type=_positive_int, default=24, dest="disk_L", help="lattice of the disk")
    cw.add_argument("--disk-radius", type=_positive_float, default=6.0, dest="disk_radius", help="disk radius")
    cw.add_argument("--disk-frames", nargs="+", choices=list(WALL_FRAMES), default=["inverted-C3", "S4"],
                    dest="disk_frames", help="frames of the disk runs")
    cw.add_argument("--disk-t-max", type=_positive_float, default=300.0, dest="disk_t_max", help="disk run time")
    cw.add_argument("--thermal-steps", type=_positive_int, default=400, dest="thermal_steps",
                    help="steps of the ED Langevin run that sets the torque scale")
    cw.add_argument("--model", default=None, help="tetrahedral model file (default: the shipped one)")
    cw.add_argument("--coarsening", default=None,
                    help="coarsening result whose wall directions are measured (default: the shipped one)")
    cw.add_argument("--workers", type=_positive_int, default=1, help="tasks in parallel processes")
    cw.add_argument("--summary-only", action="store_true", dest="summary_only",
                    help="run nothing: summarize --work as it is (the disk runs as far as they got)")
    _add_output_options(cw)
    cw.set_defaults(run=_reproduce_chiral_walls)

    f = _parser(subparsers, "figure", help="draw the README's overview picture")
    f.add_argument("what", choices=["overview"], help="which figure")
    f.add_argument("--out", default="book/_static/overview.png", help="image file")
    f.add_argument("--coarsening", default=None, help="coarsening results (default: the shipped ones)")
    f.add_argument("--dpi", type=_positive_int, default=110, help="resolution")
    f.set_defaults(run=_figure)
