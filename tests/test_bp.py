"""Behler-Parrinello models: exact gradients, learning known answers, two potentials, model files."""

import json

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from spinlab.bp import BPModel, load_model
from spinlab.descriptors import BondListDescriptor, StripDescriptor, SymmetricDescriptor
from spinlab.dynamics import SemiImplicitMidpoint
from spinlab.electrons import SDModel
from spinlab.heisenberg import HeisenbergModel
from spinlab.lattice import SquareLattice, Strip, TriangularLattice
from spinlab.mlp import ACTIVATIONS, MLP, _activate
from spinlab.modelfiles import scaler_from_state, scaler_state
from spinlab.ridge import RidgeFieldModel
from spinlab.spins import random_spins
from spinlab.trajectory import run

LATTICE = TriangularLattice(6)
DESCRIPTOR = SymmetricDescriptor("triangular", 2.0)


def heisenberg_data(lattice, n, seed=0, J1=1.0, J2=0.3):
    model = HeisenbergModel(lattice, J1=J1, J2=J2)
    spins = np.stack([random_spins(lattice.n_sites, seed + k) for k in range(n)])
    return spins, np.stack([model.exchange_field(s) for s in spins]), np.array([model.energy(s) for s in spins])


def two_potential_field(lattice, spins, c=0.4):
    """H_perp = -(dU/dS)_perp - S x dW/dS with U a J1-J2 Heisenberg energy and W = c sum_<ij> S_i.S_j."""
    dU = -HeisenbergModel(lattice, J1=1.0, J2=0.3).exchange_field(spins)
    dW = -HeisenbergModel(lattice, J1=c).exchange_field(spins)
    perp = dU - np.sum(dU * spins, axis=1, keepdims=True) * spins
    return -perp - np.cross(spins, dW)


def tiny_model(**kwargs):
    spins, fields, energies = heisenberg_data(LATTICE, 4)
    params = dict(descriptor=DESCRIPTOR, hidden=(7, 5), epochs=1, progress=False, torque_weight=0.6)
    params.update(kwargs)
    return BPModel(**params).fit(spins, fields, energies, lattice=LATTICE)


# -- the network ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_finite_differences(name):
    z = np.linspace(-3, 3, 13) + 0.05  # avoid the ReLU kink
    h = 1e-6
    f, d1, d2 = ACTIVATIONS[name](z)
    np.testing.assert_allclose(d1, (ACTIVATIONS[name](z + h)[0] - ACTIVATIONS[name](z - h)[0]) / (2 * h), atol=1e-8)
    np.testing.assert_allclose(d2, (ACTIVATIONS[name](z + h)[1] - ACTIVATIONS[name](z - h)[1]) / (2 * h), atol=1e-7)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_fused_silu_agrees_with_its_numpy_formula(order):
    z = np.concatenate([np.linspace(-40, 40, 160), [-800.0, 800.0]]).reshape(-1, 3)  # exp(-z) overflows at -800
    fused = _activate("silu", z, order)
    for k, exact in enumerate(ACTIVATIONS["silu"](z)[: order + 1]):
        np.testing.assert_allclose(fused[k], exact, rtol=1e-14, atol=1e-300)
    assert all(part is None for part in fused[order + 1:])


def test_mlp_input_gradient_and_tangent_parameter_gradient_match_finite_differences():
    rng = np.random.default_rng(1)
    net = MLP((5, 4, 3, 2), "tanh", seed=2)
    x, u = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    c, w = rng.standard_normal(6), rng.standard_normal((6, 2))
    h = 1e-6

    def objective():
        y, cache = net.forward(x)
        directional = np.sum(c * np.sum(u * net.input_gradient(cache, np.eye(2)[[1] * 6]), axis=1))
        return np.sum(w * y) + directional

    _, cache = net.forward(x)
    grads = net.parameter_gradient(cache, w, [(u, c, 1)])
    for p, g in zip(net.params, grads):
        for idx in [tuple(rng.integers(0, n) for n in p.shape) for _ in range(3)]:
            old = p[idx]
            p[idx] = old + h
            plus = objective()
            p[idx] = old - h
            minus = objective()
            p[idx] = old
            assert g[idx] == pytest.approx((plus - minus) / (2 * h), abs=1e-7)


