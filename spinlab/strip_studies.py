r"""The generalized potential model of the driven strip, trained on NEGF data (Fig. 11; physics.md §6.2).

Two models share one :class:`~spinlab.descriptors.StripDescriptor` (presence, distance-to-lead and
bias features; one network for all columns) and one training set of NEGF transverse fields:

* the **two-potential** model, :math:`\mathbf H_{i\perp} = -(\partial U/\partial\mathbf S_i)_\perp
  - \mathbf S_i\times\partial W/\partial\mathbf S_i` (field-like U, damping-like W);
* the **conservative** model, :math:`\mathbf H_{i\perp} = -(\partial E/\partial\mathbf S_i)_\perp`.

They are compared on held-out data, a whole run at a bias seen in training and every run at a
bias never seen (:func:`split_driven`), in the bulk (columns ``margin`` to Lx - 1 - ``margin``,
x = 5…26 on 32 columns) and near the leads, and on the two signatures of a nonconservative field
(:mod:`spinlab.torques`): the part even under S -> -S, which only W can carry, and the work
around a closed loop on a metallic bridge, which a conservative field cannot do.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .bp import BPModel
from .descriptors import StripDescriptor
from .metrics import field_errors
from .spins import transverse
from .strip_data import StripPlan, tilted_ferromagnet
from .torques import loop_work, time_reversal_even_part

__all__ = ["strip_regions", "split_driven", "train_strip_model", "accuracy_by_region", "strip_potentials_study",
           "HELD_OUT_BIAS", "MODELS"]

#: The right-lead chemical potential whose runs are all held out.
HELD_OUT_BIAS = -3.35
#: The two models, by name: the ``outputs`` of :class:`~spinlab.bp.BPModel`.
MODELS = {"two-potential": "two-potential", "conservative": "energy"}


def strip_regions(lattice, margin: int = 5) -> dict:
    """Site masks ``bulk`` (x = margin … Lx - 1 - margin) and ``edges`` (the rest, next to the leads)."""
    x = lattice.coords[:, 0]
    bulk = (x >= margin) & (x <= lattice.Lx - 1 - margin)
    return {"bulk": bulk, "edges": ~bulk}


def split_driven(data, held_out_bias: float = HELD_OUT_BIAS):
    """(train, held-out groups) of a driven dataset: ``held-out bias``, every run at μ_R = ``held_out_bias``;
    ``held-out run``, of every other (start, μ_R) with more than one run, the last run whole."""
    mu_right = data.bias[:, 1]
    at_bias = np.isclose(mu_right, held_out_bias)
    if not at_bias.any():
        raise ValueError(f"no run at the held-out bias mu_right = {held_out_bias:g}; the data have "
                         f"{sorted(set(np.round(mu_right, 6)))}")
    held_run = np.zeros(len(data), bool)
    runs = {}
    for name in dict.fromkeys(data.task[~at_bias]):
        start_and_bias = name.split("-", 2)[2]  # driven-KK-<start>-muR<mu>
        runs.setdefault(start_and_bias, []).append(name)
    for names in runs.values():
        if len(names) > 1:
            held_run |= data.task == names[-1]
    if not held_run.any():
        raise ValueError("no bias has a second run to hold out whole: repeat a --mu-right value")
    groups = {"held-out run": data.subset(held_run), "held-out bias": data.subset(at_bias)}
    return data.subset(~(held_run | at_bias)), groups


def train_strip_model(train, outputs: str, *, cutoff: float = 2.3, lead_range: float = 5.0, progress: bool = True,
                      init: BPModel | None = None, checkpoint=None, **hyperparameters) -> BPModel:
    """A BP model of the strip's transverse NEGF fields (``outputs``: "two-potential" or "energy").

    ``init``, a model of the same set-up saved part-way by ``checkpoint`` (see :meth:`BPModel.fit`),
    is trained on for the iterations its history still lacks of ``epochs``: a long fit in sittings.
    """
    params = dict(hidden=(32, 32), field_weight=0.0, torque_weight=1.0, optimizer="lbfgs", epochs=300)
    params.update(hyperparameters)
    model = BPModel(StripDescriptor(cutoff, lead_range=lead_range), outputs=outputs, progress=progress, **params)
    if init is not None:
        if _setup(init) != _setup(model):
            raise ValueError("the partly trained model was set up differently (cutoff, network, seed?): "
                             "delete it to start afresh")
        model, model.progress, model.warm_start = init, progress, True
        model.epochs = max(params["epochs"] - len(init.history_["train_loss"]), 0)
    if model.epochs:
        model.fit(train.spins, transverse(train.spins, train.fields), lattice=train.lattice, bias=train.bias,
                  checkpoint=checkpoint)
    model.epochs, model.warm_start = params["epochs"], False
    return model


def _setup(model) -> dict:
    """What a model was built and trained with, but for how long."""
    params = model.get_params()
    del params["epochs"], params["warm_start"], params["progress"]
    return dict(params, descriptor=model.descriptor.config())


def accuracy_by_region(model, data, margin: int = 5, predicted=None) -> dict:
    """{region: field_errors} of the model's transverse fields against the data's, bulk and edges."""
    lattice = data.lattice
    if predicted is None:
        predicted = model.predict_fields(data.spins, lattice=lattice, bias=data.bias)
    reference = transverse(data.spins, data.fields)
    return {region: dict(field_errors(data.spins[:, mask], predicted[:, mask], reference[:, mask]),
                         sites=int(mask.sum()), snapshots=len(data))
            for region, mask in strip_regions(lattice, margin).items()}


def _parity(rng, spins, predicted, reference, mask, n):
    """n random (reference, predicted) pairs of torque components on the sites ``mask``."""
    torque_r = np.cross(spins, reference)[:, mask].reshape(-1)
    torque_p = np.cross(spins, predicted)[:, mask].reshape(-1)
    pick = rng.choice(len(torque_r), size=min(n, len(torque_r)), replace=False)
    return np.stack([torque_r[pick], torque_p[pick]], axis=1)


def strip_potentials_study(data, models: dict, *, margin: int = 5, n_parity: int = 2000, n_even: int = 3,
                           loop_cone: float = 0.4, loop_steps: int = 24, seed: int = 0, progress: bool = True):
    """Accuracy, parity, field-like/damping-like split, even part and loop work of trained strip models.

    ``models`` maps names of :data:`MODELS` to fitted models.  Returns ``(arrays, summary)``: per model,
    group and region the errors (summary ``accuracy``); torque parity pairs on the held-out bias
    (``parity/<model>/<region>``); the U and W parts of the two-potential model on the last held-out-bias
    snapshot (``split/*``, with its spins and NEGF field); the NEGF even part against W on ``n_even``
    held-out-bias snapshots, stored with their NEGF fields (``sample/*``); the loop work of NEGF (under
    bias and at zero bias) and of the models on a tilted ferromagnet bridging the leads, at the strip's
    centre.  The summary also counts the training snapshots (``train_snapshots``).
    """
    rng = np.random.default_rng(seed)
    plan = StripPlan(**data.plan)
    lattice = data.lattice
    train, groups = split_driven(data)
    regions = strip_regions(lattice, margin)
    arrays, accuracy = {}, {}
    for name, model in models.items():
        accuracy[name] = {}
        for group, subset in groups.items():
            predicted = model.predict_fields(subset.spins, lattice=lattice, bias=subset.bias)
            accuracy[name][group] = accuracy_by_region(model, subset, margin, predicted)
            if group == "held-out bias":
                for region, mask in regions.items():
                    arrays[f"parity/{name}/{region}"] = _parity(rng, subset.spins, predicted,
                                                                transverse(subset.spins, subset.fields), mask, n_parity)
    held = groups["held-out bias"]
    bias = tuple(held.bias[-1])
    negf = plan.model(bias[1])
    two = models.get("two-potential")
    summary = {"accuracy": accuracy, "margin": margin, "held_out_bias": float(bias[1]), "bias": list(bias),
               "train_snapshots": len(train)}
    if two is not None:
        parts = two.field_parts(held.spins[-1], lattice=lattice, bias=bias)
        arrays.update({"split/spins": held.spins[-1], "split/negf": transverse(held.spins[-1], held.fields[-1]),
                       "split/U": parts["U"], "split/W": parts["W"]})
        summary["split"] = {region: {part: float(np.sqrt(np.mean(parts[part][mask] ** 2))) for part in ("U", "W")}
                            for region, mask in regions.items()}
    picks = np.linspace(0, len(held) - 1, n_even).round().astype(int)
    arrays.update({"sample/spins": held.spins[picks], "sample/fields": held.fields[picks],
                   "sample/bias": held.bias[picks], "sample/times": held.times[picks]})
    even_negf = np.stack([time_reversal_even_part(negf, held.spins[k]) for k in
                          tqdm(picks, desc="NEGF even parts", disable=not progress)])
    arrays["even/negf"] = even_negf
    summary["even_part"] = {"negf_rms": float(np.sqrt(np.mean(even_negf ** 2)))}
    for name, model in models.items():
        provider = model.bind(lattice, bias=bias)
        even = np.stack([time_reversal_even_part(provider, held.spins[k]) for k in picks])
        arrays[f"even/{name}"] = even
        summary["even_part"][name] = {
            "relative_error": float(np.sqrt(np.mean((even - even_negf) ** 2) / np.mean(even_negf ** 2))),
            "rms": float(np.sqrt(np.mean(even ** 2)))}
    bridge = tilted_ferromagnet(lattice, plan.tilt, 0, np.random.default_rng([seed, 99]))
    site = int(lattice.site_index(lattice.Lx // 2, lattice.Ly // 2))
    work = {"negf": loop_work(negf, bridge, site, loop_cone, loop_steps),
            "negf_zero_bias": loop_work(plan.model(plan.mu_left), bridge, site, loop_cone, loop_steps)}
    for name, model in models.items():
        work[name] = loop_work(model.bind(lattice, bias=bias), bridge, site, loop_cone, loop_steps)
    arrays["loop/spins"] = bridge
    summary["loop_work"] = dict(work, site=site, cone=loop_cone, steps=loop_steps)
    summary["even_picks"] = [int(k) for k in picks]
    return arrays, summary
