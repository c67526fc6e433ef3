"""Geometry of the lattices: counts, shells, triangles, reciprocal space, point groups."""

import numpy as np
import pytest

from spinlab.lattice import SquareLattice, Strip, TriangularLattice, point_group_matrices


def test_site_order_is_n1_fastest_and_positions_follow_primitive_vectors():
    lat = TriangularLattice(6, 12)
    i = 4 + 6 * 7
    assert tuple(lat.coords[i]) == (4, 7)
    np.testing.assert_allclose(lat.positions[i], 4 * lat.a1 + 7 * lat.a2)
    assert lat.positions.shape == (72, 2)


@pytest.mark.parametrize("lattice, shells", [
    (TriangularLattice(12), [(1.0, 6), (np.sqrt(3), 6), (2.0, 6), (np.sqrt(7), 12)]),
    (SquareLattice(12), [(1.0, 4), (np.sqrt(2), 4), (2.0, 4), (np.sqrt(5), 8)]),
])
def test_neighbour_shells_have_the_textbook_radii_and_coordination(lattice, shells):
    for k, (radius, z) in enumerate(shells, start=1):
        assert lattice.shell_distances[k - 1] == pytest.approx(radius)
        table = lattice.neighbors(k)
        assert table.shape == (lattice.n_sites, z)
        # every neighbour really is at that minimal-image distance
        d = np.linalg.norm(lattice.displacement(np.arange(lattice.n_sites)[:, None], table), axis=-1)
        np.testing.assert_allclose(d, radius)
        assert len(lattice.bonds(k)) == lattice.n_sites * z // 2


def test_bonds_are_each_counted_once():
    lat = TriangularLattice(6)
    b = lat.bonds(1)
    keys = {tuple(sorted(p)) for p in b}
    assert len(keys) == len(b) == 3 * lat.n_sites


def test_third_neighbours_lie_at_distance_two_along_bond_directions():
    lat = TriangularLattice(12)
    i, j = lat.third_neighbor_bonds().T
    d = lat.displacement(i, j)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 2.0)
    angles = np.mod(np.degrees(np.arctan2(d[:, 1], d[:, 0])), 60.0)
    np.testing.assert_allclose(np.minimum(angles, 60 - angles), 0.0, atol=1e-9)


def test_strip_is_open_along_x_and_periodic_along_y():
    strip = Strip(8, 6)
    nn = strip.neighbors(1)
    assert np.sum(nn < 0) == 2 * strip.Ly  # missing neighbours on the two edge columns
    assert len(strip.bonds(1)) == (strip.Lx - 1) * strip.Ly + strip.Lx * strip.Ly
    left_edge = strip.site_index(0, 3)
    assert strip.site_index(-1, 3) == -1 and strip.site_index(0, -1) == strip.site_index(0, 5)
    assert (nn[left_edge] == -1).sum() == 1
    with pytest.raises(ValueError, match="q-grid"):
        strip.q_grid