# -- exact fields and training gradients -----------------------------------------------------------------------
def energy_derivative(model, spins, i, mu, h=1e-6):
    """Central difference of the model energy with respect to S_i^mu."""
    plus, minus = spins.copy(), spins.copy()
    plus[i, mu] += h
    minus[i, mu] -= h
    return (model.predict_energy(plus) - model.predict_energy(minus)) / (2 * h)


@pytest.mark.parametrize("activation", ["silu", "tanh"])
@pytest.mark.parametrize("block_sites", [4096, 5], ids=["one-block", "blocks-of-5"])
def test_predicted_fields_are_minus_the_gradient_of_the_model_energy(activation, block_sites, monkeypatch):
    monkeypatch.setattr("spinlab.descriptors.descriptor.BLOCK_SITES", block_sites)
    model = tiny_model(activation=activation)
    spins = random_spins(LATTICE.n_sites, 50)
    field = model.predict_fields(spins)
    for i, mu in [(0, 0), (7, 1), (35, 2)]:
        assert field[i, mu] == pytest.approx(-energy_derivative(model, spins, i, mu), abs=1e-7)
    assert model.local_energies(spins).sum() == pytest.approx(model.predict_energy(spins))


@pytest.mark.parametrize("block_sites", [4096, 5], ids=["one-block", "blocks-of-5"])
def test_two_potential_field_follows_its_formula(block_sites, monkeypatch):
    monkeypatch.setattr("spinlab.descriptors.descriptor.BLOCK_SITES", block_sites)
    spins = np.stack([random_spins(LATTICE.n_sites, k) for k in range(4)])
    model = BPModel(DESCRIPTOR, hidden=(6,), outputs="two-potential", epochs=1, progress=False).fit(
        spins, np.stack([two_potential_field(LATTICE, s) for s in spins]), lattice=LATTICE)
    s = random_spins(LATTICE.n_sites, 60)
    h = 1e-6
    grad = np.zeros((2, LATTICE.n_sites, 3))
    for i in range(LATTICE.n_sites):
        for mu in range(3):
            plus, minus = s.copy(), s.copy()
            plus[i, mu] += h
            minus[i, mu] -= h
            grad[:, i, mu] = (model.predict_energy(plus) - model.predict_energy(minus)) / (2 * h)
    dU, dW = grad
    expected = -(dU - np.sum(dU * s, axis=1, keepdims=True) * s) - np.cross(s, dW)
    np.testing.assert_allclose(model.predict_fields(s), expected, atol=1e-7)


@pytest.mark.parametrize("kwargs", [dict(), dict(energy_weight=0.5), dict(outputs="two-potential", torque_weight=0.3),
                                    dict(longitudinal=True, energy_weight=0.5),
                                    dict(descriptor=BondListDescriptor("triangular", 2.0))])
def test_training_gradient_equals_finite_differences_of_the_loss(kwargs):
    spins, fields, energies = heisenberg_data(LATTICE, 3, seed=10)
    if kwargs.get("outputs") == "two-potential":
        fields = np.stack([two_potential_field(LATTICE, s) for s in spins])
    model = tiny_model(**kwargs)
    loss, grads = model.loss_and_gradient(LATTICE, spins, fields, energies)
    rng = np.random.default_rng(3)
    h = 1e-6
    for p, g in zip(model.network_.params, grads):
        idx = tuple(rng.integers(0, n) for n in p.shape)
        old = p[idx]
        p[idx] = old + h
        plus = model.loss_and_gradient(LATTICE, spins, fields, energies)[0]
        p[idx] = old - h
        minus = model.loss_and_gradient(LATTICE, spins, fields, energies)[0]
        p[idx] = old
        assert g[idx] == pytest.approx((plus - minus) / (2 * h), rel=1e-5, abs=1e-9)


