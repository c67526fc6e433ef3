"""Kernel polynomial method: exact gradients of the probed expansion, agreement with ED, colourings, bad input."""

import numpy as np
import pytest

from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.electrons import KPMModel, SDModel, probe_colouring
from spinlab.electrons.kpm import chebyshev_coefficients
from spinlab.lattice import SquareLattice, TriangularLattice
from spinlab.presets import PRESETS
from spinlab.spins import TEXTURES, random_spins
from spinlab.trajectory import run

TRIANGULAR = TriangularLattice(6)


def _tangent(spins, seed):
    v = np.random.default_rng(seed).standard_normal(spins.shape)
    v -= np.sum(v * spins, axis=1, keepdims=True) * spins
    return v / np.linalg.norm(v)


def test_field_is_the_gradient_taylor_remainder_is_second_order():
    """|Ω(S + h v) - Ω(S) + h H·v| ∝ h² over two decades of h."""
    kpm = KPMModel(TRIANGULAR, J=3.0, mu=-1.0, kT_el=0.1, moments=200, probe_distance=2.0)
    spins = random_spins(TRIANGULAR.n_sites, 1)
    v = _tangent(spins, 2)
    omega, field = kpm.energy_and_field(spins)
    steps = np.geomspace(1e-2, 1e-4, 5)
    remainders = []
    for h in steps:
        moved = spins + h * v
        moved /= np.linalg.norm(moved, axis=1, keepdims=True)  # the O(h²) normalization is part of the path
        remainders.append(abs(kpm.energy(moved) - omega + np.sum(field * (moved - spins))))
    slope = np.polyfit(np.log(steps), np.log(remainders), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.1), remainders


def test_field_equals_central_differences_of_the_probed_potential():
    kpm = KPMModel(TRIANGULAR, J=3.0, filling=0.25, kT_el=0.1, moments=200, probe_distance=2.0)
    spins = random_spins(TRIANGULAR.n_sites, 3)
    field = kpm.exchange_field(spins)
    h = 1e-5
    for i in (0, 17):
        for mu in range(3):
            plus, minus = spins.copy(), spins.copy()
            plus[i, mu] += h
            minus[i, mu] -= h
            derivative = -(kpm.energy(plus) - kpm.energy(minus)) / (2 * h)
            assert abs(field[i, mu] - derivative) < 1e-7 * np.abs(field).max()


def test_densities_sum_to_the_electron_count_of_the_same_moments():
    """N(μ) = -∂Ω/∂μ, and Σ n_i = ∂Ω/∂(uniform on-site shift): equal once the expansion has converged."""
    kpm = KPMModel(SquareLattice(8), J=6.0, mu=-3.0, kT_el=0.2, moments=1200, probe_distance=3.0)
    spins = random_spins(64, 4)
    n, _ = kpm.densities(spins)
    assert n.sum() == pytest.approx(kpm.electron_count(spins, -3.0), abs=1e-12)
    quasi = KPMModel(SquareLattice(8), J=6.0, n_electrons=62, kT_el=0.2, moments=1200, probe_distance=3.0)
    assert quasi.densities(spins)[0].sum() == pytest.approx(62, abs=1e-10)  # μ solved to round-off


def test_probed_diagonal_gives_the_site_densities_of_ed_at_every_mu():
    """One forward pass, several μ: the exact-trace diagonal is ED's n_i(μ); probed, it still sums to N(μ)."""
    lattice, spins, mus = SquareLattice(6), random_spins(36, 1), [-4.5, -3.0]
    exact = KPMModel(lattice, J=6.0, mu=-4.5, kT_el=0.05, probe_distance=None)
    for mu, n in zip(mus, exact.local_densities(spins, mus)):
        np.testing.assert_allclose(n, SDModel(lattice, J=6.0, mu=mu, kT_el=0.05).solve(spins).density, atol=1e-8)
    probed = KPMModel(SquareLattice(8), J=6.0, mu=-3.0, kT_el=0.2, moments=1200, probe_distance=3.0)
    spins = random_spins(64, 4)
    assert probed.local_densities(spins, -3.0)[0].sum() == pytest.approx(probed.electron_count(spins, -3.0),
                                                                        abs=1e-10)
    exact = SDModel(SquareLattice(8), J=6.0, mu=-3.0, kT_el=0.2).solve(spins).density
    np.testing.assert_allclose(probed.local_densities(spins, -3.0)[0], exact, atol=3e-3)  # the probing error


