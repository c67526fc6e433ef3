"""Thread policy: how many threads (numba and BLAS) a computation may use, given the machine's load.

Threads pay only for large problems, and only on cores nobody else uses.  numba's OpenMP threads
and OpenBLAS's threads spin-wait at the end of each parallel region; when another process keeps
one of the cores busy, every region waits for a descheduled sibling thread (a scheduler time
slice, milliseconds), and a computation made of many short regions (an LLG step, a BP field)
becomes 3-70x slower on two threads than on one.  So spinlab threads only over the cores that
other processes leave free:

* :func:`free_cores` estimates them from ``/proc/stat`` (busy time of the CPUs this process may
  run on) minus this process's own CPU time (``os.times``), over the last ~0.25 s.  The estimate
  is cached and refreshed at most every :data:`REFRESH_SECONDS`, so asking costs well under a
  microsecond.  A core counts as taken when other processes use more than
  :data:`BUSY_TOLERANCE` of it; fewer free cores count at once, more only after
  :data:`RISE_SECONDS` without a busier window.  Without ``/proc/stat`` (macOS) the 1-minute load average stands
  in for it; without either (Windows) all cores count as free.
* :func:`thread_budget` is what every threaded kernel asks: at least 1, at most the free cores.
  ``SiteKernel`` runs its serial version when the budget is 1 and narrows numba's thread count to
  the budget otherwise; the BLAS contexts below narrow BLAS the same way.

Environment: ``SPINLAB_THREADS=auto`` (the default) is this load-aware policy;
``SPINLAB_THREADS=n`` (a positive integer) uses up to n threads whatever the load, so
``SPINLAB_THREADS=1`` runs everything on one thread.  Both are further capped by numba's
``NUMBA_NUM_THREADS`` / ``numba.set_num_threads`` and by BLAS limits set by the caller
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, threadpoolctl).  Results do not depend on the
thread count: the kernels give bit-identical results serial and threaded.  The variable is read
again at most every :data:`REFRESH_SECONDS` (:func:`refresh` re-reads it at once).
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from functools import lru_cache
from typing import NamedTuple

import numba

__all__ = [
    "PARALLEL_MIN_SITES", "SERIAL_EIGH_MAX_DIM", "BLAS_THREADING_MIN_WORK", "BUSY_TOLERANCE", "REFRESH_SECONDS",
    "RISE_SECONDS", "ENV_VAR", "thread_budget", "refresh", "free_cores", "serial_blas", "blas_threads",
    "blas_for_network", "eigh_threads", "parse_proc_stat", "cores_used_by_others", "free_cores_given",
]

#: Systems with at least this many sites use numba's threaded kernels (when the thread budget is above 1).
PARALLEL_MIN_SITES = 2048

#: Matrices up to this dimension are diagonalized on one BLAS thread: threading does not pay for them,
#: and with another busy process on the machine a threaded small eigh can be a hundred times slower.
SERIAL_EIGH_MAX_DIM = 600

#: Networks with fewer multiply-adds per site (sum of n_in * n_out over layers) run their matrix
#: products on one BLAS thread when numba's kernels are threaded (measured crossover on two cores:
#: hidden (256, 256, 256), 1.7e5, is a tie; (512, 256, 128, 64), 2.5e5, gains from BLAS threads).
BLAS_THREADING_MIN_WORK = 200_000

#: A core counts as free while other processes use less than this fraction of it.  Two threads lose
#: to one as soon as a competing process is running a small part of the time (each parallel region
#: it hits costs a time slice), so the tolerance only absorbs background noise.
BUSY_TOLERANCE = 0.15

#: The free-core estimate is refreshed at most this often [s]; it covers the time since the last refresh.
REFRESH_SECONDS = 0.25

#: More free cores than before count only after this long without a busier window [s] (fewer count at once).
RISE_SECONDS = 1.0

#: Shortest window that gives a usable estimate [s] (/proc/stat counts in 10 ms ticks).
_MIN_WINDOW = 0.1

#: The environment variable of the override: ``auto`` or a positive thread count.
ENV_VAR = "SPINLAB_THREADS"


# -- the pure parts: parsing and deciding (tested on captured samples) --------------------------------------------
class ProcStat(NamedTuple):
    """CPU time of a set of CPUs from ``/proc/stat``, in clock ticks, and the system's runnable tasks."""

    busy: int  # user + nice + system + irq + softirq + steal (guest time is part of user)
    total: int  # busy + idle + iowait
    n_cpus: int  # CPUs summed
    n_system_cpus: int  # CPUs listed in the file
    running: int  # procs_running: runnable tasks on the whole system, the reader included


