r"""Numba kernels of the descriptors: forward values, vector-Jacobian and Jacobian-vector products.

Two layers, each with its own derivative kernels:

1. **products** ``x_i``: bond products :math:`S_a\cdot S_b` for the stencil pairs and
   (raw descriptor only) scalar chiralities :math:`S_a\cdot(S_b\times S_c)` for the stencil
   triples, around every site i.  ``table[i, k]`` is the site at stencil position k
   (-1 where the neighbourhood leaves an open edge: the product is then 0).
2. **invariants** ``G_i = φ(U x_i)``: U is block-diagonal over the bond orbits (rows are
   irrep partner vectors), and φ assembles the linear A1 terms, squared norms, dot
   products with the reference vectors :math:`R^\Gamma = \sum_c f^{\Gamma,c}` and the
   bispectrum of the references.

The vector-Jacobian product of the products layer is a *gather*: ``source[s, k]`` is
the site whose stencil position k is site s, so each thread writes only its own
site and needs no atomic operations.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .._numba import site_kernel


@numba.njit(cache=True, inline="always")
def _triple(u, a, v, b, w, c):
    """u_a . (v_b x w_c)"""
    return (u[a, 0] * (v[b, 1] * w[c, 2] - v[b, 2] * w[c, 1])
            + u[a, 1] * (v[b, 2] * w[c, 0] - v[b, 0] * w[c, 2])
            + u[a, 2] * (v[b, 0] * w[c, 1] - v[b, 1] * w[c, 0]))


# -- layer 1: products -----------------------------------------------------------------------------------------
@site_kernel
def products(table, spins, pairs, triples, out):
    n_pairs = pairs.shape[0]
    for i in prange(table.shape[0]):
        for p in range(n_pairs):
            a, b = table[i, pairs[p, 0]], table[i, pairs[p, 1]]
            value = 0.0
            if a >= 0 and b >= 0:
                value = spins[a, 0] * spins[b, 0] + spins[a, 1] * spins[b, 1] + spins[a, 2] * spins[b, 2]
            out[i, p] = value
        for t in range(triples.shape[0]):
            a, b, c = table[i, triples[t, 0]], table[i, triples[t, 1]], table[i, triples[t, 2]]
            value = 0.0
            if a >= 0 and b >= 0 and c >= 0:
                value = _triple(spins, a, spins, b, spins, c)
            out[i, n_pairs + t] = value


@site_kernel
def products_jvp(table, spins, tangent, pairs, triples, out):
    """Directional derivative of :func:`products` along ``tangent`` (N, 3)."""
    n_pairs = pairs.shape[0]
    for i in prange(table.shape[0]):
        for p in range(n_pairs):
            a, b = table[i, pairs[p, 0]], table[i, pairs[p, 1]]
            value = 0.0
            if a >= 0 and b >= 0:
                for m in range(3):
                    value += tangent[a, m] * spins[b, m] + spins[a, m] * tangent[b, m]
            out[i, p] = value
        for t in range(triples.shape[0]):
            a, b, c = table[i, triples[t, 0]], table[i, triples[t, 1]], table[i, triples[t, 2]]
            value = 0.0
            if a >= 0 and b >= 0 and c >= 0:
                value = (_triple(tangent, a, spins, b, spins, c) + _triple(spins, a, tangent, b, spins, c)
                         + _triple(spins, a, spins, b, tangent, c))
            out[i, n_pairs + t] = value


@site_kernel
def products_vjp(source, table, spins, pairs, triples, cotangent, out):
    """Gradient with respect to the spins of Σ_i cotangent_i · x_i, gathered per site."""
    n_pairs = pairs.shape[0]
    for s in prange(source.shape[0]):
        gx, gy, gz = 0.0, 0.0, 0.0
        for p in range(n_pairs):
            for slot in range(2):
                i = source[s, pairs[p, slot]]
                if i < 0:
                    continue
                other = table[i, pairs[p, 1 - slot]]
                if other < 0:
                    continue
                w = cotangent[i, p]
                gx += w * spins[other, 0]
                gy += w * spins[other, 1]
                gz += w * spins[other, 2]
        for t in range(triples.shape[0]):
            for slot in range(3):
                i = source[s, triples[t, slot]]
                if i < 0:
                    continue
                # d/dS_a of S_a.(S_b x S_c) is S_b x S_c, cyclically in (a, b, c)
                b = table[i, triples[t, (slot + 1) % 3]]
                c = table[i, triples[t, (slot + 2) % 3]]
                if b < 0 or c < 0:
                    continue
                w = cotangent[i, n_pairs + t]
                gx += w * (spins[b, 1] * spins[c, 2] - spins[b, 2] * spins[c, 1])
                gy += w * (spins[b, 2] * spins[c, 0] - spins[b, 0] * spins[c, 2])
                gz += w * (spins[b, 0] * spins[c, 1] - spins[b, 1] * spins[c, 0])
        out[s, 0], out[s, 1], out[s, 2] = gx, gy, gz


# -- layer 2: invariants ------------------------------------------------------------------------------------------
@numba.njit(cache=True, inline="always")
def _block_matvec(blocks, base, n, row_stride, col_stride, x, start, y):
    """y[start + r] = sum_c M[r, c] x[start + c] for the n x n block M[r, c] = blocks[base + r row_stride + c col_stride].

    Rows go four (then two, then one) at a time, each with its own accumulator: a single dot
    product is a chain of dependent additions that waits on the adder's latency, four of them
    interleave.  Each row is still summed over c in order, so the result is bit-identical to the
    plain loop.
    """
    r = 0
    while r + 4 <= n:
        a0 = a1 = a2 = a3 = 0.0
        for c in range(n):
            xc = x[start + c]
            e = base + r * row_stride + c * col_stride
            a0 += blocks[e] * xc
            a1 += blocks[e + row_stride] * xc
            a2 += blocks[e + 2 * row_stride] * xc
            a3 += blocks[e + 3 * row_stride] * xc
        y[start + r], y[start + r + 1], y[start + r + 2], y[start + r + 3] = a0, a1, a2, a3
        r += 4
    while r + 2 <= n:
        a0 = a1 = 0.0
        for c in range(n):
            xc = x[start + c]
            e = base + r * row_stride + c * col_stride
            a0 += blocks[e] * xc
            a1 += blocks[e + row_stride] * xc
        y[start + r], y[start + r + 1] = a0, a1
        r += 2
    if r < n:
        acc = 0.0
        for c in range(n):
            acc += blocks[base + r * row_stride + c * col_stride] * x[start + c]
        y[start + r] = acc


@numba.njit(cache=True, inline="always")
def _rotate_into_irreps(x, i, blocks, block_offset, orbit_offset, f):
    """f = U x_i, U block-diagonal over orbits (each block row-major in ``blocks``)."""
    xi = x[i]
    for o in range(orbit_offset.shape[0] - 1):
        n = orbit_offset[o + 1] - orbit_offset[o]
        _block_matvec(blocks, block_offset[o], n, n, 1, xi, orbit_offset[o], f)


@numba.njit(cache=True, inline="always")
def _rotate_back(fbar, blocks, block_offset, orbit_offset, out, i):
    """out_i = U^T fbar."""
    out_i = out[i]
    for o in range(orbit_offset.shape[0] - 1):
        n = orbit_offset[o + 1] - orbit_offset[o]
        _block_matvec(blocks, block_offset[o], n, 1, n, fbar, orbit_offset[o], out_i)


@numba.njit(cache=True, inline="always")
def _references(f, copy_start, copy_dim, copy_irrep, ref):
    ref[:] = 0.0
    for c in range(copy_start.shape[0]):
        for a in range(copy_dim[c]):
            ref[copy_irrep[c], a] += f[copy_start[c] + a]


@site_kernel
def invariants(x, blocks, block_offset, orbit_offset, copy_start, copy_dim, copy_irrep, a1_copies,
               channels, tensors, n_irreps, out):
    n_comp = orbit_offset[-1]
    n_copies, n_a1 = copy_start.shape[0], a1_copies.shape[0]
    for i in prange(x.shape[0]):
        f = np.empty(n_comp)
        ref = np.empty((n_irreps, 2))
        _rotate_into_irreps(x, i, blocks, block_offset, orbit_offset, f)
        _references(f, copy_start, copy_dim, copy_irrep, ref)
        for k in range(n_a1):
            out[i, k] = f[copy_start[a1_copies[k]]]
        for c in range(n_copies):
            power, dot = 0.0, 0.0
            for a in range(copy_dim[c]):
                v = f[copy_start[c] + a]
                power += v * v
                dot += v * ref[copy_irrep[c], a]
            out[i, n_a1 + c] = power
            out[i, n_a1 + n_copies + c] = dot
        for h in range(channels.shape[0]):
            r1, r2, r3 = channels[h, 0], channels[h, 1], channels[h, 2]
            acc = 0.0
            for a in range(2):
                for b in range(2):
                    for c in range(2):
                        acc += tensors[h, a, b, c] * ref[r1, a] * ref[r2, b] * ref[r3, c]
            out[i, n_a1 + 2 * n_copies + h] = acc


@site_kernel
def invariants_jvp(x, tangent, blocks, block_offset, orbit_offset, copy_start, copy_dim, copy_irrep, a1_copies,
                   channels, tensors, n_irreps, out):
    """Directional derivative of :func:`invariants` at x along ``tangent`` (same shape as x)."""
    n_comp = orbit_offset[-1]
    n_copies, n_a1 = copy_start.shape[0], a1_copies.shape[0]
    for i in prange(x.shape[0]):
        f, df = np.empty(n_comp), np.empty(n_comp)
        ref, dref = np.empty((n_irreps, 2)), np.empty((n_irreps, 2))
        _rotate_into_irreps(x, i, blocks, block_offset, orbit_offset, f)
        _rotate_into_irreps(tangent, i, blocks, block_offset, orbit_offset, df)
        _references(f, copy_start, copy_dim, copy_irrep, ref)
        _references(df, copy_start, copy_dim, copy_irrep, dref)
        for k in range(n_a1):
            out[i, k] = df[copy_start[a1_copies[k]]]
        for c in range(n_copies):
            dpower, ddot = 0.0, 0.0
            r = copy_irrep[c]
            for a in range(copy_dim[c]):
                v, dv = f[copy_start[c] + a], df[copy_start[c] + a]
                dpower += 2.0 * v * dv
                ddot += dv * ref[r, a] + v * dref[r, a]
            out[i, n_a1 + c] = dpower
            out[i, n_a1 + n_copies + c] = ddot
        for h in range(channels.shape[0]):
            r1, r2, r3 = channels[h, 0], channels[h, 1], channels[h, 2]
            acc = 0.0
            for a in range(2):
                for b in range(2):
                    for c in range(2):
                        acc += tensors[h, a, b, c] * (dref[r1, a] * ref[r2, b] * ref[r3, c]
                                                      + ref[r1, a] * dref[r2, b] * ref[r3, c]
                                                      + ref[r1, a] * ref[r2, b] * dref[r3, c])
            out[i, n_a1 + 2 * n_copies + h] = acc


@site_kernel
def invariants_vjp(x, cotangent, blocks, block_offset, orbit_offset, copy_start, copy_dim, copy_irrep, a1_copies,
                   channels, tensors, n_irreps, out):
    """out_i = (dG_i/dx_i)^T cotangent_i."""
    n_comp = orbit_offset[-1]
    n_copies, n_a1 = copy_start.shape[0], a1_copies.shape[0]
    for i in prange(x.shape[0]):
        f, fbar = np.empty(n_comp), np.zeros(n_comp)
        ref, rbar = np.empty((n_irreps, 2)), np.zeros((n_irreps, 2))
        _rotate_into_irreps(x, i, blocks, block_offset, orbit_offset, f)
        _references(f, copy_start, copy_dim, copy_irrep, ref)
        for k in range(n_a1):
            fbar[copy_start[a1_copies[k]]] += cotangent[i, k]
        for c in range(n_copies):
            w_power, w_dot = cotangent[i, n_a1 + c], cotangent[i, n_a1 + n_copies + c]
            r = copy_irrep[c]
            for a in range(copy_dim[c]):
                v = f[copy_start[c] + a]
                fbar[copy_start[c] + a] += 2.0 * w_power * v + w_dot * ref[r, a]
                rbar[r, a] += w_dot * v
        for h in range(channels.shape[0]):
            w = cotangent[i, n_a1 + 2 * n_copies + h]
            r1, r2, r3 = channels[h, 0], channels[h, 1], channels[h, 2]
            for a in range(2):
                for b in range(2):
                    for c in range(2):
                        t = w * tensors[h, a, b, c]
                        rbar[r1, a] += t * ref[r2, b] * ref[r3, c]
                        rbar[r2, b] += t * ref[r1, a] * ref[r3, c]
                        rbar[r3, c] += t * ref[r1, a] * ref[r2, b]
        for c in range(n_copies):
            for a in range(copy_dim[c]):
                fbar[copy_start[c] + a] += rbar[copy_irrep[c], a]
        _rotate_back(fbar, blocks, block_offset, orbit_offset, out, i)
