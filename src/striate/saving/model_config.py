"""Configs of functional and Sequential models, and compile configs, in Keras 3's format.

A functional config lists the layers in Keras's order (by depth from the inputs, then by first
visit from the outputs, as ``keras.src.ops.function.map_graph`` orders them) with the calls that
connect them (``inbound_nodes``: ``{"args", "kwargs"}`` with ``__keras_tensor__`` references
``[layer_name, node_index, tensor_index]``), and ``input_layers`` / ``output_layers``.
"""
import inspect

from striate.layers.layer import KerasTensor, Layer
from striate.layers.graph import graph_order
from striate.saving.serialization import (
    TensorReference,
    current_custom_objects,
    deserialize_keras_object,
    serialize_keras_object,
)
from striate.saving.registry import model_classes


def _is_keras_functional(layer):
    """In ``input_layers``/``output_layers`` (not in ``inbound_nodes``) Keras counts a built-in node in a
    Functional model's calls: its call ``i`` is written as node ``i + 1``."""
    Model, Sequential = model_classes()
    return isinstance(layer, Model) and not isinstance(layer, Sequential) and layer._functional


# -- graph order -----------------------------------------------------------------------------
def keras_graph(model):
    """``(layers, nodes)`` of a functional model: its layers in Keras's order and the set of ids of
    the nodes (layer calls) that belong to it."""
    return graph_order(model.inputs, model.outputs)[:2]


def keras_layers(model):
    """The model's layers in the order Keras lists them (``model.layers`` of the same Keras model)."""
    if getattr(model, "_functional", False) and not hasattr(model, "_stack"):
        return keras_graph(model)[0]
    return list(model.layers)


# -- functional models -----------------------------------------------------------------------
def functional_config(model):
    """Keras 3's ``get_config()`` of a functional model."""
    layers, in_graph = keras_graph(model)
    new_index = {}
    for layer in layers:
        kept = 0
        for node in layer._inbound_nodes:
            if id(node) in in_graph:
                new_index[id(node)] = kept
                kept += 1

    def history(t, offset=0):
        return [t.node.layer.name, new_index[id(t.node)] + offset, t.index]

    def reference(t):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": history(t)}}

    def refs(value):
        if isinstance(value, KerasTensor):
            return reference(value)
        if isinstance(value, (list, tuple)):
            return [refs(v) for v in value]
        if isinstance(value, dict):
            return {k: refs(v) for k, v in value.items()}
        return serialize_keras_object(value)

    layer_configs = []
    for layer in layers:
        nodes = []
        for node in layer._inbound_nodes:
            if id(node) not in in_graph or not node.inputs:
                continue
            kwargs = dict(node.kwargs)
            extra = list(kwargs.pop("args", ()))
            first = [reference(t) for t in node.inputs] if node.is_list else reference(node.inputs[0])
            nodes.append({"args": [first] + refs(extra), "kwargs": refs(kwargs)})
        entry = _layer_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = nodes
        layer_configs.append(entry)

    def structure(value):
        if isinstance(value, (list, tuple)):
            return [structure(v) for v in value]
        return history(value, 1 if _is_keras_functional(value.node.layer) else 0)

    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": structure(model._nested_inputs), "output_layers": structure(model._nested_outputs)}