def test_triangles_are_counter_clockwise_unit_triangles():
    lat = TriangularLattice(6)
    tri = lat.triangles()
    assert tri.shape == (2 * lat.n_sites, 3)
    u = lat.displacement(tri[:, 0], tri[:, 1])
    v = lat.displacement(tri[:, 0], tri[:, 2])
    area = 0.5 * (u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
    np.testing.assert_allclose(area, np.sqrt(3) / 4)  # positive: counter-clockwise
    # every nearest-neighbour bond is an edge of exactly two triangles
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert len(counts) == 3 * lat.n_sites and np.all(counts == 2)


@pytest.mark.parametrize("lattice", [TriangularLattice(6), SquareLattice(4)])
def test_reciprocal_vectors_are_dual_to_primitive_vectors(lattice):
    b1, b2 = lattice.reciprocal_vectors
    A = np.stack([lattice.a1, lattice.a2])
    np.testing.assert_allclose(np.stack([b1, b2]) @ A.T, 2 * np.pi * np.eye(2), atol=1e-12)


def test_q_grid_is_complete_and_plane_waves_are_orthogonal():
    lat = TriangularLattice(6)
    phase = np.exp(1j * lat.q_grid @ lat.positions.T)
    np.testing.assert_allclose(phase @ phase.conj().T, lat.n_sites * np.eye(lat.n_sites), atol=1e-9)


def test_high_symmetry_points_of_the_triangular_lattice():
    lat = TriangularLattice(12)
    hs = lat.high_symmetry_points
    np.testing.assert_allclose(hs["K"], [2 * np.pi / 3, 2 * np.pi / np.sqrt(3)])
    assert np.linalg.norm(hs["K"]) == pytest.approx(4 * np.pi / 3)
    for m in ("M1", "M2", "M3"):
        assert np.linalg.norm(hs[m]) == pytest.approx(2 * np.pi / np.sqrt(3))
    idx = {name: lat.q_index(q) for name, q in hs.items()}
    assert len(set(idx.values())) == 6 and idx["Γ"] == 0
    # K and K' differ, but 2K equals K' modulo a reciprocal vector
    assert lat.q_index(2 * hs["K"]) == idx["K'"]
    with pytest.raises(ValueError, match="not on the q-grid"):
        TriangularLattice(8).q_index(hs["K"])


def test_high_symmetry_points_of_the_square_lattice():
    lat = SquareLattice(4)
    hs = lat.high_symmetry_points
    assert lat.q_index(hs["M"]) == lat.site_index(2, 2)
    assert lat.q_index(hs["X"]) == lat.site_index(2, 0)


@pytest.mark.parametrize("order", [4, 6])
def test_point_group_is_closed_and_orthogonal(order):
    G = point_group_matrices(order)
    assert len(G) == 2 * order
    np.testing.assert_allclose(G @ G.transpose(0, 2, 1), np.broadcast_to(np.eye(2), G.shape), atol=1e-12)
    products = np.einsum("gab,hbc->ghac", G, G).reshape(-1, 4)
    flat = G.reshape(-1, 4)
    assert np.all(np.min(np.linalg.norm(products[:, None] - flat[None], axis=-1), axis=1) < 1e-12)


@pytest.mark.parametrize("lattice, radius, size", [
    (TriangularLattice(12), 2.0, 19), (SquareLattice(12), 2.3, 21), (SquareLattice(12), np.sqrt(26), 89)])
def test_stencil_permutations_represent_the_point_group(lattice, radius, size):
    st = lattice.stencil(radius)
    assert st.size == size and tuple(st.offsets[0]) == (0, 0)
    for g, perm in enumerate(st.permutations):
        assert sorted(perm) == list(range(size))
        np.testing.assert_allclose(st.vectors[perm], st.vectors @ st.group[g].T, atol=1e-12)
    # homomorphism: perm(g h) = perm(g) o perm(h)
    G = st.group
    for g in range(len(G)):
        for h in range(len(G)):
            gh = np.argmin(np.linalg.norm((G[g] @ G[h] - G).reshape(len(G), -1), axis=1))
            np.testing.assert_array_equal(st.permutations[g][st.permutations[h]], st.permutations[gh])


def test_neighbourhood_table_on_the_strip_marks_missing_sites():
    st, table = Strip(12, 8).neighborhood(2.0)
    assert table.shape == (96, st.size)
    assert np.all(table[:, 0] == np.arange(96))
    assert np.sum(table[0] < 0) > 0 and np.all(table[5] >= 0)


@pytest.mark.parametrize("make, L, radius", [(TriangularLattice, 4, 2.0), (SquareLattice, 6, 3.0), (SquareLattice, 2, 1.0)])
def test_neighbourhoods_that_wrap_onto_themselves_are_refused(make, L, radius):
    with pytest.raises(ValueError, match="wraps onto itself"):
        make(L).stencil(radius)


def test_lattice_operations_as_site_permutations():
    lat = TriangularLattice(6)
    G = point_group_matrices(6)
    for g in range(12):
        p = lat.transform_sites(g, centre=7)
        assert sorted(p) == list(range(lat.n_sites)) and p[7] == 7
        d_before = lat.displacement(7, np.arange(lat.n_sites))
        d_after = lat.displacement(7, p)
        near = np.linalg.norm(d_before, axis=1) < 2.5  # far sites may wrap around the torus
        np.testing.assert_allclose(d_after[near], d_before[near] @ G[g].T, atol=1e-12)


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="positive integer"):
        SquareLattice(bad)


def test_displacement_is_the_shortest_periodic_image_on_the_sheared_torus():
    lat = TriangularLattice(18)
    i, j = 0, lat.site_index(8, 8)
    brute = min(np.linalg.norm(lat.offset_vector([8 + m1 * 18, 8 + m2 * 18]))
                for m1 in (-1, 0, 1) for m2 in (-1, 0, 1))
    assert np.linalg.norm(lat.displacement(i, j)) == pytest.approx(brute)
    assert brute == pytest.approx(np.sqrt(84))  # (8, 8) -> (-10, 8): |(-6, 4√3)|, not |(12, 4√3)|
    d = lat.displacement(np.arange(lat.n_sites)[:, None], np.arange(lat.n_sites)[None, :])
    assert d.shape == (lat.n_sites, lat.n_sites, 2)
    norms = np.linalg.norm(d, axis=-1)
    np.testing.assert_allclose(norms, norms.T, atol=1e-12)  # images may differ at ties, lengths may not
