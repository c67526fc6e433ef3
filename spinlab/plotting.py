"""Matplotlib drawings of spin textures, fields and spectra, and what the book's chapters share.

The force-field chapters (120-degree and tetrahedral order) share the model card, the reference
snapshots and their parity figure, and the ED-vs-ML relaxation results (the end of this module).
"""

from __future__ import annotations

import numpy as np

__all__ = ["draw_spins", "draw_site_values", "draw_spectrum", "draw_structure_factor", "draw_parity",
           "draw_loss_curves", "draw_neighborhood", "overview_figure", "draw_triangle_values", "html_table",
           "model_card", "reference_snapshots", "parity_figure", "load_orders", "ideal_energy", "order_errors",
           "orders_figure", "orders_table"]


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

    the same normalization as :func:`spinlab.metrics.field_errors`.  Several calls on one
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
    from .io import load_npz

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


# ---------------------------------------------------------------------------------------------
# What the force-field chapters (120-degree and tetrahedral order) share: the model card, the
# reference snapshots and their parity figure, and the ED-vs-ML relaxation results.


def model_card(model):
    """A shipped model at a glance: the command that trained it, its network and held-out errors.

    Parameters
    ----------
    model : spinlab.bp.BPModel
        A model loaded with :func:`spinlab.models.load_shipped` (its ``metadata_`` holds the
        command and the training report).

    Returns
    -------
    IPython.display.HTML
        Two lines and a table with one row per held-out snapshot class: snapshots, field and
        torque RMSE/σ, torque R².
    """
    from IPython.display import HTML

    meta = getattr(model, "metadata_", {}) or {}
    report = meta.get("report", {}).get("held_out", {})
    rows = [[kind, r["snapshots"], f"{r['field_relative']:.4f}", f"{r['torque_relative']:.4f}",
             f"{r['torque_r2']:.4f}"] for kind, r in report.items()]
    table = html_table(["held-out class", "snapshots", "field RMSE/σ", "torque RMSE/σ", "torque R²"], rows)
    lines = (f"<p>command: <code>{meta.get('command', 'unknown')}</code><br>"
             f"descriptor: {model.descriptor}; hidden layers {model.hidden}, {model.activation}</p>")
    return HTML(lines + table.data)


