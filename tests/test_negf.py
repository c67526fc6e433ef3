"""NEGF steady state of a driven strip: exact energy integrals, currents, continuity, the Néel bulk,
no hidden broadening, fast path against the closed form, and the nonconservative field."""

import numpy as np
import pytest
from scipy.integrate import quad, quad_vec

from spinlab.electrons import BoundStateError, NEGFModel
from spinlab.electrons.negf import equilibrium_contour, fermi_pole_integral, wide_band_density_matrix
from spinlab.lattice import Strip
from spinlab.spins import ferromagnet, neel, random_spins, transverse
from spinlab.torques import loop_work, time_reversal_even_part

BIAS = dict(mu_left=-3.6, mu_right=-3.28)


def perturbed(spins, amplitude, seed):
    s = spins + amplitude * np.random.default_rng(seed).standard_normal(spins.shape)
    return s / np.linalg.norm(s, axis=1, keepdims=True)


def neel_fm(lattice):
    """Néel on the left half, FM (+z) on the right half: the FM metal touches the right lead."""
    s = neel(lattice)
    s[lattice.coords[:, 0] >= lattice.Lx // 2] = [0.0, 0.0, 1.0]
    return s


STATES = {"neel": neel, "fm": ferromagnet, "mixed": neel_fm}


def fermi(eps, mu, kT):
    return (eps <= mu).astype(float) if kT == 0 else 0.5 * (1 - np.tanh((eps - mu) / (2 * kT)))


@pytest.mark.parametrize("kT", [0.0, 0.01, 0.3])
def test_closed_form_energy_integral_matches_adaptive_quadrature(kT):
    rng = np.random.default_rng(0)
    poles = [(-0.3 - 0.2j, 0.1 + 0.4j), (0.5 - 0.05j, 0.52 + 0.05j), (-1.0 - 1.0j, 2.0 + 0.3j)]
    poles.append((complex(rng.normal(), -rng.uniform(0.1, 1)), complex(rng.normal(), rng.uniform(0.1, 1))))
    mu = 0.2
    for a, b in poles:
        def integrand(e):
            return fermi(np.array(e), mu, kT) / ((e - a) * (e - b)) / (2 * np.pi)
        points = [mu] if kT == 0 else [mu - 5 * kT, mu, mu + 5 * kT]
        re = quad(lambda e: integrand(e).real, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-11, limit=400)[0]
        im = quad(lambda e: integrand(e).imag, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-11, limit=400)[0]
        lo = quad(lambda e: integrand(e).real, -60, 60, points=points, epsabs=1e-13, limit=400)[0]
        assert abs(lo - re) < 1e-2  # the infinite-range quadrature saw the Fermi edge
        exact = complex(fermi_pole_integral(a, b, mu, kT))
        assert exact == pytest.approx(complex(re, im), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("kT", [0.0, 0.01])
def test_zero_bias_closed_form_equals_the_contour_integral_of_the_retarded_function(kT):
    lat = Strip(8, 4)
    spins = random_spins(lat.n_sites, 1)
    common = dict(mu_left=-1.0, mu_right=-1.0, kT_el=kT)
    exact = NEGFModel(lat, method="closed-form", **common).solve(spins).blocks
    contour = NEGFModel(lat, points_per_panel=10, **common).solve(spins)
    assert contour.energy_points > 0
    np.testing.assert_allclose(contour.blocks, exact, atol=1e-8)


def test_contour_nodes_integrate_a_resonance_at_the_fermi_level():
    mu, kT, lam = 0.3, 0.02, 0.29 - 0.01j
    z, w = equilibrium_contour(mu, kT, 8)
    assert np.all(z.imag > 0)

    def g(e):
        return 1 / (e - lam) - 1 / (e + 2j)  # analytic above the real axis, O(e^-2)
    expected = sum(quad(lambda e, part=part: part(fermi(np.array(e), mu, kT) * g(e)), -np.inf, np.inf,
                        points=None, epsabs=1e-12, limit=500)[0] * unit
                   for part, unit in ((np.real, 1), (np.imag, 1j)))
    near = sum(quad(lambda e, part=part: part(fermi(np.array(e), mu, kT) * g(e)), -1, 1, points=[mu, lam.real],
                    epsabs=1e-13, limit=500)[0] * unit for part, unit in ((np.real, 1), (np.imag, 1j)))
    far = sum(quad(lambda e, part=part: part(g(e)), -np.inf, -1, epsabs=1e-13)[0] * unit
              for part, unit in ((np.real, 1), (np.imag, 1j)))
    assert abs(expected - (near + far)) < 1e-6  # two quadratures agree: the reference is sound
    assert abs(w @ g(z) - (near + far)) < 1e-7


def landauer_current(model, spins):
    """int (f_L - f_R) Tr[Gamma_L G^r Gamma_R G^a] de / 2pi by adaptive quadrature with dense G."""
    h = model.effective_hamiltonian(spins)
    left, right = model.lead_indices("left"), model.lead_indices("right")
    eye = np.eye(len(h))

    def transmission(e):
        G = np.linalg.inv(e * eye - h)
        GR = G[:, right]
        return model.Gamma**2 * np.sum(np.abs(GR[left]) ** 2)

    T = model.kT_el
    lo, hi = sorted((model.mu_left, model.mu_right))
    weight = lambda e: fermi(np.array(e), model.mu_left, T) - fermi(np.array(e), model.mu_right, T)  # noqa: E731
    value = quad_vec(lambda e: weight(e) * transmission(e), lo - 40 * T, hi + 40 * T, epsabs=1e-12,
                     epsrel=1e-10, points=[lo, hi], limit=2000)[0]
    return float(value) / (2 * np.pi)


def test_lead_currents_sum_to_zero_and_equal_the_landauer_current():
    lat = Strip(8, 4)
    spins = perturbed(ferromagnet(lat), 0.3, 2)  # metallic: a real current
    model = NEGFModel(lat, mu_left=-3.6, mu_right=-3.0, kT_el=0.05, method="closed-form")
    currents = model.lead_currents(spins)
    assert abs(currents["right"]) > 1e-2
    assert abs(currents["left"] + currents["right"]) < 1e-8
    assert currents["right"] == pytest.approx(landauer_current(model, spins), abs=1e-8)


@pytest.mark.parametrize("state", ["neel", "metal"])
def test_current_from_the_bias_window_keeps_its_relative_accuracy_in_a_gapped_strip(state):
    lat = Strip(12, 6)
    spins = perturbed(neel(lat) if state == "neel" else ferromagnet(lat), 0.1, 3)
    leads = dict(mu_left=-3.6, mu_right=-3.28, kT_el=0.01)
    exact = NEGFModel(lat, method="closed-form", **leads).lead_currents(spins)["right"]
    assert exact < 0 and (abs(exact) < 1e-6 if state == "neel" else abs(exact) > 1e-3)  # tunnelling vs metal
    assert NEGFModel(lat, **leads).current(spins) == pytest.approx(exact, rel=0.02)


def test_fast_path_lead_currents_equal_the_closed_form():
    lat = Strip(8, 4)
    spins = perturbed(ferromagnet(lat), 0.3, 2)
    leads = dict(mu_left=-3.6, mu_right=-3.0, kT_el=0.05)
    exact = NEGFModel(lat, method="closed-form", **leads).lead_currents(spins)
    fast = NEGFModel(lat, points_per_panel=8, window_tol=1e-7, **leads).lead_currents(spins)
    for lead in ("left", "right"):
        assert fast[lead] == pytest.approx(exact[lead], abs=1e-7)


def bond_currents(rho, bonds, i):
    """Particle and spin currents I_{i->j} = 2t Im Tr(rho_ji), 2t Im Tr(sigma rho_ji), summed over i's bonds."""
    sigma = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])
    charge, spin = 0.0, np.zeros(3)
    for a, b in bonds:
        if i not in (a, b):
            continue
        j = b if a == i else a
        block = rho[2 * j:2 * j + 2, 2 * i:2 * i + 2]
        charge += 2 * np.trace(block).imag
        spin += 2 * np.einsum("kab,ba->k", sigma, block).imag
    return charge, spin


