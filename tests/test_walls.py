"""Chiral domain walls and the relaxation that makes them: constructors, energies, modes, locality."""

import numpy as np
import pytest

from spinlab.__main__ import main
from spinlab.electrons import SDModel
from spinlab.heisenberg import HeisenbergModel
from spinlab.io import load_npz
from spinlab.lattice import TriangularLattice
from spinlab.relaxation import relax
from spinlab.observables import scalar_chirality
from spinlab.spins import random_spins, tetrahedral
from spinlab.wall_studies import WallPlan, shrink_rate, tilted
from spinlab.walls import (WALL_FRAMES, WALL_ORIENTATIONS, bond_wall_fraction, chiral_disk, chiral_walls, chirality_profile,
                           field_response, minus_chi_area, wall_distance, wall_energy, wall_length, wall_spectrum,
                           wall_normal_angles, wall_torus)


def quarter_filled(lattice):
    return SDModel(lattice, J=3.0, n_electrons=lattice.n_sites // 2, kT_el=0.005)


# -- relaxation ----------------------------------------------------------------------------------------------------
def test_relaxation_finds_the_120_degree_ground_state_of_the_triangular_antiferromagnet():
    lattice = TriangularLattice(6)
    model = HeisenbergModel(lattice, J1=1.0)
    start = random_spins(lattice.n_sites, 4)
    result = relax(model, start, tol=1e-8, max_steps=3000)
    assert result.converged and result.max_torque < 1e-8
    # three bonds per site at 120°: E/N = 3 cos(120°) = -3/2
    assert result.energy / lattice.n_sites == pytest.approx(-1.5, abs=1e-10)
    assert result.energy == pytest.approx(model.energy(result.spins), abs=1e-12)
    assert result.energies[0] == pytest.approx(model.energy(start)) and len(result.energies) == result.steps
    assert np.allclose(np.linalg.norm(result.spins, axis=1), 1.0)


def test_relaxation_out_of_steps_reports_the_spins_it_evaluated():
    lattice = TriangularLattice(6)
    model = HeisenbergModel(lattice, J1=1.0)
    result = relax(model, random_spins(lattice.n_sites, 5), max_steps=3)
    assert not result.converged and result.steps == 3
    assert result.energy == pytest.approx(model.energy(result.spins), abs=1e-12)
    torque = np.linalg.norm(np.cross(result.spins, model.exchange_field(result.spins)), axis=1).max()
    assert result.max_torque == pytest.approx(torque, rel=1e-12)


class _Driven:
    """A field without an energy, as the two-potential models and NEGF give."""

    def __init__(self, lattice):
        self.lattice, self.n_sites, self.conservative = lattice, lattice.n_sites, False

    def exchange_field(self, spins):
        return np.cross([0.0, 0.0, 1.0], spins)

    def config(self):
        return {}


def test_relaxation_refuses_a_provider_without_energy_and_bad_steps():
    lattice = TriangularLattice(6)
    with pytest.raises(TypeError, match="conservative"):
        relax(_Driven(lattice), tetrahedral(lattice))
    with pytest.raises(ValueError, match="tol > 0"):
        relax(HeisenbergModel(lattice), tetrahedral(lattice), tol=0)
    with pytest.raises(ValueError, match="step"):
        relax(HeisenbergModel(lattice), tetrahedral(lattice), step=20.0, max_step=10.0)


# -- constructors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("frame", list(WALL_FRAMES))
def test_every_wall_frame_maps_the_tetrahedral_state_to_the_other_chiral_domain_at_equal_energy(frame):
    lattice = TriangularLattice(4)
    model = quarter_filled(lattice)
    uniform = tetrahedral(lattice)
    other = uniform @ WALL_FRAMES[frame].T
    assert model.energy(other) == pytest.approx(model.energy(uniform), abs=1e-10)
    assert minus_chi_area(lattice, other) == pytest.approx(lattice.n_sites * np.sqrt(3) / 2)
    assert minus_chi_area(lattice, uniform) == 0.0


@pytest.mark.parametrize("orientation", WALL_ORIENTATIONS)
@pytest.mark.parametrize("frame", list(WALL_FRAMES))
def test_abrupt_walls_hold_two_full_chiral_domains(orientation, frame):
    lattice = wall_torus(orientation, 8)
    profile = chirality_profile(lattice, chiral_walls(lattice, orientation, frame), orientation)
    half = lattice.L2 // 2
    # an up triangle spans one row (bond) or two rows (perpendicular) above its own
    span = 1 if orientation == "bond" else 2
    assert np.allclose(profile[: half - span], 1.0) and np.allclose(profile[half: -span], -1.0)
    assert minus_chi_area(lattice, chiral_walls(lattice, orientation, frame)) > 0


def test_wall_tori_and_lengths():
    bond, perpendicular = wall_torus("bond", 8, 12), wall_torus("perpendicular", 8)
    assert (bond.L1, bond.L2) == (12, 16) and (perpendicular.L1, perpendicular.L2) == (8, 16)
    assert wall_length(bond, "bond") == 12 and wall_length(perpendicular, "perpendicular") == pytest.approx(8 * 3**0.5)
    for lattice, orientation, spacing in ((bond, "bond", 3**0.5 / 2), (perpendicular, "perpendicular", 0.5)):
        d = wall_distance(lattice, orientation)
        assert d.min() == pytest.approx(spacing / 2)
        assert np.sum(np.isclose(d, spacing / 2)) == 4 * lattice.n_sites // lattice.L2  # two rows beside each wall
    with pytest.raises(ValueError, match="orientation"):
        wall_torus("diagonal", 8)
    with pytest.raises(ValueError, match="even"):
        wall_torus("bond", 7)
    with pytest.raises(ValueError, match="L2 = 2 L1"):
        chiral_walls(TriangularLattice(8, 12), "perpendicular")
    with pytest.raises(ValueError, match="improper"):
        chiral_walls(bond, "bond", np.eye(3))
    with pytest.raises(ValueError, match="unknown wall frame"):
        chiral_walls(bond, "bond", "twisted")


def test_disk_area_is_close_to_pi_r_squared():
    lattice = TriangularLattice(24)
    for radius in (4.0, 6.0):
        area = minus_chi_area(lattice, chiral_disk(lattice, radius, "S4"))
        assert area == pytest.approx(np.pi * radius**2, rel=0.15)
    with pytest.raises(ValueError, match="does not fit"):
        chiral_disk(lattice, 11.0)
    with pytest.raises(ValueError, match="radius"):
        chiral_disk(lattice, 0.0)


# -- energy, modes, locality ------------------------------------------------------------------------------------------
def test_uniform_state_has_no_wall_energy_and_no_wall_charge():
    lattice = wall_torus("perpendicular", 8)
    model = quarter_filled(lattice)
    energy = wall_energy(model, tetrahedral(lattice), tetrahedral(lattice), "perpendicular")
    assert energy["sigma"] == 0 and energy["sigma_mu"] == 0 and energy["charge_per_length"] == 0


def test_relaxed_wall_is_torque_free_costs_energy_and_keeps_its_domains():
    lattice = wall_torus("bond", 8, 8)
    model = quarter_filled(lattice)
    result = relax(model, tilted(chiral_walls(lattice, "bond", "S4"), 1e-3, 0), tol=1e-5, max_steps=500)
    assert result.converged
    field = model.exchange_field(result.spins)
    assert np.linalg.norm(np.cross(result.spins, field), axis=1).max() < 1e-5
    energy = wall_energy(model, result.spins, tetrahedral(lattice), "bond")
    assert 0.01 < energy["sigma"] < 0.5
    profile = chirality_profile(lattice, result.spins, "bond")
    assert profile[lattice.L2 // 4] > 0.9 and profile[3 * lattice.L2 // 4] < -0.9


def test_walls_too_close_annihilate_into_one_domain():
    # perpendicular domains 4 rows wide: the two walls meet and the torus relaxes to uniform -chi
    lattice = wall_torus("perpendicular", 8)
    model = quarter_filled(lattice)
    result = relax(model, tilted(chiral_walls(lattice, "perpendicular", "S4"), 1e-3, 0), tol=1e-5, max_steps=500)
    assert np.allclose(chirality_profile(lattice, result.spins, "perpendicular"), -1.0, atol=1e-3)
    # against the relaxed uniform state: the ideal tetrahedron is slightly off the minimum on a torus this small
    uniform = relax(model, tilted(tetrahedral(lattice), 1e-3, 0), tol=1e-5, max_steps=500).spins
    assert model.energy(uniform) < model.energy(tetrahedral(lattice))
    assert wall_energy(model, result.spins, uniform, "perpendicular")["sigma"] == pytest.approx(0, abs=1e-8)


def test_spectral_weights_sum_to_the_share_of_chosen_sites():
    lattice = wall_torus("perpendicular", 8)
    model = quarter_filled(lattice)
    spins = chiral_walls(lattice, "perpendicular", "mirrored")
    near = wall_distance(lattice, "perpendicular") <= 1.0
    eps, weight = wall_spectrum(model, spins, near)
    assert np.allclose(eps, model.spectrum(spins))
    assert weight.mean() == pytest.approx(near.mean(), abs=1e-12)
    assert np.all((weight > -1e-12) & (weight < 1 + 1e-12))


def test_field_response_of_a_nearest_neighbour_model_stops_at_the_neighbours():
    lattice = TriangularLattice(6)
    model = HeisenbergModel(lattice, J1=1.0)
    spins = random_spins(lattice.n_sites, 8)
    response = field_response(model, spins, 7)
    neighbours = set(lattice.neighbors()[7].tolist()) | {7}
    others = [i for i in range(lattice.n_sites) if i not in neighbours]
    assert np.all(response[others] < 1e-7)
    assert np.all(response[sorted(neighbours - {7})] > 1e-2)


# -- the study's small pieces ---------------------------------------------------------------------------------------
def test_shrink_rate_of_a_linear_area_is_its_slope():
    t = np.arange(0.0, 60.0, 2.0)
    area = np.maximum(100.0 - 2.5 * t, 0.0)
    rate = shrink_rate(t, area)
    assert rate["rate"] == pytest.approx(2.5) and not rate["partial"]
    assert shrink_rate(t[:12], area[:12])["partial"]


def test_tilt_is_seeded_and_small():
    spins = tetrahedral(TriangularLattice(4))
    a, b = tilted(spins, 1e-3, 3), tilted(spins, 1e-3, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, tilted(spins, 1e-3, 4))
    assert 0 < np.abs(a - spins).max() < 1e-2


def test_wall_plan_refuses_bad_settings():
    with pytest.raises(ValueError, match="unknown wall frame"):
        WallPlan(frames=("inverted", "twisted"))
    with pytest.raises(ValueError, match="two widths"):
        WallPlan(bond_widths=(8,))
    with pytest.raises(ValueError, match="even"):
        WallPlan(perpendicular_widths=(12, 15))
    with pytest.raises(ValueError, match="multiple of dt"):
        WallPlan(dt=0.3, record_interval=1.0)


# -- the study, end to end on tiny tori ------------------------------------------------------------------------------
TINY = ["--bond-widths", "8", "10", "--bond-length", "6", "--perpendicular-widths", "10", "12", "--frames", "S4",
        "inverted-C3", "--max-steps", "25", "--disk-L", "12", "--disk-radius", "2.5", "--disk-frames", "S4",
        "--disk-t-max", "4", "--thermal-steps", "8"]


def test_chiral_walls_command_runs_every_task_once_and_summarizes(tmp_path, capsys):
    work, out = tmp_path / "work", tmp_path / "out"
    assert main(["reproduce", "chiral-walls", *TINY, "--work", str(work), "--out", str(out), "--workers", "2"]) == 0
    arrays, summary = load_npz(out / "chiral-walls.npz")
    relaxed = sorted((work / "relax").glob("*.npz"))
    assert len(relaxed) == 2 * 2 * 3  # orientations x widths x (frames + uniform)
    stamps = [p.stat().st_mtime_ns for p in relaxed]
    assert main(["reproduce", "chiral-walls", *TINY, "--work", str(work), "--out", str(out)]) == 0
    assert [p.stat().st_mtime_ns for p in relaxed] == stamps  # nothing relaxed twice
    for orientation in WALL_ORIENTATIONS:
        o = summary["orientations"][orientation]
        assert o["frame"] in ("S4", "inverted-C3") and o["sigma"] > 0
        assert set(o["sigma_by_width"]) == ({"8", "10"} if orientation == "bond" else {"10", "12"})
        assert arrays[f"{orientation}/eps"].shape == (2 * len(arrays[f"{orientation}/spins"]),)
        assert summary["model"][orientation]["ed_torque_near_wall"] > 0
    assert arrays["disk/ed/S4/area"].shape == arrays["disk/ed/S4/times"].shape == (3,)
    assert summary["thermal"]["finished"] and summary["thermal"]["rms_torque"] > 0
    assert "sigma = " in capsys.readouterr().out


def test_chiral_walls_summary_of_an_empty_work_folder_is_a_one_line_error(tmp_path, capsys):
    argv = ["reproduce", "chiral-walls", *TINY, "--work", str(tmp_path / "none"), "--out", str(tmp_path / "out"),
            "--summary-only"]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code != 0
    err = capsys.readouterr().err.strip()
    assert "missing" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("orientation, expected", [("bond", 30.0), ("perpendicular", 0.0)])
def test_straight_walls_have_the_normal_of_their_orientation_and_their_length(orientation, expected):
    lattice = wall_torus(orientation, 24)
    chi = scalar_chirality(lattice, chiral_walls(lattice, orientation, "S4"))[: lattice.n_sites]
    angles, weights = wall_normal_angles(lattice, chi)
    off = np.minimum(np.abs(angles - expected), 60 - np.abs(angles - expected))  # 0° may come out as 59.99°
    assert np.average(off, weights=weights) < 0.5
    assert bond_wall_fraction(angles, weights) == pytest.approx(1.0 if orientation == "bond" else 0.0, abs=1e-6)
    # coarea: the weights times the area per up triangle add up to the two walls' length
    assert weights.sum() * np.sqrt(3) / 2 == pytest.approx(2 * wall_length(lattice, orientation), rel=0.05)


def test_a_disk_has_walls_of_every_direction_and_its_perimeter():
    # a disk of lattice sites is faceted: large, and smoothed over 3 spacings, it is round to a few per cent
    lattice = TriangularLattice(96)
    radius = 30.0
    chi = scalar_chirality(lattice, chiral_disk(lattice, radius, "S4"))[: lattice.n_sites]
    angles, weights = wall_normal_angles(lattice, chi, smoothing=3.0)
    assert bond_wall_fraction(angles, weights) == pytest.approx(0.5, abs=0.05)
    assert weights.sum() * np.sqrt(3) / 2 == pytest.approx(2 * np.pi * radius, rel=0.1)
