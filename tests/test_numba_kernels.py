"""Serial and threaded kernels: distinct cache entries, identical results."""

import numba
import numpy as np

from spinlab import _threads
from spinlab._numba import PARALLEL_MIN_SITES
from spinlab.descriptors import SymmetricDescriptor
from spinlab.dynamics import _cayley
from spinlab.heisenberg import HeisenbergModel, _heisenberg_field
from spinlab.lattice import TriangularLattice
from spinlab.spins import random_spins


def test_serial_and_parallel_versions_have_their_own_cache_entries():
    # numba's disk cache ignores compile options: sharing a name would load one version for both
    for kernel in (_heisenberg_field, _cayley):
        assert kernel.serial.py_func.__qualname__ != kernel.parallel.py_func.__qualname__


def test_threaded_kernels_agree_with_the_serial_ones(monkeypatch):
    monkeypatch.setenv(_threads.ENV_VAR, "2")  # thread even when other processes keep the machine busy
    _threads.refresh()
    lattice = TriangularLattice(48)
    assert lattice.n_sites >= PARALLEL_MIN_SITES
    spins = random_spins(lattice.n_sites, 0)
    model = HeisenbergModel(lattice, J1=1.0, J2=0.2)
    descriptor = SymmetricDescriptor("triangular", 2.0)
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = model.exchange_field(spins), descriptor.features(lattice, spins)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        threaded = model.exchange_field(spins), descriptor.features(lattice, spins)
    finally:
        numba.set_num_threads(previous)
        monkeypatch.delenv(_threads.ENV_VAR)
        _threads.refresh()
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)
