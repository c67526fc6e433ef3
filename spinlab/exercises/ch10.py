"""Self-checks for the exercises of chapter 10, *Double exchange: arrested phase separation*.

1. :func:`check_neel_band_width` — derive the width of the lower Hund band of the Néel state.
2. :func:`check_droplet_radius` — change the filling and predict the radius of the single FM droplet.
3. :func:`check_droplet_correlation` — the NN correlation of an FM disc in a Néel sea, from bond counting.
4. :func:`check_coexistence_mu` — derive the chemical potential at which FM and Néel regions coexist.
"""

from __future__ import annotations

import functools

import numpy as np

from . import close, exercise, exercises_of, number

__all__ = ["check_neel_band_width", "check_droplet_radius", "check_droplet_correlation", "check_coexistence_mu",
           "EXERCISES", "DOUBLE_EXCHANGE", "DROPLET"]

#: The double-exchange preset (t = 1): Hund coupling and filling.
DOUBLE_EXCHANGE = {"preset": "double-exchange", "J": 6.0, "filling": 0.485}
#: Exercises 2 and 3: the lattice of the large runs, the chemical potential the model encodes (μ_train),
#: the filling of exercise 2 (2 % holes instead of 3 %) and the disc radius of exercise 3.
DROPLET = {"L": 100, "mu": -4.52, "filling": 0.49, "radius": 16.5}


def _band(n_k: int = 400) -> np.ndarray:
    """ε_k = -2(cos k_x + cos k_y) on an n_k x n_k grid of the square lattice's Brillouin zone (t = 1)."""
    k = 2 * np.pi * np.arange(n_k) / n_k
    return (-2 * (np.cos(k)[:, None] + np.cos(k)[None, :])).ravel()


@exercise("neel-band-width", "a number: the width of the lower Hund band of the Néel state, in units of t")
def check_neel_band_width(answer):
    """Exercise 1: the lower band of the Néel state is -sqrt(J² + ε_k²): width sqrt(J² + 16) - J at J = 6."""
    value = number(answer)
    J = DOUBLE_EXCHANGE["J"]
    reference = np.sqrt(J**2 + 16) - J
    if close(value, reference, rtol=2e-3):
        return True, ("a hole in the Néel background moves only by virtual hops through the upper Hund band, "
                      "an energy 2J up: its band is about t²/J wide, against 8t in the ferromagnet. It is "
                      "nearly immobile, and gains almost no kinetic energy.")
    if abs(value) < 1e-9:
        return False, ("a real hop between antiparallel spins costs 2J and its amplitude t cos(θ/2) vanishes, "
                       "but a virtual hop through the upper band does not: diagonalize the 2 x 2 problem of "
                       "the two sublattices.")
    if close(value, 8.0, rtol=1e-3):
        return False, "that is the width of the ferromagnet's band ε_k - J; the Néel order splits the sublattices."
    if close(value, 16 / (2 * J), rtol=2e-3):
        return False, "that is the second-order estimate ε_k²/(2J); the exact lower band is a square root."
    if close(value, 2 * J, rtol=1e-3) or close(value, np.sqrt(J**2 + 16), rtol=1e-3) or close(value, J, rtol=1e-3):
        return False, "that is a band position or the Hund splitting, not the band's width (top minus bottom)."
    if value < 0:
        return False, "a width is positive: the top of the band minus its bottom."
    return False, ("each spin species sees -J on one sublattice and +J on the other, with hopping t between "
                   "them: find the lower band ε(k) and its range over the Brillouin zone.")


@functools.lru_cache(maxsize=1)
def _droplet_radius() -> float:
    """r = sqrt(n_holes / (π h_FM(μ_train))) on the 100 x 100 lattice at f = 0.49 (T = 0, n_k = 400)."""
    from ..phase_separation import fm_hole_density

    L = DROPLET["L"]
    holes = L * L - int(round(2 * L * L * DROPLET["filling"]))
    return float(np.sqrt(holes / (np.pi * fm_hole_density(DROPLET["mu"], DOUBLE_EXCHANGE["J"]))))