def test_charge_and_spin_continuity_hold_at_every_interior_site():
    lat = Strip(8, 4)
    spins = perturbed(neel_fm(lat), 0.4, 3)
    model = NEGFModel(lat, kT_el=0.02, **BIAS)
    rho = NEGFModel(lat, kT_el=0.02, method="closed-form", **BIAS).density_matrix(spins)
    fast_field = model.exchange_field(spins)
    bonds = model.hamiltonian_.bonds
    interior = np.flatnonzero((lat.coords[:, 0] > 0) & (lat.coords[:, 0] < lat.Lx - 1))
    torques = []
    for i in interior:
        charge, spin_divergence = bond_currents(rho, bonds, i)
        assert abs(charge) < 1e-9
        np.testing.assert_allclose(spin_divergence, 2 * np.cross(fast_field[i], spins[i]), atol=1e-6)
        torques.append(np.linalg.norm(spin_divergence))
    assert max(torques) > 1e-2  # the check is not trivially 0 = 0


def test_neel_bulk_is_half_filled_with_the_infinite_lattice_neel_field():
    lat = Strip(16, 8)
    spins = neel(lat)
    state = NEGFModel(lat, **BIAS).solve(spins)
    x = lat.coords[:, 0]
    bulk = (x >= 6) & (x <= 9)
    k = 2 * np.pi * np.arange(400) / 400
    eps = -2 * (np.cos(k)[:, None] + np.cos(k)[None, :])
    J = 3.8
    field_dot_spin = J * np.mean(J / np.sqrt(J**2 + eps**2))  # physics reference section 11, check 4
    np.testing.assert_allclose(state.density[bulk], 1.0, atol=1e-4)
    np.testing.assert_allclose(np.sum(state.field * spins, axis=1)[bulk], field_dot_spin, atol=2e-3)


