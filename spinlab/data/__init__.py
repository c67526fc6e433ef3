"""Small results shipped with spinlab, made by ``spinlab reproduce ...`` and re-checked by the tests.

Each ``.npz`` (or ``.json``) records the command that produced it.  Notebooks load
them from :data:`DATA_DIR`; ``spinlab reproduce`` writes new results into a folder the
user names and rewrites these only when asked (``--update-shipped``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR"]

#: The folder of the shipped results.
DATA_DIR = Path(__file__).parent
