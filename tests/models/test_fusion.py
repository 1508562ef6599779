"""Layer fusions (models/fusion.py): which pairs fuse, and that fusing changes no number."""
import numpy as np

import striate as keras
from striate import layers as L

rng = np.random.default_rng(0)


def fused_names(model):
    before, after = model._fused
    return ([n.layer.name for n in model._nodes if id(n) in before],
            [n.layer.name for n in model._nodes if id(n) in after])


def convnet():
    return keras.Sequential([keras.Input(shape=(12, 12, 2)), L.Conv2D(4, 3, activation="relu", name="c1"),
                             L.MaxPooling2D(name="p1"), L.Conv2D(6, 3, name="c2"), L.Activation("relu", name="a2"),
                             L.MaxPooling2D(name="p2"), L.Flatten(), L.Dense(3, activation="softmax")])


def test_relu_then_max_pool_pairs_are_fused():
    assert fused_names(convnet()) == (["c1", "a2"], ["p1", "p2"])


def test_a_relu_output_seen_elsewhere_is_not_fused():
    inputs = keras.Input(shape=(8, 8, 1))
    x = L.Conv2D(2, 3, activation="relu", name="conv")(inputs)
    seen_twice = keras.Model(inputs, [L.MaxPooling2D(name="pool")(x), L.Flatten()(x)])
    as_output = keras.Model(inputs, [L.MaxPooling2D()(x), x])
    tanh = keras.Sequential([keras.Input(shape=(8, 8, 1)), L.Conv2D(2, 3, activation="tanh"), L.MaxPooling2D()])
    first = keras.Sequential([keras.Input(shape=(1, 8, 8)), L.Conv2D(2, 3, activation="relu",
                                                                      data_format="channels_first"), L.MaxPooling2D()])
    for model in (seen_twice, as_output, tanh, first):
        assert fused_names(model) == ([], [])


def test_fused_and_unfused_give_the_same_outputs_and_gradients():
    fused, plain = convnet(), convnet()
    plain.set_weights(fused.get_weights())
    plain._fused = (set(), set())
    # whole windows of zeros after the ReLU: the ties that the fused order never sees
    x = np.maximum(rng.standard_normal((4, 12, 12, 2)), 0).astype(np.float32)
    x[:, :6] = 0
    np.testing.assert_array_equal(fused(x).numpy(), plain(x).numpy())
    grads = []
    for model in (fused, plain):
        loss = keras.ops.sum(model(x, training=True) * np.arange(3, dtype=np.float32))
        loss.backward()
        grads.append([np.array(w.grad) for w in model.trainable_weights])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_functional_model_fuses_its_pairs_too():
    inputs = keras.Input(shape=(10, 10, 3))
    x = L.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = L.MaxPooling2D(name="pool")(x)
    model = keras.Model(inputs, L.Dense(2)(L.Flatten()(x)))
    assert fused_names(model) == (["conv"], ["pool"])
    plain = keras.Model.from_config(model.get_config())
    plain.set_weights(model.get_weights())
    plain._fused = (set(), set())
    x = rng.standard_normal((3, 10, 10, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), plain.predict(x, verbose=0))
