"""plot_feature_maps: one tile per channel, each the layer's activation for the image."""
import numpy as np
import pytest

import striate as keras
from striate.visualize import plot_feature_maps

pytest.importorskip("matplotlib")


def _cnn():
    inputs = keras.Input(shape=(10, 10, 1))
    x = keras.layers.Conv2D(5, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)  # fused with the conv inside the model
    outputs = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("batch_axis", [False, True])
def test_the_tiles_are_the_sub_models_activations(batch_axis):
    model = _cnn()
    image = np.random.default_rng(0).random((10, 10, 1)).astype("float32")
    layer = model.get_layer("conv")
    want = keras.Model(model.inputs, layer.output).predict(image[None], verbose=0)[0]
    figure = plot_feature_maps(model, layer, image[None] if batch_axis else image)
    assert len(figure.axes) == 5
    for c, axes in enumerate(figure.axes):
        np.testing.assert_allclose(axes.images[0].get_array(), want[:, :, c], rtol=1e-6)
        assert axes.get_title() == str(c)
    assert figure.get_suptitle() == "conv: 5 feature maps 8x8"


def test_a_sequential_model_a_layer_name_and_max_maps():
    model = keras.Sequential([keras.Input(shape=(6, 6, 2)), keras.layers.Conv2D(4, 3, padding="same", name="c1"),
                              keras.layers.Conv2D(6, 3, name="c2")])
    image = np.random.default_rng(1).random((6, 6, 2))
    want = model.predict(image[None], verbose=0)[0]
    figure = plot_feature_maps(model, "c2", image, max_maps=2)
    assert [a.images[0].get_array().shape for a in figure.axes] == [(4, 4), (4, 4)]
    np.testing.assert_allclose(figure.axes[1].images[0].get_array(), want[:, :, 1], rtol=1e-5)
    assert figure.get_suptitle() == "c2: 2 of 6 feature maps 4x4"


def test_wrong_layers_and_images_are_refused():
    model = _cnn()
    with pytest.raises(ValueError, match="has no layer 'nope'; its layers: conv, pool"):
        plot_feature_maps(model, "nope", np.zeros((10, 10, 1)))
    with pytest.raises(ValueError, match=r"layer 'dense.*' must have a 4-D output.*\(None, 3\)"):
        plot_feature_maps(model, model.layers[-1], np.zeros((10, 10, 1)))
    with pytest.raises(ValueError, match=r"image must be one example of shape \(10, 10, 1\).*received shape \(2, 10"):
        plot_feature_maps(model, "conv", np.zeros((2, 10, 10, 1)))
