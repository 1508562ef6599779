"""layers/normalization.py: BatchNormalization against Keras 3, in training and inference."""
import keras
import numpy as np
import pytest
import torch

from striate import Sequential, layers
from striate.autodiff import Tensor

from .layercheck import check_same, random_weights


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("shape, kwargs", [
    ((4, 5), {}),
    ((3, 4, 5, 3), {"momentum": 0.9, "epsilon": 1e-2}),
    ((4, 6, 6, 16), {}),
    ((3, 3, 4, 5), {"axis": 1}),
    ((4, 6), {"center": False}),
    ((4, 6), {"scale": False, "gamma_initializer": "zeros"}),
])
def test_batch_normalization_matches_keras(shape, kwargs, training):
    check_same("BatchNormalization", shape, training=training, **kwargs)


def test_moving_statistics_follow_keras_over_several_training_steps():
    rng = np.random.default_rng(1)
    ours, theirs = layers.BatchNormalization(momentum=0.8), keras.layers.BatchNormalization(momentum=0.8)
    x0 = rng.standard_normal((6, 4, 4, 3)).astype("float32")
    ours(x0), theirs(x0)
    weights = random_weights(theirs, rng)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for step in range(4):
        x = (rng.standard_normal((6, 4, 4, 3)) * (step + 1) + step).astype("float32")
        y = ours(x, training=True)
        yk = theirs(torch.from_numpy(x), training=True)
        np.testing.assert_allclose(y.numpy(), yk.detach().numpy(), rtol=1e-5, atol=1e-5)
    for v, kv in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv.value), rtol=1e-5, atol=1e-6)
    x = rng.standard_normal((5, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(ours(x).numpy(), theirs(torch.from_numpy(x), training=False).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_weights_are_in_keras_order_and_moving_ones_are_not_trainable():
    bn = layers.BatchNormalization()
    bn(layers.Input(shape=(5,)))
    assert [v.name for v in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [v.name for v in bn.trainable_weights] == ["gamma", "beta"]
    assert [v.name for v in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]


def test_a_frozen_layer_runs_in_inference_mode():
    bn = layers.BatchNormalization()
    x = np.random.default_rng(2).standard_normal((8, 3)).astype("float32") * 3 + 1
    bn(x)
    bn.moving_mean.assign(np.array([1.0, 2.0, 3.0], "float32"))
    bn.trainable = False
    before = bn.get_weights()
    y = bn(x, training=True)
    np.testing.assert_allclose(y.numpy(), bn(x, training=False).numpy())
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_training_normalizes_the_batch_and_passes_gradients():
    x = Tensor(np.random.default_rng(3).standard_normal((16, 4)).astype("float32") * 5 + 2, requires_grad=True)
    bn = layers.BatchNormalization()
    y = bn(x, training=True)
    np.testing.assert_allclose(y.numpy().mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.numpy().std(axis=0), 1, atol=1e-3)
    (y * y).sum().backward()
    assert bn.gamma.grad is not None and bn.beta.grad is not None and x.grad is not None


def test_in_a_sequential_model():
    model = Sequential([layers.Input(shape=(6, 6, 2)), layers.Conv2D(4, 3, use_bias=False),
                        layers.BatchNormalization(), layers.ReLU(), layers.GlobalAveragePooling2D()])
    assert model.output_shape == (None, 4)
    assert model.count_params() == 3 * 3 * 2 * 4 + 4 * 4


@pytest.mark.parametrize("make, message", [
    (lambda: layers.BatchNormalization(axis=(1, 2)), r"BatchNormalization: axis must be an int, received \(1, 2\)"),
    (lambda: layers.BatchNormalization(momentum=1.5), r"BatchNormalization: momentum must be in \[0, 1\]"),
    (lambda: layers.BatchNormalization(epsilon=0), r"BatchNormalization: epsilon must be positive"),
    (lambda: layers.BatchNormalization(renorm=True), r"renorm=True \(batch renormalization\) is not supported"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_inputs_get_clear_errors():
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': axis 3 is out of range for inputs of shape "
                                         r"\(None, 4\)"):
        layers.BatchNormalization(axis=3, name="bn")(layers.Input(shape=(4,)))
    bn = layers.BatchNormalization(name="bn_1")
    bn(layers.Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn_1' expects inputs with last axis of size 4, "
                                         r"received shape \(None, 5\)"):
        bn(layers.Input(shape=(5,)))


@pytest.mark.parametrize("shape, kwargs", [
    ((4, 6), {}),
    ((3, 5, 6), {"epsilon": 1e-2}),
    ((2, 4, 5, 3), {"axis": [1, 2, 3]}),
    ((2, 4, 5, 3), {"axis": (-3, -1)}),  # a single leading axis fails in Keras on torch (it takes F.layer_norm)
    ((2, 3, 4), {"axis": [2, 1]}),
    ((3, 5, 6), {"center": False}),
    ((3, 5, 6), {"scale": False}),
    ((3, 5, 6), {"center": False, "scale": False}),
])
def test_layer_normalization_matches_keras(shape, kwargs):
    check_same("LayerNormalization", shape, **kwargs)


def test_layer_normalization_rms_scaling_matches_keras():
    with pytest.warns(UserWarning, match="rms_scaling"):
        check_same("LayerNormalization", (3, 5, 6), rms_scaling=True)


def test_layer_normalization_normalizes_each_sample_alone():
    norm = layers.LayerNormalization(epsilon=1e-6)
    x = np.random.default_rng(2).standard_normal((4, 10)).astype("float32") * np.arange(1, 5)[:, None] + 7
    y = norm(x).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=1), 1, atol=1e-3)
    np.testing.assert_allclose(norm(x[2:3]).numpy(), y[2:3], rtol=1e-6, atol=1e-6)  # the batch plays no part


def test_layer_normalization_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match="LayerNormalization: axis must be an int or a list of ints, received 'x'"):
        layers.LayerNormalization(axis="x")
    with pytest.raises(ValueError, match=r"LayerNormalization 'ln': axis \[3\] is out of range for inputs of shape "
                                         r"\(None, 4, 5\)"):
        layers.LayerNormalization(axis=3, name="ln")(layers.Input(shape=(4, 5)))
    norm = layers.LayerNormalization(name="ln_1")
    norm(layers.Input(shape=(4, 5)))
    with pytest.raises(ValueError, match=r"LayerNormalization 'ln_1' expects inputs with last axis of size 5"):
        norm(layers.Input(shape=(4, 6)))
