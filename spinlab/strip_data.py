"""NEGF training data of the driven strip (physics.md §2.3, §6.2): the states the driven dynamics visits.

Each task is one NEGF-driven Landau-Lifshitz run of the strip between two leads at one bias
(μ_L fixed, μ_R given), with a weak spin bath, from a thermalized Néel state whose columns next to
the right lead are disturbed (the authors' start, where the ferromagnetic layer nucleates) or, for
the ``bridge`` runs, from a tilted ferromagnet: a metal bridging both leads, where the current
flows and the nonconservative torques are largest.
Snapshots are taken evenly in time; each is also perturbed by small random rotations
(``perturbations`` copies), so that the data hold fields off the trajectory too.  Every snapshot is
labelled by NEGF at its run's bias, and the bias is stored with it (the model's bias feature).

Tasks run through :func:`spinlab.datasets.generate`, like the ED data: resumable shards, local
workers or Dask, and locally the runs stream into ``runs/<task>`` and continue from their last
checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .datasets import require_integers, require_non_negative
from .dynamics import SemiImplicitMidpoint
from .electrons import NEGFModel
from .lattice import Strip
from .spins import ferromagnet, neel, perturbed, random_spins
from .trajectory import run

__all__ = ["StripElectrons", "StripPlan", "thermal_neel", "tilted_ferromagnet", "run_strip_task", "START_STATES"]


def thermal_neel(lattice: Strip, tilt: float, disturbed: int, rng) -> np.ndarray:
    """Néel order with random tilts of rms ``tilt``, the ``disturbed`` columns next to the right lead random."""
    spins = perturbed(neel(lattice), tilt, rng)
    edge = lattice.coords[:, 0] >= lattice.Lx - disturbed
    spins[edge] = random_spins(int(edge.sum()), rng)
    return spins


def tilted_ferromagnet(lattice: Strip, tilt: float, disturbed: int, rng) -> np.ndarray:
    """A ferromagnet along z with random tilts of rms ``tilt`` (``disturbed`` is not used)."""
    return perturbed(ferromagnet(lattice), tilt, rng)


#: The starting states of the runs, by name.
START_STATES = {"neel": thermal_neel, "bridge": tilted_ferromagnet}


@dataclass(frozen=True)
class StripElectrons:
    """The strip and its electrons, shared by the plans of the driven strip: an Lx x Ly strip, Hund coupling J,
    lead coupling Γ, electronic temperature and the left lead's chemical potential (held fixed)."""

    Lx: int = 32
    Ly: int = 24
    J: float = 3.8
    Gamma: float = 1.0
    kT_el: float = 0.01
    mu_left: float = -3.6

    @property
    def lattice(self) -> Strip:
        return Strip(self.Lx, self.Ly)

    def electrons(self, lattice: Strip, mu_left: float, mu_right: float, method: str = "rgf") -> NEGFModel:
        """The NEGF solver of these electrons on ``lattice`` between leads at μ_L, μ_R."""
        return NEGFModel(lattice, J=self.J, Gamma=self.Gamma, mu_left=mu_left, mu_right=mu_right, kT_el=self.kT_el,
                         method=method)


