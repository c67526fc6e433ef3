r"""Landau-Lifshitz-Gilbert and Langevin integrators for classical unit spins.

Every integrator solves the **Landau-Lifshitz (LL) form** with γ = 1,

.. math::

    \frac{d\mathbf S_i}{dt} = -\mathbf S_i\times\mathbf H_i
        - \alpha\,\mathbf S_i\times(\mathbf S_i\times\mathbf H_i)
      = \mathbf T_i\times\mathbf S_i,\qquad
    \mathbf T_i = \mathbf H_i + \alpha\,\mathbf S_i\times\mathbf H_i ,

with :math:`\mathbf H_i = -\partial E/\partial\mathbf S_i`.  The Gilbert form
:math:`d\mathbf S/dt = -\mathbf S\times\mathbf H + \alpha\,\mathbf S\times d\mathbf S/dt`
is the same equation in a rescaled time, :math:`t_\mathrm{LL} = t_\mathrm{G}/(1+\alpha^2)`:
to reproduce a Gilbert-form run of duration t with damping α, integrate the LL
form for t/(1 + α²).

**Thermal noise** (``kT > 0``) is a Gaussian field ξ, drawn once per step and
shared by predictor and corrector (Stratonovich), with the
fluctuation-dissipation amplitude of the LL form:

* ``noise="precession"`` (default, as in Sunny.jl):
  :math:`\mathbf T = (\mathbf H + \boldsymbol\xi) + \alpha\,\mathbf S\times\mathbf H`,
  :math:`\langle\xi^2\rangle = 2\alpha k_BT/\Delta t` per component;
* ``noise="both"``:
  :math:`\mathbf T = (\mathbf H + \boldsymbol\xi) + \alpha\,\mathbf S\times(\mathbf H + \boldsymbol\xi)`,
  :math:`\langle\xi^2\rangle = 2\alpha k_BT/((1+\alpha^2)\Delta t)`.

Thermal averages carry a time-step bias of first order in dt (weak order 1): for
independent spins at α = 0.5, T = 2h it is about 0.15 dt in ⟨S_z⟩, so the
Langevin function is reproduced to 1e-3 only for dt ≲ 0.01; extrapolate in dt
when thermal averages matter more than that.

A field provider is any object with ``exchange_field(spins) -> (N, 3)`` and,
for energies, ``energy(spins) -> float``.  Fields are always evaluated at unit
spins: intermediate (midpoint) configurations are normalized first, since
electron models are defined for unit spins only.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._numba import site_kernel

__all__ = [
    "Integrator",
    "SemiImplicitMidpoint",
    "ImplicitMidpoint",
    "DepondtMertens",
    "StochasticHeun",
    "AdamsBashforthMidpoint",
    "IntegrationError",
    "INTEGRATORS",
    "integrator_from_config",
]

#: After each step, | |S_i| - 1 | above this stops the run (norm-preserving schemes stay near 1e-15).
NORM_DRIFT_LIMIT = 1e-10


class IntegrationError(FloatingPointError):
    """A step produced non-finite fields or spins off the unit sphere."""


# -- kernels ------------------------------------------------------------------------------------------------
@site_kernel
def _torque(spins, field, noise, alpha, noise_in_damping, out):
    """T = (H + xi) + alpha S x (H [+ xi]); ``noise`` has 0 rows when there is none."""
    has_noise = noise.shape[0] > 0
    for i in prange(spins.shape[0]):
        hx, hy, hz = field[i, 0], field[i, 1], field[i, 2]
        px, py, pz = hx, hy, hz
        if has_noise:
            px += noise[i, 0]
            py += noise[i, 1]
            pz += noise[i, 2]
            if noise_in_damping:
                hx, hy, hz = px, py, pz
        sx, sy, sz = spins[i, 0], spins[i, 1], spins[i, 2]
        out[i, 0] = px + alpha * (sy * hz - sz * hy)
        out[i, 1] = py + alpha * (sz * hx - sx * hz)
        out[i, 2] = pz + alpha * (sx * hy - sy * hx)


@site_kernel
def _cayley(spins, torque, half_dt, scale, out):
    r"""Solve S' - S = dt T x (S + S')/2 exactly: rotation about T by 2 arctan(|T| dt/2).

    ``scale`` (per site, or empty) multiplies T.  Returns the number of sites whose
    result is not finite or not unit length.
    """
    bad = 0
    scaled = scale.shape[0] > 0
    for i in prange(spins.shape[0]):
        c = half_dt * scale[i] if scaled else half_dt
        tx, ty, tz = c * torque[i, 0], c * torque[i, 1], c * torque[i, 2]
        sx, sy, sz = spins[i, 0], spins[i, 1], spins[i, 2]
        t2 = tx * tx + ty * ty + tz * tz
        ts = tx * sx + ty * sy + tz * sz
        inv = 1.0 / (1.0 + t2)
        nx = ((1.0 - t2) * sx + 2.0 * (ty * sz - tz * sy) + 2.0 * tx * ts) * inv
        ny = ((1.0 - t2) * sy + 2.0 * (tz * sx - tx * sz) + 2.0 * ty * ts) * inv
        nz = ((1.0 - t2) * sz + 2.0 * (tx * sy - ty * sx) + 2.0 * tz * ts) * inv
        out[i, 0], out[i, 1], out[i, 2] = nx, ny, nz
        drift = abs(nx * nx + ny * ny + nz * nz - 1.0)
        if not drift <= 2 * NORM_DRIFT_LIMIT:  # also catches NaN
            bad += 1
    return bad


@site_kernel
def _rotate(spins, omega, dt, out):
    """Rotate each spin about omega_i by the angle |omega_i| dt (Rodrigues); returns the bad-site count."""
    bad = 0
    for i in prange(spins.shape[0]):
        wx, wy, wz = omega[i, 0], omega[i, 1], omega[i, 2]
        w = np.sqrt(wx * wx + wy * wy + wz * wz)
        sx, sy, sz = spins[i, 0], spins[i, 1], spins[i, 2]
        if w > 0.0:
            kx, ky, kz = wx / w, wy / w, wz / w
            c, s = np.cos(w * dt), np.sin(w * dt)
            ks = (kx * sx + ky * sy + kz * sz) * (1.0 - c)
            nx = sx * c + (ky * sz - kz * sy) * s + kx * ks
            ny = sy * c + (kz * sx - kx * sz) * s + ky * ks
            nz = sz * c + (kx * sy - ky * sx) * s + kz * ks
        else:
            nx, ny, nz = sx, sy, sz
        out[i, 0], out[i, 1], out[i, 2] = nx, ny, nz
        drift = abs(nx * nx + ny * ny + nz * nz - 1.0)
        if not drift <= 2 * NORM_DRIFT_LIMIT:
            bad += 1
    return bad


@site_kernel
def _normalized_midpoint(a, b, out, norm):
    """out = (a + b)/|a + b|, norm = |a + b|/2."""
    for i in prange(a.shape[0]):
        x, y, z = a[i, 0] + b[i, 0], a[i, 1] + b[i, 1], a[i, 2] + b[i, 2]
        n = np.sqrt(x * x + y * y + z * z)
        out[i, 0], out[i, 1], out[i, 2] = x / n, y / n, z / n
        norm[i] = 0.5 * n


@site_kernel
def _euler_normalized(spins, torque, dt, out):
    """out = normalize(S + dt T x S); returns the count of non-finite results."""
    bad = 0
    for i in prange(spins.shape[0]):
        sx, sy, sz = spins[i, 0], spins[i, 1], spins[i, 2]
        tx, ty, tz = torque[i, 0], torque[i, 1], torque[i, 2]
        x = sx + dt * (ty * sz - tz * sy)
        y = sy + dt * (tz * sx - tx * sz)
        z = sz + dt * (tx * sy - ty * sx)
        n = np.sqrt(x * x + y * y + z * z)
        out[i, 0], out[i, 1], out[i, 2] = x / n, y / n, z / n
        if not n > 0.0 or not np.isfinite(n):
            bad += 1
    return bad


@site_kernel
def _heun_corrector(spins, torque0, predicted, torque1, dt, out):
    """out = normalize(S + dt/2 (T0 x S + T1 x S_pred)); returns the count of non-finite results."""
    bad = 0
    for i in prange(spins.shape[0]):
        sx, sy, sz = spins[i, 0], spins[i, 1], spins[i, 2]
        px, py, pz = predicted[i, 0], predicted[i, 1], predicted[i, 2]
        ax, ay, az = torque0[i, 0], torque0[i, 1], torque0[i, 2]
        bx, by, bz = torque1[i, 0], torque1[i, 1], torque1[i, 2]
        x = sx + 0.5 * dt * ((ay * sz - az * sy) + (by * pz - bz * py))
        y = sy + 0.5 * dt * ((az * sx - ax * sz) + (bz * px - bx * pz))
        z = sz + 0.5 * dt * ((ax * sy - ay * sx) + (bx * py - by * px))
        n = np.sqrt(x * x + y * y + z * z)
        out[i, 0], out[i, 1], out[i, 2] = x / n, y / n, z / n
        if not n > 0.0 or not np.isfinite(n):
            bad += 1
    return bad


_EMPTY = np.zeros((0, 3))
_NO_SCALE = np.zeros(0)


# -- integrators -----------------------------------------------------------------------------------------------
class Integrator:
    """Common parameters and validation.

    Parameters
    ----------
    dt : float
        Time step, in units of ħ/t (the LL-form time).
    alpha : float
        Damping, **Landau-Lifshitz form** (see the module docstring for the Gilbert form).
    kT : float
        Temperature of the spin bath (k_B = 1); 0 gives deterministic dynamics.
    noise : {"precession", "both"}
        Where the thermal field enters (module docstring); the amplitude follows.
    """

    #: field evaluations per step
    n_field_evaluations = 2
    #: stored in checkpoints and trajectory metadata
    name = "integrator"

    def __init__(self, dt: float, alpha: float, kT: float = 0.0, noise: str = "precession"):
        for label, value in (("dt", dt), ("alpha", alpha), ("kT", kT)):
            if not np.isfinite(value):
                raise ValueError(f"{label} must be finite, got {value}")
        if dt <= 0:
            raise ValueError(f"dt must be positive, got {dt}")
        if alpha < 0:
            raise ValueError(f"alpha (damping) must be >= 0, got {alpha}")
        if kT < 0:
            raise ValueError(f"kT must be >= 0, got {kT}")
        if noise not in ("precession", "both"):
            raise ValueError(f"noise must be 'precession' or 'both', got {noise!r}")
        self.dt, self.alpha, self.kT, self.noise = float(dt), float(alpha), float(kT), noise

    @property
    def noise_amplitude(self) -> float:
        """Standard deviation of each component of the thermal field ξ."""
        variance = 2 * self.alpha * self.kT / self.dt
        if self.noise == "both":
            variance /= 1 + self.alpha**2
        return float(np.sqrt(variance))

    def config(self) -> dict:
        return {"integrator": self.name, "dt": self.dt, "alpha": self.alpha, "kT": self.kT, "noise": self.noise}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dt={self.dt}, alpha={self.alpha}, kT={self.kT}, noise={self.noise!r})"

    def _draw_noise(self, n_sites: int, rng) -> np.ndarray:
        if self.kT == 0 or self.alpha == 0:
            return _EMPTY
        return self.noise_amplitude * rng.standard_normal((n_sites, 3))

    def _torque(self, spins, field, noise):
        out = np.empty_like(spins)
        _torque(spins, field, noise, self.alpha, self.noise == "both", out)
        return out

    def initial_memory(self, spins):
        """State carried from step to step beyond the spins (only multistep schemes have one)."""
        return None

    def step(self, spins, field, rng=None, memory=None):
        """Advance unit spins (N, 3) by one time step.

        ``field`` is a callable returning H(S); ``rng`` a numpy Generator (needed
        when kT > 0).  Returns ``(new_spins, memory)``.  Raises
        :class:`IntegrationError` on non-finite results or norm drift.
        """
        if self.kT > 0 and rng is None:
            raise ValueError("a stochastic step (kT > 0) needs rng, a numpy.random.Generator")
        noise = self._draw_noise(len(spins), rng)
        return self._step(spins, field, noise, memory)

    @staticmethod
    def _check(bad: int, what: str):
        if bad:
            raise IntegrationError(f"{bad} spin(s) became non-finite or left the unit sphere during the {what}")


class SemiImplicitMidpoint(Integrator):
    r"""Semi-implicit midpoint scheme of Mentink et al., J. Phys.: Condens. Matter 22, 176001 (2010).

    Predictor: :math:`\tilde{\mathbf S}` from the Cayley step with :math:`\mathbf T(\mathbf S_n)`;
    corrector: the Cayley step from :math:`\mathbf S_n` with :math:`\mathbf T` at the normalized
    midpoint of :math:`\mathbf S_n` and :math:`\tilde{\mathbf S}`.  Each Cayley step is a
    rotation, so :math:`|\mathbf S_i| = 1` exactly.  Second order, two field evaluations
    per step, not symplectic.  α is the LL-form damping.
    """

    name = "semi-implicit-midpoint"

    def _step(self, spins, field, noise, memory):
        half_dt = 0.5 * self.dt
        predicted = np.empty_like(spins)
        self._check(_cayley(spins, self._torque(spins, field(spins), noise), half_dt, _NO_SCALE, predicted),
                    "predictor")
        mid, norm = np.empty_like(spins), np.empty(len(spins))
        _normalized_midpoint(spins, predicted, mid, norm)
        new = np.empty_like(spins)
        self._check(_cayley(spins, self._torque(mid, field(mid), noise), half_dt, _NO_SCALE, new), "corrector")
        return new, None


class ImplicitMidpoint(Integrator):
    r"""Spherical implicit midpoint rule, iterated to convergence.

    Solves :math:`\mathbf S' - \mathbf S = \Delta t\,\mathbf T(\mathbf m)\times\mathbf m`
    with :math:`\mathbf m = (\mathbf S + \mathbf S')/|\mathbf S + \mathbf S'|`, the
    spherical midpoint method of McLachlan, Modin and Verdier, Phys. Rev. E 89,
    061301 (2014): symplectic at α = 0, so the energy shows no drift, which makes
    it the energy-conservation reference (as the implicit midpoint is in Sunny.jl).
    Norm-preserving, second order; costs one field evaluation per fixed-point
    iteration plus one to start: 4-6 per step for a single spin, 7-16 for a 6x6
    ED model at α = 1 (dt = 0.01-0.1).

    Parameters
    ----------
    tol : float
        Convergence threshold on max |ΔS| between iterations.
    max_iterations : int
    """

    name = "implicit-midpoint"
    n_field_evaluations = 8  # typical; it depends on dt and the field (class docstring)

    def __init__(self, dt, alpha, kT=0.0, noise="precession", tol: float = 1e-12, max_iterations: int = 100):
        super().__init__(dt, alpha, kT, noise)
        if not tol > 0:
            raise ValueError(f"tol must be positive, got {tol}")
        if int(max_iterations) != max_iterations or max_iterations < 1:
            raise ValueError(f"max_iterations must be a positive integer, got {max_iterations!r}")
        self.tol, self.max_iterations = float(tol), int(max_iterations)

    def config(self) -> dict:
        return dict(super().config(), tol=self.tol, max_iterations=self.max_iterations)

    def _step(self, spins, field, noise, memory):
        half_dt = 0.5 * self.dt
        guess = np.empty_like(spins)
        self._check(_cayley(spins, self._torque(spins, field(spins), noise), half_dt, _NO_SCALE, guess), "start")
        mid, norm, new = np.empty_like(spins), np.empty(len(spins)), np.empty_like(spins)
        for _ in range(self.max_iterations):
            _normalized_midpoint(spins, guess, mid, norm)
            # T(m) x m = (T(m)/|S_bar|) x S_bar: the Cayley step with a rescaled torque
            self._check(_cayley(spins, self._torque(mid, field(mid), noise), half_dt, 1.0 / norm, new), "iteration")
            change = np.max(np.abs(new - guess))
            guess, new = new, guess
            if change < self.tol:
                return guess, None
        raise IntegrationError(f"implicit midpoint did not converge in {self.max_iterations} iterations "
                               f"(last change {change:.2e}); reduce dt")


class DepondtMertens(Integrator):
    r"""Heun-type predictor-corrector with rotations, Depondt and Mertens,
    J. Phys.: Condens. Matter 21, 336005 (2009) (Spirit's "Depondt" solver).

    :math:`\tilde{\mathbf S} = R(\mathbf T_n\Delta t)\,\mathbf S_n`,
    :math:`\mathbf S_{n+1} = R\bigl(\tfrac12(\mathbf T_n + \tilde{\mathbf T})\Delta t\bigr)\mathbf S_n`,
    where R(ω) rotates about ω by |ω|.  Norm-preserving, second order, two field
    evaluations per step.  α is the LL-form damping.
    """

    name = "depondt-mertens"

    def _step(self, spins, field, noise, memory):
        torque0 = self._torque(spins, field(spins), noise)
        predicted = np.empty_like(spins)
        self._check(_rotate(spins, torque0, self.dt, predicted), "predictor")
        torque1 = self._torque(predicted, field(predicted), noise)
        torque1 += torque0
        torque1 *= 0.5
        new = np.empty_like(spins)
        self._check(_rotate(spins, torque1, self.dt, new), "corrector")
        return new, None


class StochasticHeun(Integrator):
    r"""Stochastic Heun scheme (Stratonovich), renormalizing |S| after each stage.

    :math:`\tilde{\mathbf S} = \mathcal N[\mathbf S_n + \Delta t\,\mathbf T_n\times\mathbf S_n]`,
    :math:`\mathbf S_{n+1} = \mathcal N[\mathbf S_n + \tfrac{\Delta t}{2}(\mathbf T_n\times\mathbf S_n
    + \tilde{\mathbf T}\times\tilde{\mathbf S})]` with :math:`\mathcal N` the normalization.
    Second order for deterministic dynamics; the unit length is imposed, not preserved.
    """

    name = "stochastic-heun"

    def _step(self, spins, field, noise, memory):
        torque0 = self._torque(spins, field(spins), noise)
        predicted = np.empty_like(spins)
        self._check(_euler_normalized(spins, torque0, self.dt, predicted), "predictor")
        torque1 = self._torque(predicted, field(predicted), noise)
        new = np.empty_like(spins)
        self._check(_heun_corrector(spins, torque0, predicted, torque1, self.dt, new), "corrector")
        return new, None


class AdamsBashforthMidpoint(Integrator):
    r"""One-evaluation scheme of the authors' NEGF code (physics.md §7.3), reproduced as written.

    :math:`\mathbf h_1(t) = \mathbf H(t) + \alpha\,\mathbf S(t)\times\mathbf H(t)`; the torque is
    extrapolated to the midpoint by Adams-Bashforth 2,
    :math:`\mathbf T = \tfrac32\mathbf h_1(t) - \tfrac12\mathbf h_1(t-\Delta t)` (on the first step
    :math:`\mathbf h_1(t-\Delta t) = \mathbf h_1(t)`), and the implicit midpoint rule for
    :math:`d\mathbf S/dt = \mathbf T\times\mathbf S` is solved exactly (a Cayley rotation).

    **Non-standard noise.** ``kT`` here is the authors' *noise knob*, not a calibrated
    temperature: their code adds :math:`(\alpha/2)\sqrt{\Delta t\,kT}\,\xi` to
    :math:`(\Delta t/2)\mathbf T`, i.e. a thermal field :math:`\alpha\sqrt{kT/\Delta t}\,\xi`
    in the precession term only.  Matching it to the fluctuation-dissipation amplitude
    :math:`\sqrt{2\alpha T/\Delta t}` gives an effective temperature
    :math:`T_\mathrm{eff} = \alpha\,kT/2` (:attr:`effective_temperature`).
    """

    name = "adams-bashforth-midpoint"
    n_field_evaluations = 1

    def __init__(self, dt, alpha, kT=0.0):
        super().__init__(dt, alpha, kT, "precession")

    @property
    def noise_amplitude(self) -> float:
        return float(self.alpha * np.sqrt(self.kT / self.dt))

    def config(self) -> dict:
        return {"integrator": self.name, "dt": self.dt, "alpha": self.alpha, "kT": self.kT}

    @property
    def effective_temperature(self) -> float:
        """The temperature whose fluctuation-dissipation noise has the same variance: α kT / 2."""
        return 0.5 * self.alpha * self.kT

    def _step(self, spins, field, noise, memory):
        h1 = self._torque(spins, field(spins), _EMPTY)
        previous = h1 if memory is None else memory
        torque = 1.5 * h1 - 0.5 * previous
        if noise.shape[0]:
            torque += noise
        new = np.empty_like(spins)
        self._check(_cayley(spins, torque, 0.5 * self.dt, _NO_SCALE, new), "step")
        return new, h1


#: Integrators by name (checkpoints, command line).
INTEGRATORS = {cls.name: cls for cls in (SemiImplicitMidpoint, ImplicitMidpoint, DepondtMertens, StochasticHeun,
                                         AdamsBashforthMidpoint)}


def integrator_from_config(config: dict) -> Integrator:
    """Rebuild an integrator from its :meth:`Integrator.config` dict."""
    params = dict(config)
    name = params.pop("integrator")
    if name not in INTEGRATORS:
        raise ValueError(f"unknown integrator {name!r}; choose from {sorted(INTEGRATORS)}")
    return INTEGRATORS[name](**params)
