r"""Numba kernels of the descriptors: forward values, vector-Jacobian and Jacobian-vector products.

Two layers, each with its own derivative kernels:

1. **products** ``x_i``: bond products :math:`S_a\cdot S_b` for the stencil pairs and
   (raw descriptor only) scalar chiralities :math:`S_a\cdot(S_b\times S_c)` for the stencil
   triples, around every site i.  ``table[i, k]`` is the site at stencil position k
   (-1 where the neighbourhood leaves an open edge: the product is then 0).
2. **invariants** ``G_i = φ(f_i, R_i)`` of the irrep components ``f_i = U x_i`` (U is
   block-diagonal over the bond orbits, rows are irrep partner vectors) and the reference
   vectors :math:`R^\Gamma = \sum_c f^{\Gamma,c}`: φ assembles the linear A1 terms, squared
   norms, dot products with the references and the bispectrum of the references.

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
# The rotation f = U x and the references R = P f (P sums the copies of each irrep) are matrix products over
# a block of sites, done by BLAS (SymmetricDescriptor); the kernels below get f and R and do the rest.
@site_kernel
def invariants(f, ref, copy_start, copy_dim, copy_irrep, a1_copies, channels, tensors, out):
    """G_i from the irrep components f (N, n_comp) and the references ref (N, n_irreps, 2)."""
    n_copies, n_a1 = copy_start.shape[0], a1_copies.shape[0]
    for i in prange(f.shape[0]):
        for k in range(n_a1):
            out[i, k] = f[i, copy_start[a1_copies[k]]]
        for c in range(n_copies):
            power, dot = 0.0, 0.0
            r = copy_irrep[c]
            for a in range(copy_dim[c]):
                v = f[i, copy_start[c] + a]
                power += v * v
                dot += v * ref[i, r, a]
            out[i, n_a1 + c] = power
            out[i, n_a1 + n_copies + c] = dot
        for h in range(channels.shape[0]):
            r1, r2, r3 = channels[h, 0], channels[h, 1], channels[h, 2]
            acc = 0.0
            for a in range(2):
                for b in range(2):
                    for c in range(2):
                        acc += tensors[h, a, b, c] * ref[i, r1, a] * ref[i, r2, b] * ref[i, r3, c]
            out[i, n_a1 + 2 * n_copies + h] = acc


@site_kernel
def invariants_jvp(f, ref, df, dref, copy_start, copy_dim, copy_irrep, a1_copies, channels, tensors, out):
    """Directional derivative of :func:`invariants` along the tangents df of f and dref of ref."""
    n_copies, n_a1 = copy_start.shape[0], a1_copies.shape[0]
    for i in prange(f.shape[0]):
        for k in range(n_a1):
            out[i, k] = df[i, copy_start[a1_copies[k]]]
        for c in range(n_copies):
            dpower, ddot = 0.0, 0.0
            r = copy_irrep[c]
            for a in range(copy_dim[c]):
                v, dv = f[i, copy_start[c] + a], df[i, copy_start[c] + a]
                dpower += 2.0 * v * dv
                ddot += dv * ref[i, r, a] + v * dref[i, r, a]
            out[i, n_a1 + c] = dpower
            out[i, n_a1 + n_copies + c] = ddot
        for h in range(channels.shape[0]):
            r1, r2, r3 = channels[h, 0], channels[h, 1], channels[h, 2]
            acc = 0.0
            for a in range(2):
                for b in range(2):
                    for c in range(2):
                        acc += tensors[h, a, b, c] * (dref[i, r1, a] * ref[i, r2, b] * ref[i, r3, c]
                                                      + ref[i, r1, a] * dref[i, r2, b] * ref[i, r3, c]
                                                      + ref[i, r1, a] * ref[i, r2, b] * dref[i, r3, c])
            out[i, n_a1 + 2 * n_copies + h] = acc


@site_kernel
def invariants_vjp(f, ref, cotangent, copy_start, copy_dim, copy_irrep, a1_copies, channels, tensors, fbar, rbar):
    """(dG_i/df_i)^T cotangent_i into fbar (N, n_comp) and (dG_i/dref_i)^T cotangent_i into rbar (N, n_irreps, 2)."""
    n_copies, n_a1 = copy_start.shape[0], a1_copies.shape[0]
    for i in prange(f.shape[0]):
        fbar[i, :] = 0.0
        rbar[i, :, :] = 0.0
        for k in range(n_a1):
            fbar[i, copy_start[a1_copies[k]]] += cotangent[i, k]
        for c in range(n_copies):
            w_power, w_dot = cotangent[i, n_a1 + c], cotangent[i, n_a1 + n_copies + c]
            r = copy_irrep[c]
            for a in range(copy_dim[c]):
                v = f[i, copy_start[c] + a]
                fbar[i, copy_start[c] + a] += 2.0 * w_power * v + w_dot * ref[i, r, a]
                rbar[i, r, a] += w_dot * v
        for h in range(channels.shape[0]):
            w = cotangent[i, n_a1 + 2 * n_copies + h]
            r1, r2, r3 = channels[h, 0], channels[h, 1], channels[h, 2]
            for a in range(2):
                for b in range(2):
                    for c in range(2):
                        t = w * tensors[h, a, b, c]
                        rbar[i, r1, a] += t * ref[i, r2, b] * ref[i, r3, c]
                        rbar[i, r2, b] += t * ref[i, r1, a] * ref[i, r3, c]
                        rbar[i, r3, c] += t * ref[i, r1, a] * ref[i, r2, b]
