"""The KPM studies' building blocks: wall detection, split errors, the KPM-vs-ML dynamics run."""

import numpy as np
import pytest

from spinlab.kpm_studies import kpm_dynamics, split_torque_errors, wall_sites
from spinlab.lattice import TriangularLattice
from spinlab.models import load_shipped
from spinlab.observables import scalar_chirality
from spinlab.reproduce import quench
from spinlab.spins import random_spins, tetrahedral

LATTICE = TriangularLattice(16)


def test_ideal_tetrahedral_order_has_no_wall_sites():
    assert not wall_sites(LATTICE, tetrahedral(LATTICE)).any()


def test_wall_sites_lie_along_the_boundaries_of_opposite_chirality_domains():
    spins = tetrahedral(LATTICE)
    n1 = LATTICE.coords[:, 0]
    right = n1 >= LATTICE.L1 // 2
    spins[right] *= -1  # S -> -S reverses every scalar chirality
    walls = wall_sites(LATTICE, spins)
    distance_to_boundary = np.minimum.reduce([np.abs(n1 - 8), np.abs(n1 - 0), np.abs(n1 - 16)])
    assert walls.any() and not walls[distance_to_boundary > 2].any()
    # every row crosses both walls
    rows = LATTICE.coords[:, 1]
    assert all(walls[(rows == r) & (np.abs(n1 - 8) <= 1)].any() for r in range(LATTICE.L2))


def test_split_torque_errors_share_one_scale():
    rng = np.random.default_rng(0)
    spins, reference = random_spins(LATTICE.n_sites, rng), rng.normal(size=(LATTICE.n_sites, 3))
    walls = np.arange(LATTICE.n_sites) % 3 == 0
    assert split_torque_errors(spins, reference, reference, walls)["all"] == 0.0
    predicted = reference.copy()
    predicted[walls] += 0.1 * rng.normal(size=(walls.sum(), 3))
    errors = split_torque_errors(spins, predicted, reference, walls)
    assert errors["domains"] == 0.0 and errors["walls"] > errors["all"] > 0
    assert errors["walls"] ** 2 * walls.mean() == pytest.approx(errors["all"] ** 2)


def test_quench_returns_the_spins_behind_its_chirality_maps():
    result = quench(load_shipped("tetrahedral"), 12, 0.005, 40, seed=3, maps_at=(10, 40), progress=False)
    assert result["map_spins"].shape == (2, 144, 3)
    for spins, chi in zip(result["map_spins"], result["maps"]):
        np.testing.assert_array_equal(scalar_chirality(TriangularLattice(12), spins)[:144], chi)


def test_kpm_and_ml_dynamics_start_together_and_are_resumable(tmp_path):
    kwargs = dict(L=12, t_start=1.0, steps=4, record_every=2, moments=120, probe_distance=3.0, mu=-3.35,
                  progress=False)
    arrays, summary = kpm_dynamics(load_shipped("tetrahedral"), work=tmp_path, **kwargs)
    assert arrays["spin_difference"][0] == 0.0 and 0 < summary["final_spin_difference"] < 0.5
    np.testing.assert_allclose(arrays["times"], [1.0, 1.2, 1.4])
    again, _ = kpm_dynamics(load_shipped("tetrahedral"), work=tmp_path, **kwargs)  # read back from the stores
    np.testing.assert_array_equal(again["kpm/final"], arrays["kpm/final"])
