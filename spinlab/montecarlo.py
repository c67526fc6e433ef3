"""Metropolis Monte Carlo for the classical Heisenberg model: an independent route to thermal equilibrium.

Used to validate Langevin dynamics (both must give the same thermal averages)
and to draw thermal configurations.
"""

from __future__ import annotations

import numba
import numpy as np

from .heisenberg import HeisenbergModel
from .spins import as_spins

__all__ = ["metropolis"]


@numba.njit(cache=True)
def _sweeps(spins, neighbors, couplings, zeeman, anisotropy, axis, beta, width, n_sweeps, record_every,
            proposals, uniforms, energies):
    n_sites, z = neighbors.shape
    accepted = 0
    r = 0
    for sweep in range(n_sweeps):
        for i in range(n_sites):
            # local field from the other spins (the exchange part of -dE/dS_i)
            hx, hy, hz = zeeman[0], zeeman[1], zeeman[2]
            for k in range(z):
                j = neighbors[i, k]
                if j >= 0:
                    hx -= couplings[k] * spins[j, 0]
                    hy -= couplings[k] * spins[j, 1]
                    hz -= couplings[k] * spins[j, 2]
            # symmetric proposal: S + width * gaussian, renormalized
            nx = spins[i, 0] + width * proposals[sweep, i, 0]
            ny = spins[i, 1] + width * proposals[sweep, i, 1]
            nz = spins[i, 2] + width * proposals[sweep, i, 2]
            n = np.sqrt(nx * nx + ny * ny + nz * nz)
            nx, ny, nz = nx / n, ny / n, nz / n
            old_a = spins[i, 0] * axis[0] + spins[i, 1] * axis[1] + spins[i, 2] * axis[2]
            new_a = nx * axis[0] + ny * axis[1] + nz * axis[2]
            dE = -((nx - spins[i, 0]) * hx + (ny - spins[i, 1]) * hy + (nz - spins[i, 2]) * hz) \
                - anisotropy * (new_a * new_a - old_a * old_a)
            if dE <= 0.0 or uniforms[sweep, i] < np.exp(-beta * dE):
                spins[i, 0], spins[i, 1], spins[i, 2] = nx, ny, nz
                accepted += 1
        if (sweep + 1) % record_every == 0:
            e = 0.0
            for i in range(n_sites):
                a = spins[i, 0] * axis[0] + spins[i, 1] * axis[1] + spins[i, 2] * axis[2]
                e -= zeeman[0] * spins[i, 0] + zeeman[1] * spins[i, 1] + zeeman[2] * spins[i, 2]
                e -= anisotropy * a * a
                for k in range(z):
                    j = neighbors[i, k]
                    if j >= 0:
                        e += 0.5 * couplings[k] * (spins[i, 0] * spins[j, 0] + spins[i, 1] * spins[j, 1]
                                                   + spins[i, 2] * spins[j, 2])
            energies[r] = e
            r += 1
    return accepted


def metropolis(model: HeisenbergModel, spins, kT: float, n_sweeps: int, *, seed=None, width: float = 0.5,
               record_every: int = 1):
    """Single-spin Metropolis sweeps at temperature ``kT``.

    Parameters
    ----------
    model : HeisenbergModel
    spins : (N, 3) array
        Start configuration (not modified).
    kT : float
        Temperature (> 0).
    n_sweeps : int
        Each sweep visits every site once, in order (this satisfies balance).
    seed : int, Generator or None
    width : float
        Proposal S' = normalize(S + width * gaussian), symmetric in S and S'.
    record_every : int
        Record the total energy every this many sweeps.

    Returns
    -------
    spins : (N, 3) array
    energies : (n_sweeps // record_every,) array
    acceptance : float
        Accepted share of the proposals (NaN when ``n_sweeps`` is 0: nothing was proposed).
    """
    if not isinstance(model, HeisenbergModel):
        raise TypeError("metropolis needs a HeisenbergModel (local energy changes are computed in a kernel)")
    if not kT > 0:
        raise ValueError(f"kT must be positive, got {kT}")
    for name, value, least in (("n_sweeps", n_sweeps, 0), ("record_every", record_every, 1)):
        if int(value) != value or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    s = as_spins(spins, model.n_sites).copy()
    rng = np.random.default_rng(seed)
    neighbors, couplings = model.neighbor_table
    energies = np.empty(n_sweeps // record_every)
    accepted = 0
    # random numbers are drawn per chunk of sweeps (about 8 MB), a whole number of records each
    chunk = record_every * max(1, 2**18 // (model.n_sites * record_every))
    for done in range(0, n_sweeps, chunk):
        m = min(chunk, n_sweeps - done)
        proposals = rng.standard_normal((m, model.n_sites, 3))
        uniforms = rng.random((m, model.n_sites))
        start = done // record_every
        accepted += _sweeps(s, neighbors, couplings, model.field, model.anisotropy, model.axis, 1.0 / kT, width,
                            m, record_every, proposals, uniforms, energies[start:start + m // record_every])
    return s, energies, accepted / (n_sweeps * model.n_sites) if n_sweeps else float("nan")
