"""Exact-diagonalization exchange fields: derivatives, sum rules, band limits, ordered states."""

import warnings

import numpy as np
import pytest

import tracemalloc

from spinlab.electrons import Ensemble, FermiLevelDegeneracyWarning, SDModel, SpinFermionHamiltonian, field_locality
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import SquareLattice, Strip, TriangularLattice
from spinlab.spins import TEXTURES, ferromagnet, random_spins, tetrahedral, three_sublattice

FD_STEP = 1e-5
FD_TOLERANCE = 1e-6


def finite_difference_field(model, spins, sites):
    """-dE/dS_i^mu by central differences, for the given sites and all three components."""
    out = np.empty((len(sites), 3))
    for k, i in enumerate(sites):
        for mu in range(3):
            plus, minus = spins.copy(), spins.copy()
            plus[i, mu] += FD_STEP
            minus[i, mu] -= FD_STEP
            out[k, mu] = -(model.energy(plus) - model.energy(minus)) / (2 * FD_STEP)
    return out


@pytest.mark.parametrize("lattice, kwargs, make_spins", [
    (TriangularLattice(6), dict(J=3.0, filling=0.25, kT_el=0.05), lambda lat: random_spins(lat.n_sites, 11)),
    (TriangularLattice(6), dict(J=2.0, mu=-1.0, kT_el=0.1), lambda lat: random_spins(lat.n_sites, 12)),
    (SquareLattice(6), dict(J=6.0, n_electrons=35, kT_el=0.02, t3=0.3), lambda lat: random_spins(lat.n_sites, 13)),
    (Strip(6, 4), dict(J=3.8, mu=-3.28, kT_el=0.05), lambda lat: random_spins(lat.n_sites, 14)),
    # gapped T = 0 canonical: a tetrahedral state, slightly disordered
    (TriangularLattice(6), dict(J=3.0, filling=0.25),
     lambda lat: (lambda s: s / np.linalg.norm(s, axis=1, keepdims=True))(
         tetrahedral(lat) + 0.1 * random_spins(lat.n_sites, 15))),
])
def test_field_is_minus_the_finite_difference_gradient_of_the_energy(lattice, kwargs, make_spins):
    model = SDModel(lattice, **kwargs)
    spins = make_spins(lattice)
    if model.ensemble == "canonical":
        assert model.fermi_gap(spins) > 0.5  # the T = 0 derivative exists only with a gap
    sites = [0, 5, lattice.n_sites - 1]
    field = model.exchange_field(spins)[sites]
    np.testing.assert_allclose(field, finite_difference_field(model, spins, sites), atol=FD_TOLERANCE)


@pytest.mark.parametrize("kwargs", [dict(filling=0.25), dict(filling=0.25, kT_el=0.1), dict(n_electrons=29, kT_el=0.01)])
def test_densities_sum_to_the_electron_number(kwargs):
    lat = TriangularLattice(6)
    model = SDModel(lat, J=2.5, **kwargs)
    n, m = model.densities(random_spins(lat.n_sites, 3))
    assert n.sum() == pytest.approx(model.n_electrons, abs=1e-10)
    assert np.all(np.linalg.norm(m, axis=1) <= n + 1e-12)


def test_grand_canonical_density_is_the_derivative_of_the_grand_potential():
    lat = TriangularLattice(6)
    spins = random_spins(lat.n_sites, 4)
    mu, h = -0.7, 1e-5
    n = SDModel(lat, J=2.0, mu=mu, kT_el=0.1).densities(spins)[0].sum()
    omega = [SDModel(lat, J=2.0, mu=mu + d, kT_el=0.1).energy(spins) for d in (h, -h)]
    assert n == pytest.approx(-(omega[0] - omega[1]) / (2 * h), abs=1e-6)


def test_uniform_ferromagnet_has_the_analytic_bands():
    lat = TriangularLattice(6)
    J = 2.0
    model = SDModel(lat, J=J, filling=0.25, kT_el=0.01)
    k = lat.q_grid
    a1, a2 = lat.a1, lat.a2
    eps_k = -2 * (np.cos(k @ a1) + np.cos(k @ a2) + np.cos(k @ (a2 - a1)))
    expected = np.sort(np.concatenate([eps_k - J, eps_k + J]))
    np.testing.assert_allclose(model.spectrum(ferromagnet(lat)), expected, atol=1e-12)
    assert expected.min() == pytest.approx(-6 - J)


