"""striate.losses: the Keras 3 losses, as functions (per-sample values) and Loss classes (reduced).

Example:
    >>> from striate import losses
    >>> loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> value = loss(labels, logits, sample_weight=weights)   # a scalar Tensor
    >>> value.backward()
"""
import inspect

from striate.losses.loss import Loss, is_binary_or_sparse_categorical, reduce_weighted_values
from striate.utils.naming import lookup
from striate.losses.losses import (
    CLASSES,
    FUNCTIONS,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mse", "MSE",
    "mean_absolute_error", "mae", "MAE", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "get", "resolve_loss", "reduce_weighted_values",
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
        >>> losses.get("categorical_crossentropi")
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


def resolve_loss(identifier, y_true_shape=None, y_pred_shape=None):
    """The Loss instance ``compile(loss=identifier)`` uses, as Keras 3's compile does.

    ``"crossentropy"``/``"ce"`` pick binary, sparse or categorical cross-entropy from the shapes
    (see :func:`striate.metrics.resolve_accuracy`); functions are wrapped in
    :class:`LossFunctionWrapper` named after the identifier.

    Args:
        identifier: anything :func:`get` takes.
        y_true_shape, y_pred_shape: the shapes of a batch of targets and predictions (needed only
            for ``"crossentropy"``).

    Returns:
        A Loss instance, or ``None`` for ``None``.

    Example:
        >>> resolve_loss("ce", (32,), (32, 10)).name
        'ce'
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
    if isinstance(found, Loss):
        return found
    return LossFunctionWrapper(found, name=identifier if isinstance(identifier, str) else None)
