"""Shared timing helper for the benchmark scripts (medians of repeated runs)."""

import os
import platform
import time

import numpy as np


def median_time(fn, repeat=5, warmup=1):
    """Median wall time of fn() in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def header(title):
    print(f"# {title}")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}")
