"""NEGF field of the driven 32 x 24 strip: closed form against recursive Green's functions, on one core.

For Néel, FM and mixed (Néel | FM) states with small random tilts (so that transverse fields exist),
prints the seconds per field of the closed form (one 1536 x 1536 non-Hermitian eigendecomposition)
and of the fast path at several accuracy settings (Gauss-Legendre points per contour panel, bias-window
tolerance), the energy points used, and the largest transverse-field difference to the closed form.
Target: one field in at most 1 s, or at least 5x faster than the closed form, within 1e-6.
Runtime: about a minute.
"""

import time

import numpy as np
from _timing import header, load_line, one_thread

from spinlab.electrons import NEGFModel
from spinlab.lattice import Strip
from spinlab.spins import ferromagnet, neel, transverse

#: (points per panel, window tolerance): coarse, the default, fine
SETTINGS = [(4, 1e-3), (6, 1e-4), (8, 1e-5)]
TILT = 0.05


def states(lattice, seed=0):
    rng = np.random.default_rng(seed)
    mixed = neel(lattice)
    mixed[lattice.coords[:, 0] >= lattice.Lx // 2] = [0.0, 0.0, 1.0]
    for name, spins in (("Néel", neel(lattice)), ("FM", ferromagnet(lattice)), ("Néel|FM", mixed)):
        s = spins + TILT * rng.standard_normal(spins.shape)
        yield name, s / np.linalg.norm(s, axis=1, keepdims=True)


def timed(model, spins):
    t0 = time.perf_counter()
    state = model.solve(spins)
    return time.perf_counter() - t0, state


def main():
    header("NEGF field, 32 x 24 strip, default bias (mu_L = -3.6, mu_R = -3.28, T = 0.01), one core")
    print(f"# {load_line()}")
    lattice = Strip(32, 24)
    print(f"{'state':>8} {'method':>12} {'n/panel':>7} {'w_tol':>7} {'points':>6} {'seconds':>8} {'speed-up':>8} "
          f"{'max |dH_perp|':>13}")
    with one_thread():
        NEGFModel(Strip(4, 4)).solve(neel(Strip(4, 4)))  # warm-up
        for name, spins in states(lattice):
            t_exact, exact = timed(NEGFModel(lattice, method="closed-form"), spins)
            reference = transverse(spins, exact.field)
            print(f"{name:>8} {'closed-form':>12} {'':>7} {'':>7} {'':>6} {t_exact:>8.2f} {1:>8.1f} {'':>13}")
            for n, tol in SETTINGS:
                seconds, state = timed(NEGFModel(lattice, points_per_panel=n, window_tol=tol), spins)
                error = np.abs(transverse(spins, state.field) - reference).max()
                print(f"{name:>8} {'rgf':>12} {n:>7} {tol:>7.0e} {state.energy_points:>6} {seconds:>8.2f} "
                      f"{t_exact / seconds:>8.1f} {error:>13.2e}", flush=True)


if __name__ == "__main__":
    main()
