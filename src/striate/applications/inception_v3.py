"""InceptionV3 (Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision"), as
``keras.applications.inception_v3``.

GoogLeNet's Inception modules, grown up: parallel branches of 1x1, factorized 3x3 (two 3x3 for a 5x5)
and asymmetric 1xn / nx1 convolutions and a pooling branch, concatenated along the channels, with grid
reductions by strided branches. Every convolution is followed by batch normalization without a scale
(``scale=False``: the next convolution absorbs it) and a ReLU. Layer names, order and weights are
Keras's, so Keras's published ImageNet weights load as they are.
"""
from striate import backend, layers
from striate.applications import imagenet_utils
from striate.models import Model

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")
# (URL, md5) of the published files, with the classifier and without.
WEIGHT_FILES = ((WEIGHTS_PATH, "9a0d58056eeedaa3f26cb7ebd46da564"),
                (WEIGHTS_PATH_NO_TOP, "bcbd6486424b2319ff4ef7d526e38f63"))


def _channel_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A convolution without bias, batch normalization without scale, and a ReLU: InceptionV3's unit.

    Args:
        x: the input tensor.
        filters: the convolution's number of filters.
        num_row, num_col: the kernel's height and width.
        padding: ``"same"`` or ``"valid"``.
        strides: the convolution's strides.
        name: ``None`` (automatic names) or a name: the layers are then ``name + "_conv"``,
            ``name + "_bn"`` and ``name``.

    Returns:
        The ReLU's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.inception_v3 import conv2d_bn
        >>> conv2d_bn(keras.Input(shape=(35, 35, 192)), 64, 1, 7, name="b7").shape
        (None, 35, 35, 64)
    """
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _average_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _inception_a(x, pool_filters, name):
    """35x35 module: 1x1, 5x5 (as 1x1 then 5x5), double 3x3 and pooled 1x1 branches."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _average_branch(x, pool_filters)
    return layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=_channel_axis(), name=name)


def _reduction_a(x):
    """35x35 to 17x17: strided 3x3, strided double 3x3 and max pooling branches."""
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=_channel_axis(), name="mixed3")


def _inception_b(x, width, name):
    """17x17 module with 7x7 convolutions factorized into 1x7 and 7x1, ``width`` filters inside."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(conv2d_bn(conv2d_bn(x, width, 1, 1), width, 1, 7), 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    for filters, rows, cols in ((width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)):
        branch7x7dbl = conv2d_bn(branch7x7dbl, filters, rows, cols)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=_channel_axis(), name=name)


def _reduction_b(x):
    """17x17 to 8x8: strided 3x3, 7x7 then strided 3x3, and max pooling branches."""
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=_channel_axis(), name="mixed8")


def _inception_c(x, index):
    """8x8 module whose 3x3 branches split into parallel 1x3 and 3x1 convolutions."""
    axis = _channel_axis()
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate([conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)], axis=axis,
                                   name=f"mixed9_{index}")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = layers.concatenate([conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)],
                                      axis=axis)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=axis, name=f"mixed{9 + index}")


def classifier_or_pooling(x, include_top, weights, pooling, classes, classifier_activation):
    """The end of InceptionV3 and Xception: with the top, global average pooling (``avg_pool``) and the
    dense classifier (``predictions``); without it, an optional global pooling (``"avg"`` or ``"max"``).

    Args:
        x: the last block's 4D output.
        include_top, weights, pooling, classes, classifier_activation: the model function's arguments.

    Returns:
        The model's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.inception_v3 import classifier_or_pooling
        >>> classifier_or_pooling(keras.Input(shape=(8, 8, 64)), True, None, None, 10, "softmax").shape
        (None, 10)
    """
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D()(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D()(x)
    return x


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """InceptionV3: a stem of five convolutions, eleven Inception modules (``mixed0`` ... ``mixed10``), then
    the classifier; 23,851,784 parameters with it, as ``keras.applications.InceptionV3``.

    Its inputs are images preprocessed by :func:`preprocess_input` (scaled to ``[-1, 1]``).

    Args:
        include_top: whether to include the classifier (global average pooling and a dense layer; then
            the input is 299x299).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights, downloaded
            once into ``~/.striate/models``) or the path of a weights file.
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the image input.
        input_shape: the input's shape without the batch axis when ``include_top`` is False (3 channels,
            at least 75x75); default ``(299, 299, 3)`` with the top, ``(None, None, 3)`` without.
        pooling: without the top: ``None`` (the last module's 4D output), ``"avg"`` or ``"max"`` (global
            pooling to a vector).
        classes: the number of classes of the classifier (1000 with ImageNet's weights).
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3),
        ...                                        pooling="avg")
        >>> model.output_shape, model.count_params()
        ((None, 2048), 21802784)
    """
    imagenet_utils.validate_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    x, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    x = conv2d_bn(x, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for index, pool_filters in enumerate((32, 64, 64)):
        x = _inception_a(x, pool_filters, name=f"mixed{index}")
    x = _reduction_a(x)
    for index, width in enumerate((128, 160, 160, 192), start=4):
        x = _inception_b(x, width, name=f"mixed{index}")
    x = _reduction_b(x)
    for index in range(2):
        x = _inception_c(x, index)
    x = classifier_or_pooling(x, include_top, weights, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    origin, file_hash = WEIGHT_FILES[0 if include_top else 1]
    imagenet_utils.load_model_weights(model, weights, origin=origin, file_hash=file_hash)
    return model


def preprocess_input(x, data_format=None):
    """Preprocess RGB images (0..255) for InceptionV3: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``).

    Args:
        x: a 3D image or 4D batch, values in ``[0, 255]`` (a NumPy float array changes in place).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the backend's setting).

    Returns:
        The preprocessed images, float.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.applications.inception_v3.preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