@dataclass(frozen=True)
class StripPlan(StripElectrons):
    """What to generate: NEGF-driven runs of the strip at several biases.

    Parameters
    ----------
    Lx, Ly : int
        The strip (open along x, periodic along y).
    J, Gamma, kT_el : float
        Hund coupling, lead coupling and electronic temperature of :class:`~spinlab.electrons.NEGFModel`.
    mu_left : float
        The left lead's electron chemical potential, held fixed.
    mu_rights : tuple of float
        The right lead's chemical potential of each run from the Néel start (repeat a value for
        another run at that bias).
    bridge_mu_rights : tuple of float
        The same for runs from a tilted ferromagnet (a metallic bridge between the leads).
    steps, dt, alpha, kT : int, float
        Length, time step, LL damping and spin-bath temperature of the runs (the authors': dt 0.5,
        α 0.55, kT 0.0025).
    tilt, disturbed : float, int
        The start: Néel with tilts of rms ``tilt``, the ``disturbed`` columns next to the right lead random.
    snapshots, perturbations, perturbation : int, int, float
        Snapshots per run (evenly in time, the start excluded), perturbed copies of each and their rms tilt.
    seed : int
        Base seed; run k uses seed + k.
    """

    mu_rights: tuple = (-3.6, -3.45, -3.35, -3.28, -3.28, -3.2)
    bridge_mu_rights: tuple = (-3.6, -3.28)
    steps: int = 400
    dt: float = 0.5
    alpha: float = 0.55
    kT: float = 0.0025
    tilt: float = 0.1
    disturbed: int = 3
    snapshots: int = 20
    perturbations: int = 1
    perturbation: float = 0.1
    seed: int = 0
    kind: str = "driven"
    engine: str = "negf"
    preset: str = "driven-strip"

    def __post_init__(self):
        object.__setattr__(self, "mu_rights", tuple(float(mu) for mu in self.mu_rights))
        object.__setattr__(self, "bridge_mu_rights", tuple(float(mu) for mu in self.bridge_mu_rights))
        if not self.mu_rights + self.bridge_mu_rights:
            raise ValueError("give at least one right-lead chemical potential")
        require_integers(self, ("steps", "snapshots"), 1)
        require_integers(self, ("perturbations", "disturbed", "seed"), 0)
        if self.snapshots > self.steps:
            raise ValueError(f"snapshots ({self.snapshots}) cannot exceed steps ({self.steps})")
        require_non_negative(self, ("dt", "tilt", "perturbation", "alpha", "kT"))
        if self.disturbed > self.Lx:
            raise ValueError(f"disturbed ({self.disturbed}) exceeds the strip's {self.Lx} columns")
        self.model()  # strip size, J, Γ, T and the μ's are checked by the solver

    def model(self, mu_right: float | None = None) -> NEGFModel:
        """The NEGF solver of the plan at one bias (default: the first run's)."""
        mu_right = (self.mu_rights + self.bridge_mu_rights)[0] if mu_right is None else mu_right
        return self.electrons(self.lattice, self.mu_left, mu_right)

    def tasks(self) -> list[dict]:
        """One task per run."""
        runs = [("neel", mu) for mu in self.mu_rights] + [("bridge", mu) for mu in self.bridge_mu_rights]
        tasks = [{"name": f"driven-{k:02d}-{start}-muR{mu:+.3f}", "kind": "driven", "start": start, "mu_right": mu,
                  "seed": self.seed + k} for k, (start, mu) in enumerate(runs)]
        return [dict(t, plan=asdict(self)) for t in tasks]


def run_strip_task(task: dict, progress: bool = False) -> dict:
    """One shard: the run's snapshots and their perturbed copies, NEGF fields and densities, and the bias
    (``progress``: a progress bar over the run's steps)."""
    plan = StripPlan(**task["plan"])
    model = plan.model(task["mu_right"])
    start_rng, noise_rng, kick_rng = (np.random.default_rng([task["seed"], k]) for k in range(3))
    every = plan.steps // plan.snapshots
    start = START_STATES[task["start"]](plan.lattice, plan.tilt, plan.disturbed, start_rng)
    trajectory = run(start, model,
                     SemiImplicitMidpoint(plan.dt, plan.alpha, kT=plan.kT), every * plan.snapshots,
                     record_every=every, seed=noise_rng, store=task.get("store"), progress=progress)
    spins, times = np.asarray(trajectory.spins)[1:], np.asarray(trajectory.times)[1:]
    copies = [perturbed(s, plan.perturbation, kick_rng) for s in spins for _ in range(plan.perturbations)]
    spins = np.concatenate([spins, np.array(copies).reshape(-1, *spins.shape[1:])])
    times = np.concatenate([times, np.repeat(times, plan.perturbations)])
    states = [model.solve(s) for s in spins]
    n = len(spins)
    return {"spins": spins, "fields": np.stack([st.field for st in states]),
            "densities": np.stack([st.density for st in states]),
            "energies": np.full(n, np.nan), "gaps": np.full(n, np.nan), "times": times,
            "perturbed": np.arange(n) >= plan.snapshots,
            "bias": np.tile([plan.mu_left, task["mu_right"]], (n, 1))}
