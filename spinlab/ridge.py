"""A linear baseline: site energies linear in the descriptor, fitted to fields by ridge regression."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from .descriptors import SymmetricDescriptor
from .fieldmodels import FieldModel
from .lattice import LATTICES

__all__ = ["RidgeFieldModel"]


class RidgeFieldModel(FieldModel):
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
        self.lattice_ = lat
        return self

    def fingerprint(self) -> str:
        """Hash of the descriptor and the fitted weights."""
        text = json.dumps(self.descriptor.config(), sort_keys=True) + self.features
        return hashlib.sha256(text.encode() + np.ascontiguousarray(self.coef_).tobytes()).hexdigest()[:16]

    def short_repr(self) -> str:
        """The constructor call, with the descriptor's kind and cutoff only."""
        d = self.descriptor
        return f"RidgeFieldModel({type(d).__name__}({d.kind!r}, {d.cutoff:g}), features={self.features!r}, " \
               f"alpha={self.alpha})"

    def __repr__(self) -> str:
        return f"{self.short_repr()}  # {'fitted' if hasattr(self, 'coef_') else 'not fitted'}"

    def predict_fields(self, spins, lattice=None, bias=None):
        """Model fields (N, 3) or (B, N, 3); a linear model's static columns drop out of them."""
        s, lat, batch = self._configs(spins, lattice)
        cot = np.zeros(self.descriptor.n_features)
        cot[self._columns] = self.coef_
        out = np.stack([-self.descriptor.vjp(lat, x, np.broadcast_to(cot, (lat.n_sites, len(cot)))) for x in s])
        return out if batch else out[0]

    def predict_energy(self, spins, lattice=None, bias=None):
        s, lat, batch = self._configs(spins, lattice)
        biases = self._biases(bias, len(s))
        e = np.array([self.descriptor.features(lat, x, biases[k])[:, self._columns].sum(axis=0) @ self.coef_
                      for k, x in enumerate(s)])
        return e if batch else e[0]

    def effective_couplings(self) -> dict[float, float]:
        """Heisenberg coupling J(d) per bond length d implied by the fitted A1 weights.

        Summed over the lattice, the A1 feature of an orbit of n pairs of length d is
        :math:`(n/\\sqrt{n})\\,(2/z_d)\\sum_{\\text{bonds of length }d}\\mathbf S_i\\cdot\\mathbf S_j`, with z_d
        the number of neighbours at distance d.  (Constant energies are dropped.)
        """
        if self.features != "a1":
            raise ValueError("couplings are read off the A1 model only")
        lattice = LATTICES[self.descriptor.kind](2 * int(np.ceil(self.descriptor.cutoff)) + 3)
        couplings: dict[float, float] = {}
        for w, row in zip(self.coef_, self.descriptor.orbit_table()):
            d = round(row["bond_length"], 9)
            shell = int(np.argmin(np.abs(lattice.shell_distances - d))) + 1
            z = lattice.neighbors(shell).shape[1]
            couplings[d] = couplings.get(d, 0.0) + w * np.sqrt(row["size"]) * 2 / z
        return couplings



