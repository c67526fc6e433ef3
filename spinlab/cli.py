"""Sub-commands of the ``spinlab`` command (``python -m spinlab COMMAND --help``)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

__all__ = ["add_commands", "command_line"]


def command_line(argv=None) -> str:
    """The command as typed, for the provenance stored with results."""
    args = sys.argv[1:] if argv is None else argv
    return "spinlab " + " ".join(shlex.quote(a) for a in args)


# -- generate -------------------------------------------------------------------------------------------------
def _generate(args) -> int:
    from .datasets import DatasetPlan, generate

    plan = DatasetPlan(preset=args.preset, L=args.L, kT_el=args.kT_el, relaxations=args.relaxations,
                       relaxation_steps=args.steps, random=args.random, thermal_runs=args.thermal_runs,
                       seed=args.seed)
    client = None
    if args.scheduler:
        from dask.distributed import Client

        client = Client(args.scheduler)
    directory = generate(plan, args.out, workers=args.workers, client=client)
    print(f"dataset complete in {directory} ({len(plan.tasks())} shards)")
    return 0


# -- train ------------------------------------------------------------------------------------------------------
def _train(args) -> int:
    from .datasets import load_dataset
    from .training import train_on_dataset

    data = load_dataset(args.data)
    model, report = train_on_dataset(
        data, cutoff=args.cutoff, hidden=tuple(args.hidden), activation=args.activation, learning_rate=args.lr,
        epochs=args.epochs, batch_size=args.batch_size, torque_weight=args.torque_weight,
        field_weight=args.field_weight, optimizer=args.optimizer, patience=args.patience,
        stop_patience=args.stop_patience, seed=args.seed, progress=not args.quiet)
    model.save(args.out, command=command_line(args.argv),
               extra={"dataset": {"plan": data.plan, "fingerprint": data.fingerprint()}, "report": report,
                      "history": {k: [float(x) for x in v] for k, v in model.history_.items()}})
    print(f"model written to {args.out}.npz/.json ({model.descriptor})")
    print(json.dumps(report, indent=2))
    return 0


# -- reproduce ---------------------------------------------------------------------------------------------------
DATA_DIR = Path(__file__).parent / "data"


def _reproduce_orders(args) -> int:
    from . import reproduce
    from .bp import load_model
    from .models import shipped_path
    from .trajectory import save_npz

    model = load_model(args.model or shipped_path(args.preset))
    arrays, summary = reproduce.compare_orders(args.preset, model, seeds=tuple(args.seeds), steps=args.steps,
                                               L_large=args.L_large, large_steps=args.large_steps)
    out = Path(args.out or DATA_DIR / f"orders-{args.preset}.npz")
    save_npz(out, arrays, dict(summary, kind="orders", command=command_line(args.argv)))
    print(json.dumps(summary, indent=2, default=float))
    return 0


def _sweep_model(data, cutoff, args):
    """Train the sweep's model at one cutoff, or reuse the one an interrupted sweep saved in --models."""
    from .bp import load_model
    from .training import evaluate_by_kind, train_on_dataset

    hyper = dict(hidden=tuple(args.hidden), epochs=args.epochs, learning_rate=args.lr, batch_size=args.batch_size,
                 seed=args.seed, torque_weight=args.torque_weight, optimizer=args.optimizer,
                 patience=args.patience, stop_patience=args.stop_patience)
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
    from .datasets import load_dataset
    from .training import field_cost

    data = load_dataset(args.data)
    rows = []
    for cutoff in args.cutoffs:
        model, report = _sweep_model(data, cutoff, args)
        rows.append({"cutoff": cutoff, "features": model.descriptor.n_features, "report": report,
                     "cost_us_per_site": field_cost(model)})
        print(json.dumps(rows[-1], indent=2))
    out = Path(args.out or DATA_DIR / f"cutoff-sweep-{data.plan['preset']}.json")
    out.write_text(json.dumps({"preset": data.plan["preset"], "rows": rows, "command": command_line(args.argv)},
                              indent=2))
    return 0


def _reproduce_chiral_order(args) -> int:
    from . import reproduce
    from .models import load_shipped
    from .trajectory import save_npz

    result = reproduce.chirality_vs_temperature(load_shipped("tetrahedral"), args.temperatures, L=args.L,
                                                steps=args.steps)
    out = Path(args.out or DATA_DIR / "chiral-order.npz")
    save_npz(out, {k: v for k, v in result.items() if isinstance(v, np.ndarray)},
             {"kind": "chiral-order", "L": args.L, "steps": args.steps, "command": command_line(args.argv)})
    for T, m in zip(result["temperatures"], result["order"]):
        print(f"kT = {T:.4f}: |<chi>|/chi_ideal = {m:.3f}")
    return 0


