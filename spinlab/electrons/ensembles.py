r"""Electron ensembles shared by every solver: occupations, chemical potential, thermodynamic potential.

=================  =======================  ===========================================
ensemble           parameters               potential E (the field is -dE/dS)
=================  =======================  ===========================================
canonical          ``n_electrons``,         :math:`\sum_n f_n\varepsilon_n`, lowest
                   ``kT = 0``               :math:`N_e` levels filled
quasi-canonical    ``n_electrons``,         :math:`F = \Omega + \mu N_e`, μ re-solved so
                   ``kT > 0``               that :math:`\sum_n f_n = N_e`
grand canonical    ``mu`` (any ``kT``)      :math:`\Omega = -T\sum_n\ln(1 + e^{-(\varepsilon_n-\mu)/T})`
                                            (:math:`\sum_n (\varepsilon_n-\mu)\theta(\mu-\varepsilon_n)` at T = 0)
=================  =======================  ===========================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

__all__ = ["Ensemble", "fermi"]


def fermi(eps, mu: float, kT: float) -> np.ndarray:
    """Fermi function :math:`1/(e^{(\\varepsilon-\\mu)/T} + 1)` (a step at T = 0, 1 at ε = μ)."""
    eps = np.asarray(eps, float)
    if kT == 0:
        return (eps <= mu).astype(float)
    return expit(-(eps - mu) / kT)


@dataclass(frozen=True)
class Ensemble:
    """Which electrons fill the single-particle levels: give ``n_electrons`` or ``mu``, and ``kT``.

    Examples
    --------
    >>> Ensemble(n_electrons=2).occupations(np.array([-1.0, 0.0, 2.0]))[:3]
    (array([1., 1., 0.]), 1.0, 2.0)
    """

    n_electrons: int | None = None
    mu: float | None = None
    kT: float = 0.0

    def __post_init__(self):
        if (self.n_electrons is None) == (self.mu is None):
            raise ValueError("an ensemble needs exactly one of n_electrons and mu")
        if not (np.isfinite(self.kT) and self.kT >= 0):
            raise ValueError(f"kT_el must be finite and >= 0, got {self.kT}")
        if self.mu is not None and not np.isfinite(self.mu):
            raise ValueError(f"mu must be finite, got {self.mu}")

    @property
    def kind(self) -> str:
        if self.mu is not None:
            return "grand-canonical"
        return "canonical" if self.kT == 0 else "quasi-canonical"

    def config(self) -> dict:
        return {"n_electrons": self.n_electrons, "mu": self.mu, "kT_el": self.kT}

    def solve_mu(self, eps) -> float:
        """μ with :math:`\\sum_n f(\\varepsilon_n - \\mu) = N_e` (quasi-canonical)."""
        T, ne = self.kT, self.n_electrons
        pad = 50 * T + 1.0
        return brentq(lambda mu: np.sum(expit((mu - eps) / T)) - ne, eps[0] - pad, eps[-1] + pad,
                      xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=400)

    def occupations(self, eps) -> tuple[np.ndarray, float, float, float]:
        """Occupations f_n of ascending levels ``eps``, μ, the level spacing at the Fermi level, and E.

        In the canonical ensemble μ is mid-gap between the highest occupied and lowest empty level.
        """
        T = self.kT
        if self.mu is None and T == 0:
            ne = self.n_electrons
            f = np.zeros_like(eps)
            f[:ne] = 1.0
            return f, 0.5 * (eps[ne] + eps[ne - 1]), eps[ne] - eps[ne - 1], float(np.sum(eps[:ne]))
        mu = self.solve_mu(eps) if self.mu is None else self.mu
        below, above = eps[eps <= mu], eps[eps > mu]
        gap = (above[0] if above.size else np.inf) - (below[-1] if below.size else -np.inf)
        f = fermi(eps, mu, T)
        if T == 0:  # grand canonical at T = 0
            return f, mu, gap, float(np.sum((eps - mu) * f))
        omega = -T * np.sum(np.logaddexp(0.0, -(eps - mu) / T))
        energy = omega if self.mu is not None else omega + mu * self.n_electrons
        return f, mu, gap, float(energy)
