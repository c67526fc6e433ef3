"""LLG spin dynamics: spinlab's integrators against Spirit's Depondt and SIB solvers.

System: nearest-neighbour Heisenberg ferromagnet on a 100x100 periodic square lattice, exchange
only, zero temperature, damping 0.1, time step 0.01 (units of hbar/J); both codes start from the
same random configuration. Throughput is spin-steps per second (sites x steps / wall time), the
median of several runs after a warm-up (numba compiles or loads its cache on the first call).

Like is compared with like: DepondtMertens with Spirit's Depondt (the same scheme) and
SemiImplicitMidpoint with Spirit's SIB (both Mentink et al. 2010; Spirit's midpoint is not
normalized), on one core each: Spirit's wheel is serial, spinlab runs on one numba thread with
single-threaded BLAS. spinlab with its default threads is reported separately: numba's thread count
(the cores), under spinlab's policy (``spinlab._threads``) of threading only over the cores that
other processes leave free, since each OpenMP parallel region waits for its slowest thread.  The
script prints the load average, the free cores spinlab sees and, per case, the CPU time over wall time.
Target: per core, spinlab at least Spirit's throughput for each pair.

Threads on a shared machine: the spinlab cases are then run again, 1 thread and default, with one
competing busy process started by this script (a Python busy loop on one core), and the script
prints default / 1 thread without and with it.  Target: at most 1.3 with the competing process.

Units: spinlab integrates the Landau-Lifshitz form with time in hbar/J; Spirit the Gilbert form
with dt in ps, energies in meV and a precession rate gamma/(mu_s mu_B) per meV of field. With
J = 1 meV and mu_s = 2 mu_B the two agree for dt_Spirit = dt (1 + alpha^2) mu_s mu_B / gamma;
the script checks this by running both Depondt integrators from the same state.
"""

import contextlib
import os
import sys
import tempfile
import time

import numba
import numpy as np
from _timing import DEFAULT_THREADS, competing_process, header, load_line, thread_ratio_lines
from spirit import constants, simulation, state, system
from spirit import version as spirit_version
from threadpoolctl import threadpool_limits

from spinlab.dynamics import (AdamsBashforthMidpoint, DepondtMertens, ImplicitMidpoint, SemiImplicitMidpoint,
                              StochasticHeun)
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import SquareLattice
from spinlab.spins import random_spins

L = 100
ALPHA = 0.1
DT = 0.01  # hbar/J
MU_S = 2.0  # Bohr magnetons; with gamma/mu_B ~ 2/hbar this makes Spirit's precession rate |H|/hbar
N_STEPS = 500  # per timed run
REPEAT = 5
REPEAT_LOADED = 9  # the competing process makes the timings noisier
N_CHECK = 100  # steps of the unit check
INTEGRATORS = [SemiImplicitMidpoint, ImplicitMidpoint, DepondtMertens, StochasticHeun, AdamsBashforthMidpoint]
SPIRIT_SOLVERS = {"SIB": simulation.SOLVER_SIB, "Depondt": simulation.SOLVER_DEPONDT}
PAIRS = [(DepondtMertens, "Depondt"), (SemiImplicitMidpoint, "SIB")]

SPIRIT_CONFIG = """\
output_file_tag           bench
log_output_folder         {folder}
llg_output_folder         {folder}
mc_output_folder          {folder}
gneb_output_folder        {folder}
mmf_output_folder         {folder}
ema_output_folder         {folder}
log_to_console            0
log_to_file               0
save_input_initial        0
save_input_final          0
save_positions_initial    0
save_positions_final      0
save_neighbours_initial   0
save_neighbours_final     0

bravais_lattice           sc
n_basis_cells             {L} {L} 1
mu_s                      {mu_s}

hamiltonian               heisenberg_neighbours
boundary_conditions       1 1 0
external_field_magnitude  0.0
external_field_normal     0.0 0.0 1.0
anisotropy_magnitude      0.0
anisotropy_normal         0.0 0.0 1.0
n_shells_exchange         1
jij                       1.0
n_shells_dmi              0
ddi_method                none

llg_output_any            0
llg_output_initial        0
llg_output_final          0
llg_temperature           0
llg_damping               {alpha}
llg_dt                    {dt_ps!r}
llg_force_convergence     1e-30
"""


def spirit_time_step(dt, alpha):
    """Spirit's llg_dt [ps] for spinlab's dt [hbar/J] (J = 1 meV; Gilbert time = (1 + alpha^2) x LL time)."""
    return dt * (1 + alpha**2) * MU_S * constants.mu_B / constants.gamma


@contextlib.contextmanager
def c_output_to(path):
    """Send the C-level stdout and stderr to ``path`` (Spirit prints its banner even when quiet)."""
    sys.stdout.flush()
    sys.stderr.flush()
    with open(path, "a") as sink:
        saved = [os.dup(1), os.dup(2)]
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)
            yield
        finally:
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


def machine():
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown")
    return f"{model}, {os.cpu_count()} logical cores, {load_line()}"


def measure(cases, n_spin_steps, repeat=REPEAT):
    """Median wall rate and CPU/wall of each case; rounds of all cases interleaved, so load changes hit all."""
    times = {name: [] for name in cases}
    for round_ in range(repeat + 1):  # round 0 is the warm-up
        for name, (threads, reset, run) in cases.items():
            numba.set_num_threads(DEFAULT_THREADS if threads == "default" else threads)
            reset()
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if round_:
                times[name].append((wall, cpu))
    return {name: (n_spin_steps / np.median([w for w, _ in t]), np.median([c / w for w, c in t]))
            for name, t in times.items()}


