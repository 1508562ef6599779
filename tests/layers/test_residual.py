"""layers/residual.py: SqueezeExcitation (against the paper's formula in torch autograd) and the option A
ZeroPaddingShortcut."""
import json

import numpy as np
import pytest
import torch

import striate as keras
from striate.applications.senet import se_block
from striate.autodiff import Tensor

from .layercheck import rel_err


def _random_weights(layer, rng):
    layer.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in layer.weights])
    return layer.get_weights()


def test_squeeze_excitation_is_the_papers_block_with_its_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4, 32)).astype("float32")
    layer = keras.layers.SqueezeExcitation(ratio=8)
    layer(x)
    w1, b1, w2, b2 = _random_weights(layer, rng)
    assert w1.shape == (32, 4) and w2.shape == (4, 32)

    xs = Tensor(x, requires_grad=True)
    y = layer(xs)
    cotangent = rng.standard_normal(y.shape).astype("float32")
    y.backward(cotangent)

    xt = torch.tensor(x, requires_grad=True)
    wt = [torch.tensor(w, requires_grad=True) for w in (w1, b1, w2, b2)]
    gates = torch.sigmoid(torch.relu(xt.mean(dim=(1, 2)) @ wt[0] + wt[1]) @ wt[2] + wt[3])
    yt = xt * gates[:, None, None, :]
    yt.backward(torch.from_numpy(cotangent))
    assert rel_err(y.numpy(), yt.detach().numpy()) < 1e-6
    assert rel_err(xs.grad, xt.grad.numpy()) < 1e-5
    for v, t in zip(layer.weights, wt):
        assert rel_err(v.grad, t.grad.numpy()) < 1e-5, v.name


def test_squeeze_excitation_channels_first_and_the_function_form():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 3, 20)).astype("float32")
    last = keras.layers.SqueezeExcitation(ratio=16)
    last(x)
    weights = _random_weights(last, rng)
    first = keras.layers.SqueezeExcitation(ratio=16, data_format="channels_first")
    first(x.transpose(0, 3, 1, 2))
    first.set_weights(weights)
    assert last.squeeze_kernel.shape == (20, 1)  # 20 // 16
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).numpy().transpose(0, 2, 3, 1), last(x).numpy(),
                               rtol=1e-6)

    inputs = keras.Input(shape=(3, 3, 20))
    model = keras.Model(inputs, se_block(inputs, ratio=16, name="se"))
    assert isinstance(model.get_layer("se"), keras.layers.SqueezeExcitation)
    assert model.count_params() == 20 + 1 + 20 + 20
    model.set_weights(weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), last(x).numpy(), rtol=1e-6)


def test_zero_padding_shortcut_subsamples_and_appends_zero_channels():
    x = np.random.standard_normal((2, 5, 7, 3)).astype("float32")
    layer = keras.layers.ZeroPaddingShortcut(8, strides=2)
    xs = Tensor(x, requires_grad=True)
    y = layer(xs)
    assert y.shape == (2, 3, 4, 8)
    np.testing.assert_array_equal(y.numpy()[..., :3], x[:, ::2, ::2])
    assert not y.numpy()[..., 3:].any()
    # the same size as a "same" convolution with stride 2 on the residual branch
    inputs = keras.Input(shape=(5, 7, 3))
    assert layer.compute_output_shape((None, 5, 7, 3)) == \
        keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs).shape == (None, 3, 4, 8)
    y.backward(np.ones(y.shape, "float32"))
    expected = np.zeros_like(x)
    expected[:, ::2, ::2] = 1
    np.testing.assert_array_equal(xs.grad, expected)

    first = keras.layers.ZeroPaddingShortcut(8, strides=2, data_format="channels_first")
    np.testing.assert_array_equal(first(x.transpose(0, 3, 1, 2)).numpy(), y.numpy().transpose(0, 3, 1, 2))
    same = keras.layers.ZeroPaddingShortcut(3)
    np.testing.assert_array_equal(same(x).numpy(), x)


@pytest.mark.parametrize("make, shape", [
    (lambda: keras.layers.SqueezeExcitation(ratio=4, name="se", kernel_initializer="he_normal"), (6, 6, 16)),
    (lambda: keras.layers.ZeroPaddingShortcut(16, strides=(2, 1), name="shortcut"), (6, 6, 8)),
])
def test_config_round_trip_and_saved_model(make, shape, tmp_path):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    assert type(layer).from_config(config).get_config() == layer.get_config()

    inputs = keras.Input(shape=shape)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(layer(keras.layers.Conv2D(shape[-1], 3,
                                                                                              padding="same")(inputs))))
    x = np.random.standard_normal((2,) + shape).astype("float32")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded.get_layer(layer.name)) is type(layer)
    assert loaded.get_layer(layer.name).get_config() == layer.get_config()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_errors_name_the_layer_and_what_was_expected():
    with pytest.raises(ValueError, match="SqueezeExcitation: ratio must be a positive integer, received 0"):
        keras.layers.SqueezeExcitation(ratio=0)
    with pytest.raises(ValueError, match=r"ZeroPaddingShortcut 'narrow': expects inputs with a known number of "
                                         r"channels, at most filters=4, received shape \(None, 8, 8, 6\)"):
        keras.layers.ZeroPaddingShortcut(4, name="narrow")(keras.Input(shape=(8, 8, 6)))
    with pytest.raises(ValueError, match="SqueezeExcitation 'se_2d' expects inputs with 4 axes"):
        keras.layers.SqueezeExcitation(name="se_2d")(keras.Input(shape=(16,)))
