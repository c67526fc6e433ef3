"""What every electron solver shares: the Hamiltonian, the ensemble, presets, identity."""

from __future__ import annotations

import numpy as np

from ..lattice import Lattice
from ..presets import get_preset
from ..providers import batched
from .ensembles import Ensemble
from .hamiltonian import SpinFermionHamiltonian

__all__ = ["ElectronModel"]


class ElectronModel:
    """Base of the electron solvers (:class:`~spinlab.electrons.SDModel`, :class:`~spinlab.electrons.KPMModel`).

    Holds the :class:`~spinlab.electrons.SpinFermionHamiltonian` (``hamiltonian_``) and the
    :class:`~spinlab.electrons.Ensemble` (``ensemble_``) built from exactly one of ``filling``,
    ``n_electrons`` and ``mu``; subclasses add ``solver``, ``solve(spins)`` (a state with
    ``energy``, ``field``, ``density`` and ``spin_density``) and ``energy(spins)``.
    """

    conservative = True
    solver = ""

    def __init__(self, lattice: Lattice, *, J: float, t1: float = 1.0, t3: float = 0.0,
                 filling: float | None = None, n_electrons: int | None = None,
                 mu: float | None = None, kT_el: float = 0.0):
        self.hamiltonian_ = SpinFermionHamiltonian(lattice, J, t1, t3)
        self.lattice, self.n_sites = lattice, lattice.n_sites
        self.J, self.t1, self.t3 = self.hamiltonian_.J, self.hamiltonian_.t1, self.hamiltonian_.t3
        given = [name for name, v in (("filling", filling), ("n_electrons", n_electrons), ("mu", mu)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of filling, n_electrons, mu (got {given or 'none'})")
        n_states = 2 * self.n_sites
        if filling is not None:
            ne = n_states * filling
            if abs(ne - round(ne)) > 1e-9:
                raise ValueError(f"filling {filling} gives N_e = 2 N f = {ne:g} on {self.n_sites} sites, not an "
                                 "integer; give n_electrons instead")
            n_electrons = int(round(ne))
        if n_electrons is not None and (int(n_electrons) != n_electrons or not 0 < n_electrons < n_states):
            raise ValueError(f"n_electrons must be an integer in 1..{n_states - 1} (2N - 1), got {n_electrons}")
        self.ensemble_ = Ensemble(None if n_electrons is None else int(n_electrons),
                                  None if mu is None else float(mu), float(kT_el))
        self.n_electrons, self.mu, self.kT_el = self.ensemble_.n_electrons, self.ensemble_.mu, self.ensemble_.kT

    @classmethod
    def from_preset(cls, name: str, L: int, **overrides):
        """The model of a named parameter set (:data:`spinlab.presets.PRESETS`) on an L x L lattice.

        The preset's filling becomes the nearest integer N_e; ``overrides`` replace any
        parameter (``filling`` or ``mu`` replace N_e) or set the solver's own options.
        """
        preset = get_preset(name)
        overrides = {k: v for k, v in overrides.items() if not (k in ("filling", "mu", "n_electrons") and v is None)}
        params = dict(J=preset.J, n_electrons=preset.n_electrons(L))
        if {"filling", "mu"} & overrides.keys():
            params.pop("n_electrons")
        params.update(overrides)
        return cls(preset.lattice(L), **params)

    @property
    def ensemble(self) -> str:
        """"canonical", "quasi-canonical" or "grand-canonical"."""
        return self.ensemble_.kind

    @property
    def filling(self) -> float | None:
        return None if self.n_electrons is None else self.n_electrons / (2 * self.n_sites)

    def config(self) -> dict:
        return {"provider": type(self).__name__, "lattice": self.lattice.config(), "J": self.J,
                "t1": self.t1, "t3": self.t3, **self.ensemble_.config(), **self._solver_config()}

    def _solver_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        fixed = f"mu={self.mu}" if self.mu is not None else f"n_electrons={self.n_electrons}"
        options = "".join(f", {k}={v!r}" for k, v in self._solver_config().items())
        return (f"{type(self).__name__}({self.lattice!r}, J={self.J}, t1={self.t1}, t3={self.t3}, {fixed}, "
                f"kT_el={self.kT_el}{options})  # {self.ensemble}, {self.solver}")

    @batched
    def energy_and_field(self, spins):
        """The potential E and the field H = -dE/dS from one evaluation; batches (B, N, 3) accepted."""
        state = self.solve(spins)
        return state.energy, state.field

    def exchange_field(self, spins) -> np.ndarray:
        """Exchange field H_i = -dE/dS_i = J m_i, shape (N, 3) (or (B, N, 3))."""
        return self.energy_and_field(spins)[1]

    def densities(self, spins) -> tuple[np.ndarray, np.ndarray]:
        """Electron density n_i and electron spin density m_i (N, 3)."""
        state = self.solve(spins)
        return state.density, state.spin_density
