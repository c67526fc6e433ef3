"""Observables against the exact values of ideal states, sum rules and a brute-force Fourier sum."""

import numpy as np
import pytest

from spinlab.lattice import SquareLattice, Strip, TriangularLattice
from spinlab.observables import (TETRAHEDRAL_CHIRALITY, cluster_sizes, label_clusters, local_correlation,
                                 magnetization, nearest_neighbor_correlation, scalar_chirality,
                                 staggered_magnetization, standard_observables, structure_factor,
                                 structure_factor_at)
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
