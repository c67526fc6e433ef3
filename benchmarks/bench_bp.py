"""Behler-Parrinello field prediction and training step: where the time goes.

1. Field prediction of the default triangular model (SymmetricDescriptor r_c = 2, 156 features,
   hidden 64-64-64, SiLU) on a 96 x 96 lattice, split into the descriptor (features + VJP) and the
   network (forward + input gradient); the rest of ``predict_fields`` is overhead (scaling,
   bookkeeping).  The weights do not matter for timing: the model is fitted for one epoch.
2. A network the size of the authors' PRL model, 554-1024-512-256-128-64-1 with ReLU, on 9216 random
   inputs (network only: its descriptor is not ours), BLAS on the free cores as BPModel would use it.
3. One training step (``loss_and_gradient`` + Adam) on a batch of 8 snapshots of 12 x 12.

4. The floating-point limit: the flops of one field per site (descriptor and network, counted from the
   model's shapes) against the one-thread time of 1. on the coarsening's 192 x 192 lattice, and the time
   those flops would take at the speed of a large one-thread matrix product (BLAS dgemm), measured here.

5. Threads on a shared machine: the field prediction of 1. on one thread and with the default threads,
   on the machine as it is ("quiet") and with one competing busy process started by this script
   (a Python busy loop on one core).  Target: default / 1 thread <= 1.3 with the competing process.

"1 thread" is numba with one thread and single-threaded BLAS (threadpoolctl); "default" is numba's
default thread count (the cores) and BLAS's, under spinlab's policy (``spinlab._threads``): threads
only on the cores other processes leave free, so on a two-core machine with one core busy
elsewhere everything runs serially.  BPModel also narrows BLAS to one thread where its threads cost
more than they gain (``spinlab._threads.blas_for_network``): below 2048 sites, where numba's kernels
are serial too, so the 12 x 12 training step runs serially either way; and for small networks such
as the default one, whose matrix products are cheap next to the threaded descriptor kernels.  The
parts of the prediction are timed under the same rule.  Timings on a shared machine depend on its
load: the load average and the free cores spinlab sees are printed with the results.
"""

import numpy as np
from _timing import (competing_process, default_threads, header, interleaved_medians, load_line, median_time,
                     one_thread, thread_ratio_lines, threads)

from spinlab._threads import blas_for_network, blas_threads
from spinlab.bp import BPModel
from spinlab.optimizers import Adam
from spinlab.descriptors import SymmetricDescriptor
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import TriangularLattice
from spinlab.mlp import MLP
from spinlab.spins import random_spins

THREADS = [(1, "1 thread"), (None, "default")]
PRL_SIZES = (554, 1024, 512, 256, 128, 64, 1)


def heisenberg_snapshots(lattice, n, seed=0):
    target = HeisenbergModel(lattice, J1=1.0, J2=0.3)
    spins = np.stack([random_spins(lattice.n_sites, seed + k) for k in range(n)])
    return spins, np.stack([target.exchange_field(s) for s in spins])


def us_per_site(seconds, n_sites):
    return 1e6 * seconds / n_sites


def bp_prediction(model, lattice, spins, repeat=5):
    """Median times [s] of the whole prediction and of its parts."""
    d, net, scaler = model.descriptor, model.network_, model.scaler_
    G = scaler.transform(d.features(lattice, spins))
    _, cache = net.forward(G, order=1)  # what predict_fields keeps: first derivatives only
    weights = np.ones((lattice.n_sites, 1))
    cotangent = net.input_gradient(cache, weights) / scaler.scale_
    times = {"total": median_time(lambda: model.predict_fields(spins, lattice=lattice), repeat=repeat)}
    with blas_for_network(lattice.n_sites, net):  # the BLAS threads predict_fields uses
        times.update({
            "features": median_time(lambda: d.features(lattice, spins), repeat=repeat),
            "vjp": median_time(lambda: d.vjp(lattice, spins, cotangent), repeat=repeat),
            "forward": median_time(lambda: net.forward(G, order=1), repeat=repeat),
            "input gradient": median_time(lambda: net.input_gradient(cache, weights), repeat=repeat),
        })
    return times


