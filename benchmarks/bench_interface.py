"""Driven strip: one AB2 step of the interface study driven by the model against NEGF, in one run.

One step of the authors' Adams-Bashforth scheme (one field evaluation) on the 32 x 24 strip at the default
bias, from two states of the interface runs: the thermalized Néel start and a metallic ferromagnet (the
bridge the runs end in; NEGF's bias window is costliest there).  Engines: NEGF by the closed form and by
the fast path (recursive Green's functions), and the shipped two-potential model; the model also on the
larger strips of the study (64 x 48, 128 x 96).  Prints seconds per step, µs per site and the NEGF/ML
ratios.  Usage: ``python benchmarks/bench_interface.py [--repeat 3]``.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from _timing import header, median_time

from spinlab.dynamics import AdamsBashforthMidpoint
from spinlab.interface_studies import InterfacePlan, InterfaceRun
from spinlab.lattice import Strip
from spinlab.models import load_shipped
from spinlab.spins import ferromagnet
from spinlab.strip_data import tilted

RESULTS = Path(__file__).parent / "results"


def step_time(provider, spins, repeat):
    integrator = AdamsBashforthMidpoint(0.5, 0.55, 0.0025)
    rng = np.random.default_rng(0)
    return median_time(lambda: integrator.step(spins, provider.exchange_field, rng), repeat=repeat, warmup=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed steps per case (medians)")
    args = parser.parse_args(argv)
    header("driven strip: AB2 step time, ML vs NEGF (J = 3.8, Gamma = 1, mu_L = -3.6, mu_R = -3.28)")
    plan = InterfacePlan()
    model = load_shipped("driven-strip")
    seconds, sites = {}, {}
    spec = InterfaceRun("default", "negf", plan.Lx, plan.Ly, plan.mu_left, plan.mu_right, 0)
    states = {"neel": plan.start(spec), "metal": tilted(ferromagnet(spec.lattice), 0.1, np.random.default_rng(1))}
    for state, spins in states.items():
        seconds[f"negf-closed-{state}"] = step_time(plan.negf(spec, "closed-form"), spins, 1)
        seconds[f"negf-rgf-{state}"] = step_time(plan.negf(spec), spins, args.repeat)
        seconds[f"ml-32x24-{state}"] = step_time(model.bind(spec.lattice, bias=(spec.mu_left, spec.mu_right)),
                                                 spins, args.repeat)
        for name in (f"negf-closed-{state}", f"negf-rgf-{state}", f"ml-32x24-{state}"):
            sites[name] = spec.lattice.n_sites
    for Lx, Ly in plan.large:
        strip = Strip(Lx, Ly)
        name = f"ml-{Lx}x{Ly}-neel"
        seconds[name] = step_time(model.bind(strip, bias=(plan.mu_left, plan.mu_right)),
                                  plan.start(spec._replace(Lx=Lx, Ly=Ly)), args.repeat)
        sites[name] = strip.n_sites
    print(f"{'case':>22} {'N':>6} {'s/step':>10} {'us/site':>10}")
    for name, t in seconds.items():
        print(f"{name:>22} {sites[name]:>6} {t:10.4f} {t / sites[name] * 1e6:10.2f}")
    ratios = {}
    for state in states:
        ratios[f"closed_over_ml_{state}"] = seconds[f"negf-closed-{state}"] / seconds[f"ml-32x24-{state}"]
        ratios[f"rgf_over_ml_{state}"] = seconds[f"negf-rgf-{state}"] / seconds[f"ml-32x24-{state}"]
        ratios[f"closed_over_rgf_{state}"] = seconds[f"negf-closed-{state}"] / seconds[f"negf-rgf-{state}"]
    biggest = f"ml-{plan.large[-1][0]}x{plan.large[-1][1]}-neel"
    ratios["ml_per_site_largest_over_32x24"] = (seconds[biggest] / sites[biggest]) / (
        seconds["ml-32x24-neel"] / sites["ml-32x24-neel"])
    for name, r in ratios.items():
        print(f"# {name}: {r:.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "interface_speed.json").write_text(json.dumps({"seconds": seconds, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
