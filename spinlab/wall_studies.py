r"""The chiral-wall study behind ``spinlab reproduce chiral-walls``: ED walls, their energy and modes, a shrinking disk.

Every piece is a resumable task in a work folder:

* ``relax/<orientation>-<width>-<frame>.npz``: a straight-wall torus (:mod:`spinlab.walls`)
  relaxed by ED (:func:`spinlab.relaxation.relax`) from the abrupt wall with a small seeded
  tilt (an abrupt wall of the inverted frame is stationary, a saddle);
* ``disk-ed-<frame>/``: the ED-driven shrinking of a -χ disk, a trajectory store that continues
  from its last checkpoint;
* ``thermal/``: an ED-driven Langevin run of the uniform state on a wall torus, whose ED torque
  is the scale of the model's errors.

:func:`wall_summary` reads them (whatever has finished) and adds what the shipped, or any
conservative, model makes of the same objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .dynamics import SemiImplicitMidpoint
from .electrons import SDModel
from .io import load_npz, save_npz
from .lattice import TriangularLattice
from .relaxation import relax
from .spins import as_spins, tetrahedral
from .trajectory import open_trajectory, run
from .walls import (WALL_FRAMES, WALL_ORIENTATIONS, bond_wall_fraction, chiral_disk, chiral_walls, chirality_profile, field_response,
                    minus_chi_area, wall_coordinate, wall_distance, wall_energy, wall_length, wall_normal_angles,
                    wall_spectrum, wall_torus)

__all__ = ["WallPlan", "run_task", "wall_summary", "shrink_rate", "coarsening_morphology", "response_cuts"]


@dataclass(frozen=True)
class WallPlan:
    """What the study computes.  J, filling 1/4 and T_el as the tetrahedral preset's data."""

    J: float = 3.0
    kT_el: float = 0.005
    bond_widths: tuple = (8, 12, 16)
    bond_length: int = 12
    perpendicular_widths: tuple = (12, 16)
    frames: tuple = tuple(WALL_FRAMES)
    tilt: float = 1e-3
    seed: int = 0
    tol: float = 1e-5
    max_steps: int = 1500
    disk_L: int = 24
    disk_radius: float = 6.0
    disk_frames: tuple = ("inverted-C3", "S4")
    dt: float = 0.2
    alpha: float = 1.0
    disk_t_max: float = 300.0
    record_interval: float = 2.0
    thermal_kT: float = 0.005
    thermal_steps: int = 400

    def __post_init__(self):
        for frame in set(self.frames) | set(self.disk_frames):
            if frame not in WALL_FRAMES:
                raise ValueError(f"unknown wall frame {frame!r}; choose from {', '.join(WALL_FRAMES)}")
        for orientation in WALL_ORIENTATIONS:
            if len(self.widths(orientation)) < 2:
                raise ValueError("convergence in the wall separation needs at least two widths per orientation")
            for width in self.widths(orientation):
                self.lattice(orientation, width)  # raises on odd or too small sizes
        if abs(self.record_interval / self.dt - round(self.record_interval / self.dt)) > 1e-9:
            raise ValueError(f"the record interval {self.record_interval:g} must be a multiple of dt = {self.dt:g}")

    def tasks(self) -> list[tuple]:
        """Every task, the longest first (so parallel workers finish together)."""
        walls = [("relax", o, w, f) for o in WALL_ORIENTATIONS for w in self.widths(o)
                 for f in (*self.frames, "uniform")]
        walls.sort(key=lambda task: -self.lattice(task[1], task[2]).n_sites)
        return [("disk", f) for f in self.disk_frames] + walls + [("thermal",)]

    def thermal_lattice(self):
        """The middle bond-wall torus, uniform: the thermal run's."""
        return self.lattice("bond", self.widths("bond")[len(self.bond_widths) // 2])

    def widths(self, orientation: str) -> tuple:
        """The domain widths of ``orientation``, ascending."""
        return tuple(sorted(self.bond_widths if orientation == "bond" else self.perpendicular_widths))

    def lattice(self, orientation: str, width: int):
        return wall_torus(orientation, width, self.bond_length if orientation == "bond" else None)

    def ed(self, lattice) -> SDModel:
        """Filling 1/4 (N_e = N/2), quasi-canonical at kT_el."""
        return SDModel(lattice, J=self.J, n_electrons=lattice.n_sites // 2, kT_el=self.kT_el)

    def integrator(self, kT: float = 0.0) -> SemiImplicitMidpoint:
        return SemiImplicitMidpoint(self.dt, self.alpha, kT=kT)

    def disk_lattice(self) -> TriangularLattice:
        return TriangularLattice(self.disk_L)

    def disk_start(self, frame: str) -> np.ndarray:
        return tilted(chiral_disk(self.disk_lattice(), self.disk_radius, frame), self.tilt, self.seed)

    def config(self) -> dict:
        return asdict(self)


def tilted(spins, amount: float, seed) -> np.ndarray:
    """``spins`` each turned by about ``amount`` in a random direction (a seeded Gaussian kick, renormalized)."""
    spins = as_spins(spins) + amount * np.random.default_rng(seed).standard_normal((len(spins), 3))
    return spins / np.linalg.norm(spins, axis=1, keepdims=True)


#: The settings a relaxation depends on; a cached one made with others is refused.
_RELAXATION_KEYS = ("J", "kT_el", "bond_length", "tilt", "seed", "tol", "max_steps")


def _relax_path(work, orientation, width, frame) -> Path:
    return Path(work) / "relax" / f"{orientation}-{width}-{frame}.npz"


def _disk_observables(lattice) -> dict:
    return {"area": lambda spins: minus_chi_area(lattice, spins)}


def run_task(plan: WallPlan, task: tuple, work, provider=None, progress: bool = False):
    """Run (or finish) one task of :meth:`WallPlan.tasks` in ``work``; finished tasks return at once.

    ``provider`` replaces ED in a disk task (a model bound to the disk's lattice); its store is
    then ``disk-model-<frame>``.
    """
    kind = task[0]
    if kind == "relax":
        _, orientation, width, frame = task
        path = _relax_path(work, orientation, width, frame)
        if path.exists():
            data, meta = load_npz(path)
            made = {k: meta["plan"][k] for k in _RELAXATION_KEYS}
            if made != {k: getattr(plan, k) for k in _RELAXATION_KEYS}:
                raise ValueError(f"{path} was relaxed with {made}: use another work folder for this plan")
            return data, meta
        lattice = plan.lattice(orientation, width)
        start = tetrahedral(lattice) if frame == "uniform" else chiral_walls(lattice, orientation, frame)
        result = relax(plan.ed(lattice), tilted(start, plan.tilt, plan.seed), tol=plan.tol,
                       max_steps=plan.max_steps, progress=progress)
        meta = {"task": list(task), "plan": plan.config(), "energy": result.energy, "max_torque": result.max_torque,
                "steps": result.steps, "converged": result.converged}
        save_npz(path, {"spins": result.spins, "energies": result.energies}, meta)
        return load_npz(path)
    if kind == "disk":
        frame = task[1]
        start = plan.disk_start(frame)
        lattice = plan.disk_lattice()
        name = f"disk-{'ed' if provider is None else 'model'}-{frame}"
        provider = plan.ed(lattice) if provider is None else provider
        steps = int(round(plan.disk_t_max / plan.dt))
        every = int(round(plan.record_interval / plan.dt))
        return run(start, provider, plan.integrator(), steps, record_every=every,
                   observables=_disk_observables(lattice), store=None if work is None else Path(work) / name,
                   checkpoint_every=every * 5, progress=progress)
    if kind == "thermal":
        lattice = plan.thermal_lattice()
        return run(tetrahedral(lattice), plan.ed(lattice), plan.integrator(plan.thermal_kT), plan.thermal_steps,
                   record_every=plan.thermal_steps // 4, store=Path(work) / "thermal", seed=[plan.seed, 7],
                   progress=progress)
    raise ValueError(f"unknown task {task!r}")


def shrink_rate(times, areas, start: float = 0.8, end: float = 0.2) -> dict:
    """Rate -dA/dt of a shrinking disk, the least-squares slope while A falls from ``start`` to ``end`` times A(0).

    A run that has not yet reached ``end`` A(0) is fitted up to its last record (``partial``).
    """
    times, areas = np.asarray(times, float), np.asarray(areas, float)
    a0 = areas[0]
    below = np.flatnonzero(areas <= start * a0)
    if len(below) == 0:
        return {"rate": float("nan"), "t_start": float("nan"), "t_end": float("nan"), "partial": True}
    i0 = below[0]
    gone = np.flatnonzero((areas <= end * a0) & (np.arange(len(areas)) > i0))
    i1 = gone[0] if len(gone) else len(areas) - 1
    if i1 - i0 < 2:
        return {"rate": float("nan"), "t_start": float(times[i0]), "t_end": float(times[i1]), "partial": True}
    slope = np.polyfit(times[i0:i1 + 1], areas[i0:i1 + 1], 1)[0]
    return {"rate": float(-slope), "t_start": float(times[i0]), "t_end": float(times[i1]), "partial": not len(gone)}


def _response_profile(lattice, orientation, response, site) -> dict:
    """The response of every site against its distance from ``site`` along and across the walls."""
    d = lattice.displacement(site, np.arange(lattice.n_sites))
    # the bond walls run along a1 = x; the perpendicular ones along 2 a2 - a1 = (0, √3): along y
    along, across = (d[:, 0], d[:, 1]) if orientation == "bond" else (d[:, 1], d[:, 0])
    return {"along": np.abs(along), "across": np.abs(across), "response": response}


def response_cuts(along, across, response) -> dict:
    """A field response (:func:`~spinlab.walls.field_response`) on the lines through its site along and across the wall.

    ``along``, ``across``: every site's distance from the perturbed site in the two directions
    (N,).  Returns ``{"along": (distances, values), "across": (distances, values)}``: the largest
    response at each distance on the line, relative to the site's own.
    """
    along, across, response = (np.asarray(a, float) for a in (along, across, response))
    own = response[np.argmin(along + across)]
    cuts = {}
    for key, distance, other in (("along", along, across), ("across", across, along)):
        line = other < 0.6  # rows of a triangular lattice alternate by half a spacing
        d = np.round(distance[line], 6)
        xs = np.unique(d)
        cuts[key] = (xs, np.array([response[line][d == x].max() for x in xs]) / own)
    return cuts


def _reach(profile, distances=(2.0, 4.0, 6.0)) -> dict:
    """Largest relative response within half a spacing of each distance on the two lines (:func:`response_cuts`)."""
    cuts = response_cuts(profile["along"], profile["across"], profile["response"])
    return {key: [float(values[np.abs(xs - d) < 0.5].max(initial=0.0)) for d in distances]
            for key, (xs, values) in cuts.items()}


def _relaxed(work, orientation, width, frame):
    path = _relax_path(work, orientation, width, frame)
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run the study's relaxations first")
    return load_npz(path)


def _relaxed_walls(plan, work, orientation, width) -> dict:
    """Wall energies of every frame's relaxed state; ``walls_kept`` is False where the walls annihilated."""
    lattice = plan.lattice(orientation, width)
    ed, rows = plan.ed(lattice), {}
    uniform = _relaxed(work, orientation, width, "uniform")[0]["spins"]
    for frame in plan.frames:
        data, meta = _relaxed(work, orientation, width, frame)
        rows[frame] = dict(wall_energy(ed, data["spins"], uniform, orientation), steps=meta["steps"],
                           converged=meta["converged"], max_torque=meta["max_torque"],
                           walls_kept=_walls_kept(lattice, data["spins"], orientation))
    return rows


def _walls_kept(lattice, spins, orientation) -> bool:
    """Whether both chiral domains survived a relaxation (else the walls annihilated)."""
    profile = chirality_profile(lattice, spins, orientation)
    return bool(profile.max() > 0.5 and profile.min() < -0.5)


def wall_summary(plan: WallPlan, work, model=None, coarsening=None, progress: bool = False) -> tuple[dict, dict]:
    """Arrays and summary of the study from what ``work`` holds, and ``model``'s walls and disk beside ED's.

    Needs every relaxation done; the ED disks and the thermal run are read as far as they got.
    ``coarsening``: a coarsening result whose maps' wall directions join the summary
    (:func:`coarsening_morphology`).
    """
    arrays, summary = {}, {"plan": plan.config(), "orientations": {}, "walls": {}}
    best = {}
    for orientation in WALL_ORIENTATIONS:
        per_width = {}
        for width in plan.widths(orientation):
            rows = _relaxed_walls(plan, work, orientation, width)
            summary["walls"].update({f"{orientation}/{width}/{frame}": row for frame, row in rows.items()})
            kept = [frame for frame in rows if rows[frame]["walls_kept"]]
            if kept:
                frame = min(kept, key=lambda f: rows[f]["sigma"])
                per_width[width] = (frame, rows[frame]["sigma"])
        if len(per_width) < 2:
            raise ValueError(f"{orientation} walls survive at fewer than two widths: use wider tori")
        (_, previous), (width, (frame, sigma)) = sorted(per_width.items())[-2:]
        summary["orientations"][orientation] = {
            "sigma": sigma, "frame": frame, "width": width, "finite_size_error": abs(sigma - previous[1]),
            "sigma_by_width": {str(w): s for w, (_, s) in per_width.items()},
            "frame_by_width": {str(w): f for w, (f, _) in per_width.items()}}
        best[orientation] = frame
        lattice = plan.lattice(orientation, width)
        spins = _relaxed(work, orientation, width, frame)[0]["spins"]
        arrays[f"{orientation}/spins"] = spins
        uniform, meta = _relaxed(work, orientation, width, "uniform")
        arrays[f"{orientation}/uniform"] = uniform["spins"]
        summary["orientations"][orientation]["uniform_max_torque"] = meta["max_torque"]
        arrays[f"{orientation}/profile"] = chirality_profile(lattice, spins, orientation)
    o = summary["orientations"]
    diff = o["perpendicular"]["sigma"] - o["bond"]["sigma"]
    summary["sigma_difference"] = {"perpendicular_minus_bond": diff,
                                   "finite_size_error": o["bond"]["finite_size_error"] + o["perpendicular"]["finite_size_error"]}
    for name, part in (("modes", _wall_modes), ("locality", _wall_locality)):
        part_arrays, summary[name] = part(plan, arrays, summary)
        arrays.update(part_arrays)
    thermal = Path(work) / "thermal"
    if thermal.exists():
        store = open_trajectory(thermal)
        lattice = plan.thermal_lattice()
        s = store.final_spins
        h = plan.ed(lattice).exchange_field(s)
        torque = np.linalg.norm(np.cross(s, h), axis=1)
        summary["thermal"] = {"time": float(store.times[-1]), "rms_torque": float(np.sqrt(np.mean(torque**2))),
                              "finished": store.finished}
    disks = {}
    for frame in plan.disk_frames:
        path = Path(work) / f"disk-ed-{frame}"
        if path.exists():
            store = open_trajectory(path)
            arrays[f"disk/ed/{frame}/times"] = np.asarray(store.times)
            arrays[f"disk/ed/{frame}/area"] = np.asarray(store.observables["area"])
            disks[f"ed/{frame}"] = shrink_rate(store.times, store.observables["area"])
    summary["disks"] = disks
    if coarsening is not None:
        morphology, summary["coarsening_morphology"] = coarsening_morphology(coarsening)
        arrays.update({f"morphology/{k}": v for k, v in morphology.items()})
    if model is not None:
        summary["model"] = _model_checks(plan, model, arrays, summary, best, progress)
    return arrays, summary


def _wall_modes(plan, arrays, summary) -> tuple[dict, dict]:
    """In-gap states of the widest walls and their weight on the two rows beside each wall."""
    out, modes = {}, {}
    for orientation in WALL_ORIENTATIONS:
        lattice = plan.lattice(orientation, summary["orientations"][orientation]["width"])
        ed = plan.ed(lattice)
        near = wall_distance(lattice, orientation) <= 1.0
        eps, weight = wall_spectrum(ed, arrays[f"{orientation}/spins"], near)
        eps_u = ed.spectrum(arrays[f"{orientation}/uniform"])
        n = ed.n_electrons
        gap = (float(eps_u[n - 1]), float(eps_u[n]))  # the uniform state's gap at filling 1/4
        inside = (eps > gap[0]) & (eps < gap[1])
        out.update({f"{orientation}/eps": eps, f"{orientation}/weight": weight,
                              f"{orientation}/eps_uniform": eps_u})
        modes[orientation] = {"bulk_gap": gap, "in_gap_states": int(inside.sum()),
                              "in_gap_weight": float(weight[inside].mean()) if inside.any() else float("nan"),
                              "even_weight": float(near.mean()), "walled_fermi_gap": float(eps[n] - eps[n - 1])}
    return out, modes


def _wall_locality(plan, arrays, summary) -> tuple[dict, dict]:
    """Hessian columns (:func:`~spinlab.walls.field_response`) of a wall site and a mid-domain site."""
    out, result = {}, {}
    for orientation in WALL_ORIENTATIONS:
        lattice = plan.lattice(orientation, summary["orientations"][orientation]["width"])
        ed = plan.ed(lattice)
        row, _ = wall_coordinate(lattice, orientation)
        spins = arrays[f"{orientation}/spins"]
        sites = {"wall": int(np.flatnonzero(row == lattice.L2 // 2)[0]),
                 "domain": int(np.flatnonzero(row == lattice.L2 // 4)[0])}
        for name, site in sites.items():
            profile = _response_profile(lattice, orientation, field_response(ed, spins, site), site)
            result[f"{orientation}/{name}"] = _reach(profile)
            for key, value in profile.items():
                out[f"{orientation}/response/{name}/{key}"] = value
    return out, result


def coarsening_morphology(path, smoothing: float = 1.5) -> tuple[dict, dict]:
    """Wall directions in the chirality maps of a coarsening result (``spinlab reproduce coarsening``).

    For each map: the share of wall length within 15° of the bond-wall direction
    (:func:`~spinlab.walls.bond_wall_fraction`; 1/2 for isotropic walls), the histogram of normal
    angles mod 60° in six bins weighted by length, and the wall length per area.
    """
    arrays, meta = load_npz(path)
    lattice = TriangularLattice(meta["L"])
    fractions, histograms, density = [], [], []
    for chi in arrays["maps"]:
        angles, weights = wall_normal_angles(lattice, chi, smoothing)
        fractions.append(bond_wall_fraction(angles, weights))
        histograms.append(np.histogram(angles, bins=6, range=(0.0, 60.0), weights=weights)[0] / weights.sum())
        density.append(weights.sum() / lattice.n_sites)  # length per up triangle over area per up triangle
    out = {"times": arrays["map_times"], "bond_fraction": np.array(fractions), "histograms": np.array(histograms),
           "wall_length_per_area": np.array(density)}
    return out, {"source": meta.get("command", str(path)), "L": meta["L"], "smoothing": smoothing,
                 "bond_fraction": [float(f) for f in fractions]}


def _model_checks(plan, model, arrays, summary, best, progress) -> dict:
    """The model's own walls (relaxed by the model from ED's best frames), their σ, and the ED torque left there."""
    checks = {"fingerprint": model.fingerprint()}
    thermal = summary.get("thermal", {}).get("rms_torque")
    for orientation in WALL_ORIENTATIONS:
        lattice = plan.lattice(orientation, summary["orientations"][orientation]["width"])
        bound, ed = model.bind(lattice), plan.ed(lattice)
        start = tilted(chiral_walls(lattice, orientation, best[orientation]), plan.tilt, plan.seed)
        relaxed = relax(bound, start, tol=plan.tol, max_steps=plan.max_steps, progress=progress)
        uniform = relax(bound, tilted(tetrahedral(lattice), plan.tilt, plan.seed), tol=plan.tol,
                        max_steps=plan.max_steps)
        sigma = (relaxed.energy - uniform.energy) / (2 * wall_length(lattice, orientation))
        h = ed.exchange_field(relaxed.spins)
        torque = np.linalg.norm(np.cross(relaxed.spins, h), axis=1)
        near = wall_distance(lattice, orientation) <= 2.0
        rms = float(np.sqrt(np.mean(torque[near] ** 2)))
        ed_sigma = summary["orientations"][orientation]["sigma"]
        checks[orientation] = {"sigma": float(sigma), "sigma_ratio": float(sigma / ed_sigma),
                               "converged": relaxed.converged, "steps": relaxed.steps,
                               "walls_kept": _walls_kept(lattice, relaxed.spins, orientation),
                               "ed_torque_near_wall": rms,
                               "ed_torque_ratio": None if thermal is None else rms / thermal,
                               "ed_sigma_of_model_wall": wall_energy(ed, relaxed.spins, arrays[f"{orientation}/uniform"],
                                                                     orientation)["sigma"]}
        arrays[f"model/{orientation}/spins"] = relaxed.spins
    d = summary["sigma_difference"]["perpendicular_minus_bond"]
    checks["sigma_difference"] = checks["perpendicular"]["sigma"] - checks["bond"]["sigma"]
    checks["sigma_difference_ratio"] = checks["sigma_difference"] / d if d else float("nan")
    bound = model.bind(plan.disk_lattice())
    for frame in plan.disk_frames:
        trajectory = run_task(plan, ("disk", frame), None, provider=bound)
        arrays[f"disk/model/{frame}/times"] = np.asarray(trajectory.times)
        arrays[f"disk/model/{frame}/area"] = np.asarray(trajectory.observables["area"])
        rate = shrink_rate(trajectory.times, trajectory.observables["area"])
        ed_rate = summary["disks"].get(f"ed/{frame}", {}).get("rate", float("nan"))
        checks[f"disk/{frame}"] = dict(rate, rate_ratio=rate["rate"] / ed_rate)
    return checks
