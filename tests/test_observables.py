"""Observables against the exact values of ideal states, sum rules and a brute-force Fourier sum."""

import numpy as np
import pytest

from spinlab.lattice import SquareLattice, Strip, TriangularLattice
from spinlab.observables import (TETRAHEDRAL_CHIRALITY, cluster_sizes, label_clusters, local_correlation,
                                 magnetization, nearest_neighbor_correlation, peak_weights, q_magnitudes, radial_average,
                                 scalar_chirality, staggered_magnetization, standard_observables,
                                 structure_factor, structure_factor_at)
from spinlab.spins import ferromagnet, neel, random_spins, tetrahedral, three_sublattice


def test_structure_factor_equals_the_direct_fourier_sum_and_obeys_the_sum_rule():
    lat = TriangularLattice(6, 12)
    spins = random_spins(lat.n_sites, 1)
    phases = np.exp(-1j * lat.q_grid @ lat.positions.T)
    direct = np.sum(np.abs(phases @ spins) ** 2, axis=1) / lat.n_sites**2
    np.testing.assert_allclose(structure_factor(lat, spins), direct, atol=1e-14)
    assert structure_factor(lat, spins).sum() == pytest.approx(1.0)


def test_ideal_orders_have_their_bragg_peaks():
    lat = TriangularLattice(12)
    p120 = structure_factor_at(lat, three_sublattice(lat))
    assert p120["K"] == pytest.approx(0.5) and p120["K'"] == pytest.approx(0.5)
    tetra = structure_factor_at(lat, tetrahedral(lat))
    for m in ("M1", "M2", "M3"):
        assert tetra[m] == pytest.approx(1 / 3)
    assert structure_factor_at(lat, ferromagnet(lat))["Γ"] == pytest.approx(1.0)


def test_scalar_chirality_of_ideal_states():
    lat = TriangularLattice(6)
    np.testing.assert_allclose(scalar_chirality(lat, tetrahedral(lat)), TETRAHEDRAL_CHIRALITY)
    np.testing.assert_allclose(scalar_chirality(lat, three_sublattice(lat)), 0.0, atol=1e-15)
    # mirror image: the opposite Z2 chirality
    mirrored = tetrahedral(lat) * np.array([1, 1, -1])
    np.testing.assert_allclose(scalar_chirality(lat, mirrored), -TETRAHEDRAL_CHIRALITY)


def test_correlations_and_magnetizations_of_simple_states():
    tri, sq = TriangularLattice(6), SquareLattice(6)
    assert nearest_neighbor_correlation(tri, three_sublattice(tri)) == pytest.approx(-0.5)
    assert nearest_neighbor_correlation(sq, neel(sq)) == pytest.approx(-1.0)
    assert staggered_magnetization(sq, neel(sq)) == pytest.approx(1.0)
    assert staggered_magnetization(sq, ferromagnet(sq)) == pytest.approx(0.0)
    np.testing.assert_allclose(magnetization(ferromagnet(tri, (1, 0, 0))), [1, 0, 0])
    with pytest.raises(ValueError, match="square"):
        staggered_magnetization(tri, ferromagnet(tri))


def test_local_correlation_averages_over_existing_neighbours_on_the_strip():
    strip = Strip(6, 4)
    c = local_correlation(strip, ferromagnet(strip))
    np.testing.assert_allclose(c, 1.0)  # edge sites have 3 neighbours, still an average
    spins = neel(SquareLattice(6, 4))
    np.testing.assert_allclose(local_correlation(strip, spins), -1.0)


def test_clusters_are_connected_components_of_the_mask():
    lat = SquareLattice(6)
    mask = np.zeros(lat.n_sites, bool)
    mask[[lat.site_index(0, 0), lat.site_index(1, 0), lat.site_index(5, 0)]] = True  # wraps: one cluster
    mask[[lat.site_index(3, 3), lat.site_index(3, 4)]] = True
    mask[lat.site_index(1, 3)] = True
    labels, n = label_clusters(lat, mask)
    assert n == 3
    np.testing.assert_array_equal(cluster_sizes(labels), [3, 2, 1])
    assert np.all(labels[~mask] == -1)


def test_standard_observables_match_the_lattice():
    tri = standard_observables(TriangularLattice(6))
    assert {"S(K)", "S(M1)", "chirality", "nn_correlation"} <= set(tri)
    sq = standard_observables(SquareLattice(6))
    assert "staggered" in sq and sq["S(M)"](neel(SquareLattice(6))) == pytest.approx(1.0)


def test_radial_average_over_shells_of_q():
    lat = TriangularLattice(12)
    q = q_magnitudes(lat)
    centres, mean = radial_average(lat, np.stack([q, np.ones(lat.n_sites), q**2]))
    np.testing.assert_allclose(mean[0], centres)  # the mean |q| is returned as the shell position
    np.testing.assert_allclose(mean[1], 1.0)
    assert np.all(np.diff(centres) > 0) and centres[0] > 0  # q = 0 excluded, shells ordered
    # explicit edges: the shell means are plain averages over the grid points inside
    edges = np.array([0.5, 1.5, 2.0, 10.0])
    centres, mean = radial_average(lat, q**2, edges)
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        inside = (q >= lo) & (q < hi)
        assert mean[k] == pytest.approx(np.mean(q[inside] ** 2))
    with pytest.raises(ValueError):
        radial_average(lat, np.ones(10))


def test_peak_weights_keep_the_bragg_weight_of_domains():
    lat = TriangularLattice(24)
    ideal = peak_weights(lat, three_sublattice(lat), ("K", "K'", "M1"), radius=0.3)
    assert ideal["K"] == pytest.approx(0.5) and ideal["K'"] == pytest.approx(0.5) and ideal["M1"] < 1e-12
    # two 120-degree domains rotated against each other: S(K) drops, the weight near K does not vanish
    spins = three_sublattice(lat)
    half = lat.positions[:, 0] < lat.positions[:, 0].mean()
    spins[half] = spins[half][:, [1, 0, 2]] * np.array([1.0, -1.0, 1.0])
    broken = structure_factor_at(lat, spins, ("K",))["K"]
    spread = peak_weights(lat, spins, ("K", "K'"), radius=1.0)
    assert broken < 0.4 and spread["K"] + spread["K'"] > 0.9, (broken, spread)
    assert peak_weights(lat, random_spins(lat.n_sites, 0), ("Γ",), radius=10.0)["Γ"] == pytest.approx(1.0)  # sum rule