class _NotYet(Exception):
    """A call's input comes from a call that is not rebuilt yet."""


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from Keras 3's config (Keras 2's ``inbound_nodes`` lists load too)."""
    custom_objects = current_custom_objects() if custom_objects is None else custom_objects
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"Functional model config lacks {key!r}")
    if not isinstance(config["layers"], list):
        raise ValueError("Functional model config: 'layers' must be a list")
    created, pending, names = {}, {}, []
    for data in config["layers"]:
        if not isinstance(data, dict) or not isinstance(data.get("name", data.get("config", {}).get("name")), str):
            raise ValueError(f"Functional model config: each layer needs a name, received {str(data)[:200]}")
        name = data.get("name") or data["config"]["name"]
        if name in created:
            raise ValueError(f"Functional model config: two layers are named {name!r}")
        entry = {k: v for k, v in data.items() if k not in ("name", "inbound_nodes")}
        layer = deserialize_keras_object(entry, custom_objects)
        if not isinstance(layer, Layer):
            raise ValueError(f"Functional model config: {name!r} is a {type(layer).__name__}, not a layer")
        nodes = data.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise ValueError(f"Functional model config: inbound_nodes of {name!r} must be a list")
        created[name], pending[name] = layer, list(nodes)
        names.append(name)

    def tensor(name, node_index, tensor_index, outer=False):
        layer = created.get(name)
        if layer is None:
            raise ValueError(f"Functional model config refers to layer {name!r}, which it does not define")
        index = node_index - (1 if outer and _is_keras_functional(layer) else 0)
        if index < 0:
            raise ValueError(f"Functional model config: node {node_index} of {name!r} does not exist")
        if index >= len(layer._inbound_nodes):
            raise _NotYet
        outputs = layer._inbound_nodes[index].outputs
        if tensor_index >= len(outputs):
            raise ValueError(f"Functional model config: layer {name!r} has {len(outputs)} output(s), the config "
                             f"asks for output {tensor_index}")
        return outputs[tensor_index]

    def resolve(value):
        if isinstance(value, TensorReference):
            return tensor(value.layer_name, value.node_index, value.tensor_index)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    def call(layer, node):
        if isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            inputs, kwargs = [], {}
            for ref in node:
                if not isinstance(ref, list) or len(ref) not in (3, 4):
                    raise ValueError(f"Functional model config: invalid inbound node {str(node)[:200]}")
                inputs.append(tensor(*_reference(ref[:3])))
                kwargs = ref[3] if len(ref) == 4 and isinstance(ref[3], dict) else kwargs
            args = [inputs if len(inputs) > 1 else inputs[0]]
        elif isinstance(node, dict):
            args = resolve(deserialize_keras_object(node.get("args", []), custom_objects))
            kwargs = resolve(deserialize_keras_object(node.get("kwargs", {}), custom_objects))
            if not isinstance(args, list) or not args or not isinstance(kwargs, dict):
                raise ValueError(f"Functional model config: invalid inbound node {str(node)[:200]}")
        else:
            raise ValueError(f"Functional model config: invalid inbound node {str(node)[:200]}")
        first = args[0]
        if not (isinstance(first, KerasTensor) or (isinstance(first, list) and first
                                                    and all(isinstance(t, KerasTensor) for t in first))):
            raise ValueError(f"Functional model config: the call of {layer.name!r} has no tensor inputs")
        layer(first, *args[1:], **_call_kwargs(layer, kwargs))

    while any(pending.values()):
        progressed = False
        for name in names:
            while pending[name]:
                try:
                    call(created[name], pending[name][0])
                except _NotYet:
                    break
                pending[name].pop(0)
                progressed = True
        if not progressed:
            stuck = [n for n in names if pending[n]]
            raise ValueError(f"Functional model config: the calls of {stuck} depend on calls that never happen "
                             "(a loop or a missing layer)")

    def structure(value):
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            return tensor(*_reference(value), outer=True)
        if isinstance(value, list) and value:
            return [structure(v) for v in value]
        raise ValueError(f"Functional model config: invalid input/output reference {str(value)[:200]}")

    try:
        inputs, outputs = structure(config["input_layers"]), structure(config["output_layers"])
    except _NotYet:
        raise ValueError("Functional model config: an input or output refers to a call that never happens") from None
    # As Keras's Functional unpacks a single output (Keras 2 configs always write lists).
    inputs, outputs = (v[0] if isinstance(v, list) and len(v) == 1 else v for v in (inputs, outputs))
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _reference(ref):
    name, node_index, tensor_index = ref
    if not isinstance(name, str) or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0
                                            for i in (node_index, tensor_index)):
        raise ValueError(f"Functional model config: invalid tensor reference {ref!r}")
    return name, node_index, tensor_index


def _call_kwargs(layer, kwargs):
    """Keras's call arguments that striate's layer takes; ``None`` ones it does not take (``mask``) are
    dropped, others are an error."""
    params = inspect.signature(type(layer).call).parameters
    open_ended = any(p.kind is p.VAR_KEYWORD for p in params.values())
    out = {}
    for key, value in kwargs.items():
        if key in params or open_ended or key == "training":
            out[key] = value
        elif value is not None:
            raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) does not take the call argument "
                             f"{key}={value!r} that the config passes")
    return out


def _layer_entry(layer):
    """A layer's serialized config inside a model. The model's InputLayer holds the input shape, so the
    Keras 2 ``batch_input_shape`` of a first layer is left out (Keras 3 refuses it)."""
    entry = serialize_keras_object(layer)
    if isinstance(entry.get("config"), dict):
        entry["config"].pop("batch_input_shape", None)
    return entry


# -- Sequential ------------------------------------------------------------------------------
def sequential_config(model):
    """Keras 3's ``get_config()`` of a Sequential model."""
    layers = ([model._input_layer] if model._input_layer is not None else []) + list(model._stack)
    config = {"name": model.name, "trainable": model.trainable,
              "layers": [_layer_entry(layer) for layer in layers]}
    if model._input_layer is not None:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def sequential_from_config(cls, config, custom_objects=None):
    """Rebuild a Sequential model from Keras 3's (or Keras 2's) config."""
    custom_objects = current_custom_objects() if custom_objects is None else custom_objects
    if isinstance(config, list):
        config = {"layers": config}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("Sequential model config must be a dict with a 'layers' list")
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for data in config["layers"]:
        layer = deserialize_keras_object(data, custom_objects)
        if not isinstance(layer, Layer):
            raise ValueError(f"Sequential model config: an entry is a {type(layer).__name__}, not a layer")
        model.add(layer, rebuild=False)
    model._rebuild()
    shape = config.get("build_input_shape")
    if not model._functional and isinstance(shape, list) and shape and model._stack:
        model.build(tuple(shape))
    return model


# -- compile ---------------------------------------------------------------------------------
def compile_config(model):
    """Keras 3's ``compile_config``: the arguments ``compile()`` was given, serialized; ``None`` if not compiled."""
    if not getattr(model, "compiled", False):
        return None
    return {"optimizer": serialize_keras_object(model.optimizer),
            "loss": serialize_keras_object(model._loss_spec),
            "loss_weights": serialize_keras_object(model._loss_weights_spec),
            "metrics": serialize_keras_object(model._metrics_spec),
            "weighted_metrics": serialize_keras_object(model._weighted_metrics_spec),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def compile_from_config(model, config):
    """``model.compile(...)`` with the arguments in a compile config."""
    if not isinstance(config, dict):
        raise ValueError(f"compile_config must be a dict, received {type(config).__name__}")
    custom_objects = current_custom_objects()
    args = {key: deserialize_keras_object(config.get(key), custom_objects)
            for key in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")}
    if args["optimizer"] is None:
        args["optimizer"] = "rmsprop"
    model.compile(**args)
