"""Matplotlib drawings of spin textures, fields and spectra, shared by the notebooks."""

from __future__ import annotations

import numpy as np

__all__ = ["draw_spins", "draw_site_values", "draw_spectrum", "draw_structure_factor", "draw_parity",
           "draw_loss_curves", "draw_neighborhood", "overview_figure", "draw_triangle_values", "html_table"]


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


def draw_site_values(lattice, values, ax=None, *, cmap="viridis", clim=None, label=None, size=None):
    """Sites coloured by a scalar per site; ``size`` is the marker area (default: scaled to the lattice)."""
    ax = _axes(ax)
    x, y = lattice.positions.T
    clim = (np.min(values), np.max(values)) if clim is None else clim
    size = max(4, 2400 / lattice.n_sites) if size is None else size
    art = ax.scatter(x, y, c=values, cmap=cmap, vmin=clim[0], vmax=clim[1], s=size, edgecolors="none")
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


def _wigner_seitz(v1, v2) -> np.ndarray:
    """Corners (M, 2) of the Wigner-Seitz cell of the 2D lattice spanned by v1, v2, counter-clockwise."""
    from scipy.spatial import Voronoi

    n = np.arange(-2, 3)
    n1, n2 = np.meshgrid(n, n)
    points = np.outer(n1.ravel(), v1) + np.outer(n2.ravel(), v2)
    vor = Voronoi(points)
    origin = int(np.flatnonzero((n1.ravel() == 0) & (n2.ravel() == 0))[0])
    corners = vor.vertices[vor.regions[vor.point_region[origin]]]
    return corners[np.argsort(np.arctan2(corners[:, 1], corners[:, 0]))]


def draw_structure_factor(lattice, sq, ax=None, *, extent=1.3, cmap="magma", clim=None, labels=True,
                          colorbar_label=r"$S(\mathbf{q})$"):
    r"""Structure factor S(q) on the q-grid, drawn in Cartesian q in the extended zone.

    Every point of :attr:`~spinlab.lattice.Lattice.q_grid` is repeated at its images
    q + G (G a reciprocal-lattice vector) and drawn as a tile of the q-grid (the
    Wigner-Seitz cell of the grid spacing b1/L1, b2/L2) coloured by S(q), so that
    peaks on the zone boundary (K, M) appear at all their equivalent corners and
    edges.  The first Brillouin zone is outlined and the high-symmetry points are
    labelled.

    Parameters
    ----------
    lattice : Lattice
        A lattice periodic in both directions.
    sq : (N,) array
        Values on ``lattice.q_grid``, e.g. from
        :func:`spinlab.observables.structure_factor`.
    ax : matplotlib Axes, optional
        Default: the current axes.
    extent : float
        Half-width of the drawn window in units of the zone's circumradius
        (|K| on the triangular lattice, |M| on the square lattice).
    cmap : str or Colormap
    clim : (float, float), optional
        Colour limits; default ``(0, max(sq))``.
    labels : bool
        Mark and name the high-symmetry points of the first zone.
    colorbar_label : str or None
        Label of a colorbar added next to ``ax``; ``None`` or ``""`` adds none.

    Returns
    -------
    matplotlib.collections.PolyCollection
        The tiles, for a shared colorbar.

    Examples
    --------
    >>> from spinlab.lattice import TriangularLattice
    >>> from spinlab.observables import structure_factor
    >>> from spinlab.spins import three_sublattice
    >>> lat = TriangularLattice(6)
    >>> art = draw_structure_factor(lat, structure_factor(lat, three_sublattice(lat)))
    """
    from matplotlib import patheffects
    from matplotlib.collections import PolyCollection

    ax = _axes(ax)
    q = lattice.q_grid
    sq = np.asarray(sq, dtype=float)
    if sq.shape != (len(q),):
        raise ValueError(f"sq must have shape ({len(q)},), one value per q-grid point, got {sq.shape}")
    b1, b2 = lattice.reciprocal_vectors
    zone = _wigner_seitz(b1, b2)
    radius = extent * np.max(np.hypot(*zone.T))
    n = np.arange(-3, 4)
    shifts = (n[:, None, None] * b1 + n[None, :, None] * b2).reshape(-1, 2)
    images = (q[None, :, :] + shifts[:, None, :]).reshape(-1, 2)
    values = np.tile(sq, len(shifts))
    tile = _wigner_seitz(b1 / lattice.L1, b2 / lattice.L2)
    keep = np.all(np.abs(images) <= radius + np.max(np.abs(tile)), axis=1)
    clim = (0.0, max(float(sq.max()), 1e-300)) if clim is None else clim
    art = PolyCollection(images[keep, None, :] + tile[None, :, :], array=values[keep], cmap=cmap,
                         edgecolors="face", linewidths=0.2)
    art.set_clim(*clim)
    ax.add_collection(art)
    closed = np.vstack([zone, zone[:1]])
    ax.plot(closed[:, 0], closed[:, 1], color="0.85", lw=1.0, ls="--")
    if labels:
        outline = [patheffects.withStroke(linewidth=2.5, foreground="black")]
        for name, point in lattice.high_symmetry_points.items():
            ax.plot(*point, "o", ms=3, color="white", mec="black", mew=0.5)
            r = np.hypot(*point)
            # outward, clear of the point's own tile
            offset = (0.06 * radius + np.max(np.hypot(*tile.T))) * (point / r if r > 0 else np.array([0.0, -1.0]))
            ax.text(*(point + offset), name, color="white", ha="center", va="center", fontsize=9,
                    path_effects=outline)
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$q_x$ [1/a]")
    ax.set_ylabel(r"$q_y$ [1/a]")
    if colorbar_label:
        ax.figure.colorbar(art, ax=ax, shrink=0.8, label=colorbar_label)
    return art


