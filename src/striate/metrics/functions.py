"""Per-sample metric functions (Keras 3 semantics) on raw arrays: the accuracies, 1.0 where right, 0.0 where wrong."""
from striate import backend
from striate.losses import FUNCTIONS as LOSS_FUNCTIONS
from striate.losses.loss import squeeze_or_expand_to_same_rank
from striate.ops._base import data


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly.

    Example:
        >>> accuracy([1, 2, 3], [1, 2, 4])
        array([1., 1., 0.], dtype=float32)
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true), data(y_pred))
    return (y_true == y_pred).astype(backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the 0/1 label, per output.

    Args:
        y_true: 0/1 labels.
        y_pred: probabilities, the shape of ``y_true`` (a trailing axis of 1 is matched up).
        threshold: the probability above which a prediction counts as 1.

    Returns:
        A float array of the labels' shape.

    Example:
        >>> binary_accuracy([[1], [0]], [[0.7], [0.6]])
        array([[1.],
               [0.]], dtype=float32)
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true), data(y_pred))
    return (y_true == (y_pred > threshold).astype(y_true.dtype)).astype(backend.floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where the largest prediction is at the one-hot label's class.

    Example:
        >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        array([0., 1.], dtype=float32)
    """
    xp = backend.xp()
    return (xp.argmax(data(y_true), axis=-1) == xp.argmax(data(y_pred), axis=-1)).astype(backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the largest prediction is at the integer label's class.

    Args:
        y_true: integer labels, shape ``(N,)`` or ``(N, 1)``.
        y_pred: class scores, shape ``(N, C)``.

    Example:
        >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        array([0., 1.], dtype=float32)
    """
    y_true, y_pred = _labels_and_scores(y_true, y_pred)
    return (y_true == backend.xp().argmax(y_pred, axis=-1)).astype(backend.floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label's score is among the ``k`` largest (ties count as in, as Keras).

    Example:
        >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
        array([0., 1.], dtype=float32)
    """
    xp = backend.xp()
    y_true, y_pred = _labels_and_scores(y_true, y_pred)
    classes = y_pred.shape[-1]
    kth_largest = xp.partition(y_pred, classes - min(k, classes), axis=-1)[..., classes - min(k, classes)]
    at_label = xp.take_along_axis(y_pred, y_true.astype("int64")[..., None], axis=-1)[..., 0]
    return (at_label >= kth_largest).astype(backend.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` largest predictions.

    Example:
        >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=2)
        array([1., 1.], dtype=float32)
    """
    return sparse_top_k_categorical_accuracy(backend.xp().argmax(data(y_true), axis=-1), y_pred, k)


def _labels_and_scores(y_true, y_pred):
    y_true, y_pred = data(y_true), data(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true, y_pred


FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                     top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}
def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine similarity of targets and predictions along ``axis`` (the loss's opposite: 1 is best).

    Example:
        >>> import striate as keras
        >>> keras.metrics.cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])
        array([0., 1.], dtype=float32)
    """
    return -data(LOSS_FUNCTIONS["cosine_similarity"](y_true, y_pred, axis=axis))


FUNCTIONS.update(LOSS_FUNCTIONS)
FUNCTIONS["cosine_similarity"] = cosine_similarity
