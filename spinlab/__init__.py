"""spinlab: machine-learning force fields for spin dynamics of metallic magnets."""

import os

__version__ = "0.1.0"


def fast_mode() -> bool:
    """Whether notebooks and commands use their small sizes: the default.

    Fast mode is on unless the environment variable ``SPINLAB_FAST`` is ``0`` (or
    ``false``, ``no``, ``off``), however a notebook is opened (JupyterLab, ``make``, nbval,
    the book build).  ``SPINLAB_FAST=0`` selects the full sizes.
    """
    return os.environ.get("SPINLAB_FAST", "1").strip().lower() not in ("0", "false", "no", "off")
