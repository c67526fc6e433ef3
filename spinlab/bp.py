r"""Behler-Parrinello force fields: E = Σ_i ε(G_i), fields as exact gradients.

One shared network maps each site's descriptor :math:`G_i` (standardized) to a
local energy; the exchange field is the exact derivative through the network
and the descriptor,

.. math:: \mathbf H_i = -\frac{\partial E}{\partial\mathbf S_i}
   = -\sum_j \Bigl(\frac{\partial G_j}{\partial\mathbf S_i}\Bigr)^{T}\frac{\partial\varepsilon}{\partial G_j},

so the model field is conservative by construction.

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
from contextlib import nullcontext
from pathlib import Path

import numba
import numpy as np
from tqdm.auto import tqdm

from . import __version__
from ._malloc import retain_freed_memory
from ._numba import PARALLEL_MIN_SITES
from .descriptors import Descriptor, FeatureScaler, SymmetricDescriptor, descriptor_from_config
from .lattice import SquareLattice, TriangularLattice
from .mlp import MLP
from .spins import as_spins, transverse

__all__ = ["BPModel", "RidgeFieldModel", "load_model", "field_errors", "MODEL_FORMAT"]

MODEL_FORMAT = 1
_LATTICES = {"triangular": TriangularLattice, "square": SquareLattice}


def field_errors(spins, predicted, reference) -> dict:
    """Field and torque errors of a prediction, absolute and relative to the reference's spread.

    The torque is :math:`\\mathbf S\\times\\mathbf H` (it carries only the transverse field).
    Returns RMSE of the full field, of the torque, each divided by the standard deviation
    of the reference's components, and R² of the torque components.
    """
    spins, predicted, reference = (np.asarray(a, float) for a in (spins, predicted, reference))
    torque_p, torque_r = np.cross(spins, predicted), np.cross(spins, reference)
    rmse = np.sqrt(np.mean((predicted - reference) ** 2))
    torque_rmse = np.sqrt(np.mean((torque_p - torque_r) ** 2))
    return {"field_rmse": float(rmse), "field_relative": float(rmse / reference.std()),
            "torque_rmse": float(torque_rmse), "torque_relative": float(torque_rmse / torque_r.std()),
            "torque_r2": float(1 - np.mean((torque_p - torque_r) ** 2) / torque_r.var())}


_BLAS = None  # threadpoolctl controller, created on first use
#: Networks with fewer multiply-adds per site (sum of n_in * n_out over layers) run their matrix
#: products on one BLAS thread when numba's kernels are threaded (measured crossover on two cores:
#: hidden (256, 256, 256), 1.7e5, is a tie; (512, 256, 128, 64), 2.5e5, gains from BLAS threads).
BLAS_THREADING_MIN_WORK = 200_000


def _blas_for(n_sites, network):
    """Context that restricts BLAS to one thread where its threads cost more than they gain.

    * Snapshots below :data:`~spinlab._numba.PARALLEL_MIN_SITES` sites: the network's matrices
      have one row per site, and for a few hundred rows threaded BLAS spends more on
      synchronization than it saves, far more on a busy machine (a 12x12 training step
      with hidden (64, 64, 64) took 40x longer on two threads than on one on a loaded
      two-core machine).
    * Small networks (below :data:`BLAS_THREADING_MIN_WORK`) when numba is threaded: OpenBLAS
      threads keep spinning after each product and slow the threaded descriptor and
      activation kernels that follow (96x96 prediction with the default model on two
      cores: 6.3 µs/site with one BLAS thread, 9-13 µs/site with two).

    The results are identical either way.
    """
    global _BLAS
    work = sum(a * b for a, b in zip(network.sizes[:-1], network.sizes[1:]))
    small_network = work < BLAS_THREADING_MIN_WORK and numba.get_num_threads() > 1
    if n_sites >= PARALLEL_MIN_SITES and not small_network:
        return nullcontext()
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def _data_hash(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


class _FieldModelBase:
    """Lattice handling and the field-provider adapter shared by the models."""

    descriptor: Descriptor

    def _lattice(self, n_sites, lattice):
        if lattice is not None:
            return lattice
        L = int(round(np.sqrt(n_sites)))
        if L * L != n_sites:
            raise ValueError(f"{n_sites} sites is not an L x L lattice; pass lattice= explicitly")
        cache = self.__dict__.setdefault("_lattice_cache", {})
        if L not in cache:
            cache[L] = _LATTICES[self.descriptor.kind](L)
        return cache[L]

    def _configs(self, spins, lattice):
        s = as_spins(spins, batch=True)
        batch = s.ndim == 3
        s = s if batch else s[None]
        return s, self._lattice(s.shape[1], lattice), batch

    def field_provider(self, lattice):
        """An object with ``exchange_field(spins)`` (and ``energy``) for :func:`spinlab.trajectory.run`."""
        return _Provider(self, lattice)

    def errors(self, spins, fields, lattice=None) -> dict:
        """:func:`field_errors` of the prediction against reference fields."""
        s, lat, _ = self._configs(spins, lattice)
        return field_errors(s, self.predict_fields(s, lattice=lat), np.asarray(fields).reshape(s.shape))

    def score(self, spins, fields, lattice=None) -> float:
        """R² of the torques S × H (1 is perfect; scikit-learn convention: higher is better)."""
        return self.errors(spins, fields, lattice)["torque_r2"]


class _Provider:
    def __init__(self, model, lattice):
        self.model, self.lattice, self.n_sites = model, lattice, lattice.n_sites

    def exchange_field(self, spins):
        return self.model.predict_fields(spins, lattice=self.lattice)

    def energy(self, spins):
        return self.model.predict_energy(spins, lattice=self.lattice)

    def __repr__(self):
        return f"{type(self.model).__name__} on {self.lattice!r}"


class BPModel(_FieldModelBase):
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
    scaler_ : FeatureScaler
    history_ : dict of lists
        ``train_loss``, ``validation_loss``, ``learning_rate`` per epoch.
    training_hash_ : str
        Hash of the training data.
    """

    def __init__(self, descriptor: Descriptor | None = None, hidden=(64, 64, 64), activation: str = "silu",
                 outputs: str = "energy", field_weight: float = 1.0, torque_weight: float = 1.0,
                 energy_weight: float = 0.0, learning_rate: float = 1e-3, decay: float = 0.75, patience: int = 10,
                 epochs: int = 200, batch_size: int = 8, validation_fraction: float = 0.2, stop_patience: int = 25,
                 optimizer: str = "adam", warm_start: bool = False, seed: int = 0, progress: bool = True):
        self.descriptor = SymmetricDescriptor("triangular", 2.0) if descriptor is None else descriptor
        self.hidden, self.activation, self.outputs = tuple(hidden), activation, outputs
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
        if outputs == "two-potential" and energy_weight:
            raise ValueError("the two-potential model has no energy to fit: set energy_weight=0")

    @property
    def n_outputs(self) -> int:
        return 1 if self.outputs == "energy" else 2

    # -- prediction -------------------------------------------------------------------------------------------
    def _site_outputs(self, lattice, spins, order=2):
        """Network outputs (N, n_out) and the forward cache, with activation derivatives up to ``order``
        (0: energies only, 1: fields, 2: training on fields)."""
        G = self.scaler_.transform(self.descriptor.features(lattice, spins))
        y, cache = self.network_.forward(G, order)
        return y, cache

    def _feature_cotangents(self, cache, n_sites):
        """∂y_o/∂G for every output o, from a forward cache of ``n_sites`` rows: list of (n_sites, F)."""
        cotangents = []
        for o in range(self.n_outputs):
            weights = np.zeros((n_sites, self.n_outputs))
            weights[:, o] = 1.0
            cotangents.append(self.network_.input_gradient(cache, weights) / self.scaler_.scale_)
        return cotangents

    def _gradients(self, lattice, spins, cache):
        """∂(Σ_i y_io)/∂S for every output o, from the forward cache of all sites: list of (N, 3) arrays."""
        return [self.descriptor.vjp(lattice, spins, dG) for dG in self._feature_cotangents(cache, lattice.n_sites)]

    def _block_cotangents(self, G, rows):
        """The network's part of :meth:`Descriptor.pullback`: ∂y_o/∂G of one block of sites."""
        _, cache = self.network_.forward(self.scaler_.transform(G), order=1)
        return self._feature_cotangents(cache, len(G))

    def _parts(self, spins, grads):
        if self.outputs == "energy":
            return {"E": -grads[0]}
        dU, dW = grads
        return {"U": -transverse(spins, dU), "W": -np.cross(spins, dW)}

    def _field(self, spins, grads):
        return sum(self._parts(spins, grads).values())

    def field_parts(self, spins, lattice=None) -> dict:
        """The field split by potential, for one configuration (N, 3) or a batch.

        Two-potential model: ``{"U": -(dU/dS)_perp, "W": -S x dW/dS}`` (field-like and
        damping-like parts; their sum is :meth:`predict_fields`); one-output model: ``{"E": H}``.
        """
        self._require_fitted()
        retain_freed_memory()  # else page faults cost a third of the time at a few hundred sites (spinlab._malloc)
        s, lat, batch = self._configs(spins, lattice)
        parts = []
        with _blas_for(lat.n_sites, self.network_):
            for x in s:
                parts.append(self._parts(x, self.descriptor.pullback(lat, x, self._block_cotangents)))
        return {k: np.stack([p[k] for p in parts]) if batch else parts[0][k] for k in parts[0]}

    def predict_fields(self, spins, lattice=None) -> np.ndarray:
        """Model fields, (N, 3) or (B, N, 3).  The two-potential model returns H⊥ only."""
        return sum(self.field_parts(spins, lattice).values())

    def predict_energy(self, spins, lattice=None):
        """E = Σ_i ε_i (one-output model; the two-potential model returns (U, W))."""
        self._require_fitted()
        s, lat, batch = self._configs(spins, lattice)
        totals = np.array([self._site_outputs(lat, x, order=0)[0].sum(axis=0) for x in s])
        values = totals[:, 0] if self.n_outputs == 1 else totals
        return values if batch else values[0]

    def local_energies(self, spins, lattice=None) -> np.ndarray:
        """ε_i (N,) or (N, 2) for one configuration: the decomposition E = Σ_i ε_i."""
        self._require_fitted()
        s, lat, _ = self._configs(spins, lattice)
        y = self._site_outputs(lat, s[0], order=0)[0]
        return y[:, 0] if self.n_outputs == 1 else y

    def _require_fitted(self):
        if not hasattr(self, "network_"):
            raise RuntimeError("this model is not fitted yet: call fit() or load a model file")

    # -- training -------------------------------------------------------------------------------------------------
    def loss_and_gradient(self, lattice, spins, fields, energies=None):
        """Loss of a batch (B, N, 3) and its exact gradient with respect to the network parameters."""
        with _blas_for(lattice.n_sites, self.network_):
            return self._loss(lattice, spins, fields, energies, gradient=True)

    def _loss(self, lattice, spins, fields, energies=None, gradient=True):
        """(loss, gradient); without ``gradient`` the second item is None and the costly part is skipped."""
        n_configs, n_sites = spins.shape[:2]
        total = 0.0
        grads = [np.zeros_like(p) for p in self.network_.params] if gradient else None
        norm = n_configs * n_sites * 3
        for k in range(n_configs):
            s = spins[k]
            y, cache = self._site_outputs(lattice, s, order=2 if gradient else 1)
            gradients = self._gradients(lattice, s, cache)
            residual = self._field(s, gradients) - fields[k]
            if self.outputs == "two-potential":
                residual = transverse(s, residual)  # only H_perp is defined
            perp = transverse(s, residual)
            total += (self.field_weight * np.sum(residual**2) + self.torque_weight * np.sum(perp**2)) / norm
            r = 2 * (self.field_weight * residual + self.torque_weight * perp) / norm  # dL/dH
            energy_weights = np.zeros((n_sites, self.n_outputs))
            if self.energy_weight and energies is not None:
                delta = (y[:, 0].sum() - energies[k]) / n_sites
                total += self.energy_weight * delta**2 / n_configs
                energy_weights[:, 0] = 2 * self.energy_weight * delta / (n_sites * n_configs)
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

    def _training_arrays(self, spins, fields, energies, lattice):
        s, lat, _ = self._configs(spins, lattice)
        fields = np.asarray(fields, dtype=float).reshape(s.shape)
        if energies is not None:
            energies = np.asarray(energies, dtype=float).reshape(len(s))
        return s, lat, fields, energies

    def trained_on(self, spins, fields, energies=None, lattice=None) -> bool:
        """Whether :meth:`fit` was given exactly these snapshots (compares :attr:`training_hash_`)."""
        s, _, fields, energies = self._training_arrays(spins, fields, energies, lattice)
        return self.training_hash_ == _data_hash(s, fields, energies)

    def fit(self, spins, fields, energies=None, lattice=None) -> "BPModel":
        """Train on snapshots: spins and reference fields (B, N, 3), optional energies (B,).

        All snapshots share one lattice (default: L x L of the descriptor's kind).
        """
        s, lat, fields, energies = self._training_arrays(spins, fields, energies, lattice)
        if not np.all(np.isfinite(fields)):
            raise ValueError("fields contain NaN or infinite values")
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(s))
        n_val = int(round(self.validation_fraction * len(s))) if len(s) > 1 else 0
        val, train = order[:n_val], order[n_val:]
        if not (self.warm_start and hasattr(self, "network_")):
            self.scaler_ = FeatureScaler().fit(np.concatenate([self.descriptor.features(lat, x) for x in s[train]]))
            self.network_ = MLP((self.descriptor.n_features, *self.hidden, self.n_outputs), self.activation, rng)
            self.history_ = {"train_loss": [], "validation_loss": [], "learning_rate": []}
        self.training_hash_ = _data_hash(s, fields, energies)

        def loss(idx, gradient=True):
            return self._loss(lat, s[idx], fields[idx], None if energies is None else energies[idx], gradient=gradient)

        check = val if len(val) else train
        tracker = _BestParameters(self.network_.params, self.history_, self.stop_patience)
        bar = tqdm(total=self.epochs, disable=not self.progress, desc="training", unit="epoch")
        with _blas_for(lat.n_sites, self.network_):  # small snapshots or networks: one BLAS thread
            if self.optimizer == "adam":
                self._fit_adam(loss, train, check, rng, tracker, bar)
            else:
                self._fit_lbfgs(loss, train, check, tracker, bar)
        bar.close()
        tracker.restore()
        return self

    def _fit_adam(self, loss, train, check, rng, tracker, bar):
        adam = _Adam(self.network_.params, self.learning_rate)
        since_decay = 0
        for _ in range(self.epochs):
            rng.shuffle(train)
            total = 0.0
            for start in range(0, len(train), self.batch_size):
                idx = train[start:start + self.batch_size]
                value, grads = loss(idx)
                adam.step(grads)
                total += value * len(idx)
            improved, stop = tracker.update(total / len(train), loss(check, gradient=False)[0], adam.learning_rate)
            bar.update(1)
            bar.set_postfix(train=f"{tracker.history['train_loss'][-1]:.3g}",
                            validation=f"{tracker.history['validation_loss'][-1]:.3g}")
            since_decay = 0 if improved else since_decay + 1
            if since_decay >= self.patience:
                adam.learning_rate *= self.decay
                since_decay = 0
            if stop:
                break

    def _fit_lbfgs(self, loss, train, check, tracker, bar):
        from scipy.optimize import minimize

        params = self.network_.params
        bounds = np.cumsum([0] + [p.size for p in params])

        def unpack(x):
            for p, a, b in zip(params, bounds[:-1], bounds[1:]):
                p[...] = x[a:b].reshape(p.shape)

        def objective(x):
            unpack(x)
            value, grads = loss(train)
            return value, np.concatenate([g.ravel() for g in grads])

        def callback(intermediate_result):
            unpack(intermediate_result.x)
            _, stop = tracker.update(float(intermediate_result.fun), loss(check, gradient=False)[0], np.nan)
            bar.update(1)
            bar.set_postfix(train=f"{intermediate_result.fun:.3g}",
                            validation=f"{tracker.history['validation_loss'][-1]:.3g}")
            if stop:
                raise StopIteration

        x0 = np.concatenate([p.ravel() for p in params])
        minimize(objective, x0, jac=True, method="L-BFGS-B", callback=callback,
                 options={"maxiter": self.epochs, "maxcor": 30, "ftol": 0.0, "gtol": 0.0})

    # -- files ---------------------------------------------------------------------------------------------------
    def save(self, path, command: str | None = None, extra: dict | None = None) -> None:
        """Write ``path.npz`` (weights, scaler) and ``path.json`` (configuration, provenance)."""
        self._require_fitted()
        arrays = {f"param{k}": p for k, p in enumerate(self.network_.params)}
        arrays.update({f"scaler_{k}": v for k, v in self.scaler_.state().items()})
        meta = {"model": "bp", "hyperparameters": {
            "hidden": list(self.hidden), "activation": self.activation, "outputs": self.outputs,
            "field_weight": self.field_weight, "torque_weight": self.torque_weight,
            "energy_weight": self.energy_weight, "learning_rate": self.learning_rate, "decay": self.decay,
            "patience": self.patience, "epochs": self.epochs, "batch_size": self.batch_size,
            "validation_fraction": self.validation_fraction, "stop_patience": self.stop_patience,
            "optimizer": self.optimizer, "seed": self.seed},
            "final_validation_loss": self.history_["validation_loss"][-1] if self.history_["validation_loss"] else None}
        _save(path, arrays, meta, self.descriptor, self.training_hash_, command, extra)

    @classmethod
    def _from_file(cls, arrays, meta, descriptor):
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
        model.scaler_ = FeatureScaler.from_state({k[7:]: v for k, v in arrays.items() if k.startswith("scaler_")})
        if model.scaler_.mean_.shape != (descriptor.n_features,):
            raise ValueError("the scaler does not match the descriptor")
        model.training_hash_ = meta["training_hash"]
        model.history_ = {"train_loss": [], "validation_loss": [], "learning_rate": []}
        return model


