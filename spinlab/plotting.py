"""Matplotlib drawings of spin textures, fields and spectra, shared by the notebooks."""

from __future__ import annotations

import numpy as np

__all__ = ["draw_spins", "draw_site_values", "draw_spectrum"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def draw_spins(lattice, spins, ax=None, *, vectors=None, color=None, cmap="coolwarm", scale=None,
               clim=(-1.0, 1.0), colorbar_label="$S^z$"):
    """Arrows of the in-plane components of ``vectors`` (default: the spins) on the lattice.

    Sites are coloured by ``color`` (default: the z component of the spins).
    Returns the scatter artist, for a colorbar.
    """
    ax = _axes(ax)
    v = np.asarray(spins if vectors is None else vectors)
    c = np.asarray(spins)[:, 2] if color is None else np.asarray(color)
    x, y = lattice.positions.T
    art = ax.scatter(x, y, c=c, cmap=cmap, vmin=clim[0], vmax=clim[1], s=max(4, 2400 / lattice.n_sites),
                     edgecolors="none", zorder=1)
    norm = np.max(np.linalg.norm(v[:, :2], axis=1)) if scale is None else scale
    ax.quiver(x, y, v[:, 0], v[:, 1], angles="xy", scale_units="xy", scale=max(norm, 1e-300) / 0.8,
              pivot="middle", width=0.004, zorder=2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if colorbar_label:
        ax.figure.colorbar(art, ax=ax, shrink=0.8, label=colorbar_label)
    return art


def draw_site_values(lattice, values, ax=None, *, cmap="viridis", clim=None, label=None):
    """Sites coloured by a scalar per site."""
    ax = _axes(ax)
    x, y = lattice.positions.T
    clim = (np.min(values), np.max(values)) if clim is None else clim
    art = ax.scatter(x, y, c=values, cmap=cmap, vmin=clim[0], vmax=clim[1], s=max(4, 2400 / lattice.n_sites),
                     edgecolors="none")
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if label:
        ax.figure.colorbar(art, ax=ax, shrink=0.8, label=label)
    return art


def draw_spectrum(eigenvalues, mu, ax=None, *, bins=60):
    """Histogram of single-particle levels (density of states) with the Fermi level."""
    ax = _axes(ax)
    ax.hist(eigenvalues, bins=bins, color="0.5")
    ax.axvline(mu, color="C3", lw=1.5, label=r"$\mu$")
    ax.set_xlabel(r"$\varepsilon$ [t]")
    ax.set_ylabel("levels")
    ax.legend(loc="upper right", frameon=False)
    return ax
