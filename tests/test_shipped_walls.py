"""Re-validate the shipped chiral-wall results (``spinlab reproduce chiral-walls``, chapter 6).

Each test recomputes part of the file by ED or with the shipped model: the wall energies of the stored
relaxed walls, that they are torque-free, their spectra and the ED torque at the model's walls, the
disk's starting area and the shrink rates.  A stale or hand-edited file fails.
"""

import numpy as np
import pytest

from spinlab.data import DATA_DIR
from spinlab.io import load_npz
from spinlab.lattice import TriangularLattice
from spinlab.models import load_shipped
from spinlab.wall_studies import WallPlan, shrink_rate
from spinlab.walls import WALL_ORIENTATIONS, chirality_profile, minus_chi_area, wall_distance, wall_energy, wall_spectrum

ARRAYS, META = load_npz(DATA_DIR / "chiral-walls.npz")
PLAN = WallPlan(**META["plan"])
#: The study with each shipped model beside ED: the shipped tetrahedral model's and the wall-trained one's.
MODEL_FILES = {"tetrahedral": "chiral-walls.npz", "tetrahedral-walls": "chiral-walls-tetrahedral-walls.npz"}


def _with_model(name):
    return (ARRAYS, META) if name == "tetrahedral" else load_npz(DATA_DIR / MODEL_FILES[name])


def _torque(spins, field):
    return np.linalg.norm(np.cross(spins, field), axis=1)


def test_results_were_made_by_the_command_with_every_frame_and_width():
    assert META["command"].startswith("spinlab reproduce chiral-walls")
    for orientation in WALL_ORIENTATIONS:
        keys = {f"{orientation}/{w}/{f}" for w in PLAN.widths(orientation) for f in PLAN.frames}
        assert keys <= set(META["walls"])
        o = META["orientations"][orientation]
        kept = {f: META["walls"][f"{orientation}/{o['width']}/{f}"] for f in PLAN.frames}
        kept = {f: row["sigma"] for f, row in kept.items() if row["walls_kept"]}
        assert o["frame"] == min(kept, key=kept.get) and o["sigma"] == kept[o["frame"]]
        by_width = [o["sigma_by_width"][str(w)] for w in PLAN.widths(orientation) if str(w) in o["sigma_by_width"]]
        assert o["finite_size_error"] == pytest.approx(abs(by_width[-1] - by_width[-2]))


@pytest.mark.parametrize("orientation", WALL_ORIENTATIONS)
def test_stored_walls_are_relaxed_and_their_energy_is_recomputed_by_ed(orientation):
    o = META["orientations"][orientation]
    lattice = PLAN.lattice(orientation, o["width"])
    ed = PLAN.ed(lattice)
    walled, uniform = ARRAYS[f"{orientation}/spins"], ARRAYS[f"{orientation}/uniform"]
    stored = META["walls"][f"{orientation}/{o['width']}/{o['frame']}"]
    for spins, max_torque in ((walled, stored["max_torque"]), (uniform, o["uniform_max_torque"])):
        assert _torque(spins, ed.exchange_field(spins)).max() == pytest.approx(max_torque, rel=1e-6)
    assert stored["converged"] == (stored["max_torque"] < PLAN.tol)
    energy = wall_energy(ed, walled, uniform, orientation)
    for key in ("sigma", "sigma_mu", "charge_per_length"):
        assert energy[key] == pytest.approx(stored[key], rel=1e-9, abs=1e-12)
    profile = chirality_profile(lattice, walled, orientation)
    assert np.allclose(profile, ARRAYS[f"{orientation}/profile"])
    assert profile.max() > 0.5 and profile.min() < -0.5  # two domains, not annihilated


@pytest.mark.parametrize("orientation", WALL_ORIENTATIONS)
def test_wall_modes_are_recomputed(orientation):
    lattice = PLAN.lattice(orientation, META["orientations"][orientation]["width"])
    eps, weight = wall_spectrum(PLAN.ed(lattice), ARRAYS[f"{orientation}/spins"],
                                wall_distance(lattice, orientation) <= 1.0)
    assert np.allclose(eps, ARRAYS[f"{orientation}/eps"], atol=1e-9)
    modes = META["modes"][orientation]
    lo, hi = modes["bulk_gap"]
    inside = (eps > lo) & (eps < hi)
    assert inside.sum() == modes["in_gap_states"]
    if inside.any():
        assert weight[inside].mean() == pytest.approx(modes["in_gap_weight"], abs=1e-9)


@pytest.mark.parametrize("name", MODEL_FILES)
@pytest.mark.parametrize("orientation", WALL_ORIENTATIONS)
def test_ed_torque_at_the_shipped_models_walls_is_recomputed(orientation, name):
    arrays, meta = _with_model(name)
    model = load_shipped(name)
    checks = meta["model"]
    assert checks["fingerprint"] == model.fingerprint()
    assert meta["orientations"] == META["orientations"]  # the same ED walls beside every model
    lattice = PLAN.lattice(orientation, META["orientations"][orientation]["width"])
    spins = arrays[f"model/{orientation}/spins"]
    if checks[orientation]["converged"]:  # the model's own minimum
        assert _torque(spins, model.bind(lattice).exchange_field(spins)).max() < PLAN.tol
    profile = chirality_profile(lattice, spins, orientation)
    assert checks[orientation]["walls_kept"] == bool(profile.max() > 0.5 and profile.min() < -0.5)
    torque = _torque(spins, PLAN.ed(lattice).exchange_field(spins))
    near = wall_distance(lattice, orientation) <= 2.0
    assert np.sqrt(np.mean(torque[near] ** 2)) == pytest.approx(checks[orientation]["ed_torque_near_wall"], rel=1e-9)


@pytest.mark.parametrize("name", MODEL_FILES)
def test_disks_start_from_the_planned_disk_and_their_rates_follow_from_the_areas(name):
    arrays, meta = _with_model(name)
    lattice = TriangularLattice(PLAN.disk_L)
    for frame in PLAN.disk_frames:
        start_area = minus_chi_area(lattice, PLAN.disk_start(frame))
        for engine in ("ed", "model"):
            key = f"disk/{engine}/{frame}"
            if f"{key}/area" not in arrays:
                assert engine == "ed" and f"ed/{frame}" not in meta["disks"]
                continue
            times, area = arrays[f"{key}/times"], arrays[f"{key}/area"]
            assert times[0] == 0 and area[0] == pytest.approx(start_area)
            rate = meta["disks"][f"ed/{frame}"] if engine == "ed" else meta["model"][f"disk/{frame}"]
            assert shrink_rate(times, area)["rate"] == pytest.approx(rate["rate"], nan_ok=True)


def test_coarsening_morphology_is_recomputed_from_the_shipped_maps():
    from spinlab.wall_studies import coarsening_morphology

    arrays, summary = coarsening_morphology(DATA_DIR / "coarsening.npz", META["coarsening_morphology"]["smoothing"])
    assert summary["bond_fraction"] == pytest.approx(META["coarsening_morphology"]["bond_fraction"], rel=1e-12)
    for key, value in arrays.items():
        assert np.allclose(value, ARRAYS[f"morphology/{key}"])
    assert np.allclose(arrays["histograms"].sum(axis=1), 1.0)
