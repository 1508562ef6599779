"""The trainer's backward pass writes gradients straight into the optimizer's flat array: no number changes."""
import numpy as np
import pytest

import striate as keras
from striate import layers
from striate.optimizers.optimizer import Optimizer


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


def _train(make, monkeypatch, into):
    if not into:
        monkeypatch.setattr(Optimizer, "gradients_into", lambda self, variables: [None] * len(variables))
    keras.utils.set_random_seed(3)
    model = make()
    model.compile(optimizer=keras.optimizers.Adam(0.01, clipnorm=1.0), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((96, 6)).astype("float32"), rng.integers(0, 3, 96)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    monkeypatch.undo()
    return model.get_weights()


@pytest.mark.parametrize("make", [_mlp, _shared_dense_model])
def test_training_gives_the_same_bits_with_gradients_written_in_place(make, monkeypatch):
    for a, b in zip(_train(make, monkeypatch, into=True), _train(make, monkeypatch, into=False)):
        np.testing.assert_array_equal(a, b)


def test_kernels_gradients_land_in_the_flat_array_and_the_offer_ends_with_the_pass():
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = np.ones((4, 6), "float32"), np.zeros(4, "int64")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # builds the optimizer
    variables = model.trainable_weights
    offered = model.optimizer.gradients_into(variables)
    assert all(o is not None and np.shares_memory(o, model.optimizer._joined.gradient) for o in offered)
    for v, o in zip(variables, offered):
        v._gradient_into = o
    keras.ops.sum(model(x, training=True) * np.arange(3, dtype="float32")).backward()
    kernels = [(v, o) for v, o in zip(variables, offered) if v.data.ndim == 2]
    assert len(kernels) == 2 and all(v.grad is o for v, o in kernels)  # written in place
    assert all(v._gradient_into is None for v, _ in kernels)  # each offer is taken once


def test_an_optimizer_for_other_variables_offers_nothing():
    opt = keras.optimizers.Adam()
    a, b = keras.Variable(np.zeros((2, 2), "float32")), keras.Variable(np.zeros(3, "float32"))
    assert opt.gradients_into([a, b]) == [None, None]  # not built
    opt.apply([np.ones((2, 2), "float32"), np.ones(3, "float32")], [a, b])
    assert opt.gradients_into([b, a]) == [None, None]  # not in the order it was built for
    assert [g.shape for g in opt.gradients_into([a, b])] == [(2, 2), (3,)]
