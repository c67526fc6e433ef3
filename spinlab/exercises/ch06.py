"""Self-checks for the exercises of chapter 6, *Tetrahedral order*.

1. :func:`check_phase_winner` — change the coupling and predict which order wins.
2. :func:`check_tetrahedral_chirality` — derive the chirality of the tetrahedral state.
3. :func:`check_random_chirality` — derive the mean |χ| of random spins and check it numerically.
4. :func:`check_wall_modes` — count the in-gap levels that two relaxed chiral walls bind.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import Unreadable, close, exercise, exercises_of, number

__all__ = ["check_phase_winner", "check_tetrahedral_chirality", "check_random_chirality", "check_wall_modes",
           "EXERCISES", "CANDIDATES", "WALL_TORUS"]

#: The candidate orders of the chapter's phase table (keys of :data:`spinlab.spins.TEXTURES`).
CANDIDATES = ("ferromagnet", "120-degree", "tetrahedral", "stripe", "up-up-up-down", "coplanar 2Q")
#: Exercise 1: filling and coupling (12×12, canonical T = 0).
PHASE_POINT = {"filling": 0.25, "J": 5.0}
#: Exercise 4: the chapter's live wall torus in fast mode (J = 3, N_e = N/2, kT_el = 0.005) and its relaxation.
WALL_TORUS = {"orientation": "bond", "width": 8, "length": 8, "frame": "inverted-C3", "tilt": 1e-3, "seed": 0,
              "tol": 1e-5}


@functools.lru_cache(maxsize=1)
def _phase_energies():
    from ..electrons import SDModel
    from ..lattice import TriangularLattice
    from ..spins import TEXTURES

    lattice = TriangularLattice(12)
    model = SDModel(lattice, **PHASE_POINT)
    with warnings.catch_warnings():  # degenerate Fermi shells (the ferromagnet) leave E well defined
        warnings.simplefilter("ignore")
        return {name: model.energy(TEXTURES[name](lattice)) / lattice.n_sites for name in CANDIDATES}


@exercise("phase-winner", f"one of the names {CANDIDATES}")
def check_phase_winner(answer):
    """Exercise 1: the candidate with the lowest ED energy on 12×12 at f = 1/4, J = 5."""
    if not isinstance(answer, str) or answer not in CANDIDATES:
        raise Unreadable(f"got {answer!r}")
    energies = _phase_energies()
    winner = min(energies, key=energies.get)
    if answer == winner:
        runner = sorted(energies.values())[1]
        return True, f"it wins by only {runner - energies[winner]:.4f} t per site: a close call between two orders."
    return False, (f"{answer} lies {energies[answer] - energies[winner]:.4f} t per site above the lowest candidate; "
                   "compare the energies of all six textures.")


@exercise("tetrahedral-chirality", "a number: |χ_Δ| of the ideal tetrahedral state")
def check_tetrahedral_chirality(answer):
    """Exercise 2: the scalar chirality S_i·(S_j × S_k) of a triangle of the tetrahedral state."""
    from ..lattice import TriangularLattice
    from ..observables import scalar_chirality
    from ..spins import tetrahedral

    value = abs(number(answer))
    lattice = TriangularLattice(6)
    reference = float(np.abs(scalar_chirality(lattice, tetrahedral(lattice))).mean())
    if close(value, reference, rtol=1e-6):
        return True, "three corners of a tetrahedron span the same solid angle on every triangle."
    if close(value, 4.0) or close(value, reference * np.sqrt(3)) or close(value, reference * 3):
        return False, "are your spins unit vectors? Each vector (±1, ±1, ±1) has length √3."
    if close(value, 0.0, atol=1e-6):
        return False, "the tetrahedral state is not coplanar: three of its spins cannot give zero."
    if value > 1:
        return False, "a triple product of three unit vectors is at most 1."
    return False, "take three of the four sublattice spins and compute S_1·(S_2 × S_3) by hand."


@exercise("random-chirality", "a number: ⟨|χ_Δ|⟩ for independent random unit spins")
def check_random_chirality(answer):
    """Exercise 3: the mean |S_1·(S_2 × S_3)| of three independent uniformly random unit vectors."""
    from ..observables import TETRAHEDRAL_CHIRALITY

    value = number(answer)
    # |S2 x S3| = sin(angle), <sin> = pi/4 on the sphere; S1 along the normal: <|cos|> = 1/2
    reference = np.pi / 8
    if close(value, reference, rtol=1e-3):
        return True, "⟨|sin θ|⟩ = π/4 for two random directions, times ⟨|cos|⟩ = 1/2 for the third."
    if close(value, reference, rtol=0.03):
        return False, "close: that looks like a sample mean. The derivation gives a closed form; find it and compare."
    if close(value, reference / TETRAHEDRAL_CHIRALITY, rtol=0.03):
        return False, "that is in units of χ_tetra; give ⟨|χ_Δ|⟩ itself."
    if abs(value) < 0.02:
        return False, "that is ⟨χ_Δ⟩, which vanishes by symmetry; the exercise asks for ⟨|χ_Δ|⟩."
    if close(value, 2 / np.pi * 0.5, rtol=1e-3) or close(value, 0.25, rtol=1e-3):
        return False, "check the average of |sin θ| for two random directions on the sphere (not on a circle)."
    return False, "write χ = |S_2 × S_3| cos(angle to S_1) and average the two factors separately."


@functools.lru_cache(maxsize=1)
def _wall_levels() -> dict:
    """Levels of the relaxed walled torus inside the relaxed uniform state's gap (a few seconds, once)."""
    from ..electrons import SDModel
    from ..relaxation import relax
    from ..spins import tetrahedral
    from ..wall_studies import tilted
    from ..walls import chiral_walls, wall_torus

    w = WALL_TORUS
    lattice = wall_torus(w["orientation"], w["width"], w["length"])
    model = SDModel(lattice, J=3.0, n_electrons=lattice.n_sites // 2, kT_el=0.005)
    abrupt = tilted(chiral_walls(lattice, w["orientation"], w["frame"]), w["tilt"], w["seed"])
    walled = relax(model, abrupt, tol=w["tol"]).spins
    uniform = relax(model, tilted(tetrahedral(lattice), w["tilt"], w["seed"]), tol=w["tol"]).spins
    n = model.n_electrons
    eps_u = model.spectrum(uniform)
    low, high = eps_u[n - 1], eps_u[n]

    def inside(eps):
        return (eps > low) & (eps < high)

    eps = model.spectrum(walled)
    return {"in_gap": int(inside(eps).sum()), "occupied": int(inside(eps[:n]).sum()),
            "abrupt": int(inside(model.spectrum(abrupt)).sum())}


@exercise("wall-modes", "a whole number: the in-gap levels of the relaxed walled 8×16 bond torus")
def check_wall_modes(answer):
    """Exercise 4: levels of the relaxed walled torus strictly inside the relaxed uniform state's gap."""
    value = number(answer)
    if value < 0 or value != round(value):
        raise Unreadable(f"got {value!r}; a count of levels is a whole number")
    count, levels = int(round(value)), _wall_levels()
    if count == levels["in_gap"]:
        return True, ("four chiral modes (two per wall) each cross the gap at several of the discrete momenta "
                      "along the walls; a longer wall puts more levels into the gap.")
    if count == 0:
        return False, ("the uniform state has no levels inside its own gap; count the levels of the walled state "
                       "that fall inside it.")
    if count == levels["occupied"]:
        return False, "that counts only the occupied in-gap levels; the empty ones above the Fermi level are wall modes too."
    if 2 * count == levels["in_gap"]:
        return False, "the torus holds two walls, and both bind modes: count every in-gap level of the walled state."
    if count == levels["abrupt"]:
        return False, "that looks like the count of the abrupt, unrelaxed walls: relax the walls first."
    return False, ("count the levels of the relaxed walled state strictly between eps_u[n - 1] and eps_u[n] of the "
                   "relaxed uniform state, with n = N_e = N/2.")


EXERCISES = exercises_of(__name__)
