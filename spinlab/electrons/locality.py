"""How far an exchange field reaches: the share of a site's torque set by distant spins."""

from __future__ import annotations

import numpy as np

from ..spins import as_spins, random_spins, transverse

__all__ = ["field_locality", "far_torque_changes"]


def field_locality(model, spins, radius: float, *, centres=(0,), samples: int = 4, seed=None,
                   environments=None) -> float:
    r"""Share of a site's transverse field that comes from spins farther than ``radius``.

    For each centre site i and each sample, every spin at minimal-image distance
    :math:`|\mathbf r_j - \mathbf r_i| > R` is replaced (by a random spin, or by the spin of
    another configuration: ``environments``) and the change of the
    transverse field :math:`\mathbf H_{\perp,i} = \mathbf H_i - (\mathbf H_i\cdot\mathbf S_i)\mathbf S_i`
    (the part that exerts the torque) is recorded.  A model whose fields depend only on
    spins within R gives 0; a force field with cutoff :math:`2r_c \le R` cannot represent the
    rest.

    Parameters
    ----------
    model : SDModel or any field provider with a ``lattice``
    spins : (N, 3) array
    radius : float
        R, in lattice spacings; the lattice must reach beyond it.
    centres : sequence of int
        Sites whose fields are probed.
    samples : int
        Re-randomizations per centre.
    seed : int or numpy.random.Generator, optional
    environments : sequence of (N, 3) arrays, optional
        Configurations whose far spins replace those of ``spins``, one sample each, instead
        of random spins (``samples`` and ``seed`` are then unused).  Another thermal state
        at the same temperature asks how local the field is *within* that ensemble; random
        far spins ask it for any environment.

    Returns
    -------
    float
        rms change of the components of :math:`\mathbf H_{\perp,i}` over centres and samples,
        divided by the rms transverse-field component over all sites of ``spins``.
    """
    lattice, spins = model.lattice, as_spins(spins, model.lattice.n_sites)
    rng = np.random.default_rng(seed)
    reference = transverse(spins, model.exchange_field(spins))
    changes = []
    if environments is not None:
        environments = [as_spins(e, lattice.n_sites) for e in environments]
    for i in centres:
        far = np.linalg.norm(lattice.displacement(i, np.arange(lattice.n_sites)), axis=-1) > radius + 1e-9
        if not far.any():
            raise ValueError(f"no site is farther than R = {radius} from site {i} on this lattice")
        for k in range(samples if environments is None else len(environments)):
            perturbed = spins.copy()
            perturbed[far] = random_spins(int(far.sum()), rng) if environments is None else environments[k][far]
            changes.append(transverse(spins[i], model.exchange_field(perturbed)[i]) - reference[i])
    return float(np.sqrt(np.mean(np.square(changes))) / np.sqrt(np.mean(np.square(reference))))


def far_torque_changes(model, spins, environment, centres, radii, reference=None) -> np.ndarray:
    r"""How the torque at each centre changes when every spin farther than R is that of ``environment``.

    For centre i and radius R, the spins at minimal-image distance :math:`|\mathbf r_j - \mathbf r_i| > R`
    are replaced by those of ``environment`` and :math:`\Delta\boldsymbol\tau_i = \mathbf S_i\times
    (\mathbf H_i' - \mathbf H_i)` is recorded: one field evaluation per centre and radius.  A field
    that depends only on spins within R changes by 0; the rest is what a force field of cutoff
    :math:`2r_c \le R` cannot represent.  Unlike :func:`field_locality` it keeps every change (the caller
    chooses how to pool them) and works for any field provider, conservative or not.

    Parameters
    ----------
    model : field provider with a ``lattice``
    spins, environment : (N, 3) arrays
        The state and the one whose far spins replace its own.
    centres : sequence of int
    radii : sequence of float
        Each must leave at least one site farther from every centre.
    reference : (N, 3) array, optional
        ``model.exchange_field(spins)``, if already known.

    Returns
    -------
    (len(radii), len(centres), 3) array
    """
    lattice = model.lattice
    spins, environment = as_spins(spins, lattice.n_sites), as_spins(environment, lattice.n_sites)
    reference = model.exchange_field(spins) if reference is None else np.asarray(reference, float)
    changes = np.zeros((len(radii), len(centres), 3))
    for c, i in enumerate(centres):
        distance = np.linalg.norm(lattice.displacement(i, np.arange(lattice.n_sites)), axis=-1)
        for r, radius in enumerate(radii):
            far = distance > radius + 1e-9
            if not far.any():
                raise ValueError(f"no site is farther than R = {radius} from site {i} on this lattice")
            replaced = spins.copy()
            replaced[far] = environment[far]
            changes[r, c] = np.cross(spins[i], model.exchange_field(replaced)[i] - reference[i])
    return changes
