"""Self-checks for the exercises of chapter 3, *Magnetic descriptors*.

1. :func:`check_pure_a1` — predict which textures look the same from every direction.
2. :func:`check_a1_component` — derive an A1 component of the 120° state.
3. :func:`check_nn_irreps` — derive the irreducible content of an orbit from the characters.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from . import Unreadable, close, exercise, exercises_of, number

__all__ = ["check_pure_a1", "check_a1_component", "check_nn_irreps", "EXERCISES"]

#: The orbit of exercises 2 and 3: the six bonds from the centre to its nearest neighbours.
NN_ORBIT = 1


@functools.lru_cache(maxsize=1)
def _descriptor():
    from ..descriptors import SymmetricDescriptor

    return SymmetricDescriptor("triangular", cutoff=2.0)


def _component_irreps(descriptor):
    """Irrep name of every column of ``irrep_components``, and the orbit it belongs to."""
    from ..descriptors.decomposition import decompose_orbit

    names, orbits = [], []
    for k, orbit in enumerate(descriptor.orbits):
        for c in decompose_orbit(orbit, descriptor.irreps):
            irrep = descriptor.irreps[c.irrep]
            names += [irrep.name] * irrep.dim
            orbits += [k] * irrep.dim
    return np.array(names), np.array(orbits)


def _pure_a1_textures():
    from ..lattice import TriangularLattice
    from ..spins import TEXTURES

    d, lattice = _descriptor(), TriangularLattice(12)
    names, _ = _component_irreps(d)
    pure = set()
    for name, make in TEXTURES.items():
        f = d.irrep_components(lattice, make(lattice))
        share = np.sum(f[:, names == "A1"] ** 2, axis=1) / np.sum(f**2, axis=1)
        if np.all(share > 1 - 1e-9):
            pure.add(name)
    return pure


@exercise("pure-a1", "a set of names from spinlab.spins.TEXTURES")
def check_pure_a1(answer):
    """Exercise 1: the textures whose irreducible components are pure A1 at every site."""
    from ..spins import TEXTURES

    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, (set, frozenset, list, tuple)):
        raise Unreadable(f"got {type(answer).__name__}; write e.g. {{'ferromagnet', 'stripe'}}")
    chosen = {str(name) for name in answer}
    unknown = chosen - set(TEXTURES)
    if unknown:
        raise Unreadable(f"unknown names {sorted(unknown)}; the names are {list(TEXTURES)}")
    pure = _pure_a1_textures()
    if chosen == pure:
        return True, "these look the same from every site and every direction, up to a global spin rotation."
    extra, missing = len(chosen - pure), len(pure - chosen)
    parts = []
    if extra:
        parts.append(f"{extra} of your textures {'is' if extra == 1 else 'are'} not pure A1 at every site "
                     "(some site sees different bonds in different directions)")
    if missing:
        parts.append(f"{missing} pure-A1 texture{' is' if missing == 1 else 's are'} missing")
    return False, "; ".join(parts) + ". Check with the irrep shares of each texture at several sites."


def _nn_a1_component():
    from ..lattice import TriangularLattice
    from ..spins import three_sublattice

    d, lattice = _descriptor(), TriangularLattice(12)
    names, orbits = _component_irreps(d)
    f = d.irrep_components(lattice, three_sublattice(lattice))[0]
    return float(f[(names == "A1") & (orbits == NN_ORBIT)][0])


@exercise("a1-component", "a number: the A1 component of the nearest-neighbour orbit")
def check_a1_component(answer):
    """Exercise 2: f^{A1} of the six centre–nearest-neighbour bonds in the 120° state."""
    value = number(answer)
    reference = _nn_a1_component()
    size = _descriptor().orbits[NN_ORBIT].size
    bond = reference / np.sqrt(size)  # the common bond variable S_0·S_j, since f = size * bond / sqrt(size)
    if close(value, reference):
        return True, "each of the six bonds contributes cos 120°, and the A1 partner vector is normalized."
    if close(value, reference * np.sqrt(size)):
        return False, "that is the plain sum of the bonds; the A1 partner vector has unit length."
    if close(value, bond):
        return False, "that is a single bond, or their mean; the A1 component projects all six bonds on a unit vector."
    if close(value, np.sqrt(size)):
        return False, "that is the ferromagnet's value: what is S_i·S_j for neighbours of the 120° state?"
    if close(value, -reference):
        return False, "check the sign of a nearest-neighbour bond variable in the 120° state."
    return False, "write down b for the six bonds and project it on the normalized A1 vector."


_IRREP_TERM = re.compile(r"^\s*(\d*)\s*([A-Za-z]\d?'*)\s*$")


def _content(answer) -> dict[str, int]:
    """An irrep content from a dict {"A1": 1, ...} or a string "A1 + B1 + 2E1"."""
    if isinstance(answer, str):
        content = {}
        for term in answer.split("+"):
            match = _IRREP_TERM.match(term)
            if not match:
                raise Unreadable(f"cannot read {term.strip()!r}; write e.g. 'A1 + 2E1'")
            content[match[2]] = content.get(match[2], 0) + int(match[1] or 1)
        return content
    if isinstance(answer, dict):
        content = {}
        for name, count in answer.items():
            n = number(count)
            if n != int(n) or n < 0:
                raise Unreadable(f"multiplicity of {name} must be a whole number, got {count!r}")
            if n:
                content[str(name)] = int(n)
        return content
    raise Unreadable(f"got {type(answer).__name__}")


def _nn_content():
    from ..descriptors.decomposition import decompose_orbit

    d = _descriptor()
    names = [d.irreps[c.irrep].name for c in decompose_orbit(d.orbits[NN_ORBIT], d.irreps)]
    return {name: names.count(name) for name in dict.fromkeys(names)}, {r.name: r.dim for r in d.irreps}


@exercise("nn-irreps", "the irrep content, as a dict {'A1': 1, ...} or a string 'A1 + ...'")
def check_nn_irreps(answer):
    """Exercise 3: irreducible content of the six centre–nearest-neighbour bonds under D6."""
    content = _content(answer)
    reference, dims = _nn_content()
    unknown = set(content) - set(dims)
    if unknown:
        raise Unreadable(f"unknown irreps {sorted(unknown)}; D6 has {list(dims)}")
    if content == reference:
        return True, "the multiplicities (1/|G|) Σ_g χ(g) tr P(g) agree with the projectors."
    total = sum(dims[name] * n for name, n in content.items())
    size = _descriptor().orbits[NN_ORBIT].size
    if total != size:
        return False, (f"the dimensions of your irreps add up to {total}, but the orbit has {size} bonds: "
                       "d_Γ times m_Γ must add up to the orbit size.")
    if content.get("A1", 0) != 1:
        return False, "a single orbit contains A1 exactly once: its sum of bonds."
    return False, ("the dimensions add up, but not the characters: count the bonds each class of "
                   "mirrors leaves in place (tr P(g)), and use the character table.")


EXERCISES = exercises_of(__name__)