def main():
    model = HeisenbergModel(SquareLattice(L), J1=-1.0)  # E = J S_i.S_j: J1 < 0 is ferromagnetic
    start = random_spins(model.n_sites, 1)
    dt_ps = spirit_time_step(DT, ALPHA)
    thread_counts = [1, "default"]
    header(f"LLG dynamics: spinlab vs Spirit {spirit_version.version}, {L}x{L} periodic square ferromagnet "
           f"({model.n_sites} spins)")
    print(f"# {machine()}")
    print(f"# alpha = {ALPHA}, kT = 0; dt = {DT} hbar/J (LL form) = Spirit llg_dt {dt_ps:.6g} ps "
          f"(Gilbert form, J = 1 meV, mu_s = {MU_S:g} mu_B)")

    def spinlab_run(integrator, n_steps=N_STEPS):
        spins, memory = start, integrator.initial_memory(start)
        for _ in range(n_steps):
            spins, memory = integrator.step(spins, model.exchange_field, None, memory)
        return spins

    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "input.cfg")
        with open(config, "w") as f:
            f.write(SPIRIT_CONFIG.format(folder=folder, L=L, mu_s=MU_S, alpha=ALPHA, dt_ps=dt_ps))
        spirit_log = os.path.join(folder, "spirit.log")
        with c_output_to(spirit_log):
            p_state = state.setup(config, quiet=True)
        try:
            spins_view = system.get_spin_directions(p_state)  # Spirit's own array: writing it sets the state
            assert spins_view.shape == (model.n_sites, 3)

            def spirit_reset():
                spins_view[:] = start

            def spirit_run(solver, n_steps=N_STEPS):
                info = simulation.start(p_state, simulation.METHOD_LLG, solver, n_iterations=n_steps,
                                        n_iterations_log=n_steps)
                assert info.total_iterations == n_steps, "Spirit stopped early"
                return spins_view

            deviations = []
            for cls, solver in PAIRS:
                spirit_reset()
                theirs = spirit_run(SPIRIT_SOLVERS[solver], N_CHECK).copy()
                ours = spinlab_run(cls(DT, ALPHA), N_CHECK)
                deviations.append(f"{cls.__name__}/{solver} {np.max(np.abs(ours - theirs)):.1e}")
            print(f"# same start, {N_CHECK} steps, max |S_spinlab - S_Spirit|: {', '.join(deviations)} "
                  "(SIB does not normalize its midpoint)")

            cases = {}
            for threads in thread_counts:
                for cls in INTEGRATORS:
                    cases[cls.__name__, threads] = (threads, lambda: None, lambda i=cls(DT, ALPHA): spinlab_run(i))
            for name, solver in SPIRIT_SOLVERS.items():
                cases[name, 1] = (1, spirit_reset, lambda s=solver: spirit_run(s))
            with threadpool_limits(1, user_api="blas"):
                results = measure(cases, model.n_sites * N_STEPS)
                spinlab_cases = {key: case for key, case in cases.items() if key[0] not in SPIRIT_SOLVERS}
                with competing_process():
                    loaded_line = load_line()
                    loaded = measure(spinlab_cases, model.n_sites * N_STEPS, REPEAT_LOADED)
        finally:
            with c_output_to(spirit_log):
                state.delete(p_state)

    print(f"# median of {REPEAT} runs of {N_STEPS} steps after a warm-up, cases interleaved; "
          "CPU/wall = cores kept busy (Spirit's wheel is serial)")
    print(f"{'code':>8} {'integrator':>22} {'threads':>7} {'spin-steps/s':>13} {'CPU/wall':>8}")
    for (name, threads), (rate, busy) in results.items():
        code = "Spirit" if name in SPIRIT_SOLVERS else "spinlab"
        print(f"{code:>8} {name:>22} {threads:>7} {rate:>13.3e} {busy:>8.2f}")
    print("# spinlab / Spirit, by spinlab's thread count (target >= 1 on one thread)")
    print(f"{'pair':>31} " + " ".join(f"{t:>8}" for t in thread_counts))
    for cls, solver in PAIRS:
        ratios = " ".join(f"{results[cls.__name__, t][0] / results[solver, 1][0]:>8.2f}" for t in thread_counts)
        print(f"{cls.__name__ + ' / ' + solver:>31} {ratios}")
    serial = {key: busy for key, (_, busy) in results.items() if key[1] == 1}
    shared = [f"{name} (1)" for (name, _), busy in serial.items() if busy < 0.9]
    if shared:
        which = "all one-thread cases" if len(shared) == len(serial) else ", ".join(shared)
        print(f"# CPU/wall below 0.9 on one thread, cores shared with other processes: {which}")

    print(f"\n# Threads on a shared machine: spinlab default / 1 thread, without and with one competing busy "
          f"process; median of {REPEAT} and {REPEAT_LOADED} interleaved runs")
    print(f"# with the competing process: {loaded_line}")
    ratios = []
    for cls in INTEGRATORS:
        name = cls.__name__
        times = [{label: 1 / res[name, t][0] for label, t in (("1 thread", 1), ("default", "default"))}
                 for res in (results, loaded)]
        ratios.append(times[1]["default"] / times[1]["1 thread"])
        print(f"{name}:  (CPU/wall with the competing process: 1 thread {loaded[name, 1][1]:.2f}, default "
              f"{loaded[name, 'default'][1]:.2f})")
        for line in thread_ratio_lines(*times, "ns/spin-step", 1e9):
            print(line)
    print(f"# loaded default / loaded 1 thread: {min(ratios):.2f} to {max(ratios):.2f} (target <= 1.3)")
    print(f"# at the end: {load_line()}")


if __name__ == "__main__":
    main()