def model_flops(model) -> tuple[float, float]:
    """(descriptor, network) floating-point operations of one field per site: forward and reverse pass.

    Descriptor: 5 per bond product and 12 per pair in its gather, the rotation U x and its transpose
    (2 per block entry each), and the invariants with their reverse (about 12 per irrep component and
    112 per bispectrum channel).  Network: 2 per weight forward and 2 back, 8 per hidden unit (SiLU).
    """
    d = model.descriptor
    n_pairs = len(d.pairs)
    rotation = sum(U.size for _, U, _ in d._rotations)
    descriptor = 17 * n_pairs + 4 * rotation + 12 * n_pairs + 112 * len(d._channels)
    sizes = model.network_.sizes
    network = sum(4 * a * b for a, b in zip(sizes[:-1], sizes[1:])) + 8 * sum(sizes[1:-1])
    return float(descriptor), float(network)


def floating_point_limit(model, lattice, repeat=5) -> dict:
    """One-thread field time per site against the model's flops at dgemm speed."""
    spins = random_spins(lattice.n_sites, 2)
    seconds = median_time(lambda: model.predict_fields(spins, lattice=lattice), repeat=repeat)
    a = np.random.default_rng(3).standard_normal((2048, 2048))
    gemm = median_time(lambda: a @ a, repeat=repeat)
    descriptor, network = model_flops(model)
    flops = descriptor + network
    gflops = 2 * 2048**3 / gemm / 1e9
    return {"descriptor flops": descriptor, "network flops": network, "dgemm GFLOP/s": gflops,
            "us/site": us_per_site(seconds, lattice.n_sites), "GFLOP/s": flops * lattice.n_sites / seconds / 1e9,
            "limit us/site": flops / gflops / 1e3}


def network_only(net, x, repeat=3):
    _, cache = net.forward(x, order=1)
    weights = np.ones((len(x), 1))
    return {"forward": median_time(lambda: net.forward(x, order=1), repeat=repeat),
            "input gradient": median_time(lambda: net.input_gradient(cache, weights), repeat=repeat)}


