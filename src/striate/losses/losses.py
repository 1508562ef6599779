"""The built-in losses: per-sample functions and the Loss classes that wrap them (Keras 3 semantics).

The functions return one value per sample (the mean over the last axis where Keras takes it) as
Tensors differentiable with respect to ``y_pred``; ``y_true`` is read as data. The cross-entropies
go straight to the fused ops of ``striate.ops``.
"""
from striate import backend, ops
from striate.losses.loss import Loss, as_tensor, squeeze_or_expand_to_same_rank
from striate.utils.wrapping import FunctionWrapper
from striate.ops._base import data


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
        Tensor(array([0.5108256], dtype=float32))
    """
    y_pred = as_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true), y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"binary_crossentropy expects y_true and y_pred of the same shape, received "
                         f"y_true of shape {y_true.shape} and y_pred of shape {y_pred.shape}")
    y_true = y_true.astype(y_pred.dtype, copy=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    Args:
        y_true: one-hot labels, the shape of ``y_pred``.
        y_pred: class probabilities (normalized and clipped as Keras does), or logits when
            ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: mix the labels with the uniform distribution: ``t (1 - s) + s / C``.
        axis: the class axis.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Example:
        >>> categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.05, 0.95, 0.0]])
        Tensor(array([0.05129331], dtype=float32))
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
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy between integer class labels and predicted class probabilities.

    Args:
        y_true: integer class labels in ``[0, C)``, of shape ``(N,)`` or ``(N, 1)`` for
            ``y_pred`` of shape ``(N, C)`` (in general: ``y_pred``'s shape without ``axis``).
        y_pred: class probabilities, or logits when ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose samples get loss 0 (e.g. a "void" class such as 255 or -1).
        axis: the class axis.

    Returns:
        A Tensor of ``y_pred``'s shape without ``axis``.

    Example:
        >>> sparse_categorical_crossentropy([1], [[0.05, 0.95, 0.0]])
        Tensor(array([0.05129331], dtype=float32))
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
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    keep = labels != ignore_class
    values = ops.sparse_categorical_crossentropy(backend.xp().where(keep, labels, 0), y_pred,
                                                 from_logits=from_logits, axis=axis)
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

    Example:
        >>> def huber(y_true, y_pred, delta=1.0): ...
        >>> loss = LossFunctionWrapper(huber, delta=0.5)
        >>> loss(y, model(x))
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true), y_pred)
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
        Tensor(array(0.23515..., dtype=float32))
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
        Tensor(array(1.1769392, dtype=float32))
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
        Tensor(array(1.1769392, dtype=float32))
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


FUNCTIONS = {f.__name__: f for f in (mean_squared_error, mean_absolute_error, binary_crossentropy,
                                     categorical_crossentropy, sparse_categorical_crossentropy)}
FUNCTIONS.update(mse=mean_squared_error, MSE=mean_squared_error, mae=mean_absolute_error,
                 MAE=mean_absolute_error, bce=binary_crossentropy, BCE=binary_crossentropy)
CLASSES = {c.__name__: c for c in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
                                   SparseCategoricalCrossentropy, LossFunctionWrapper)}

LossFunctionWrapper.FUNCTIONS, LossFunctionWrapper.KIND = FUNCTIONS, "loss function"
