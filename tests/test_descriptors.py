"""Descriptors: group tables, decomposition, invariance, exact derivatives, smoothness, determinism."""

import numpy as np
import pytest

from spinlab.descriptors import BondListDescriptor, StripDescriptor, SymmetricDescriptor, descriptor_from_config
from spinlab.descriptors.decomposition import decompose_orbit
from spinlab.descriptors.groups import irreps, multiplication_table
from spinlab.lattice import SquareLattice, Strip, TriangularLattice, point_group_matrices
from spinlab.spins import random_spins, tetrahedral, three_sublattice

CASES = [
    (SymmetricDescriptor("triangular", 2.0), TriangularLattice(12)),
    (SymmetricDescriptor("triangular", 3.0), TriangularLattice(12)),
    (SymmetricDescriptor("square", 2.3, 2.3), SquareLattice(10)),
]
IDS = ["tri-2", "tri-3", "square-2.3"]


def relative_error(a, b, scale=None):
    """|a - b| relative to each feature's scale (default: its largest magnitude in a)."""
    scale = np.abs(a).max(axis=0) if scale is None else scale
    return np.max(np.abs(a - b) / np.maximum(scale, 1e-300))


def feature_scale(descriptor, lattice):
    """Each feature's typical magnitude, from random configurations."""
    return np.abs(descriptor.features(lattice, random_spins(lattice.n_sites, 99))).max(axis=0)


# -- group theory ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [4, 6])
def test_irrep_tables_are_homomorphisms_with_orthonormal_characters(order):
    table = irreps(order)
    G = point_group_matrices(order)
    mult = multiplication_table(G)
    for r in table:
        D = r.matrices
        np.testing.assert_allclose(np.einsum("gab,hbc->ghac", D, D), D[mult], atol=1e-14)
        np.testing.assert_allclose(D @ D.transpose(0, 2, 1), np.broadcast_to(np.eye(r.dim), D.shape), atol=1e-14)
    chi = np.array([r.characters for r in table])
    np.testing.assert_allclose(chi @ chi.T / len(G), np.eye(len(table)), atol=1e-14)
    assert sum(r.dim**2 for r in table) == len(G)  # Burnside


def decompose_product(order, *names):
    table = irreps(order)
    by_name = {r.name: r for r in table}
    chi = np.prod([by_name[n].characters for n in names], axis=0)
    counts = {r.name: round(chi @ r.characters / len(chi)) for r in table}
    return {k: v for k, v in counts.items() if v}


def test_product_tables():
    assert decompose_product(6, "E1", "E1") == {"A1": 1, "A2": 1, "E2": 1}
    assert decompose_product(6, "E2", "E2") == {"A1": 1, "A2": 1, "E2": 1}
    assert decompose_product(6, "E1", "E2") == {"B1": 1, "B2": 1, "E1": 1}
    assert decompose_product(6, "B1", "E1") == decompose_product(6, "B2", "E1") == {"E2": 1}
    assert decompose_product(6, "B1", "E2") == {"E1": 1}
    assert decompose_product(6, "A2", "B1") == {"B2": 1}
    assert decompose_product(4, "E", "E") == {"A1": 1, "A2": 1, "B1": 1, "B2": 1}


def irrep_content(descriptor, orbit):
    names = [descriptor.irreps[c.irrep].name for c in decompose_orbit(orbit, descriptor.irreps)]
    return sorted(names)