def test_fully_polarized_ferromagnet_field_equals_J_times_density():
    # square lattice, J = 3.8, n = 0.62: the lowest 0.62 N levels are all majority spin
    lat = SquareLattice(10)
    J = 3.8
    model = SDModel(lat, J=J, n_electrons=62, kT_el=0.02)
    state = model.solve(ferromagnet(lat))
    np.testing.assert_allclose(state.field[:, :2], 0.0, atol=1e-12)
    np.testing.assert_allclose(state.field[:, 2], J * state.density, atol=1e-9)
    assert state.density.mean() == pytest.approx(0.62)
    # the solved chemical potential fills the analytic majority band eps_k - J with 62 electrons
    k = lat.q_grid
    eps_k = -2 * (np.cos(k[:, 0]) + np.cos(k[:, 1])) - J
    assert np.sum(1 / (np.exp((eps_k - state.mu) / model.kT_el) + 1)) == pytest.approx(62, abs=1e-9)


def test_global_spin_rotation_rotates_fields_and_keeps_the_energy():
    lat = TriangularLattice(6)
    model = SDModel(lat, J=3.0, filling=0.25, kT_el=0.05)
    spins = random_spins(lat.n_sites, 21)
    q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((3, 3)))
    R = q * np.sign(np.linalg.det(q))  # proper rotation
    E0, H0 = model.energy_and_field(spins)
    E1, H1 = model.energy_and_field(spins @ R.T)
    assert E1 == pytest.approx(E0, abs=1e-10)
    np.testing.assert_allclose(H1, H0 @ R.T, atol=1e-10)


def test_time_reversal_leaves_the_energy_unchanged():
    lat = SquareLattice(4)
    model = SDModel(lat, J=6.0, n_electrons=15, kT_el=0.05)
    spins = random_spins(lat.n_sites, 5)
    assert model.energy(-spins) == pytest.approx(model.energy(spins), abs=1e-10)


def test_equilibrium_torques_sum_to_zero():
    lat = TriangularLattice(6)
    spins = random_spins(lat.n_sites, 8)
    field = SDModel(lat, J=3.0, filling=0.25, kT_el=0.05).exchange_field(spins)
    np.testing.assert_allclose(np.cross(spins, field, axis=1).sum(axis=0), 0.0, atol=1e-10)


@pytest.mark.parametrize("texture, J, filling, gap", [
    (three_sublattice, 4.0, 0.5, 4.000), (tetrahedral, 3.0, 0.25, 1.394), (tetrahedral, 4.0, 0.25, 6 - 2 * np.sqrt(5))])
def test_ordered_states_have_the_reference_fermi_gaps(texture, J, filling, gap):
    lat = TriangularLattice(12)
    model = SDModel(lat, J=J, filling=filling)
    spins = texture(lat)
    assert model.fermi_gap(spins) == pytest.approx(gap, abs=1e-3)
    # an ideal texture is a stationary point: no torque on any spin
    np.testing.assert_allclose(np.cross(spins, model.exchange_field(spins), axis=1), 0.0, atol=1e-10)


CANDIDATES = ["ferromagnet", "120-degree", "tetrahedral", "stripe", "up-up-up-down", "coplanar 2Q"]


@pytest.mark.parametrize("filling, J, winner", [
    (0.25, 3.0, "tetrahedral"), (0.25, 4.0, "tetrahedral"),
    (0.25, 6.0, "ferromagnet"), (0.25, 8.0, "ferromagnet"),
    (0.5, 4.0, "120-degree"), (0.5, 6.0, "120-degree"), (0.5, 8.0, "120-degree"),
    (0.75, 1.0, "ferromagnet"), (0.75, 4.0, "ferromagnet"), (0.75, 8.0, "ferromagnet"),
])
def test_ed_energies_of_ideal_states_reproduce_the_robust_variational_table(filling, J, winner):
    lat = TriangularLattice(12)
    model = SDModel(lat, J=J, filling=filling)
    energies = {name: model.energy(TEXTURES[name](lat)) / lat.n_sites for name in CANDIDATES}
    ranked = sorted(energies, key=energies.get)
    assert ranked[0] == winner, energies
    assert energies[ranked[1]] - energies[ranked[0]] > 1e-3  # a real margin, not a tie


