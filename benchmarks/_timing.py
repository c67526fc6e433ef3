"""Shared helpers for the benchmark scripts: medians of repeated runs, thread settings, a competing process."""

import contextlib
import os
import platform
import subprocess
import sys
import time

import numba
import numpy as np
from threadpoolctl import threadpool_limits

from spinlab import _threads

#: numba's thread count when the script started: "default" runs use it, with spinlab's load-aware policy.
DEFAULT_THREADS = numba.get_num_threads()

#: The competing process: a pure-Python busy loop (one core), as another user's job on a shared server.
_SPINNER = "import sys\nsys.stdout.write('ready\\n')\nsys.stdout.flush()\nwhile True:\n    pass\n"


def median_time(fn, repeat=5, warmup=1):
    """Median wall time of fn() in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def interleaved_medians(cases, repeat=5, warmup=1):
    """Median wall time [s] of each case; cases = {name: (context factory, fn)}, rounds interleaved.

    Each round runs every case once, so a change of the machine's load hits all cases alike.
    """
    times = {name: [] for name in cases}
    for round_ in range(warmup + repeat):
        for name, (context, fn) in cases.items():
            with context():
                t0 = time.perf_counter()
                fn()
                elapsed = time.perf_counter() - t0
            if round_ >= warmup:
                times[name].append(elapsed)
    return {name: float(np.median(t)) for name, t in times.items()}


@contextlib.contextmanager
def threads(n=None):
    """numba and BLAS on ``n`` threads; ``None``: the defaults, where spinlab's policy chooses."""
    previous = numba.get_num_threads()
    numba.set_num_threads(DEFAULT_THREADS if n is None else n)
    try:
        if n is None:
            yield
        else:
            with threadpool_limits(n):
                yield
    finally:
        numba.set_num_threads(previous)


def one_thread():
    return threads(1)


def default_threads():
    return threads(None)


@contextlib.contextmanager
def competing_process():
    """Another process keeping one core busy for the duration of the block (started, then stopped)."""
    proc = subprocess.Popen([sys.executable, "-c", _SPINNER], stdout=subprocess.PIPE)
    try:
        proc.stdout.readline()  # it is running
        time.sleep(2 * _threads.REFRESH_SECONDS)  # on a shared server the other job was there first
        yield proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def load_line():
    """Load average and the free cores spinlab sees now (other processes' CPU time over the last ~0.25 s)."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load}, free cores {_threads.free_cores()} of {_threads.N_CORES}"


def thread_ratio_lines(quiet, loaded, unit, scale):
    """Lines comparing the default threads with one thread, without and with a competing process.

    ``quiet`` and ``loaded`` are {"1 thread": seconds, "default": seconds}; ``scale`` converts
    seconds to ``unit``.  Target: default / 1 thread <= 1.3 with the competing process.
    """
    lines = [f"{'':>22} {'1 thread':>9} {'default':>9} {'default/1 thread':>17}   [{unit}]"]
    for label, t in (("quiet", quiet), ("one competing process", loaded)):
        one, default = t["1 thread"], t["default"]
        lines.append(f"{label:>22} {one * scale:>9.3g} {default * scale:>9.3g} {default / one:>17.2f}")
    return lines


def header(title):
    print(f"# {title}")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
          f"numba {numba.__version__} ({DEFAULT_THREADS} threads by default, SPINLAB_THREADS="
          f"{os.environ.get(_threads.ENV_VAR, 'auto')})")