def test_orbit_multiplicities_follow_the_character_formula():
    tri = SymmetricDescriptor("triangular", 2.0)
    # orbit 0 is the centre's self-pair |S_0|^2, then the 99 pairs in 13 orbits of physics.md §5.3
    assert [o.size for o in tri.orbits] == [1, 6, 6, 6, 6, 6, 3, 12, 12, 6, 12, 6, 12, 6]
    assert len(tri.pairs) == 100 and len(tri.orbits) == 14 and len(tri.copy_names) == 67
    for o in tri.orbits:
        content = irrep_content(tri, o)
        if o.size == 1:
            assert content == ["A1"] and tuple(o.pairs[0]) == (0, 0)
        elif o.size == 12:
            assert content == ["A1", "A2", "B1", "B2", "E1", "E1", "E2", "E2"]
        elif o.size == 6:
            assert content in (["A1", "B1", "E1", "E2"], ["A1", "B2", "E1", "E2"])
        else:
            assert content == ["A1", "E2"]
    sq = SymmetricDescriptor("square", 2.3, 3.0)
    v = sq.stencil.vectors
    for o in sq.orbits:
        j, k = o.pairs[0]
        content = irrep_content(sq, o)
        if o.size == 1:
            assert content == ["A1"]
        elif o.size == 8:
            assert content == ["A1", "A2", "B1", "B2", "E", "E"]
        elif o.size == 2:  # opposite sites: axis pairs A1 + B1, diagonal pairs A1 + B2
            diagonal = abs(abs(v[j][0]) - abs(v[j][1])) < 1e-9
            assert content == (["A1", "B2"] if diagonal else ["A1", "B1"])
        elif o.size == 4 and 0 in (j, k):  # centre bonds: axis shells A1 + B1 + E, diagonal A1 + B2 + E
            m = k if j == 0 else j
            diagonal = abs(abs(v[m][0]) - abs(v[m][1])) < 1e-9
            if diagonal or abs(v[m][0] * v[m][1]) < 1e-9:
                assert content == (["A1", "B2", "E"] if diagonal else ["A1", "B1", "E"])


def test_feature_counts():
    assert SymmetricDescriptor("triangular", 2.0).n_features == 159
    assert SymmetricDescriptor("triangular", 3.0).n_features == 348
    assert SymmetricDescriptor("triangular", 4.0).n_features == 614
    assert SymmetricDescriptor("square", 2.3, 2.3).n_features == 215
    names = SymmetricDescriptor("triangular", 2.0).feature_names
    assert len(set(names)) == len(names)
    # the channels that vanish identically for one reference vector are dropped
    assert "B(A2,E1,E1)" not in names and "B(A2,E2,E2)" not in names and "B(E1,E1,E2)" in names
    assert "B(A2,E,E)" not in SymmetricDescriptor("square", 2.3, 2.3).feature_names


# -- invariance ------------------------------------------------------------------------------------------------------
def lattice_image(lattice, spins, g, centre):
    """Spins moved by point-group element g about site centre, and the site permutation."""
    return lattice.transform_spins(spins, g, centre), lattice.transform_sites(g, centre)


@pytest.mark.parametrize("descriptor, lattice", CASES, ids=IDS)
@pytest.mark.parametrize("state", ["random", "ordered"])
def test_features_are_invariant_under_the_point_group_and_spin_rotations(descriptor, lattice, state):
    rng = np.random.default_rng(0)
    if state == "random":
        spins = random_spins(lattice.n_sites, 1)
    elif lattice.kind == "triangular":
        spins = tetrahedral(lattice)
    else:
        spins = random_spins(lattice.n_sites, 2) * 0.2 + [0, 0, 1]
        spins /= np.linalg.norm(spins, axis=1, keepdims=True)
    G = descriptor.features(lattice, spins)
    scale = np.maximum(feature_scale(descriptor, lattice), np.abs(G).max(axis=0))
    centre = 7
    for g in range(2 * lattice.group_order):
        moved, _ = lattice_image(lattice, spins, g, centre)
        assert relative_error(G[[centre]], descriptor.features(lattice, moved)[[centre]], scale) < 1e-12
    for _ in range(3):
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # O(3): improper rotations too
        assert relative_error(G, descriptor.features(lattice, spins @ q.T), scale) < 1e-12


