"""The load-aware thread policy (spinlab._threads): parsing, deciding, the override, identical results.

No timing assertions: the decision is tested on injected /proc/stat samples, and the only test that
looks at the real machine asserts what holds whatever else runs on it.
"""

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import numba
import numpy as np
import pytest

from spinlab import _numba, _threads
from spinlab._threads import (BUSY_TOLERANCE, N_CORES, ProcStat, cores_used_by_others, free_cores_given,
                              parse_proc_stat)
from spinlab.descriptors import SymmetricDescriptor
from spinlab.dynamics import DepondtMertens
from spinlab.heisenberg import HeisenbergModel, _heisenberg_field
from spinlab.lattice import TriangularLattice
from spinlab.spins import random_spins

# captured on a two-core Linux VM (the last CPU line has the 4 fields of old kernels)
PROC_STAT = """\
cpu  43612 0 5541 1148224 1373 0 199 995 0 0
cpu0 19276 0 2223 577583 373 0 38 553 0 0
cpu1 24335 0 3317 570641 999 0 160 442 0 0
cpu2 100 5 50 1000
intr 286891 0 0 0 0 0
ctxt 496483
btime 1718000000
processes 11346
procs_running 3
procs_blocked 0
"""


@pytest.fixture
def override(monkeypatch):
    """Set SPINLAB_THREADS for one test; the policy re-reads it at once and again after the test."""
    def set_(value):
        monkeypatch.setenv(_threads.ENV_VAR, value)
        return _threads.refresh()

    yield set_
    monkeypatch.delenv(_threads.ENV_VAR, raising=False)
    _threads.refresh()


def stat(busy, total, n_cpus=2):
    return ProcStat(busy, total, n_cpus, n_cpus, 1)


# -- parsing and deciding ---------------------------------------------------------------------------------------
def test_parser_sums_the_cpu_lines_of_the_affinity_set():
    every = parse_proc_stat(PROC_STAT)
    assert every.n_cpus == every.n_system_cpus == 3
    assert every.running == 3
    cpu0 = parse_proc_stat(PROC_STAT, cpus={0})
    assert (cpu0.n_cpus, cpu0.n_system_cpus) == (1, 3)
    assert cpu0.busy == 19276 + 2223 + 38 + 553  # user + nice + system + irq + softirq + steal
    assert cpu0.total == cpu0.busy + 577583 + 373  # + idle + iowait
    cpu2 = parse_proc_stat(PROC_STAT, cpus={2})
    assert (cpu2.busy, cpu2.total) == (155, 1155)
    assert parse_proc_stat(PROC_STAT, cpus={0, 1}).busy == cpu0.busy + 24335 + 3317 + 160 + 442


def test_other_processes_load_is_busy_time_minus_our_own():
    # two CPUs, 25 ticks each (0.25 s at 100 Hz) between the samples
    before = stat(1000, 10_000)
    assert cores_used_by_others(before, stat(1000 + 50, 10_050), 0.5, 100) == pytest.approx(0.0)  # all ours
    assert cores_used_by_others(before, stat(1000 + 50, 10_050), 0.25, 100) == pytest.approx(1.0)  # a spinner
    assert cores_used_by_others(before, stat(1000 + 50, 10_050), 0.0, 100) == pytest.approx(2.0)
    assert cores_used_by_others(before, stat(1000 + 2, 10_050), 0.1, 100) == 0.0  # clocks apart: clipped
    assert cores_used_by_others(before, stat(1000 + 2, 10_002), 0.0, 100) is None  # too short to tell


def test_decision_keeps_a_core_for_the_competing_process():
    assert free_cores_given(2, 0.0) == 2
    assert free_cores_given(2, BUSY_TOLERANCE / 2) == 2  # background noise
    assert free_cores_given(2, 2 / 3) == 1  # a spinner sharing two cores with our two threads
    assert free_cores_given(2, 1.0) == 1
    assert free_cores_given(2, 2.0) == 0
    assert free_cores_given(8, 3.0) == 5
    for others in np.linspace(0, 3, 31):
        assert 0 <= free_cores_given(2, others) <= 2


def test_fewer_free_cores_count_at_once_more_only_after_a_quiet_second():
    monitor = _threads._Monitor()
    w = _threads.REFRESH_SECONDS
    monitor.observe(0, w, 2)  # the first window replaces the guess from the run queue
    assert monitor.free == 2
    monitor.observe(w, 2 * w, 1)  # a competitor: serial from the next call on
    assert monitor.free == 1
    t = 2 * w
    while t < 2 * w + _threads.RISE_SECONDS - w:  # quiet again, but not for long enough
        monitor.observe(t, t + w, 2)
        t += w
        assert monitor.free == 1
    monitor.observe(t, t + w, 1)  # another burst restarts the wait
    monitor.observe(t + w, t + 2 * w, 2)
    assert monitor.free == 1
    t += 2 * w
    while monitor.free == 1:
        monitor.observe(t, t + w, 2)
        t += w
    assert monitor.free == 2 and t >= 4 * w + _threads.RISE_SECONDS


# -- the real machine -----------------------------------------------------------------------------------------
def test_free_core_estimate_is_between_zero_and_the_core_count():
    assert N_CORES >= 1
    assert 0 <= _threads.free_cores() <= N_CORES
    assert 1 <= _threads.thread_budget()


