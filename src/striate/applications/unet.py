"""U-Net (Ronneberger, Fischer and Brox, 2015): a contracting path of 3x3 convolutions and 2x2 max
pooling, an expanding path of 2x2 up-convolutions, each joined by the contracting path's features at
the same scale (cropped to size when the convolutions are unpadded), and a 1x1 convolution to classes.

The paper's network (``UNet()``) has 31,030,658 parameters and maps a 572x572x1 tile to a 388x388x2
segmentation map; ``padding="same"``, ``depth`` and ``filters`` scale it down to small images.
"""
from striate import backend, layers
from striate.applications import imagenet_utils, lecture_utils

PADDINGS = ("valid", "same")


def UNet(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=2,
         classifier_activation="softmax", name="unet", padding="valid", depth=4, filters=64, batch_norm=False):
    """The U-Net of Ronneberger et al. (2015), for per-pixel classification (segmentation).

    Each of the ``depth`` down steps runs two 3x3 convolutions (ReLU) and a 2x2 max pooling, doubling
    the width from ``filters``; after two more convolutions at the bottom, each up step runs a 2x2
    transposed convolution (stride 2) that halves the width, concatenates the down step's features
    (cropped to the same size with ``padding="valid"``) and runs two 3x3 convolutions. Kernels start
    from He-normal draws, as in the paper. ``batch_norm=True`` (not in the paper, which predates it)
    puts a BatchNormalization between each 3x3 convolution (then without bias) and its ReLU, which
    makes small U-Nets learn much faster.

    Layer names: ``down{i}_conv1``, ``down{i}_conv2``, ``down{i}_pool`` (i = 1 .. depth),
    ``bottom_conv1``, ``bottom_conv2``, then ``up{i}_upconv``, ``up{i}_crop`` (valid padding only),
    ``up{i}_concat``, ``up{i}_conv1``, ``up{i}_conv2`` (i = depth .. 1) and ``predictions``; with
    ``batch_norm``, each 3x3 convolution ``NAME`` is followed by ``NAME_bn`` and ``NAME_relu``.

    Args:
        include_top: whether to end with the 1x1 convolution to ``classes`` maps; without it the
            model returns the last up step's ``filters`` feature maps.
        weights: ``None`` (random initialization) or the path of a weights file saved from this
            architecture (``model.save_weights``); there are no published weights (``"imagenet"`` is
            refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: ``(height, width, channels)`` (channels first under ``"channels_first"``);
            default ``(572, 572, 1)`` with ``padding="valid"``, ``(None, None, 1)`` with ``"same"``.
            Unpadded convolutions need sizes that halve evenly at every step (572, 188, 92, ...:
            the error lists the nearest); ``"same"`` needs sizes divisible by ``2**depth``.
        pooling: without the top, ``None`` (feature maps), ``"avg"`` or ``"max"`` (global pooling to
            one vector per image).
        classes: the number of classes per pixel.
        classifier_activation: the top's activation (``"softmax"``, ``None`` for logits, ...).
        name: the model's name.
        padding: ``"valid"`` (the paper's unpadded convolutions: the output is smaller than the
            input) or ``"same"`` (the output has the input's size).
        depth: the number of down (and up) steps.
        filters: the width of the first down step (and of the last up step); each step down
            doubles it, to ``filters * 2**depth`` at the bottom.
        batch_norm: whether to normalize each 3x3 convolution's output (see above).

    Returns:
        A functional :class:`~striate.Model`.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.UNet(input_shape=(64, 64, 1), classes=11, padding="same",
        ...                                 depth=3, filters=8)
        >>> model.output_shape, model.count_params()
        ((None, 64, 64, 11), 120771)
        >>> keras.applications.UNet().count_params()   # the paper's network
        31030658
    """
    if padding not in PADDINGS:
        raise ValueError(f"UNet: padding must be one of {PADDINGS}, received {padding!r}")
    for arg, value in (("depth", depth), ("filters", filters), ("classes", classes)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"UNet: {arg} must be a positive int, received {value!r}")
    lecture_utils.check_weights(weights, "UNet")
    channels_first = backend.image_data_format() == "channels_first"
    if input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    elif input_shape is None:
        size = 572 if padding == "valid" else None
        input_shape = (1, size, size) if channels_first else (size, size, 1)
    if len(input_shape) != 3:
        raise ValueError(f"UNet expects input_shape (height, width, channels), received {tuple(input_shape)}")
    image, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    spatial = tuple(input_shape[1:] if channels_first else input_shape[:2])
    for size in spatial:
        _check_size(size, padding, depth)
    axis = 1 if channels_first else -1

    def conv(x, width, label):
        if not batch_norm:
            return layers.Conv2D(width, 3, padding=padding, activation="relu", kernel_initializer="he_normal",
                                 name=label)(x)
        x = layers.Conv2D(width, 3, padding=padding, use_bias=False, kernel_initializer="he_normal", name=label)(x)
        x = layers.BatchNormalization(axis=axis, name=f"{label}_bn")(x)
        return layers.Activation("relu", name=f"{label}_relu")(x)

    x, skips = image, []
    for i in range(1, depth + 1):
        x = conv(conv(x, filters * 2 ** (i - 1), f"down{i}_conv1"), filters * 2 ** (i - 1), f"down{i}_conv2")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"down{i}_pool")(x)
    x = conv(conv(x, filters * 2 ** depth, "bottom_conv1"), filters * 2 ** depth, "bottom_conv2")
    for i in range(depth, 0, -1):
        width = filters * 2 ** (i - 1)
        x = layers.Conv2DTranspose(width, 2, strides=2, kernel_initializer="he_normal", name=f"up{i}_upconv")(x)
        skip = skips[i - 1]
        if padding == "valid":
            skip = layers.Cropping2D(_crop(skip.shape, x.shape, channels_first), name=f"up{i}_crop")(skip)
        x = layers.Concatenate(axis=axis, name=f"up{i}_concat")([skip, x])
        x = conv(conv(x, width, f"up{i}_conv1"), width, f"up{i}_conv2")
    if include_top:
        x = layers.Conv2D(classes, 1, activation=classifier_activation, name="predictions")(x)
    else:
        x = lecture_utils.global_pooling(x, pooling)
    return lecture_utils.finish_model(inputs, x, name, weights)