def test_translation_shifts_the_features():
    lattice = TriangularLattice(12)
    d = SymmetricDescriptor("triangular", 2.0)
    spins = random_spins(lattice.n_sites, 3)
    n1, n2 = lattice.coords.T
    shift = lattice.site_index(n1 + 5, n2 - 2)
    moved = np.empty_like(spins)
    moved[shift] = spins
    np.testing.assert_allclose(d.features(lattice, moved)[shift], d.features(lattice, spins), atol=1e-12)


def test_the_bond_list_baseline_is_not_point_group_invariant():
    lattice = TriangularLattice(12)
    raw = BondListDescriptor("triangular", 2.0)
    spins = random_spins(lattice.n_sites, 4)
    G = raw.features(lattice, spins)
    moved, _ = lattice_image(lattice, spins, 1, centre=7)  # rotation by 60 degrees
    assert relative_error(G[[7]], raw.features(lattice, moved)[[7]]) > 0.1
    q, _ = np.linalg.qr(np.random.default_rng(5).standard_normal((3, 3)))
    R = q * np.sign(np.linalg.det(q))  # proper rotations only: chiralities are odd under inversion
    np.testing.assert_allclose(raw.features(lattice, spins @ R.T), G, atol=1e-12)
    # its entries are only permuted: the sorted values within each orbit agree
    Gm = raw.features(lattice, moved)[7]
    for o, (a, b) in zip(raw.orbits, zip(np.cumsum([0] + [o.size for o in raw.orbits])[:-1],
                                         np.cumsum([o.size for o in raw.orbits]))):
        np.testing.assert_allclose(np.sort(G[7, a:b]), np.sort(Gm[a:b]), atol=1e-12)


# -- derivatives --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("descriptor, lattice", CASES + [(BondListDescriptor("triangular", 2.0), TriangularLattice(12)),
                                                         (SymmetricDescriptor("square", 2.0, 2.0), SquareLattice(8))],
                         ids=IDS + ["raw-tri", "square-2"])
def test_vjp_and_jvp_equal_central_finite_differences(descriptor, lattice):
    rng = np.random.default_rng(6)
    spins = random_spins(lattice.n_sites, 7)
    tangent = rng.standard_normal(spins.shape)
    h = 1e-6
    plus, minus = descriptor.features(lattice, spins + h * tangent), descriptor.features(lattice, spins - h * tangent)
    finite = (plus - minus) / (2 * h)
    jvp = descriptor.jvp(lattice, spins, tangent)
    assert relative_error(finite, jvp) < 1e-7
    cotangent = rng.standard_normal((lattice.n_sites, descriptor.n_features))
    vjp = descriptor.vjp(lattice, spins, cotangent)
    assert np.sum(vjp * tangent) == pytest.approx(np.sum(cotangent * finite), rel=1e-8)
    # the two products are adjoint to each other
    assert np.sum(vjp * tangent) == pytest.approx(np.sum(cotangent * jvp), rel=1e-12)


@pytest.mark.parametrize("descriptor", [SymmetricDescriptor("triangular", 2.0), BondListDescriptor("triangular", 2.0)],
                         ids=["symmetric", "raw"])
