"""layers/preprocessing: Rescaling, Resizing, CenterCrop and Normalization, and reshaping's Cropping2D,
against Keras 3."""
import json

import keras
import numpy as np
import pytest

import striate
from striate import layers
from striate.utils import PyDataset

from .layercheck import check_same

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("args, kwargs", [((1 / 255,), {}), ((1 / 127.5,), {"offset": -1.0}),
                                          (([0.5, 2.0, -1.0],), {"offset": [0.0, 1.0, 2.0]})])
def test_rescaling_matches_keras(args, kwargs):
    check_same("Rescaling", (2, 4, 4, 3), *args, **kwargs)


def test_rescaling_turns_integer_images_into_floats():
    y = layers.Rescaling(1 / 255)(np.array([[0, 51, 255]], "uint8"))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [[0, 0.2, 1]], rtol=1e-6)
    per_channel = layers.Rescaling(np.array([1.0, 0.5]), offset=np.float32(1))
    assert per_channel.get_config()["scale"] == [1.0, 0.5] and per_channel.get_config()["offset"] == 1.0
    np.testing.assert_array_equal(per_channel(np.ones((1, 2), "float32")).numpy(), [[2, 1.5]])
    with pytest.raises(ValueError, match=r"Rescaling: scale must be a number or a list of numbers, received 'x'"):
        layers.Rescaling("x")


@pytest.mark.parametrize("shape, size, kwargs", [
    ((2, 9, 7, 3), (4, 5), {}),
    ((2, 9, 7, 3), (12, 15), {"interpolation": "nearest"}),
    ((2, 9, 7, 3), (5, 4), {"interpolation": "bicubic"}),
    ((2, 9, 7, 3), (4, 5), {"crop_to_aspect_ratio": True}),
    ((2, 9, 7, 3), (4, 5), {"pad_to_aspect_ratio": True, "fill_value": 2.0}),
    ((2, 16, 12, 1), (4, 5), {"antialias": True}),
    ((2, 3, 9, 7), (4, 5), {"data_format": "channels_first"}),
])
def test_resizing_matches_keras(shape, size, kwargs):
    check_same("Resizing", shape, *size, **kwargs)


@pytest.mark.parametrize("shape, size, kwargs", [
    ((2, 9, 7, 3), (4, 5), {}),
    ((2, 8, 8, 1), (3, 3), {}),
    ((2, 9, 7, 3), (12, 5), {}),  # taller than the input: the central window, resized
    ((2, 3, 9, 7), (4, 6), {"data_format": "channels_first"}),
])
def test_center_crop_matches_keras(shape, size, kwargs):
    check_same("CenterCrop", shape, *size, **kwargs)


@pytest.mark.parametrize("name, args", [("Resizing", (4, 5)), ("CenterCrop", (4, 5))])
def test_one_image_without_batch_axis(name, args):
    x = RNG.standard_normal((9, 7, 3)).astype("float32")
    y = getattr(layers, name)(*args)(x).numpy()
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(getattr(keras.layers, name)(*args)(x)), atol=1e-5)
    assert y.shape == (4, 5, 3)


# -- Normalization ---------------------------------------------------------------------------------

def test_normalization_matches_keras():
    check_same("Normalization", (4, 5, 3))
    check_same("Normalization", (4, 5, 3), axis=(1, 2))
    check_same("Normalization", (4, 5, 3), mean=[1.0, 2.0, 3.0], variance=[4.0, 0.25, 1.0], invert=True)
    check_same("Normalization", (4, 5), mean=2.0, variance=9.0)


def keras_adapted(data, **kwargs):
    layer = keras.layers.Normalization(**kwargs)
    layer.adapt(data)
    return layer


