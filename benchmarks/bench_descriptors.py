"""Symmetric descriptor: time, memory and FLOPs per site, on one core and on two.

Cases: the default triangular descriptor ``SymmetricDescriptor("triangular", 2.0)`` on a
96x96 lattice (plus cutoffs 3 and 4 as extra rows) and ``SymmetricDescriptor("square", 2.3, 2.3)``
on a 100x100 lattice. Timed calls (median of several runs after a warm-up, which also loads or
compiles the numba kernels):

* ``features``        G = features(S)                       (N, F)
* ``vjp``             vjp(S, Gbar), random cotangent (N, F) -> (N, 3); recomputes the products
* ``features+vjp``    both, what one energy + field evaluation of a site-energy model costs
* ``jvp``             jvp(S, Sdot), random tangent (N, 3)   -> (N, F)

Per-core cost is time x threads / N. Serial runs use ``numba.set_num_threads(1)``, which also makes
:mod:`spinlab._numba` pick the serial kernels; with two threads the sizes here (N >= 2048) use the
threaded ones.  This script measures the kernels themselves, so it sets ``SPINLAB_THREADS`` to its
thread count: spinlab's load-aware default (:mod:`spinlab._threads`) would run them serially while
another process keeps a core busy.

FLOPs are counted from the kernels in :mod:`spinlab.descriptors.kernels` (see :func:`flops`); the
achieved rate is compared with the core's nominal double-precision peak (clock x flops/cycle from
the vector width in the cpu flags, two FMA units).
Memory per site is the bytes of the arrays one call allocates (or takes as input), divided by N,
next to the peak traced by :mod:`tracemalloc` (numpy arrays only; numba's per-site scratch is
a few hundred bytes per thread and not traced). The neighbour tables bound to a lattice
(``table`` and ``source``, (N, M) int64 each) are allocated once per lattice and listed apart.

Target: features + VJP at most 10 us per site per core for the default triangular descriptor.
"""

import os
import re
import time
import tracemalloc

import numba
import numpy as np
from _timing import header

from spinlab import _threads
from spinlab.descriptors import SymmetricDescriptor
from spinlab.lattice import SquareLattice, TriangularLattice
from spinlab.spins import random_spins

CASES = [
    ("triangular r_c=2 (default)", lambda: SymmetricDescriptor("triangular", 2.0), lambda: TriangularLattice(96)),
    ("square r_c=2.3", lambda: SymmetricDescriptor("square", 2.3, 2.3), lambda: SquareLattice(100)),
    ("triangular r_c=3", lambda: SymmetricDescriptor("triangular", 3.0), lambda: TriangularLattice(96)),
    ("triangular r_c=4", lambda: SymmetricDescriptor("triangular", 4.0), lambda: TriangularLattice(96)),
]
TARGET_US = 10.0  # features + VJP, per site per core, default triangular descriptor
REPEAT = 7
DOUBLE = 8  # bytes


# -- analytic FLOP counts ---------------------------------------------------------------------------------------
def flops(d: SymmetricDescriptor) -> dict:
    """Floating-point operations per site of each call, counted from the kernels (one add or mul = 1).

    P pairs, orbit blocks of size n_O, n_comp = sum n_O irrep components (= P), H bispectrum channels
    (each looped as a full 2x2x2 tensor), A a1 components.

    * products: 3 mul + 2 add per pair                                             5 P
    * rotate into irreps f = U x: a dense n_O x n_O block per orbit               2 sum n_O^2
    * references R = sum over copies                                                 n_comp
    * power |f|^2 and f.R: 2 + 2 per component                                     4 n_comp
    * bispectrum: 8 terms x (3 mul + 1 add)                                       32 H
    * invariants_vjp: forward rotation and references again, then per component
      fbar += 2 w v + w' R (5) and Rbar += w' v (2), A1 adds, bispectrum
      8 x (1 + 3 x 3), Rbar back into fbar (n_comp), rotate back (2 sum n_O^2)
    * products_vjp (gather): per pair, both ends, 3 x (mul + add)                 12 P
    * products_jvp: per pair 3 x (2 mul + 2 add)                                  12 P
    * invariants_jvp: two rotations, two reference sums, 7 per component,
      bispectrum 8 x (6 mul + 2 add + 1 mul + 1 add)
    """
    P = len(d.pairs)
    sizes = np.array([o.size for o in d.orbits])
    rot = 2 * int(np.sum(sizes**2))
    n_comp = int(sizes.sum())
    H = len(d._channels)
    A = len(d._a1)
    products = 5 * P
    forward_layer = rot + n_comp + 4 * n_comp + 32 * H
    vjp_layer = (rot + n_comp) + A + 7 * n_comp + 80 * H + n_comp + rot
    jvp_layer = 2 * rot + 2 * n_comp + 7 * n_comp + 80 * H
    out = {
        "features": products + forward_layer,
        "vjp": products + vjp_layer + 12 * P,
        "jvp": products + 12 * P + jvp_layer,
    }
    out["features+vjp"] = out["features"] + out["vjp"]
    return out


