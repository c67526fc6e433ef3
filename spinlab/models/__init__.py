"""Pretrained models shipped with spinlab.

Each model is a ``.npz`` (weights, scaler) with a ``.json`` beside it that
records the exact command that trained it, the dataset fingerprint and its
held-out errors.  They are re-validated against fresh ED fields by the test
suite (tests/test_shipped.py).  Regenerate them with the commands in
``spinlab/models/README.md``.
"""

from __future__ import annotations

from pathlib import Path

from ..bp import BPModel, load_model

__all__ = ["SHIPPED", "shipped_path", "load_shipped"]

#: Shipped models: name -> what it is.
SHIPPED = {
    "120-degree": "triangular s-d model, J = 4, f = 1/2 (120-degree order), ED 12x12 T = 0",
    "tetrahedral": "triangular s-d model, J = 3, f = 1/4 (tetrahedral order), ED 12x12 T = 0",
    "tetrahedral-walls": "the tetrahedral model fine-tuned on ED labels at kT_el = 0.005 of 12x12 states, chiral walls "
                         "on 12x24 tori, 24x24 and 36x36 quench and disk states (issue 18: closer to ED on walls, "
                         "short of its targets; see models/README.md)",
    "double-exchange": "square double-exchange model, J_H = 6, f = 0.485, ED 16x16 at kT_el = 0.005 (quench data), "
                       "longitudinal output",
    "double-exchange-al": "the double-exchange model after two rounds of active learning: retrained on ED labels "
                          "of the states its own quenches visit, 16x16 at kT_el = 0.005 (see models/README.md)",
    "driven-strip": "two-potential model (field-like U, damping-like W) of the NEGF-driven 32x24 strip, J = 3.8, "
                    "Gamma = 1, mu_L = -3.6, mu_R from -3.6 to -3.2, strip descriptor with bias features",
    "driven-strip-conservative": "conservative (one-potential) model of the same data, trained beside driven-strip "
                                 "(the control of the interface study)",
}


def shipped_path(name: str) -> Path:
    """Path (without extension) of a shipped model."""
    if name not in SHIPPED:
        raise ValueError(f"no shipped model {name!r}; available: {sorted(SHIPPED)}")
    return Path(__file__).parent / name


def load_shipped(name: str) -> BPModel:
    """Load a shipped model by name (see :data:`SHIPPED`).

    Raises ValueError, with the commands that remake it, when its files are missing or damaged.
    """
    try:
        return load_model(shipped_path(name))
    except ValueError as err:
        raise ValueError(f"{err}; remake it with the commands in spinlab/models/README.md: `python -m spinlab "
                         f"generate {name} ...` and `python -m spinlab train data/{name} --out spinlab/models/{name} "
                         "...`") from None
