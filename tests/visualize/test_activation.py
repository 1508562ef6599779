"""max_activation and plot_max_activations: gradient ascent finds the pattern a filter looks for."""
import numpy as np
import pytest

import striate as keras
from striate.visualize import max_activation, plot_max_activations

EDGE = np.array([[-1.0, 0.0, 1.0]] * 3, "float32")  # a vertical edge, dark to bright


def _conv(shape, filters, activation=None):
    model = keras.Sequential([keras.Input(shape=shape), keras.layers.Conv2D(len(filters), 3, activation=activation,
                                                                            name="conv")])
    model.layers[0].set_weights([np.stack(filters, axis=-1)[:, :, None, :], np.zeros(len(filters), "float32")])
    return model


def _mean_activation(model, image, k=0):
    return float(model.predict(image[None], verbose=0)[0, :, :, k].mean())


def test_the_image_grows_into_the_filters_pattern():
    model = _conv((3, 3, 1), [EDGE])
    start = max_activation(model, "conv", 0, steps=0, seed=0)
    assert start.shape == (3, 3, 1) and start.dtype == np.float32 and np.abs(start).max() <= 0.125
    image = max_activation(model, "conv", 0, steps=20, seed=0)
    assert np.corrcoef(image.ravel(), EDGE.ravel())[0, 1] > 0.99
    assert np.corrcoef(start.ravel(), EDGE.ravel())[0, 1] < 0.5


def test_the_activation_rises_at_every_step_through_a_relu():
    model = _conv((8, 8, 1), [EDGE], activation="relu")
    means = [_mean_activation(model, max_activation(model, "conv", 0, steps=n, seed=1)) for n in range(8)]
    assert all(b > a for a, b in zip(means, means[1:])), means
    image = max_activation(model, "conv", 0, steps=8, seed=1)[:, :, 0]
    assert image[:, -2:].mean() > image[:, :2].mean()  # bright on the right, as the edge wants


def test_the_step_moves_pixels_by_step_size_and_the_seed_fixes_the_start():
    model = _conv((5, 5, 1), [EDGE])
    one = max_activation(model, "conv", 0, steps=1, step_size=0.5, seed=3)
    start = max_activation(model, "conv", 0, steps=0, seed=3)
    assert np.sqrt(((one - start) ** 2).mean()) == pytest.approx(0.5, rel=1e-4)
    assert not np.array_equal(start, max_activation(model, "conv", 0, steps=0, seed=4))


def test_image_shape_is_needed_for_inputs_of_unknown_size():
    model = keras.Sequential([keras.Input(shape=(None, None, 1)), keras.layers.Conv2D(2, 3, name="conv")])
    with pytest.raises(ValueError, match=r"pass image_shape="):
        max_activation(model, "conv", 0)
    assert max_activation(model, "conv", 1, steps=2, image_shape=(7, 5, 1)).shape == (7, 5, 1)
    with pytest.raises(ValueError, match=r"filter indices must be ints in \[0, 2\).*received \[2\]"):
        max_activation(model, "conv", 2, image_shape=(7, 5, 1))


def test_plot_max_activations_climbs_each_filter_on_its_own():
    pytest.importorskip("matplotlib")
    model = _conv((6, 6, 1), [EDGE, EDGE.T, -EDGE])
    figure = plot_max_activations(model, "conv", filters=[1, 0], steps=4, seed=5)
    assert [a.get_title() for a in figure.axes] == ["1", "0"]
    alone = max_activation(model, "conv", 1, steps=4, seed=5)[:, :, 0]  # the batch's first noise is alone's
    np.testing.assert_allclose(figure.axes[0].images[0].get_array(), alone, rtol=1e-5, atol=1e-6)
    assert len(plot_max_activations(model, "conv", steps=1).axes) == 3  # filters=16: at most all three