def test_without_proc_stat_the_load_average_or_nothing_decides(monkeypatch):
    monkeypatch.setattr(_threads, "_read_proc_stat", lambda: None)  # macOS
    monkeypatch.setattr(os, "getloadavg", lambda: (N_CORES + 5.0, 0.0, 0.0), raising=False)
    monitor = _threads._Monitor()
    assert monitor.free == 0
    monitor.sample_load(time.monotonic() + 1)
    assert monitor.free == 0
    monkeypatch.delattr(os, "getloadavg", raising=False)  # Windows: all cores count as free
    assert _threads._Monitor().free == N_CORES


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs /proc/stat")
def test_a_competing_busy_process_takes_a_core_from_the_estimate():
    # whatever else runs on the machine, the spinner keeps one core busy all the time: more load
    # only lowers the estimate further
    spinner = subprocess.Popen([sys.executable, "-c", "print('ready', flush=True)\nwhile True: pass"],
                               stdout=subprocess.PIPE)
    try:
        spinner.stdout.readline()
        before, own = _threads._read_proc_stat(), _threads._own_cpu_seconds()
        time.sleep(0.5)
        after = _threads._read_proc_stat()
        others = cores_used_by_others(before, after, _threads._own_cpu_seconds() - own, _threads._HZ)
    finally:
        spinner.kill()
        spinner.wait()
        spinner.stdout.close()
    assert others is not None and others > BUSY_TOLERANCE
    assert free_cores_given(N_CORES, others) <= N_CORES - 1


# -- the override and the kernels' choice ---------------------------------------------------------------------
def test_override_sets_the_budget(override):
    assert override("1") == 1
    assert _threads.thread_budget() == 1
    assert override("3") == 3
    assert override("auto") == max(1, _threads.free_cores())


def test_invalid_override_is_an_error(override):
    for value in ("0", "-2", "many"):
        with pytest.raises(ValueError, match="SPINLAB_THREADS"):
            override(value)


def spy_kernel(monkeypatch, allowed):
    """A SiteKernel whose versions record the call (and numba's thread count then) instead of computing."""
    kernel = _numba.SiteKernel(lambda x: None)
    calls, state = [], SimpleNamespace(threads=allowed)
    monkeypatch.setattr(kernel, "serial", lambda x: calls.append("serial"))
    monkeypatch.setattr(kernel, "parallel", lambda x: calls.append(("parallel", state.threads)))
    monkeypatch.setattr(numba, "get_num_threads", lambda: state.threads)
    monkeypatch.setattr(numba, "set_num_threads", lambda n: setattr(state, "threads", n))
    return kernel, calls, state


def test_one_thread_override_makes_kernels_serial(override, monkeypatch):
    kernel, calls, _ = spy_kernel(monkeypatch, allowed=2)
    big = np.zeros(_numba.PARALLEL_MIN_SITES)
    override("1")
    kernel(big)
    override("2")
    kernel(big)
    kernel(big[:100])  # small systems stay serial
    assert calls == ["serial", ("parallel", 2), "serial"]


def test_kernels_thread_over_the_free_cores_only(monkeypatch):
    kernel, calls, state = spy_kernel(monkeypatch, allowed=4)
    big = np.zeros(_numba.PARALLEL_MIN_SITES)
    for budget in (1, 3, 4, 8):
        monkeypatch.setattr(_numba, "thread_budget", lambda b=budget: b)
        kernel(big)
        assert state.threads == 4  # numba's setting is restored
    assert calls == ["serial", ("parallel", 3), ("parallel", 4), ("parallel", 4)]
    state.threads = 1  # numba.set_num_threads(1) by the user: serial whatever the budget
    kernel(big)
    assert calls[-1] == "serial"


def test_blas_follows_the_budget(override):
    net = SimpleNamespace(sizes=(554, 1024, 512, 1))  # large enough for BLAS threads
    controller = _threads._controller()
    override("1")
    with _threads.blas_for_network(_numba.PARALLEL_MIN_SITES, net):
        assert all(lib["num_threads"] == 1 for lib in controller.select(user_api="blas").info())
    with _threads.eigh_threads(2000):
        assert all(lib["num_threads"] == 1 for lib in controller.select(user_api="blas").info())


# -- results -----------------------------------------------------------------------------------------------------
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread")
def test_forced_threads_give_the_serial_results(override, monkeypatch):
    lattice = TriangularLattice(48)
    assert lattice.n_sites >= _numba.PARALLEL_MIN_SITES
    spins = random_spins(lattice.n_sites, 0)
    model = HeisenbergModel(lattice, J1=1.0, J2=0.2)
    descriptor = SymmetricDescriptor("triangular", 2.0)
    integrator = DepondtMertens(0.05, 0.1)

    def compute():
        field = model.exchange_field(spins)
        stepped, _ = integrator.step(spins, model.exchange_field, None, integrator.initial_memory(spins))
        return field, descriptor.features(lattice, spins), stepped

    override("1")
    serial = compute()
    override("2")  # threaded whatever the load
    threaded_calls = []
    parallel = _heisenberg_field.parallel
    monkeypatch.setattr(_heisenberg_field, "parallel", lambda *a: threaded_calls.append(1) or parallel(*a))
    previous = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        threaded = compute()
    finally:
        numba.set_num_threads(previous)
    assert threaded_calls
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)
