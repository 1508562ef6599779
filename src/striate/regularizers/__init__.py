"""Weight penalties added to the training loss (Keras 3 names and defaults).

Example:
    >>> import striate as keras
    >>> layer = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.l2(1e-4))
    >>> keras.regularizers.l1_l2(l1=0.01, l2=0.1).get_config()
    {'l1': 0.01, 'l2': 0.1}
"""
import math

from striate import ops
from striate.utils.naming import lookup


class Regularizer:
    """Base class: ``__call__(w)`` returns the penalty of weight ``w``, a scalar added to the loss.

    Example:
        >>> import striate as keras
        >>> class SumSquares(keras.regularizers.Regularizer):
        ...     def __call__(self, w):
        ...         return keras.ops.sum(keras.ops.square(w))
        >>> float(SumSquares()(keras.Tensor([1.0, 2.0])))
        5.0
    """

    def __call__(self, w):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w^2)``.

    Args:
        l1: the L1 factor (a non-negative float).
        l2: the L2 factor (a non-negative float).

    Example:
        >>> import striate as keras
        >>> float(keras.regularizers.L1L2(l1=0.5, l2=0.25)(keras.Tensor([1.0, -2.0])))
        2.75
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _factor(type(self).__name__, "l1", l1), _factor(type(self).__name__, "l2", l2)

    def __call__(self, w):
        penalty = 0.0
        if self.l1:
            penalty = ops.sum(ops.abs(w)) * self.l1
        if self.l2:
            penalty = penalty + ops.sum(ops.square(w)) * self.l2
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)``.

    Example:
        >>> import striate as keras
        >>> float(keras.regularizers.L1(0.5)(keras.Tensor([1.0, -2.0])))
        1.5
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=0.01 if l1 is None else l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w^2)``.

    Example:
        >>> import striate as keras
        >>> float(keras.regularizers.L2(0.5)(keras.Tensor([1.0, -2.0])))
        2.5
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


def _factor(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative float, received {value!r}")
    return float(value)


# Keras 3's lowercase names are the classes themselves: l2(1e-4) is L2(1e-4).
l1, l2, l1_l2 = L1, L2, L1L2

ALL = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1l2": L1L2,
       "l1_l2": L1L2}
# A name alone builds the class with its defaults, except "l1_l2": 0.01 each, as Keras documents it.
_NAMED_DEFAULTS = {"l1_l2": {"l1": 0.01, "l2": 0.01}}


def get(identifier):
    """Look up a regularizer as ``keras.regularizers.get`` does.

    Args:
        identifier: a name (``"l2"``, ``"L1"``), a config dict ``{"class_name": ..., "config": ...}``,
            a callable (returned as is) or ``None``.

    Returns:
        A regularizer instance or callable, or ``None``.

    Example:
        >>> import striate as keras
        >>> keras.regularizers.get("l2").get_config()
        {'l2': 0.01}
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return lookup("regularizer", identifier.get("class_name"), ALL).from_config(identifier.get("config") or {})
    if isinstance(identifier, str):
        return lookup("regularizer", identifier, ALL)(**_NAMED_DEFAULTS.get(identifier, {}))
    raise ValueError(f"Could not interpret regularizer identifier {identifier!r}: expected a name, a config dict "
                     "or a callable")


def serialize(regularizer):
    """Keras's config form (``None`` stays ``None``).

    Example:
        >>> import striate as keras
        >>> keras.regularizers.serialize(keras.regularizers.l2(0.1))
        {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.1}, 'registered_name': None}
    """
    if regularizer is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The regularizer a :func:`serialize` dict describes (user classes through ``custom_objects``).

    Example:
        >>> import striate as keras
        >>> keras.regularizers.deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
        0.5
    """
    from striate.saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)
