"""Exchange-field cost against N: exact diagonalization, the kernel polynomial method and the ML model.

One field evaluation of the tetrahedral preset (J = 3, f = 1/4) on random spins, at L = 12 ... 192:
ED (canonical T = 0, up to L = 48), KPM (grand canonical at the μ of walled states, kT_el = 0.05,
the default expansion order and colouring distance) and the shipped BP model.  Prints the times, the
crossover size where KPM beats ED, KPM's time(4N)/time(N) from 48 to 192 (linear cost: 4; target
<= 4.5), and the ML/KPM ratio at 96 x 96.  The same measurement as ``spinlab reproduce kpm-cost``,
whose shipped result the book draws.  ``--quick`` stops at L = 48.
"""

import sys

from _timing import header, load_line

from spinlab.kpm_studies import cost_against_size

SIZES = [12, 24, 48, 96, 192]


def main(sizes=SIZES):
    header("Exchange field: ED vs KPM vs ML (tetrahedral preset)")
    print("#", load_line())
    result = cost_against_size(sizes)
    print(f"KPM: M = {result['moments']}, d = {result['probe_distance']:g}, kT_el = {result['kT_el']}")
    for L, ed, kpm, ml, probes in zip(result["L"], *result["seconds"].values(), result["probes"]):
        ed = "" if ed is None else f"{ed:9.3g} s"
        print(f"L = {L:>3} N = {L * L:>6}: ED {ed:>11}   KPM {kpm:9.3g} s ({probes} probes)   ML {ml:9.3g} s")
    crossover = result["crossover_L"]
    print(f"KPM faster than ED from L = {crossover}" if crossover else "KPM slower than ED wherever ED ran")
    for pair, ratio in result["kpm_scaling"].items():
        print(f"KPM time(4N)/time(N) {pair}: {ratio:.2f} (linear: 4)")
    if result["ml_over_kpm_96"]:
        print(f"ML/KPM speed-up at 96 x 96: {result['ml_over_kpm_96']:.3g}")


if __name__ == "__main__":
    main(SIZES[:3] if "--quick" in sys.argv else SIZES)
