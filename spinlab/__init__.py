"""spinlab: machine-learning force fields for spin dynamics of metallic magnets."""

import os

__version__ = "0.1.0"


def fast_mode() -> bool:
    """True when ``SPINLAB_FAST=1``: notebooks and commands use small sizes (CI, the book build)."""
    return os.environ.get("SPINLAB_FAST", "0").strip().lower() in ("1", "true", "yes")
