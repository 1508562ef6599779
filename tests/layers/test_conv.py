"""layers/conv.py: Conv1D, Conv2D (grouped too), DepthwiseConv2D and Conv2DTranspose against Keras 3."""
import numpy as np
import pytest

import striate as keras
from striate import layers

from .layercheck import check_same


@pytest.mark.parametrize("args, kwargs", [
    ((4, 3), {}),
    ((4, (3, 2)), {"strides": 2, "padding": "same", "activation": "relu"}),
    ((3, 3), {"strides": (2, 1), "padding": "same", "use_bias": False}),
    ((2, 2), {"dilation_rate": 2, "activation": "tanh"}),
    ((5, 3), {"data_format": "channels_first", "padding": "same"}),
])
def test_conv2d_matches_keras(args, kwargs):
    shape = (2, 3, 8, 7) if kwargs.get("data_format") == "channels_first" else (2, 8, 7, 3)
    check_same("Conv2D", shape, *args, **kwargs)


@pytest.mark.parametrize("shape, args, kwargs", [
    ((2, 8, 7, 6), (4, 3), {"groups": 2}),
    ((2, 9, 8, 6), (9, (3, 2)), {"groups": 3, "strides": 2, "padding": "same", "activation": "relu"}),
    ((2, 7, 7, 4), (8, 3), {"groups": 4, "padding": "same", "use_bias": False}),
    ((2, 9, 9, 4), (2, 3), {"groups": 2, "dilation_rate": 2, "activation": "tanh"}),
    ((2, 6, 8, 7), (6, 3), {"groups": 2, "data_format": "channels_first", "strides": (1, 2)}),
])
def test_grouped_conv2d_matches_keras(shape, args, kwargs):
    check_same("Conv2D", shape, *args, **kwargs)


def test_grouped_conv1d_matches_keras():
    check_same("Conv1D", (2, 9, 6), 4, 3, groups=2, padding="same")


def test_grouped_conv2d_is_not_fused_and_trains():
    # grouped Conv2D -> pooling pairs stay two layers each (the fused conv op has no groups)
    model = keras.Sequential([keras.Input(shape=(8, 8, 4)), layers.Conv2D(6, 3, groups=2, activation="relu"),
                              layers.MaxPooling2D(), layers.Conv2D(4, 3, groups=2, padding="same", activation="tanh"),
                              layers.AveragePooling2D(), layers.Flatten(), layers.Dense(2)])
    assert model._fused == {}
    x = np.random.default_rng(0).standard_normal((16, 8, 8, 4)).astype("float32")
    y = (x[..., :2].mean(axis=(1, 2, 3)) > x[..., 2:].mean(axis=(1, 2, 3))).astype("int64")  # across the groups
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * first


def test_conv1d_matches_keras():
    check_same("Conv1D", (2, 9, 3), 4, 3, strides=2, padding="same", activation="relu")


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3},
    {"kernel_size": (3, 2), "depth_multiplier": 2, "strides": 2, "padding": "same", "activation": "relu"},
    {"kernel_size": 3, "data_format": "channels_first", "use_bias": False},
])
def test_depthwise_conv2d_matches_keras(kwargs):
    shape = (2, 3, 7, 6) if kwargs.get("data_format") == "channels_first" else (2, 7, 6, 3)
    check_same("DepthwiseConv2D", shape, **kwargs)


@pytest.mark.parametrize("args, kwargs", [
    ((4, 3), {}),
    ((4, 3), {"strides": 2, "padding": "same", "activation": "relu"}),
    ((2, (3, 2)), {"strides": (2, 3)}),
    ((3, 3), {"strides": 2, "padding": "valid", "output_padding": 1}),
])
def test_conv2d_transpose_matches_keras(args, kwargs):
    check_same("Conv2DTranspose", (2, 5, 4, 3), *args, **kwargs)


