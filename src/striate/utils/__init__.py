"""Utilities: seeding, label encoding, normalization, the progress bar."""
import random as _random

import numpy as _np

from striate import backend
from striate.utils.dataset import PyDataset, Sequence
from striate.utils.file_utils import get_file
from striate.utils.gradient_check import check_gradients
from striate.utils.image_dataset import image_dataset_from_directory
from striate.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from striate.utils.model_visualization import model_to_dot, plot_model
from striate.utils.progbar import Progbar


def set_random_seed(seed):
    """Seed every generator striate uses (its backend generator, NumPy's and Python's).

    With a seed, a CPU run is bit-for-bit repeatable.

    Example:
        >>> striate.utils.set_random_seed(1337)
    """
    if not isinstance(seed, int):
        raise TypeError(f"set_random_seed expects an int seed, received {type(seed).__name__}")
    _random.seed(seed)
    _np.random.seed(seed % 2**32)
    backend.set_seed(seed)


def clear_session(free_memory=True):
    """Start afresh, as ``keras.utils.clear_session``: automatic layer and model names count from the
    start again (the next Dense is ``'dense'``). Random state is left alone: reseed with
    :func:`set_random_seed`.

    Args:
        free_memory: accepted for Keras; NumPy frees arrays when nothing refers to them.

    Example:
        >>> import striate as keras
        >>> keras.utils.clear_session()
        >>> keras.layers.Dense(2).name
        'dense'
    """
    backend.clear_session(free_memory)


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels, as ``keras.utils.to_categorical``.

    A trailing axis of size 1 is replaced by the class axis: shape ``(N,)`` or ``(N, 1)`` gives
    ``(N, num_classes)``.

    Args:
        x: array-like of integer class labels in ``[0, num_classes)``.
        num_classes: number of classes; ``None`` infers ``max(x) + 1``.

    Returns:
        A NumPy array of ``backend.floatx()`` (float32 by default) with the class axis last.

    Example:
        >>> striate.utils.to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    labels = _np.asarray(backend.to_numpy(x))
    if labels.size and not _np.array_equal(labels, _np.round(labels)):
        raise ValueError(f"to_categorical expects integer class labels, received {labels.dtype} "
                         "values with a fractional part")
    labels = labels.astype(_np.int64)
    shape = labels.shape[:-1] if labels.ndim > 1 and labels.shape[-1] == 1 else labels.shape
    flat = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise ValueError(f"to_categorical expects labels in [0, {num_classes}), received values "
                         f"from {flat.min()} to {flat.max()}")
    onehot = _np.zeros((flat.size, num_classes), backend.floatx())
    onehot[_np.arange(flat.size), flat] = 1
    return onehot.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Divide ``x`` by its ``order``-norm along ``axis``, as ``keras.utils.normalize``.

    Slices whose norm is 0 are left unchanged.

    Args:
        x: array-like.
        axis: the axis along which norms are taken.
        order: the norm's order (2 for Euclidean, 1, ``numpy.inf``, ...).

    Returns:
        A normalized NumPy array (float; float32 input stays float32).

    Example:
        >>> striate.utils.normalize([[3.0, 4.0]])
        array([[0.6, 0.8]])
    """
    x = _np.asarray(backend.to_numpy(x))
    norm = _np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / _np.where(norm == 0, 1, norm)
