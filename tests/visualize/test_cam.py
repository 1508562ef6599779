"""grad_cam against hand-computed and finite-difference maps, on a model built to look at one quadrant."""
import numpy as np
import pytest

import striate as keras
from striate.ops.image import resize
from striate.visualize import grad_cam, plot_grad_cam


def _set(layer, *weights):
    layer.set_weights([np.asarray(w, "float32") for w in weights])


def test_a_model_that_sees_only_the_top_right_quadrant_is_explained_there():
    mask = np.zeros((1, 16, 16, 1), "float32")
    mask[:, :8, 8:] = 1.0
    inputs = keras.Input(shape=(16, 16, 1))
    conv = keras.layers.Conv2D(3, 3, padding="same", name="conv")
    x = keras.layers.Lambda(lambda t: t * mask, name="mask")(conv(inputs))
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    dense = keras.layers.Dense(2)
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(x)))
    _set(conv, np.full((3, 3, 1, 3), 0.1), np.zeros(3))
    _set(dense, [[1.0, -1.0], [0.5, -0.5], [2.0, -2.0]], [0.0, 0.0])
    image = np.random.default_rng(0).random((16, 16, 1)) + 0.1  # evidence everywhere
    heat = grad_cam(model, image)  # the pooled, masked maps: the last layer with a 4-D output
    assert heat.shape == (16, 16) and heat.dtype == np.float32
    assert heat.max() == 1.0 and heat.min() == 0.0
    assert heat[:8, 8:].sum() > 0.9 * heat.sum()
    assert grad_cam(model, image, class_index=1).max() == 0.0  # class 1 only loses from what the maps show


def test_the_channels_are_weighed_by_their_mean_gradient():
    # score_c = sum_k V[k, c] * mean(A_k) with A_k = W_k x: dscore/dA_k = V[k, c] / 16 everywhere, so
    # the map is relu(sum_k V[k, c] W_k x) / its maximum
    inputs = keras.Input(shape=(4, 4, 1))
    conv = keras.layers.Conv2D(2, 1, use_bias=False)
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(conv(inputs))))
    w, v = np.array([1.0, 2.0]), np.array([[1.0, 0.5], [-1.0, 0.25]])
    _set(conv, w.reshape(1, 1, 1, 2))
    _set(dense, v)
    x = np.random.default_rng(1).normal(size=(1, 4, 4, 1)).astype("float32")
    for c in (0, 1):
        want = np.maximum(x[0, :, :, 0] * (w @ v[:, c]), 0)
        np.testing.assert_allclose(grad_cam(model, x, class_index=c), want / want.max(), rtol=1e-5, atol=1e-6)


def test_the_gradient_matches_finite_differences_through_a_nonlinear_head():
    inputs = keras.Input(shape=(6, 6, 1))
    first = keras.layers.Conv2D(2, 3, padding="same", activation="tanh", name="first")
    rest = [keras.layers.Conv2D(3, 3, padding="same", activation="tanh"), keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax")]
    x = first(inputs)
    for layer in rest:
        x = layer(x)
    model = keras.Model(inputs, x)
    image = np.random.default_rng(2).normal(size=(6, 6, 1)).astype("float32")
    maps = keras.Model(inputs, first.output).predict(image[None], verbose=0).astype("float64")

    def score(a):
        for layer in rest:
            a = layer(a.astype("float32"))
        return float(a.numpy()[0, 2])

    eps, grads = 1e-2, np.zeros_like(maps)
    for index in np.ndindex(maps.shape):
        step = np.zeros_like(maps)
        step[index] = eps
        grads[index] = (score(maps + step) - score(maps - step)) / (2 * eps)
    want = np.maximum((grads.mean(axis=(1, 2), keepdims=True) * maps).sum(axis=3)[0], 0)
    np.testing.assert_allclose(grad_cam(model, image, layer="first", class_index=2), want / want.max(), atol=2e-3)


def test_a_smaller_map_is_resized_bilinearly_to_the_image():
    inputs = keras.Input(shape=(6, 6, 1))
    conv = keras.layers.Conv2D(2, 1, use_bias=False)
    pooled = keras.layers.AveragePooling2D(2, name="pool")(conv(inputs))
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(pooled)))
    w, v = np.array([1.0, 2.0]), np.array([[1.0, 0.5], [-1.0, 0.25]])
    _set(conv, w.reshape(1, 1, 1, 2))
    _set(dense, v)
    x = np.random.default_rng(3).normal(size=(6, 6, 1)).astype("float32")
    small = np.maximum(x.reshape(3, 2, 3, 2).mean(axis=(1, 3)) * (w @ v[:, 0]), 0)  # the 3x3 map, as above
    want = resize(small[:, :, None], (6, 6), interpolation="bilinear").numpy()[:, :, 0]
    heat = grad_cam(model, x, class_index=0)
    np.testing.assert_allclose(heat, want / want.max(), rtol=1e-5, atol=1e-6)
    assert len(np.unique(heat)) > 9  # smooth, not 2x2 blocks of 9 values


def test_the_predicted_class_is_the_default_and_weights_keep_no_gradient():
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(2, 3, name="conv"),
                              keras.layers.MaxPooling2D(2, name="pool"), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    image = np.random.default_rng(3).random((8, 8, 1))
    predicted = int(model.predict(image[None], verbose=0).argmax())
    heat = grad_cam(model, image, layer="conv")
    assert heat.max() == 1.0
    np.testing.assert_array_equal(heat, grad_cam(model, image, layer="conv", class_index=predicted))
    assert not np.array_equal(heat, grad_cam(model, image, layer="conv", class_index=(predicted + 1) % 3))
    assert all(w.grad is None and w.requires_grad for w in model.weights)


def test_bad_arguments_are_refused():
    model = keras.Sequential([keras.Input(shape=(4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has no layer with a 4-D output"):
        grad_cam(model, np.zeros((4, 4, 1)))
    conv = keras.Sequential([keras.Input(shape=(4, 4, 1)), keras.layers.Conv2D(1, 3), keras.layers.Flatten(),
                             keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"class_index must be in \[0, 2\).*received 5"):
        grad_cam(conv, np.zeros((4, 4, 1)), class_index=5)
    with pytest.raises(ValueError, match="needs a model built on an input"):
        grad_cam(keras.Sequential([keras.layers.Conv2D(1, 3)]), np.zeros((4, 4, 1)))


def test_plot_grad_cam_lays_the_heat_map_over_the_image():
    pytest.importorskip("matplotlib")
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, padding="same", name="conv"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    image = np.random.default_rng(4).random((8, 8, 1))
    figure = plot_grad_cam(model, image, class_index=1, class_names=["no", "yes"])
    plain, overlaid = figure.axes[:2]
    np.testing.assert_allclose(plain.images[0].get_array(), (image[:, :, 0] - image.min()) / np.ptp(image), rtol=1e-6)
    np.testing.assert_array_equal(overlaid.images[1].get_array(), grad_cam(model, image, class_index=1))
    assert overlaid.images[1].get_alpha() < 1
    assert overlaid.get_title() == "Grad-CAM of yes at 'conv'"
