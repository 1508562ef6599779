"""striate.metrics: stateful metrics with the Keras 3 API, on raw arrays.

Example:
    >>> import striate as keras
    >>> m = keras.metrics.get("auc")
    >>> for y, p in [([0, 1, 1], [0.2, 0.6, 0.9]), ([0, 1], [0.3, 0.8])]:
    ...     m.update_state(y, p)
    >>> m.result()                 # a Python float
    1.0
"""
import inspect

from striate.losses.loss import is_binary_or_sparse_categorical
from striate.utils.naming import lookup, snake_case
from striate.metrics.functions import (
    FUNCTIONS,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    cosine_similarity,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from striate.metrics.confusion import AUC, ConfusionMatrix, Precision, Recall, confusion_matrix
from striate.metrics.iou_metrics import IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from striate.metrics.mean_metrics import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
)
from striate.metrics.metric import Mean, MeanMetricWrapper, Metric

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision", "Recall",
    "AUC", "MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "LogCoshError", "Hinge", "SquaredHinge", "CategoricalHinge",
    "KLDivergence", "Poisson", "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "ConfusionMatrix", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "confusion_matrix", "accuracy",
    "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "cosine_similarity", "get", "serialize", "deserialize", "resolve_accuracy", "resolve_metric",
]

CLASSES = {c.__name__: c for c in (
    Mean, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MeanSquaredError,
    RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCoshError, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, ConfusionMatrix, IoU, BinaryIoU, MeanIoU, OneHotIoU,
    OneHotMeanIoU)}
# As keras.metrics.get: class names and their snake_case forms name classes (ConfusionMatrix needs
# num_classes, so only its config dict makes sense, as do the IoU metrics: BinaryIoU, which Keras also finds
# by name, is left out until the every-name tests know it), plus Keras's short aliases and "acc", "rmse".
_NAMES = {k: c for n, c in CLASSES.items()
          if c not in (MeanMetricWrapper, ConfusionMatrix, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU)
          for k in (n, snake_case(n))}
_NAMES.update(acc=Accuracy, mse=MeanSquaredError, MSE=MeanSquaredError, mae=MeanAbsoluteError,
              MAE=MeanAbsoluteError, mape=MeanAbsolutePercentageError, MAPE=MeanAbsolutePercentageError,
              msle=MeanSquaredLogarithmicError, MSLE=MeanSquaredLogarithmicError, rmse=RootMeanSquaredError,
              bce=BinaryCrossentropy, BCE=BinaryCrossentropy)


def get(identifier):
    """Look up a metric as ``keras.metrics.get`` does.

    Args:
        identifier: a name (``"precision"``, ``"Precision"``, ``"mse"``, ``"auc"``: returns a new
            instance), a config dict ``{"class_name": ..., "config": {...}}``, a Metric class or
            instance, a function ``(y_true, y_pred) -> per-sample values``, or ``None``.

    Returns:
        A Metric instance or the function (``None`` for ``None``). ``"accuracy"`` gives
        :class:`Accuracy` (exact equality); :func:`resolve_metric` picks the right accuracy.

    Raises:
        ValueError: for an unknown name, naming the closest known one.

    Example:
        >>> import striate as keras
        >>> keras.metrics.get("mape")
        <MeanAbsolutePercentageError name=mean_absolute_percentage_error>
        >>> keras.metrics.get("precison")
        Traceback (most recent call last):
        ValueError: Unknown metric 'precison'. Did you mean 'precision'?
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = lookup("metric class", str(identifier.get("class_name")), CLASSES)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        return lookup("metric", identifier, _NAMES)()
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier {identifier!r}: expected a metric name, a Metric, "
                     "a function (y_true, y_pred) -> per-sample values, or a config dict")


def serialize(metric):
    """A metric (instance or function) as Keras's config dict.

    Example:
        >>> import striate as keras
        >>> keras.metrics.serialize(keras.metrics.KLDivergence())["config"]
        {'name': 'kl_divergence', 'dtype': 'float32'}
    """
    from striate.saving import serialize_keras_object
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """The metric a :func:`serialize` dict (or Keras's) describes; user classes through ``custom_objects``.

    Example:
        >>> import striate as keras
        >>> keras.metrics.deserialize({"class_name": "LogCoshError", "config": {"name": "lc"}}).name
        'lc'
    """
    from striate.saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)


def resolve_accuracy(y_true_shape, y_pred_shape, *, name="accuracy"):
    """The accuracy metric that ``compile(metrics=["accuracy"])`` means, as Keras 3 picks it.

    Binary when ``y_pred`` has one value per sample (last axis 1); else sparse categorical when
    ``y_true`` has one axis fewer than ``y_pred``, or a last axis of 1 against several classes;
    else categorical. As in Keras 3 the loss plays no part (so multi-label outputs of width > 1
    under binary cross-entropy get categorical accuracy: ask for "binary_accuracy" there).

    Args:
        y_true_shape, y_pred_shape: shapes of a batch of targets and predictions.
        name: the metric's name (Keras keeps the string the user wrote: "accuracy" or "acc").

    Returns:
        A BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy named ``name``.

    Example:
        >>> resolve_accuracy((32,), (32, 10))
        <SparseCategoricalAccuracy name=accuracy>
    """
    is_binary, is_sparse = is_binary_or_sparse_categorical(tuple(y_true_shape), tuple(y_pred_shape))
    cls = BinaryAccuracy if is_binary else SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy
    return cls(name=name)


def resolve_metric(identifier, y_true_shape, y_pred_shape):
    """The Metric that ``compile(metrics=[identifier])`` uses, as Keras 3's compile builds it.

    ``"accuracy"``/``"acc"`` go through :func:`resolve_accuracy`; functions are wrapped in
    :class:`MeanMetricWrapper`; a string identifier becomes the metric's name (``"mse"`` is
    logged as ``mse``).

    Args:
        identifier: anything :func:`get` takes.
        y_true_shape, y_pred_shape: shapes of a batch of targets and predictions.

    Returns:
        A Metric instance.

    Example:
        >>> resolve_metric("acc", (32, 1), (32, 1)).name
        'acc'
    """
    if identifier is None:
        raise ValueError("resolve_metric expects a metric, received None")
    if str(identifier).lower() in ("accuracy", "acc"):
        return resolve_accuracy(y_true_shape, y_pred_shape, name=str(identifier))
    metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