def test_blocked_pullback_equals_the_whole_lattice_vjp(descriptor):
    """Blocks of 7 sites (not a divisor of N): each block sees its own features, gradients are unchanged."""
    lattice = TriangularLattice(12)
    spins = random_spins(lattice.n_sites, 3)
    G = descriptor.features(lattice, spins)
    cotangent = np.random.default_rng(4).standard_normal(G.shape)
    seen = []

    def site_cotangents(block, rows):
        seen.append(np.array_equal(block, G[rows]))
        return [cotangent[rows], -2.0 * cotangent[rows]]

    first, second = descriptor.pullback(lattice, spins, site_cotangents, block_sites=7)
    assert len(seen) == -(-lattice.n_sites // 7) and all(seen)
    whole = descriptor.vjp(lattice, spins, cotangent)
    np.testing.assert_allclose(first, whole, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(second, -2.0 * whole, rtol=1e-13, atol=1e-13)


def toy_site_energy_field(descriptor, lattice, spins, weights):
    """H = -dE/dS for E = sum_i sum_k tanh(G_ik w_k / scale_k), a random smooth site energy."""
    G = descriptor.features(lattice, spins)
    scale = feature_scale(descriptor, lattice) + 1.0  # fixed, so that E is one smooth function
    cotangent = (1 - np.tanh(G / scale * weights) ** 2) * weights / scale
    return -descriptor.vjp(lattice, spins, cotangent)


@pytest.mark.parametrize("descriptor, lattice", CASES[::2], ids=IDS[::2])
def test_fields_of_lattice_images_are_permuted_fields(descriptor, lattice):
    weights = np.random.default_rng(8).standard_normal(descriptor.n_features)
    spins = random_spins(lattice.n_sites, 9)
    H = toy_site_energy_field(descriptor, lattice, spins, weights)
    for g in (1, 2, lattice.group_order, lattice.group_order + 1):
        moved, p = lattice_image(lattice, spins, g, centre=0)
        H_moved = toy_site_energy_field(descriptor, lattice, moved, weights)
        np.testing.assert_allclose(H_moved[p], H, atol=1e-10 * np.abs(H).max())


def test_bond_list_fields_are_not_covariant():
    lattice, raw = TriangularLattice(12), BondListDescriptor("triangular", 2.0)
    weights = np.random.default_rng(10).standard_normal(raw.n_features)
    spins = random_spins(lattice.n_sites, 11)
    H = toy_site_energy_field(raw, lattice, spins, weights)
    moved, p = lattice_image(lattice, spins, 1, centre=0)
    assert np.abs(toy_site_energy_field(raw, lattice, moved, weights)[p] - H).max() > 1e-2 * np.abs(H).max()


def test_features_and_gradients_are_smooth_along_a_spin_path():
    lattice, d = TriangularLattice(12), SymmetricDescriptor("triangular", 2.0)
    start = three_sublattice(lattice)
    axis = random_spins(lattice.n_sites, 12)
    angles = np.linspace(0, np.pi, 201)
    step = angles[1] - angles[0]
    weights = np.random.default_rng(13).standard_normal(d.n_features)
    values, fields = [], []
    for a in angles:  # rotate every spin about its own random axis
        s = start * np.cos(a) + np.cross(axis, start) * np.sin(a) + axis * (axis * start).sum(1, keepdims=True) * (1 - np.cos(a))
        values.append(d.features(lattice, s)[0])
        fields.append(toy_site_energy_field(d, lattice, s, weights)[0])
    for series in (np.array(values), np.array(fields)):
        second = np.abs(np.diff(series, 2, axis=0)).max()
        first = np.abs(np.diff(series, axis=0)).max()
        # smooth: second differences are O(step) smaller than first differences (a jump would make them equal)
        assert second < 10 * step * first


# -- determinism, configuration, scaling ---------------------------------------------------------------------------------
def test_feature_values_are_pinned():
    # if these change, every shipped model changes: the construction must stay canonical
    lattice, d = TriangularLattice(12), SymmetricDescriptor("triangular", 2.0)
    G = d.features(lattice, random_spins(lattice.n_sites, 2024))
    idx = [1, 6, 16, 44, 105, 153, 158]
    assert [d.feature_names[i] for i in idx] == ["A1[o1.0]", "A1[o6.0]", "|B1[o1.0]|²", "|E2[o7.1]|²",
                                                 "A2[o7.0]·ref", "B(A1,E2,E2)", "B(E2,E2,E2)"]
    np.testing.assert_allclose(G[7, idx], [0.53745374, 0.42222888, 0.30966354, 0.44682618, -1.16538088,
                                           -24.69746017, -39.19697431], rtol=1e-7)
    square, ds = SquareLattice(10), SymmetricDescriptor("square", 2.3, 2.3)
    Gs = ds.features(square, random_spins(square.n_sites, 2024))
    np.testing.assert_allclose(Gs[3, [1, 20, 22, 62, 152, 214]],
                               [0.42008959, -1.07598931, 0.17647526, 0.90067016, -0.03095329, 0.9224011], rtol=1e-7)


def test_descriptors_round_trip_through_their_config():
    for d in (SymmetricDescriptor("square", 2.3, 2.3), BondListDescriptor("triangular", 2.0),
              StripDescriptor(2.3, lead_range=4.0)):
        again = descriptor_from_config(d.config())
        assert type(again) is type(d) and again.feature_names == d.feature_names


@pytest.mark.parametrize("kwargs, message", [(dict(kind="kagome"), "kind"), (dict(cutoff=0.5), "cutoff"),
                                             (dict(cutoff=2.0, pair_range=5.0), "pair_range")])
def test_bad_descriptor_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SymmetricDescriptor(**kwargs)


def test_descriptor_refuses_other_lattices_and_small_tori():
    d = SymmetricDescriptor("triangular", 2.0)
    with pytest.raises(ValueError, match="square"):
        d.features(SquareLattice(8), random_spins(64, 0))
    with pytest.raises(ValueError, match="wraps onto itself"):
        d.features(TriangularLattice(4), random_spins(16, 0))


# -- the strip between two leads --------------------------------------------------------------------------------
BIAS = (-3.6, -3.28)


def _strip_image(lattice, spins, shift=0, mirror=False):
    """Spins moved on the strip: site (x, y) goes to (x, ±y + shift); returns (moved spins, site map old -> new)."""
    x, y = lattice.coords.T
    target = lattice.site_index(x, (-y if mirror else y) + shift)
    moved = np.empty_like(spins)
    moved[target] = spins
    return moved, target


@pytest.mark.parametrize("shift, mirror", [(3, False), (0, True), (2, True)], ids=["translate", "mirror", "glide"])
def test_strip_features_are_invariant_under_y_translations_and_the_mirror(shift, mirror):
    d, lattice = StripDescriptor(2.3), Strip(10, 8)
    spins = random_spins(lattice.n_sites, 11)
    moved, target = _strip_image(lattice, spins, shift, mirror)
    np.testing.assert_allclose(d.features(lattice, moved, BIAS)[target], d.features(lattice, spins, BIAS),
                               atol=1e-12)


def test_strip_features_tell_left_from_right():
    """The bias breaks x -> -x, so the strip descriptor must not be invariant under it (D4 would be)."""
    d, lattice = StripDescriptor(2.3), Strip(10, 8)
    spins = random_spins(lattice.n_sites, 12)
    x, y = lattice.coords.T
    target = lattice.site_index(lattice.Lx - 1 - x, y)
    flipped = np.empty_like(spins)
    flipped[target] = spins
    spin_part = slice(0, d.n_spin_features)
    bulk = (x >= 3) & (x <= 6)
    difference = np.abs(d.features(lattice, flipped, BIAS)[target][bulk, spin_part]
                        - d.features(lattice, spins, BIAS)[bulk, spin_part]).max()
    assert difference > 1e-2
    # while the point-group invariant descriptor of the same neighbourhoods cannot see the flip
    square = SymmetricDescriptor("square", 2.3)
    np.testing.assert_allclose(square.features(lattice, flipped)[target][bulk], square.features(lattice, spins)[bulk],
                               atol=1e-12)


def test_strip_static_columns_mark_missing_neighbours_lead_distances_and_bias():
    d = StripDescriptor(2.3, lead_range=4.0)
    lattice = Strip(12, 6)
    G = d.features(lattice, random_spins(lattice.n_sites, 13), BIAS)
    static = dict(zip(d.static_names, G[:, d.n_spin_features:].T))
    x = lattice.coords[:, 0]
    np.testing.assert_array_equal(static["present(-1,0)"], x >= 1)  # the left neighbour is missing on column 0 only
    np.testing.assert_array_equal(static["present(2,1)"], x <= lattice.Lx - 3)
    np.testing.assert_allclose(static["lead_left"], np.clip(1 - x / 4.0, 0, None) ** 2)
    np.testing.assert_allclose(static["lead_right"], np.clip(1 - (11 - x) / 4.0, 0, None) ** 2)
    np.testing.assert_array_equal(static["mu_left"], -3.6)
    # a missing neighbour and a perpendicular one both zero the bond variables: only presence tells them apart
    spins = np.tile([0.0, 0.0, 1.0], (lattice.n_sites, 1))
    spins[x == 1] = [1.0, 0.0, 0.0]
    G = d.features(lattice, spins, BIAS)
    edge, second = np.flatnonzero(x == 0)[0], np.flatnonzero(x == 2)[0]
    column = d.feature_names.index("present(-1,0)")
    assert G[edge, column] == 0 and G[second, column] == 1


def test_strip_features_depend_on_the_distance_to_the_leads_not_on_x():
    """The same neighbourhood at the same distance from a lead gives the same features on a longer strip,
    and the bulk of a strip is a periodic lattice: a model transfers to other strip lengths."""
    d = StripDescriptor(2.3, lead_range=4.0)
    short, long = Strip(12, 6), Strip(20, 6)
    spins_long = random_spins(long.n_sites, 14)
    x_long = long.coords[:, 0]
    G_long = d.features(long, spins_long, BIAS)
    # the short strip holds the first 12 columns of the long one
    G_short = d.features(short, spins_long[x_long < 12], BIAS)
    x = short.coords[:, 0]
    near_left = x <= 7  # neighbourhoods and lead features unchanged (the right lead lead_range or more away)
    np.testing.assert_allclose(G_short[near_left], G_long[x_long < 12][near_left], atol=1e-12)
    torus = SquareLattice(20, 6)
    G_torus = d.features(torus, spins_long, BIAS)
    bulk = (x_long >= 5) & (x_long <= 14)
    np.testing.assert_allclose(G_torus[bulk], G_long[bulk], atol=1e-12)


def test_strip_derivatives_equal_finite_differences_and_ignore_the_static_columns():
    d, lattice = StripDescriptor(2.3), Strip(8, 6)
    rng = np.random.default_rng(15)
    spins, tangent = random_spins(lattice.n_sites, 15), rng.standard_normal((lattice.n_sites, 3))
    h = 1e-6
    finite = (d.features(lattice, spins + h * tangent, BIAS) - d.features(lattice, spins - h * tangent, BIAS)) / (2 * h)
    jvp = d.jvp(lattice, spins, tangent)
    assert relative_error(finite, jvp, feature_scale_strip(d, lattice)) < 1e-7
    assert np.all(jvp[:, d.n_spin_features:] == 0)
    cotangent = rng.standard_normal((lattice.n_sites, d.n_features))
    assert np.sum(d.vjp(lattice, spins, cotangent) * tangent) == pytest.approx(np.sum(cotangent * jvp), rel=1e-12)
    blocked = d.pullback(lattice, spins, lambda G, rows: [cotangent[rows]], block_sites=7, bias=BIAS)[0]
    np.testing.assert_allclose(blocked, d.vjp(lattice, spins, cotangent), atol=1e-12)


def feature_scale_strip(d, lattice):
    return np.maximum(np.abs(d.features(lattice, random_spins(lattice.n_sites, 98), BIAS)).max(axis=0), 1e-3)


@pytest.mark.parametrize("bias, message", [(None, "chemical potentials"), ((1.0,), "two finite"),
                                           ((np.nan, 1.0), "two finite")])
def test_strip_descriptor_needs_the_bias_and_others_refuse_it(bias, message):
    lattice = Strip(8, 6)
    with pytest.raises(ValueError, match=message):
        StripDescriptor(2.3).features(lattice, random_spins(lattice.n_sites, 0), bias)
    with pytest.raises(ValueError, match="no bias"):
        SymmetricDescriptor("square", 2.3).features(lattice, random_spins(lattice.n_sites, 0), BIAS)