def draw_parity(reference, predicted, ax=None, label=None, **scatter_kwargs):
    r"""Parity plot: predicted against reference values, with the diagonal y = x.

    The legend entry gives the coefficient of determination and the relative error,

    .. math:: R^2 = 1 - \frac{\sum (p - r)^2}{\sum (r - \bar r)^2}, \qquad
              \frac{\mathrm{RMSE}}{\sigma} = \frac{\sqrt{\langle (p - r)^2\rangle}}{\mathrm{std}(r)},

    the same normalization as :func:`spinlab.bp.field_errors`.  Several calls on one
    axes (e.g. fields and torques) share one diagonal, which spans all their data.

    Parameters
    ----------
    reference, predicted : array_like
        Values of the same shape, e.g. fields (N, 3) or (B, N, 3); all components
        are flattened into one cloud.
    ax : matplotlib Axes, optional
        Default: the current axes.
    label : str, optional
        Name of the quantity, put before the scores in the legend.
    **scatter_kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (e.g. ``color``, ``s``).

    Returns
    -------
    dict
        ``{"r2": float, "relative_rmse": float}``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> fig, ax = plt.subplots()
    >>> r = np.linspace(-1, 1, 50)
    >>> scores = draw_parity(r, r + 0.01 * np.sin(7 * r), ax, label="field")
    >>> round(scores["r2"], 4)
    0.9999
    """
    ax = _axes(ax)
    r = np.asarray(reference, dtype=float).ravel()
    p = np.asarray(predicted, dtype=float).ravel()
    if r.shape != p.shape:
        raise ValueError(f"reference and predicted differ in size: {r.size} and {p.size}")
    mse = float(np.mean((p - r) ** 2))
    variance = float(r.var())
    r2 = 1.0 - mse / variance if variance > 0 else float("nan")
    relative = np.sqrt(mse) / np.sqrt(variance) if variance > 0 else float("nan")
    text = f"$R^2$ = {r2:.5f}, RMSE/σ = {relative:.2g}"
    options = dict(s=6, alpha=0.5, edgecolors="none", rasterized=True)
    options.update(scatter_kwargs)
    ax.scatter(r, p, label=f"{label}: {text}" if label else text, **options)
    # one diagonal per axes, stretched over everything drawn so far
    low = min(r.min(), p.min(), *(line.get_xdata()[0] for line in ax.lines if line.get_gid() == "parity-diagonal"))
    high = max(r.max(), p.max(), *(line.get_xdata()[1] for line in ax.lines if line.get_gid() == "parity-diagonal"))
    for line in [line for line in ax.lines if line.get_gid() == "parity-diagonal"]:
        line.remove()
    ax.plot([low, high], [low, high], color="0.3", lw=0.8, ls="--", zorder=0, gid="parity-diagonal",
            label="_nolegend_")
    ax.set_xlabel("reference")
    ax.set_ylabel("predicted")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", frameon=False, fontsize="small", markerscale=2)
    return {"r2": float(r2), "relative_rmse": float(relative)}


