"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al. 2016, "Identity Mappings in Deep Residual Networks"),
as ``keras.applications.resnet_v2``: pre-activation bottleneck blocks (batch normalization and ReLU
before each convolution) whose shortcuts are left as pure identities, built by :func:`resnet.ResNet`.
"""
from striate.applications import imagenet_utils
from striate.applications.resnet import ResNet, stack_residual_blocks_v2


def _resnet_v2(blocks, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
               name):
    """ResNetV2 with stages of ``blocks`` blocks (64, 128, 256 and 512 wide); the last stage keeps its size."""
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")
    return ResNet(stack_fn, True, True, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name, weights_name=name)


_ARGS_DOC = imagenet_utils.arguments_doc("(scaled to ``[-1, 1]``)")


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    return _resnet_v2((3, 4, 6, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, name)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    return _resnet_v2((3, 4, 23, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, name)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    return _resnet_v2((3, 8, 36, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, name)


ResNet50V2.__doc__ = """ResNet50V2: stages of 3, 4, 6 and 3 pre-activation blocks, 25,613,800 parameters with the
    classifier, as ``keras.applications.ResNet50V2``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> model = keras.applications.ResNet50V2(include_top=False, weights=None, input_shape=(32, 32, 3),
        ...                                       pooling="max")
        >>> model.output_shape
        (None, 2048)
"""
ResNet101V2.__doc__ = """ResNet101V2: stages of 3, 4, 23 and 3 pre-activation blocks, 44,675,560 parameters with
    the classifier, as ``keras.applications.ResNet101V2``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> keras.applications.ResNet101V2(include_top=False, weights=None).output_shape
        (None, None, None, 2048)
"""
ResNet152V2.__doc__ = """ResNet152V2: stages of 3, 8, 36 and 3 pre-activation blocks, 60,380,648 parameters with
    the classifier, as ``keras.applications.ResNet152V2``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> keras.applications.ResNet152V2(include_top=False, weights=None).get_layer("post_relu").output.shape
        (None, None, None, 2048)
"""


def preprocess_input(x, data_format=None):
    """Preprocess RGB images (0..255) for ResNetV2: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``).

    Args:
        x: a 3D image or 4D batch, 3 channels, values in ``[0, 255]`` (a NumPy float array changes in place).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the backend's setting).

    Returns:
        The preprocessed images, float.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.applications.resnet_v2.preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
