"""Reaching inside a model: a layer's symbolic output, sub-models that end or start there, one image as a batch."""
import contextlib

import numpy as np

from striate import backend
from striate.models.model import Model


def image_node(caller, model, layer, default_last_4d=False):
    """The call of ``layer`` (a Layer or its name) in ``model``, whose output must be 4-D.

    With ``layer=None`` and ``default_last_4d``, the last layer call with a 4-D output.
    """
    if not getattr(model, "_functional", False) or not hasattr(model, "inputs"):
        raise ValueError(f"{caller} needs a model built on an input: model '{getattr(model, 'name', model)}' has none "
                         "yet; start it with keras.Input(shape=...) or call it once on data")
    if len(model.inputs) != 1:
        raise ValueError(f"{caller} needs a model with one input, model '{model.name}' has {len(model.inputs)}")
    nodes = model._nodes
    if layer is None and default_last_4d:
        found = [n for n in nodes if n.outputs[0].ndim == 4]
        if not found:
            raise ValueError(f"{caller}: model '{model.name}' has no layer with a 4-D output "
                             "(batch, height, width, channels)")
        return found[-1]
    node = next((n for n in nodes if n.layer is layer or (isinstance(layer, str) and n.layer.name == layer)), None)
    if node is None:
        name = layer if isinstance(layer, str) else getattr(layer, "name", layer)
        raise ValueError(f"{caller}: model '{model.name}' has no layer {name!r}; its layers: "
                         f"{', '.join(n.layer.name for n in nodes)}")
    if node.outputs[0].ndim != 4:
        raise ValueError(f"{caller}: layer '{node.layer.name}' must have a 4-D output (batch, height, width, "
                         f"channels), its output has shape {node.outputs[0].shape}")
    return node


def output_model(model, node):
    """The sub-model from ``model``'s input to ``node``'s output."""
    return Model(model.inputs[0], node.outputs[0], name=f"{model.name}_to_{node.layer.name}")


def head_model(caller, model, node):
    """The sub-model from ``[model's input, node's output]`` to the model's output: fed a replacement for
    that layer's output, it computes the prediction from there (other paths from the input still run)."""
    if len(model.outputs) != 1:
        raise ValueError(f"{caller} needs a model with one output, model '{model.name}' has {len(model.outputs)}")
    return Model([model.inputs[0], node.outputs[0]], model.outputs[0], name=f"{model.name}_from_{node.layer.name}")


def channels_first(node):
    """Whether ``node``'s layer puts channels before height and width."""
    return getattr(node.layer, "data_format", "channels_last") == "channels_first"


def image_batch(caller, model, image):
    """``image`` (one example, with or without a batch axis of 1) as a batch of one, in the backend's floats."""
    x = np.asarray(image)
    expected = tuple(model.inputs[0].shape)
    if x.ndim == len(expected) - 1:
        x = x[None]
    if x.ndim != len(expected) or x.shape[0] != 1 or any(e is not None and e != n
                                                         for e, n in zip(expected[1:], x.shape[1:])):
        raise ValueError(f"{caller}: image must be one example of shape {expected[1:]} (or {(1,) + expected[1:]}) "
                         f"for model '{model.name}', received shape {np.shape(image)}")
    return backend.asarray(x.astype(backend.floatx(), copy=False))


@contextlib.contextmanager
def frozen_weights(model):
    """Inside the block no op records a gradient for ``model``'s weights: a gradient with respect to an
    input or activation then costs no weight gradients and leaves no ``.grad`` behind for training to add."""
    weights = [(v, v.requires_grad) for v in model.weights]
    for v, _ in weights:
        v.requires_grad = False
    try:
        yield
    finally:
        for v, flag in weights:
            v.requires_grad = flag
