"""What the ImageNet models share, as ``keras.applications.imagenet_utils``: input preprocessing, the
decoding of predictions into class names, the input shape rules, and loading the published weights.

The ImageNet class index (``imagenet_class_index.json``, Keras's file: ``{"0": ["n01440764", "tench"],
...}``) ships with striate, so :func:`decode_predictions` works offline.
"""
import json
import os
import warnings

import numpy as np

from striate import backend

_CLASS_INDEX = None
CLASS_INDEX_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet_class_index.json")

# The ImageNet statistics Keras's modes use, per RGB channel (caffe's are per BGR channel, on 0..255).
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def _check_data_format(data_format):
    if data_format is None:
        return backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"preprocess_input expects data_format 'channels_first' or 'channels_last', received "
                         f"data_format={data_format!r}")
    return data_format


def channel_axis():
    """The channel axis of images in ``backend.image_data_format()``: -1 (channels last) or 1.

    Example:
        >>> from striate.applications.imagenet_utils import channel_axis
        >>> channel_axis()
        -1
    """
    return -1 if backend.image_data_format() == "channels_last" else 1


def _channel_axis(ndim, data_format):
    """The colour axis of an image (``ndim`` 3) or a batch of images (4)."""
    return ndim - 1 if data_format == "channels_last" else 0 if ndim == 3 else 1


