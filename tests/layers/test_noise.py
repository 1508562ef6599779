"""layers/noise.py (GaussianNoise, GaussianDropout) and regularization.py's SpatialDropout2D."""
import json

import keras
import numpy as np
import pytest

import striate
from striate import backend, layers
from striate.autodiff import Tensor

from .layercheck import check_same

X = np.random.default_rng(0).standard_normal((200, 50)).astype("float32")


@pytest.mark.parametrize("name, arg", [("GaussianNoise", 0.3), ("GaussianDropout", 0.2)])
def test_identity_outside_training_matches_keras(name, arg):
    check_same(name, (3, 5), arg)
    check_same(name, (3, 5), arg, seed=4)
    np.testing.assert_array_equal(getattr(layers, name)(arg)(X).numpy(), X)
    model = striate.Sequential([striate.Input(shape=(50,)), getattr(layers, name)(arg)])
    np.testing.assert_array_equal(model.predict(X, verbose=0), X)


def test_gaussian_noise_adds_noise_of_stddev_in_training():
    y = layers.GaussianNoise(0.3)(X, training=True).numpy()
    noise = y - X
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.3) < 0.01


def test_gaussian_dropout_multiplies_by_noise_of_mean_one():
    x = Tensor(np.ones((400, 100), "float32"), requires_grad=True)
    y = layers.GaussianDropout(0.2)(x, training=True)
    assert abs(y.numpy().mean() - 1) < 0.01 and abs(y.numpy().std() - np.sqrt(0.2 / 0.8)) < 0.01
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # the gradient is the same noise


@pytest.mark.parametrize("make", [lambda s: layers.GaussianNoise(0.5, seed=s),
                                  lambda s: layers.GaussianDropout(0.5, seed=s),
                                  lambda s: layers.SpatialDropout2D(0.5, seed=s)])
def test_seed_repeats_across_instances_and_draws_anew_each_call(make):
    x = np.ones((4, 3, 3, 8), "float32")
    a, b = make(9), make(9)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.array_equal(first, a(x, training=True).numpy())
    backend.set_seed(2)
    unseeded = make(None)(x, training=True).numpy()
    backend.set_seed(2)
    np.testing.assert_array_equal(unseeded, make(None)(x, training=True).numpy())


@pytest.mark.parametrize("make, message", [
    (lambda: layers.GaussianNoise(1.5), r"GaussianNoise: stddev must be a number in \[0, 1\], received 1.5"),
    (lambda: layers.GaussianDropout(-0.1), r"GaussianDropout: rate must be a number in \[0, 1\], received -0.1"),
    (lambda: layers.GaussianDropout(1), r"GaussianDropout: rate must be below 1"),
    (lambda: layers.GaussianNoise(0.1, seed="1"), r"GaussianNoise: seed must be an int or None, received '1'"),
])
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- SpatialDropout2D ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"data_format": "channels_first"}, {"seed": 3}])
def test_spatial_dropout_matches_keras_outside_training(kwargs):
    check_same("SpatialDropout2D", (2, 4, 5, 3), 0.4, **kwargs)


def test_spatial_dropout_config_is_kerass_and_keras_builds_from_it():
    layer = layers.SpatialDropout2D(0.3, data_format="channels_first", seed=5, name="sd")
    config = layer.get_config()
    assert set(config) == set(keras.layers.SpatialDropout2D(0.3).get_config())
    rebuilt = keras.layers.SpatialDropout2D.from_config(json.loads(json.dumps(config)))
    assert (rebuilt.rate, rebuilt.data_format, rebuilt.seed, rebuilt.name) == (0.3, "channels_first", 5, "sd")
    assert layers.SpatialDropout2D.from_config(config).get_config() == config


@pytest.mark.parametrize("data_format, maps", [("channels_last", (slice(None), 0, 0, slice(None))),
                                               ("channels_first", (slice(None), slice(None), 0, 0))])
def test_spatial_dropout_drops_whole_feature_maps(data_format, maps):
    x = np.ones((100, 6, 6, 6), "float32")
    y = layers.SpatialDropout2D(0.25, data_format=data_format)(x, training=True).numpy()
    kept = y[maps]  # one value per (image, channel)
    spread = kept[:, :, None, None] if data_format == "channels_first" else kept[:, None, None, :]
    np.testing.assert_array_equal(y, np.broadcast_to(spread, y.shape))
    assert set(np.unique(kept)) == {0, np.float32(1 / 0.75)} and abs((kept == 0).mean() - 0.25) < 0.05


def test_spatial_dropout_expects_images():
    with pytest.raises(ValueError, match=r"SpatialDropout2D 'spatial_dropout2d\w*' expects inputs with 4 axes"):
        layers.SpatialDropout2D(0.5)(np.ones((2, 3, 4), "float32"))