class RidgeFieldModel(_FieldModelBase):
    """Linear site energy ε_i = w · G̃_i fitted to fields by ridge regression (scikit-learn).

    The field is linear in w: column f of the design matrix is the field of the
    unit weight on feature f, :math:`-(\\partial G_f/\\partial S)^T\\mathbf 1`.

    Parameters
    ----------
    descriptor : SymmetricDescriptor
    features : {"a1", "all"}
        Only the linear A1 invariants (which represent any bilinear exchange energy
        exactly) or all invariants.
    alpha : float
        Ridge penalty on the standardized weights.
    """

    def __init__(self, descriptor: SymmetricDescriptor | None = None, features: str = "a1", alpha: float = 1e-10):
        self.descriptor = SymmetricDescriptor("triangular", 2.0) if descriptor is None else descriptor
        if features not in ("a1", "all"):
            raise ValueError(f"features must be 'a1' or 'all', got {features!r}")
        if features == "a1" and not isinstance(self.descriptor, SymmetricDescriptor):
            raise ValueError("A1 features need a SymmetricDescriptor")
        self.features, self.alpha = features, alpha

    @property
    def _columns(self):
        if self.features == "a1":
            return self.descriptor.feature_families["A1"]
        return np.arange(self.descriptor.n_features)

    def _design(self, lattice, spins):
        n, cols = lattice.n_sites, self._columns
        A = np.empty((n * 3, len(cols)))
        for m, f in enumerate(cols):
            cot = np.zeros((n, self.descriptor.n_features))
            cot[:, f] = 1.0 / self.scale_[m]
            A[:, m] = -self.descriptor.vjp(lattice, spins, cot).ravel()
        return A

    def fit(self, spins, fields, lattice=None) -> "RidgeFieldModel":
        from sklearn.linear_model import Ridge

        s, lat, _ = self._configs(spins, lattice)
        G = np.concatenate([self.descriptor.features(lat, x)[:, self._columns] for x in s])
        self.scale_ = np.where(G.std(axis=0) > 0, G.std(axis=0), 1.0)
        A = np.concatenate([self._design(lat, x) for x in s])
        # orbits of equal bond length give linearly dependent columns: the SVD solver takes the
        # minimum-norm solution without complaint (effective_couplings sums them back up)
        ridge = Ridge(alpha=self.alpha, fit_intercept=False, solver="svd").fit(A, np.asarray(fields, float).reshape(-1))
        self.coef_ = ridge.coef_ / self.scale_  # weights of the raw features
        return self

    def predict_fields(self, spins, lattice=None):
        s, lat, batch = self._configs(spins, lattice)
        cot = np.zeros(self.descriptor.n_features)
        cot[self._columns] = self.coef_
        out = np.stack([-self.descriptor.vjp(lat, x, np.broadcast_to(cot, (lat.n_sites, len(cot)))) for x in s])
        return out if batch else out[0]

    def predict_energy(self, spins, lattice=None):
        s, lat, batch = self._configs(spins, lattice)
        e = np.array([self.descriptor.features(lat, x)[:, self._columns].sum(axis=0) @ self.coef_ for x in s])
        return e if batch else e[0]

    def effective_couplings(self) -> dict[float, float]:
        """Heisenberg coupling J(d) per bond length d implied by the fitted A1 weights.

        Summed over the lattice, the A1 feature of an orbit of n pairs of length d is
        :math:`(n/\\sqrt{n})\\,(2/z_d)\\sum_{\\text{bonds of length }d}\\mathbf S_i\\cdot\\mathbf S_j`, with z_d
        the number of neighbours at distance d.  (Constant energies are dropped.)
        """
        if self.features != "a1":
            raise ValueError("couplings are read off the A1 model only")
        lattice = _LATTICES[self.descriptor.kind](2 * int(np.ceil(self.descriptor.cutoff)) + 3)
        couplings: dict[float, float] = {}
        for w, row in zip(self.coef_, self.descriptor.orbit_table()):
            d = round(row["bond_length"], 9)
            shell = int(np.argmin(np.abs(lattice.shell_distances - d))) + 1
            z = lattice.neighbors(shell).shape[1]
            couplings[d] = couplings.get(d, 0.0) + w * np.sqrt(row["size"]) * 2 / z
        return couplings