def draw_loss_curves(history, ax=None):
    """Training and validation loss per epoch on a log axis, the learning rate on a twin axis.

    Parameters
    ----------
    history : dict of lists
        ``train_loss``, ``validation_loss`` and ``learning_rate`` per epoch, e.g.
        :attr:`spinlab.bp.BPModel.history_`.
    ax : matplotlib Axes, optional
        Default: the current axes.

    Returns
    -------
    (Axes, Axes)
        The loss axes and the twin learning-rate axes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> history = {"train_loss": [1.0, 0.3, 0.1], "validation_loss": [1.2, 0.4, 0.2],
    ...            "learning_rate": [1e-2, 1e-2, 7.5e-3]}
    >>> ax, ax_lr = draw_loss_curves(history, ax)
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], color="C0", lw=1.5, label="training")
    ax.plot(epochs, history["validation_loss"], color="C1", lw=1.5, label="validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax_lr = ax.twinx()
    rate = np.asarray(history["learning_rate"], dtype=float)
    ax_lr.step(epochs, rate, where="post", color="0.5", lw=1.0, ls=":", label="learning rate")
    ax_lr.set_yscale("log")
    if len(rate) and np.all(rate > 0):
        ax_lr.set_ylim(rate.min() / 4, rate.max() * 4)  # at least a decade: a few decays are visible steps
    ax_lr.set_ylabel("learning rate", color="0.4")
    ax_lr.tick_params(axis="y", colors="0.4", which="both")
    ax_lr.yaxis.set_minor_formatter(plt.NullFormatter())
    lines = ax.get_lines() + ax_lr.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="lower left", frameon=False, fontsize="small")
    return ax, ax_lr




def _orbit_colors(n):
    """n distinct colours: tab10 for up to 10, then tab20's light shades, tab20b, tab20c (cycled beyond 60)."""
    import matplotlib

    tab20 = matplotlib.colormaps["tab20"].colors
    palette = list(tab20[0::2]) + list(tab20[1::2])
    palette += list(matplotlib.colormaps["tab20b"].colors) + list(matplotlib.colormaps["tab20c"].colors)
    return [palette[k % len(palette)] for k in range(n)]


