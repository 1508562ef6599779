"""clone_model: the same architecture with new layers, hence new weights (Keras 3's ``models.clone_model``)."""
from striate.layers.core import Input, InputLayer
from striate.layers.layer import KerasTensor
from striate.models.model import Model, graph_order
from striate.models.sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False):
    """A copy of a Sequential or functional model, with new layers made from the old ones' configs.

    The copy's weights are newly initialized, not copied (use ``set_weights(model.get_weights())`` for
    that); a compiled model's copy is compiled with the same arguments and a new optimizer.

    Args:
        model: a Sequential or functional :class:`Model` (a subclassed model is rebuilt from its
            ``get_config()``, and takes none of the other arguments).
        input_tensors: ``Input`` tensors to build the copy on, in the structure of ``model.inputs``
            (default: new ones of the same shapes, dtypes and names).
        clone_function: ``fn(layer) -> layer`` making each layer of the copy (the input layers
            excepted); default ``layer.__class__.from_config(layer.get_config())``. Returning
            ``layer`` itself shares it, and its weights, with ``model``.
        call_function: ``fn(layer, *args, **kwargs) -> outputs`` calling each new layer in a
            functional model (default ``layer(*args, **kwargs)``): it can insert layers around it.
        recursive: clone the Sequential and functional models nested in ``model`` with the same
            arguments, instead of passing them to ``clone_function`` whole.

    Returns:
        The new model (a layer used twice in ``model`` is one layer, used twice, in the copy).

    Example:
        >>> import striate as keras
        >>> model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(4, activation="relu"),
        ...                           keras.layers.Dense(1)])
        >>> copy = keras.models.clone_model(model)
        >>> [layer.name for layer in copy.layers] == [layer.name for layer in model.layers]
        True
        >>> copy.layers[0] is model.layers[0], copy.count_params() == model.count_params()
        (False, True)
    """
    if not isinstance(model, Model):
        raise ValueError(f"clone_model expects a Sequential or functional Model, received {type(model).__name__}")
    return _clone(model, input_tensors, clone_function, call_function, recursive, {})


def _clone(model, input_tensors, clone_function, call_function, recursive, cache):
    clone_layer = _layer_cloner(clone_function, call_function, recursive, cache)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(f"clone_model: call_function works only on functional models; Sequential model "
                             f"'{model.name}' lists its layers but never calls them when it is made")
        clone = _clone_sequential(model, clone_layer, input_tensors)
    elif model._functional:
        clone = _clone_functional(model, clone_layer, call_function, input_tensors)
    else:
        if clone_function is not None or input_tensors is not None or call_function is not None:
            raise ValueError(f"clone_model: clone_function, input_tensors and call_function work only on Sequential "
                             f"and functional models; '{model.name}' is a subclassed {type(model).__name__}")
        from striate.saving import deserialize_keras_object, serialize_keras_object
        return deserialize_keras_object(serialize_keras_object(model),
                                        custom_objects={type(model).__name__: type(model)})
    if model.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


def _layer_cloner(clone_function, call_function, recursive, cache):
    """``clone_function`` run once per layer (a shared layer stays shared), or ``_clone`` on nested models."""
    make = clone_function or _from_config

    def clone(layer):
        if id(layer) not in cache:
            nested = isinstance(layer, Sequential) or (isinstance(layer, Model) and layer._functional)
            if recursive and nested:
                cache[id(layer)] = _clone(layer, None, clone_function,
                                          None if isinstance(layer, Sequential) else call_function, True, cache)
            else:
                cache[id(layer)] = make(layer)
        return cache[id(layer)]
    return clone


def _from_config(layer):
    return type(layer).from_config(layer.get_config())


def _clone_sequential(model, clone_layer, input_tensors):
    layers = [clone_layer(layer) for layer in model.layers]
    if input_tensors is not None:
        tensors = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(tensors) != 1 or not _is_input(tensors[0]):
            raise ValueError(f"clone_model expects input_tensors for Sequential model '{model.name}' to be one "
                             f"tensor from keras.Input(...), received {input_tensors!r}")
        layers = tensors + layers
    elif model._input_layer is not None:
        source = model._input_layer
        layers = [InputLayer(batch_shape=source.batch_shape, dtype=source.dtype, name=source.name)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, clone_layer, call_function, input_tensors):
    if input_tensors is None:
        inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t.node.layer.name) for t in model.inputs]
    else:
        inputs = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(inputs) != len(model.inputs) or not all(isinstance(t, KerasTensor) for t in inputs):
            raise ValueError(f"clone_model expects input_tensors for model '{model.name}' to be "
                             f"{len(model.inputs)} symbolic tensor(s) (from keras.Input or layer calls), received "
                             f"{input_tensors!r}")
    new = {id(old): t for old, t in zip(model.inputs, inputs)}

    def mapped(value):
        if isinstance(value, KerasTensor):
            return new.get(id(value), value)
        if isinstance(value, (list, tuple)):
            return type(value)(mapped(v) for v in value)
        if isinstance(value, dict):
            return {k: mapped(v) for k, v in value.items()}
        return value

    for node in graph_order(model.inputs, model.outputs)[2]:
        if isinstance(node.layer, InputLayer):
            continue
        layer = clone_layer(node.layer)
        kwargs = mapped(dict(node.kwargs))
        args = kwargs.pop("args", ())
        first = mapped(list(node.inputs) if node.is_list else node.inputs[0])
        outputs = call_function(layer, first, *args, **kwargs) if call_function is not None else \
            layer(first, *args, **kwargs)
        for old, out in zip(node.outputs, outputs if isinstance(outputs, (list, tuple)) else [outputs]):
            new[id(old)] = out
    outputs = [new[id(t)] for t in model.outputs]
    several_in, several_out = (isinstance(v, (list, tuple)) for v in (model._nested_inputs, model._nested_outputs))
    return Model(inputs=inputs if several_in else inputs[0], outputs=outputs if several_out else outputs[0],
                 name=model.name, trainable=model.trainable)


def _is_input(tensor):
    return isinstance(tensor, KerasTensor) and isinstance(getattr(tensor.node, "layer", None), InputLayer)