@exercise("droplet-radius", "a number: the radius of the FM droplet, in lattice constants")
def check_droplet_radius(answer):
    """Exercise 2: r = sqrt(n_holes / (π h_FM)), n_holes = N - N_e on 100 x 100 at f = 0.49, h_FM at μ_train."""
    from ..phase_separation import fm_hole_density

    value = number(answer)
    reference = _droplet_radius()
    h = fm_hole_density(DROPLET["mu"], DOUBLE_EXCHANGE["J"])
    holes = np.pi * reference**2 * h
    if close(value, reference, rtol=0.01):
        return True, ("at fixed μ the FM hole density stays h_FM, so the droplet's area scales with the number of "
                      "holes: r grows like the square root of the doping, and one droplet is the end point of "
                      "complete phase separation at any filling between 1/2 and the FM's own.")
    if close(value, 2 * reference, rtol=0.01):
        return False, "that is the diameter."
    if close(value, np.sqrt(holes / np.pi), rtol=0.01):
        return False, ("one hole per site would be an empty band: an FM region at μ_train holds h_FM holes per "
                       "site (fm_hole_density), so the droplet must be larger.")
    if close(value, np.sqrt(holes / (np.pi * (1 - 2 * DROPLET["filling"]))), rtol=0.01):
        return False, ("that spreads the holes at the lattice's mean density; inside the droplet the density is "
                       "h_FM.")
    if close(value, np.sqrt(holes / h), rtol=0.01):
        return False, "the area of a disc of radius r is π r²."
    if close(value, reference * np.sqrt(1.5), rtol=0.01):
        return False, "that is the droplet at the preset's filling 0.485; the exercise asks for f = 0.49."
    if close(value, reference / np.sqrt(2), rtol=0.01) or close(value, reference * np.sqrt(2), rtol=0.01):
        return False, ("count the holes again: the lower Hund band holds one electron per site, so the holes "
                       "are N - N_e, with N_e = 2Nf.")
    if value <= 0:
        return False, "a radius is positive."
    return False, ("the droplet holds all N - N_e holes at the FM hole density h_FM(μ_train) "
                   "(spinlab.phase_separation.fm_hole_density): π r² h_FM = N - N_e, with N_e = 2Nf at f = 0.49.")


@functools.lru_cache(maxsize=1)
def _droplet_bonds() -> dict:
    """Bond counts of the FM disc of exercise 3: both ends inside, both outside, across the edge."""
    from ..lattice import SquareLattice
    from ..phase_separation import bond_correlations, fm_droplet

    lattice = SquareLattice(DROPLET["L"])
    spins = fm_droplet(lattice, DROPLET["radius"])
    bonds, correlation = bond_correlations(lattice, spins)
    # the disc as fm_droplet draws it: sites within the radius of the middle site
    offsets = lattice.coords - np.array([lattice.L1, lattice.L2]) // 2
    inside = np.hypot(*lattice.offset_vector(offsets).T) <= DROPLET["radius"] + 1e-9
    both_in, both_out = inside[bonds].all(axis=1), ~inside[bonds].any(axis=1)
    edge = ~both_in & ~both_out
    return {"n": len(bonds), "in": int(both_in.sum()), "out": int(both_out.sum()), "edge": int(edge.sum()),
            "edge_sum": float(correlation[edge].sum()), "sites_in": int(inside.sum()), "sites": lattice.n_sites,
            "correlation": float(correlation.mean()), "fm_fraction": float(np.mean(correlation > 0))}


@exercise("droplet-correlation", "a number: the mean S_i·S_j over nearest-neighbour bonds")
def check_droplet_correlation(answer):
    """Exercise 3: the NN correlation of fm_droplet(SquareLattice(100), 16.5), by bond counting."""
    value = number(answer)
    b = _droplet_bonds()
    reference = b["correlation"]
    if close(value, reference, rtol=0, atol=2e-4):
        return True, ("the bulk terms give -1 + 2 n_disc/N; the bonds across the edge add a little, as the Néel "
                      "sites around the disc are up on one sublattice. A texture with the same NN correlation "
                      "can be one disc or many small clusters: the count and size of the clusters tell them apart.")
    continuum = -1 + 2 * np.pi * DROPLET["radius"] ** 2 / b["sites"]
    if close(value, continuum, rtol=0, atol=2e-4):
        return False, ("close: on the lattice the disc holds a whole number of sites, not π r². Count them, and "
                       "the bonds across the edge with their signs.")
    if close(value, (b["in"] - b["out"]) / b["n"], rtol=0, atol=2e-4):
        return False, ("close: the bonds that cross the droplet's edge join an up spin to a Néel site, which is up "
                       "on one sublattice and down on the other. Count them and their signs.")
    if close(value, (b["in"] - b["out"] - b["edge"]) / b["n"], rtol=0, atol=2e-4):
        return False, "not every bond across the edge is antiferromagnetic: a Néel site next to the disc may be up."
    if close(value, (b["in"] - b["out"] + b["edge"]) / b["n"], rtol=0, atol=2e-4):
        return False, "not every bond across the edge is ferromagnetic: a Néel site next to the disc may be down."
    if close(value, b["fm_fraction"], rtol=0, atol=2e-4):
        return False, "that is the fraction of FM bonds; the NN correlation is the mean of S_i·S_j (+1 or -1 here)."
    if close(value, -1 + b["sites_in"] / b["sites"], rtol=0, atol=2e-3):
        return False, "a square lattice has two bonds per site: 2N bonds in all."
    if value < -1 or value > 1:
        return False, "a mean of products of unit vectors lies between -1 and 1."
    return False, ("count the bonds with both ends in the disc (+1), both outside (-1) and across its edge (the "
                   "sign of the outer Néel spin), over all 2N bonds; check with fm_droplet and "
                   "nearest_neighbor_correlation.")


