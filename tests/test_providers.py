"""Conformance suite: every field provider (ED, KPM, NEGF, Heisenberg, BP, ridge) obeys one protocol.

A new engine or model joins by adding a factory to ``PROVIDERS``.
"""

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from spinlab.bp import BPModel
from spinlab.descriptors import StripDescriptor, SymmetricDescriptor
from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.electrons import KPMModel, NEGFModel, SDModel
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import SquareLattice, Strip, TriangularLattice
from spinlab.providers import Conservative, FieldProvider, as_provider, provider_fingerprint
from spinlab.ridge import RidgeFieldModel
from spinlab.spins import random_spins, tetrahedral, transverse
from spinlab.trajectory import run

TRIANGULAR = TriangularLattice(6)
FD_STEP = 1e-5


def _training_data(lattice, n=3):
    target = HeisenbergModel(lattice, J1=1.0, J2=0.3)
    spins = np.stack([random_spins(lattice.n_sites, 40 + k) for k in range(n)])
    return spins, target.exchange_field(spins)


def _bp(outputs, longitudinal=False):
    spins, fields = _training_data(TRIANGULAR)
    if outputs == "two-potential":
        fields = transverse(spins, fields) + 0.3 * np.cross(spins, fields)
    model = BPModel(SymmetricDescriptor("triangular", 2.0), hidden=(6, 6), outputs=outputs, longitudinal=longitudinal,
                    epochs=2, progress=False).fit(spins, fields, lattice=TRIANGULAR)
    return model.bind(TRIANGULAR)


def _bp_strip():
    """A two-potential model of a driven strip, trained at two biases and bound at a third."""
    strip = Strip(8, 6)
    spins, fields = _training_data(strip, n=4)
    fields = transverse(spins, fields) + 0.3 * np.cross(spins, fields)
    bias = [(-3.6, -3.28), (-3.6, -3.0)] * 2
    model = BPModel(StripDescriptor(2.3), hidden=(6, 6), outputs="two-potential", epochs=2, progress=False)
    return model.fit(spins, fields, lattice=strip, bias=bias).bind(strip, bias=(-3.6, -3.1))


def _ridge():
    spins, fields = _training_data(TRIANGULAR)
    return RidgeFieldModel(SymmetricDescriptor("triangular", 2.0)).fit(spins, fields, lattice=TRIANGULAR).bind(TRIANGULAR)


def _slightly_disordered_tetrahedral():
    s = tetrahedral(TRIANGULAR) + 0.1 * random_spins(TRIANGULAR.n_sites, 15)
    return s / np.linalg.norm(s, axis=1, keepdims=True)


#: name -> (factory, spins on which finite differences are well defined)
PROVIDERS = {
    "ed-canonical": (lambda: SDModel(TRIANGULAR, J=3.0, filling=0.25), _slightly_disordered_tetrahedral),
    "ed-quasi-canonical": (lambda: SDModel(SquareLattice(4), J=6.0, n_electrons=15, kT_el=0.05),
                           lambda: random_spins(16, 1)),
    "ed-grand-canonical": (lambda: SDModel(TRIANGULAR, J=2.0, mu=-1.0, kT_el=0.1), lambda: random_spins(36, 2)),
    "kpm-colouring": (lambda: KPMModel(TRIANGULAR, J=3.0, filling=0.25, kT_el=0.1, moments=150, probe_distance=2.0),
                      lambda: random_spins(36, 8)),
    "heisenberg": (lambda: HeisenbergModel(SquareLattice(4), J1=1.0, J2=-0.4, anisotropy=0.0),
                   lambda: random_spins(16, 3)),
    "bp-energy": (lambda: _bp("energy"), lambda: random_spins(36, 4)),
    "bp-longitudinal": (lambda: _bp("energy", longitudinal=True), lambda: random_spins(36, 10)),
    "bp-two-potential": (lambda: _bp("two-potential"), lambda: random_spins(36, 5)),
    "bp-strip-two-potential": (_bp_strip, lambda: random_spins(48, 11)),
    "ridge": (_ridge, lambda: random_spins(36, 6)),
    # nonconservative like the two-potential BP model: no energy, compared on transverse parts
    "negf-bias": (lambda: NEGFModel(Strip(6, 4), mu_left=-3.6, mu_right=-2.5, kT_el=0.05),
                  lambda: random_spins(24, 9)),
}


