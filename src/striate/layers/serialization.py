"""layers.serialize / layers.deserialize: a layer as Keras 3's config dict, and back."""


def serialize(layer):
    """A layer as Keras 3's dict ``{"module", "class_name", "config", "registered_name"}`` (plus
    ``"build_config"`` once it is built): what Keras's ``keras.layers.serialize`` writes.

    Args:
        layer: a layer (a model too).

    Returns:
        A JSON-able dict.

    Example:
        >>> import striate as keras
        >>> config = keras.layers.serialize(keras.layers.Dense(4, activation="relu", name="hidden"))
        >>> config["module"], config["class_name"], config["config"]["units"]
        ('keras.layers', 'Dense', 4)
    """
    from striate.layers.layer import Layer
    from striate.saving import serialize_keras_object
    if not isinstance(layer, Layer):
        raise TypeError(f"layers.serialize expects a Layer, received {type(layer).__name__}")
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A new layer from a :func:`serialize` dict (or one Keras wrote), built when the dict says how.

    Only striate's layers, those registered with ``register_keras_serializable`` and those named in
    ``custom_objects`` can be made: nothing a config names is imported.

    Args:
        config: the dict.
        custom_objects: optional ``{name: class}`` for layer classes that are not registered.

    Returns:
        The layer.

    Example:
        >>> import striate as keras
        >>> layer = keras.layers.deserialize({"module": "keras.layers", "class_name": "Dense",
        ...                                   "config": {"units": 4, "name": "hidden"}, "registered_name": None})
        >>> layer.name, layer.units
        ('hidden', 4)
    """
    from striate.layers.layer import Layer
    from striate.saving import deserialize_keras_object
    layer = deserialize_keras_object(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"layers.deserialize expects the config of a layer, received one of a "
                         f"{type(layer).__name__}: {str(config)[:200]}")
    return layer
