"""plot_filters and plot_weight_histograms: the tiles are the filters, the bars count every weight."""
import numpy as np
import pytest

import striate as keras
from striate.visualize import plot_filters, plot_weight_histograms

pytest.importorskip("matplotlib")


def _position(axes):
    spec = axes.get_subplotspec()
    return spec.rowspan.start, spec.colspan.start


def test_grey_tiles_hold_each_filter_in_row_major_order():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 1, 5)).astype("float32")
    figure = plot_filters(kernel)
    assert len(figure.axes) == 5
    assert [_position(a) for a in figure.axes] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    for k, axes in enumerate(figure.axes):
        image = axes.images[0]
        np.testing.assert_array_equal(image.get_array(), kernel[:, :, 0, k])
        assert image.get_clim() == (kernel[:, :, 0, k].min(), kernel[:, :, 0, k].max())  # scaled per filter
        assert axes.get_title() == str(k) and not axes.get_xticks().size and not axes.get_yticks().size


def test_a_conv_layer_shows_its_kernel_and_names_itself():
    layer = keras.layers.Conv2D(4, 3, name="edges")
    layer.build((None, 8, 8, 1))
    figure = plot_filters(layer)
    np.testing.assert_array_equal(figure.axes[2].images[0].get_array(), layer.kernel.numpy()[:, :, 0, 2])
    assert figure.get_suptitle().startswith("edges: 4 filters 3x3")


def test_rgb_filters_are_colour_tiles_stretched_to_the_unit_range():
    kernel = np.random.default_rng(1).normal(size=(2, 2, 3, 2))
    figure = plot_filters(kernel)
    for k, axes in enumerate(figure.axes):
        f = kernel[:, :, :, k]
        np.testing.assert_allclose(axes.images[0].get_array(), (f - f.min()) / (f.max() - f.min()), rtol=1e-6)


def test_many_channels_show_the_mean_or_the_chosen_channel():
    kernel = np.random.default_rng(2).normal(size=(3, 3, 4, 2)).astype("float32")
    mean = plot_filters(kernel)
    np.testing.assert_allclose(mean.axes[1].images[0].get_array(), kernel[:, :, :, 1].mean(axis=2), rtol=1e-6)
    assert "mean of 4 input channels" in mean.get_suptitle()
    one = plot_filters(kernel, channel=3)
    np.testing.assert_array_equal(one.axes[1].images[0].get_array(), kernel[:, :, 3, 1])
    with pytest.raises(ValueError, match=r"channel must be in \[0, 4\), received 4"):
        plot_filters(kernel, channel=4)


def test_the_drawn_tiles_show_the_edges_in_place():
    kernel = np.zeros((2, 2, 1, 2), "float32")
    kernel[:, 1, 0, 0] = 1.0  # filter 0: dark left, bright right
    kernel[1, :, 0, 1] = 1.0  # filter 1: dark top, bright bottom
    figure = plot_filters(kernel)
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[:, :, :3]
    height = pixels.shape[0]

    def grey(axes, fx, fy):  # the pixel at fractions (fx, fy) of the tile, from its top-left corner
        box = axes.get_window_extent()
        return pixels[int(height - (box.y1 - fy * box.height)), int(box.x0 + fx * box.width)].tolist()

    vertical, horizontal = figure.axes
    assert grey(vertical, 0.25, 0.5) == [0, 0, 0] and grey(vertical, 0.75, 0.5) == [255, 255, 255]
    assert grey(horizontal, 0.5, 0.25) == [0, 0, 0] and grey(horizontal, 0.5, 0.75) == [255, 255, 255]


def test_a_kernel_that_is_not_4d_is_refused():
    layer = keras.layers.Dense(2, name="dense")
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"layer 'dense'.*received shape \(3, 2\)"):
        plot_filters(layer)


def test_one_histogram_per_weight_counting_every_value():
    model = keras.Sequential([keras.Input(shape=(6, 6, 2)), keras.layers.Conv2D(3, 3, name="conv"),
                              keras.layers.BatchNormalization(name="norm"), keras.layers.Flatten(),
                              keras.layers.Dense(4, name="dense")])
    figure = plot_weight_histograms(model, bins=7)
    assert [a.get_title() for a in figure.axes] == [w.path for w in model.weights]
    for axes, weight in zip(figure.axes, model.weights):
        assert len(axes.patches) == 7
        assert sum(p.get_height() for p in axes.patches) == weight.size
        low, high = float(weight.numpy().min()), float(weight.numpy().max())
        assert axes.patches[0].get_x() == pytest.approx(low if high > low else low - 0.5)


def test_a_model_without_weights_is_refused():
    with pytest.raises(ValueError, match="'empty' has no weights"):
        plot_weight_histograms(keras.Sequential([keras.Input(shape=(2,)), keras.layers.Flatten()], name="empty"))
