"""Training data that contain chiral domain walls: ED-driven runs from straight walls (issue 18).

The 12 x 12 training sets hold no lasting walls, so a model trained on them has never seen the
objects whose motion the coarsening is.  A :class:`WallDataPlan` runs ED-driven Landau-Lifshitz
dynamics from the two straight walls of :func:`spinlab.walls.chiral_walls` on a torus that holds
both orientations (:math:`L_2 = 2L_1`): for every orientation, relative spin frame and spin
temperature, one run from the abrupt walls (slightly tilted, so the runs differ), sampled at
log-spaced times: the walls forming, relaxing, fluctuating, and, for frames whose walls do not
survive, annihilating.  Every snapshot is labelled by ED in the quasi-canonical ensemble at
``kT_el`` (fixed :math:`N_e`), the ensemble of the other classes of the same model.

Tasks run through :func:`spinlab.datasets.generate` like the other data: resumable shards, local
workers or Dask; locally the runs stream into ``runs/<task>`` and continue from their last checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .datasets import _log_spaced, require_integers, require_non_negative
from .dynamics import SemiImplicitMidpoint
from .lattice import TriangularLattice
from .trajectory import run
from .wall_studies import tilted
from .walls import WALL_FRAMES, WALL_ORIENTATIONS, chiral_walls

__all__ = ["WallDataPlan", "run_wall_task"]


@dataclass(frozen=True)
class WallDataPlan:
    """ED-driven runs from straight chiral walls on an :math:`L_1 \\times 2L_1` torus.

    Parameters
    ----------
    preset : str
        The tetrahedral parameter set (the only one with chiral domains).
    L1 : int
        Torus :math:`L_1 \\times 2L_1` (even): walls along a bond are :math:`L_1` long and
        :math:`L_1\\sqrt3/2` apart, walls perpendicular to one :math:`L_1\\sqrt3` long and :math:`L_1/2` apart.
    kT_el : float
        Electronic temperature of the quasi-canonical labels (> 0: walls carry gapless modes).
    orientations, frames : tuple of str
        Keys of :data:`~spinlab.walls.WALL_ORIENTATIONS` and :data:`~spinlab.walls.WALL_FRAMES`.
    temperatures : tuple of float
        Spin-bath temperatures (0: damped relaxation of the walls).
    steps, snapshots, dt, alpha : int, int, float, float
        Length, kept snapshots (log-spaced in time), time step and LL damping of each run.
    tilt : float
        Random kick of every spin of the abrupt start (makes runs of equal frame distinct).
    seed : int
        Base seed; task k uses seed + k.
    """

    preset: str = "tetrahedral"
    L1: int = 12
    kT_el: float = 0.005
    orientations: tuple = WALL_ORIENTATIONS
    frames: tuple = tuple(WALL_FRAMES)
    temperatures: tuple = (0.0, 0.005)
    steps: int = 300
    snapshots: int = 12
    dt: float = 0.2
    alpha: float = 1.0
    tilt: float = 0.05
    seed: int = 0
    kind: str = "walls"
    engine: str = "ed"

    def __post_init__(self):
        if self.preset != "tetrahedral":
            raise ValueError(f"chiral walls exist in the tetrahedral preset only, not {self.preset!r}")
        if self.kind != "walls" or self.engine != "ed":
            raise ValueError("a wall-data plan has kind 'walls' and ED labels")
        require_integers(self, ("L1", "steps", "snapshots"), 1)
        require_integers(self, ("seed",), 0)
        require_non_negative(self, ("kT_el", "dt", "alpha", "tilt"))
        if self.L1 % 2:
            raise ValueError(f"L1 must be even (the tetrahedral state fits each domain), got {self.L1}")
        for name, allowed in (("orientations", WALL_ORIENTATIONS), ("frames", tuple(WALL_FRAMES))):
            values = tuple(str(v) for v in getattr(self, name))
            object.__setattr__(self, name, values)
            unknown = [v for v in values if v not in allowed]
            if unknown or not values:
                raise ValueError(f"{name} must be some of {', '.join(allowed)}, got {', '.join(values) or 'none'}")
        object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
        if not self.temperatures or any(not (np.isfinite(t) and t >= 0) for t in self.temperatures):
            raise ValueError(f"temperatures must be >= 0, got {self.temperatures}")

    @property
    def lattice(self) -> TriangularLattice:
        return TriangularLattice(self.L1, 2 * self.L1)

    def model(self):
        """The labelling solver: ED of the preset on the torus."""
        return _ed(asdict(self))

    def tasks(self) -> list[dict]:
        """One run per orientation, frame and temperature."""
        tasks = []
        for orientation in self.orientations:
            for frame in self.frames:
                for T in self.temperatures:
                    tasks.append({"name": f"walls-{orientation}-{frame}-T{T:g}", "kind": "walls",
                                  "orientation": orientation, "frame": frame, "temperature": T,
                                  "seed": self.seed + len(tasks), "plan": asdict(self)})
        return tasks


def _ed(plan: dict):
    from .electrons import SDModel
    from .presets import get_preset

    preset = get_preset(plan["preset"])
    return SDModel(TriangularLattice(plan["L1"], 2 * plan["L1"]), J=preset.J, filling=preset.filling,
                   kT_el=plan["kT_el"])


def run_wall_task(task: dict) -> dict:
    """One shard: the run from the task's walls, its log-spaced snapshots and their ED labels."""
    plan = task["plan"]
    ed = _ed(plan)
    rng = np.random.default_rng(task["seed"])  # draws the tilt, then the noise
    start = tilted(chiral_walls(ed.lattice, task["orientation"], task["frame"]), plan["tilt"], rng)
    integrator = SemiImplicitMidpoint(plan["dt"], plan["alpha"], kT=task["temperature"])
    trajectory = run(start, ed, integrator, plan["steps"], record_every=max(1, plan["steps"] // 100), seed=rng,
                     store=task.get("store"), progress=False)
    keep = _log_spaced(len(trajectory), plan["snapshots"])
    spins, times = trajectory.spins[keep], trajectory.times[keep]
    states = [ed.solve(s) for s in spins]
    return {"spins": spins, "fields": np.stack([st.field for st in states]),
            "energies": np.array([st.energy for st in states]), "gaps": np.array([st.gap for st in states]),
            "times": times}
