"""Layer fusions: adjacent layers of a model computed as fewer, cheaper ops, planned once per graph.

One fusion so far, for the lectures' most common block, a ReLU followed by max pooling:

    Conv2D(..., activation="relu") -> MaxPooling2D      runs as   relu(max_pool(conv(x) + b))
    Activation("relu")             -> MaxPooling2D      runs as   relu(max_pool(x))

ReLU is monotonic and a max returns one of its inputs, so ``max_pool(relu(z)) == relu(max_pool(z))``
exactly, and the gradients are the same too: where the window's maximum is positive both route the
gradient to it, and where it is not, ReLU's zero gradient stops it either way. The fused order
does the ReLU (forward and backward) on the pooled quarter of the values, in the pool's own op
(``ops.pool.max_pool_relu``; with striate[fast], inside its one pass), and the pool never sees the
all-zero windows a ReLU leaves, whose ties cost the max pool's backward its slow path.

A pair is fused only when nothing else can see the ReLU's output: the pool is its only consumer
and it is not an output of the model.
"""
from striate import activations
from striate.layers.conv import Conv2D
from striate.layers.core import Activation
from striate.layers.layer import _as_tensor
from striate.layers.pooling import MaxPooling2D
from striate.ops.pool import max_pool_relu


def _ends_in_relu(layer):
    if type(layer) is Conv2D:
        return layer.data_format == "channels_last" and activations.fused_name(layer.activation) == "relu"
    return type(layer) is Activation and activations.fused_name(layer.activation) == "relu"


def plan(nodes, outputs):
    """``(before, after)``: ids of the nodes that leave out their ReLU and of the pools that apply it."""
    consumers = {}
    for node in nodes:
        for t in node.inputs:
            consumers.setdefault(id(t), []).append(node)
    model_outputs = {id(t) for t in outputs}
    before, after = set(), set()
    for node in nodes:
        if len(node.outputs) != 1 or node.kwargs or not _ends_in_relu(node.layer):
            continue
        out = node.outputs[0]
        users = consumers.get(id(out), [])
        if id(out) in model_outputs or len(users) != 1:
            continue
        pool = users[0]
        if type(pool.layer) is MaxPooling2D and pool.layer.data_format == "channels_last" and not pool.kwargs:
            before.add(id(node))
            after.add(id(pool))
    return before, after


def _input(layer, x):
    """``x`` as the Tensor ``layer`` would take, checked against its input spec."""
    x = _as_tensor(x, layer.dtype)
    layer._check_input_spec(x.shape)
    return x


def without_relu(layer, x):
    """``layer``'s output on ``x`` before its ReLU (one of the layers ``plan`` fuses)."""
    if isinstance(layer, Conv2D):
        return layer.conv_bias(_input(layer, x))
    return x


def pool_then_relu(layer, x):
    """The ReLU of fused MaxPooling2D ``layer``'s output on ``x``, in one op."""
    return max_pool_relu(_input(layer, x), layer.pool_size, layer.strides, layer.padding)
