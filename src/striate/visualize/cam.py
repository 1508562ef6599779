"""Grad-CAM (Selvaraju et al., 2017): where in the image the evidence for a class lies, by the gradients
of the class score at a convolutional layer's feature maps."""
import numpy as np

from striate import backend
from striate.autodiff import no_grad, value_and_grad
from striate.ops.image import resize
from striate.visualize._figure import finish, new_figure, require_matplotlib, unit_range
from striate.visualize._graph import (channels_first, frozen_weights, head_model, image_batch, image_node,
                                      output_model)


def grad_cam(model, image, layer=None, class_index=None):
    """Grad-CAM's heat map of one image: which places of ``layer``'s feature maps raise the class score.

    With ``A_k`` the layer's feature map ``k`` and ``y`` the model's output for ``class_index``, each
    map weighs ``w_k = mean over positions of dy/dA_k``; the heat map is ``relu(sum_k w_k A_k)``,
    resized (bilinear) to the input's height and width and divided by its maximum. The gradient is
    striate's own: the model from ``[input, layer output]`` to the prediction is differentiated with
    respect to its second input. The score is the model's output as it is: for a softmax output, a
    probability (Selvaraju et al. use the score before the softmax; pass a model without the final
    softmax for that).

    Args:
        model: a functional model or a built Sequential, with one input and one output.
        image: one input example, with or without a batch axis of 1.
        layer: a layer of ``model`` with a 4-D output, or its name; default: the last such layer.
        class_index: the output unit whose score is explained; default: the predicted class (the argmax).

    Returns:
        A float32 NumPy array of the input's height and width, values in [0, 1] (all 0 when no
        place raises the score).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, padding="same"),
        ...                           keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
        >>> heat = grad_cam(model, np.random.rand(8, 8, 1), class_index=1)
        >>> heat.shape, bool(0 <= heat.min() and heat.max() <= 1)
        ((8, 8), True)
    """
    return _heat_map("grad_cam", model, image, layer, class_index)[0]


def plot_grad_cam(model, image, layer=None, class_index=None, class_names=None, to_file=None, dpi=100,
                  cmap="jet", alpha=0.45):
    """Show an image beside its Grad-CAM heat map laid over it (see :func:`grad_cam`).

    Args:
        model: a functional model or a built Sequential, with one input and one output.
        image: one input example, with or without a batch axis of 1; 3 channels are shown as RGB,
            others as the mean over channels in grey (stretched to [0, 1]).
        layer: the layer whose feature maps are weighed (default: the last with a 4-D output).
        class_index: the output unit explained (default: the predicted class).
        class_names: optional names of the output units, for the title.
        to_file: optional path to save the figure to (format from its extension), written atomically.
        dpi: the resolution of the saved file.
        cmap: the heat map's colour map.
        alpha: the heat map's opacity over the image.

    Returns:
        The matplotlib Figure: the image, then the image with the heat map (its ``images[1]``) and a
        colour bar.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, padding="same"),
        ...                           keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
        >>> figure = plot_grad_cam(model, np.random.rand(8, 8, 1), class_index=0, to_file="cam.png")
        >>> figure.axes[1].images[1].get_array().shape
        (8, 8)
    """
    require_matplotlib("plot_grad_cam")
    heat, class_index, node = _heat_map("plot_grad_cam", model, image, layer, class_index)
    picture = np.asarray(image, dtype="float32")
    if channels_first(node):
        picture = np.moveaxis(picture.reshape((-1,) + heat.shape), 0, -1)
    picture = picture.reshape(heat.shape + (-1,))
    picture = unit_range(picture if picture.shape[-1] == 3 else picture.mean(axis=-1))
    figure = new_figure("plot_grad_cam", (7.6, 3.6))
    plain, overlaid = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for axes in (plain, overlaid):
        axes.imshow(picture, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes.set_xticks([])
        axes.set_yticks([])
    shown = overlaid.imshow(heat, cmap=cmap, alpha=alpha, vmin=0, vmax=1, interpolation="bilinear")
    from matplotlib.cm import ScalarMappable  # the colour bar without the overlay's transparency
    figure.colorbar(ScalarMappable(shown.norm, shown.cmap), ax=overlaid, fraction=0.046, pad=0.04)
    name = class_names[class_index] if class_names is not None else f"class {class_index}"
    plain.set_title("image")
    overlaid.set_title(f"Grad-CAM of {name} at '{node.layer.name}'", fontsize=10)
    return finish(figure, to_file, dpi)


def _heat_map(caller, model, image, layer, class_index):
    """:func:`grad_cam`'s work: ``(heat map, the class index explained, the layer's node)``."""
    node = image_node(caller, model, layer, default_last_4d=True)
    x = image_batch(caller, model, image)
    head = head_model(caller, model, node)
    with no_grad():
        maps = output_model(model, node)(x).data
        if class_index is None:
            class_index = int(backend.to_numpy(head([x, maps]).data).reshape(-1).argmax())
    units = int(np.prod(model.outputs[0].shape[1:]))
    if not 0 <= class_index < units:
        raise ValueError(f"{caller}: class_index must be in [0, {units}) for model '{model.name}', "
                         f"received {class_index!r}")
    with frozen_weights(model):
        _, grads = value_and_grad(lambda a: head([x, a]).reshape(-1)[class_index])(maps)
    xp = backend.xp()
    first = channels_first(node)  # then the input's channels come first too
    weights = grads.mean(axis=(2, 3) if first else (1, 2), keepdims=True)
    cam = xp.maximum((weights * maps).sum(axis=1 if first else 3)[0], 0)
    height, width = x.shape[2:4] if first else x.shape[1:3]
    cam = resize(cam[:, :, None], (height, width), interpolation="bilinear").data[:, :, 0]
    peak = float(cam.max())
    return backend.to_numpy(cam / peak if peak > 0 else cam * 0).astype("float32"), class_index, node