class _BestParameters:
    """Keeps the history and the parameters with the lowest validation loss; signals early stopping."""

    def __init__(self, params, history, patience):
        self.params, self.history, self.patience = params, history, patience
        self.best, self.best_loss, self.since_best = None, np.inf, 0

    def update(self, train_loss, validation_loss, learning_rate):
        """Record one epoch; returns (improved, stop)."""
        self.history["train_loss"].append(float(train_loss))
        self.history["validation_loss"].append(float(validation_loss))
        self.history["learning_rate"].append(float(learning_rate))
        improved = validation_loss < self.best_loss * (1 - 1e-4)
        if improved:
            self.best, self.best_loss, self.since_best = [p.copy() for p in self.params], validation_loss, 0
        else:
            self.since_best += 1
        return improved, self.since_best >= self.patience

    def restore(self):
        if self.best is not None:
            for p, b in zip(self.params, self.best):
                p[...] = b


# -- Adam ---------------------------------------------------------------------------------------------------------------
class _Adam:
    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, eps=1e-12):
        self.params, self.learning_rate = params, learning_rate
        self.beta1, self.beta2, self.eps, self.t = beta1, beta2, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        c1, c2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= self.learning_rate * (m / c1) / (np.sqrt(v / c2) + self.eps)


# -- model files ---------------------------------------------------------------------------------------------------------
def _paths(path):
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    return base.with_suffix(".npz"), base.with_suffix(".json")


