"""striate.losses: the Keras 3 losses, as functions (per-sample values) and Loss classes (reduced).

Example:
    >>> import striate as keras
    >>> logits = keras.Tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
    >>> loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> value = loss([0, 2], logits, sample_weight=[1.0, 0.5])   # a scalar Tensor
    >>> value.backward()
    >>> logits.grad.shape
    (2, 3)
"""
import copy
import inspect

from striate.losses.loss import Loss, is_binary_or_sparse_categorical, reduce_weighted_values
from striate.utils.naming import lookup
from striate.losses.losses import (
    CLASSES,
    FUNCTIONS,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    dice,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    tversky,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "Dice", "Tversky", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mse", "MSE",
    "mean_absolute_error", "mae", "MAE", "mean_absolute_percentage_error", "mape", "MAPE",
    "mean_squared_logarithmic_error", "msle", "MSLE", "cosine_similarity", "huber", "log_cosh", "logcosh", "hinge",
    "squared_hinge", "categorical_hinge", "kl_divergence", "kld", "KLD", "kullback_leibler_divergence", "poisson",
    "dice", "tversky", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "get",
    "serialize", "deserialize", "resolve_loss", "reduce_weighted_values",
]

_NAMES = {**FUNCTIONS, **{n: c for n, c in CLASSES.items() if c is not LossFunctionWrapper}}


def get(identifier):
    """Look up a loss as ``keras.losses.get`` does.

    Args:
        identifier: a function name (``"categorical_crossentropy"``, ``"mse"``: returns the
            function), a class name (``"CategoricalCrossentropy"``: returns an instance), a config
            dict ``{"class_name": ..., "config": {...}}``, a Loss class or instance, a callable,
            or ``None``.

    Returns:
        A Loss instance or a per-sample loss function (``None`` for ``None``).

    Raises:
        ValueError: for an unknown name, naming the closest known one.

    Example:
        >>> import striate as keras
        >>> keras.losses.get("mape").__name__
        'mean_absolute_percentage_error'
        >>> keras.losses.get("categorical_crossentropi")
        Traceback (most recent call last):
        ValueError: Unknown loss 'categorical_crossentropi'. Did you mean 'categorical_crossentropy'?
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = lookup("loss class", str(identifier.get("class_name")), CLASSES)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        found = lookup("loss", identifier, _NAMES)
        return found() if inspect.isclass(found) else found
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier {identifier!r}: expected a loss name, a Loss, "
                     "a function (y_true, y_pred) -> per-sample losses, or a config dict")


def serialize(loss):
    """A loss (instance or function) as Keras's config dict.

    Example:
        >>> import striate as keras
        >>> keras.losses.serialize(keras.losses.Huber(delta=2.0))["config"]
        {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0}
    """
    from striate.saving import serialize_keras_object
    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """The loss a :func:`serialize` dict (or Keras's) describes; user classes through ``custom_objects``.

    Example:
        >>> import striate as keras
        >>> keras.losses.deserialize({"class_name": "Dice", "config": {"axis": [1, 2]}}).axis
        [1, 2]
    """
    from striate.saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)


def resolve_loss(identifier, y_true_shape=None, y_pred_shape=None, output_layer=None):
    """The Loss instance ``compile(loss=identifier)`` uses, as Keras 3's compile does.

    ``"crossentropy"``/``"ce"`` pick binary, sparse or categorical cross-entropy from the shapes
    (see :func:`striate.metrics.resolve_accuracy`); functions are wrapped in
    :class:`LossFunctionWrapper` named after the identifier.

    A categorical or sparse categorical cross-entropy of probabilities (``from_logits=False``, class
    axis last) whose predictions ``output_layer`` makes with a softmax (a ``Dense`` or ``Activation``
    layer whose ``activation`` is ``softmax``, or one of striate's convolutions: a segmentation's
    per-pixel softmax) is returned as a copy with ``through_softmax`` set: it
    keeps Keras's value (the clipped probabilities' log) and differentiates straight to the softmax's
    logits, in one fused op, instead of through the clip, the log and the softmax.

    Args:
        identifier: anything :func:`get` takes.
        y_true_shape, y_pred_shape: the shapes of a batch of targets and predictions (needed only
            for ``"crossentropy"``).
        output_layer: the layer that makes the predictions, or ``None``.

    Returns:
        A Loss instance, or ``None`` for ``None``.

    Example:
        >>> resolve_loss("ce", (32,), (32, 10)).name
        'ce'
        >>> softmax = keras.layers.Dense(10, activation="softmax")
        >>> resolve_loss("sparse_categorical_crossentropy", (32,), (32, 10), softmax).through_softmax
        True
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        if y_true_shape is None or y_pred_shape is None:
            raise ValueError(f"resolve_loss({identifier!r}) picks the cross-entropy from the shapes: pass "
                             "y_true_shape and y_pred_shape")
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        found = binary_crossentropy if is_binary else sparse_categorical_crossentropy if is_sparse \
            else categorical_crossentropy
    else:
        found = get(identifier)
    loss = found if isinstance(found, Loss) else \
        LossFunctionWrapper(found, name=identifier if isinstance(identifier, str) else None)
    if not (_ends_in_softmax(output_layer) and _takes_probabilities(loss, y_pred_shape)):
        return loss
    fused = copy.copy(loss)  # the user's loss object stays as it was
    fused.through_softmax = True
    return fused


def _ends_in_softmax(layer):
    """Whether ``layer`` (a layer, or None) is one of striate's Dense, Activation or convolution layers
    applying softmax (their calls end in it: the predictions are the softmax's output)."""
    from striate import activations
    from striate.layers.conv import _Conv
    from striate.layers.core import Activation, Dense
    ours = type(layer) in (Dense, Activation) or (isinstance(layer, _Conv)
                                                   and type(layer).__module__ == _Conv.__module__)
    return ours and layer.activation is activations.softmax


def _takes_probabilities(loss, y_pred_shape):
    """Whether ``loss`` is a (sparse) categorical cross-entropy of probabilities, classes last."""
    if not isinstance(loss, LossFunctionWrapper) or loss.fn not in (categorical_crossentropy,
                                                                   sparse_categorical_crossentropy):
        return False
    return not loss.fn_kwargs.get("from_logits") and y_pred_shape is not None and len(y_pred_shape) >= 1 \
        and loss.fn_kwargs.get("axis", -1) in (-1, len(y_pred_shape) - 1)
