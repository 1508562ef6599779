"""ParameterStore: weights' gradients land in one flat array that the optimizer reads; no number changes."""
import numpy as np
import pytest

import striate as keras
from striate import layers
from striate.autodiff import Function, Tensor, Variable
from striate.autodiff.parameters import ParameterStore


def _shared_dense_model():
    """A Dense layer applied twice (its kernel gets two gradients to add) and one with a regularizer."""
    inputs = keras.Input(shape=(6,))
    shared = layers.Dense(6, activation="tanh")
    x = shared(shared(inputs))
    x = layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01))(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


def _mlp():
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(16, activation="relu"),
                             layers.Dense(3, activation="softmax")])


def _data(n=96):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 6)).astype("float32"), rng.integers(0, 3, n)


def _fit(make, optimizer, epochs=2):
    keras.utils.set_random_seed(3)
    model = make()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(*_data(), batch_size=16, epochs=epochs, verbose=0)
    return model


class _Twice(Function):
    """``a * b`` whose backward writes both gradients into the buffers the tape offers."""

    def forward(self, xp, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, xp, gy):
        ga, gb = self.grad_buffer(0), self.grad_buffer(1)
        return (xp.multiply(gy, self.b, out=ga) if ga is not None else gy * self.b,
                xp.multiply(gy, self.a, out=gb) if gb is not None else gy * self.a)


@pytest.mark.parametrize("make", [_mlp, _shared_dense_model])
def test_fit_gives_the_bits_of_gradients_computed_apart_and_applied_variable_by_variable(make, monkeypatch):
    stored = _fit(make, keras.optimizers.Adam(0.01, clipnorm=1.0))
    monkeypatch.setattr(Function, "grad_buffer", lambda self, k: None)  # no op writes into the store
    monkeypatch.setattr(keras.optimizers.Adam, "_elementwise", False)  # one update per variable
    apart = _fit(make, keras.optimizers.Adam(0.01, clipnorm=1.0))
    for a, b in zip(stored.get_weights() + [v.numpy() for v in stored.optimizer.variables],
                    apart.get_weights() + [v.numpy() for v in apart.optimizer.variables]):
        np.testing.assert_array_equal(a, b)


def test_gradients_land_in_the_store_with_the_values_of_a_plain_backward_pass():
    keras.utils.set_random_seed(1)
    model = _shared_dense_model()
    x = Tensor(_data(8)[0])
    variables = model.trainable_weights
    loss = lambda: keras.ops.sum(model(x, training=True) * np.arange(3, dtype="float32"))  # noqa: E731
    loss().backward()
    plain = [v.grad.copy() for v in variables]
    store = ParameterStore(variables)
    grads = store.backward(loss())
    assert all(v.data.base is store.values for v in variables)
    assert all(g is view for g, view in zip(grads, store.gradient_views))
    np.testing.assert_array_equal(store.gradients, np.concatenate([g.reshape(-1) for g in plain]))
    assert all(v.grad_buffer is None for v in variables)  # lent for that one pass only
    loss().backward()  # a pass of the user's own, after: new arrays, the store's are left alone
    assert not any(np.shares_memory(v.grad, store.gradients) for v in variables)


def test_a_variable_used_twice_in_one_op_or_by_two_ops_gets_the_sum():
    w = Variable(np.array([1.0, 2.0, 3.0], "float32"))
    store = ParameterStore([w])
    store.backward(_Twice()(w, w).sum())  # d(w*w)/dw = 2w: both halves, not one written over the other
    np.testing.assert_array_equal(store.gradients, [2.0, 4.0, 6.0])
    store.backward((_Twice()(w, 3.0) + _Twice()(w, w)).sum())
    np.testing.assert_array_equal(store.gradients, [5.0, 7.0, 9.0])
    assert w.grad is store.gradient_views[0]


def test_fit_reads_the_flat_gradient_without_copying_it(monkeypatch):
    def refuse(self, grads):
        raise AssertionError("fit copied the gradients")
    monkeypatch.setattr(ParameterStore, "set_gradients", refuse)
    model = _fit(_shared_dense_model, "adam", epochs=1)
    store = model._parameters
    assert model.optimizer._joined.store is store
    assert all(v.data.base is store.values for v in model.trainable_weights)


def test_set_weights_and_saved_weights_write_into_the_store(tmp_path):
    model = _fit(_mlp, "adam", epochs=1)
    store = model._parameters
    weights = [w + 1.0 for w in model.get_weights()]
    model.set_weights(weights)
    np.testing.assert_array_equal(store.values, np.concatenate([w.reshape(-1) for w in weights]))
    model.save_weights(tmp_path / "m.weights.h5")
    model.set_weights([np.zeros_like(w) for w in weights])
    model.load_weights(tmp_path / "m.weights.h5")
    assert store.holds(model.trainable_weights)
    np.testing.assert_array_equal(store.values, np.concatenate([w.reshape(-1) for w in weights]))
    model.fit(*_data(), batch_size=16, epochs=1, verbose=0)
    assert model._parameters is store  # the same store, trained from the loaded values
    assert not np.array_equal(store.values, np.concatenate([w.reshape(-1) for w in weights]))


def test_freezing_a_layer_makes_a_new_store_and_leaves_the_frozen_weights_alone():
    model = _fit(_mlp, "sgd", epochs=1)
    first = model._parameters
    model.layers[0].trainable = False
    frozen = [w.copy() for w in model.layers[0].get_weights()]
    before = model.layers[1].get_weights()
    model.fit(*_data(), batch_size=16, epochs=1, verbose=0)
    assert model._parameters is not first and model._parameters.variables == model.layers[1].trainable_weights
    for a, b in zip(model.layers[0].get_weights(), frozen):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model.layers[1].get_weights()[0], before[0])


def test_a_variable_of_another_dtype_keeps_its_own_arrays():
    w = Variable(np.ones(2, "float32"))
    d = Variable(np.ones(3, "float64"), dtype="float64")
    store = ParameterStore([w, d])
    assert not store.complete and store.values.shape == (2,) and store.gradient_views[1] is None
    store.backward((w * 2.0).sum() + (d * 3.0).sum().astype("float32"))
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])
    np.testing.assert_array_equal(d.grad, [3.0, 3.0, 3.0])
    keras.optimizers.SGD(0.5).apply_store(store)  # updated one by one
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    np.testing.assert_array_equal(d.data, [-0.5, -0.5, -0.5])


def test_holds_says_when_the_variables_or_their_arrays_changed():
    a, b = Variable(np.zeros((2, 2), "float32")), Variable(np.zeros(3, "float32"))
    store = ParameterStore([a, b])
    assert store.holds([a, b]) and not store.holds([b, a]) and not store.holds([a])
    ParameterStore([a, b])  # another store takes the values over
    assert not store.holds([a, b])
