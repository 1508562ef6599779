"""Feature maps: what one layer makes of one image, a tile per channel."""
import numpy as np

from striate import backend
from striate.autodiff import no_grad
from striate.visualize._figure import finish, require_matplotlib, tile_figure
from striate.visualize._graph import channels_first, image_batch, image_node, output_model


def plot_feature_maps(model, layer, image, to_file=None, max_maps=None, dpi=100, cmap="viridis"):
    """Show the activations of ``layer`` for one input image, one tile per channel.

    The activations come from the sub-model ``Model(model.inputs, layer.output)``, in inference mode.
    Each tile's colour scale runs from its own minimum to its maximum; its image (``get_array()``)
    holds the activations themselves.

    Args:
        model: a functional model or a built Sequential, with one input.
        layer: a layer of ``model`` with a 4-D output, or its name.
        image: one input example, with or without a batch axis of 1 (e.g. ``(28, 28, 1)``).
        to_file: optional path to save the figure to (format from its extension), written atomically.
        max_maps: show only the first ``max_maps`` channels (default: all).
        dpi: the resolution of the saved file.
        cmap: the colour map of the tiles.

    Returns:
        The matplotlib Figure; its axes are the tiles, channel 0 first, titled with the channel's index.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, name="conv"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> figure = plot_feature_maps(model, "conv", np.random.rand(8, 8, 1), to_file="maps.png")
        >>> len(figure.axes), figure.axes[0].images[0].get_array().shape
        (4, (6, 6))
    """
    require_matplotlib("plot_feature_maps")
    node = image_node("plot_feature_maps", model, layer)
    with no_grad():
        maps = backend.to_numpy(output_model(model, node)(image_batch("plot_feature_maps", model, image)).data)[0]
    if channels_first(node):
        maps = np.moveaxis(maps, 0, -1)
    count = maps.shape[-1] if max_maps is None else min(int(max_maps), maps.shape[-1])
    if count < 1:
        raise ValueError(f"plot_feature_maps: max_maps must be at least 1, received {max_maps!r}")
    shown = f"{count} of {maps.shape[-1]}" if count < maps.shape[-1] else str(count)
    plural = "s" if count > 1 else ""
    title = f"{node.layer.name}: {shown} feature map{plural} {maps.shape[0]}x{maps.shape[1]}"
    figure = tile_figure("plot_feature_maps", [maps[:, :, c] for c in range(count)],
                         [str(c) for c in range(count)], title, cmap)
    return finish(figure, to_file, dpi)
