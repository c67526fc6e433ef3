r"""Behler-Parrinello force fields: E = Σ_i ε(G_i), fields as exact gradients.

One shared network maps each site's descriptor :math:`G_i` (standardized) to a
local energy; the exchange field is the exact derivative through the network
and the descriptor,

.. math:: \mathbf H_i = -\frac{\partial E}{\partial\mathbf S_i}
   = -\sum_j \Bigl(\frac{\partial G_j}{\partial\mathbf S_i}\Bigr)^{T}\frac{\partial\varepsilon}{\partial G_j},

so the model field is conservative by construction.

**Longitudinal field** (``longitudinal=True``).  A function of unit spins defines only
:math:`\mathbf H_{i\perp}`; the parallel part of an electronic field, :math:`\mathbf H_i\cdot\mathbf S_i`
(≈ 5.6 for double exchange at J_H = 6, physics.md §10), is not the gradient of any invariant of unit
spins, and fitting it through :math:`\varepsilon` corrupts the transverse part.  A second output
:math:`\lambda_i = \lambda(G_i)` adds the term :math:`-\frac12\sum_i\lambda_i(|\mathbf S_i|^2 - 1)`, zero on
the sphere, to E, so that :math:`\mathbf H_i = -\partial\sum_j\varepsilon_j/\partial\mathbf S_i + \lambda_i\mathbf S_i`:
the parallel field is learned directly and the dynamics (which sees only :math:`\mathbf H_\perp`) is unchanged.

**Two-potential model** (generalized potential theory for nonequilibrium
torques; ``outputs="two-potential"``).  The network outputs two scalars per
site, :math:`(u_i, w_i)`, summed to :math:`U = \sum_i u_i` and :math:`W = \sum_i w_i`,
and the transverse field is

.. math:: \mathbf H_{i\perp} = -\Bigl(\frac{\partial U}{\partial\mathbf S_i}\Bigr)_\perp
          - \mathbf S_i\times\frac{\partial W}{\partial\mathbf S_i}.

U gives the conservative, field-like torque; W the damping-like (Slonczewski-type)
torque :math:`\mathbf S\times(\mathbf S\times\partial W/\partial\mathbf S)` in
:math:`d\mathbf S/dt = -\mathbf S\times\mathbf H`.  (Names and signs are ours; the authors'
code writes :math:`h = S\times(F_A + S\times F_B)` with :math:`F_A = -\partial E/\partial S`,
:math:`F_B = -\partial\Phi/\partial S`, i.e. W = E and U = -Φ.)  The ansatz is a
restricted class: for many spins a general nonconservative field has parts not of
this form.  Only the transverse field is defined (and learned).

**Training on fields.**  The loss is

.. math:: L = \bigl\langle w_\mathrm{field}|\Delta\mathbf H|^2 + w_\mathrm{torque}|\mathbf S\times\Delta\mathbf H|^2\bigr\rangle
            + w_E\,(\Delta E/N)^2 ,

averaged over sites and snapshots.  Its gradient needs the derivative of the
*input gradient* with respect to the weights: with :math:`r = \partial L/\partial\mathbf H`,
:math:`\partial L/\partial\theta = -\partial_\theta\sum_i u_i\cdot\nabla_G\varepsilon(G_i)`
where :math:`u = (\partial G/\partial S)\,r` is the descriptor's Jacobian-vector
product; :meth:`spinlab.mlp.MLP.parameter_gradient` differentiates the directional
derivative exactly.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from ._malloc import retain_freed_memory
from ._threads import blas_for_network
from .descriptors import Descriptor, SymmetricDescriptor, descriptor_from_config
from .fieldmodels import FieldModel
from .lattice import lattice_from_config
from .mlp import MLP
from .modelfiles import read_model_files, save_model, scaler_from_state, scaler_state
from .optimizers import EarlyStopping, fit_adam, fit_lbfgs
from .spins import transverse

__all__ = ["BPModel", "load_model"]


def _data_hash(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


class _Snapshots:
    """Training snapshots, one entry each: lattice, spins (N, 3), fields, energy, bias and loss weight."""

    def __init__(self, lattices, spins, fields, energies, biases, weights, arrays):
        self.lattices, self.spins, self.fields, self.energies = lattices, spins, fields, energies
        self.biases, self.weights, self._arrays = biases, weights, arrays
        self.n_sites = np.array([len(s) for s in spins])
        self.max_sites = int(self.n_sites.max()) if len(spins) else 0

    def __len__(self) -> int:
        return len(self.spins)

    @classmethod
    def of(cls, model, spins, fields, energies, lattice, bias, sample_weight) -> "_Snapshots":
        """Validate and flatten fit()'s arguments: one batch on one lattice, or lists of groups."""
        grouped = isinstance(lattice, (list, tuple))
        if grouped and not (isinstance(spins, (list, tuple)) and isinstance(fields, (list, tuple))
                            and len(spins) == len(fields) == len(lattice)):
            raise ValueError("snapshots on several lattices: give spins and fields as lists with one array per "
                             "lattice")
        groups = list(zip(lattice, spins, fields)) if grouped else [(lattice, spins, fields)]
        energy_groups = (list(energies) if grouped else [energies]) if energies is not None else None
        lattices, s_all, f_all, arrays = [], [], [], []
        for g, (lat, s, f) in enumerate(groups):
            s, lat, _ = model._configs(s, lat)
            f = np.asarray(f, dtype=float).reshape(s.shape)
            lattices += [lat] * len(s)
            s_all += list(s)
            f_all += list(f)
            arrays += [s, f]
            if energy_groups is not None:
                energy_groups[g] = np.asarray(energy_groups[g], dtype=float).reshape(len(s))
                arrays.append(energy_groups[g])
        energies = None if energy_groups is None else np.concatenate(energy_groups)
        biases = model._biases(bias, len(s_all))
        if biases[0] is not None:  # data without a bias keep the hashes they always had
            arrays.append(biases)
        weights = np.ones(len(s_all)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weights.shape != (len(s_all),) or not np.all(np.isfinite(weights) & (weights >= 0)) or not weights.any():
            raise ValueError(f"sample_weight must hold one finite weight >= 0 per snapshot ({len(s_all)}), not all 0")
        if sample_weight is not None and not np.all(weights == 1):
            arrays.append(weights)
        return cls(lattices, s_all, f_all, energies, biases, weights, arrays)

    def hash(self) -> str:
        return _data_hash(*self._arrays)


class BPModel(FieldModel):
    """Behler-Parrinello force field trained on exchange fields (scikit-learn style).

    Parameters
    ----------
    descriptor : Descriptor, optional
        Default: ``SymmetricDescriptor("triangular", 2.0)``.
    hidden : tuple of int
        Hidden layer widths.
    activation : {"tanh", "silu", "softplus", "relu"}
        Smooth activations give smooth fields; ReLU only to reproduce the PRL network.
    outputs : {"energy", "two-potential"}
        One local energy (conservative) or the two potentials (u_i, w_i).
    longitudinal : bool
        With ``outputs="energy"``: a second output λ_i gives the parallel field λ_i S_i (module
        docstring), so the full field is learned without the parallel part steering the torque.
    field_weight, torque_weight, energy_weight : float
        Loss weights of |ΔH|², |S × ΔH|² and (ΔE/N)² (the two-potential model learns
        the transverse field only).
    learning_rate : float
        Adam step size; multiplied by ``decay`` after ``patience`` epochs without
        improvement of the validation loss.
    epochs, batch_size : int
        Passes over the training snapshots, snapshots per step (Adam).  With L-BFGS,
        ``epochs`` is the number of full-batch iterations.
    warm_start : bool
        Continue from the fitted weights and scaler (scikit-learn convention), e.g. to
        refine an Adam fit with L-BFGS; the history is extended.
    optimizer : {"adam", "lbfgs"}
        Adam on minibatches, or full-batch L-BFGS (scipy).  Fitting a field is an
        ill-conditioned problem (the torque is a small part of an input gradient);
        on the book's ED sets L-BFGS reaches a given torque error several times
        faster than Adam and keeps improving where Adam stalls.
    validation_fraction : float
        Share of snapshots held out for the learning-rate schedule and early stopping.
    stop_patience : int
        Stop after this many epochs without improvement and keep the best weights.
    seed : int
        Initialization, shuffling and the validation split.
    progress : bool
        Progress bar over epochs.

    Attributes
    ----------
    network_ : MLP
    scaler_ : sklearn.preprocessing.StandardScaler
        Feature standardization, fitted on the training snapshots and frozen.
    lattice_ : Lattice
        The lattice of the training snapshots (the default of ``predict_*``).
    history_ : dict of lists
        ``train_loss``, ``validation_loss``, ``learning_rate`` per epoch.
    training_hash_ : str
        Hash of the training data.
    """

    def __init__(self, descriptor: Descriptor | None = None, hidden=(64, 64, 64), activation: str = "silu",
                 outputs: str = "energy", longitudinal: bool = False, field_weight: float = 1.0,
                 torque_weight: float = 30.0, energy_weight: float = 0.0, learning_rate: float = 1e-3,
                 decay: float = 0.75, patience: int = 25, epochs: int = 1500, batch_size: int = 4,
                 validation_fraction: float = 0.2, stop_patience: int = 150, optimizer: str = "adam",
                 warm_start: bool = False, seed: int = 0, progress: bool = True):
        self.descriptor = SymmetricDescriptor("triangular", 2.0) if descriptor is None else descriptor
        self.hidden, self.activation, self.outputs = tuple(hidden), activation, outputs
        self.longitudinal = bool(longitudinal)
        self.field_weight, self.torque_weight, self.energy_weight = field_weight, torque_weight, energy_weight
        self.learning_rate, self.decay, self.patience = learning_rate, decay, patience
        self.epochs, self.batch_size, self.validation_fraction = epochs, batch_size, validation_fraction
        self.stop_patience, self.optimizer, self.seed, self.progress = stop_patience, optimizer, seed, progress
        self.warm_start = warm_start
        if optimizer not in ("adam", "lbfgs"):
            raise ValueError(f"optimizer must be 'adam' or 'lbfgs', got {optimizer!r}")
        if outputs not in ("energy", "two-potential"):
            raise ValueError(f"outputs must be 'energy' or 'two-potential', got {outputs!r}")
        if min(field_weight, torque_weight, energy_weight) < 0 or field_weight + torque_weight == 0:
            raise ValueError("loss weights must be >= 0, with a positive field or torque weight")
        if outputs == "two-potential" and self.longitudinal:
            raise ValueError("the two-potential model learns H_perp only: longitudinal needs outputs='energy'")
        if outputs == "two-potential" and energy_weight:
            raise ValueError("the two-potential model has no energy to fit: set energy_weight=0")
        for name in ("epochs", "batch_size", "patience", "stop_patience"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        if not 0 <= validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")

    #: hyper-parameters stored in model files (everything of __init__ but the descriptor and display)
    HYPERPARAMETERS = ("hidden", "activation", "outputs", "longitudinal", "field_weight", "torque_weight",
                       "energy_weight", "learning_rate", "decay", "patience", "epochs", "batch_size",
                       "validation_fraction", "stop_patience", "optimizer", "seed")

    def get_params(self) -> dict:
        """Hyper-parameters (scikit-learn convention), the descriptor included."""
        return {"descriptor": self.descriptor, **{k: getattr(self, k) for k in self.HYPERPARAMETERS},
                "warm_start": self.warm_start, "progress": self.progress}

    @property
    def conservative(self) -> bool:
        """One potential gives H = -dE/dS; two potentials give a nonconservative field."""
        return self.outputs == "energy"

    def fingerprint(self) -> str:
        """Hash of the descriptor, the network and its weights (equal for equal models)."""
        self._require_fitted()
        # models without the longitudinal output keep the fingerprints they always had
        identity = [self.descriptor.config(), self.activation, self.outputs] + ["longitudinal"] * self.longitudinal
        h = hashlib.sha256(json.dumps(identity).encode())
        for a in (*self.network_.params, self.scaler_.mean_, self.scaler_.scale_):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        return h.hexdigest()[:16]

    def short_repr(self) -> str:
        """The constructor call, with the descriptor's kind and cutoff only."""
        d = self.descriptor
        return (f"BPModel({type(d).__name__}({d.kind!r}, {d.cutoff:g}), hidden={self.hidden}, "
                f"activation={self.activation!r}, outputs={self.outputs!r}"
                + (", longitudinal=True)" if self.longitudinal else ")"))

    def __repr__(self) -> str:
        state = (f"fitted on {self.lattice_!r}" if getattr(self, "lattice_", None) is not None else "fitted") \
            if hasattr(self, "network_") else "not fitted"
        return f"{self.short_repr()}  # {state}, {self.descriptor.n_features} features"

    @property
    def n_potentials(self) -> int:
        """Outputs whose gradients make the field (ε; or u and w)."""
        return 1 if self.outputs == "energy" else 2

    @property
    def n_outputs(self) -> int:
        return self.n_potentials + self.longitudinal

    # -- prediction -------------------------------------------------------------------------------------------
    def _site_outputs(self, lattice, spins, order=2, bias=None):
        """Network outputs (N, n_out) and the forward cache, with activation derivatives up to ``order``
        (0: energies only, 1: fields, 2: training on fields)."""
        y, cache = self.network_.forward(self._standardized(self.descriptor.features(lattice, spins, bias)), order)
        return y, cache

    def _standardized(self, G):
        """``scaler_.transform(G)``, the same operations without its input validation (a pass over G)."""
        Z = G - self.scaler_.mean_
        Z /= self.scaler_.scale_
        return Z

    def _feature_cotangents(self, cache, n_sites):
        """∂y_o/∂G for every potential o, from a forward cache of ``n_sites`` rows: list of (n_sites, F)."""
        cotangents = []
        for o in range(self.n_potentials):
            weights = np.zeros((n_sites, self.n_outputs))
            weights[:, o] = 1.0
            gradient = self.network_.input_gradient(cache, weights)
            gradient /= self.scaler_.scale_  # a fresh array: scaled in place
            cotangents.append(gradient)
        return cotangents

    def _gradients(self, lattice, spins, cache):
        """∂(Σ_i y_io)/∂S for every output o, from the forward cache of all sites: list of (N, 3) arrays."""
        return [self.descriptor.vjp(lattice, spins, dG) for dG in self._feature_cotangents(cache, lattice.n_sites)]

    def _block_cotangents(self, G, rows, outputs=None):
        """The network's part of :meth:`Descriptor.pullback`: ∂y_o/∂G of one block of sites (and its
        outputs into ``outputs[rows]`` when given)."""
        y, cache = self.network_.forward(self._standardized(G), order=1)
        if outputs is not None:
            outputs[rows] = y
        return self._feature_cotangents(cache, len(G))

    def _parts(self, spins, grads, y=None):
        if self.outputs == "energy":
            parts = {"E": -grads[0]}
            if self.longitudinal:
                parts["longitudinal"] = y[:, 1:2] * spins
            return parts
        dU, dW = grads
        return {"U": -transverse(spins, dU), "W": -np.cross(spins, dW)}

    def _field(self, spins, grads, y=None):
        return sum(self._parts(spins, grads, y).values())

    def field_parts(self, spins, lattice=None, bias=None) -> dict:
        """The field split by potential, for one configuration (N, 3) or a batch.

        Two-potential model: ``{"U": -(dU/dS)_perp, "W": -S x dW/dS}`` (field-like and
        damping-like parts; their sum is :meth:`predict_fields`); one-potential model: ``{"E": -dE/dS}``,
        plus ``{"longitudinal": λ_i S_i}`` with ``longitudinal=True``.  ``bias``: the leads' (μ_L, μ_R)
        for a strip descriptor, one pair or one per configuration.
        """
        self._require_fitted()
        retain_freed_memory()  # else page faults cost a third of the time at a few hundred sites (spinlab._malloc)
        s, lat, batch = self._configs(spins, lattice)
        biases = self._biases(bias, len(s))
        parts = []
        with blas_for_network(lat.n_sites, self.network_):
            for k, x in enumerate(s):
                y = np.empty((lat.n_sites, self.n_outputs)) if self.longitudinal else None
                grads = self.descriptor.pullback(lat, x, lambda G, rows: self._block_cotangents(G, rows, y),
                                                 bias=biases[k])
                parts.append(self._parts(x, grads, y))
        return {k: np.stack([p[k] for p in parts]) if batch else parts[0][k] for k in parts[0]}

    def predict_fields(self, spins, lattice=None, bias=None) -> np.ndarray:
        """Model fields, (N, 3) or (B, N, 3).  The two-potential model returns H⊥ only."""
        return sum(self.field_parts(spins, lattice, bias).values())

    def predict_energy(self, spins, lattice=None, bias=None):
        """E = Σ_i ε_i (one-output model; the two-potential model returns (U, W))."""
        self._require_fitted()
        s, lat, batch = self._configs(spins, lattice)
        biases = self._biases(bias, len(s))
        totals = np.array([self._local_outputs(lat, x, biases[k]).sum(axis=0) for k, x in enumerate(s)])
        values = totals[:, 0] if self.n_potentials == 1 else totals
        return values if batch else values[0]

    def local_energies(self, spins, lattice=None, bias=None) -> np.ndarray:
        """ε_i (N,) or (N, 2) for one configuration: the decomposition E = Σ_i ε_i (with
        ``longitudinal``, ε_i - λ_i(|S_i|² - 1)/2, equal to ε_i on unit spins)."""
        self._require_fitted()
        s, lat, _ = self._configs(spins, lattice)
        y = self._local_outputs(lat, s[0], self._biases(bias, 1)[0])
        return y[:, 0] if self.n_potentials == 1 else y

    def _local_outputs(self, lattice, spins, bias=None):
        """The potentials' site terms (N, n_potentials), the longitudinal term folded into ε."""
        y = self._site_outputs(lattice, spins, order=0, bias=bias)[0]
        if not self.longitudinal:
            return y
        return y[:, :1] - 0.5 * y[:, 1:2] * (np.einsum("ik,ik->i", spins, spins)[:, None] - 1)

    def _require_fitted(self):
        if not hasattr(self, "network_"):
            raise RuntimeError("this model is not fitted yet: call fit() or load a model file")

    # -- training -------------------------------------------------------------------------------------------------
    def loss_and_gradient(self, lattice, spins, fields, energies=None, bias=None, sample_weight=None):
        """Loss of a batch (B, N, 3) and its exact gradient with respect to the network parameters."""
        batch = _Snapshots.of(self, spins, fields, energies, lattice, bias, sample_weight)
        with blas_for_network(batch.max_sites, self.network_):
            return self._loss(batch, range(len(batch)), gradient=True)

    def _loss(self, data: "_Snapshots", idx, gradient=True):
        """(loss, gradient) of the snapshots ``idx`` of ``data``; without ``gradient`` the second item is None
        and the costly part is skipped.

        L = Σ_k w_k [a|ΔH_k|² + b|S × ΔH_k|²] / Σ_k 3 w_k N_k + c Σ_k w_k (ΔE_k/N_k)² / Σ_k w_k: a weighted mean
        over the sites of every snapshot (equal weights: the plain mean over one lattice).
        """
        idx = list(idx)
        weight = data.weights[idx]
        norm = 3 * float(np.sum(weight * data.n_sites[idx]))
        total = 0.0
        grads = [np.zeros_like(p) for p in self.network_.params] if gradient else None
        for k, w in zip(idx, weight):
            lattice, s, n_sites = data.lattices[k], data.spins[k], data.n_sites[k]
            y, cache = self._site_outputs(lattice, s, order=2 if gradient else 1, bias=data.biases[k])
            gradients = self._gradients(lattice, s, cache)
            residual = self._field(s, gradients, y) - data.fields[k]
            if self.outputs == "two-potential":
                residual = transverse(s, residual)  # only H_perp is defined
            perp = transverse(s, residual)
            total += w * (self.field_weight * np.sum(residual**2) + self.torque_weight * np.sum(perp**2)) / norm
            r = 2 * w * (self.field_weight * residual + self.torque_weight * perp) / norm  # dL/dH
            energy_weights = np.zeros((n_sites, self.n_outputs))
            if self.longitudinal:  # H_i contains lambda_i S_i: dL/dlambda_i = r_i . S_i
                energy_weights[:, 1] = np.einsum("ik,ik->i", r, s)
            if self.energy_weight and data.energies is not None:
                delta = (y[:, 0].sum() - data.energies[k]) / n_sites
                total += self.energy_weight * w * delta**2 / weight.sum()
                energy_weights[:, 0] = 2 * self.energy_weight * w * delta / (n_sites * weight.sum())
            if not gradient:
                continue
            # dL = sum_i r_i . dH_i, and H = -J^T dy/dG: each output gets a direction u = J v, coefficient c
            if self.outputs == "energy":
                directions = [(r, -1.0, 0)]
            else:
                directions = [(transverse(s, r), -1.0, 0), (np.cross(s, r), 1.0, 1)]
            tangents = [(self.descriptor.jvp(lattice, s, v) / self.scaler_.scale_, np.full(n_sites, c), o)
                        for v, c, o in directions]
            for g, dg in zip(grads, self.network_.parameter_gradient(cache, energy_weights, tangents)):
                g += dg
        return total, grads

    def trained_on(self, spins, fields, energies=None, lattice=None, bias=None, sample_weight=None) -> bool:
        """Whether :meth:`fit` was given exactly these snapshots (compares :attr:`training_hash_`)."""
        return self.training_hash_ == _Snapshots.of(self, spins, fields, energies, lattice, bias, sample_weight).hash()

    def fit(self, spins, fields, energies=None, lattice=None, bias=None, sample_weight=None,
            checkpoint=None) -> "BPModel":
        """Train on snapshots: spins and reference fields (B, N, 3), optional energies (B,).

        All snapshots share one lattice, ``lattice`` (required unless the model was fitted before), or
        they come in groups on several lattices: ``spins``, ``fields`` (and ``energies``) are then lists
        with one (B_g, N_g, 3) array per group and ``lattice`` the list of the groups' lattices (the model
        keeps the first as its default).  ``bias``, the leads' (μ_L, μ_R) of a strip descriptor, is one
        pair or one per snapshot.  ``sample_weight`` (one per snapshot, concatenated over groups) weighs
        each snapshot's sites in the loss, e.g. to stress rare classes such as walled states.
        ``checkpoint(model)``, if given, is called with the best weights so far every 20 epochs and
        on Ctrl-C (e.g. to save them): a long fit can then be continued with ``warm_start``.
        """
        data = _Snapshots.of(self, spins, fields, energies, lattice, bias, sample_weight)
        if len(data) == 0:
            raise ValueError("no training snapshots")
        if not all(np.all(np.isfinite(f)) for f in data.fields):
            raise ValueError("fields contain NaN or infinite values")
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(data))
        n_val = int(round(self.validation_fraction * len(data))) if len(data) > 1 else 0
        val, train = order[:n_val], order[n_val:]
        if not (self.warm_start and hasattr(self, "network_")):
            self.scaler_ = StandardScaler().fit(np.concatenate(
                [self.descriptor.features(data.lattices[k], data.spins[k], data.biases[k]) for k in train]))
            self.network_ = MLP((self.descriptor.n_features, *self.hidden, self.n_outputs), self.activation, rng)
            self.history_ = {"train_loss": [], "validation_loss": [], "learning_rate": []}
        self.training_hash_ = data.hash()
        self.lattice_ = data.lattices[0]

        def loss(idx, gradient=True):
            return self._loss(data, idx, gradient=gradient)

        check = val if len(val) else train
        tracker = EarlyStopping(self.network_.params, self.history_, self.stop_patience,
                                checkpoint=None if checkpoint is None else lambda: checkpoint(self))
        bar = tqdm(total=self.epochs, disable=not self.progress, desc="training", unit="epoch")
        with blas_for_network(data.max_sites, self.network_):  # small snapshots or networks: one BLAS thread
            try:
                if self.optimizer == "adam":
                    fit_adam(loss, train, check, tracker, bar, rng=rng, epochs=self.epochs,
                             batch_size=self.batch_size, learning_rate=self.learning_rate, patience=self.patience,
                             decay=self.decay)
                else:
                    fit_lbfgs(loss, train, check, tracker, bar, epochs=self.epochs)
            except KeyboardInterrupt:
                tracker.save()
                raise
        bar.close()
        tracker.restore()
        return self

    # -- files ---------------------------------------------------------------------------------------------------
    def save(self, path, command: str | None = None, extra: dict | None = None) -> None:
        """Write ``path.npz`` (weights, scaler) and ``path.json`` (configuration, provenance)."""
        self._require_fitted()
        arrays = {f"param{k}": p for k, p in enumerate(self.network_.params)}
        arrays.update({f"scaler_{k}": v for k, v in scaler_state(self.scaler_).items()})
        history = self.history_["validation_loss"]
        meta = {"model": "bp", "hyperparameters": {k: getattr(self, k) for k in self.HYPERPARAMETERS},
                "final_validation_loss": history[-1] if history else None,
                "descriptor": self.descriptor.config(), "lattice": self.descriptor.kind,
                "training_lattice": None if self.lattice_ is None else self.lattice_.config(),
                "units": "energies and fields in units of t1; fields are -dE/dS",
                "training_hash": self.training_hash_, "command": command, **(extra or {})}
        meta["hyperparameters"]["hidden"] = list(self.hidden)
        save_model(path, arrays, meta)

    @classmethod
    def _from_file(cls, arrays, meta):
        descriptor = descriptor_from_config(meta["descriptor"])
        model = cls(descriptor, progress=False, **meta["hyperparameters"])
        n_params = sum(1 for k in arrays if k.startswith("param"))
        model.network_ = MLP((descriptor.n_features, *model.hidden, model.n_outputs), model.activation)
        if n_params != len(model.network_.params):
            raise ValueError("the weights do not match the network described in the metadata")
        for k, p in enumerate(model.network_.params):
            w = arrays[f"param{k}"]
            if w.shape != p.shape:
                raise ValueError(f"weight {k} has shape {w.shape}, expected {p.shape}: the file does not match "
                                 f"its descriptor ({descriptor.n_features} features)")
            p[...] = w
        model.scaler_ = scaler_from_state({k[7:]: v for k, v in arrays.items() if k.startswith("scaler_")})
        if model.scaler_.mean_.shape != (descriptor.n_features,):
            raise ValueError("the scaler does not match the descriptor")
        model.training_hash_ = meta["training_hash"]
        model.lattice_ = _training_lattice(meta)
        model.history_ = {"train_loss": [], "validation_loss": [], "learning_rate": []}
        model.metadata_ = meta
        return model


def _training_lattice(meta):
    """The training lattice recorded in a model file (files before it was recorded: from the dataset plan)."""
    if meta.get("training_lattice"):
        return lattice_from_config(meta["training_lattice"])
    plan = meta.get("dataset", {}).get("plan")
    if plan:
        from .presets import get_preset

        return get_preset(plan["preset"]).lattice(plan["L"])
    return None


def load_model(path) -> BPModel:
    """Load a model written by :meth:`BPModel.save` (never unpickles).

    Raises ValueError with the reason when a file is missing, truncated or corrupt,
    from a newer format, or does not match its descriptor.
    """
    arrays, meta = read_model_files(path)
    if meta.get("model") != "bp":
        raise ValueError(f"{path} does not describe a BP model")
    return BPModel._from_file(arrays, meta)
