"""Optimizers with Keras 3's names, defaults and update rules, updating striate Variables in place.

    optimizer = striate.optimizers.get("adam")          # or Adam(learning_rate=1e-3)
    optimizer.apply(grads, trainable_variables)          # one step; grads are backend arrays
"""

from striate.optimizers import schedules
from striate.optimizers.adagrad import Adagrad
from striate.optimizers.adam import Adam, AdamW
from striate.optimizers.nadam import Nadam
from striate.optimizers.optimizer import Optimizer
from striate.optimizers.rmsprop import RMSprop
from striate.optimizers.sgd import SGD
from striate.utils.naming import lookup

_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (Adagrad, Adam, AdamW, Nadam, RMSprop, SGD)}

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam", "schedules", "get", "serialize",
           "deserialize"]


def _lookup(name):
    return lookup("optimizer", str(name).lower(), _OPTIMIZERS)


def serialize(optimizer):
    """Return ``optimizer``'s class and config as a JSON-able dict in Keras's format.

    Args:
        optimizer: an :class:`Optimizer`.

    Returns:
        ``{"module": "keras.optimizers", "class_name": ..., "config": ..., "registered_name": None}``.

    Example:
        >>> serialize(Adam())["class_name"]
        'Adam'
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__, "config": optimizer.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """Create an optimizer from :func:`serialize`'s output (``class_name`` is matched case-insensitively).

    Args:
        config: ``{"class_name": ..., "config": {...}}``.
        custom_objects: optional ``{name: class}`` for custom learning-rate schedules.

    Returns:
        A new :class:`Optimizer`, not built.

    Example:
        >>> config = {"class_name": "SGD", "config": {"learning_rate": 0.1, "momentum": 0.9}}
        >>> optimizer = keras.optimizers.deserialize(config)
        >>> optimizer.name, optimizer.momentum
        ('sgd', 0.9)
    """
    return _lookup(config.get("class_name")).from_config(config.get("config", {}), custom_objects)


def get(identifier):
    """Return an optimizer from a name, a config dict or an instance (returned as is).

    Args:
        identifier: ``"adam"``, ``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adamw"`` or ``"nadam"`` (any case)
            for one with default settings; a ``{"class_name": ..., "config": ...}`` dict; an
            :class:`Optimizer`; or ``None`` (returned as ``None``).

    Returns:
        An :class:`Optimizer`.

    Example:
        >>> get("Adam").learning_rate
        0.0010000000474974513
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier {identifier!r}: expected a name such as 'adam', a "
                     "config dict or an Optimizer instance")
