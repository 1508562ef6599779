"""Pictures of the weights themselves: a convolution's filters as images, every weight as a histogram."""
import math

import numpy as np

from striate.visualize._figure import finish, new_figure, tile_figure


def plot_filters(layer_or_kernel, channel=None, to_file=None, dpi=100, cmap="gray"):
    """Show a convolution's filters, one tile per filter, row-major in a near-square grid.

    The kernel has Keras's layout ``(kernel_height, kernel_width, in_channels, filters)``. What a
    tile shows depends on the input channels:

    - 3 (an RGB input): the filter as one colour image, stretched to [0, 1] as a whole;
    - 1: the filter in grey, its colour scale from its own minimum to its maximum;
    - any other number: the input channel ``channel`` of each filter, or by default the mean over
      the input channels, in grey as above.

    ``channel`` also picks one channel of an RGB kernel. The grey tiles' images (``get_array()``)
    hold the weights themselves; only the colour scale is per filter.

    Args:
        layer_or_kernel: a Conv2D layer (built), or its kernel as an array.
        channel: the input channel to show, or ``None`` as described above.
        to_file: optional path to save the figure to (format from its extension), written atomically.
        dpi: the resolution of the saved file.
        cmap: the colour map of grey tiles.

    Returns:
        The matplotlib Figure; its axes are the tiles, filter 0 first, titled with the filter's index.

    Example:
        >>> kernel = np.zeros((3, 3, 1, 2), "float32")
        >>> kernel[:, 0, 0, 0], kernel[0, :, 0, 1] = 1.0, 1.0  # a vertical and a horizontal line
        >>> figure = plot_filters(kernel, to_file="filters.png")
        >>> figure.axes[1].images[0].get_array().tolist()
        [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    name = getattr(layer_or_kernel, "name", None)
    kernel = np.asarray(getattr(layer_or_kernel, "kernel", layer_or_kernel))
    if kernel.ndim != 4:
        what = f"layer '{name}'" if name else "the kernel"
        raise ValueError(f"plot_filters: {what} must hold a 4-D kernel (kernel_height, kernel_width, "
                         f"in_channels, filters), received shape {kernel.shape}; is the layer a built Conv2D?")
    channels = kernel.shape[2]
    if channel is not None:
        if not 0 <= channel < channels:
            raise ValueError(f"plot_filters: channel must be in [0, {channels}), received {channel!r}")
        tiles, shown = [kernel[:, :, channel, k] for k in range(kernel.shape[3])], f"input channel {channel}"
    elif channels == 3:
        tiles, shown = [kernel[:, :, :, k] for k in range(kernel.shape[3])], "RGB"
    elif channels == 1:
        tiles, shown = [kernel[:, :, 0, k] for k in range(kernel.shape[3])], ""
    else:
        tiles, shown = [kernel[:, :, :, k].mean(axis=2) for k in range(kernel.shape[3])], \
            f"mean of {channels} input channels"
    plural = "s" if len(tiles) > 1 else ""
    title = f"{name or 'kernel'}: {len(tiles)} filter{plural} {kernel.shape[0]}x{kernel.shape[1]}"
    figure = tile_figure("plot_filters", tiles, [str(k) for k in range(len(tiles))],
                         f"{title} ({shown})" if shown else title, cmap)
    return finish(figure, to_file, dpi)


def plot_weight_histograms(model, to_file=None, bins=50, dpi=100):
    """One histogram per weight (kernel, bias, ...), titled with the weight's path.

    Args:
        model: a model or a layer (built).
        to_file: optional path to save the figure to (format from its extension), written atomically.
        bins: the number of bins of each histogram.
        dpi: the resolution of the saved file.

    Returns:
        The matplotlib Figure, one axes per weight in the order of ``model.weights``.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, name="dense")])
        >>> figure = plot_weight_histograms(model, to_file="weights.png")
        >>> [(axes.get_title(), float(sum(p.get_height() for p in axes.patches))) for axes in figure.axes]
        [('dense/kernel', 12.0), ('dense/bias', 3.0)]
    """
    weights = list(getattr(model, "weights", ()))
    if not weights:
        raise ValueError(f"plot_weight_histograms: '{getattr(model, 'name', model)}' has no weights; "
                         "is it built?")
    columns = min(len(weights), 4)
    rows = math.ceil(len(weights) / columns)
    figure = new_figure("plot_weight_histograms", (3.4 * columns, 2.6 * rows))
    for k, weight in enumerate(weights):
        axes = figure.add_subplot(rows, columns, k + 1)
        axes.hist(weight.numpy().ravel(), bins=bins)
        axes.set_title(weight.path, fontsize=9)
        axes.set_xlabel(f"value ({weight.size} in {tuple(weight.shape)})", fontsize=8)
        axes.tick_params(labelsize=7)
    return finish(figure, to_file, dpi)