@pytest.mark.parametrize("lattice", [TriangularLattice(6, 5), SquareLattice(5, 6), Strip(5, 6)])
def test_hamiltonian_agrees_with_an_independent_dense_construction(lattice):
    t1, t3, J = 1.0, 0.35, 2.7
    spins = random_spins(lattice.n_sites, 9)
    model = SDModel(lattice, J=J, t1=t1, t3=t3, filling=0.5, kT_el=0.1)
    # bonds found by brute force from positions and minimal images, not from the lattice's tables
    N = lattice.n_sites
    pauli = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])
    H = np.zeros((2 * N, 2 * N), complex)
    shifts = [np.array([m1 * lattice.L1, m2 * lattice.L2]) for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)
              if (m1 == 0 or lattice.periodic[0]) and (m2 == 0 or lattice.periodic[1])]
    for i in range(N):
        H[2 * i:2 * i + 2, 2 * i:2 * i + 2] = -J * np.einsum("a,abc->bc", spins[i], pauli)
        for j in range(N):
            for shift in shifts:
                d = np.linalg.norm(lattice.offset_vector(lattice.coords[j] + shift - lattice.coords[i]))
                for radius, t in ((1.0, t1), (2.0, t3)):
                    if abs(d - radius) < 1e-9 and (radius == 1.0 or _along_bond(lattice, i, j, shift)):
                        H[2 * i:2 * i + 2, 2 * j:2 * j + 2] += -t * np.eye(2)
    np.testing.assert_allclose(model.hamiltonian(spins), H, atol=1e-12)
    np.testing.assert_allclose(model.hamiltonian_.sparse(spins).toarray(), H, atol=1e-12)
    np.testing.assert_allclose(model.spectrum(spins), np.linalg.eigvalsh(H), atol=1e-10)
    assert np.max(np.abs(np.linalg.eigvalsh(H))) <= model.hamiltonian_.bound()


