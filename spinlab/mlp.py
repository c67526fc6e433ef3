r"""A small multilayer perceptron in numpy with the derivatives a force field needs.

Besides the usual forward pass and parameter gradient, a Behler-Parrinello
force field needs

* the **input gradient** :math:`\partial\varepsilon/\partial x` (fields are its
  vector-Jacobian product through the descriptor), and
* for training on fields, the gradient with respect to the parameters of a
  **directional derivative** :math:`D = u\cdot\nabla_x\varepsilon(x)` along a fixed
  direction u: forward-mode (tangent) propagation of u, then reverse mode through
  both the primal and the tangent chain, which involves the second derivative of
  the activation.

All in float64.  Activations: ``tanh``, ``silu`` (the default of :class:`~spinlab.bp.BPModel`: it trains faster on fields), ``softplus`` — smooth,
so fields are smooth functions of the spins — and ``relu``, whose derivative is
piecewise constant: fields then jump wherever a unit switches, which harms the
dynamics; it is kept only to reproduce the authors' PRL network.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from scipy.special import expit

from ._numba import site_kernel

__all__ = ["MLP", "ACTIVATIONS"]


def _tanh(z):
    t = np.tanh(z)
    d1 = 1 - t * t
    return t, d1, -2 * t * d1


def _silu(z):
    s = expit(z)
    d1 = s + z * s * (1 - s)
    return z * s, d1, s * (1 - s) * (2 + z * (1 - 2 * s))


def _softplus(z):
    s = expit(z)
    return np.logaddexp(0.0, z), s, s * (1 - s)


def _relu(z):
    step = (z > 0).astype(float)
    return z * step, step, np.zeros_like(z)


#: name -> function returning (σ(z), σ'(z), σ''(z))
ACTIVATIONS = {"tanh": _tanh, "silu": _silu, "softplus": _softplus, "relu": _relu}


@site_kernel
def _silu_kernel(z, value, d1, d2, order):
    """:func:`_silu` in one pass over z (M, K), the same operations in the same order; σ'' only if order 2.

    ``value`` holds exp(-z) on entry and σ(z) on return.
    """
    for i in prange(z.shape[0]):
        for j in range(z.shape[1]):
            x = z[i, j]
            s = 1.0 / (1.0 + value[i, j])  # scipy's expit
            value[i, j] = x * s
            if order >= 1:
                d1[i, j] = s + x * s * (1 - s)
            if order >= 2:
                d2[i, j] = s * (1 - s) * (2 + x * (1 - 2 * s))


def _activate(name, z, order):
    """(σ(z), σ'(z) or None, σ''(z) or None): derivatives up to ``order`` only.

    SiLU, the default, runs as one fused numba pass (threaded for many rows) after numpy's
    exponential: the numpy version of the rest makes eight passes over the array, and numba's
    exponential is scalar (4.6 ns a value against numpy's SIMD 0.8 ns on an AVX-512 core).
    """
    if name == "silu":
        z = np.ascontiguousarray(z)
        value = np.negative(z)
        with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709 gives σ = 0, as it should
            np.exp(value, out=value)
        d1 = np.empty_like(z) if order >= 1 else np.empty((0, 0))
        d2 = np.empty_like(z) if order >= 2 else np.empty((0, 0))
        _silu_kernel(z, value, d1, d2, order)
        return value, d1 if order >= 1 else None, d2 if order >= 2 else None
    s, d1, d2 = ACTIVATIONS[name](z)
    return s, d1 if order >= 1 else None, d2 if order >= 2 else None


class MLP:
    """Fully connected network x -> y, hidden layers with an activation, linear output.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, output last, e.g. (156, 64, 64, 1).
    activation : str
        Key of :data:`ACTIVATIONS`.
    seed : int or Generator
        Glorot-uniform initialization.
    """

    def __init__(self, sizes, activation: str = "tanh", seed=0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
            raise ValueError(f"sizes must be at least two positive integers, got {sizes}")
        self.sizes, self.activation = tuple(int(n) for n in sizes), activation
        rng = np.random.default_rng(seed)
        self.params = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            limit = np.sqrt(6.0 / (n_in + n_out))
            self.params += [rng.uniform(-limit, limit, (n_in, n_out)), np.zeros(n_out)]

    @property
    def n_layers(self) -> int:
        return len(self.params) // 2

    def forward(self, x, order: int = 2):
        """Outputs (M, n_out) and the cache of layer inputs and activation derivatives.

        ``order`` is the highest derivative of the activation kept in the cache:
        0 for outputs only, 1 for :meth:`input_gradient` (fields), 2 (default) for
        :meth:`parameter_gradient` with tangents (training on fields).
        """
        a, cache = x, []
        for layer in range(self.n_layers - 1):
            z = a @ self.params[2 * layer]
            z += self.params[2 * layer + 1]  # in place: one large temporary less
            s, d1, d2 = _activate(self.activation, z, order)
            cache.append((a, d1, d2))
            a = s
        cache.append((a, None, None))
        return a @ self.params[-2] + self.params[-1], cache

    def input_gradient(self, cache, weights):
        """Σ_o weights[:, o] ∇_x y_o, shape (M, n_in); ``weights`` (M, n_out)."""
        g = weights @ self.params[-2].T
        for layer in range(self.n_layers - 2, -1, -1):
            g *= cache[layer][1]  # g is a fresh product: scale it in place
            g = g @ self.params[2 * layer].T
        return g

    def parameter_gradient(self, cache, weights, tangents=()):
        """Gradient with respect to the parameters of

        Σ_i Σ_o weights[i, o] y_o(x_i) + Σ_(u, c, o) Σ_i c_i (u_i · ∇_x y_o(x_i)),

        where each entry of ``tangents`` is (u (M, n_in), c (M,), output index o).
        The second part is the field-training term: reverse mode through the
        tangent propagation of u.
        """
        grads = [np.zeros_like(p) for p in self.params]
        if np.any(weights):  # a field-only loss has no direct output term: skip a pass that adds zeros
            self._reverse(cache, weights, None, None, grads)
        for u, c, o in tangents:
            self._reverse(cache, None, u, (c, o), grads)
        return grads

    def _reverse(self, cache, weights, tangent, tangent_weight, grads):
        """Accumulate into ``grads``; ``weights`` None stands for zero output weights."""
        n = self.n_layers
        if tangent is not None and n > 1 and cache[0][2] is None:
            raise ValueError("training on fields needs the second derivatives: call forward(x, order=2)")
        # tangent forward: da_l for every layer input
        dots = []
        if tangent is not None:
            da = tangent
            for layer in range(n - 1):
                _, d1, _ = cache[layer]
                dz = da @ self.params[2 * layer]
                dots.append((da, dz))
                da = d1 * dz
            dots.append((da, None))
        abar = None
        if weights is not None:
            abar = weights @ self.params[-2].T
            grads[-2] += cache[-1][0].T @ weights
            grads[-1] += weights.sum(axis=0)
        dabar = None
        if tangent is not None:
            c, o = tangent_weight
            da_last = dots[-1][0]
            grads[-2][:, o] += da_last.T @ c
            dabar = np.outer(c, self.params[-2][:, o])
        for layer in range(n - 2, -1, -1):
            a_in, d1, d2 = cache[layer]
            zbar = None if abar is None else abar * d1  # abar None: zero (tangent pass, top layer)
            if tangent is not None:
                da_in, dz = dots[layer]
                curvature = dabar * d2 * dz
                if zbar is None:
                    zbar = curvature
                else:
                    zbar += curvature
                dzbar = dabar * d1
                grads[2 * layer] += da_in.T @ dzbar
                if layer > 0:  # no cotangents of the network input are needed
                    dabar = dzbar @ self.params[2 * layer].T
            grads[2 * layer] += a_in.T @ zbar
            grads[2 * layer + 1] += zbar.sum(axis=0)
            if layer > 0:
                abar = zbar @ self.params[2 * layer].T