def test_loss_on_two_lattices_is_the_site_weighted_mean_of_the_loss_on_each():
    other = TriangularLattice(6, 12)
    (s1, f1, _), (s2, f2, _) = heisenberg_data(LATTICE, 2, seed=20), heisenberg_data(other, 1, seed=30)
    model = tiny_model()
    both, grads = model.loss_and_gradient([LATTICE, other], [s1, s2], [f1, f2])
    (part1, grads1), (part2, grads2) = model.loss_and_gradient(LATTICE, s1, f1), model.loss_and_gradient(other, s2, f2)
    n1, n2 = 2 * LATTICE.n_sites, other.n_sites
    assert both == pytest.approx((n1 * part1 + n2 * part2) / (n1 + n2), rel=1e-12)
    for g, g1, g2 in zip(grads, grads1, grads2):
        np.testing.assert_allclose(g, (n1 * g1 + n2 * g2) / (n1 + n2), rtol=1e-10, atol=1e-14)


def test_a_sample_weight_of_two_counts_a_snapshot_twice():
    spins, fields, energies = heisenberg_data(LATTICE, 2, seed=40)
    model = tiny_model(energy_weight=0.5)
    doubled = model.loss_and_gradient(LATTICE, spins[[0, 0, 1]], fields[[0, 0, 1]], energies[[0, 0, 1]])
    weighted = model.loss_and_gradient(LATTICE, spins, fields, energies, sample_weight=[2.0, 1.0])
    assert weighted[0] == pytest.approx(doubled[0], rel=1e-12)
    for a, b in zip(weighted[1], doubled[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="one finite weight"):
        model.loss_and_gradient(LATTICE, spins, fields, energies, sample_weight=[1.0])


def test_fit_on_two_lattices_learns_both_and_records_the_data():
    lattice, other = TriangularLattice(12), TriangularLattice(6, 24)
    (s1, f1, _), (s2, f2, _) = heisenberg_data(lattice, 6, seed=50), heisenberg_data(other, 6, seed=60)
    model = BPModel(DESCRIPTOR, hidden=(16, 16), optimizer="lbfgs", epochs=300, stop_patience=300, torque_weight=1.0,
                    progress=False).fit([s1, s2], [f1, f2], lattice=[lattice, other])
    assert model.lattice_ is lattice and model.trained_on([s1, s2], [f1, f2], lattice=[lattice, other])
    assert not model.trained_on([s1, s2], [f1, f2], lattice=[lattice, other], sample_weight=np.r_[np.ones(6), 2 * np.ones(6)])
    test1, test2 = heisenberg_data(lattice, 2, seed=70), heisenberg_data(other, 2, seed=80)
    assert model.errors(test1[0], test1[1])["torque_relative"] < 0.05
    assert model.errors(test2[0], test2[1], lattice=other)["torque_relative"] < 0.05
    with pytest.raises(ValueError, match="one array per lattice"):
        model.fit(s1, f1, lattice=[lattice, other])


STRIP = Strip(8, 6)
BIASES = np.array([(-3.6, -3.28), (-3.6, -3.0), (-3.6, -3.6)])


def strip_data(n=3):
    """Two-potential fields on the strip whose damping-like part grows with the bias μ_R - μ_L."""
    spins = np.stack([random_spins(STRIP.n_sites, 70 + k) for k in range(n)])
    bias = BIASES[np.arange(n) % len(BIASES)]
    fields = np.stack([two_potential_field(STRIP, x, c=mu_r - mu_l) for x, (mu_l, mu_r) in zip(spins, bias)])
    return spins, fields, bias


def test_strip_model_training_gradient_equals_finite_differences_of_the_loss():
    spins, fields, bias = strip_data()
    model = BPModel(StripDescriptor(2.3), hidden=(5,), outputs="two-potential", epochs=1, progress=False)
    model.fit(spins, fields, lattice=STRIP, bias=bias)
    loss, grads = model.loss_and_gradient(STRIP, spins, fields, bias=bias)
    h, p = 1e-6, model.network_.params[0]
    for idx in [(0, 0), (p.shape[0] - 1, 2), (p.shape[0] - 3, 4)]:  # a spin feature, the bias columns
        old = p[idx]
        p[idx] = old + h
        plus = model.loss_and_gradient(STRIP, spins, fields, bias=bias)[0]
        p[idx] = old - h
        minus = model.loss_and_gradient(STRIP, spins, fields, bias=bias)[0]
        p[idx] = old
        assert grads[0][idx] == pytest.approx((plus - minus) / (2 * h), rel=1e-5, abs=1e-9)


def test_a_strip_model_sees_the_bias_and_keeps_it_through_its_files(tmp_path):
    spins, fields, bias = strip_data()
    model = BPModel(StripDescriptor(2.3), hidden=(6,), outputs="two-potential", epochs=3, progress=False)
    model.fit(spins, fields, lattice=STRIP, bias=bias)
    assert model.trained_on(spins, fields, lattice=STRIP, bias=bias)
    assert not model.trained_on(spins, fields, lattice=STRIP, bias=bias[::-1])
    at = {tuple(b): model.predict_fields(spins[0], bias=b) for b in BIASES}
    assert np.abs(at[tuple(BIASES[0])] - at[tuple(BIASES[1])]).max() > 1e-6
    provider = model.bind(STRIP, bias=BIASES[1])
    np.testing.assert_array_equal(provider.exchange_field(spins[0]), at[tuple(BIASES[1])])
    model.save(tmp_path / "strip", command="test")
    again = load_model(tmp_path / "strip")
    np.testing.assert_allclose(again.predict_fields(spins[0], lattice=STRIP, bias=BIASES[1]), at[tuple(BIASES[1])],
                               atol=1e-13)
    with pytest.raises(ValueError, match="chemical potentials"):
        again.predict_fields(spins[0], lattice=STRIP)
    with pytest.raises(ValueError, match="one per configuration"):
        model.fit(spins, fields, lattice=STRIP, bias=bias[:2])


# -- learning known answers -------------------------------------------------------------------------------------------
def test_ridge_on_a1_features_recovers_a_heisenberg_model_exactly():
    spins, fields, _ = heisenberg_data(LATTICE, 6)
    test_spins, test_fields, _ = heisenberg_data(LATTICE, 3, seed=100)
    ridge = RidgeFieldModel(DESCRIPTOR, features="a1").fit(spins, fields, lattice=LATTICE)
    assert ridge.errors(test_spins, test_fields)["torque_relative"] < 1e-8
    couplings = ridge.effective_couplings()
    assert couplings[1.0] == pytest.approx(1.0, abs=1e-8)
    assert couplings[round(np.sqrt(3), 9)] == pytest.approx(0.3, abs=1e-8)
    assert couplings[2.0] == pytest.approx(0.0, abs=1e-8)


def test_network_learns_a_heisenberg_model_to_one_percent():
    lattice = TriangularLattice(12)
    spins, fields, _ = heisenberg_data(lattice, 30)
    test_spins, test_fields, _ = heisenberg_data(lattice, 4, seed=100)
    model = BPModel(DESCRIPTOR, hidden=(16, 16), learning_rate=1e-2, epochs=300, batch_size=2, patience=20,
                    stop_patience=60, torque_weight=1.0, progress=False).fit(spins, fields, lattice=lattice)
    errors = model.errors(test_spins, test_fields)
    assert errors["torque_relative"] < 1e-2 and errors["field_relative"] < 1e-2, errors
    history = model.history_["validation_loss"]
    assert history[-1] < 1e-2 * history[0]


def test_longitudinal_output_adds_lambda_s_to_the_energy_gradient(tmp_path):
    model = tiny_model(longitudinal=True)
    spins = random_spins(LATTICE.n_sites, 51)
    parts, field = model.field_parts(spins), model.predict_fields(spins)
    for i, mu in [(0, 0), (7, 1), (35, 2)]:  # E carries -lambda_i (|S_i|^2 - 1) / 2: H = -dE/dS exactly
        assert field[i, mu] == pytest.approx(-energy_derivative(model, spins, i, mu), abs=1e-7)
    np.testing.assert_allclose(np.cross(parts["longitudinal"], spins), 0, atol=1e-14)  # lambda_i S_i
    assert np.abs(parts["longitudinal"]).max() > 1e-3
    np.testing.assert_allclose(model.predict_fields(spins), parts["E"] + parts["longitudinal"], atol=1e-14)
    assert model.predict_energy(spins) == pytest.approx(model.local_energies(spins).sum())
    assert model.short_repr().endswith("longitudinal=True)")
    model.save(tmp_path / "model")
    np.testing.assert_array_equal(load_model(tmp_path / "model").predict_fields(spins), model.predict_fields(spins))


def test_longitudinal_output_fits_the_double_exchange_parallel_field_and_frees_the_torque():
    """At J_H = 6 the ED field is mostly J m_i along S_i (|H| ~ 5.6 against |H_perp| ~ 0.05): with a
    lambda_i S_i output the same network and budget fit both the full field and the torque better."""
    ed = SDModel.from_preset("double-exchange", 8, kT_el=0.05)
    spins = np.stack([random_spins(64, k) for k in range(24)])
    test = np.stack([random_spins(64, 100 + k) for k in range(4)])
    errors = {}
    for longitudinal in (False, True):
        model = BPModel(SymmetricDescriptor("square", 2.3), hidden=(16, 16), longitudinal=longitudinal,
                        optimizer="lbfgs", epochs=150, torque_weight=100.0, progress=False)
        errors[longitudinal] = model.fit(spins, ed.exchange_field(spins), lattice=ed.lattice).errors(
            test, ed.exchange_field(test))
    assert errors[True]["field_relative"] < 0.6 * errors[False]["field_relative"], errors
    assert errors[True]["torque_relative"] < errors[False]["torque_relative"], errors


def test_two_potential_model_learns_a_damping_like_torque_that_a_conservative_model_cannot():
    lattice = TriangularLattice(12)
    spins = np.stack([random_spins(lattice.n_sites, k) for k in range(12)])
    fields = np.stack([two_potential_field(lattice, s) for s in spins])
    test = np.stack([random_spins(lattice.n_sites, 200 + k) for k in range(3)])
    test_fields = np.stack([two_potential_field(lattice, s) for s in test])
    common = dict(hidden=(8,), learning_rate=1e-2, epochs=200, batch_size=1, patience=20, progress=False,
                  field_weight=0.0, torque_weight=1.0)
    two = BPModel(DESCRIPTOR, outputs="two-potential", **common).fit(spins, fields, lattice=lattice)
    one = BPModel(DESCRIPTOR, outputs="energy", **common).fit(spins, fields, lattice=lattice)
    e_two = two.errors(test, test_fields)["torque_relative"]
    e_one = one.errors(test, test_fields)["torque_relative"]
    assert e_two < 0.05 and e_one > 5 * e_two, (e_two, e_one)
    # the W part is identified: its torque is the damping-like part of the target
    s = test[0]
    parts = two.field_parts(s)
    np.testing.assert_allclose(parts["U"] + parts["W"], two.predict_fields(s), atol=1e-14)
    predicted_w = parts["W"]
    target_w = -np.cross(s, -HeisenbergModel(lattice, J1=0.4).exchange_field(s))
    assert np.sqrt(np.mean((predicted_w - target_w) ** 2)) < 0.1 * target_w.std()


def test_trained_model_drives_the_run_loop_like_any_field_provider():
    model = tiny_model()
    provider = model.bind(LATTICE)
    trajectory = run(random_spins(LATTICE.n_sites, 1), provider, SemiImplicitMidpoint(0.05, 0.5), 20,
                     record_every=10, progress=False)
    assert np.all(np.isfinite(trajectory.energies)) and np.all(np.diff(trajectory.energies) <= 1e-12)


# -- model files ------------------------------------------------------------------------------------------------------
def test_save_and_load_give_identical_predictions(tmp_path):
    model = tiny_model()
    model.save(tmp_path / "model", command="pytest")
    again = load_model(tmp_path / "model")
    spins = random_spins(LATTICE.n_sites, 70)
    np.testing.assert_array_equal(again.predict_fields(spins), model.predict_fields(spins))
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["command"] == "pytest" and meta["descriptor"]["kind"] == "triangular"
    assert meta["training_hash"] == model.training_hash_ and meta["spinlab"]
    # a loaded model knows its training data (what a resumed cutoff sweep relies on)
    spins, fields, energies = heisenberg_data(LATTICE, 4)
    assert again.trained_on(spins, fields, energies)
    assert not again.trained_on(spins, fields) and not again.trained_on(spins, 1.01 * fields, energies)


def test_damaged_or_mismatched_model_files_are_refused(tmp_path):
    model = tiny_model()
    model.save(tmp_path / "m")
    npz, js = tmp_path / "m.npz", tmp_path / "m.json"
    data = npz.read_bytes()
    npz.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="checksum"):
        load_model(tmp_path / "m")
    npz.write_bytes(data)
    meta = json.loads(js.read_text())
    js.write_text(json.dumps(dict(meta, format=99)))
    with pytest.raises(ValueError, match="newer"):
        load_model(tmp_path / "m")
    js.write_text(json.dumps(dict(meta, descriptor=dict(meta["descriptor"], cutoff=3.0))))
    with pytest.raises(ValueError, match="does not match"):
        load_model(tmp_path / "m")
    js.write_text(js.read_text()[:20])
    with pytest.raises(ValueError, match="JSON"):
        load_model(tmp_path / "m")
    js.unlink()
    with pytest.raises(ValueError, match="missing"):
        load_model(tmp_path / "m")


