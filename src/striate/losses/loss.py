"""Loss: the base class (reductions, sample weights, masks) and helpers shared with metrics."""
from striate import backend, ops
from striate.autodiff import Tensor
from striate.ops._base import data
from striate.utils.naming import snake_case

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """Base class of losses: ``call`` gives per-sample values, ``__call__`` weights and reduces them.

    Subclasses implement ``call(y_true, y_pred)``; ``compute_mask(y_true, y_pred)`` may return a
    boolean array of the per-sample shape marking the values that count (as Keras's loss masks do).

    Args:
        name: the loss's name (default: the class name in snake_case).
        reduction: ``"sum_over_batch_size"`` (default) or ``"mean"``: the weighted sum divided by the
            number of values; ``"sum"``; ``"mean_with_sample_weight"``: divided by the sum of the
            weights; ``"none"`` or ``None``: the per-sample values.

    Example:
        >>> class MeanSquaredError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ops.mean(ops.square(y_pred - y_true), axis=-1)
        >>> MeanSquaredError()([[1.0, 0.0]], [[0.5, 0.5]])
        Tensor(array(0.25, dtype=float32))
    """

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {list(REDUCTIONS)}, "
                             f"received {reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss as a Tensor (a scalar unless ``reduction`` is ``"none"``).

        Args:
            y_true: targets (array or Tensor).
            y_pred: predictions (Tensor, differentiable).
            sample_weight: optional weights: a scalar, one per sample ``(N,)`` or ``(N, 1)``, or
                the per-sample values' shape.
        """
        y_pred = as_tensor(y_pred)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.compute_mask(y_true, y_pred),
                                      self.reduction, self.name)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def compute_mask(self, y_true, y_pred):
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", name="loss"):
    """Weight per-sample loss values and reduce them, as Keras's ``reduce_weighted_values``.

    A ``mask`` (boolean, the values' shape) is merged into the weights; with the mean reductions
    its kept values are scaled by total/kept, so masked-out values drop out of the mean.
    """
    values = ops.convert_to_tensor(values)
    xp = backend.xp()
    weight = None if sample_weight is None else data(sample_weight).astype(values.dtype, copy=False)
    if mask is not None:
        mask = data(mask)
        if reduction in ("sum_over_batch_size", "mean"):
            kept = mask.sum()
            scale = xp.where(kept > 0, mask.size / xp.maximum(kept, 1), 0)
            mask = xp.where(mask, scale, 0)
        mask = mask.astype(values.dtype, copy=False)
        if weight is None:
            weight = mask
        else:
            mask, weight = squeeze_or_expand_to_same_rank(mask, weight)
            weight = weight * mask
    if weight is not None:
        values, weight = squeeze_or_expand_to_same_rank(values, weight)
        weight = weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
        # one value for the whole batch (a Dice loss over every axis) is weighted per sample, as in Keras
        if values.ndim and (weight.ndim > values.ndim or any(w not in (1, v) for w, v in zip(weight.shape,
                                                                                            values.shape))):
            raise ValueError(f"{name}: sample_weight of shape {tuple(data(sample_weight).shape)} does not fit "
                             f"the per-sample losses of shape {values.shape}; pass one weight per sample")
        values = values * weight
    if reduction in ("none", None) or values.ndim == 0 or values.shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and weight is not None:
        total = weight.sum()
        return ops.sum(values) * xp.where(total != 0, 1 / xp.where(total != 0, total, 1), 0).astype(values.dtype)
    return ops.mean(values)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks agree when they differ by one trailing size-1 axis (Keras's rule).

    ``(N,)`` against ``(N, 1)`` becomes ``(N, 1)`` and ``(N,)`` (with ``expand_rank_1``); a higher
    rank with a trailing 1 is squeezed. Works on arrays and Tensors alike.
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.reshape(tuple(x2.shape) + (1,))
        else:
            x1 = x1.reshape(tuple(x1.shape[:-1]))
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.reshape(tuple(x1.shape) + (1,))
        else:
            x2 = x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


def is_binary_or_sparse_categorical(y_true_shape, y_pred_shape):
    """Keras's test behind ``"accuracy"`` and ``"crossentropy"``: ``(is_binary, is_sparse)``.

    Binary when predictions have one value per sample; sparse when the labels have one axis fewer
    than the predictions, or a last axis of 1 against several classes.
    """
    true_last = y_true_shape[-1] if len(y_true_shape) else None
    pred_last = y_pred_shape[-1] if len(y_pred_shape) else None
    is_binary = pred_last == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (true_last == 1 and pred_last is not None
                                                          and pred_last > 1)
    return is_binary, is_sparse


def as_tensor(x):
    """``x`` as a floating-point Tensor (integer or bool input becomes ``floatx()``)."""
    x = x if isinstance(x, Tensor) else ops.convert_to_tensor(x)
    return x if x.dtype.kind == "f" else ops.cast(x, backend.floatx())



