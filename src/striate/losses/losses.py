"""The built-in losses: per-sample functions and the Loss classes that wrap them (Keras 3 semantics).

The functions return one value per sample (the mean over the last axis where Keras takes it) as
Tensors differentiable with respect to ``y_pred``; ``y_true`` is read as data. The cross-entropies
go straight to the fused ops of ``striate.ops``.
"""
import math

from striate import backend, ops
from striate.losses.loss import Loss, as_tensor, squeeze_or_expand_to_same_rank
from striate.utils.wrapping import FunctionWrapper
from striate.ops._base import data
from striate.ops.nn import EPSILON


def mean_squared_error(y_true, y_pred):
    """Mean of squared errors over the last axis.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions of the same shape (a trailing axis of 1 on either side is matched up).

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> mean_squared_error([[1.0, 0.0]], [[0.5, 0.5]])
        Tensor(array([0.25], dtype=float32))
    """
    y_true, y_pred = _regression_pair("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean of absolute errors over the last axis.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions of the same shape.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> mean_absolute_error([[1.0, 0.0]], [[0.5, 0.5]])
        Tensor(array([0.5], dtype=float32))
    """
    y_true, y_pred = _regression_pair("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Mean of ``100 * |y_true - y_pred| / max(|y_true|, 1e-7)`` over the last axis.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions of the same shape.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> import striate as keras
        >>> keras.losses.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]])
        Tensor(array([37.5], dtype=float32))
    """
    y_true, y_pred = _regression_pair("mean_absolute_percentage_error", y_true, y_pred)
    scale = backend.xp().maximum(backend.xp().abs(y_true), EPSILON)
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true))^2`` over the last axis (values below 1e-7 count as 1e-7).

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions of the same shape.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> import striate as keras
        >>> keras.losses.mean_squared_logarithmic_error([[0.0, 1.0]], [[0.0, 1.0]])
        Tensor(array([0.], dtype=float32))
    """
    y_true, y_pred = _regression_pair("mean_squared_logarithmic_error", y_true, y_pred)
    xp = backend.xp()
    return ops.mean(ops.square(ops.log(ops.maximum(y_pred, EPSILON) + 1.0) - xp.log(xp.maximum(y_true, EPSILON) + 1.0)),
                    axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Minus the cosine similarity of targets and predictions along ``axis`` (-1: same direction).

    Args:
        y_true: targets.
        y_pred: predictions of the same shape.
        axis: the axis holding the vectors.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``; 0 where either vector is zero.

    Example:
        >>> import striate as keras
        >>> keras.losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])
        Tensor(array([-0., -1.], dtype=float32))
    """
    y_true, y_pred = _regression_pair("cosine_similarity", y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``e^2 / 2`` where ``|e| <= delta``, else ``delta * |e| - delta^2 / 2``, averaged over the last axis.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions of the same shape.
        delta: where the loss turns from quadratic to linear.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> import striate as keras
        >>> keras.losses.huber([[0.0, 0.0]], [[0.5, 3.0]])
        Tensor(array([1.3125], dtype=float32))
    """
    y_true, y_pred = _regression_pair("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    return ops.mean(ops.where(abs_error <= delta, 0.5 * ops.square(error), delta * abs_error - 0.5 * delta ** 2),
                    axis=-1)


def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis: like MSE for small errors, MAE for large ones.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions of the same shape.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> import striate as keras
        >>> keras.losses.log_cosh([[0.0, 1.0]], [[0.0, 1.0]])
        Tensor(array([0.], dtype=float32))
    """
    y_true, y_pred = _regression_pair("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    # NOTE: log(cosh(x)) = x + log(1 + exp(-2x)) - log(2), which overflows for no x
    return ops.mean(x + ops.softplus(x * -2.0) - math.log(2.0), axis=-1)


def hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the last axis; labels of 0/1 are read as -1/1.

    Args:
        y_true: labels, -1 or 1 (or 0 or 1), the shape of ``y_pred``.
        y_pred: scores.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> import striate as keras
        >>> keras.losses.hinge([[0.0, 1.0]], [[0.5, 0.5]])
        Tensor(array([1.], dtype=float32))
    """
    y_true, y_pred = _regression_pair("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0)^2`` over the last axis; labels of 0/1 are read as -1/1.

    Example:
        >>> import striate as keras
        >>> keras.losses.squared_hinge([[0.0, 1.0]], [[0.5, 0.5]])
        Tensor(array([1.25], dtype=float32))
    """
    y_true, y_pred = _regression_pair("squared_hinge", y_true, y_pred)
    return ops.mean(ops.square(ops.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(1 + max_wrong - right, 0)``: the best wrong class's score against the labelled class's.

    Args:
        y_true: one-hot labels, the shape of ``y_pred``.
        y_pred: class scores.

    Returns:
        A Tensor of ``y_pred``'s shape without the last axis.

    Example:
        >>> import striate as keras
        >>> keras.losses.categorical_hinge([[0.0, 1.0, 0.0]], [[0.2, 0.9, 0.5]])
        Tensor(array([0.6], dtype=float32))
    """
    y_true, y_pred = _regression_pair("categorical_hinge", y_true, y_pred)
    right = ops.sum(y_true * y_pred, axis=-1)
    wrong = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(wrong - right + 1.0, 0.0)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))`` over the last axis, both clipped to [1e-7, 1].

    Args:
        y_true: target distributions.
        y_pred: predicted distributions of the same shape.

    Returns:
        A Tensor of shape ``(N, ...)``.

    Example:
        >>> import striate as keras
        >>> keras.losses.kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])
        Tensor(array([0.], dtype=float32))
    """
    y_true, y_pred = _regression_pair("kl_divergence", y_true, y_pred)
    y_true = backend.xp().clip(y_true, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / ops.clip(y_pred, EPSILON, 1.0)), axis=-1)


def poisson(y_true, y_pred):
    """Mean of ``y_pred - y_true * log(y_pred + 1e-7)`` over the last axis (counts against predicted rates).

    Example:
        >>> import striate as keras
        >>> keras.losses.poisson([[0.0, 2.0]], [[1.0, 1.0]])
        Tensor(array([1.], dtype=float32))
    """
    y_true, y_pred = _regression_pair("poisson", y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`` over ``axis`` (segmentation masks).

    Args:
        y_true: target masks in [0, 1].
        y_pred: predicted masks of the same shape.
        axis: the axes summed over; ``None`` (all) gives one value for the whole batch, ``(1, 2, 3)``
            one per image of an ``(N, H, W, C)`` batch.

    Returns:
        A Tensor: a scalar, or one value per sample.

    Example:
        >>> import striate as keras
        >>> keras.losses.dice([[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0, 0.0]], axis=1)
        Tensor(array([0.3333], dtype=float32))
    """
    y_true, y_pred = _regression_pair("dice", y_true, y_pred)
    overlap = ops.sum(y_true * y_pred, axis=axis)
    return 1.0 - 2.0 * overlap / (y_true.sum(axis=axis) + ops.sum(y_pred, axis=axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha FP + beta FN)`` over ``axis``; alpha = beta = 0.5 is the Dice loss.

    With Keras's naming: ``TP = sum(y_true * y_pred)``, ``FP = sum(y_true * (1 - y_pred))`` and
    ``FN = sum((1 - y_true) * y_pred)``.

    Args:
        y_true: target masks in [0, 1].
        y_pred: predicted masks of the same shape.
        alpha, beta: the weights of the two kinds of error.
        axis: see :func:`dice`.

    Returns:
        A Tensor: a scalar, or one value per sample.

    Example:
        >>> import striate as keras
        >>> keras.losses.tversky([[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0, 0.0]], alpha=0.7, beta=0.3, axis=1)
        Tensor(array([0.4118], dtype=float32))
    """
    y_true, y_pred = _regression_pair("tversky", y_true, y_pred)
    overlap = ops.sum(y_true * y_pred, axis=axis)
    missed = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    extra = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - overlap / (overlap + missed * alpha + extra * beta + EPSILON)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    Args:
        y_true: labels in [0, 1], the shape of ``y_pred``.
        y_pred: probabilities, or logits when ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: squeeze the labels towards 0.5: ``t (1 - s) + s / 2``.
        axis: the axis to average over.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Example:
        >>> binary_crossentropy([[0.0, 1.0]], [[0.4, 0.6]])
        Tensor(array([0.5108], dtype=float32))
    """
    y_pred = as_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true), y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"binary_crossentropy expects y_true and y_pred of the same shape, received "
                         f"y_true of shape {y_true.shape} and y_pred of shape {y_pred.shape}")
    if y_true.size:  # labels out of range give a loss that looks fine and trains towards nonsense
        low, high = float(y_true.min()), float(y_true.max())
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"binary_crossentropy expects labels y_true in [0, 1], received labels from {low} to "
                             f"{high}; for classes other than 0 and 1 use sparse_categorical_crossentropy")
    y_true = y_true.astype(y_pred.dtype, copy=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1, *,
                             through_softmax=False):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    Args:
        y_true: one-hot labels, the shape of ``y_pred``.
        y_pred: class probabilities (normalized and clipped as Keras does), or logits when
            ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: mix the labels with the uniform distribution: ``t (1 - s) + s / C``.
        axis: the class axis.
        through_softmax: ``y_pred`` comes from a softmax: differentiate straight to its logits (see
            ``striate.ops.categorical_crossentropy``; set up by :func:`striate.losses.resolve_loss`).

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Example:
        >>> categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.05, 0.95, 0.0]])
        Tensor(array([0.0513], dtype=float32))
    """
    y_pred = as_tensor(y_pred)
    y_true = data(y_true)
    if y_true.shape != y_pred.shape:
        classes = y_pred.shape[axis] if y_pred.ndim else 0
        if classes > 1 and y_true.shape in _label_shapes(y_pred.shape, axis):
            raise ValueError(
                f"categorical_crossentropy expects one-hot labels of y_pred's shape {y_pred.shape}, received "
                f"y_true of shape {y_true.shape}, which holds integer class labels; use "
                "sparse_categorical_crossentropy for integer labels, or one-hot encode them with "
                f"striate.utils.to_categorical(y, {classes})")
        raise ValueError(f"categorical_crossentropy expects y_true of y_pred's shape, received y_true of "
                         f"shape {y_true.shape} for y_pred {y_pred.shape}")
    y_true = y_true.astype(y_pred.dtype, copy=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis,
                                        through_softmax=through_softmax)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1, *,
                                    through_softmax=False):
    """Cross-entropy between integer class labels and predicted class probabilities.

    Args:
        y_true: integer class labels in ``[0, C)``, of shape ``(N,)`` or ``(N, 1)`` for
            ``y_pred`` of shape ``(N, C)`` (in general: ``y_pred``'s shape without ``axis``).
        y_pred: class probabilities, or logits when ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose samples get loss 0 (e.g. a "void" class such as 255 or -1).
        axis: the class axis.
        through_softmax: see :func:`categorical_crossentropy`.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Example:
        >>> sparse_categorical_crossentropy([1], [[0.05, 0.95, 0.0]])
        Tensor(array([0.0513], dtype=float32))
    """
    y_pred = as_tensor(y_pred)
    labels = data(y_true)
    shapes = _label_shapes(y_pred.shape, axis) if y_pred.ndim else ()
    if labels.shape not in shapes:
        expected = " or ".join(_symbolic(s, axis % max(y_pred.ndim, 1)) for s in shapes) or "(N,)"
        hint = "; use categorical_crossentropy for one-hot labels" if labels.shape == y_pred.shape else ""
        raise ValueError(f"sparse_categorical_crossentropy expects integer class labels of shape {expected}, "
                         f"received y_true of shape {labels.shape} for y_pred {y_pred.shape}{hint}")
    labels = labels.reshape(shapes[0])
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis,
                                                   through_softmax=through_softmax)
    keep = labels != ignore_class
    values = ops.sparse_categorical_crossentropy(backend.xp().where(keep, labels, 0), y_pred,
                                                 from_logits=from_logits, axis=axis, through_softmax=through_softmax)
    return values * keep.astype(y_pred.dtype)


def _regression_pair(name, y_true, y_pred):
    """``y_true`` as data of ``y_pred``'s dtype and ``y_pred`` as a Tensor, ranks matched up."""
    y_pred = as_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true).astype(y_pred.dtype, copy=False), y_pred)
    if len(y_true.shape) > y_pred.ndim or any(a != b and 1 not in (a, b) for a, b in
                                              zip(y_true.shape[::-1], y_pred.shape[::-1])):
        raise ValueError(f"{name} expects y_true and y_pred of the same shape, received y_true of shape "
                         f"{y_true.shape} and y_pred of shape {y_pred.shape}")
    return y_true, y_pred


