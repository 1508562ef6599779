"""Layer.add_loss and Model.losses as Keras 3 has them: the losses of the last call, added to the loss
that fit minimises and evaluate reports, and all of it when compile() is given no loss. Models are
built with the same code in striate and Keras (torch backend) and trained side by side."""
import keras as real_keras
import numpy as np
import pytest

import striate

rng = np.random.default_rng(0)
X = rng.random((24, 6)).astype("float32")
Y = rng.integers(0, 3, 24)


def activity_model(lib):
    """The Keras guide's model: a pass-through layer that adds an activity penalty."""
    class ActivityRegularization(lib.layers.Layer):
        def call(self, inputs):
            self.add_loss(lib.ops.sum(inputs) * 0.1)
            return inputs

    inputs = lib.Input(shape=(6,))
    x = lib.layers.Dense(5, activation="relu")(inputs)
    x = ActivityRegularization()(x)
    return lib.Model(inputs, lib.layers.Dense(3)(x))


def self_supervised_model(lib):
    """A model whose only losses are its own: one scalar, one per feature (Keras sums it)."""
    class Reconstruction(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.decoder = lib.layers.Dense(6)

        def call(self, inputs):
            code, original = inputs
            decoded = self.decoder(code)
            self.add_loss(lib.ops.mean(lib.ops.square(decoded - original)))
            self.add_loss(lib.ops.mean(lib.ops.abs(code), axis=0) * 0.01)
            return decoded

    inputs = lib.Input(shape=(6,))
    code = lib.layers.Dense(3, activation="tanh")(inputs)
    return lib.Model(inputs, Reconstruction()([code, inputs]))


def twins(build):
    real_keras.utils.set_random_seed(0)
    ref, ours = build(real_keras), build(striate)
    ours.set_weights(ref.get_weights())
    return ours, ref


def test_fit_and_evaluate_add_the_layers_losses_as_keras():
    ours, ref = twins(activity_model)
    for model, lib in ((ours, striate), (ref, real_keras)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    np.testing.assert_allclose(ours.evaluate(X, Y, batch_size=8, verbose=0),
                               ref.evaluate(X, Y, batch_size=8, verbose=0), rtol=1e-5)
    h_ours = ours.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_ref = ref.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_ref.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_compile_without_a_loss_minimises_the_models_own_as_keras():
    ours, ref = twins(self_supervised_model)
    for model, lib in ((ours, striate), (ref, real_keras)):
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.01))
    h_ours = ours.fit(X, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ref = ref.fit(X, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_ref.history["loss"], rtol=1e-5)
    assert h_ours.history["loss"][-1] < h_ours.history["loss"][0]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(X, verbose=0), ref.evaluate(X, verbose=0), rtol=1e-5)


def test_the_logged_loss_is_the_sum_of_the_added_losses():
    model = self_supervised_model(striate)
    model.compile(optimizer="sgd")
    model(X)
    expected = sum(float(striate.ops.sum(loss)) for loss in model.losses)
    assert model.evaluate(X, batch_size=len(X), verbose=0) == pytest.approx(expected, rel=1e-6)


def test_losses_are_those_of_the_last_call():
    model = activity_model(striate)
    assert model.losses == []  # building the model on symbolic inputs adds none
    model(X[:4])
    first = model.losses
    model(X[4:8])
    second = model.losses
    assert len(first) == len(second) == 1
    hidden = np.maximum(X[4:8] @ model.layers[1].get_weights()[0] + model.layers[1].get_weights()[1], 0)
    assert float(second[0]) == pytest.approx(0.1 * hidden.sum(), rel=1e-5)
    assert model.layers[2].losses == second  # the layer that added it holds the same list


def test_nested_layers_losses_come_before_the_weight_penalties():
    class Inner(striate.layers.Layer):
        def call(self, x):
            self.add_loss(striate.ops.mean(x))
            return x

    class Outer(striate.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Inner()
            self.dense = striate.layers.Dense(2, kernel_regularizer=striate.regularizers.l2(1.0),
                                              kernel_initializer="ones")

        def call(self, x):
            self.add_loss(striate.ops.sum(x))
            return self.dense(self.inner(x))

    layer = Outer()
    layer(np.ones((2, 3), "float32"))
    assert [float(v) for v in layer.losses] == [6.0, 1.0, 6.0]
    assert [float(v) for v in layer.inner.losses] == [1.0]
    layer.inner(np.zeros((2, 3), "float32"))  # its own outermost call replaces what it added
    assert [float(v) for v in layer.losses] == [6.0, 0.0, 6.0]


def test_a_model_with_no_loss_at_all_says_how_to_give_one():
    model = striate.Sequential([striate.Input(shape=(6,)), striate.layers.Dense(3)])
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"no loss was given and the model adds none; pass loss=.*add_loss\(\)"):
        model.fit(X, verbose=0)


def test_metrics_without_targets_are_refused():
    model = self_supervised_model(striate)
    model.compile(optimizer="sgd", metrics=["mae"])
    with pytest.raises(ValueError, match="received no targets y, but compile\\(\\) was given a loss or metrics"):
        model.fit(X, verbose=0)


def test_shape_inference_adds_no_losses():
    class Penalty(striate.layers.Layer):
        def call(self, x):
            self.add_loss(striate.ops.sum(x) * 0.1)
            return x

    # built on its first batch: the layers' calls on zeros that infer shapes add nothing
    model = striate.Sequential([striate.layers.Dense(3, kernel_initializer="ones"), Penalty()])
    model(np.ones((2, 4), "float32"))
    assert [float(v) for v in model.losses] == [pytest.approx(0.1 * 24)]
