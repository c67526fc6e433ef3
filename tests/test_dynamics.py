"""Integrators: closed-form precession, norm and energy conservation, thermal equilibrium, ED-driven ordering."""

import numpy as np
import pytest

from spinlab.dynamics import (INTEGRATORS, AdamsBashforthMidpoint, DepondtMertens, ImplicitMidpoint,
                              SemiImplicitMidpoint, StochasticHeun, integrator_from_config)
from spinlab.electrons import SDModel
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import SquareLattice, TriangularLattice
from spinlab.montecarlo import metropolis
from spinlab.observables import TETRAHEDRAL_CHIRALITY, scalar_chirality, structure_factor_at
from spinlab.spins import ferromagnet, random_spins
from spinlab.trajectory import SimulationError, run

ALL = list(INTEGRATORS.values())


def uniform_field(h):
    return lambda s: np.broadcast_to(np.array([0.0, 0.0, h]), s.shape)


def langevin_function(x):
    return 1 / np.tanh(x) - 1 / x


def block_error(samples, n_blocks=20):
    """Standard error of the mean from block averages (handles autocorrelation)."""
    blocks = samples[: len(samples) // n_blocks * n_blocks].reshape(n_blocks, -1).mean(axis=1)
    return blocks.std(ddof=1) / np.sqrt(n_blocks)


# -- deterministic precession ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_larmor_precession_with_damping_matches_the_closed_form_at_second_order(cls):
    h, alpha, duration = 1.0, 0.1, 5.0
    theta0 = 1.0
    start = np.array([[np.sin(theta0), 0.0, np.cos(theta0)]])
    sz = np.tanh(alpha * h * duration + np.arctanh(np.cos(theta0)))  # LL form
    phi = h * duration
    exact = np.array([np.sqrt(1 - sz**2) * np.cos(phi), np.sqrt(1 - sz**2) * np.sin(phi), sz])
    steps = [0.1, 0.05, 0.025]
    errors = []
    for dt in steps:
        integrator, spins, memory = cls(dt, alpha), start.copy(), None
        for _ in range(round(duration / dt)):
            spins, memory = integrator.step(spins, uniform_field(h), None, memory)
        errors.append(np.linalg.norm(spins[0] - exact))
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert 1.85 < slope < 2.2, (errors, slope)
    assert errors[-1] < 2e-3


def test_gilbert_time_is_the_ll_time_times_one_plus_alpha_squared():
    # Gilbert closed form: tan(theta/2) = tan(theta0/2) exp(-alpha h t_G/(1 + alpha^2))
    h, alpha, t_gilbert = 1.0, 0.75, 3.125  # t_LL = 2, a whole number of steps
    integrator = SemiImplicitMidpoint(0.002, alpha)
    spins = np.array([[np.sin(2.0), 0.0, np.cos(2.0)]])
    for _ in range(round(t_gilbert / (1 + alpha**2) / integrator.dt)):
        spins, _ = integrator.step(spins, uniform_field(h), None)
    theta = np.arccos(spins[0, 2])
    assert np.tan(theta / 2) == pytest.approx(np.tan(1.0) * np.exp(-alpha * h * t_gilbert / (1 + alpha**2)), rel=1e-5)


def test_adams_bashforth_start_and_midpoint_scheme_agree_at_small_dt():
    # the first AB2 step uses h1(t - dt) = h1(t); both schemes are second order, so at zero noise
    # their difference after a fixed time falls as dt^2
    lat = TriangularLattice(6)
    model = HeisenbergModel(lat, J1=1.0, J2=0.3, field=(0.1, 0, 0.2))
    start = random_spins(lat.n_sites, 1)
    differences = []
    for dt in (1e-2, 1e-3):
        ab2, midpoint = AdamsBashforthMidpoint(dt, 0.2), SemiImplicitMidpoint(dt, 0.2)
        a, b, memory = start, start, None
        for _ in range(round(0.5 / dt)):
            a, memory = ab2.step(a, model.exchange_field, None, memory)
            b, _ = midpoint.step(b, model.exchange_field, None)
        differences.append(np.abs(a - b).max())
    assert differences[1] < 1e-5 and differences[0] / differences[1] > 50, differences


# -- norms and energy ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_spin_length_stays_one_after_ten_thousand_steps(cls):
    lat = TriangularLattice(6)
    model = HeisenbergModel(lat, J1=1.0, J2=-0.2, field=(0, 0, 0.5), anisotropy=0.3)
    integrator = cls(0.02, 0.1, kT=0.2) if cls is not AdamsBashforthMidpoint else cls(0.02, 0.1, kT=4.0)
    trajectory = run(random_spins(lat.n_sites, 3), model, integrator, 10_000, record_every=10_000, seed=4,
                     progress=False)
    np.testing.assert_allclose(np.linalg.norm(trajectory.final_spins, axis=1), 1.0, atol=1e-12)


def energy_series(integrator, n_steps, model, spins):
    trajectory = run(spins, model, integrator, n_steps, record_every=max(1, n_steps // 400), progress=False)
    return trajectory.times, trajectory.energies


@pytest.fixture(scope="module")
def hamiltonian_system():
    lat = TriangularLattice(12)
    model = HeisenbergModel(lat, J1=1.0, J2=0.2, anisotropy=0.1)
    # a warm but not random start: relax random spins briefly with damping
    spins = run(random_spins(lat.n_sites, 5), model, SemiImplicitMidpoint(0.05, 0.5), 40, progress=False).final_spins
    return lat, model, spins


def test_implicit_midpoint_conserves_energy_without_drift(hamiltonian_system):
    lat, model, spins = hamiltonian_system
    dt = 0.025
    _, energies = energy_series(ImplicitMidpoint(dt, 0.0), 8000, model, spins)
    deviation = energies - energies[0]
    # bounded O(dt^2) oscillation, scaled with sqrt(N)
    assert np.abs(deviation).max() < dt**2 * np.sqrt(lat.n_sites)
    # no secular drift: the mean deviation of the last quarter equals that of the second
    quarters = deviation[: len(deviation) // 4 * 4].reshape(4, -1).mean(axis=1)
    assert abs(quarters[3] - quarters[1]) < 0.25 * np.abs(deviation).max(), quarters


def test_semi_implicit_midpoint_energy_drift_falls_with_dt(hamiltonian_system):
    # Not symplectic: at alpha = 0 the energy drifts linearly in time.  The drift rate is measured
    # to fall as dt^3 (one order above the scheme's trajectory error, dt^2); the same run with the
    # implicit midpoint rule shows no drift at all (test above).
    lat, model, spins = hamiltonian_system
    rates = []
    for dt in (0.04, 0.02):
        times, energies = energy_series(SemiImplicitMidpoint(dt, 0.0), round(100 / dt), model, spins)
        rates.append(abs(np.polyfit(times, energies - energies[0], 1)[0]))
    order = np.log2(rates[0] / rates[1])
    assert rates[1] > 1e-5 and 2.5 < order < 3.6, rates


def test_damping_lowers_the_energy_monotonically(hamiltonian_system):
    lat, model, spins = hamiltonian_system
    _, energies = energy_series(SemiImplicitMidpoint(0.05, 0.3), 400, model, spins)
    assert np.all(np.diff(energies) <= 1e-12)


# -- thermal equilibrium ------------------------------------------------------------------------------------------
def thermal_mean_sz(integrator, n_sites=2000, duration=60.0, burn_in=10.0, seed=1):
    spins = random_spins(n_sites, seed + 100)
    rng = np.random.default_rng(seed)
    samples, memory = [], None
    for k in range(round(duration / integrator.dt)):
        spins, memory = integrator.step(spins, uniform_field(1.0), rng, memory)
        if k * integrator.dt > burn_in:
            samples.append(spins[:, 2].mean())
    samples = np.array(samples)
    return samples.mean(), block_error(samples)


@pytest.mark.parametrize("cls, noise, kT", [
    (SemiImplicitMidpoint, "precession", 0.5), (SemiImplicitMidpoint, "precession", 1.5),
    (SemiImplicitMidpoint, "both", 0.5), (SemiImplicitMidpoint, "both", 1.5),
    (ImplicitMidpoint, "precession", 0.5), (DepondtMertens, "precession", 0.5),
    (StochasticHeun, "precession", 0.5),
])
def test_independent_spins_follow_the_langevin_function(cls, noise, kT):
    mean, error = thermal_mean_sz(cls(0.01, 0.5, kT=kT, noise=noise))
    assert abs(mean - langevin_function(1.0 / kT)) < 4 * error + 1e-3, (mean, error)


def test_misplaced_noise_amplitude_overheats_by_one_plus_alpha_squared():
    # the precession-only amplitude used with noise in both terms: the test above must catch it
    alpha, kT = 0.5, 0.5
    wrong = SemiImplicitMidpoint(0.01, alpha, kT=kT * (1 + alpha**2), noise="both")
    assert wrong.noise_amplitude == pytest.approx(SemiImplicitMidpoint(0.01, alpha, kT=kT).noise_amplitude)
    mean, error = thermal_mean_sz(wrong)
    assert abs(mean - langevin_function(1.0 / kT)) > 10 * error
    assert mean == pytest.approx(langevin_function(1.0 / (kT * (1 + alpha**2))), abs=4 * error + 1e-3)


def test_adams_bashforth_noise_knob_is_a_temperature_alpha_kT_over_two():
    knob, alpha = 2.0, 0.5
    integrator = AdamsBashforthMidpoint(0.01, alpha, kT=knob)
    assert integrator.effective_temperature == pytest.approx(0.5)
    mean, error = thermal_mean_sz(integrator)
    assert abs(mean - langevin_function(1.0 / integrator.effective_temperature)) < 4 * error + 1e-3


@pytest.mark.parametrize("kT", [0.5, 1.0])
def test_langevin_dynamics_and_metropolis_give_the_same_energy(kT):
    lat = SquareLattice(8)
    model = HeisenbergModel(lat, J1=-1.0)  # ferromagnet
    _, energies, acceptance = metropolis(model, ferromagnet(lat), kT, 30_000, seed=1, record_every=10)
    mc = energies[300:] / lat.n_sites
    mc_mean, mc_error = mc.mean(), block_error(mc)
    assert 0.2 < acceptance < 0.9
    # the Langevin time-step bias is linear in dt: extrapolate two step sizes to dt -> 0
    means, errors = [], []
    for dt in (0.05, 0.025):
        trajectory = run(ferromagnet(lat), model, SemiImplicitMidpoint(dt, 0.5, kT=kT), round(1500 / dt),
                         record_every=round(0.5 / dt), seed=3, progress=False)
        e = trajectory.energies[100:] / lat.n_sites
        means.append(e.mean())
        errors.append(block_error(e))
    extrapolated = 2 * means[1] - means[0]
    error = np.sqrt(4 * errors[1] ** 2 + errors[0] ** 2 + mc_error**2)
    assert abs(extrapolated - mc_mean) < 3.5 * error, (means, extrapolated, mc_mean, error)


# -- ED-driven ordering -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("J, filling, seed", [(4.0, 0.5, 2), (3.0, 0.25, 1)])
def test_ed_driven_damped_llg_orders_from_random_spins(J, filling, seed):
    lat = TriangularLattice(6)
    model = SDModel(lat, J=J, filling=filling)
    trajectory = run(random_spins(lat.n_sites, seed), model, SemiImplicitMidpoint(0.1, 1.0), 3000,
                     record_every=500, progress=False)
    final = trajectory.final_spins
    peaks = structure_factor_at(lat, final)
    if filling == 0.5:  # 120 degrees
        assert peaks["K"] == pytest.approx(0.5, abs=0.01) and peaks["K'"] == pytest.approx(0.5, abs=0.01)
    else:  # tetrahedral
        for m in ("M1", "M2", "M3"):
            assert peaks[m] == pytest.approx(1 / 3, abs=0.01)
        chi = scalar_chirality(lat, final)
        np.testing.assert_allclose(np.abs(chi), TETRAHEDRAL_CHIRALITY, atol=0.01)
        assert np.all(np.sign(chi) == np.sign(chi[0]))  # uniform
    assert np.all(np.diff(trajectory.energies) < 1e-9)


# -- errors ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(dt=0.0, alpha=0.1), "dt must be positive"), (dict(dt=0.1, alpha=-1.0), "alpha"),
    (dict(dt=0.1, alpha=0.1, kT=-1.0), "kT"), (dict(dt=np.inf, alpha=0.1), "finite"),
    (dict(dt=0.1, alpha=0.1, noise="gilbert"), "noise"),
])
def test_invalid_integrator_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SemiImplicitMidpoint(**kwargs)


@pytest.mark.parametrize("max_iterations", [0, -1, 2.5])
def test_implicit_midpoint_refuses_a_useless_iteration_limit(max_iterations):
    with pytest.raises(ValueError, match="max_iterations"):
        ImplicitMidpoint(0.1, 0.1, max_iterations=max_iterations)


def test_zero_metropolis_sweeps_return_the_start_and_no_acceptance():
    model = HeisenbergModel(SquareLattice(4), J1=1.0)
    start = random_spins(16, 0)
    spins, energies, acceptance = metropolis(model, start, 0.5, 0, seed=0)
    np.testing.assert_array_equal(spins, start)
    assert energies.shape == (0,) and np.isnan(acceptance)
    with pytest.raises(ValueError, match="n_sweeps"):
        metropolis(model, start, 0.5, -3, seed=0)


def test_stochastic_step_without_generator_is_refused():
    with pytest.raises(ValueError, match="rng"):
        SemiImplicitMidpoint(0.1, 0.1, kT=0.1).step(random_spins(4, 0), uniform_field(1.0))


class ExplodingField:
    """A field provider that returns NaN from its 7th call on."""

    lattice = SquareLattice(3)
    n_sites = 9
    conservative = False

    def __init__(self):
        self.calls = 0

    def config(self):
        return {"provider": "ExplodingField"}

    def exchange_field(self, spins):
        self.calls += 1
        return np.full(spins.shape, np.nan if self.calls >= 7 else 1.0)


def test_non_finite_fields_stop_the_run_naming_the_step(tmp_path):
    with pytest.raises(SimulationError, match="step 4 ") as info:
        run(random_spins(9, 0), ExplodingField(), SemiImplicitMidpoint(0.1, 0.1), 10, record_every=1,
            store=tmp_path / "run", progress=False)
    assert info.value.step == 4 and len(info.value.trajectory) == 4  # initial state + 3 good steps
    assert info.value.trajectory.step == 3  # the last good state is checkpointed


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_integrators_round_trip_through_their_config(cls):
    integrator = cls(0.05, 0.3, kT=0.2)
    again = integrator_from_config(integrator.config())
    assert type(again) is cls and again.config() == integrator.config()