def _reproduce_locality(args) -> int:
    from . import reproduce
    from .trajectory import save_npz

    arrays, summary = reproduce.locality(args.preset, L=args.L, radii=args.radii, temperatures=args.temperatures,
                                         steps=args.steps)
    out = Path(args.out or DATA_DIR / f"locality-{args.preset}.npz")
    save_npz(out, arrays, {**summary, "kind": "locality", "command": command_line(args.argv)})
    print("share of H_perp from beyond R, R = " + ", ".join(f"{R:g}" for R in args.radii))
    for name in summary["classes"]:
        print(f"{name:>16}: " + ", ".join(f"{v:.3f}" for v in arrays[f"{name}/share"]))
    return 0


def _reproduce_coarsening(args) -> int:
    from . import reproduce
    from .models import load_shipped
    from .trajectory import save_npz

    result = reproduce.coarsening(load_shipped("tetrahedral"), args.L, args.kT, args.steps, seeds=args.seeds,
                                  maps_at=args.maps, work=args.work)
    exponents = reproduce.growth_exponents(result, args.seeds, args.fit_window)
    out = Path(args.out or DATA_DIR / "coarsening.npz")
    save_npz(out, result, {"kind": "coarsening", "L": args.L, "kT": args.kT, "steps": args.steps,
                           "seeds": list(args.seeds), "dt": 0.1, "alpha": 1.0, "fit_window": list(args.fit_window),
                           "command": command_line(args.argv)})
    print(f"growth exponents over t in {args.fit_window}: {np.round(exponents, 3)}; "
          f"n = {exponents.mean():.3f} ± {exponents.std(ddof=1) / np.sqrt(len(exponents)) if len(exponents) > 1 else np.nan:.3f}")
    print(f"written {out}")
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