def reference_snapshots(preset, model, *, fast=None, dataset=None, seed=5, relaxation_steps=1200,
                        n_relaxation=14, temperatures=(0.005, 0.01, 0.02), thermal_steps=200, n_random=3):
    """ED reference snapshots of the three classes a force field was trained on, to test it.

    In full mode (``fast=False``) and with an ED data set (``python -m spinlab generate``) at
    ``dataset``, its held-out part (:meth:`~spinlab.datasets.Dataset.split`).  Otherwise fresh
    snapshots, the same on every machine: states that the model itself visits, labelled with
    exact-diagonalization fields on the model's training lattice,

    * ``relaxation``: ``n_relaxation`` log-spaced states of one ML-driven damped relaxation
      from random spins (LL α = 1, Δt = 0.1, ``relaxation_steps`` steps);
    * ``thermal``: two states of ML-driven Langevin dynamics from the ideal order at each
      of ``temperatures`` (``thermal_steps`` steps);
    * ``random``: ``n_random`` random configurations.

    Parameters
    ----------
    preset : str
        A key of :data:`spinlab.presets.PRESETS`.
    model : spinlab.bp.BPModel
        The force field (trained on ``model.lattice_``).
    fast : bool, optional
        Default :func:`spinlab.fast_mode`.
    dataset : path, optional
        Folder of an ED data set of the preset.
    seed : int
        Of the relaxation's random start (with the default, the shipped tetrahedral model
        orders by t = 100, so the relaxation spans disorder and order); the thermal runs use
        ``seed + k``, the random states ``seed + 100 + k``.
    relaxation_steps, n_relaxation, temperatures, thermal_steps, n_random
        Sizes of the fresh classes.

    Returns
    -------
    spinlab.datasets.Dataset
        With ``kind`` in {"relaxation", "thermal", "random"}, ``times`` (of the relaxation) and
        the Fermi ``gaps`` of every snapshot.
    """
    import warnings
    from pathlib import Path

    from . import fast_mode
    from .datasets import Dataset, load_dataset
    from .dynamics import SemiImplicitMidpoint
    from .electrons import SDModel
    from .presets import get_preset
    from .spins import TEXTURES, random_spins
    from .trajectory import run

    fast = fast_mode() if fast is None else fast
    if not fast and dataset is not None and (Path(dataset) / "plan.json").exists():
        return load_dataset(dataset).split()[1]
    lattice = model.lattice_
    L = lattice.L1
    provider, ed = model.bind(lattice), SDModel.from_preset(preset, L)
    states, kinds, tasks, times = [], [], [], []
    trajectory = run(random_spins(lattice.n_sites, seed), provider, SemiImplicitMidpoint(0.1, 1.0), relaxation_steps,
                     record_every=10, progress=False)
    keep = np.unique(np.round(np.geomspace(1, len(trajectory), n_relaxation)).astype(int) - 1)
    for k in keep:
        states.append(trajectory.spins[k]), kinds.append("relaxation"), tasks.append("relaxation-ml")
        times.append(trajectory.times[k])
    ideal = TEXTURES[get_preset(preset).texture](lattice)
    for k, kT in enumerate(temperatures):
        trajectory = run(ideal, provider, SemiImplicitMidpoint(0.1, 1.0, kT=kT), thermal_steps,
                         record_every=thermal_steps // 2, seed=seed + k, progress=False)
        for s, t in zip(trajectory.spins[1:], trajectory.times[1:]):
            states.append(s), kinds.append("thermal"), tasks.append(f"thermal-{kT:g}"), times.append(t)
    for k in range(n_random):
        states.append(random_spins(lattice.n_sites, seed + 100 + k)), kinds.append("random")
        tasks.append("random"), times.append(0.0)
    with warnings.catch_warnings():  # nothing is degenerate here; keep the notebooks quiet if it ever is
        warnings.simplefilter("ignore")
        solved = [ed.solve(s) for s in states]
    return Dataset(np.stack(states), np.stack([r.field for r in solved]), np.array([r.energy for r in solved]),
                   np.array([r.gap for r in solved]), np.array(times), np.array(kinds), np.array(tasks),
                   {"preset": preset, "L": L})


def parity_figure(snapshots, model, *, title=None):
    """Field and torque parity of a force field against reference snapshots, one colour per class.

    Parameters
    ----------
    snapshots : spinlab.datasets.Dataset
        Reference spins and fields with a ``kind`` per snapshot
        (:func:`reference_snapshots`).
    model : spinlab.bp.BPModel
        Predicts on the snapshots' lattice; its training history, when stored, is drawn
        in a third, wide panel below the two parity panels.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    history = (getattr(model, "metadata_", {}) or {}).get("history")
    if history:  # 10.5 in wide: the book shows it unscaled
        fig, panels = plt.subplot_mosaic([[0, 1], [2, 2]], figsize=(10.5, 7.6), layout="constrained",
                                         height_ratios=[1.5, 1])
        axes = [panels[k] for k in range(3)]
    else:
        fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.8), layout="constrained")
    kinds = list(dict.fromkeys(snapshots.kind))
    width = {k: np.ptp(np.cross(snapshots.spins[snapshots.kind == k], snapshots.fields[snapshots.kind == k]))
             for k in kinds}
    for kind, color in zip(sorted(kinds, key=lambda k: -width[k]), ("C2", "C0", "C1", "C3")):  # widest first
        spins, fields = snapshots.spins[snapshots.kind == kind], snapshots.fields[snapshots.kind == kind]
        predicted = model.predict_fields(spins)
        draw_parity(fields, predicted, axes[0], label=kind, color=color)
        draw_parity(np.cross(spins, fields), np.cross(spins, predicted), axes[1], label=kind, color=color)
    axes[0].set_title(r"field components $H_i^\mu$")
    axes[1].set_title(r"torque components $(\mathbf{S}_i\times\mathbf{H}_i)^\mu$")
    for ax in axes[:2]:
        ax.set_xlabel("ED [t]")
        ax.set_ylabel("BP model [t]")
    if history:
        draw_loss_curves(history, axes[2])
        axes[2].set_title("training history of the shipped model")
    if title:
        fig.suptitle(title)
    return fig


def load_orders(preset, directory=None):
    """The shipped result of ``python -m spinlab reproduce orders <preset>``.

    Parameters
    ----------
    preset : str
    directory : path, optional
        Default :data:`spinlab.data.DATA_DIR`.

    Returns
    -------
    (dict, dict)
        Arrays and summary in the format of :func:`spinlab.reproduce.compare_orders`.

    Raises
    ------
    FileNotFoundError
        Naming the command that makes the file.
    """
    from pathlib import Path

    from .data import DATA_DIR
    from .io import load_npz

    path = Path(DATA_DIR if directory is None else directory) / f"orders-{preset}.npz"
    if not path.exists():
        where = "--update-shipped" if directory is None else f"--out {directory}"
        raise FileNotFoundError(f"{path} is missing: make it with "
                                f"`python -m spinlab reproduce orders {preset} {where}`")
    return load_npz(path)


def ideal_energy(preset, L):
    """ED energy per site of the preset's ideal order on the L x L lattice."""
    from .electrons import SDModel
    from .presets import get_preset
    from .spins import TEXTURES

    model = SDModel.from_preset(preset, L)
    return float(model.energy(TEXTURES[get_preset(preset).texture](model.lattice))) / model.n_sites


def order_errors(arrays, summary):
    """How far the end states of ED-vs-ML relaxations are from the ideal order, and from each other.

    Parameters
    ----------
    arrays, summary : dict
        A result of :func:`spinlab.reproduce.compare_orders` (or :func:`load_orders`).

    Returns
    -------
    dict
        Largest deviations over all runs and both dynamics: ``"peak"`` of a Bragg weight from
        its ideal value (:data:`spinlab.reproduce.ORDER_PEAKS`); ``"energy"`` of the ED energy
        per site from that of the ideal order; ``"ml_vs_ed"`` between the ED energies of the ML
        and the ED end states; ``"chirality"``, of every triangle's |χ| from the ideal order's,
        and ``"mean_chirality"`` of |⟨χ⟩| (both 0 for a coplanar order).
    """
    from .lattice import TriangularLattice
    from .observables import scalar_chirality, structure_factor_at
    from .presets import get_preset
    from .reproduce import ORDER_PEAKS
    from .spins import TEXTURES

    preset, L = summary["preset"], summary["L"]
    lattice = TriangularLattice(L)
    e_ideal = ideal_energy(preset, L)
    chi_ideal = np.abs(scalar_chirality(lattice, TEXTURES[get_preset(preset).texture](lattice)))
    out = dict.fromkeys(("peak", "energy", "ml_vs_ed", "chirality", "mean_chirality"), 0.0)
    for row in summary["runs"]:
        for side in ("ed", "ml"):
            final = arrays[f"{side}/{row['seed']}/final"]
            peaks = structure_factor_at(lattice, final, list(ORDER_PEAKS[preset]))
            out["peak"] = max(out["peak"], *(abs(peaks[q] - w) for q, w in ORDER_PEAKS[preset].items()))
            out["energy"] = max(out["energy"], abs(row[f"{side}_energy_per_site"] - e_ideal))
            chi = scalar_chirality(lattice, final)
            out["chirality"] = max(out["chirality"], float(np.max(np.abs(np.abs(chi) - chi_ideal))))
            out["mean_chirality"] = max(out["mean_chirality"], abs(abs(chi.mean()) - chi_ideal.mean()))
        out["ml_vs_ed"] = max(out["ml_vs_ed"], abs(row["ml_energy_per_site"] - row["ed_energy_per_site"]))
    return out


def orders_figure(arrays, summary, *, title=None):
    """ED-driven (solid) and ML-driven (dashed) relaxations from the same random states.

    Three panels against time (symlog): the Bragg weight of the order (the sum of
    :data:`spinlab.reproduce.ORDER_PEAKS`, 1 in the ideal state), the nearest-neighbour
    correlation, and the mean scalar chirality in units of the tetrahedral value; one colour
    per seed, explained in a legend below the panels.

    Parameters
    ----------
    arrays, summary : dict
        A result of :func:`spinlab.reproduce.compare_orders` (or :func:`load_orders`).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .observables import TETRAHEDRAL_CHIRALITY
    from .reproduce import ORDER_PEAKS

    peaks = ORDER_PEAKS[summary["preset"]]
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 4.2), layout="constrained")
    for k, row in enumerate(summary["runs"]):
        for side, style in (("ed", "-"), ("ml", "--")):
            key = f"{side}/{row['seed']}"
            t = arrays[f"{key}/times"]
            weight = sum(arrays[f"{key}/S({q})"] for q in peaks)
            axes[0].plot(t, weight, style, color=f"C{k}")
            axes[1].plot(t, arrays[f"{key}/nn_correlation"], style, color=f"C{k}")
            axes[2].plot(t, arrays[f"{key}/chirality"] / TETRAHEDRAL_CHIRALITY, style, color=f"C{k}")
    axes[0].set_ylabel(" + ".join(f"$S({q})$" for q in peaks))
    axes[0].set_title("Bragg weight (ideal: 1)")
    axes[1].set_ylabel(r"$\langle\mathbf{S}_i\cdot\mathbf{S}_j\rangle_\mathrm{nn}$")
    axes[1].set_title("nearest-neighbour correlation")
    axes[2].set_ylabel(r"$\langle\chi_\Delta\rangle/\chi_\mathrm{tetra}$")
    axes[2].set_title("mean scalar chirality")
    for ax in axes:
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(0, None)
        ax.set_xlabel(r"$t$ [$\hbar/t$]")
    handles = [Line2D([], [], color=f"C{k}", label=f"seed {row['seed']}") for k, row in enumerate(summary["runs"])]
    handles += [Line2D([], [], color="0.2", ls=style, label=name)
                for name, style in (("ED-LLG", "-"), ("ML-LLG", "--"))]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    fig.suptitle(title or f"ED-LLG (solid) vs ML-LLG (dashed) from the same random spins, {summary['L']}×{summary['L']}, "
                 f"α = {summary['alpha']:g} (LL form), Δt = {summary['dt']:g} ħ/t, T = 0")
    return fig


def orders_table(summary):
    """Per seed: the ED energies of the ED and ML end states, their Bragg weights and mean chirality (HTML)."""
    rows = []
    for row in summary["runs"]:
        gap = abs(row["ml_energy_per_site"] - row["ed_energy_per_site"])
        rows.append([row["seed"], f"{row['ed_energy_per_site']:.6f}", f"{row['ml_energy_per_site']:.6f}",
                     f"{gap:.1e}", " / ".join(f"{v:.3f}" for v in row["ed_peaks"].values()),
                     " / ".join(f"{v:.3f}" for v in row["ml_peaks"].values()),
                     f"{row['ed_chirality']:+.4f}", f"{row['ml_chirality']:+.4f}"])
    peaks = " / ".join(summary["runs"][0]["ed_peaks"]) if summary["runs"] else ""  # spaces: headers may wrap
    return html_table(["seed", "E/N [t], ED end state", "E/N [t], ML end state", "|ML − ED|", f"S({peaks}), ED",
                       f"S({peaks}), ML", "⟨χ⟩, ED", "⟨χ⟩, ML"], rows)