def test_no_hidden_broadening_drains_the_neel_bulk_of_a_neel_fm_strip():
    lat = Strip(32, 4)
    spins = neel_fm(lat)
    model = NEGFModel(lat, **BIAS)
    x = lat.coords[:, 0]
    bulk = (x >= 7) & (x <= 10)  # at least 6 columns from the left lead and from the FM metal
    density = model.solve(spins).density
    np.testing.assert_allclose(density[bulk], 1.0, atol=1e-5)
    # the same integral with a non-injecting eta drains the weakly coupled Néel states (physics.md 4.4)
    h = model.effective_hamiltonian(spins)
    drained = wide_band_density_matrix(h - 0.002j * np.eye(len(h)), model._leads(), model.kT_el)
    assert np.min(np.trace(drained, axis1=1, axis2=2).real[bulk]) < 0.9


@pytest.mark.parametrize("kT", [0.01, 0.0])
@pytest.mark.parametrize("state", sorted(STATES))
def test_fast_path_equals_closed_form(state, kT):
    lat = Strip(12, 6)
    spins = perturbed(STATES[state](lat), 0.1, 4)
    fast = NEGFModel(lat, kT_el=kT, **BIAS).exchange_field(spins)
    exact = NEGFModel(lat, kT_el=kT, method="closed-form", **BIAS).exchange_field(spins)
    np.testing.assert_allclose(transverse(spins, fast), transverse(spins, exact), atol=1e-6)
    np.testing.assert_allclose(fast, exact, atol=1e-5)


def test_bound_states_are_refused_with_a_clear_error():
    h = np.diag([0.0, 1.0, -1.0]).astype(complex)
    h[0, 0] -= 0.5j  # only level 0 touches the lead; levels 1 and 2 are bound
    with pytest.raises(BoundStateError, match="2 eigenvalue"):
        wide_band_density_matrix(h, [([0], 1.0, 0.0)], 0.01)


def test_even_part_of_the_transverse_field_vanishes_only_at_zero_bias():
    lat = Strip(8, 4)
    spins = random_spins(lat.n_sites, 5)
    zero = NEGFModel(lat, mu_left=-1.0, mu_right=-1.0, method="closed-form")
    biased = NEGFModel(lat, mu_left=-1.5, mu_right=-0.5, method="closed-form")
    assert np.abs(time_reversal_even_part(zero, spins)).max() < 1e-12
    assert np.abs(time_reversal_even_part(biased, spins)).max() > 1e-6


def test_loop_work_on_a_metallic_bridge_is_large_only_under_bias():
    lat = Strip(8, 4)
    spins = perturbed(ferromagnet(lat), 0.2, 6)  # FM metal bridging both leads
    site = int(lat.site_index(4, 1))
    zero = NEGFModel(lat, mu_left=-3.28, mu_right=-3.28, method="closed-form")
    biased = NEGFModel(lat, mu_left=-3.6, mu_right=-3.28, method="closed-form")
    w_zero, w_bias = abs(loop_work(zero, spins, site)), abs(loop_work(biased, spins, site))
    assert w_bias > 1e-6
    assert w_bias > 1e3 * w_zero


def test_the_model_refuses_what_it_cannot_compute():
    from spinlab.lattice import SquareLattice
    with pytest.raises(TypeError, match="Strip"):
        NEGFModel(SquareLattice(4))
    with pytest.raises(ValueError, match="method"):
        NEGFModel(Strip(4, 4), method="kwant")
    with pytest.raises(TypeError, match="nonconservative"):
        NEGFModel(Strip(4, 4)).energy(random_spins(16, 0))
