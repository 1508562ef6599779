"""What a filter looks for: the input that excites it most, found by gradient ascent on the image
(Chollet, "How convolutional neural networks see the world", 2016)."""
import numpy as np

from striate import backend
from striate.autodiff import value_and_grad
from striate.visualize._figure import finish, require_matplotlib, tile_figure
from striate.visualize._graph import channels_first, frozen_weights, image_node, output_model


def max_activation(model, layer, filter_index, steps=30, step_size=0.1, image_shape=None, seed=None):
    """The input image that maximizes the mean activation of one filter, by gradient ascent.

    The image starts as small uniform noise in [-0.125, 0.125] (seeded) and each step adds
    ``step_size`` times the gradient of the filter's mean activation divided by its root mean square,
    so every step moves the pixels by about ``step_size`` whatever the gradient's scale.

    Args:
        model: a functional model or a built Sequential, with one input.
        layer: a layer of ``model`` with a 4-D output, or its name.
        filter_index: the channel of that output to maximize.
        steps: the number of gradient steps.
        step_size: the root-mean-square change of the image per step.
        image_shape: the input's shape without the batch axis; default: the model's input shape (which
            must then be fully known).
        seed: the seed of the starting noise.

    Returns:
        The image as a float32 NumPy array of shape ``image_shape``, unscaled (show it stretched to
        its own range, as :func:`plot_max_activations` does).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(3, 3, 1)), keras.layers.Conv2D(1, 3, name="conv")])
        >>> image = max_activation(model, "conv", 0, steps=20, seed=0)
        >>> kernel = model.layers[0].kernel.numpy()[:, :, :, 0]
        >>> round(float(np.corrcoef(image.ravel(), kernel.ravel())[0, 1]), 2)
        1.0
    """
    return _ascend("max_activation", model, layer, [filter_index], steps, step_size, image_shape, seed)[0]


def plot_max_activations(model, layer, filters=16, to_file=None, steps=30, step_size=0.1, image_shape=None,
                         seed=None, dpi=100, cmap="gray"):
    """Show, for several filters of ``layer``, the input that excites each most (see :func:`max_activation`).

    All filters climb together, as one batch: image ``k`` maximizes filter ``filters[k]``.

    Args:
        model: a functional model or a built Sequential, with one input.
        layer: a layer of ``model`` with a 4-D output, or its name.
        filters: a list of filter indices, or an int ``n`` for the first ``n`` filters (at most all).
        to_file: optional path to save the figure to (format from its extension), written atomically.
        steps, step_size, image_shape, seed: as for :func:`max_activation`.
        dpi: the resolution of the saved file.
        cmap: the colour map of single-channel images (3 channels are shown as RGB).

    Returns:
        The matplotlib Figure; its axes are the images, row-major, titled with the filter's index.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(6, 3, name="conv")])
        >>> figure = plot_max_activations(model, "conv", filters=[0, 2, 5], steps=5, seed=0, to_file="max.png")
        >>> [axes.get_title() for axes in figure.axes]
        ['0', '2', '5']
    """
    require_matplotlib("plot_max_activations")
    node = image_node("plot_max_activations", model, layer)
    if isinstance(filters, int):
        filters = list(range(min(filters, node.outputs[0].shape[1 if channels_first(node) else -1])))
    images = _ascend("plot_max_activations", model, node.layer, list(filters), steps, step_size, image_shape, seed)
    tiles = [image if image.ndim == 2 or image.shape[-1] == 3 else image.mean(axis=-1) for image in images]
    title = f"{node.layer.name}: inputs that maximize each filter ({steps} steps)"
    figure = tile_figure("plot_max_activations", tiles, [str(f) for f in filters], title, cmap)
    return finish(figure, to_file, dpi)


def _ascend(caller, model, layer, filters, steps, step_size, image_shape, seed):
    """Gradient ascent of a batch of images, image ``k`` on the mean activation of filter ``filters[k]``."""
    node = image_node(caller, model, layer)
    channels = node.outputs[0].shape[1 if channels_first(node) else -1]
    bad = [f for f in filters if not (isinstance(f, (int, np.integer)) and 0 <= f < channels)]
    if bad or not filters:
        raise ValueError(f"{caller}: filter indices must be ints in [0, {channels}) for layer "
                         f"'{node.layer.name}', received {bad or filters!r}")
    shape = tuple(image_shape) if image_shape is not None else tuple(model.inputs[0].shape[1:])
    if None in shape:
        raise ValueError(f"{caller}: model '{model.name}' takes inputs of shape {model.inputs[0].shape}; "
                         "pass image_shape= with every size known")
    xp = backend.xp()
    dtype = backend.floatx()
    noise = np.random.default_rng(seed).uniform(-0.125, 0.125, (len(filters),) + shape)
    images = backend.asarray(noise.astype(dtype))
    sub_model = output_model(model, node)
    rows, chosen = xp.arange(len(filters)), xp.asarray(filters)
    # each image's own filter, as a (images, height, width) array
    pick = (rows, chosen) if channels_first(node) else (rows, slice(None), slice(None), chosen)

    def objective(x):
        # NOTE: the images are independent in inference, so the sum of their filters' means gives
        # each image the gradient of its own filter's mean alone
        return sub_model(x)[pick].mean(axis=(1, 2)).sum()

    ascent = value_and_grad(objective)
    axes = tuple(range(1, images.ndim))
    with frozen_weights(model):
        for _ in range(steps):
            _, grads = ascent(images)
            rms = xp.sqrt((grads * grads).mean(axis=axes, keepdims=True))
            images = images + (step_size * grads / (rms + 1e-8)).astype(dtype)
    return list(backend.to_numpy(images).astype("float32"))
