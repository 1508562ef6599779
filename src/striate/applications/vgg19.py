"""VGG19 (Simonyan and Zisserman 2015, configuration E), as ``keras.applications.vgg19``: VGG16 with a
fourth convolution in blocks 3, 4 and 5."""
from striate.applications import imagenet_utils
from striate.applications.vgg16 import _ARGS_DOC, build_vgg, preprocess_input  # noqa: F401  the same preprocessing

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
# (URL, md5) of the published files, with the classifier and without.
WEIGHT_FILES = ((WEIGHTS_PATH, "cbe5617147190e668d6c5d5026f83318"),
                (WEIGHTS_PATH_NO_TOP, "253f8cb515780f3b799900260a226db6"))


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    return build_vgg((2, 2, 4, 4, 4), WEIGHT_FILES, include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


VGG19.__doc__ = """VGG19: 16 convolutions in five blocks (2, 2, 4, 4, 4) and three dense layers, 143,667,240
    parameters with the classifier, as ``keras.applications.VGG19``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> model = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
        >>> model.output_shape, len(model.layers)
        ((None, 1, 1, 512), 22)
"""


decode_predictions = imagenet_utils.decode_predictions