def _l2_normalize(x, axis=-1):
    """``x / max(||x||, 1e-7)`` along ``axis`` (Keras's ``normalize``), for Tensors and arrays."""
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), EPSILON ** 2))


def _signed_labels(y_true):
    """Hinge labels: 0/1 labels become -1/1 (as Keras converts them), -1/1 ones stay."""
    if bool(((y_true == 0) | (y_true == 1)).all()):
        return 2.0 * y_true - 1.0
    return y_true


def _label_shapes(pred_shape, axis):
    """The two shapes integer labels may take for ``pred_shape``: without the class axis, or with it as 1."""
    ax = axis % len(pred_shape)
    rest = tuple(pred_shape[:ax]), tuple(pred_shape[ax + 1:])
    return rest[0] + rest[1], rest[0] + (1,) + rest[1]


def _symbolic(shape, class_axis):
    """A label shape with the batch axis written as N: ``(N,)``, ``(N, 1)``, ``(N, 28, 28)``."""
    dims = ["N" if i == 0 and class_axis > 0 else str(d) for i, d in enumerate(shape)]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


class LossFunctionWrapper(FunctionWrapper, Loss):
    """A Loss made from a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the function; returns a Tensor of per-sample values.
        reduction: see :class:`Loss`.
        name: defaults to ``fn``'s name.
        **kwargs: passed on to ``fn``; readable as attributes (``loss.from_logits``).

    ``through_softmax`` (False; not part of the config) is set on the copy :func:`striate.losses.resolve_loss`
    makes of a cross-entropy whose predictions come from a softmax layer: ``fn`` then receives
    ``through_softmax=True`` and differentiates straight to the softmax's logits.

    Example:
        >>> import striate as keras
        >>> def scaled_mae(y_true, y_pred, scale=1.0):
        ...     return keras.losses.mean_absolute_error(y_true, y_pred) * scale
        >>> loss = keras.losses.LossFunctionWrapper(scaled_mae, scale=10.0)
        >>> loss([[1.0, 0.0]], [[0.5, 0.5]])
        Tensor(array(5., dtype=float32))
    """

    through_softmax = False

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true), y_pred)
        if self.through_softmax:
            return self.fn(y_true, y_pred, through_softmax=True, **self.fn_kwargs)
        return self.fn(y_true, y_pred, **self.fn_kwargs)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors: ``mean(square(y_true - y_pred))``.

    Example:
        >>> MeanSquaredError()([[1.0, 0.0]], [[0.5, 0.5]])
        Tensor(array(0.25, dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors: ``mean(abs(y_true - y_pred))``.

    Example:
        >>> MeanAbsoluteError()([[1.0, 0.0]], [[0.5, 0.5]])
        Tensor(array(0.5, dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy for 0/1 labels (one or several independent outputs per sample).

    Args: see :func:`binary_crossentropy`, plus ``reduction`` and ``name``.

    Example:
        >>> BinaryCrossentropy(from_logits=True)([[0.0, 1.0]], [[-18.6, 0.51]])
        Tensor(array(0.2352, dtype=float32))
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels.

    Args: see :func:`categorical_crossentropy`, plus ``reduction`` and ``name``.

    Example:
        >>> CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        Tensor(array(1.1769, dtype=float32))
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer class labels.

    With ``ignore_class``, samples of that label count neither in the sum nor in the number of
    samples the mean divides by.

    Args: see :func:`sparse_categorical_crossentropy`, plus ``reduction`` and ``name``.

    Example:
        >>> SparseCategoricalCrossentropy()([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        Tensor(array(1.1769, dtype=float32))
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def compute_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        labels = data(y_true)
        if labels.ndim == len(y_pred.shape):
            labels = labels.reshape(_label_shapes(y_pred.shape, self.axis)[0])
        return labels != self.ignore_class


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """See :func:`mean_absolute_percentage_error`.

    Example:
        >>> import striate as keras
        >>> keras.losses.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]])
        Tensor(array(37.5, dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """See :func:`mean_squared_logarithmic_error`.

    Example:
        >>> import striate as keras
        >>> keras.losses.MeanSquaredLogarithmicError()([[0.0, 1.0]], [[0.0, 1.0]])
        Tensor(array(0., dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class CosineSimilarity(LossFunctionWrapper):
    """See :func:`cosine_similarity` (minimizing it turns predictions towards the targets).

    Example:
        >>> import striate as keras
        >>> keras.losses.CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])
        Tensor(array(-0.5, dtype=float32))
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)


class Huber(LossFunctionWrapper):
    """See :func:`huber`.

    Example:
        >>> import striate as keras
        >>> keras.losses.Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]])
        Tensor(array(1.3125, dtype=float32))
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """See :func:`log_cosh`.

    Example:
        >>> import striate as keras
        >>> keras.losses.LogCosh()([[0.0, 1.0]], [[0.0, 1.0]])
        Tensor(array(0., dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class Hinge(LossFunctionWrapper):
    """See :func:`hinge`.

    Example:
        >>> import striate as keras
        >>> keras.losses.Hinge()([[0.0, 1.0]], [[0.5, 0.5]])
        Tensor(array(1., dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """See :func:`squared_hinge`.

    Example:
        >>> import striate as keras
        >>> keras.losses.SquaredHinge()([[0.0, 1.0]], [[0.5, 0.5]])
        Tensor(array(1.25, dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """See :func:`categorical_hinge`.

    Example:
        >>> import striate as keras
        >>> keras.losses.CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.2, 0.9, 0.5]])
        Tensor(array(0.6, dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """See :func:`kl_divergence`.

    Example:
        >>> import striate as keras
        >>> keras.losses.KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]])
        Tensor(array(0., dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """See :func:`poisson`.

    Example:
        >>> import striate as keras
        >>> keras.losses.Poisson()([[0.0, 2.0]], [[1.0, 1.0]])
        Tensor(array(1., dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


class Dice(LossFunctionWrapper):
    """See :func:`dice`; ``axis=(1, 2, 3)`` gives one value per image, then reduced over the batch.

    Example:
        >>> import striate as keras
        >>> keras.losses.Dice(axis=1)([[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0, 0.0]])
        Tensor(array(0.3333, dtype=float32))
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None):
        super().__init__(dice, reduction=reduction, name=name, axis=axis)


class Tversky(LossFunctionWrapper):
    """See :func:`tversky`.

    Example:
        >>> import striate as keras
        >>> keras.losses.Tversky(alpha=0.7, beta=0.3, axis=1)([[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0, 0.0]])
        Tensor(array(0.4118, dtype=float32))
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None):
        super().__init__(tversky, reduction=reduction, name=name, alpha=alpha, beta=beta, axis=axis)


FUNCTIONS = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, huber, log_cosh, hinge, squared_hinge, categorical_hinge, kl_divergence, poisson, dice,
    tversky, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy)}
# Keras's short names, and Keras 2's logcosh / kullback_leibler_divergence
FUNCTIONS.update(mse=mean_squared_error, MSE=mean_squared_error, mae=mean_absolute_error, MAE=mean_absolute_error,
                 mape=mean_absolute_percentage_error, MAPE=mean_absolute_percentage_error,
                 msle=mean_squared_logarithmic_error, MSLE=mean_squared_logarithmic_error, kld=kl_divergence,
                 KLD=kl_divergence, kullback_leibler_divergence=kl_divergence, logcosh=log_cosh,
                 bce=binary_crossentropy, BCE=binary_crossentropy)
CLASSES = {c.__name__: c for c in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity,
    Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, Dice, Tversky, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, LossFunctionWrapper)}

LossFunctionWrapper.FUNCTIONS, LossFunctionWrapper.KIND = FUNCTIONS, "loss function"
