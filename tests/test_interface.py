"""The metal–insulator interface observables of the driven strip."""

import numpy as np
import pytest

from spinlab.interface import column_average, fm_fraction, front_position, interface_observables, interface_position
from spinlab.lattice import Strip
from spinlab.spins import ferromagnet, neel
from spinlab.trajectory import run
from spinlab.heisenberg import HeisenbergModel
from spinlab.dynamics import SemiImplicitMidpoint

STRIP = Strip(16, 6)


def neel_fm(lattice, fm_from, fm_below=0):
    """Néel insulator with FM metal (+z) on the columns x >= fm_from and x < fm_below."""
    s = neel(lattice)
    x = lattice.coords[:, 0]
    s[(x >= fm_from) | (x < fm_below)] = [0.0, 0.0, 1.0]
    return s


@pytest.mark.parametrize("fm_from", [2, 5, 12, 14])  # away from the leads, whose columns have 3 neighbours
def test_interface_of_a_sharp_neel_fm_state_lies_halfway_between_the_two_columns(fm_from):
    # the last Néel column has C = -3/4 and the first FM column +3/4 (one neighbour of each averages to 0)
    assert interface_position(STRIP, neel_fm(STRIP, fm_from)) == pytest.approx(fm_from - 0.5, abs=1e-12)
    assert fm_fraction(STRIP, neel_fm(STRIP, fm_from)) == pytest.approx((STRIP.Lx - fm_from) / STRIP.Lx)


def test_interface_without_metal_sits_at_the_right_lead_and_a_bridge_puts_it_at_the_left():
    assert interface_position(STRIP, neel(STRIP)) == STRIP.Lx - 1
    assert interface_position(STRIP, ferromagnet(STRIP)) == 0.0
    assert fm_fraction(STRIP, neel(STRIP)) == 0.0 and fm_fraction(STRIP, ferromagnet(STRIP)) == 1.0


def test_interface_is_the_right_leads_when_both_leads_have_a_metal_layer():
    both = neel_fm(STRIP, fm_from=11, fm_below=3)
    assert interface_position(STRIP, both) == pytest.approx(10.5, abs=1e-12)
    assert fm_fraction(STRIP, both) == pytest.approx(8 / 16)


def test_a_dip_of_the_lead_column_does_not_end_the_fm_layer():
    profile = np.array([-1.0, -1.0, -1.0, -0.5, 0.5, 0.3, 0.4, -0.05])
    assert front_position(profile) == pytest.approx(3.5)
    assert front_position(profile[::-1], "left") == pytest.approx(3.5)
    assert front_position(-np.ones(8)) == 7.0 and front_position(np.ones(8)) == 0.0
    island = np.array([-1.0, -1.0, -1.0, -1.0, -1.0, 0.4, -0.5, -1.0])  # FM not connected to either lead
    assert front_position(island) == 7.0 and front_position(island, "left") == 0.0


def test_left_front_mirrors_the_right_one():
    both = neel_fm(STRIP, fm_from=11, fm_below=3)
    assert interface_position(STRIP, both, "left") == pytest.approx(2.5, abs=1e-12)
    assert interface_position(STRIP, neel(STRIP), "left") == 0.0
    assert interface_position(STRIP, ferromagnet(STRIP), "left") == STRIP.Lx - 1
    mirrored = neel_fm(STRIP, 5).reshape(STRIP.Ly, STRIP.Lx, 3)[:, ::-1].reshape(-1, 3)  # x -> Lx - 1 - x
    assert interface_position(STRIP, mirrored, "left") == pytest.approx(STRIP.Lx - 1 - 4.5, abs=1e-12)
    with pytest.raises(ValueError, match="lead must be"):
        interface_position(STRIP, both, "top")


def test_interface_position_is_invariant_under_the_strips_symmetries_and_global_rotations():
    rng = np.random.default_rng(3)
    s = neel_fm(STRIP, 9) + 0.2 * rng.standard_normal((STRIP.n_sites, 3))
    s /= np.linalg.norm(s, axis=1, keepdims=True)
    shifted = s.reshape(STRIP.Ly, STRIP.Lx, 3)[np.r_[2:STRIP.Ly, 0:2]].reshape(-1, 3)  # y -> y + 2
    mirrored = s.reshape(STRIP.Ly, STRIP.Lx, 3)[::-1].reshape(-1, 3)  # y -> -y
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    x_dw = interface_position(STRIP, s)
    assert 7 < x_dw < 10
    for other in (shifted, mirrored, s @ q.T):
        assert interface_position(STRIP, other) == pytest.approx(x_dw, abs=1e-12)


def test_column_average_refuses_values_that_are_not_per_site():
    assert column_average(STRIP, np.arange(STRIP.n_sites)) == pytest.approx(np.arange(16) + 16 * 2.5)
    with pytest.raises(ValueError, match="one entry per site"):
        column_average(STRIP, np.zeros(STRIP.n_sites + 1))


def test_interface_observables_record_along_a_run():
    trajectory = run(neel_fm(STRIP, 10), HeisenbergModel(STRIP, J1=1.0), SemiImplicitMidpoint(0.05, 0.5), 4,
                     observables=interface_observables(STRIP), progress=False)
    assert trajectory.observables["x_dw"][0] == pytest.approx(9.5)
    assert trajectory.observables["x_left"][0] == 0.0
    assert np.asarray(trajectory.observables["profile"]).shape == (len(trajectory.times), STRIP.Lx)
    assert trajectory.observables["fm_fraction"][0] == pytest.approx(6 / 16)
    assert len(trajectory.observables["|m|"]) == len(trajectory.times)
