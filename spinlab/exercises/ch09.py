"""Self-checks for the exercises of chapter 9, *Double exchange: the force-field benchmark*.

1. :func:`check_hole_count` — predict the number of holes on the 16 x 16 training lattice.
2. :func:`check_neel_longitudinal_field` — predict, then compute, the parallel field in the Néel background.
3. :func:`check_tilt_angle` — derive how small a tilt of the field already spoils the torque.
4. :func:`check_parity_torque_error` — how many torque components of the benchmark are wrong by more than their size.
"""

from __future__ import annotations

import functools

import numpy as np

from . import close, exercise, exercises_of, number

__all__ = ["check_hole_count", "check_neel_longitudinal_field", "check_tilt_angle", "check_parity_torque_error",
           "EXERCISES", "HOLES", "NEEL", "TILT", "BENCHMARK_FILE"]

#: Exercise 1: the double-exchange preset on the training lattice of the shipped model.
HOLES = {"preset": "double-exchange", "L": 16}
#: Exercise 2: the Néel state of the preset on 8 x 8, quasi-canonical electrons at kT_el = 0.005.
NEEL = {"preset": "double-exchange", "L": 8, "kT_el": 0.005}
#: Exercise 3: the length of the field and of its transverse part on one site (units of t).
TILT = {"field": 5.6, "transverse": 0.05}
#: Exercise 4: the shipped benchmark (``spinlab reproduce de-benchmark --update-shipped``).
BENCHMARK_FILE = "de-benchmark.npz"


@exercise("hole-count", "a number: the holes in the lower Hund band on 16 x 16")
def check_hole_count(answer):
    """Exercise 1: N - N_e on the 16 x 16 lattice, N_e the preset's nearest integer to 2 N f."""
    from ..presets import get_preset

    value = number(answer)
    preset, L = get_preset(HOLES["preset"]), HOLES["L"]
    n_sites, n_electrons = L * L, preset.n_electrons(L)
    reference = n_sites - n_electrons
    if abs(value - reference) < 1e-6:
        return True, ("the lower Hund band holds one electron per site, so the holes are N − N_e; on this lattice "
                      "the rounded N_e makes the real filling slightly below 0.485, and the hole density "
                      "slightly above 3 %.")
    if close(value, n_sites * (1 - 2 * preset.filling), rtol=1e-6):
        return False, "a number of electrons is an integer: the preset rounds 2Nf to the nearest integer first."
    if close(value, 2 * n_sites - n_electrons, rtol=1e-6):
        return False, ("that counts the empty states of both Hund bands; the upper band lies 2J higher and stays "
                       "empty. Count the holes of the lower band only.")
    if close(value, n_electrons, rtol=1e-6):
        return False, "that is the number of electrons; how many states does the lower Hund band hold?"
    if close(value, 2 * n_sites * (1 - preset.filling), rtol=1e-6):
        return False, "f = N_e/(2N) counts the filled fraction of 2N states, both Hund bands together."
    if value < 0 or int(value) != value:
        return False, "a number of holes is a non-negative integer."
    return False, "compute N_e as the preset does (spinlab.presets), then compare it with the states of the lower band."


@functools.lru_cache(maxsize=1)
def _neel_field() -> float:
    """Mean H_i·S_i of the Néel state by ED (8 x 8, kT_el = 0.005)."""
    from ..electrons import SDModel
    from ..spins import neel

    model = SDModel.from_preset(NEEL["preset"], NEEL["L"], kT_el=NEEL["kT_el"])
    spins = neel(model.lattice)
    return float(np.mean(np.sum(model.exchange_field(spins) * spins, axis=1)))


def _ferromagnet_field() -> float:
    """J n of the fully polarized ferromagnet at the preset's N_e on 8 x 8 (every electron in the majority band)."""
    from ..presets import get_preset

    preset, L = get_preset(NEEL["preset"]), NEEL["L"]
    return preset.J * preset.n_electrons(L) / L**2


@exercise("neel-longitudinal-field", "a number: H_i·S_i in the Néel state, in units of t")
def check_neel_longitudinal_field(answer):
    """Exercise 2: the parallel field H_i·S_i of the Néel state (8 x 8, kT_el = 0.005), by ED."""
    from ..presets import get_preset

    value = number(answer)
    J = get_preset(NEEL["preset"]).J
    reference, ferro = _neel_field(), _ferromagnet_field()
    if close(value, reference, rtol=2e-3):
        return True, ("below the ferromagnet's J n: between antiparallel neighbours an electron hops only through "
                      "the upper Hund band, so its lower-band states mix in a little of the opposite spin, about "
                      "t²/J² per bond. The quench textures, AF background with FM clusters, lie in between, and "
                      "so does their |H∥|.")
    if close(value, ferro, rtol=1e-3):
        return False, ("that is the fully polarized ferromagnet, J n. In the Néel state do the electrons keep their "
                       "full polarization when they hop between antiparallel spins?")
    if close(value, J, rtol=1e-3):
        return False, "that needs one fully polarized electron on every site; there are fewer electrons than sites."
    if close(value, reference / 2, rtol=5e-3) or close(value, ferro / 2, rtol=5e-3):
        return False, "spinlab's Pauli matrices carry no factor 1/2 (book/conventions.md): H_i = J m_i."
    if close(value, reference / J, rtol=5e-3) or close(value, ferro / J, rtol=5e-3):
        return False, "that is the spin density m_i·S_i; the field is J m_i."
    if close(value, -reference, rtol=5e-3):
        return False, "check the sign: with the coupling −J S·σ the electrons align with the spin."
    if 5.5 < value < 5.8:
        return False, ("in the right range, but not the Néel state's value at this filling and lattice: "
                       "use SDModel.from_preset(\"double-exchange\", 8, kT_el=0.005) on spinlab.spins.neel.")
    return False, ("compute Σ_i H_i·S_i / N with SDModel.from_preset(\"double-exchange\", 8, kT_el=0.005) "
                   "on neel(lattice).")


