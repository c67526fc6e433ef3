"""How far an exchange field reaches: the share of a site's torque set by distant spins."""

from __future__ import annotations

import numpy as np

from ..spins import as_spins, random_spins, transverse

__all__ = ["field_locality"]


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