def parse_proc_stat(text: str, cpus=None) -> ProcStat:
    """Sum the ``cpuN`` lines of ``/proc/stat`` text over ``cpus`` (CPU numbers; None: all)."""
    busy = total = n = n_system = 0
    running = 1
    for line in text.splitlines():
        if line.startswith("cpu") and line[3:4].isdigit():
            name, *fields = line.split()
            n_system += 1
            if cpus is not None and int(name[3:]) not in cpus:
                continue
            ticks = [int(x) for x in fields[:8]] + [0] * (8 - len(fields[:8]))
            user, nice, system, idle, iowait, irq, softirq, steal = ticks
            b = user + nice + system + irq + softirq + steal
            busy += b
            total += b + idle + iowait
            n += 1
        elif line.startswith("procs_running"):
            running = int(line.split()[1])
    return ProcStat(busy, total, n, n_system, running)


def cores_used_by_others(before: ProcStat, after: ProcStat, own_cpu_seconds: float, hz: float) -> float | None:
    """Cores kept busy by other processes between two samples, given this process's CPU time in between.

    The time base is the samples' own total ticks per CPU, so the two clocks cannot drift apart.
    None when the samples are too close to tell (under 2 ticks per CPU).
    """
    n = after.n_cpus
    elapsed_ticks = (after.total - before.total) / n if n else 0
    if elapsed_ticks < 2:
        return None
    others = (after.busy - before.busy) - own_cpu_seconds * hz
    return min(float(n), max(0.0, others / elapsed_ticks))


def free_cores_given(n_cores: int, others: float, tolerance: float = BUSY_TOLERANCE) -> int:
    """Cores left free by other processes that keep ``others`` cores busy (0 to ``n_cores``)."""
    return max(0, min(n_cores, math.floor(n_cores - others + tolerance)))


def _snapshot_others(sample: ProcStat) -> float:
    """A first guess from one sample: the other runnable tasks, in proportion to our share of the CPUs."""
    others = max(0, sample.running - 1)
    return others * sample.n_cpus / max(sample.n_cpus, sample.n_system_cpus)