def _grand_potentials(n_k: int = 400):
    """Ω_FM(μ) and Ω_AF(μ) per site at T = 0: the FM majority band ε_k - J and the Néel lower band."""
    J, band = DOUBLE_EXCHANGE["J"], _band(n_k)
    fm = lambda mu: float(np.mean(np.minimum(band - J - mu, 0.0)))
    af = lambda mu: float(np.mean(np.minimum(-np.sqrt(J**2 + band**2) - mu, 0.0)))
    return fm, af


@functools.lru_cache(maxsize=1)
def _coexistence() -> float:
    from scipy.optimize import brentq

    fm, af = _grand_potentials()
    return float(brentq(lambda mu: fm(mu) - af(mu), -DOUBLE_EXCHANGE["J"], -2.0))


@exercise("coexistence-mu", "a number: the chemical potential μ_c, in units of t")
def check_coexistence_mu(answer):
    """Exercise 4: μ_c with Ω_FM(μ_c) = Ω_AF(μ_c) at T = 0 (uniform FM and Néel, J = 6, t = 1)."""
    from scipy.optimize import brentq

    from ..phase_separation import fm_hole_density

    value = number(answer)
    reference = _coexistence()
    J = DOUBLE_EXCHANGE["J"]
    if abs(value - reference) <= 0.01:
        return True, ("at μ_c an FM region and a Néel region have the same grand potential, so a canonical "
                      "system between the two densities splits into both. μ_train lies a little above μ_c but "
                      "within its own spread: a fixed μ that uncertain does not decide which phase should "
                      "grow; in the real magnet the number of holes does.")
    if abs(value - DROPLET["mu"]) <= 0.005:
        return False, "that is μ_train, the model's implicit μ; derive μ_c from the two grand potentials."
    if abs(value + J) <= 0.01 or abs(value + np.sqrt(J**2 + 16)) <= 0.01:
        return False, ("that is an edge of the Néel lower band. At μ_c the grand potentials Ω = E - μN of the "
                       "two states are equal; their densities are not.")
    uniform = brentq(lambda mu: fm_hole_density(mu, J) - (1 - 2 * DOUBLE_EXCHANGE["filling"]), -10.0, -2.0)
    if abs(value - uniform) <= 0.02:
        return False, ("that is the μ of a uniform ferromagnet holding 3 % holes: the state that phase separation "
                       "replaces. Compare grand potentials at the same μ instead.")
    fm, af = _grand_potentials()
    half = brentq(lambda mu: fm(mu) - 0.5 * af(mu), -10.0, -2.1)
    if abs(value - half) <= 0.02:
        return False, ("the Néel lower band holds one electron per site, both spin species together: "
                       "-sqrt(J² + ε_k²) over the whole Brillouin zone, not half of it.")
    if value > -2 or value < -10:
        return False, "μ_c lies inside the FM majority band, between its bottom -4 - J and its top 4 - J."
    return False, ("write Ω(μ) = Σ_{ε<μ} (ε - μ) per site for the FM majority band ε_k - J and for the Néel "
                   "lower band -sqrt(J² + ε_k²), and find where they cross (e.g. scipy.optimize.brentq on a "
                   "400 x 400 k-grid).")


EXERCISES = exercises_of(__name__)