def main():
    header("Behler-Parrinello field prediction and training")
    print(f"# at the start: {load_line()}")
    small = TriangularLattice(12)
    train_spins, train_fields = heisenberg_snapshots(small, 8)
    model = BPModel(SymmetricDescriptor("triangular", 2.0), hidden=(64, 64, 64), epochs=1, batch_size=4,
                    progress=False).fit(train_spins[:4], train_fields[:4], lattice=small)
    big = TriangularLattice(96)
    spins = random_spins(big.n_sites, 1)
    n = big.n_sites
    rng = np.random.default_rng(0)
    prl = MLP(PRL_SIZES, "relu", seed=0)
    x = rng.standard_normal((n, PRL_SIZES[0]))
    results = {}
    for n_threads, label in THREADS:
        with threads(n_threads):
            model.predict_fields(spins, lattice=big)  # compile and bind outside the timing
            bp = bp_prediction(model, big, spins)
            with blas_threads():  # what blas_for_network allows a network this size: the free cores
                prl_times = network_only(prl, x)
            adam = Adam(model.network_.params, 1e-3)

            def step():
                _, grads = model.loss_and_gradient(small, train_spins, train_fields)
                adam.step(grads)

            results[label] = bp, prl_times, median_time(step, repeat=7)

    print(f"\n## 1. BP field prediction, {model.descriptor.n_features} features, hidden {model.hidden}, "
          f"{model.activation}, {big.L1}x{big.L2} = {n} sites  [µs/site]")
    print(f"{'':>8} {'features':>9} {'vjp':>7} {'descr.':>7} {'forward':>8} {'in.grad':>8} {'network':>8} "
          f"{'other':>6} {'total':>7} {'sites/s':>10} {'total/descr.':>13}")
    for label, (bp, _, _) in results.items():
        t = {k: us_per_site(v, n) for k, v in bp.items()}
        descriptor = t["features"] + t["vjp"]
        network = t["forward"] + t["input gradient"]
        print(f"{label:>8} {t['features']:>9.2f} {t['vjp']:>7.2f} {descriptor:>7.2f} {t['forward']:>8.2f} "
              f"{t['input gradient']:>8.2f} {network:>8.2f} {t['total'] - descriptor - network:>6.2f} "
              f"{t['total']:>7.2f} {1e6 / t['total']:>10.3g} {t['total'] / descriptor:>13.2f}")

    print(f"\n## 2. PRL-size network {'-'.join(map(str, PRL_SIZES))}, relu, {n} sites, network only  [µs/site]")
    print(f"{'':>8} {'forward':>8} {'in.grad':>8} {'total':>7} {'sites/s':>10} {'vs our BP total':>16}")
    for label, (bp, prl_times, _) in results.items():
        t = {k: us_per_site(v, n) for k, v in prl_times.items()}
        total = t["forward"] + t["input gradient"]
        print(f"{label:>8} {t['forward']:>8.1f} {t['input gradient']:>8.1f} {total:>7.1f} {1e6 / total:>10.3g} "
              f"{total / us_per_site(bp['total'], n):>16.1f}")

    batch_sites = train_spins.shape[0] * small.n_sites
    print(f"\n## 3. Training step: loss_and_gradient + Adam, batch of {train_spins.shape[0]} snapshots of "
          f"{small.L1}x{small.L2}, hidden {model.hidden}")
    print(f"{'':>8} {'step [ms]':>10} {'µs/site':>8} {'vs prediction':>14}")
    for label, (bp, _, step) in results.items():
        per_site = us_per_site(step, batch_sites)
        print(f"{label:>8} {1e3 * step:>10.2f} {per_site:>8.2f} {per_site / us_per_site(bp['total'], n):>14.2f}")

    coarsening = TriangularLattice(192)
    with threads(1):
        limit = floating_point_limit(model, coarsening)
    print(f"\n## 4. Floating-point limit, {coarsening.L1}x{coarsening.L2}, 1 thread")
    print(f"# flops per site and field: descriptor {limit['descriptor flops']:.0f}, network {limit['network flops']:.0f}")
    print(f"# dgemm 2048^2 one thread: {limit['dgemm GFLOP/s']:.1f} GFLOP/s")
    print(f"# field: {limit['us/site']:.2f} µs/site = {limit['GFLOP/s']:.2f} GFLOP/s; at dgemm speed "
          f"{limit['limit us/site']:.2f} µs/site; measured / limit = {limit['us/site'] / limit['limit us/site']:.1f}")

    def predict():
        model.predict_fields(spins, lattice=big)

    cases = {"1 thread": (one_thread, predict), "default": (default_threads, predict)}
    quiet = interleaved_medians(cases, repeat=9)
    with competing_process():
        loaded_line = load_line()
        loaded = interleaved_medians(cases, repeat=9)
    print(f"\n## 5. Threads on a shared machine: BP field prediction of 1. ({big.L1}x{big.L2}), 1 thread and "
          "default, medians of interleaved runs")
    print(f"# with the competing process: {loaded_line}")
    for line in thread_ratio_lines(quiet, loaded, "µs/site", 1e6 / n):
        print(line)
    print(f"# loaded default / loaded 1 thread = {loaded['default'] / loaded['1 thread']:.2f} (target <= 1.3), "
          f"quiet default / quiet 1 thread = {quiet['default'] / quiet['1 thread']:.2f}")
    print(f"# at the end: {load_line()}")


if __name__ == "__main__":
    main()
