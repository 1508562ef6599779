"""Whole models trained side by side with Keras 3 (torch backend): same weights in, same weights out."""
import keras as real_keras
import numpy as np
import pytest

import striate


def build(lib, kind):
    L = lib.layers
    if kind == "dff":
        return lib.Sequential([lib.Input(shape=(12, 12)), L.Flatten(), L.Dense(16, activation="relu"),
                               L.Dense(8, activation="relu"), L.Dense(5, activation="softmax")])
    if kind == "cnn":
        return lib.Sequential([lib.Input(shape=(12, 12, 1)), L.Conv2D(4, (3, 3)), L.MaxPooling2D((2, 2)),
                               L.Flatten(), L.Dense(8, activation="relu"), L.Dense(5, activation="softmax")])
    if kind == "bn":
        return lib.Sequential([lib.Input(shape=(12, 12, 1)), L.Conv2D(4, (3, 3), padding="same", use_bias=False),  # a bias before BN gets ~0 gradients that Adam amplifies into noise
                               L.BatchNormalization(), L.Activation("relu"), L.AveragePooling2D(2),
                               L.Flatten(), L.Dense(5, activation="softmax")])
    raise ValueError(kind)


def optimizer(lib, name):
    if name == "sgd":
        return lib.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    return lib.optimizers.Adam(learning_rate=0.01)


@pytest.mark.parametrize("kind", ["dff", "cnn", "bn"])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_fit_matches_keras(kind, opt):
    real_keras.utils.set_random_seed(0)  # Keras draws the shared initial weights: fix them
    rng = np.random.default_rng(1)
    x = rng.random((64, 12, 12) + ((1,) if kind != "dff" else ())).astype("float32")
    y = rng.integers(0, 5, 64)
    ref = build(real_keras, kind)
    ours = build(striate, kind)
    ours.set_weights(ref.get_weights())
    for m, lib in ((ref, real_keras), (ours, striate)):
        m.compile(optimizer=optimizer(lib, opt), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h_ref = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h_ours.history["loss"], h_ref.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(h_ours.history["accuracy"], h_ref.history["accuracy"], atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    ev_ours = ours.evaluate(x, y, verbose=0)
    ev_ref = ref.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(ev_ours, ev_ref, rtol=1e-4)
