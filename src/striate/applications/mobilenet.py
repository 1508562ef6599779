"""MobileNet (Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications"), as ``keras.applications.mobilenet``.

A 3x3 convolution, then thirteen depthwise separable blocks (a 3x3 depthwise convolution and a 1x1
pointwise one, each with batch normalization and ReLU6), about eight times cheaper than full
convolutions. The width multiplier ``alpha`` thins every layer; the depth multiplier gives each
channel several depthwise filters. Layer names, order and weights are Keras's, so Keras's published
ImageNet weights load as they are.
"""
import warnings

from striate import backend, layers
from striate.applications import imagenet_utils
from striate.models import Model

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
# The file names' spelling of the widths that have published ImageNet weights.
_ALPHA_TEXT = {0.25: "2_5", 0.5: "5_0", 0.75: "7_5", 1.0: "1_0"}
_IMAGENET_SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of the thirteen depthwise separable blocks.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1))


def _conv_block(x, filters, alpha, strides):
    """The first layer: a 3x3 convolution of ``int(filters * alpha)`` filters, batch normalization, ReLU6."""
    x = layers.Conv2D(int(filters * alpha), (3, 3), padding="same", use_bias=False, strides=strides, name="conv1")(x)
    x = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(x, pointwise_filters, alpha, depth_multiplier, strides, block_id):
    """A 3x3 depthwise convolution (strided ones pad the bottom and right by one, then use 'valid'), then a
    1x1 convolution of ``int(pointwise_filters * alpha)`` filters, each with batch normalization and ReLU6."""
    axis = imagenet_utils.channel_axis()
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides, use_bias=False,
                               name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """MobileNet: a convolution and thirteen depthwise separable blocks, then the classifier (global average
    pooling, dropout, a 1x1 convolution); 4,253,864 parameters with it at ``alpha=1``, as
    ``keras.applications.MobileNet`` (note its argument order: ``input_shape`` first).

    Its inputs are images preprocessed by :func:`preprocess_input` (scaled to ``[-1, 1]``).

    Args:
        input_shape: the input's shape without the batch axis when ``include_top`` is False (3 channels,
            at least 32x32); default ``(224, 224, 3)`` with the top, ``(None, None, 3)`` without.
        alpha: the width multiplier: every layer has ``int(filters * alpha)`` filters (ImageNet's weights
            exist for 0.25, 0.5, 0.75 and 1.0).
        depth_multiplier: the depthwise filters per channel (1 with ImageNet's weights).
        dropout: the dropout rate before the classifier.
        include_top: whether to include the classifier.
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights for the input
            size, 128, 160, 192 or 224, else 224's, downloaded once into ``~/.striate/models``) or the path of
            a weights file.
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the image input.
        pooling: without the top: ``None`` (the last block's 4D output), ``"avg"`` or ``"max"`` (global
            pooling to a vector).
        classes: the number of classes of the classifier (1000 with ImageNet's weights).
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name; default ``mobilenet_{alpha:0.2f}_{rows}``.

    Returns:
        A functional ``Model``.

    Raises:
        ValueError: with ``weights="imagenet"``, a ``depth_multiplier`` other than 1 or an ``alpha`` without
            published weights.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, include_top=False,
        ...                                      weights=None, pooling="avg")
        >>> model.name, model.output_shape, model.count_params()
        ('mobilenet_0.25_32', (None, 256), 218544)
    """
    imagenet_utils.validate_weights(weights, include_top, classes)
    data_format = backend.image_data_format()
    default_size = 224
    if input_shape is not None:
        rows, cols = input_shape[1:3] if data_format == "channels_first" else input_shape[:2]
        if rows == cols and rows in _IMAGENET_SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=data_format, require_flatten=include_top,
                                                    weights=weights)
    rows, cols = input_shape[1:3] if data_format == "channels_first" else input_shape[:2]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(f"MobileNet: with weights='imagenet' depth_multiplier must be 1, received "
                             f"depth_multiplier={depth_multiplier}")
        if alpha not in _ALPHA_TEXT:
            raise ValueError(f"MobileNet: with weights='imagenet' alpha must be 0.25, 0.5, 0.75 or 1.0, received "
                             f"alpha={alpha}")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("MobileNet: input_shape is undefined or not square, or its size is not 128, 160, 192 or "
                          "224; the ImageNet weights for 224x224 inputs are loaded", stacklevel=2)
    x, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    x = _conv_block(x, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, (stride, stride), block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = Model(inputs, x, name=f"mobilenet_{alpha:0.2f}_{rows}" if name is None else name)
    if weights == "imagenet":
        fname = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{'' if include_top else '_no_top'}.h5"
        imagenet_utils.load_model_weights(model, weights, fname=fname, origin=BASE_WEIGHT_PATH + fname)
    else:
        imagenet_utils.load_model_weights(model, weights)
    return model


def preprocess_input(x, data_format=None):
    """Preprocess RGB images (0..255) for MobileNet: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``).

    Args:
        x: a 3D image or 4D batch, values in ``[0, 255]`` (a NumPy float array changes in place).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the backend's setting).

    Returns:
        The preprocessed images, float.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.applications.mobilenet.preprocess_input(np.array([[[0.0, 255.0, 255.0]]]))
        array([[[-1.,  1.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
