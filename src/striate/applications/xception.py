"""Xception (Chollet 2017, "Xception: Deep Learning with Depthwise Separable Convolutions"), as
``keras.applications.xception``.

Inception taken to its extreme: every convolution after the stem is a depthwise separable one (a 3x3
filter per channel, then a 1x1 mixing the channels), in residual blocks: an entry flow that halves the
grid three times (strided 1x1 convolutions on the shortcuts), a middle flow of eight identity-shortcut
blocks at 728 channels, and an exit flow. Layer names, order and weights are Keras's, so Keras's
published ImageNet weights load as they are.
"""
from striate import backend, layers
from striate.applications import imagenet_utils
from striate.applications.inception_v3 import classifier_or_pooling
from striate.models import Model

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "xception/xception_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5")
# (URL, md5) of the published files, with the classifier and without.
WEIGHT_FILES = ((WEIGHTS_PATH, "0a58e3b7378bc2990ea3b43d5981f1f6"),
                (WEIGHTS_PATH_NO_TOP, "b0042744bf5b25fce3cb969f33bebb97"))


def _sepconv_bn(x, filters, name, relu_name=None):
    """An optional ReLU named ``relu_name``, a 3x3 separable convolution ``name`` and its batch normalization."""
    if relu_name is not None:
        x = layers.Activation("relu", name=relu_name)(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=imagenet_utils.channel_axis(), name=f"{name}_bn")(x)


def _downsampling_block(x, filters, block, first_relu=True):
    """Two separable convolutions (``filters``: their two widths) and a strided 3x3 max pooling, added to a
    strided 1x1 convolution of the block's input (the shortcut)."""
    residual = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization(axis=imagenet_utils.channel_axis())(residual)
    # Block 2 starts right after the stem's ReLU; its first ReLU is named after the second convolution.
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1", f"block{block}_sepconv1_act" if first_relu else None)
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2", f"block{block}_sepconv2_act")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    """Xception: 36 convolutions (34 of them depthwise separable) in 14 blocks, then the classifier;
    22,910,480 parameters with it, as ``keras.applications.Xception``.

    Its inputs are images preprocessed by :func:`preprocess_input` (scaled to ``[-1, 1]``).

    Args:
        include_top: whether to include the classifier (global average pooling and a dense layer; then
            the input is 299x299).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights, downloaded
            once into ``~/.striate/models``) or the path of a weights file.
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the image input.
        input_shape: the input's shape without the batch axis when ``include_top`` is False (3 channels,
            at least 71x71); default ``(299, 299, 3)`` with the top, ``(None, None, 3)`` without.
        pooling: without the top: ``None`` (the last block's 4D output), ``"avg"`` or ``"max"`` (global
            pooling to a vector).
        classes: the number of classes of the classifier (1000 with ImageNet's weights).
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.Xception(include_top=False, weights=None, input_shape=(71, 71, 3),
        ...                                     pooling="max")
        >>> model.output_shape, model.count_params()
        ((None, 2048), 20861480)
    """
    imagenet_utils.validate_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    x, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _downsampling_block(x, (128, 128), 2, first_relu=False)
    x = _downsampling_block(x, (256, 256), 3)
    x = _downsampling_block(x, (728, 728), 4)
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            prefix = f"block{block}_sepconv{conv}"
            x = _sepconv_bn(x, 728, prefix, f"{prefix}_act")
        x = layers.add([x, residual])
    x = _downsampling_block(x, (728, 1024), 13)
    for conv, filters in ((1, 1536), (2, 2048)):
        x = _sepconv_bn(x, filters, f"block14_sepconv{conv}")
        x = layers.Activation("relu", name=f"block14_sepconv{conv}_act")(x)
    x = classifier_or_pooling(x, include_top, weights, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    origin, file_hash = WEIGHT_FILES[0 if include_top else 1]
    imagenet_utils.load_model_weights(model, weights, origin=origin, file_hash=file_hash)
    return model


def preprocess_input(x, data_format=None):
    """Preprocess RGB images (0..255) for Xception: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``).

    Args:
        x: a 3D image or 4D batch, values in ``[0, 255]`` (a NumPy float array changes in place).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the backend's setting).

    Returns:
        The preprocessed images, float.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.applications.xception.preprocess_input(np.array([[[0.0, 63.75, 255.0]]]))
        array([[[-1. , -0.5,  1. ]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