def allocated_bytes(d: SymmetricDescriptor) -> dict:
    """Bytes per site of the arrays each call allocates or takes as input (float64)."""
    P, F = len(d.pairs), d.n_features
    spins = 3
    return {
        "features": DOUBLE * (spins + P + F),  # spins in; products x, features out
        "vjp": DOUBLE * (spins + F + 2 * P + 3),  # spins, cotangent in; x, xbar; gradient out
        "features+vjp": DOUBLE * (spins + P + F + F + 2 * P + 3),
        "jvp": DOUBLE * (spins + 3 + 2 * P + F),  # spins, tangent in; x, xdot; out
    }


# -- the processor's peak ------------------------------------------------------------------------------------
def peak_per_core():
    """(GFLOP/s per core, explanation) from /proc/cpuinfo: clock x 2 FMA units x 2 flops x doubles per vector."""
    try:
        with open("/proc/cpuinfo") as fh:
            info = fh.read()
    except OSError:
        return float("nan"), "no /proc/cpuinfo: peak unknown"
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
    model = model.group(1).strip() if model else "unknown cpu"
    ghz = re.search(r"([\d.]+)\s*GHz", model)
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", info, re.M)
    if ghz:
        clock, source = float(ghz.group(1)), "model name"
    elif mhz:
        clock, source = float(mhz.group(1)) / 1000, "'cpu MHz'"
    else:
        return float("nan"), f"{model}: no clock found, peak unknown"
    flags = set(re.search(r"^flags\s*:\s*(.*)$", info, re.M).group(1).split())
    if "avx512f" in flags:
        width, isa = 8, "avx512f"
    elif "avx2" in flags or "avx" in flags:
        width, isa = 4, "avx2" if "avx2" in flags else "avx"
    else:
        width, isa = 2, "sse2"
    fma_units = 2 if "fma" in flags else 1
    per_cycle = fma_units * 2 * width if "fma" in flags else 2 * width
    family = re.search(r"^cpu family\s*:\s*(\d+)", info, re.M)
    note = ""
    if "AMD" in model and family and int(family.group(1)) == 25 and width == 8:
        note = (f"\n#   caveat: AMD family 25 with avx512f is Zen 4, which runs 512-bit FMAs on 256-bit units:"
                f" the real peak is half of this, {clock * per_cycle / 2:.1f} GFLOP/s per core")
    text = (f"{model}: {clock:.3f} GHz (from {source}) x {per_cycle} flops/cycle "
            f"({fma_units} FMA units x 2 flops x {width} doubles per {isa} vector) = {clock * per_cycle:.1f} GFLOP/s "
            f"per core{note}")
    return clock * per_cycle, text