def add_commands(subparsers) -> None:
    g = subparsers.add_parser("generate", help="generate ED training data (relaxation, thermal, random snapshots)",
                              description="Generate an ED training set as resumable shards.")
    g.add_argument("preset", choices=["120-degree", "tetrahedral"])
    g.add_argument("--out", required=True, help="dataset directory (re-running completes it)")
    g.add_argument("--L", type=int, default=12, help="triangular L x L lattice, a multiple of 6 (default 12)")
    g.add_argument("--kT-el", type=float, default=0.0, dest="kT_el", help="electronic temperature (default 0)")
    g.add_argument("--relaxations", type=int, default=8, help="ED-LLG relaxations from random spins")
    g.add_argument("--steps", type=int, default=3000, help="steps per relaxation (dt = 0.1)")
    g.add_argument("--thermal-runs", type=int, default=2, dest="thermal_runs", help="thermal runs per temperature")
    g.add_argument("--random", type=int, default=60, help="random snapshots")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    g.add_argument("--scheduler", default=None, help="Dask scheduler address: run on that cluster instead")
    g.set_defaults(run=_generate)

    t = subparsers.add_parser("train", help="train a BP model on a generated dataset",
                              description="Train a Behler-Parrinello model on ED fields; every 4th task is held out "
                                          "and the held-out errors per snapshot class are stored with the model.")
    t.add_argument("data", help="dataset directory written by `spinlab generate`")
    t.add_argument("--out", required=True, help="model path without extension (writes .npz and .json)")
    t.add_argument("--cutoff", type=float, default=2.0, help="descriptor cutoff r_c (default 2)")
    t.add_argument("--hidden", type=int, nargs="+", default=[64, 64, 64])
    t.add_argument("--activation", default="silu", choices=["silu", "tanh", "softplus", "relu"])
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--epochs", type=int, default=1500)
    t.add_argument("--batch-size", type=int, default=4, dest="batch_size")
    t.add_argument("--patience", type=int, default=25, help="epochs without improvement before the rate decays")
    t.add_argument("--stop-patience", type=int, default=150, dest="stop_patience",
                   help="epochs without improvement before training stops (the best weights are kept)")
    t.add_argument("--torque-weight", type=float, default=30.0, dest="torque_weight",
                   help="weight of |S x dH|^2 against |dH|^2: torques are a few percent of ED fields")
    t.add_argument("--field-weight", type=float, default=1.0, dest="field_weight")
    t.add_argument("--optimizer", default="adam", choices=["adam", "lbfgs"],
                   help="Adam on minibatches (default) or full-batch L-BFGS")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(run=_train)

    r = subparsers.add_parser("reproduce", help="heavy runs behind the book's figures",
                              description="Documented runs whose small outputs are shipped in spinlab/data.")
    runs = r.add_subparsers(dest="what", metavar="WHAT", required=True)
    o = runs.add_parser("orders", help="ED- vs ML-driven LLG from the same random states, plus a large ML run")
    o.add_argument("preset", choices=["120-degree", "tetrahedral"])
    o.add_argument("--model", default=None, help="model path (default: the shipped model of the preset)")
    o.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    o.add_argument("--steps", type=int, default=5000)
    o.add_argument("--L-large", type=int, default=96, dest="L_large")
    o.add_argument("--large-steps", type=int, default=3000, dest="large_steps")
    o.add_argument("--out", default=None)
    o.set_defaults(run=_reproduce_orders)
    c = runs.add_parser("cutoff-sweep", help="accuracy and cost of BP models against the descriptor cutoff")
    c.add_argument("data", help="dataset directory")
    c.add_argument("--cutoffs", type=float, nargs="+", default=[2.0, 3.0, 4.0])
    c.add_argument("--hidden", type=int, nargs="+", default=[64, 64, 64])
    c.add_argument("--epochs", type=int, default=1500)
    c.add_argument("--lr", type=float, default=1e-3)
    c.add_argument("--batch-size", type=int, default=4, dest="batch_size")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--torque-weight", type=float, default=30.0, dest="torque_weight")
    c.add_argument("--optimizer", default="adam", choices=["adam", "lbfgs"])
    c.add_argument("--patience", type=int, default=25)
    c.add_argument("--stop-patience", type=int, default=150, dest="stop_patience")
    c.add_argument("--models", default=None, help="also save each model into this directory")
    c.add_argument("--out", default=None)
    c.set_defaults(run=_reproduce_cutoff_sweep)
    t = runs.add_parser("chiral-order", help="chiral order parameter against temperature (ML Langevin)")
    t.add_argument("--temperatures", type=float, nargs="+",
                   default=[0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06])
    t.add_argument("--L", type=int, default=24)
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--out", default=None)
    t.set_defaults(run=_reproduce_chiral_order)
    g = runs.add_parser("locality", help="how far ED fields reach, for random and thermal spins")
    g.add_argument("preset", nargs="?", default="tetrahedral", choices=["120-degree", "tetrahedral"])
    g.add_argument("--L", type=int, default=18, help="ED on the triangular L x L lattice (default 18)")
    g.add_argument("--radii", type=float, nargs="+", default=[2.0, 3.0, 4.0, 5.0],
                   help="R in lattice spacings: spins farther than R are replaced")
    g.add_argument("--temperatures", type=float, nargs="+", default=[0.005, 0.01, 0.02],
                   help="kT of the thermal classes (two ED Langevin states each)")
    g.add_argument("--steps", type=int, default=300, help="ED Langevin steps of dt = 0.1 from the ideal order")
    g.add_argument("--out", default=None)
    g.set_defaults(run=_reproduce_locality)
    q = runs.add_parser("coarsening", help="thermal quench of the chiral phase: domain growth L(t)")
    q.add_argument("--L", type=int, default=96)
    q.add_argument("--kT", type=float, default=0.005)
    q.add_argument("--steps", type=int, default=6000, help="steps of dt = 0.1")
    q.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    q.add_argument("--maps", type=int, nargs="+", default=[200, 500, 1000, 2000, 4000, 6000],
                   help="steps at which to keep chirality maps (of the first seed)")
    q.add_argument("--work", default="runs", help="directory for resumable per-seed checkpoints "
                   "(run seeds in separate processes with the same --work, then once with all seeds to collect)")
    q.add_argument("--fit-window", type=float, nargs=2, default=[30.0, 600.0], dest="fit_window",
                   metavar=("T_MIN", "T_MAX"), help="times over which log L is fitted against log t")
    q.add_argument("--out", default=None)
    q.set_defaults(run=_reproduce_coarsening)

    f = subparsers.add_parser("figure", help="draw the README's overview picture")
    f.add_argument("what", choices=["overview"])
    f.add_argument("--out", default="book/_static/overview.png")
    f.add_argument("--coarsening", default=None, help="coarsening results (default: the shipped ones)")
    f.add_argument("--dpi", type=int, default=110)
    f.set_defaults(run=_figure)