def _check_size(size, padding, depth):
    """Raise unless an input side of ``size`` passes through ``depth`` down and up steps."""
    if size is None:
        if padding == "valid":
            raise ValueError("UNet with padding='valid' needs a known input height and width (the crops "
                             "depend on them), received None; pass input_shape=(height, width, channels)")
        return
    if padding == "same":
        if size % 2 ** depth:
            raise ValueError(f"UNet with padding='same' and depth={depth} needs input sides divisible by "
                             f"{2 ** depth}, received {size}")
        return
    if _valid_output(size, depth) is None:
        near = [s for s in range(max(1, size - 2 ** depth * 4), size + 2 ** depth * 4) if _valid_output(s, depth)]
        below, above = [s for s in near if s < size][-1:], [s for s in near if s > size][:1]
        raise ValueError(f"UNet with padding='valid' and depth={depth}: an input side of {size} does not halve "
                         f"evenly after every pair of 3x3 convolutions; the nearest sizes that do are "
                         f"{' and '.join(str(s) for s in below + above)}")


def _valid_output(size, depth):
    """The output side of the unpadded network for an input side of ``size``, or None if it does not fit."""
    for _ in range(depth):
        size -= 4
        if size < 2 or size % 2:
            return None
        size //= 2
    size -= 4
    for _ in range(depth):
        size = 2 * size - 4
        if size < 1:
            return None
    return size


def _crop(skip_shape, up_shape, channels_first):
    """Cropping2D's ``((top, bottom), (left, right))`` that centres the skip's maps on the up-sampled ones."""
    start = 2 if channels_first else 1
    cuts = [skip_shape[a] - up_shape[a] for a in (start, start + 1)]
    return tuple((c // 2, c - c // 2) for c in cuts)