def draw_neighborhood(descriptor, ax=None, orbits=None, *, legend=True, linewidth=2.0, max_legend=24):
    r"""A descriptor's neighbourhood (stencil) with its bond variables coloured by orbit.

    The sites of ``descriptor.stencil`` are dots (the centre black, the cutoff circle dashed);
    every pair (j, k) of the bond orbits is a segment from :math:`\mathbf r_j` to
    :math:`\mathbf r_k` in its orbit's colour.  A bond whose segment would run over another
    stencil site (e.g. a bond of length 2 along a row, on top of two nearest-neighbour bonds) is
    drawn as a shallow arc (bent towards the centre), so that it stays visible.

    Parameters
    ----------
    descriptor : spinlab.descriptors.Descriptor
        Any descriptor: its ``stencil`` and ``orbits`` are drawn.
    ax : matplotlib Axes, optional
        Default: the current axes.
    orbits : sequence of int, optional
        Indices into ``descriptor.orbits`` of the orbits to draw (default: all).  Colours belong
        to the orbit index, so panels that show different orbits of one descriptor match.
    legend : bool
        Add a legend, one entry per orbit with its size (number of bonds); with more than
        ``max_legend`` orbits drawn, one entry per size with the number of orbits instead.
    linewidth : float
    max_legend : int

    Returns
    -------
    list of matplotlib.lines.Line2D
        One handle per drawn orbit, labelled ``"o{k}: {size}"``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from spinlab.descriptors import SymmetricDescriptor
    >>> fig, ax = plt.subplots()
    >>> handles = draw_neighborhood(SymmetricDescriptor("triangular", 2.0), ax)
    >>> len(handles)
    14
    """
    from matplotlib.lines import Line2D

    ax = _axes(ax)
    v = np.asarray(descriptor.stencil.vectors, dtype=float)
    all_orbits = descriptor.orbits
    chosen = range(len(all_orbits)) if orbits is None else [int(k) for k in orbits]
    colors = _orbit_colors(len(all_orbits))
    t = np.linspace(0.0, 1.0, 25)[:, None]
    handles = []
    for k in chosen:
        orbit = all_orbits[k]
        for j, m in orbit.pairs:
            a, b = v[j], v[m]
            if j == m:  # the self-bond |S_j|^2: a ring around the site
                phi = np.linspace(0, 2 * np.pi, 60)
                ax.plot(a[0] + 0.2 * np.cos(phi), a[1] + 0.2 * np.sin(phi), color=colors[k], lw=linewidth, zorder=1)
                continue
            d = b - a
            length = np.hypot(*d)
            # other sites on the open segment a-b: bend the bond into an arc
            s = (v - a) @ d / length**2
            off = np.abs(d[0] * (v[:, 1] - a[1]) - d[1] * (v[:, 0] - a[0])) / length
            covered = np.any((off < 1e-6) & (s > 1e-6) & (s < 1 - 1e-6))
            if covered:
                normal = np.array([-d[1], d[0]])
                side = normal @ (a + b)
                if abs(side) > 1e-9:  # bulge towards the centre
                    normal = -np.sign(side) * normal
                elif np.hypot(*a) > np.hypot(*b):  # through the centre: bend to the left going outwards
                    normal = -normal
                control = (a + b) / 2 + 0.22 * normal
                curve = (1 - t) ** 2 * a + 2 * t * (1 - t) * control + t**2 * b
            else:
                curve = np.stack([a, b])
            ax.plot(curve[:, 0], curve[:, 1], color=colors[k], lw=linewidth, solid_capstyle="round", zorder=1)
        handles.append(Line2D([], [], color=colors[k], lw=linewidth, label=f"o{k}: {orbit.size}"))
    ax.scatter(v[1:, 0], v[1:, 1], s=40, c="white", edgecolors="0.2", linewidths=1.0, zorder=3)
    ax.scatter(v[:1, 0], v[:1, 1], s=70, c="black", zorder=3)
    radius = float(descriptor.cutoff)
    phi = np.linspace(0, 2 * np.pi, 200)
    ax.plot(radius * np.cos(phi), radius * np.sin(phi), color="0.6", lw=0.8, ls="--", zorder=0)
    ax.set_aspect("equal")
    pad = 0.25 + 0.25 * radius
    ax.set_xlim(-radius - pad, radius + pad)
    ax.set_ylim(-radius - pad, radius + pad)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if legend and handles:
        if len(handles) <= max_legend:
            ax.legend(handles=handles, title="orbit: bonds", loc="center left", bbox_to_anchor=(1.0, 0.5),
                      frameon=False, fontsize="small", ncol=1 + (len(handles) - 1) // 16)
        else:
            sizes = [all_orbits[k].size for k in chosen]
            counts = {n: sizes.count(n) for n in sorted(set(sizes))}
            summary = [Line2D([], [], color="0.4", lw=linewidth, label=f"{n} bonds: {c} orbit{'s' if c > 1 else ''}")
                       for n, c in counts.items()]
            ax.legend(handles=summary, title=f"{len(sizes)} orbits", loc="center left", bbox_to_anchor=(1.0, 0.5),
                      frameon=False, fontsize="small")
    return handles


def overview_figure(coarsening_file):
    """The README's picture: an ED exchange field, and chiral domains grown with the ML force field.

    Left: spins of a disordered tetrahedral state on 12x12 (J = 3, f = 1/4) with the
    transverse part of their ED exchange field.  Right: the scalar chirality of the
    up triangles at the latest stored time of a 96x96 quench (``spinlab reproduce
    coarsening``, file ``coarsening_file``).
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    from .electrons import SDModel
    from .lattice import TriangularLattice
    from .observables import TETRAHEDRAL_CHIRALITY
    from .spins import random_spins, tetrahedral, transverse
    from .trajectory import load_npz

    lattice = TriangularLattice(12)
    spins = tetrahedral(lattice) + 0.35 * random_spins(lattice.n_sites, 7)
    spins /= np.linalg.norm(spins, axis=1, keepdims=True)
    field = SDModel.from_preset("tetrahedral", 12).exchange_field(spins)
    torque_field = transverse(spins, field)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    draw_spins(lattice, spins, axes[0], vectors=torque_field, color=np.linalg.norm(torque_field, axis=1),
               cmap="magma", clim=(0, None), colorbar_label=r"$|\mathbf{H}_\perp|$ (ED)")
    axes[0].set_title("exchange field from exact diagonalization, 12×12")
    arrays, meta = load_npz(coarsening_file)
    chi = arrays["maps"][-1]
    big = TriangularLattice(int(round(np.sqrt(len(chi)))))
    draw_triangle_values(big, chi / TETRAHEDRAL_CHIRALITY, axes[1], clim=(-1, 1), wrap=True,
                         label=r"$\chi_\Delta / \chi_\mathrm{tetra}$")
    axes[1].set_title(f"chiral domains, ML force field, {big.L1}×{big.L2}, t = {arrays['map_times'][-1]:.0f} ħ/t")
    return fig


def draw_triangle_values(lattice, values, ax=None, *, cmap="RdBu_r", clim=None, label=None, wrap=False):
    r"""Elementary triangles of a triangular lattice filled with a colour per triangle, e.g. the scalar chirality.

    Parameters
    ----------
    lattice : TriangularLattice
    values : (2N,) or (N,) array
        One value per triangle, in the order of
        :meth:`~spinlab.lattice.TriangularLattice.triangles` (the N up triangles first), as
        returned by :func:`spinlab.observables.scalar_chirality`; or one value per up
        triangle only.  Then each value fills the unit cell r, r + a1, r + a1 + a2, r + a2 of
        its up triangle (the up triangle and the down triangle beside it), so that the map
        covers the plane without gaps.
    ax : matplotlib Axes, optional
        Default: the current axes.
    cmap : str or Colormap
        Default a diverging map, for signed values such as the chirality.
    clim : (float, float), optional
        Colour limits; default symmetric about zero, ``(-m, m)`` with m = max |value|.
    label : str, optional
        Label of a colorbar added next to ``ax``; none without it.
    wrap : bool
        Show a periodic lattice as the rectangle 0 ≤ x ≤ L1, 0 ≤ y ≤ L2 √3/2 instead of the
        sheared parallelogram spanned by L1 a1 and L2 a2: polygons are shifted by multiples
        of L1 a1 into the rectangle (a periodic image of the same configuration) and drawn
        once more one period to the left and right, and the view is cut to the rectangle.

    Returns
    -------
    matplotlib.collections.PolyCollection
        The filled polygons, for a shared colorbar.

    Examples
    --------
    >>> from spinlab.lattice import TriangularLattice
    >>> from spinlab.observables import scalar_chirality
    >>> from spinlab.spins import tetrahedral
    >>> lat = TriangularLattice(6)
    >>> art = draw_triangle_values(lat, scalar_chirality(lat, tetrahedral(lat)), label=r"$\chi_\Delta$")
    >>> len(art.get_paths())
    72
    """
    from matplotlib.collections import PolyCollection

    if lattice.kind != "triangular":
        raise ValueError("triangle values need a triangular lattice")
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    r, a1, a2 = lattice.positions, lattice.a1, lattice.a2
    if values.shape == (lattice.n_sites,):
        corners = np.stack([r, r + a1, r + a1 + a2, r + a2], axis=1)
    elif values.shape == (2 * lattice.n_sites,):
        up = np.stack([r, r + a1, r + a2], axis=1)
        down = np.stack([r + a1, r + a1 + a2, r + a2], axis=1)
        corners = np.concatenate([up, down])
    else:
        raise ValueError(f"values must have shape ({lattice.n_sites},) or ({2 * lattice.n_sites},), "
                         f"got {values.shape}")
    if clim is None:
        m = max(float(np.max(np.abs(values))), 1e-300)
        clim = (-m, m)
    if wrap:
        lattice._require_periodic()
        width = lattice.L1 * lattice.a1[0]
        corners = corners - np.floor(corners[:, :1, :1] / width) * np.array([width, 0.0])
        shifts = np.array([[0.0, 0.0], [-width, 0.0], [width, 0.0]])
        corners = (corners[None] + shifts[:, None, None, :]).reshape(-1, corners.shape[1], 2)
        values = np.tile(values, 3)
    # edges in the face colour close the anti-aliasing seams between neighbouring polygons
    art = PolyCollection(corners, array=values, cmap=cmap, edgecolors="face", linewidths=0.3)
    art.set_clim(*clim)
    ax.add_collection(art)
    if wrap:
        ax.set_xlim(0.0, width)
        ax.set_ylim(0.0, lattice.L2 * lattice.a2[1])
    else:
        ax.update_datalim(corners.reshape(-1, 2))
        ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if label:
        ax.figure.colorbar(art, ax=ax, shrink=0.8, label=label)
    return art


def html_table(header, rows):
    """A table as HTML, which renders the same in Jupyter and in the built book (a printed table does not).

    ``header`` is a sequence of column titles, ``rows`` a sequence of rows of the same
    length; cells are formatted with ``str``.  Returns an ``IPython.display.HTML`` object.
    """
    from IPython.display import HTML

    def cells(row, tag):
        return "".join(f"<{tag}>{c}</{tag}>" for c in row)

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return HTML(f"<table><thead><tr>{cells(header, 'th')}</tr></thead><tbody>{body}</tbody></table>")