def test_bad_model_parameters_are_refused():
    with pytest.raises(ValueError, match="outputs"):
        BPModel(outputs="three")
    with pytest.raises(ValueError, match="weights"):
        BPModel(field_weight=0.0, torque_weight=0.0)
    with pytest.raises(RuntimeError, match="not fitted"):
        BPModel().predict_fields(random_spins(36, 0))
    with pytest.raises(ValueError, match="bind"):
        tiny_model().predict_fields(random_spins(35, 0))
    with pytest.raises(ValueError, match="pass lattice="):
        BPModel(DESCRIPTOR, epochs=1, progress=False).fit(*heisenberg_data(LATTICE, 2)[:2])
    for name, value in (("epochs", -5), ("batch_size", 0), ("learning_rate", 0.0)):
        with pytest.raises(ValueError, match=name):
            BPModel(**{name: value})
    with pytest.raises(ValueError, match="descriptor is for the triangular lattice, got SquareLattice"):
        tiny_model().bind(SquareLattice(6))


def test_feature_scaler_maps_constant_features_to_zero_and_round_trips():
    G = np.stack([np.linspace(0, 1, 10), np.full(10, 3.0), np.linspace(-5, 5, 10)], axis=1)
    scaler = StandardScaler().fit(G)
    Z = scaler.transform(G)
    np.testing.assert_allclose(Z[:, 1], 0.0)
    np.testing.assert_allclose(Z[:, [0, 2]].std(axis=0), 1.0)
    np.testing.assert_array_equal(scaler_from_state(scaler_state(scaler)).transform(G), Z)
    with pytest.raises(ValueError, match="non-positive"):
        scaler_from_state({"mean": np.zeros(2), "scale": np.array([1.0, 0.0])})


