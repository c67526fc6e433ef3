"""Worked solutions for chapter 10, *Double exchange: arrested phase separation* (for teachers).

Each function returns the answer that the chapter's check accepts and verifies it numerically
with spinlab.  ``MISTAKES`` lists typical wrong answers.
"""

import numpy as np
from scipy.optimize import brentq

from spinlab.electrons import SDModel
from spinlab.lattice import SquareLattice
from spinlab.observables import nearest_neighbor_correlation
from spinlab.phase_separation import bond_correlations, fm_droplet, fm_hole_density
from spinlab.presets import get_preset
from spinlab.spins import neel

J, MU_TRAIN, L = 6.0, -4.52, 100


def _band(n_k=400):
    k = 2 * np.pi * np.arange(n_k) / n_k
    return (-2 * (np.cos(k)[:, None] + np.cos(k)[None, :])).ravel()


def neel_band_width():
    r"""Exercise 1: the width of the lower Hund band of the Néel state, :math:`\sqrt{J^2 + 16t^2} - J`.

    In the Néel state a spin-up electron sees the on-site energy :math:`-J` on sublattice A (spins
    up) and :math:`+J` on sublattice B, spin down the reverse; the hopping t joins the two
    sublattices and conserves the electron's spin.  Per spin species and momentum of the magnetic
    Brillouin zone this is the 2 x 2 problem :math:`\begin{pmatrix}-J & \varepsilon_k\\ \varepsilon_k & J\end{pmatrix}`,
    with :math:`\varepsilon_k = -2t(\cos k_x + \cos k_y)`, so the bands are
    :math:`\pm\sqrt{J^2 + \varepsilon_k^2}`.  The lower band runs from :math:`-\sqrt{J^2 + 16}` at
    :math:`|\varepsilon_k| = 4` to :math:`-J` at :math:`\varepsilon_k = 0`: width
    :math:`\sqrt{52} - 6 = 1.2111\,t` at J = 6, against 8t for the ferromagnet's band
    :math:`\varepsilon_k - J`.  The second-order estimate :math:`\varepsilon_k^2/(2J)` gives 4/3:
    a hole in the Néel background hops only virtually, through the upper band, with an
    amplitude of order :math:`t^2/J`.  Checked: ED of the Néel state on 8 x 8 (both spin
    species, 128 levels) has its lowest 64 levels exactly in :math:`[-\sqrt{52}, -6]`, touching both ends.
    """
    width = np.sqrt(J**2 + 16) - J
    lattice = SquareLattice(8)
    levels = np.linalg.eigvalsh(SDModel.from_preset("double-exchange", 8).hamiltonian(neel(lattice)))
    lower = levels[: lattice.n_sites]
    assert np.isclose(lower.min(), -np.sqrt(J**2 + 16)) and np.isclose(lower.max(), -J)
    assert levels[lattice.n_sites] > J - 1e-9  # the gap 2J to the upper band
    assert np.isclose(lower.max() - lower.min(), width)
    return float(width)