@pytest.fixture(scope="module", params=sorted(PROVIDERS))
def case(request):
    make_provider, make_spins = PROVIDERS[request.param]
    return make_provider(), make_spins()


def _compared(provider, spins, field):
    """Generalized providers are compared on transverse parts (all the dynamics uses)."""
    return field if provider.conservative else transverse(spins, field)


def test_provider_declares_the_protocol(case):
    provider, _ = case
    assert isinstance(as_provider(provider), FieldProvider)
    assert provider.n_sites == provider.lattice.n_sites
    assert isinstance(provider, Conservative) or not provider.conservative
    config = provider.config()
    assert json.loads(json.dumps(config)) == config and provider_fingerprint(provider)


def test_fields_have_the_shape_of_the_spins_and_batches_match_single_evaluations(case):
    provider, spins = case
    batch = np.stack([spins, random_spins(provider.n_sites, 99)])
    single = provider.exchange_field(spins)
    assert single.shape == (provider.n_sites, 3) and single.dtype == np.float64
    together = provider.exchange_field(batch)
    assert together.shape == (2, provider.n_sites, 3)
    np.testing.assert_allclose(together[0], single, atol=1e-12)


def test_fields_rotate_with_the_spins(case):
    provider, spins = case
    R = Rotation.random(random_state=7).as_matrix()
    rotated = provider.exchange_field(spins @ R.T)
    np.testing.assert_allclose(_compared(provider, spins @ R.T, rotated),
                               _compared(provider, spins, provider.exchange_field(spins)) @ R.T, atol=1e-9)


def test_conservative_fields_are_odd_under_time_reversal(case):
    provider, spins = case
    if not provider.conservative:
        assert provider.config()  # generalized: a part even under S -> -S is allowed (bias, damping-like W)
        return
    np.testing.assert_allclose(provider.exchange_field(-spins), -provider.exchange_field(spins), atol=1e-9)


def test_conservative_fields_are_minus_the_gradient_of_the_energy(case):
    provider, spins = case
    if not provider.conservative:
        with pytest.raises(TypeError, match="nonconservative"):
            provider.energy(spins)
        return
    energy, field = provider.energy_and_field(spins)
    assert energy == pytest.approx(provider.energy(spins), abs=1e-10)
    for i in (0, provider.n_sites - 1):
        for mu in range(3):
            plus, minus = spins.copy(), spins.copy()
            plus[i, mu] += FD_STEP
            minus[i, mu] -= FD_STEP
            derivative = -(provider.energy(plus) - provider.energy(minus)) / (2 * FD_STEP)
            assert field[i, mu] == pytest.approx(derivative, abs=1e-6)


@pytest.mark.parametrize("bad, message", [
    ("nan", "NaN"), ("shape", "shape"), ("sites", "sites|shape"), ("length", "unit vectors")])
def test_bad_spins_are_refused_with_a_clear_message(case, bad, message):
    provider, spins = case
    spins = spins.copy()
    if bad == "nan":
        spins[1, 0] = np.nan
    elif bad == "shape":
        spins = spins[:, :2]
    elif bad == "sites":
        spins = spins[:-1]
    else:
        spins[0] *= 1.5
    with pytest.raises(ValueError, match=message):
        provider.exchange_field(spins)


def test_a_short_damped_run_works_with_every_provider(case):
    provider, spins = case
    trajectory = run(spins, provider, SemiImplicitMidpoint(0.02, 0.5), 6, record_every=3, progress=False)
    assert len(trajectory) == 3 and np.all(np.isfinite(trajectory.final_spins))
    energies = np.asarray(trajectory.energies)
    if provider.conservative:
        assert np.all(np.diff(energies) <= 1e-9)  # damping never raises the energy
    else:
        assert np.all(np.isnan(energies))


def test_an_unbound_model_is_refused_with_what_to_do():
    model = BPModel(SymmetricDescriptor("triangular", 2.0))
    with pytest.raises(TypeError, match=r"model\.bind\(lattice\)"):
        run(random_spins(36, 0), model, SemiImplicitMidpoint(0.1, 0.5), 1, progress=False)