def test_a_model_knows_its_lattice_and_binds_to_others():
    model = tiny_model()
    assert model.lattice_ == LATTICE and "fitted on TriangularLattice(6, 6" in repr(model)
    big = TriangularLattice(12)
    spins = random_spins(big.n_sites, 3)
    np.testing.assert_array_equal(model.bind(big).exchange_field(spins), model.predict_fields(spins, lattice=big))
    assert model.bind(big).conservative and model.bind(big).config()["model"] == model.fingerprint()


def test_lbfgs_learns_a_heisenberg_model_and_keeps_the_best_validation_weights():
    lattice = TriangularLattice(12)
    spins, fields, _ = heisenberg_data(lattice, 12)
    test_spins, test_fields, _ = heisenberg_data(lattice, 3, seed=100)
    model = BPModel(DESCRIPTOR, hidden=(16, 16), optimizer="lbfgs", epochs=300, stop_patience=300, torque_weight=1.0,
                    progress=False).fit(spins, fields, lattice=lattice)
    assert model.errors(test_spins, test_fields)["torque_relative"] < 2e-2
    history = model.history_["validation_loss"]
    assert len(history) == 300 and np.all(np.isnan(model.history_["learning_rate"]))
    assert history[-1] < 1e-2 * history[0]
    # the weights kept are those of the best validation loss, not the last iteration's
    holdout = np.random.default_rng(0).permutation(12)[:round(0.2 * 12)]
    lattice_loss = model.loss_and_gradient(lattice, spins[holdout], fields[holdout])[0]
    assert lattice_loss == pytest.approx(min(history), rel=1e-9)