@pytest.mark.parametrize("kwargs", [dict(mu=-1.0), dict(filling=0.25)])
def test_exact_trace_kpm_converges_to_ed_as_moments_grow(kwargs):
    spins = random_spins(TRIANGULAR.n_sites, 5)
    ed = SDModel(TRIANGULAR, J=3.0, kT_el=0.1, **kwargs).solve(spins)
    errors = []
    for moments in (100, 200, 400):
        state = KPMModel(TRIANGULAR, J=3.0, kT_el=0.1, moments=moments, probe_distance=None, **kwargs).solve(spins)
        errors.append(np.abs(state.field - ed.field).max())
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-5, errors
    state = KPMModel(TRIANGULAR, J=3.0, kT_el=0.1, moments=600, probe_distance=None, **kwargs).solve(spins)
    np.testing.assert_allclose(state.field, ed.field, atol=1e-6)
    np.testing.assert_allclose(state.density, ed.density, atol=1e-6)
    assert state.energy == pytest.approx(ed.energy, abs=1e-6) and state.mu == pytest.approx(ed.mu, abs=1e-6)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_ideal_orders_of_the_presets_match_ed(name):
    preset = PRESETS[name]
    L = 6
    spins = TEXTURES[preset.texture](preset.lattice(L))
    ed = SDModel.from_preset(name, L, kT_el=0.05).solve(spins)
    kpm = KPMModel.from_preset(name, L, kT_el=0.05, moments=1600, probe_distance=None).solve(spins)
    np.testing.assert_allclose(np.sum(kpm.field * spins, axis=1), np.sum(ed.field * spins, axis=1), atol=1e-6)
    np.testing.assert_allclose(kpm.density, ed.density, atol=1e-6)
    assert np.abs(np.cross(spins, kpm.field)).max() < 1e-8


def test_damped_kpm_dynamics_never_raises_the_free_energy():
    kpm = KPMModel(TRIANGULAR, J=3.0, filling=0.25, kT_el=0.1, moments=150, probe_distance=2.0)
    trajectory = run(random_spins(TRIANGULAR.n_sites, 6), kpm, SemiImplicitMidpoint(0.05, 1.0), 20,
                     record_every=2, progress=False)
    assert np.all(np.diff(trajectory.energies) < 1e-10), np.diff(trajectory.energies)


@pytest.mark.parametrize("lattice, distance", [(SquareLattice(12), 3.0), (TriangularLattice(12), 2.5),
                                               (SquareLattice(9, 7), 2.0)])
def test_same_colour_sites_are_farther_apart_than_the_probe_distance(lattice, distance):
    colours = probe_colouring(lattice, distance)
    for c in np.unique(colours):
        sites = np.flatnonzero(colours == c)
        d = np.linalg.norm(lattice.displacement(sites[:, None], sites[None, :]), axis=-1)
        d[np.arange(len(sites)), np.arange(len(sites))] = np.inf
        assert d.min() > distance
    assert colours.max() + 1 < lattice.n_sites / 2  # far fewer probes than the exact trace


def test_random_phase_probes_give_an_unbiased_trace_on_average():
    spins = random_spins(TRIANGULAR.n_sites, 7)
    exact = KPMModel(TRIANGULAR, J=3.0, mu=-1.0, kT_el=0.1, moments=200, probe_distance=None).energy(spins)
    estimates = [KPMModel(TRIANGULAR, J=3.0, mu=-1.0, kT_el=0.1, moments=200, probes="random", n_random=8,
                          seed=s).energy(spins) for s in range(6)]
    spread = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - exact) < 4 * spread + 1e-9 and spread > 0


def test_chebyshev_coefficients_reproduce_a_smooth_function():
    x = np.linspace(-1, 1, 101)
    c = chebyshev_coefficients(np.exp, 20)
    assert np.abs(np.polynomial.chebyshev.chebval(x, c) - np.exp(x)).max() < 1e-14


@pytest.mark.parametrize("kwargs, message", [
    (dict(moments=1), "moments"), (dict(moments=np.inf), "moments"), (dict(moments=10**9), "moments"),
    (dict(kT_el=0.0), "kT_el > 0"), (dict(probe_distance=50.0), "reaches across"),
    (dict(probe_distance=0.5), "probe_distance"), (dict(mu=40.0), "outside the spectrum"),
    (dict(probes="sobol"), "probes"), (dict(probe_distance="far"), "'auto'"),
])
def test_bad_kpm_parameters_are_refused(kwargs, message):
    params = dict(J=3.0, mu=-1.0, kT_el=0.1, moments=100, probe_distance=2.0)
    params.update(kwargs)
    with pytest.raises(ValueError, match=message):
        KPMModel(TRIANGULAR, **params)


def test_default_probe_distance_falls_back_to_the_exact_trace_on_small_lattices():
    from spinlab.electrons.kpm import DEFAULT_PROBE_DISTANCE

    small = KPMModel(TRIANGULAR, J=3.0, mu=-1.0, kT_el=0.1, moments=50)
    assert small.probe_distance is None and small.n_probes_ == 2 * TRIANGULAR.n_sites
    large = KPMModel(TriangularLattice(24), J=3.0, mu=-1.0, kT_el=0.1, moments=50)
    assert large.probe_distance == DEFAULT_PROBE_DISTANCE
    assert np.all(large.colours_ == probe_colouring(TriangularLattice(24), DEFAULT_PROBE_DISTANCE))