@pytest.mark.parametrize("kwargs", [{}, {"axis": None}, {"axis": (1, 2)}, {"axis": (-1, 1)}, {"invert": True}])
def test_adapt_on_an_array_learns_kerass_statistics(kwargs):
    data = RNG.uniform(0, 255, (50, 4, 6, 3)).astype("float32")
    layer = layers.Normalization(**kwargs)
    layer.adapt(data)
    theirs = keras_adapted(data, **kwargs)
    for ours, kv in zip(layer.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours, kv, rtol=1e-5)
    x = data[:7]
    np.testing.assert_allclose(layer(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    assert [(v.name, v.shape, v.trainable) for v in layer.weights] == \
        [(v.name, tuple(v.shape), v.trainable) for v in theirs.weights]


class Batches(PyDataset):
    def __init__(self, data):
        super().__init__()
        self.data = data

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.data[i * 25:(i + 1) * 25], np.zeros(25)


@pytest.mark.parametrize("as_batches", [
    lambda d: [d[i:i + 30] for i in range(0, 100, 30)],               # a list, the last batch shorter
    lambda d: ((d[i:i + 20], np.zeros(20)) for i in range(0, 100, 20)),  # a generator of (x, y)
    Batches,
])
def test_adapt_on_batches_gives_the_statistics_of_the_whole(as_batches):
    data = RNG.normal(3, 2, (100, 5)).astype("float32")
    layer = layers.Normalization()
    layer.adapt(as_batches(data))
    np.testing.assert_allclose(layer.get_weights()[0], data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], data.var(axis=0), rtol=1e-4)
    np.testing.assert_allclose(layer(data).numpy().std(axis=0), 1, rtol=1e-4)


def test_adapted_statistics_travel_with_the_weights_and_the_config():
    data = RNG.normal(1, 3, (30, 4)).astype("float32")
    layer = layers.Normalization()
    layer.adapt(data)
    clone = layers.Normalization.from_config(json.loads(json.dumps(layer.get_config())))
    clone.build((None, 4))
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(data).numpy(), layer(data).numpy())
    fixed = layers.Normalization(mean=[1.0, 2.0], variance=[3.0, 4.0])
    assert fixed.get_config()["mean"] == [1.0, 2.0]
    rebuilt = layers.Normalization.from_config(json.loads(json.dumps(fixed.get_config())))
    np.testing.assert_array_equal(rebuilt(data[:, :2]).numpy(), fixed(data[:, :2]).numpy())


def test_normalization_adapted_in_a_model_trains_and_predicts():
    x = RNG.normal(100, 30, (64, 3)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(x)
    model = striate.Sequential([striate.Input(shape=(3,)), norm, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, :1] / 100, epochs=2, verbose=0)
    np.testing.assert_array_equal(norm.get_weights()[0], x.mean(axis=0))  # adapt()'s, not moved by training
    assert np.isfinite(model.predict(x, verbose=0)).all()


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Normalization(mean=1.0), r"Normalization: give both mean and variance or neither"),
    (lambda: layers.Normalization(mean=[1.0, 2.0], variance=[1.0]), r"mean and variance must have the same shape"),
    (lambda: layers.Normalization(axis=3)(np.zeros((2, 3))), r"Normalization 'normalization\w*': axis \(3,\) is "
                                                             r"out of range for inputs of shape \(2, 3\)"),
    (lambda: layers.Normalization().adapt([]), r"adapt\(\) received no data"),
    (lambda: layers.Normalization(mean=1.0, variance=1.0).adapt(np.zeros((2, 3))), r"cannot adapt\(\)"),
    (lambda: layers.Normalization().adapt([np.zeros((2, 3)), np.zeros((2, 4))]),
     r"was built for inputs of shape \(2, 3\), adapt\(\) received a batch of shape \(2, 4\)"),
])
def test_normalization_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- Cropping2D ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {}, {"cropping": 2}, {"cropping": (1, 3)}, {"cropping": ((1, 2), (0, 3))},
    {"cropping": ((2, 0), (1, 1)), "data_format": "channels_first"},
])
def test_cropping_matches_keras(kwargs):
    check_same("Cropping2D", (2, 7, 8, 3), **kwargs)


def test_cropping_undoes_zero_padding():
    x = RNG.standard_normal((2, 4, 5, 3)).astype("float32")
    padded = layers.ZeroPadding2D(((1, 2), (3, 0)))(x)
    np.testing.assert_array_equal(layers.Cropping2D(((1, 2), (3, 0)))(padded).numpy(), x)


def test_cropping_errors():
    with pytest.raises(ValueError, match=r"Cropping2D: cropping must be an int, \(rows, cols\) or"):
        layers.Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"Cropping2D: cropping must be >= 0"):
        layers.Cropping2D(-1)
    with pytest.raises(ValueError, match=r"Cropping2D 'c': cropping \(\(2, 2\), \(0, 0\)\) leaves nothing of inputs "
                                         r"of shape \(None, 4, 5, 1\)"):
        layers.Cropping2D(((2, 2), (0, 0)), name="c")(striate.Input(shape=(4, 5, 1)))
