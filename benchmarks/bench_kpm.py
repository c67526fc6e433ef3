"""Exchange-field cost against N: exact diagonalization, the kernel polynomial method and the ML model.

One field evaluation of the tetrahedral preset (J = 3, f = 1/4) on random spins, at L = 12 ... 192:
ED (canonical T = 0, only where it finishes quickly), KPM (quasi-canonical, kT_el = 0.05, the default
expansion order for 1e-8, probe colourings at d = 6) and the shipped BP model.  Prints the times, the
crossover size where KPM beats ED, KPM's time(4N)/time(N) from 48 to 192 (linear cost: 4; target
<= 4.5), and the ML/KPM ratio at 96 x 96.  ``--quick`` stops at L = 48.
"""

import sys

from _timing import header, load_line, median_time

from spinlab.electrons import KPMModel, SDModel
from spinlab.models import load_shipped
from spinlab.spins import random_spins

SIZES = [12, 24, 48, 96, 192]
ED_MAX = 48
KT_EL, DISTANCE = 0.05, 6.0


def main(sizes=SIZES):
    header("Exchange field: ED vs KPM vs ML (tetrahedral preset)")
    print("#", load_line())
    model = load_shipped("tetrahedral")
    rows = {}
    for L in sizes:
        spins = random_spins(L * L, 0)
        kpm = KPMModel.from_preset("tetrahedral", L, kT_el=KT_EL, probe_distance=DISTANCE)
        row = {"kpm": median_time(lambda: kpm.exchange_field(spins), repeat=1 if L >= 96 else 3, warmup=0),
               "ml": median_time(lambda: model.predict_fields(spins, lattice=kpm.lattice), repeat=5)}
        if L <= ED_MAX:
            ed = SDModel.from_preset("tetrahedral", L)
            row["ed"] = median_time(lambda: ed.exchange_field(spins), repeat=1 if L >= 48 else 3, warmup=0)
        rows[L] = row
        print(f"L = {L:>3} N = {L * L:>6}: ED {row.get('ed', float('nan')):9.3g} s   KPM {row['kpm']:9.3g} s "
              f"(M = {kpm.moments}, {kpm.n_probes_} probes)   ML {row['ml']:9.3g} s", flush=True)
    crossover = [L for L, r in rows.items() if "ed" in r and r["kpm"] < r["ed"]]
    print(f"KPM faster than ED from L = {crossover[0]}" if crossover else
          f"KPM slower than ED up to L = {max(L for L in rows if 'ed' in rows[L])}")
    if 48 in rows and 192 in rows:
        print(f"KPM time(4N)/time(N): 48->96 {rows[96]['kpm'] / rows[48]['kpm']:.2f}, "
              f"96->192 {rows[192]['kpm'] / rows[96]['kpm']:.2f} (linear: 4)")
    if 96 in rows:
        print(f"ML/KPM speed-up at 96 x 96: {rows[96]['kpm'] / rows[96]['ml']:.3g}")


if __name__ == "__main__":
    main(SIZES[:3] if "--quick" in sys.argv else SIZES)
