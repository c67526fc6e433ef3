"""The book's named parameter sets (physics.md §2): lattice, coupling, filling and the order they favour.

Workflows (``spinlab generate / train / reproduce``) take a preset name and a lattice size and
build everything else from here, so they work the same on the triangular and the square lattice.

>>> PRESETS["double-exchange"].lattice(30)
SquareLattice(30, 30, boundary='pp')
>>> PRESETS["double-exchange"].n_electrons(24)  # 2 N f = 558.72: the nearest integer
559
"""

from __future__ import annotations

from dataclasses import dataclass

from .lattice import LATTICES, Lattice

__all__ = ["Preset", "PRESETS", "get_preset"]


@dataclass(frozen=True)
class Preset:
    """A parameter set of the book.

    Attributes
    ----------
    name : str
    lattice_kind : {"triangular", "square"}
    J : float
        s-d / Hund coupling (t1 = 1).
    filling : float
        f = N_e / (2N); on lattices where 2Nf is not an integer the nearest N_e is used.
    texture : str
        The ideal order of the preset (a key of :data:`spinlab.spins.TEXTURES`).
    multiple : int
        L must be a multiple of this for the order (and its Bragg peaks) to fit the torus.
    description : str
    """

    name: str
    lattice_kind: str
    J: float
    filling: float
    texture: str
    multiple: int
    description: str

    def check_size(self, L: int) -> None:
        """Raise ValueError unless an L x L lattice holds the preset's order."""
        if int(L) != L or L < self.multiple or L % self.multiple:
            raise ValueError(f"the {self.name} preset needs L a positive multiple of {self.multiple} "
                             f"(its {self.texture} order must fit the torus), got L = {L}")

    def lattice(self, L: int) -> Lattice:
        """The periodic L x L lattice of the preset (L checked)."""
        self.check_size(L)
        return LATTICES[self.lattice_kind](int(L))

    def n_electrons(self, L: int) -> int:
        """N_e on the L x L lattice: the nearest integer to 2 N f."""
        return int(round(2 * L * L * self.filling))


PRESETS = {p.name: p for p in (
    Preset("120-degree", "triangular", 4.0, 0.5, "120-degree", 6,
           "triangular s-d model, J = 4, f = 1/2: 120-degree order"),
    Preset("tetrahedral", "triangular", 3.0, 0.25, "tetrahedral", 6,
           "triangular s-d model, J = 3, f = 1/4: tetrahedral (chiral) order"),
    Preset("double-exchange", "square", 6.0, 0.485, "Néel", 2,
           "square double-exchange model, J_H = 6, f = 0.485 (3% holes): Néel background, FM clusters"),
)}


def get_preset(name: str) -> Preset:
    """The preset called ``name``, or a ValueError listing the choices."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(sorted(PRESETS))}")
    return PRESETS[name]
