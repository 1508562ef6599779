"""layers/pooling.py: max, average and global pooling against Keras 3."""
import numpy as np
import pytest

from striate import layers

from .layercheck import check_same


@pytest.mark.parametrize("name", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("kwargs", [
    {"pool_size": 2},
    {"pool_size": 3, "strides": 2, "padding": "same"},
    {"pool_size": (2, 3), "strides": 1},
    {"pool_size": 2, "data_format": "channels_first", "padding": "same"},
])
def test_pooling_matches_keras(name, kwargs):
    # NOTE: Keras's torch backend pads an uneven "same" window by replicating edge pixels, which
    # changes averages; these shapes need even padding or windows of 2, where it cannot matter.
    shape = (2, 3, 7, 6) if kwargs.get("data_format") == "channels_first" else (2, 7, 7, 3)
    check_same(name, shape, **kwargs)


def test_average_pooling_same_counts_only_input_pixels():
    x = np.arange(1, 10, dtype="float32").reshape(1, 3, 3, 1)
    y = layers.AveragePooling2D(pool_size=2, strides=2, padding="same")(x).numpy()[0, :, :, 0]
    np.testing.assert_allclose(y, [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2], [(7 + 8) / 2, 9]])


def test_max_pooling_defaults_match_keras():
    check_same("MaxPooling2D", (2, 6, 5, 3))
    assert layers.AveragePooling2D().pool_size == (2, 2)  # Keras 3 requires pool_size here; Keras 2 did not


@pytest.mark.parametrize("name", ["GlobalAveragePooling2D", "GlobalMaxPooling2D"])
@pytest.mark.parametrize("kwargs", [{}, {"keepdims": True}, {"data_format": "channels_first"}])
def test_global_pooling_matches_keras(name, kwargs):
    check_same(name, (2, 5, 4, 3), **kwargs)


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool2D is layers.AveragePooling2D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPooling2D: pool_size must be positive, received \(0, 2\)"):
        layers.MaxPooling2D((0, 2))
    with pytest.raises(ValueError, match="AveragePooling2D: padding must be 'valid' or 'same'"):
        layers.AveragePooling2D(padding="full")
    with pytest.raises(ValueError, match=r"MaxPooling2D 'pool' expects inputs with 4 axes .* received shape "
                                         r"\(None, 8, 3\)"):
        layers.MaxPooling2D(name="pool")(layers.Input(shape=(8, 3)))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'small': input shape \(None, 1, 8, 3\) is too small"):
        layers.MaxPooling2D(name="small")(layers.Input(shape=(1, 8, 3)))
