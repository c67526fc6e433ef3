"""Heisenberg model: field is the gradient, energy matches a dense sum over bonds."""

import numpy as np
import pytest

from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import SquareLattice, Strip, TriangularLattice
from spinlab.spins import ferromagnet, random_spins


@pytest.mark.parametrize("lattice", [TriangularLattice(6), SquareLattice(6), Strip(7, 6)])
def test_field_is_minus_the_gradient_of_the_energy(lattice):
    model = HeisenbergModel(lattice, J1=1.0, J2=-0.4, J3=0.25, field=(0.1, -0.2, 0.3), anisotropy=0.7,
                            axis=(1, 1, 0))
    spins = random_spins(lattice.n_sites, 2)
    field = model.exchange_field(spins)
    h = 1e-6
    for i in (0, 3, lattice.n_sites - 1):
        for mu in range(3):
            plus, minus = spins.copy(), spins.copy()
            plus[i, mu] += h
            minus[i, mu] -= h
            assert field[i, mu] == pytest.approx(-(model.energy(plus) - model.energy(minus)) / (2 * h), abs=1e-7)


def test_energy_equals_the_bond_sum():
    lat = TriangularLattice(6)
    J = (1.0, 0.3, -0.2)
    model = HeisenbergModel(lat, *J, field=(0, 0, 0.5), anisotropy=0.2)
    spins = random_spins(lat.n_sites, 3)
    expected = sum(Jn * np.sum(np.einsum("bi,bi->b", spins[lat.bonds(n)[:, 0]], spins[lat.bonds(n)[:, 1]]))
                   for n, Jn in enumerate(J, start=1))
    expected -= 0.5 * spins[:, 2].sum() + 0.2 * np.sum(spins[:, 2] ** 2)
    assert model.energy(spins) == pytest.approx(expected, abs=1e-12)


def test_ferromagnet_energy_per_site():
    lat = SquareLattice(8)
    assert HeisenbergModel(lat, J1=-1.0).energy(ferromagnet(lat)) / lat.n_sites == pytest.approx(-2.0)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="axis"):
        HeisenbergModel(SquareLattice(4), axis=(0, 0, 0))
    with pytest.raises(ValueError, match="finite"):
        HeisenbergModel(SquareLattice(4), J1=np.nan)