# -- measurements ---------------------------------------------------------------------------------------------
def timings(fn, repeat=REPEAT):
    """(median wall, best wall, median CPU time) of fn() in seconds, after one untimed call.

    CPU time (all threads of the process) per wall time below the thread count means the threads were
    not all running: other processes share the cores (numba's threaded loop then waits for its slowest
    thread), and the wall times overstate the cost. CPU time per site is then the better per-core
    estimate (it includes the threads' spin-waiting, so it is an upper bound).
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(wall)), float(np.min(wall)), float(np.median(cpu))


def traced_peak(fn) -> int:
    """Peak bytes allocated through Python/numpy during fn() (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def main():
    header("SymmetricDescriptor: features, VJP and JVP per site")
    peak, how = peak_per_core()
    print(f"# peak: {how}")
    if hasattr(os, "getloadavg"):
        print("# load average before the run: {:.2f} {:.2f} {:.2f} (other processes skew the timings, the two-thread"
              " ones most)".format(*os.getloadavg()))
    thread_counts = sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})
    os.environ[_threads.ENV_VAR] = str(thread_counts[-1])  # the threaded kernels whatever the load
    _threads.refresh()
    rows = []
    for label, make_descriptor, make_lattice in CASES:
        d, lattice = make_descriptor(), make_lattice()
        N = lattice.n_sites
        rng = np.random.default_rng(0)
        spins = random_spins(N, 1)
        cotangent = rng.standard_normal((N, d.n_features))
        tangent = rng.standard_normal((N, 3))
        calls = {
            "features": lambda: d.features(lattice, spins),
            "vjp": lambda: d.vjp(lattice, spins, cotangent),
            "features+vjp": lambda: (d.features(lattice, spins), d.vjp(lattice, spins, cotangent)),
            "jvp": lambda: d.jvp(lattice, spins, tangent),
        }
        counts, nbytes = flops(d), allocated_bytes(d)
        table_bytes = 2 * 8 * d.stencil.size  # table + source, int64, per site, once per lattice
        for call in calls.values():  # bind the lattice, compile or load both kernel versions
            for threads in thread_counts:
                numba.set_num_threads(threads)
                call()
        traced = {name: traced_peak(call) / N for name, call in calls.items()}
        print(f"# {label}: {lattice!r}, N = {N}, {d.stencil.size} sites, {len(d.pairs)} pairs, {len(d.orbits)} orbits, "
              f"{len(d.copy_names)} irrep copies, {len(d._channels)} bispectrum channels, F = {d.n_features}; "
              f"bound neighbour tables {table_bytes} B/site")
        for threads in thread_counts:
            numba.set_num_threads(threads)
            for name, call in calls.items():
                t, best, cpu = timings(call)
                gflops = counts[name] * N / t / 1e9
                rows.append((label, name, threads, t, t * threads / N * 1e6, best * threads / N * 1e6, cpu / t,
                             cpu / N * 1e6, counts[name], gflops, gflops / (peak * threads), nbytes[name],
                             traced[name]))
    numba.set_num_threads(thread_counts[-1])

    print("# time: median wall; us/site/core = time x threads / N (median, and best of the runs);")
    print("# CPU/wall: busy threads (below thr: other processes took the cores);")
    print("# CPU us/site: CPU time of all threads / N, the per-core cost when other processes share the cores;")
    print("# GFLOP/s and peak fraction from the median and the analytic counts (fraction of threads x per-core peak);")
    print("# B/site: arrays allocated or passed in per call / N; traced: tracemalloc peak of the call / N")
    print(f"{'descriptor':>27} {'call':>13} {'thr':>3} {'time [ms]':>9} {'us/site/core':>12} {'(best)':>6} "
          f"{'CPU/wall':>8} {'CPU us/site':>11} {'flop/site':>9} {'GFLOP/s':>7} {'of peak':>7} {'B/site':>6} "
          f"{'traced':>6}")
    for label, name, threads, t, us_core, us_best, busy, us_cpu, count, gflops, fraction, nb, tr in rows:
        print(f"{label:>27} {name:>13} {threads:>3} {t * 1e3:>9.2f} {us_core:>12.2f} {us_best:>6.2f} {busy:>8.2f} "
              f"{us_cpu:>11.2f} {count:>9d} {gflops:>7.2f} {fraction:>7.1%} {nb:>6d} {tr:>6.0f}")
    default = [r for r in rows if r[0] == CASES[0][0] and r[1] == "features+vjp"]
    worst = max(r[4] for r in default)
    print(f"# target: features + VJP <= {TARGET_US:g} us/site/core for the default triangular descriptor: "
          + ", ".join(f"{r[2]} thread{'s' if r[2] > 1 else ''} {r[4]:.2f} (best {r[5]:.2f}, CPU {r[7]:.2f})"
                      for r in default)
          + f" -> {'met' if worst <= TARGET_US else 'NOT met'} (median)")


if __name__ == "__main__":
    main()
