"""Layer fusions (models/fusion.py): which pairs fuse, and that fusing changes no number."""
import numpy as np
import pytest

import striate as keras
from striate import layers as L
from striate.models import fusion

rng = np.random.default_rng(0)


def fused_names(model):
    """The layers that leave out their ReLU, and the pools that apply it."""
    runs = model._fused
    return ([n.layer.name for n in model._nodes if runs.get(id(n)) is fusion.without_relu],
            [n.layer.name for n in model._nodes if runs.get(id(n)) is fusion.pool_then_relu])


def pooled_names(model):
    """The convolutions that average-pool their output in their own op, and the pools they stand in for."""
    runs = model._fused
    return ([n.layer.name for n in model._nodes if getattr(runs.get(id(n)), "func", None)
             is fusion.conv_then_average_pool],
            [n.layer.name for n in model._nodes if runs.get(id(n)) is fusion._pooled])


def max_pooled_names(model):
    """The convolutions that max-pool their output in their own op, and the pools they stand in for."""
    runs = model._fused
    return ([n.layer.name for n in model._nodes if getattr(runs.get(id(n)), "func", None)
             is fusion.conv_then_max_pool],
            [n.layer.name for n in model._nodes if runs.get(id(n)) is fusion._pooled])


def same_outputs_and_gradients(fused, plain, x, exact_gradients=True):
    np.testing.assert_array_equal(fused(x).numpy(), plain(x).numpy())
    grads = []
    for model in (fused, plain):
        loss = keras.ops.sum(model(x, training=True) * np.arange(model.outputs[0].shape[-1], dtype=np.float32))
        loss.backward()
        grads.append([np.array(w.grad) for w in model.trainable_weights])
    for a, b in zip(*grads):
        if exact_gradients:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def convnet():
    return keras.Sequential([keras.Input(shape=(12, 12, 2)), L.Conv2D(4, 3, activation="relu", name="c1"),
                             L.MaxPooling2D(name="p1"), L.Conv2D(6, 3, name="c2"), L.Activation("relu", name="a2"),
                             L.MaxPooling2D(name="p2"), L.Flatten(), L.Dense(3, activation="softmax")])


def test_relu_then_max_pool_pairs_are_fused():
    # c1 and its pool run as one op; c2's ReLU is a layer of its own, which moves after the pool
    assert max_pooled_names(convnet()) == (["c1"], ["p1"])
    assert fused_names(convnet()) == (["a2"], ["p2"])


def test_a_max_pool_of_overlapping_or_padded_windows_takes_the_relu_only():
    for pool in (L.MaxPooling2D(2, strides=1, name="p"), L.MaxPooling2D(2, padding="same", name="p")):
        model = keras.Sequential([keras.Input(shape=(13, 13, 2)), L.Conv2D(4, 3, activation="relu", name="c"), pool])
        assert max_pooled_names(model) == ([], []) and fused_names(model) == (["c"], ["p"])


@pytest.mark.parametrize("size, filters, pool, activation", [
    (14, 6, 4, None), (14, 16, 2, "relu"), (14, 3, (2, 3), "relu"),
    (13, 16, 2, "relu"), (15, 4, (3, 2), None)])  # 11x11 and 13x13 outputs: blocks that leave pixels out
def test_conv_then_max_pool_fused_and_unfused_give_the_same_bits(engine, size, filters, pool, activation):
    """The lecture CNN's linear 6-channel conv and 4x4 pool, a ReLU conv of 16 channels (the compiled
    kernels' case), and pools whose blocks do not tile the output (the Keras convnet's second), on
    images with blank regions, where whole windows tie."""
    def make():
        return keras.Sequential([keras.Input(shape=(size, size, 2)), L.Conv2D(filters, 3, activation=activation,
                                                                              name="c"),
                                 L.MaxPooling2D(pool, name="p"), L.Flatten(), L.Dense(3)])
    fused, plain = make(), make()
    assert max_pooled_names(fused) == (["c"], ["p"])
    plain.set_weights(fused.get_weights())
    plain._fused = {}
    x = rng.standard_normal((5, size, size, 2)).astype(np.float32)
    x[:, :7] = 0  # there the conv's output is its bias: every window ties
    same_outputs_and_gradients(fused, plain, x)