# -- the monitor ----------------------------------------------------------------------------------------------------
def _affinity():
    try:
        return frozenset(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


_CPUS = _affinity()
N_CORES = len(_CPUS) if _CPUS else (os.cpu_count() or 1)


def _clock_ticks_per_second() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


_HZ = _clock_ticks_per_second()


def _own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system  # all threads of this process, not its children


def _read_proc_stat() -> ProcStat | None:
    try:
        with open("/proc/stat", "rb") as f:
            return parse_proc_stat(f.read().decode("ascii", "replace"), _CPUS)
    except (OSError, ValueError):
        return None


class _Monitor:
    """The cached free-core estimate and thread budget."""

    def __init__(self):
        self.sample = _read_proc_stat()
        self.own = _own_cpu_seconds()
        self.when = time.monotonic()
        if self.sample is not None and self.sample.n_cpus:
            self.free = free_cores_given(N_CORES, _snapshot_others(self.sample))
        else:
            self.sample = None
            self.free = self._without_proc_stat()
        self.settled = False  # the first window replaces the guess at once
        self.rising_since = None  # start of the windows that saw more free cores than self.free
        self.rising_to = self.free
        self.next_sample = self.when + _MIN_WINDOW
        self.next_refresh = 0.0  # read the environment at the first call
        self.budget = max(1, self.free)

    def update(self, now) -> int:
        """Re-read the environment and, if the override is ``auto`` and it is time, the load."""
        fixed = _parse_override(os.environ.get(ENV_VAR, ""))
        if fixed is not None:
            self.budget = fixed
        else:
            if now >= self.next_sample:
                self.sample_load(now)
            self.budget = max(1, self.free)
        self.next_refresh = now + REFRESH_SECONDS if fixed is not None else min(now + REFRESH_SECONDS, self.next_sample)
        return self.budget

    def sample_load(self, now):
        if self.sample is None:
            self.free = self._without_proc_stat()
            self.next_sample = now + REFRESH_SECONDS
            return
        sample, own = _read_proc_stat(), _own_cpu_seconds()
        if sample is None or sample.n_cpus != self.sample.n_cpus:
            self.__init__()
            return
        others = cores_used_by_others(self.sample, sample, own - self.own, _HZ)
        if others is None:  # too soon to tell: keep the estimate and the older sample
            self.next_sample = now + _MIN_WINDOW
            return
        start = self.when
        self.sample, self.own, self.when = sample, own, now
        self.observe(start, now, free_cores_given(N_CORES, others))
        # after a long quiet spell the average is stale: look again soon
        self.next_sample = now + (REFRESH_SECONDS if now - start < 2 * REFRESH_SECONDS else _MIN_WINDOW)

    def observe(self, start, now, free):
        """Take the free cores seen from ``start`` to ``now``: fewer at once, more once they stayed free.

        More free cores count only after :data:`RISE_SECONDS` without a busier window, so a
        bursty competitor (a test suite, a compiler) does not catch threads in its next burst.
        """
        if free >= self.free and self.settled:
            if free == self.free:
                self.rising_since = None
            elif self.rising_since is None:
                self.rising_since, self.rising_to = start, free
            else:
                self.rising_to = min(self.rising_to, free)
            if self.rising_since is not None and now - self.rising_since >= RISE_SECONDS:
                self.free, self.rising_since = self.rising_to, None
        else:
            self.free, self.rising_since, self.settled = free, None, True

    def _without_proc_stat(self) -> int:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return N_CORES
        # the load average counts this process too; subtract what it used recently
        now, own = time.monotonic(), _own_cpu_seconds()
        mine = (own - self.own) / (now - self.when) if now - self.when > _MIN_WINDOW else 0.0
        self.own, self.when = own, now
        return free_cores_given(N_CORES, max(0.0, load - mine))


_monitor = _Monitor()


def free_cores() -> int:
    """Cores of this process's CPU set that other processes left free recently (0 to the core count)."""
    now = time.monotonic()
    if now >= _monitor.next_sample:
        _monitor.sample_load(now)
    return _monitor.free


@lru_cache(maxsize=8)
def _parse_override(value: str) -> int | None:
    value = value.strip().lower()
    if value in ("", "auto"):
        return None
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{ENV_VAR} must be 'auto' or a positive number of threads, got {value!r}")
    return n


def thread_budget() -> int:
    """How many threads spinlab may use now (at least 1): ``SPINLAB_THREADS``, or the free cores.

    Cached: the environment and the load are looked at again at most every :data:`REFRESH_SECONDS`
    (:func:`refresh` forces it).
    """
    now = time.monotonic()
    if now < _monitor.next_refresh:
        return _monitor.budget
    return _monitor.update(now)


def refresh() -> int:
    """Re-read ``SPINLAB_THREADS`` now (and the load, if a new window is due); returns the budget."""
    return _monitor.update(time.monotonic())


# -- BLAS --------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def serial_blas():
    """Context in which BLAS uses one thread."""
    return _controller().limit(limits=1, user_api="blas")


def blas_threads(n=None):
    """Context in which BLAS uses at most ``n`` threads (default: the :func:`thread_budget`).

    Never raises a limit the caller has set; a no-op when nothing needs narrowing.
    """
    n = thread_budget() if n is None else n
    blas = _controller().select(user_api="blas")
    if all(lib.num_threads <= n for lib in blas.lib_controllers):
        return nullcontext()
    return blas.limit(limits=max(1, n))


def blas_for_network(n_sites, network):
    """Context that restricts BLAS to one thread where its threads cost more than they gain.

    * Snapshots below :data:`PARALLEL_MIN_SITES` sites: the network's matrices
      have one row per site, and for a few hundred rows threaded BLAS spends more on
      synchronization than it saves, far more on a busy machine (a 12x12 training step
      with hidden (64, 64, 64) took 40x longer on two threads than on one on a loaded
      two-core machine).
    * Small networks (below :data:`BLAS_THREADING_MIN_WORK`) when numba is threaded: OpenBLAS
      threads keep spinning after each product and slow the threaded descriptor and
      activation kernels that follow (96x96 prediction with the default model on two
      cores: 6.3 µs/site with one BLAS thread, 9-13 µs/site with two).
    * Otherwise BLAS uses at most the :func:`thread_budget` (the cores other processes leave free).

    The results are identical either way.
    """
    if n_sites < PARALLEL_MIN_SITES:
        return serial_blas()
    budget = thread_budget()
    work = sum(a * b for a, b in zip(network.sizes[:-1], network.sizes[1:]))
    if work < BLAS_THREADING_MIN_WORK and min(budget, numba.get_num_threads()) > 1:
        return serial_blas()
    return blas_threads(budget)


def eigh_threads(dim):
    """Context for a dense Hermitian eigensolver of dimension ``dim``."""
    return serial_blas() if dim <= SERIAL_EIGH_MAX_DIM else blas_threads()
