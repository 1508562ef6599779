"""layers/regularization.py: Dropout."""
import numpy as np
import pytest

from striate import backend, layers
from striate.autodiff import Tensor

from .layercheck import check_same


def test_dropout_is_the_identity_outside_training():
    check_same("Dropout", (3, 5), 0.5)
    x = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    np.testing.assert_array_equal(layers.Dropout(0.9)(x).numpy(), x)
    np.testing.assert_array_equal(layers.Dropout(0.9)(x, training=False).numpy(), x)


def test_dropout_in_training_drops_and_rescales():
    x = np.ones((200, 100), "float32")
    y = layers.Dropout(0.25)(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_gradient_uses_the_same_mask():
    x = Tensor(np.ones((50, 40), "float32"), requires_grad=True)
    y = layers.Dropout(0.5)(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())


def test_noise_shape_drops_whole_feature_maps():
    y = layers.Dropout(0.5, noise_shape=(None, 1, 1, None))(np.ones((8, 4, 4, 6), "float32"), training=True).numpy()
    assert (y == y[:, :1, :1, :]).all()


def test_seeded_dropout_repeats_across_instances_and_changes_per_call():
    x = np.ones((20, 30), "float32")
    a, b = layers.Dropout(0.5, seed=3), layers.Dropout(0.5, seed=3)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.array_equal(first, a(x, training=True).numpy())


def test_unseeded_dropout_follows_the_backend_seed():
    x = np.ones((20, 30), "float32")
    backend.set_seed(7)
    first = layers.Dropout(0.5)(x, training=True).numpy()
    backend.set_seed(7)
    np.testing.assert_array_equal(first, layers.Dropout(0.5)(x, training=True).numpy())


@pytest.mark.parametrize("kwargs, message", [
    ({"rate": 1.5}, r"Dropout: rate must be a number in \[0, 1\], received 1.5"),
    ({"rate": 0.5, "noise_shape": "abc"}, r"Dropout: noise_shape must be a tuple of positive ints or None"),
    ({"rate": 0.5, "noise_shape": (None, 0)}, r"Dropout: noise_shape must be a tuple"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Dropout(**kwargs)