def _save(path, arrays, meta, descriptor, training_hash, command, extra):
    from .trajectory import save_npz

    npz, js = _paths(path)
    save_npz(npz, arrays, {"kind": "model-weights"})
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    meta = dict(meta, format=MODEL_FORMAT, spinlab=__version__, descriptor=descriptor.config(),
                lattice=descriptor.kind, units="energies and fields in units of t1; fields are -dE/dS",
                training_hash=training_hash, command=command, weights_sha256=digest, **(extra or {}))
    tmp = js.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
    tmp.replace(js)


def load_model(path) -> BPModel:
    """Load a model written by :meth:`BPModel.save` (never unpickles).

    Raises ValueError with the reason when a file is missing, truncated or corrupt,
    from a newer format, or does not match its descriptor.
    """
    from .trajectory import load_npz

    npz, js = _paths(path)
    for f in (npz, js):
        if not f.exists():
            raise ValueError(f"model file {f} is missing (a model is a .npz with a .json beside it)")
    try:
        meta = json.loads(js.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{js} is not valid JSON (truncated?): {err}") from None
    if meta.get("format", 0) > MODEL_FORMAT:
        raise ValueError(f"{js} has model format {meta['format']}, newer than this spinlab ({MODEL_FORMAT}): "
                         "upgrade spinlab")
    if meta.get("model") != "bp":
        raise ValueError(f"{js} does not describe a BP model")
    if hashlib.sha256(npz.read_bytes()).hexdigest() != meta.get("weights_sha256"):
        raise ValueError(f"{npz} does not match the checksum in {js}: truncated, corrupt or from another model")
    try:
        arrays, _ = load_npz(npz)
    except Exception as err:  # zipfile and numpy raise several types for damaged archives
        raise ValueError(f"{npz} cannot be read ({type(err).__name__}: {err})") from None
    descriptor = descriptor_from_config(meta["descriptor"])
    model = BPModel._from_file(arrays, meta, descriptor)
    model.metadata_ = meta
    return model
