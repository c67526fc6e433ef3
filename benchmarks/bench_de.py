"""Double exchange: ML-driven LLG step time on 100 x 100 and 200 x 200 against ED on 30 x 30 and KPM on 100 x 100.

One semi-implicit midpoint step (two field evaluations) from random spins, all in one run:
the shipped double-exchange BP model (or --model PATH), ED at the preset's filling with the
training data's smearing (kT_el = 0.005), and KPM at kT_el = 0.02 with probe distance 6 (the
distance the hole densities of chapter 10 use).  Prints seconds per step, per-site costs and
the ML/ED and ML/KPM speed-ups (per site, and per step at the sizes each method runs).
Usage: ``python benchmarks/bench_de.py [--model PATH] [--repeat 3]``.
"""

import argparse
import json
from pathlib import Path

from _timing import header, median_time

from spinlab.bp import load_model
from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.electrons import KPMModel, SDModel
from spinlab.models import load_shipped
from spinlab.presets import get_preset
from spinlab.spins import random_spins

RESULTS = Path(__file__).parent / "results"


def step_time(provider, repeat):
    integrator = SemiImplicitMidpoint(0.05, 0.5)
    spins = random_spins(provider.n_sites, 0)
    return median_time(lambda: integrator.step(spins, provider.exchange_field), repeat=repeat, warmup=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model path (default: the shipped double-exchange model)")
    parser.add_argument("--repeat", type=int, default=3, help="timed steps per case (medians)")
    args = parser.parse_args(argv)
    header("double exchange: LLG step time, ML vs ED vs KPM (J_H = 6, f = 0.485)")
    model = load_shipped("double-exchange") if args.model is None else load_model(args.model)
    print(f"# ML model: {model.descriptor}, hidden {model.hidden}")
    preset = get_preset("double-exchange")
    seconds = {}
    for L in (100, 200):
        seconds[f"ml-{L}"] = step_time(model.bind(preset.lattice(L)), args.repeat)
    seconds["ed-30"] = step_time(SDModel.from_preset("double-exchange", 30, kT_el=0.005), 1)
    seconds["kpm-100"] = step_time(KPMModel.from_preset("double-exchange", 100, kT_el=0.02, probe_distance=6.0), 1)
    sites = {"ml-100": 1e4, "ml-200": 4e4, "ed-30": 900, "kpm-100": 1e4}
    print(f"{'case':>8} {'N':>7} {'s/step':>10} {'us/site':>10}")
    for name, t in seconds.items():
        print(f"{name:>8} {int(sites[name]):>7} {t:10.4f} {t / sites[name] * 1e6:10.2f}")
    ratios = {"ed30_over_ml100_per_step": seconds["ed-30"] / seconds["ml-100"],
              "ed30_over_ml100_per_site": seconds["ed-30"] / 900 / (seconds["ml-100"] / 1e4),
              "kpm100_over_ml100": seconds["kpm-100"] / seconds["ml-100"],
              "ml200_over_ml100": seconds["ml-200"] / seconds["ml-100"]}
    for name, r in ratios.items():
        print(f"# {name}: {r:.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "de_speed.json").write_text(json.dumps({"seconds": seconds, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
