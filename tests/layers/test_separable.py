"""layers/conv.py: SeparableConv2D and SeparableConv1D against Keras 3."""
import json

import numpy as np
import pytest

import striate as keras
from striate import layers

from .layercheck import check_same


@pytest.mark.parametrize("args, kwargs", [
    ((4, 3), {}),
    ((5, (3, 2)), {"depth_multiplier": 2, "strides": 2, "padding": "same", "activation": "relu"}),
    ((3, 3), {"padding": "same", "use_bias": False, "depth_multiplier": 3}),
    ((2, 2), {"dilation_rate": 2, "activation": "tanh"}),
    ((6, 3), {"data_format": "channels_first", "padding": "same", "strides": (1, 2)}),
])
def test_separable_conv2d_matches_keras(args, kwargs):
    shape = (2, 3, 8, 7) if kwargs.get("data_format") == "channels_first" else (2, 8, 7, 3)
    check_same("SeparableConv2D", shape, *args, **kwargs)


def test_separable_conv1d_matches_keras():
    check_same("SeparableConv1D", (2, 11, 3), 4, 3, depth_multiplier=2, strides=2, padding="same",
               activation="relu")


def test_weights_are_keras_names_shapes_and_order():
    layer = layers.SeparableConv2D(8, (3, 2), depth_multiplier=2)
    layer(layers.Input(shape=(9, 9, 3)))
    assert [(v.name, v.shape) for v in layer.weights] == [
        ("depthwise_kernel", (3, 2, 3, 2)), ("pointwise_kernel", (1, 1, 6, 8)), ("bias", (8,))]
    assert layer.count_params() == 3 * 2 * 3 * 2 + 6 * 8 + 8


def test_regularizers_and_constraints_of_both_kernels():
    layer = layers.SeparableConv2D(2, 3, depthwise_regularizer="l2", pointwise_regularizer=keras.regularizers.L1(0.5),
                                   pointwise_constraint="non_neg")
    layer(layers.Input(shape=(5, 5, 1)))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["depthwise_regularizer"]["class_name"] == "L2"
    assert config["pointwise_regularizer"]["config"] == {"l1": 0.5}
    assert config["pointwise_constraint"]["class_name"] == "NonNeg"
    layer.depthwise_kernel.assign(np.zeros((3, 3, 1, 1), "float32"))
    layer.pointwise_kernel.assign(np.array([[[[1.0, -2.0]]]], "float32"))
    assert len(layer.losses) == 2 and abs(float(layer.losses[1]) - 0.5 * 3.0) < 1e-6
    assert layers.SeparableConv2D.from_config(config).get_config() == layer.get_config()


def test_separable_model_trains():
    model = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.SeparableConv2D(8, 3),
                              layers.GlobalAveragePooling2D(), layers.Dense(2)])
    x = np.random.default_rng(0).standard_normal((16, 8, 8, 3)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=60, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * first
