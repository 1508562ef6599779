"""Metrics that are running means of a per-sample function: accuracies, errors, hinges, divergences,
cross-entropies."""
from striate import losses
from striate.losses.loss import squeeze_or_expand_to_same_rank
from striate.metrics import functions as fn
from striate.metrics.metric import Mean, MeanMetricWrapper
from striate.ops._base import data


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (see :func:`accuracy`)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn.accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 labels.

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state([[1], [0]], [[0.7], [0.6]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn.binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the largest prediction is the one-hot label's class."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn.categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the largest prediction is the integer label's class."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn.sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` largest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn.top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label's class is among the ``k`` largest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(fn.sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.mean_squared_error`."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.mean_absolute_error`."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.mean_absolute_percentage_error`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.MeanAbsolutePercentageError()
        >>> m.update_state([[2.0, 4.0]], [[1.0, 5.0]])
        >>> m.result()
        37.5
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.mean_squared_logarithmic_error`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0, 3.0]], [[0.0, 3.0]])
        >>> m.result()
        0.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """The running mean of the cosine similarity along ``axis`` (1: same direction; see
    :func:`~striate.metrics.cosine_similarity`).

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.CosineSimilarity()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])
        >>> round(m.result(), 4)
        0.5
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(fn.cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.log_cosh` (named ``logcosh``, as Keras names it).

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.LogCoshError()
        >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
        >>> m.result()
        0.0
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.hinge`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.Hinge()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> m.result()
        1.0
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.squared_hinge`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.SquaredHinge()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> m.result()
        1.25
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.categorical_hinge`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.CategoricalHinge()
        >>> m.update_state([[0.0, 1.0, 0.0]], [[0.5, 1.0, 0.0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.kl_divergence`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.KLDivergence()
        >>> m.update_state([[0.5, 0.5]], [[0.5, 0.5]])
        >>> m.result()
        0.0
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.poisson`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.Poisson()
        >>> m.update_state([[0.0, 2.0]], [[1.0, 1.0]])
        >>> round(m.result(), 4)
        1.0
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the running (weighted) mean of squared errors.

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(data(y_true).astype(self.dtype, copy=False),
                                                        data(y_pred).astype(self.dtype, copy=False))
        super().update_state((y_pred - y_true) ** 2, sample_weight)

    def result(self):
        return super().result() ** 0.5


class BinaryCrossentropy(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.binary_crossentropy`."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.categorical_crossentropy`."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0,
                 axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The running mean of :func:`striate.losses.sparse_categorical_crossentropy`.

    Samples labelled ``ignore_class`` count neither in the sum nor in the number of samples, as in
    the loss (Keras 3.15's metric leaves them out only when a ``sample_weight`` is given).
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is not None:
            labels = data(y_true)
            if labels.ndim == data(y_pred).ndim:
                labels = labels[..., 0]
            keep = (labels != self.ignore_class).astype(self.dtype)
            if sample_weight is not None:
                keep, weight = squeeze_or_expand_to_same_rank(keep, data(sample_weight).astype(self.dtype))
                keep = keep * weight
            sample_weight = keep
        super().update_state(y_true, y_pred, sample_weight)
