"""layers/reshaping.py: Flatten, Reshape, Permute, ZeroPadding2D and UpSampling2D against Keras 3."""
import numpy as np
import pytest

from striate import layers

from .layercheck import check_same


@pytest.mark.parametrize("shape, kwargs", [
    ((2, 4, 3, 2), {}),
    ((3, 5), {}),
    ((2, 3, 4, 2), {"data_format": "channels_first"}),
])
def test_flatten_matches_keras(shape, kwargs):
    check_same("Flatten", shape, **kwargs)


@pytest.mark.parametrize("target", [(6, 4), (-1, 2), (2, -1, 3)])
def test_reshape_matches_keras(target):
    check_same("Reshape", (2, 4, 6), target)


@pytest.mark.parametrize("shape, dims", [((2, 3, 4), (2, 1)), ((2, 3, 4, 5), (3, 1, 2))])
def test_permute_matches_keras(shape, dims):
    check_same("Permute", shape, dims)


@pytest.mark.parametrize("kwargs", [
    {}, {"padding": 2}, {"padding": (1, 3)}, {"padding": ((1, 2), (0, 3))},
    {"padding": ((2, 0), (1, 1)), "data_format": "channels_first"},
])
def test_zero_padding_matches_keras(kwargs):
    check_same("ZeroPadding2D", (2, 4, 5, 3), **kwargs)


@pytest.mark.parametrize("kwargs", [
    {}, {"size": 3}, {"size": (1, 2)}, {"size": (2, 3), "data_format": "channels_first"},
])
def test_upsampling_matches_keras(kwargs):
    check_same("UpSampling2D", (2, 3, 4, 2), **kwargs)


def test_upsampling_repeats_rows_and_columns():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    y = layers.UpSampling2D((2, 3))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x[0, :, :, 0], 2, axis=0), 3, axis=1))


def test_flatten_then_dense_in_a_model():
    from striate import Sequential
    model = Sequential([layers.Input(shape=(4, 4, 2)), layers.Flatten(), layers.Dense(3)])
    assert model.output_shape == (None, 3)
    assert model(np.ones((5, 4, 4, 2), "float32")).shape == (5, 3)


def test_errors_name_the_layer_and_argument():
    with pytest.raises(ValueError, match=r"Reshape: target_shape must hold positive ints and at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"Reshape 'r' cannot reshape inputs of shape \(None, 4, 6\) \(24 values "
                                         r"per example\) into target_shape \(5, -1\)"):
        layers.Reshape((5, -1), name="r")(layers.Input(shape=(4, 6)))
    with pytest.raises(ValueError, match=r"Reshape 'r2' cannot reshape .* into target_shape \(5, 5\)"):
        layers.Reshape((5, 5), name="r2")(np.zeros((2, 24), "float32"))
    with pytest.raises(ValueError, match=r"Permute: dims must be a permutation of 1 .. 2"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"ZeroPadding2D: padding must be >= 0, received \(-1, -1\)"):
        layers.ZeroPadding2D(-1)
    with pytest.raises(ValueError, match=r"ZeroPadding2D: padding must be an int, \(rows, cols\)"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="UpSampling2D: interpolation must be 'nearest'"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"Permute 'p' expects inputs with 3 axes"):
        layers.Permute((2, 1), name="p")(layers.Input(shape=(3,)))
