"""Compile a site-loop kernel twice: serial for small systems or a busy machine, threaded otherwise.

Numba's threading costs a few microseconds per call, which dominates for a few
hundred sites; above :data:`PARALLEL_MIN_SITES` the ``prange`` loop over sites
pays, on the cores that other processes leave free (:func:`spinlab._threads.thread_budget`:
with one of two cores busy elsewhere, each threaded call would wait for a descheduled
thread).  Both versions are cached on disk (``NUMBA_CACHE_DIR`` is honoured).
"""

from __future__ import annotations

import types

import numba

from ._threads import PARALLEL_MIN_SITES, thread_budget

__all__ = ["PARALLEL_MIN_SITES", "SiteKernel", "site_kernel"]


class SiteKernel:
    """A kernel whose first argument's length is the number of sites."""

    def __init__(self, fn):
        # numba's on-disk cache keys a function by its qualified name and signature, not by its
        # compile options (numba issue #6845): both versions compiled from ``fn`` itself share one
        # entry, and whichever is compiled first is then loaded for the other. Each version is
        # compiled from its own copy of ``fn``, under its own name, to get its own cache file.
        self.serial = numba.njit(cache=True, fastmath=False)(_renamed(fn, "serial"))
        self.parallel = numba.njit(cache=True, parallel=True)(_renamed(fn, "parallel"))
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __call__(self, *args):
        """Threaded on min(numba's thread count, the thread budget) threads when that is 2 or more."""
        if len(args[0]) >= PARALLEL_MIN_SITES:
            allowed = numba.get_num_threads()
            if allowed > 1:
                n = min(allowed, thread_budget())
                if n == allowed:
                    return self.parallel(*args)
                if n > 1:  # fewer free cores than threads (machines with more than two cores)
                    numba.set_num_threads(n)
                    try:
                        return self.parallel(*args)
                    finally:
                        numba.set_num_threads(allowed)
        return self.serial(*args)


def _renamed(fn, suffix: str):
    """A copy of the function ``fn`` whose qualified name ends in ``_suffix``."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = f"{fn.__qualname__}_{suffix}"
    return copy


def site_kernel(fn) -> SiteKernel:
    """Decorator: compile ``fn`` (which loops with ``numba.prange``) as a :class:`SiteKernel`."""
    return SiteKernel(fn)