def test_building_the_100x100_double_exchange_model_takes_memory_linear_in_N():
    tracemalloc.start()
    try:
        model = SDModel.from_preset("double-exchange", 100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a dense 2N x 2N complex matrix would be 6.4 GB; the bond list is 320 kB
    assert peak < 20e6, peak
    H = model.hamiltonian_.sparse(random_spins(model.n_sites, 0))
    assert H.shape == (20000, 20000) and H.nnz == 4 * 20000 + 4 * 10000  # 4 hops per state, a 2x2 block per site


def _along_bond(lattice, i, j, shift):
    """Distance-2 neighbours count as third neighbours only along a bond direction."""
    d = lattice.offset_vector(lattice.coords[j] + shift - lattice.coords[i]) / 2
    return any(np.linalg.norm(d - lattice.offset_vector(o)) < 1e-9 for o in lattice.shell_offsets(1))


def test_degenerate_fermi_level_warns_and_suggests_a_temperature():
    lat = TriangularLattice(12)
    model = SDModel(lat, J=2.0, filling=0.25)  # quarter filling of the FM majority band: degenerate shell
    with pytest.warns(FermiLevelDegeneracyWarning, match="kT_el"):
        model.exchange_field(ferromagnet(lat))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SDModel(lat, J=2.0, filling=0.25, kT_el=0.01).exchange_field(ferromagnet(lat))


@pytest.mark.parametrize("kwargs, message", [
    (dict(J=1.0, filling=0.3), "not an integer"),
    (dict(J=1.0, n_electrons=0), "n_electrons must be"),
    (dict(J=1.0, n_electrons=72), "n_electrons must be"),
    (dict(J=1.0, filling=0.25, mu=0.0), "exactly one"),
    (dict(J=1.0), "exactly one"),
    (dict(J=1.0, filling=0.25, kT_el=-0.1), "kT_el"),
    (dict(J=np.nan, filling=0.25), "J must be finite"),
])
def test_bad_model_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SDModel(TriangularLattice(6), **kwargs)


@pytest.mark.parametrize("spins, message", [
    (np.zeros((36, 2)), "shape"),
    (np.zeros((35, 3)), "35 sites"),
    (np.full((36, 3), np.nan), "NaN"),
    (2 * ferromagnet(TriangularLattice(6)), "unit vectors"),
])
def test_bad_spins_are_refused(spins, message):
    model = SDModel(TriangularLattice(6), J=1.0, filling=0.25, kT_el=0.1)
    with pytest.raises(ValueError, match=message):
        model.exchange_field(spins)


def test_batches_of_configurations_match_single_evaluations():
    lat = TriangularLattice(6)
    model = SDModel(lat, J=3.0, filling=0.25, kT_el=0.05)
    batch = np.stack([random_spins(lat.n_sites, s) for s in range(3)])
    E, H = model.energy_and_field(batch)
    assert E.shape == (3,) and H.shape == (3, lat.n_sites, 3)
    np.testing.assert_allclose(H[1], model.exchange_field(batch[1]))
    np.testing.assert_allclose(model.energy(batch), E)


def test_presets_build_the_documented_models():
    model = SDModel.from_preset("double-exchange", 30)
    assert model.n_electrons == 873 and model.J == 6.0 and isinstance(model.lattice, SquareLattice)
    assert SDModel.from_preset("double-exchange", 24).n_electrons == 559  # 0.485 does not fit: nearest N_e
    assert SDModel.from_preset("120-degree", 12, kT_el=0.01).ensemble == "quasi-canonical"
    assert SDModel.from_preset("tetrahedral", 12, mu=-1.0).ensemble == "grand-canonical"
    with pytest.raises(ValueError, match="unknown preset"):
        SDModel.from_preset("skyrmion", 12)


@pytest.mark.parametrize("name, L", [("120-degree", 8), ("tetrahedral", 4), ("double-exchange", 7)])
def test_presets_refuse_lattices_their_order_does_not_fit(name, L):
    with pytest.raises(ValueError, match="multiple of"):
        SDModel.from_preset(name, L)


def test_ensembles_fill_levels_as_documented():
    eps = np.array([-2.0, -1.0, 0.5, 3.0])
    f, mu, gap, energy = Ensemble(n_electrons=2).occupations(eps)
    assert f.tolist() == [1, 1, 0, 0] and mu == -0.25 and gap == 1.5 and energy == -3.0
    f, mu, _, _ = Ensemble(n_electrons=2, kT=0.3).occupations(eps)
    assert f.sum() == pytest.approx(2, abs=1e-12) and -1.0 < mu < 0.5
    f, _, _, omega = Ensemble(mu=0.0).occupations(eps)
    assert f.tolist() == [1, 1, 0, 0] and omega == -3.0
    with pytest.raises(ValueError, match="exactly one"):
        Ensemble()


def test_field_locality_sees_exactly_the_range_of_a_short_range_model():
    lattice = TriangularLattice(8)
    spins = random_spins(lattice.n_sites, 5)
    nearest = HeisenbergModel(lattice, J1=1.0)
    assert field_locality(nearest, spins, 1.0, centres=(0, 9), samples=3, seed=0) < 1e-14
    assert field_locality(nearest, spins, 0.5, centres=(0, 9), samples=3, seed=0) > 0.3
    with pytest.raises(ValueError, match="farther"):
        field_locality(nearest, spins, 10.0)
    # far spins from given environments: the own configuration changes nothing, another one does
    other = random_spins(lattice.n_sites, 6)
    assert field_locality(nearest, spins, 0.5, centres=(0, 9), environments=[spins]) == 0.0
    assert field_locality(nearest, spins, 1.0, centres=(0, 9), environments=[other]) < 1e-14
    assert field_locality(nearest, spins, 0.5, centres=(0, 9), environments=[other]) > 0.3


def test_quarter_filled_fields_of_disordered_spins_reach_beyond_four_spacings():
    """Why the tetrahedral force field struggles on disordered states (and the 120-degree one does not)."""
    lattice = TriangularLattice(18)
    spins = random_spins(lattice.n_sites, 3)
    half = field_locality(SDModel.from_preset("120-degree", 18), spins, 4.0, samples=2, seed=1)
    quarter = field_locality(SDModel.from_preset("tetrahedral", 18), spins, 4.0, samples=2, seed=1)
    assert half < 0.01 and quarter > 0.2, (half, quarter)
