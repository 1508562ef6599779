"""VGG16 (Simonyan and Zisserman 2015, configuration D), as ``keras.applications.vgg16``, and the VGG
builder VGG19 shares.

VGG is the lectures' case for depth from small filters: stacks of 3x3 convolutions ("same" padding,
ReLU) in five blocks, each closed by 2x2 max pooling, then three fully connected layers. Layer names,
order and weights are Keras's, so Keras's published ImageNet weights load as they are.
"""
from striate import backend, layers
from striate.applications import imagenet_utils
from striate.models import Model

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
# (URL, md5) of the published files, with the classifier and without.
WEIGHT_FILES = ((WEIGHTS_PATH, "64373286793e3c8b2b4e3219cbf3544b"),
                (WEIGHTS_PATH_NO_TOP, "6d6bbae143d832006294945121d1f1fc"))

_BLOCK_FILTERS = (64, 128, 256, 512, 512)


def build_vgg(convs_per_block, weight_files, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    """A VGG network: five blocks of ``convs_per_block[i]`` 3x3 convolutions and a 2x2 max pooling, then
    the classifier (``include_top``) or an optional global pooling; the model functions' arguments
    otherwise (see :func:`VGG16`).

    Args:
        convs_per_block: the number of convolutions in each of the five blocks ((2, 2, 3, 3, 3) for VGG16).
        weight_files: ``((URL, md5), (URL, md5))`` of ImageNet's weights with the classifier and without.

    Returns:
        The model.

    Example:
        >>> from striate.applications.vgg16 import build_vgg
        >>> model = build_vgg((1, 1, 1, 1, 1), weight_files=None, include_top=False, weights=None,
        ...                   input_tensor=None, input_shape=(32, 32, 3), pooling="max", classes=1000,
        ...                   classifier_activation="softmax", name="vgg_tiny")
        >>> model.output_shape
        (None, 512)
    """
    imagenet_utils.validate_weights(weights, include_top, classes)
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    x, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    for block, (filters, convs) in enumerate(zip(_BLOCK_FILTERS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = Model(inputs, x, name=name)
    if weights is not None:
        origin, file_hash = weight_files[0 if include_top else 1]
        imagenet_utils.load_model_weights(model, weights, origin=origin, file_hash=file_hash)
    return model


_ARGS_DOC = imagenet_utils.arguments_doc("(BGR, ImageNet's mean pixel subtracted)",
                                          top="the three fully connected layers (then the input is 224x224)",
                                          last="block")


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    return build_vgg((2, 2, 3, 3, 3), WEIGHT_FILES, include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


VGG16.__doc__ = """VGG16: 13 convolutions in five blocks (2, 2, 3, 3, 3) and three dense layers, 138,357,544
    parameters with the classifier, as ``keras.applications.VGG16``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3),
        ...                                  pooling="avg")
        >>> model.output_shape, model.count_params()
        ((None, 512), 14714688)
"""


def preprocess_input(x, data_format=None):
    """Preprocess RGB images (0..255) for VGG: RGB to BGR, then ImageNet's mean pixel subtracted
    (``imagenet_utils.preprocess_input`` with ``mode="caffe"``).

    Args:
        x: a 3D image or 4D batch, 3 channels, values in ``[0, 255]`` (a NumPy float array changes in place).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the backend's setting).

    Returns:
        The preprocessed images, float.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.applications.vgg16.preprocess_input(np.array([[[255.0, 0.0, 0.0]]]))
        array([[[-103.939, -116.779,  131.32 ]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
