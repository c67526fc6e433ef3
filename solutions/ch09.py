"""Worked solutions for chapter 9, *Double exchange: the force-field benchmark* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np

from spinlab.data import DATA_DIR
from spinlab.electrons import SDModel
from spinlab.io import load_npz
from spinlab.presets import get_preset
from spinlab.spins import ferromagnet, neel, random_spins


def hole_count():
    r"""Exercise 1: the holes in the lower Hund band of the 16 x 16 training lattice.

    At :math:`J_H = 6` the two Hund bands, :math:`[-4, 4] \mp J_H` in a ferromagnet and split by
    :math:`2J_H = 12` in general, do not overlap: the lower one holds N states, one per site.  The preset
    rounds :math:`N_e = 2Nf = 2\cdot256\cdot0.485 = 248.32` to 248 (``Preset.n_electrons``), so
    the lower band has :math:`N - N_e = 256 - 248 = 8` holes: 3.1 % of the sites, and a real filling
    :math:`f = 248/512 = 0.484`.  (0.485 fits no smaller torus than 20 x 20, with 388 electrons and 12
    holes.)  Checked: ED on the fully polarized ferromagnet puts :math:`N_e` electrons in the lower
    band and none in the upper one, :math:`\sum_i n_i = N_e`.
    """
    preset, L = get_preset("double-exchange"), 16
    n_electrons = preset.n_electrons(L)
    assert n_electrons == 248 and abs(2 * L * L * preset.filling - 248.32) < 1e-9
    model = SDModel.from_preset("double-exchange", 8, kT_el=0.005)  # the same count per site on 8 x 8
    state = model.solve(ferromagnet(model.lattice))
    assert np.isclose(state.density.sum(), model.n_electrons)
    assert np.sum(state.occupations[: model.n_sites]) > model.n_electrons - 1e-9  # all in the lower band
    return L * L - n_electrons


def neel_longitudinal_field():
    r"""Exercise 2: the parallel field :math:`\mathbf H_i\cdot\mathbf S_i` of the Néel state (8 x 8).

    Prediction.  In the ferromagnet every electron sits in the majority band, fully polarized along
    the spins: :math:`\mathbf m_i = n_i\mathbf S_i` with :math:`n_i = N_e/N = 62/64`, so
    :math:`H_\parallel = Jn = 5.8125` (chapter 1).  In the Néel state an electron can hop to an
    antiparallel neighbour only through that neighbour's upper Hund band, at an energy cost 2J: the
    lower-band states become :math:`\psi_k` with energy :math:`-\sqrt{J^2 + \varepsilon_k^2}` and a
    polarization along the local spin of only :math:`J/\sqrt{J^2 + \varepsilon_k^2}`.  Averaged over
    the band, :math:`\langle J/\sqrt{J^2+\varepsilon^2}\rangle \approx 1 - \langle\varepsilon^2\rangle/2J^2
    + 3\langle\varepsilon^4\rangle/8J^4 = 1 - 4/72 + 108/10368 = 0.955` (square lattice:
    :math:`\langle\varepsilon^2\rangle = 4`, :math:`\langle\varepsilon^4\rangle = 36`).  The two holes sit
    at the top of the band, :math:`\varepsilon_k = 0`, where the polarization is 1, so
    :math:`H_\parallel \approx 6\,(0.955 - 2/64) = 5.54`.

    ED (``SDModel.from_preset("double-exchange", 8, kT_el=0.005)`` on ``neel``) gives 5.529 on every site;
    the exact band average on the 8 x 8 momenta gives the same.  Random spins give about 5.65, between the
    two: a quench texture, an AF background with FM clusters, has :math:`|H_\parallel|\approx 5.6`, never 6,
    because there are fewer electrons than sites (the FM value) and because AF bonds depolarize them
    (the Néel value).
    """
    model = SDModel.from_preset("double-exchange", 8, kT_el=0.005)
    lattice = model.lattice
    parallel = {}
    for name, spins in (("neel", neel(lattice)), ("ferro", ferromagnet(lattice)),
                        ("random", random_spins(lattice.n_sites, 3))):
        parallel[name] = np.sum(model.exchange_field(spins) * spins, axis=1)
    value = float(parallel["neel"].mean())
    assert np.ptp(parallel["neel"]) < 1e-9  # the same on every site
    assert np.isclose(parallel["ferro"].mean(), 6 * 62 / 64)
    assert value < parallel["random"].mean() < parallel["ferro"].mean()
    # the band average on the 8 x 8 momenta, the two holes at eps_k = 0 (polarization 1)
    k = 2 * np.pi * np.arange(8) / 8
    eps = -2 * (np.cos(k)[:, None] + np.cos(k)[None, :])
    band = np.mean(6 / np.sqrt(36 + eps**2)) - 2 / 64
    assert abs(6 * band - value) < 1e-4, (6 * band, value)  # kT_el = 0.005 smears the top
    return value


def tilt_angle():
    r"""Exercise 3: the tilt θ of the field at which the torque error equals the torque.

    Rotate :math:`\mathbf H` (length 5.6) by a small angle θ towards a direction
    :math:`\hat e\perp\mathbf H`: :math:`\Delta\mathbf H = 2|\mathbf H|\sin(\theta/2)\,\hat e' \approx
    |\mathbf H|\,\theta\,\hat e`.  Since :math:`\mathbf S` is almost parallel to :math:`\mathbf H` (they differ
    by :math:`|\mathbf H_\perp|/|\mathbf H| \approx 0.009` rad), :math:`\hat e` is almost perpendicular to
    :math:`\mathbf S` and the torque error is :math:`|\mathbf S\times\Delta\mathbf H|\approx|\mathbf H|\theta`.
    It equals :math:`|\mathbf H_\perp| = 0.05` at :math:`\theta = 0.05/5.6 = 8.9\times10^{-3}` rad
    :math:`= 0.51°`.  A field 0.9 % wrong in direction, and perfect in length, has a 100 % torque error on
    such a site.  Checked numerically: random tilts of a field with these two lengths give a mean torque
    error equal to :math:`|\mathbf H_\perp|` at this θ, to better than 1 %.
    """
    H, perp = 5.6, 0.05
    theta = perp / H
    rng = np.random.default_rng(0)
    spin = np.array([0.0, 0.0, 1.0])
    field = np.array([perp, 0.0, np.sqrt(H**2 - perp**2)])
    errors = []
    for _ in range(2000):
        axis = np.cross(field, rng.standard_normal(3))
        axis /= np.linalg.norm(axis)  # a random rotation axis perpendicular to H: a tilt by theta
        tilted = (field * np.cos(theta) + np.cross(axis, field) * np.sin(theta)
                  + axis * (axis @ field) * (1 - np.cos(theta)))
        errors.append(np.linalg.norm(np.cross(spin, tilted - field)))
    assert abs(np.mean(errors) / perp - 1) < 0.01, np.mean(errors) / perp
    return float(np.degrees(theta))


def _parity():
    arrays, _ = load_npz(DATA_DIR / "de-benchmark.npz")
    return {k: arrays[f"parity/{k}"] for k in ("torque_ed", "torque_ml", "field_ed", "field_ml")}


def parity_torque_error():
    r"""Exercise 4: the share of torque components that the model misses by more than their own size.

    Count the components of the parity sample (``parity/torque_ed``, ``parity/torque_ml``: a random sample
    of torque components from the records after the first 10 % of the time, all seeds) with
    :math:`|\tau^\mathrm{ML} - \tau^\mathrm{ED}| > |\tau^\mathrm{ED}|` and divide by the size of the sample:
    about one in eight on the shipped run (half of them of the wrong sign), while the same count for the
    field components (``parity/field_*``) gives about one in a thousand.  The torque RMSE is a quarter of
    the torque's spread, so every component smaller than about a quarter of the spread is at risk; the
    torque components pile up near zero (the end states hardly move), and those are the ones missed.
    Checked: the misses are the small components (their median |τ_ED| is below a third of the sample's),
    the wrong-sign components are a subset of them, and the field's share is at least ten times smaller.
    """
    p = _parity()
    ed, ml = p["torque_ed"], p["torque_ml"]
    missed = np.abs(ml - ed) > np.abs(ed)
    share = float(missed.mean())
    wrong_sign = np.sign(ml) != np.sign(ed)
    assert np.all(missed[wrong_sign])  # a wrong sign is an error larger than the component
    assert np.median(np.abs(ed[missed])) < np.median(np.abs(ed)) / 3
    field_share = float(np.mean(np.abs(p["field_ml"] - p["field_ed"]) > np.abs(p["field_ed"])))
    assert field_share < share / 10, (field_share, share)
    return share


def _field_instead():
    p = _parity()
    return float(np.mean(np.abs(p["field_ml"] - p["field_ed"]) > np.abs(p["field_ed"])))


def _wrong_sign():
    p = _parity()
    return float(np.mean(np.sign(p["torque_ml"]) != np.sign(p["torque_ed"])))


SOLUTIONS = {"hole-count": hole_count, "neel-longitudinal-field": neel_longitudinal_field,
             "tilt-angle": tilt_angle, "parity-torque-error": parity_torque_error}

MISTAKES = {
    "hole-count": [7.68, 264, 248, 263.68, -8, 7],
    "neel-longitudinal-field": [5.8125, 6.0, 2.7646, 0.92146, -5.5292, 5.65],
    "tilt-angle": [0.0089286, 2.8659, 89.488, 1.0231, 0.25579],
    "parity-torque-error": [_field_instead, _wrong_sign, lambda: 100 * parity_torque_error(),
                            lambda: 1 - parity_torque_error(),
                            lambda: len(_parity()["torque_ed"]) * parity_torque_error(), 1.5],
}