def droplet_radius():
    r"""Exercise 2: the radius of one FM droplet holding all holes of the 100 x 100 lattice at f = 0.49.

    :math:`N_e = 2Nf = 9800` and the lower Hund band holds one electron per site, so there are
    :math:`N - N_e = 200` holes (300 at the preset's 0.485).  An FM region at
    :math:`\mu_\mathrm{train} = -4.52` fills its majority band :math:`\varepsilon_k - J` up to μ: it holds
    :math:`h_\mathrm{FM} = 0.2449` holes per site (the fraction of :math:`\varepsilon_k > \mu + J = 1.48`;
    ``fm_hole_density(-4.52, 6.0)``, 0.24488 on the 400 x 400 grid), whatever the filling: μ, not the
    filling, sets the density of each phase.  The Néel region at this μ holds none (its lower band
    ends at -6, exercise 1).  So :math:`\pi r^2 h_\mathrm{FM} = 200` and
    :math:`r = \sqrt{200/(\pi\cdot 0.2449)} = 16.12`, against 19.75 at 3 % holes: r scales like the
    square root of the hole count.  Checked: a 1000 x 1000 k-grid changes r by 0.03 %, and the lattice
    sites within r hold :math:`805\,h_\mathrm{FM} = 197` holes (the disc's area on the lattice).
    """
    holes = L * L - int(round(2 * L * L * 0.49))
    assert holes == 200
    h = fm_hole_density(MU_TRAIN, J)
    r = np.sqrt(holes / (np.pi * h))
    assert abs(np.sqrt(holes / (np.pi * fm_hole_density(MU_TRAIN, J, n_k=1000))) / r - 1) < 1e-3
    at_preset = np.sqrt((L * L - get_preset("double-exchange").n_electrons(L)) / (np.pi * h))
    assert np.isclose(at_preset / r, np.sqrt(1.5))
    grid = np.arange(-L // 2, L // 2)
    inside = int(np.sum(np.hypot(*np.meshgrid(grid, grid)) <= r))  # the lattice sites of the disc
    assert inside == 805 and abs(inside * h - holes) < 5, inside * h
    return float(r)


def droplet_correlation():
    r"""Exercise 3: the NN correlation of an FM disc of radius 16.5 in a Néel sea on 100 x 100.

    The torus has 2N = 20000 bonds.  The disc holds 861 sites; counting bonds: 1656 with both
    ends inside (+1 each), 18212 with both ends outside (Néel, -1 each) and 132 across the edge.
    An edge bond joins an up spin inside to a Néel site outside, which is up on one sublattice and
    down on the other: 72 of them are FM (+1) and 60 AF (-1).  So

    .. math:: \langle S_i\cdot S_j\rangle = (1656 - 18212 + 72 - 60)/20000 = -16544/20000 = -0.8272 .

    The bulk estimate :math:`-1 + 2\cdot861/N = -0.8278` misses the edge bonds' net +12; the
    continuum :math:`-1 + 2\pi r^2/N = -0.8289` also the disc's lattice area.
    :func:`~spinlab.observables.nearest_neighbor_correlation` of ``fm_droplet`` gives -0.8272 exactly,
    and the fraction of FM bonds is 0.0864.
    """
    lattice = SquareLattice(L)
    r = 16.5
    spins = fm_droplet(lattice, r)
    bonds, correlation = bond_correlations(lattice, spins)
    offsets = lattice.coords - L // 2  # from the middle site, where fm_droplet centres the disc
    inside = np.hypot(*lattice.offset_vector(offsets).T) <= r + 1e-9
    both_in, both_out = inside[bonds].all(axis=1), ~inside[bonds].any(axis=1)
    edge = ~both_in & ~both_out
    assert (inside.sum(), both_in.sum(), both_out.sum(), edge.sum()) == (861, 1656, 18212, 132)
    assert (correlation[edge] > 0).sum() == 72
    counted = (both_in.sum() - both_out.sum() + correlation[edge].sum()) / len(bonds)
    value = nearest_neighbor_correlation(lattice, spins)
    assert np.isclose(counted, value) and np.isclose(value, -0.8272)
    return float(value)


def coexistence_mu():
    r"""Exercise 4: the chemical potential at which a uniform FM and the Néel state coexist (T = 0).

    At fixed μ each state's grand potential per site is :math:`\Omega(\mu) = \frac1N\sum_{\varepsilon<\mu}
    (\varepsilon - \mu)`: for the FM its majority band :math:`\varepsilon_k - J` (the minority band, 2J
    higher, stays empty), for the Néel state its lower band :math:`-\sqrt{J^2 + \varepsilon_k^2}` over the
    whole Brillouin zone (N levels, both spin species: exercise 1).  For μ above -6 the Néel band is
    full, :math:`\Omega_\mathrm{AF} = \langle -\sqrt{J^2+\varepsilon_k^2}\rangle - \mu = -6.3152 - \mu`,
    while the FM keeps gaining as μ falls into its band.  The two cross at
    :math:`\mu_c = -4.6337` (brentq on a 400 x 400 grid; -4.63367 on 1000 x 1000 and 2000 x 2000 too).
    Below :math:`\mu_c` the FM wins, above it the Néel state.  A canonical system whose hole density lies
    between the two phases' (0 in the Néel state, :math:`h_\mathrm{FM}(\mu_c) = 0.259` in the FM) splits
    into both at :math:`\mu = \mu_c` (up to the interfaces).  :math:`\mu_\mathrm{train} = -4.52` is 0.11
    above :math:`\mu_c`: there the Néel state is lower by about 0.03 t per site, but at
    :math:`\mu_\mathrm{train} - 0.21` the FM is lower by as much.  The spread of the model's implicit μ
    covers both signs, so a fixed μ does not decide which phase grows; in the canonical magnet the
    number of holes does (the chapter's droplet, evolved by the model, grows).  Checked: the
    difference of the two potentials changes sign at :math:`\mu_c`, its slope there is the difference of the densities, :math:`h_\mathrm{FM}(\mu_c)`
    (:math:`d\Omega/d\mu = -n`), and ED of a uniform FM and of the Néel state on the 16 x 16 training
    lattice gives a crossing at -4.635.
    """
    band = _band()
    fm = lambda mu: np.mean(np.minimum(band - J - mu, 0.0))
    af = lambda mu: np.mean(np.minimum(-np.sqrt(J**2 + band**2) - mu, 0.0))
    mu_c = brentq(lambda mu: fm(mu) - af(mu), -6.0, -2.0)
    for n_k in (1000, 2000):
        b = _band(n_k)
        other = brentq(lambda mu: np.mean(np.minimum(b - J - mu, 0.0))
                       - np.mean(np.minimum(-np.sqrt(J**2 + b**2) - mu, 0.0)), -6.0, -2.0)
        assert abs(other - mu_c) < 1e-3
    eps = 1e-4
    slope = (fm(mu_c + eps) - af(mu_c + eps) - fm(mu_c - eps) + af(mu_c - eps)) / (2 * eps)
    assert abs(slope - fm_hole_density(mu_c, J)) < 1e-2, slope  # dΩ_FM/dμ = -(1 - h), dΩ_AF/dμ = -1
    assert fm(MU_TRAIN) > af(MU_TRAIN) and fm(MU_TRAIN - 0.21) < af(MU_TRAIN - 0.21)
    # ED of the two uniform states on the 16 x 16 training lattice: their grand potentials cross there too
    lattice = SquareLattice(16)
    model = SDModel.from_preset("double-exchange", 16)
    up = np.tile([0.0, 0.0, 1.0], (lattice.n_sites, 1))
    levels = {name: np.linalg.eigvalsh(model.hamiltonian(s)) for name, s in (("fm", up), ("af", neel(lattice)))}
    omega = lambda name, mu: np.sum(np.minimum(levels[name] - mu, 0.0)) / lattice.n_sites
    assert abs(brentq(lambda mu: omega("fm", mu) - omega("af", mu), -6.0, -3.0) - mu_c) < 0.01
    return float(mu_c)


SOLUTIONS = {"neel-band-width": neel_band_width, "droplet-radius": droplet_radius,
             "droplet-correlation": droplet_correlation, "coexistence-mu": coexistence_mu}

MISTAKES = {
    "neel-band-width": [0.0, 8.0, 4 / 3, 12.0, 7.2111],
    "droplet-radius": [32.25, 7.979, 56.42, 28.58, 11.40, 19.75],
    "droplet-correlation": [-0.8278, -0.8289, -0.8344, -0.8212, 0.0864, -0.9139],
    "coexistence-mu": [-4.52, -6.0, -2.3675, 4.6337],
}