def test_a_relu_output_seen_elsewhere_is_not_fused():
    inputs = keras.Input(shape=(8, 8, 1))
    x = L.Conv2D(2, 3, activation="relu", name="conv")(inputs)
    seen_twice = keras.Model(inputs, [L.MaxPooling2D(name="pool")(x), L.Flatten()(x)])
    as_output = keras.Model(inputs, [L.MaxPooling2D()(x), x])
    tanh = keras.Sequential([keras.Input(shape=(8, 8, 1)), L.Conv2D(2, 3, activation="tanh"), L.MaxPooling2D()])
    first = keras.Sequential([keras.Input(shape=(1, 8, 8)), L.Conv2D(2, 3, activation="relu",
                                                                      data_format="channels_first"), L.MaxPooling2D()])
    for model in (seen_twice, as_output, tanh, first):
        assert fused_names(model) == ([], []) and max_pooled_names(model) == ([], [])


def test_fused_and_unfused_give_the_same_outputs_and_gradients():
    fused, plain = convnet(), convnet()
    plain.set_weights(fused.get_weights())
    plain._fused = {}
    # whole windows of zeros after the ReLU: the ties that the fused order never sees
    x = np.maximum(rng.standard_normal((4, 12, 12, 2)), 0).astype(np.float32)
    x[:, :6] = 0
    same_outputs_and_gradients(fused, plain, x, exact_gradients=False)


def test_a_functional_model_fuses_its_pairs_too():
    inputs = keras.Input(shape=(10, 10, 3))
    x = L.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = L.MaxPooling2D(name="pool")(x)
    model = keras.Model(inputs, L.Dense(2)(L.Flatten()(x)))
    assert max_pooled_names(model) == (["conv"], ["pool"])
    plain = keras.Model.from_config(model.get_config())
    plain.set_weights(model.get_weights())
    plain._fused = {}
    x = rng.standard_normal((3, 10, 10, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), plain.predict(x, verbose=0))


def lenet5():
    return keras.Sequential([
        keras.Input(shape=(16, 16, 1)), L.Conv2D(3, 5, padding="same", activation="tanh", name="c1"),
        L.AveragePooling2D(2, name="p1"), L.Conv2D(4, 3, name="c2"), L.AveragePooling2D(2, name="p2"),
        L.Flatten(), L.Dense(3, activation="softmax")])


def test_conv_then_tiling_average_pool_pairs_are_fused():
    assert pooled_names(lenet5()) == (["c1", "c2"], ["p1", "p2"])


@pytest.mark.parametrize("make", [
    lambda: L.AveragePooling2D(2, strides=1),          # overlapping windows
    lambda: L.AveragePooling2D(3),                     # 10x10 is not tiled by 3x3 blocks
    lambda: L.AveragePooling2D(2, padding="same"),
])
def test_an_average_pool_that_does_not_tile_the_output_in_blocks_is_not_fused(make):
    model = keras.Sequential([keras.Input(shape=(12, 12, 1)), L.Conv2D(2, 3, activation="tanh"), make()])
    assert pooled_names(model) == ([], [])


def test_conv_then_average_pool_not_fused_where_the_output_is_seen_or_the_activation_is_not_fused():
    inputs = keras.Input(shape=(8, 8, 1))
    x = L.Conv2D(2, 3, padding="same", activation="tanh")(inputs)
    seen_twice = keras.Model(inputs, [L.AveragePooling2D()(x), L.Flatten()(x)])
    sigmoid = keras.Sequential([keras.Input(shape=(8, 8, 1)), L.Conv2D(2, 3, padding="same", activation="sigmoid"),
                                L.AveragePooling2D()])
    for model in (seen_twice, sigmoid):
        assert pooled_names(model) == ([], [])


def test_conv_then_average_pool_fused_and_unfused_give_the_same_bits():
    fused, plain = lenet5(), lenet5()
    plain.set_weights(fused.get_weights())
    plain._fused = {}
    same_outputs_and_gradients(fused, plain, rng.standard_normal((5, 16, 16, 1)).astype(np.float32))