def _channel_shape(ndim, data_format):
    """The shape that broadcasts 3 per-channel numbers over an image (``ndim`` 3) or a batch (4)."""
    axis = _channel_axis(ndim, data_format)
    return tuple(3 if i == axis else 1 for i in range(ndim))


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of RGB images (values 0..255) as an ImageNet model expects, as Keras does.

    A NumPy float array is changed in place (and returned), as Keras changes it; an integer array is
    converted to ``floatx()`` first. A striate ``Tensor`` gives a new tensor (gradients flow through).

    Args:
        x: a 3D image or 4D batch of images with 3 colour channels, values in ``[0, 255]``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``:
            ``backend.image_data_format()``.
        mode: ``"caffe"`` (RGB to BGR, then subtract ImageNet's mean pixel, no scaling: VGG, ResNet),
            ``"tf"`` (scale to ``[-1, 1]``: ResNetV2, InceptionV3, Xception, MobileNet) or ``"torch"``
            (scale to ``[0, 1]``, then normalize each channel by ImageNet's mean and standard deviation).

    Returns:
        The preprocessed images, float.

    Raises:
        ValueError: an unknown ``mode`` or ``data_format``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.full((1, 2, 2, 3), 255.0, dtype="float32")
        >>> keras.applications.imagenet_utils.preprocess_input(x, mode="tf")[0, 0, 0]
        array([1., 1., 1.], dtype=float32)
        >>> keras.applications.imagenet_utils.preprocess_input(np.zeros((2, 2, 3)))[0, 0]
        array([-103.939, -116.779, -123.68 ])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input expects mode 'caffe', 'tf' or 'torch', received mode={mode!r}")
    data_format = _check_data_format(data_format)
    from striate.autodiff import Tensor
    if isinstance(x, Tensor):
        return _preprocess_tensor(x, data_format, mode)
    if not isinstance(x, np.ndarray):
        x = np.asarray(backend.to_numpy(x))
    if x.dtype.kind != "f":
        x = x.astype(backend.floatx())
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    shape = _channel_shape(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(_TORCH_MEAN, shape).astype(x.dtype)
        x /= np.reshape(_TORCH_STD, shape).astype(x.dtype)
        return x
    x = np.flip(x, axis=_channel_axis(x.ndim, data_format))  # RGB to BGR, a view (as Keras's)
    x -= np.reshape(_CAFFE_MEAN, shape).astype(x.dtype)
    return x


def _preprocess_tensor(x, data_format, mode):
    from striate import ops
    if mode == "tf":
        return x / 127.5 - 1.0
    shape = _channel_shape(len(x.shape), data_format)
    constant = lambda values: ops.convert_to_tensor(np.reshape(values, shape), dtype=x.dtype)
    if mode == "torch":
        return (x / 255.0 - constant(_TORCH_MEAN)) / constant(_TORCH_STD)
    return ops.flip(x, axis=_channel_axis(len(x.shape), data_format)) - constant(_CAFFE_MEAN)


def class_index():
    """ImageNet's 1000 classes: ``{"0": ["n01440764", "tench"], ...}`` (read once from the package).

    Returns:
        A dict from the class number (a string) to ``[WordNet id, name]``.

    Example:
        >>> import striate as keras
        >>> keras.applications.imagenet_utils.class_index()["999"]
        ['n15075141', 'toilet_tissue']
    """
    global _CLASS_INDEX
    if _CLASS_INDEX is None:
        with open(CLASS_INDEX_FILE, encoding="utf-8") as f:
            _CLASS_INDEX = json.load(f)
    return _CLASS_INDEX


def decode_predictions(preds, top=5):
    """The ``top`` most likely ImageNet classes of each prediction, as Keras decodes them.

    Args:
        preds: a batch of predictions, shape ``(samples, 1000)``.
        top: how many classes to return per sample.

    Returns:
        One list per sample of ``(WordNet id, class name, score)`` tuples, the most likely first.

    Raises:
        ValueError: ``preds`` is not of shape ``(samples, 1000)``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> preds = np.zeros((1, 1000), dtype="float32")
        >>> preds[0, [0, 999]] = 0.25, 0.75
        >>> [(wnid, name, float(score))
        ...  for wnid, name, score in keras.applications.imagenet_utils.decode_predictions(preds, top=2)[0]]
        [('n15075141', 'toilet_tissue', 0.75), ('n01440764', 'tench', 0.25)]
    """
    from striate import ops
    preds = ops.convert_to_numpy(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions expects a batch of predictions of shape (samples, 1000), received "
                         f"shape {preds.shape}")
    names = class_index()
    best = np.argsort(preds, axis=1)[:, ::-1][:, :top]
    results = []
    for pred, indices in zip(preds, best):
        result = [tuple(names[str(i)]) + (pred[i],) for i in indices]
        result.sort(key=lambda entry: entry[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """A model's input shape: the default, or ``input_shape`` checked against the model's rules (Keras's
    ``imagenet_utils.obtain_input_shape``).

    Args:
        input_shape: ``None`` (the default shape) or a shape of 3 entries, without the batch axis.
        default_size: the model's default height and width.
        min_size: the smallest height and width the model accepts.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        require_flatten: whether the model ends in a classifier that needs a fixed size (``include_top``).
        weights: ``None``, ``"imagenet"`` (3 channels, and the default size with ``require_flatten``) or a path.

    Returns:
        The input shape, a tuple (``None`` for sizes left free).

    Raises:
        ValueError: the shape breaks one of the rules.

    Example:
        >>> from striate.applications.imagenet_utils import obtain_input_shape
        >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
        (None, None, 3)
        >>> obtain_input_shape((64, 64, 3), 224, 32, "channels_last", require_flatten=False, weights="imagenet")
        (64, 64, 3)
    """
    first = data_format == "channels_first"
    if input_shape is not None:
        input_shape = tuple(input_shape)
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels, received input_shape={input_shape} "
                          f"with {channels} channels", stacklevel=2)
    else:
        channels = 3
    default_shape = (channels, default_size, default_size) if first else (default_size, default_size, channels)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(f"With include_top=True and weights='imagenet', input_shape must be {default_shape}, "
                             f"received input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be a tuple of three integers, received input_shape={input_shape}")
        channels, sizes = (input_shape[0], input_shape[1:]) if first else (input_shape[-1], input_shape[:2])
        if weights == "imagenet" and channels != 3:
            raise ValueError(f"With weights='imagenet' the input must have 3 channels, received "
                             f"input_shape={input_shape}")
        if any(s is not None and s < min_size for s in sizes):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}, received input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"With include_top=True the input_shape must be fully known, received "
                         f"input_shape={input_shape}")
    return input_shape


def validate_weights(weights, include_top, classes):
    """Check a model function's ``weights`` and ``classes`` arguments, as Keras's applications do.

    Args:
        weights: ``None``, ``"imagenet"`` or the path of a weights file that exists.
        include_top: whether the model has its classifier.
        classes: the classifier's number of classes (1000 for ImageNet's weights).

    Raises:
        ValueError: ``weights`` is none of these, or ImageNet's classifier is asked for another number of
            classes.

    Example:
        >>> from striate.applications.imagenet_utils import validate_weights
        >>> validate_weights("imagenet", include_top=False, classes=10)
        >>> validate_weights("imagenet", include_top=True, classes=10)
        Traceback (most recent call last):
        ...
        ValueError: With weights='imagenet' and include_top=True, classes must be 1000 (ImageNet's), received classes=10
    """
    if not (weights is None or weights == "imagenet" or
            (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError(f"The weights argument should be None (random initialization), 'imagenet' (pre-training "
                         f"on ImageNet) or the path to a weights file that exists, received weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"With weights='imagenet' and include_top=True, classes must be 1000 (ImageNet's), "
                         f"received classes={classes}")


def validate_activation(classifier_activation, weights):
    """Pretrained classifiers accept only ``None`` (logits) or ``"softmax"`` as their activation (Keras's rule).

    Args:
        classifier_activation: the classifier's activation (a name or a callable).
        weights: the weights argument; with ``None`` any activation goes.

    Raises:
        ValueError: another activation with pretrained weights.

    Example:
        >>> from striate.applications.imagenet_utils import validate_activation
        >>> validate_activation("softmax", "imagenet")
        >>> validate_activation("sigmoid", None)
    """
    if weights is None:
        return
    from striate import activations
    function = activations.get(classifier_activation)
    if function not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(f"With pretrained weights the classifier_activation must be None or 'softmax', received "
                         f"classifier_activation={classifier_activation!r}")


def image_input(input_tensor, input_shape):
    """The image input of a model function and the model's inputs: a new ``Input`` of ``input_shape``,
    or ``input_tensor`` (a symbolic tensor) with the ``Input`` tensors it comes from.

    Args:
        input_tensor: ``None``, or a symbolic tensor (``keras.Input(...)`` or a layer's output) to build on.
        input_shape: the shape of a new input, without the batch axis.

    Returns:
        ``(image tensor, model inputs)``.

    Example:
        >>> import striate as keras
        >>> from striate.applications.imagenet_utils import image_input
        >>> inputs = keras.Input(shape=(32, 32, 3))
        >>> image, model_inputs = image_input(keras.layers.Rescaling(1 / 255)(inputs), None)
        >>> model_inputs is inputs
        True
    """
    from striate.layers import Input, KerasTensor
    if input_tensor is None:
        image = Input(shape=input_shape)
        return image, image
    if not isinstance(input_tensor, KerasTensor):
        raise TypeError(f"input_tensor must be a symbolic tensor (keras.Input(...) or a layer's output), received "
                        f"{type(input_tensor).__name__}")
    sources, seen, stack = [], set(), [input_tensor]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if tensor.node is None or not tensor.node.inputs:
            sources.append(tensor)
        else:
            stack.extend(reversed(tensor.node.inputs))
    return input_tensor, sources[0] if len(sources) == 1 else sources


def load_model_weights(model, weights, *, fname=None, origin=None, file_hash=None):
    """Load a model function's ``weights``: ImageNet's published file (through the cache), or a file.

    Args:
        model: the model just built.
        weights: ``None`` (keep the random initialization), ``"imagenet"`` (``fname`` from ``origin`` through
            ``utils.get_file`` into ``~/.striate/models``, then loaded), or the path of a weights file.
        fname: the file's name in the cache; ``None``: the last part of ``origin``.
        origin: the URL of ImageNet's weights.
        file_hash: its md5 or sha256 hash, checked after downloading and before using a cached copy.

    Raises:
        FileNotFoundError: the file is not in the cache and cannot be downloaded; the message names the URL
            and where to put the file by hand.

    Example:
        >>> import striate as keras
        >>> from striate.applications.imagenet_utils import load_model_weights
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> model.save_weights("dense.h5")
        >>> load_model_weights(model, "dense.h5", origin="https://example.org/imagenet.h5")
    """
    if weights is None:
        return
    if weights == "imagenet":
        from striate.utils import get_file
        weights = get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    model.load_weights(weights)


def arguments_doc(preprocessing, top="the classifier (global average pooling and a dense layer; then\n"
                                       "            the input is 224x224)", last="stage"):
    """The part of a 224x224 ImageNet model's docstring that tells its inputs and its arguments, with
    ``preprocessing`` saying what its ``preprocess_input`` does, ``top`` what ``include_top`` adds and
    ``last`` what its last part is called (the ResNets of v1 and v2 and the VGGs share it)."""
    return f"""
    Its inputs are images preprocessed by :func:`preprocess_input` {preprocessing}.

    Args:
        include_top: whether to include {top}.
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights, downloaded
            once into ``~/.striate/models``) or the path of a weights file.
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the image input.
        input_shape: the input's shape without the batch axis when ``include_top`` is False (3 channels,
            at least 32x32); default ``(224, 224, 3)`` with the top, ``(None, None, 3)`` without.
        pooling: without the top: ``None`` (the last {last}'s 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes of the classifier (1000 with ImageNet's weights).
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional ``Model``.
"""
