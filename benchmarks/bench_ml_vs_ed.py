"""ML-driven against ED-driven LLG step time on the triangular lattice, and the linear scaling of ML.

One semi-implicit midpoint step (two field evaluations) with the tetrahedral
preset's ED model at L = 12, 24, 48 and with the shipped tetrahedral BP model at
L = 12 ... 384.  Prints the ML/ED speed-up and time(4N)/time(N) for ML (linear
cost means 4; the target is at most 4.5), and writes a log-log plot and the
numbers to benchmarks/results/.
"""

import json
import sys
from pathlib import Path

import numpy as np
from _timing import header, median_time

from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.electrons import SDModel
from spinlab.lattice import TriangularLattice
from spinlab.models import load_shipped
from spinlab.spins import random_spins

ED_SIZES = [12, 24, 48]
ML_SIZES = [12, 24, 48, 96, 192, 384]
RESULTS = Path(__file__).parent / "results"


def step_time(provider, n_sites, repeat):
    integrator = SemiImplicitMidpoint(0.1, 1.0)
    spins = random_spins(n_sites, 0)
    return median_time(lambda: integrator.step(spins, provider.exchange_field), repeat=repeat)


def main(ed_sizes=ED_SIZES):
    header("LLG step time: ML (shipped tetrahedral model) vs ED (J = 3, f = 1/4)")
    model = load_shipped("tetrahedral")
    print(f"# ML model: {model.descriptor}, hidden {model.hidden}")
    ml, ed = {}, {}
    for L in ML_SIZES:
        lattice = TriangularLattice(L)
        ml[L] = step_time(model.bind(lattice), lattice.n_sites, repeat=5 if L <= 96 else 2)
    for L in ed_sizes:
        lattice = TriangularLattice(L)
        ed[L] = step_time(SDModel.from_preset("tetrahedral", L), lattice.n_sites,
                          repeat=5 if L <= 24 else 1)
    print(f"{'L':>5} {'N':>7} {'ED step [s]':>12} {'ML step [s]':>12} {'ML us/site':>11} {'ED/ML':>9} {'ML t(4N)/t(N)':>14}")
    for L in ML_SIZES:
        n = L * L
        growth = f"{ml[L] / ml[L // 2]:14.2f}" if L // 2 in ml else " " * 14
        e = f"{ed[L]:12.4f}" if L in ed else " " * 12
        ratio = f"{ed[L] / ml[L]:9.1f}" if L in ed else " " * 9
        print(f"{L:>5} {n:>7} {e} {ml[L]:12.4f} {ml[L] / n * 1e6:11.2f} {ratio} {growth}")
    if max(ed) in ml:
        print(f"# headline: ML/ED speed-up at L = {max(ed)}: {ed[max(ed)] / ml[max(ed)]:.0f}x")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ml_vs_ed.json").write_text(json.dumps({"ml": ml, "ed": ed}, indent=2))
    _plot(ml, ed)


def _plot(ml, ed):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    for data, label, marker in ((ed, "ED", "s"), (ml, "ML (BP)", "o")):
        n = np.array(sorted(data)) ** 2
        ax.loglog(n, [data[L] for L in sorted(data)], marker=marker, label=label)
    n = np.array(sorted(ml)) ** 2
    ax.loglog(n, ml[min(ml)] * n / n[0], "k:", lw=1, label=r"$\propto N$")
    ax.set_xlabel("sites N")
    ax.set_ylabel("time per LLG step [s]")
    ax.legend(frameon=False)
    fig.savefig(RESULTS / "ml_vs_ed.png", dpi=120)


if __name__ == "__main__":
    main(ED_SIZES if "--quick" not in sys.argv else ED_SIZES[:2])