@exercise("tilt-angle", "a number: the tilt angle θ, in degrees")
def check_tilt_angle(answer):
    """Exercise 3: the tilt θ of a field of length 5.6 whose torque error equals a transverse field of 0.05."""
    value = number(answer)
    H, perp = TILT["field"], TILT["transverse"]
    radians = perp / H
    reference = np.degrees(radians)
    if close(value, reference, rtol=0.02):
        return True, ("a field that is right to 1 % in direction can be 100 % wrong in its torque: the torque is "
                      "the small transverse remainder of a large vector, so a model must get the direction of H "
                      "to a small fraction of a degree.")
    if close(value, radians, rtol=0.02):
        return False, "right size, wrong unit: the exercise asks for degrees."
    if close(value, np.degrees(np.arcsin(perp)), rtol=0.02) or close(value, np.degrees(perp), rtol=0.02):
        return False, "the error of a tilted vector grows with its length: where does |H| enter?"
    if close(value, 90 - reference, rtol=0.02):
        return False, "that is the angle to the perpendicular; the tilt is measured from the direction of H."
    if close(value, 2 * reference, rtol=0.02) or close(value, reference / 2, rtol=0.02):
        return False, "off by a factor of two: |ΔH| = 2|H| sin(θ/2) ≈ |H| θ for a small rotation."
    if close(value, np.degrees(np.arctan(H / perp)), rtol=0.02):
        return False, "that is the angle of the field to the plane of the torque; the tilt asked for is small."
    return False, "rotate H by a small θ: how large is the change |ΔH|, and how much of it is transverse to S?"


@functools.lru_cache(maxsize=1)
def _parity():
    from ..data import DATA_DIR
    from ..io import load_npz

    arrays, _ = load_npz(DATA_DIR / BENCHMARK_FILE)
    return {k: arrays[f"parity/{k}"] for k in ("torque_ed", "torque_ml", "field_ed", "field_ml")}


def _beyond(predicted, reference, scale=1.0):
    """Share of the components whose error exceeds ``scale`` times the reference component."""
    return float(np.mean(np.abs(predicted - reference) > scale * np.abs(reference)))


@exercise("parity-torque-error", "a number: the fraction of torque components, between 0 and 1")
def check_parity_torque_error(answer):
    """Exercise 4: the share of the parity sample's torque components with |τ_ML − τ_ED| > |τ_ED|."""
    from ..data import DATA_DIR

    value = number(answer)
    if not (DATA_DIR / BENCHMARK_FILE).exists():
        return False, ("the shipped benchmark is missing, so this cannot be checked yet: "
                       "run `spinlab reproduce de-benchmark --update-shipped` first.")
    p = _parity()
    torque, ed = p["torque_ml"], p["torque_ed"]
    n = len(ed)
    reference = _beyond(torque, ed)
    if abs(value - reference) <= max(2.0 / n, 0.01 * reference):
        return True, ("the field's components almost never err by that much; for the torque, a small difference "
                      "of large numbers, many components are wrong by more than their own size, mostly the small "
                      "ones, even though the parity cloud hugs the diagonal.")
    if abs(value - 100 * reference) <= 100 * max(2.0 / n, 0.01 * reference):
        return False, "give a fraction between 0 and 1, not a percentage."
    if abs(value - n * reference) <= 2:
        return False, "that is a count of components; divide by the size of the sample."
    if abs(value - (1 - reference)) <= max(2.0 / n, 0.01 * reference):
        return False, ("that counts the components whose error is smaller than the component; the exercise asks "
                       "for the rest.")
    if abs(value - _beyond(p["field_ml"], p["field_ed"])) <= 2.0 / n:
        return False, "that is the share for the field components; the exercise asks for the torque."
    if abs(value - float(np.mean(np.sign(torque) != np.sign(ed)))) <= 2.0 / n:
        return False, ("that counts the components of the wrong sign; an error larger than the component also "
                       "includes those of the right sign but more than twice too large.")
    if abs(value - _beyond(torque, ed, 0.5)) <= 2.0 / n:
        return False, "compare the error with the whole ED component, not half of it."
    if not 0 <= value <= 1:
        return False, "a share of the components lies between 0 and 1."
    return False, ("use the arrays parity/torque_ed and parity/torque_ml of the shipped benchmark and count the "
                   "components with |τ_ML − τ_ED| > |τ_ED|.")


EXERCISES = exercises_of(__name__)