def test_conv_kernel_layouts_are_keras():
    x = layers.Input(shape=(8, 8, 3))
    assert layers.Conv2D(5, (3, 2))(x).node.layer.kernel.shape == (3, 2, 3, 5)
    dw = layers.DepthwiseConv2D(3, depth_multiplier=2)
    dw(x)
    assert [(v.name, v.shape) for v in dw.weights] == [("kernel", (3, 3, 3, 2)), ("bias", (6,))]
    tr = layers.Conv2DTranspose(4, 3)
    tr(x)
    assert tr.kernel.shape == (3, 3, 4, 3)


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2D(4, (0, 3)), "Conv2D: kernel_size must be positive, received (0, 3)"),
    (lambda: layers.Conv2D(0, 3), "Conv2D: filters must be a positive integer, received 0"),
    (lambda: layers.Conv2D(4, 3, padding="full"), "Conv2D: padding must be 'valid' or 'same', received 'full'"),
    (lambda: layers.Conv2D(4, 3, strides=(1, 2, 3)), "Conv2D: strides must be an int or a tuple of 2 ints"),
    (lambda: layers.Conv2D(4, 3, groups=0), "Conv2D: groups must be a positive integer, received 0"),
    (lambda: layers.Conv2D(6, 3, groups=4), "Conv2D: filters must be divisible by groups, received filters=6 and "
                                            "groups=4"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "strides > 1 and dilation_rate > 1 cannot"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), "Conv2D: data_format must be 'channels_last' or"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "DepthwiseConv2D: depth_multiplier must be"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding must be smaller"),
    (lambda: layers.Conv1D(4, 3, padding="causal"), "Conv1D: padding must be 'valid' or 'same'"),
    (lambda: layers.SeparableConv2D(0, 3), "SeparableConv2D: filters must be a positive integer, received 0"),
    (lambda: layers.SeparableConv2D(4, 3, depth_multiplier=-1), "SeparableConv2D: depth_multiplier must be"),
])
def test_bad_arguments_name_the_layer_and_argument(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_wrong_inputs_get_clear_errors():
    conv = layers.Conv2D(4, 3, name="conv")
    conv(layers.Input(shape=(8, 8, 3)))
    with pytest.raises(ValueError, match=r"Conv2D 'conv' expects inputs with last axis of size 3, "
                                         r"received shape \(None, 8, 8, 5\)"):
        conv(layers.Input(shape=(8, 8, 5)))
    with pytest.raises(ValueError, match=r"expects inputs with 4 axes"):
        conv(layers.Input(shape=(8, 3)))
    with pytest.raises(ValueError, match=r"Conv2D 'conv_1': input shape \(None, 2, 8, 3\) is too small"):
        layers.Conv2D(4, 3, name="conv_1")(layers.Input(shape=(2, 8, 3)))
    with pytest.raises(ValueError, match=r"Conv2D 'towers': the input's 5 channels must be divisible by groups=2, "
                                         r"received input shape \(None, 8, 8, 5\)"):
        layers.Conv2D(4, 3, groups=2, name="towers")(layers.Input(shape=(8, 8, 5)))
    with pytest.raises(TypeError, match="Conv2DTranspose: unexpected keyword argument 'groups'"):
        layers.Conv2DTranspose(4, 3, groups=2)


def test_regularizers_survive_the_config_round_trip_and_add_losses():
    import json
    conv = layers.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer={"class_name": "L1", "config": {"l1": 0.5}})
    conv(layers.Input(shape=(5, 5, 1)))
    config = json.loads(json.dumps(conv.get_config()))
    assert config["kernel_regularizer"]["class_name"] == "L2" and config["bias_regularizer"]["config"] == {"l1": 0.5}
    clone = layers.Conv2D.from_config(config)
    assert clone.get_config() == conv.get_config()
    conv.bias.assign([1.0, -2.0])
    assert len(conv.losses) == 2 and abs(float(conv.losses[1]) - 0.5 * 3.0) < 1e-6
