"""What the lectures' own architectures share (LeNet5, AlexNet, NiN, GoogLeNet, SEResNet50, the CIFAR
ResNets): Keras has none of them and no published weights exist, so ``weights`` is ``None`` or the path
of a weights file saved by striate; the rest follows Keras applications' rules (``imagenet_utils``).
"""
import os

from striate import backend, layers
from striate.applications import imagenet_utils
from striate.models import Model


def check_weights(weights, architecture):
    """Refuse ``weights="imagenet"`` and paths that do not exist.

    Args:
        weights: ``None`` or the path of a weights file.
        architecture: the model function's name, for the message.

    Raises:
        ValueError: ``weights`` is ``"imagenet"`` (there is no such file for these architectures) or
            neither ``None`` nor an existing path.

    Example:
        >>> from striate.applications.lecture_utils import check_weights
        >>> check_weights(None, "LeNet5")
        >>> check_weights("imagenet", "LeNet5")
        Traceback (most recent call last):
        ...
        ValueError: LeNet5: no pretrained weights file exists for this architecture (weights='imagenet'); ...
    """
    if isinstance(weights, str) and weights == "imagenet":
        raise ValueError(f"{architecture}: no pretrained weights file exists for this architecture "
                         "(weights='imagenet'); use weights=None (random initialization) or the path of a weights "
                         "file saved with model.save_weights")
    if weights is not None and not (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)):
        raise ValueError(f"{architecture}: weights must be None or the path of a weights file that exists, "
                         f"received weights={weights!r}")


def model_input(input_tensor, input_shape, default_size, min_size, include_top):
    """The image input of a model function: ``(image tensor, model inputs)``, with ``input_shape``
    checked as Keras applications check it (``imagenet_utils.obtain_input_shape``).

    Args:
        input_tensor: ``None`` or a symbolic tensor to build on.
        input_shape: the input's shape without the batch axis, or ``None`` (the default: 3 channels of
            ``default_size`` with the classifier, sizes left free without it).
        default_size: the architecture's input height and width.
        min_size: the smallest height and width it accepts.
        include_top: whether the model ends in a classifier that needs a fixed size.

    Returns:
        ``(image tensor, model inputs)``.

    Example:
        >>> from striate.applications.lecture_utils import model_input
        >>> image, inputs = model_input(None, None, 227, 67, include_top=True)
        >>> image.shape
        (None, 227, 227, 3)
    """
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=min_size,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=None)
    return imagenet_utils.image_input(input_tensor, input_shape)


def global_pooling(x, pooling):
    """The features without the classifier: ``x`` as is (``pooling=None``), or its global average
    (``"avg"``) or maximum (``"max"``) over the image.

    Args:
        x: the last feature maps.
        pooling: ``None``, ``"avg"`` or ``"max"``.

    Returns:
        The model's output tensor.

    Raises:
        ValueError: another ``pooling``.

    Example:
        >>> import striate as keras
        >>> from striate.applications.lecture_utils import global_pooling
        >>> global_pooling(keras.Input(shape=(4, 4, 8)), "max").shape
        (None, 8)
    """
    if pooling is None:
        return x
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    raise ValueError(f"pooling must be None, 'avg' or 'max', received pooling={pooling!r}")


def finish_model(inputs, outputs, name, weights):
    """The functional ``Model`` from ``inputs`` to ``outputs``, with ``weights`` (a path) loaded into it.

    Args:
        inputs: the model's inputs.
        outputs: its output tensor, or a list of them.
        name: the model's name.
        weights: ``None`` or the path of a weights file saved by striate.

    Returns:
        The model.

    Example:
        >>> import striate as keras
        >>> from striate.applications.lecture_utils import finish_model
        >>> inputs = keras.Input(shape=(3,))
        >>> finish_model(inputs, keras.layers.Dense(2)(inputs), "tiny", None).name
        'tiny'
    """
    model = Model(inputs, outputs, name=name)
    imagenet_utils.load_model_weights(model, weights)
    return model
