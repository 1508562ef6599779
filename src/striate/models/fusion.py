"""Layer fusions: adjacent layers of a model computed as fewer, cheaper ops, planned once per graph.

Two fusions, for the lectures' two pooling blocks. The first, a ReLU followed by max pooling:

    Conv2D(..., activation="relu") -> MaxPooling2D      runs as   relu(max_pool(conv(x) + b))
    Activation("relu")             -> MaxPooling2D      runs as   relu(max_pool(x))

ReLU is monotonic and a max returns one of its inputs, so ``max_pool(relu(z)) == relu(max_pool(z))``
exactly, and the gradients are the same too: where the window's maximum is positive both route the
gradient to it, and where it is not, ReLU's zero gradient stops it either way. The fused order
does the ReLU (forward and backward) on the pooled quarter of the values, in the pool's own op
(``ops.pool.max_pool_relu``; with striate[fast], inside its one pass), and the pool never sees the
all-zero windows a ReLU leaves, whose ties cost the max pool's backward its slow path.

The second, a convolution followed by pooling whose blocks tile its output:

    Conv2D(..., activation=tanh, relu or none) -> AveragePooling2D   runs as one conv op (LeNet-5)
    Conv2D(..., activation=relu or none)       -> MaxPooling2D       runs as one conv op

where each thread pools its part of the convolution's output while it is still in cache (and
spreads the gradient back the same way), by the same array calls as the two ops apart; the max
pool takes the ReLU after it, as in the first fusion, and its blocks need not tile the output (the
Keras convnet's 11x11 into 5x5 blocks of 2x2, the last row and column left out, as Keras does).

The third, batch normalization followed by a ReLU (ResNets, VGG-style nets with batch normalization):

    BatchNormalization(axis=-1) -> Activation("relu") or ReLU()      runs as one op, in training and not

which takes the ReLU in the normalization's own output pass and, backward, passes the gradient through
it inside the normalization's gradient passes (``ops.normalization``: no pass and no array of its own).
And a residual addition followed by a ReLU:

    Add() of two inputs of one shape -> Activation("relu") or ReLU()   runs as ``ops.nn.AddReLU``

A pair is fused only when nothing else can see the first layer's output: the second layer is its only
consumer and it is not an output of the model. Only a plain Conv2D fuses: channels last, not grouped
(the fused conv op has no groups); only a plain ReLU: ``ReLU()`` with its default arguments.

Fusion is how a model runs, not what it is: its layers, weights, config and saved files are the same.
Each ``run`` takes ``(layer, x, training)``, as the layer's own call would.
"""
import functools

from striate import activations
from striate.layers.conv import Conv2D
from striate.layers.activations import ReLU
from striate.layers.core import Activation
from striate.layers.layer import _as_tensor
from striate.layers.merging import Add
from striate.layers.normalization import BatchNormalization
from striate.layers.pooling import AveragePooling2D, MaxPooling2D
from striate.ops.nn import AddReLU
from striate.ops.pool import max_pool_relu


def _fusable_conv(layer):
    """Whether ``layer`` is a Conv2D that ``Conv2D.conv_bias`` computes: channels last, one group."""
    return type(layer) is Conv2D and layer.data_format == "channels_last" and layer.groups == 1


def _ends_in_relu(layer):
    if type(layer) is Conv2D:
        return _fusable_conv(layer) and activations.fused_name(layer.activation) == "relu"
    return type(layer) is Activation and activations.fused_name(layer.activation) == "relu"


def _is_relu(layer):
    """Whether ``layer`` is a plain ReLU: ``Activation("relu")``, or ``ReLU()`` with its default arguments."""
    if type(layer) is ReLU:
        return layer.max_value is None and not layer.negative_slope and not layer.threshold
    return type(layer) is Activation and activations.fused_name(layer.activation) == "relu"


def _normalizes_last_axis(layer, shape):
    """Whether ``layer`` is a BatchNormalization over the last axis of its inputs (of symbolic ``shape``)."""
    return type(layer) is BatchNormalization and layer.axis in (-1, len(shape) - 1)


def _adds_two_alike(node):
    """Whether ``node`` is an Add of two inputs of one known shape (nothing to broadcast)."""
    shapes = [t.shape for t in node.inputs]
    return (type(node.layer) is Add and len(shapes) == 2 and shapes[0] == shapes[1]
            and None not in shapes[0][1:])


def _pools_in_blocks(conv, pool, shape, kind, activations_taken, tiling=True):
    """Whether ``pool`` (of type ``kind``) reduces side-by-side blocks of ``conv``'s output (of symbolic
    ``shape``) in one op, ``conv``'s activation being linear or one of ``activations_taken``; with
    ``tiling``, only blocks that tile the output (else the last rows or columns may be left out)."""
    return (_fusable_conv(conv)
            and (activations.fused_name(conv.activation) in activations_taken
                 or conv.activation is activations.linear)
            and type(pool) is kind and pool.data_format == "channels_last"
            and pool.pool_size == pool.strides and pool.padding == "valid"
            and all(n is not None and n >= p and (n % p == 0 or not tiling)
                    for n, p in zip(shape[1:3], pool.pool_size)))


def plan(nodes, outputs):
    """``{id(node): run}`` for the nodes that fuse: ``run(layer, x)`` computes that node in place of ``layer(x)``."""
    consumers = {}
    for node in nodes:
        for t in node.inputs:
            consumers.setdefault(id(t), []).append(node)
    model_outputs = {id(t) for t in outputs}
    runs = {}
    for node in nodes:
        if len(node.outputs) != 1 or node.kwargs:
            continue
        out = node.outputs[0]
        users = consumers.get(id(out), [])
        if id(out) in model_outputs or len(users) != 1 or users[0].kwargs:
            continue
        pool = users[0]
        if _pools_in_blocks(node.layer, pool.layer, out.shape, MaxPooling2D, ("relu",), tiling=False):
            runs[id(node)], runs[id(pool)] = functools.partial(conv_then_max_pool, pool=pool.layer), _pooled
        elif _ends_in_relu(node.layer) and type(pool.layer) is MaxPooling2D \
                and pool.layer.data_format == "channels_last":
            runs[id(node)], runs[id(pool)] = without_relu, pool_then_relu
        elif _pools_in_blocks(node.layer, pool.layer, out.shape, AveragePooling2D, ("relu", "tanh")):
            runs[id(node)], runs[id(pool)] = functools.partial(conv_then_average_pool, pool=pool.layer), _pooled
        elif _normalizes_last_axis(node.layer, out.shape) and _is_relu(pool.layer):
            runs[id(node)], runs[id(pool)] = batch_norm_then_relu, _relu_taken
        elif _adds_two_alike(node) and _is_relu(pool.layer):
            runs[id(node)], runs[id(pool)] = add_then_relu, _relu_taken
    return runs


def _input(layer, x):
    """``x`` as the Tensor ``layer`` would take, checked against its input spec."""
    x = _as_tensor(x, layer.dtype)
    layer._check_input_spec(x.shape)
    return x


def without_relu(layer, x, training=None):
    """``layer``'s output on ``x`` before its ReLU (one of the layers ``plan`` fuses)."""
    if isinstance(layer, Conv2D):
        return layer.conv_bias(_input(layer, x))
    return x


def pool_then_relu(layer, x, training=None):
    """The ReLU of fused MaxPooling2D ``layer``'s output on ``x``, in one op."""
    return max_pool_relu(_input(layer, x), layer.pool_size, layer.strides, layer.padding)


def conv_then_average_pool(layer, x, training=None, pool=None):
    """Conv2D ``layer``'s output on ``x``, averaged by AveragePooling2D ``pool``, in one op."""
    return layer.conv_bias(_input(layer, x), activations.fused_name(layer.activation), average_pool=pool.pool_size)


def conv_then_max_pool(layer, x, training=None, pool=None):
    """Conv2D ``layer``'s output on ``x``, max-pooled by MaxPooling2D ``pool`` (the ReLU after), in one op."""
    return layer.conv_bias(_input(layer, x), activations.fused_name(layer.activation), max_pool=pool.pool_size)


def _pooled(layer, x, training=None):
    """A fused pool's output: its input, which the convolution before it has already pooled."""
    return x


def batch_norm_then_relu(layer, x, training=None):
    """The ReLU of BatchNormalization ``layer``'s output on ``x``, in one op."""
    return layer.normalize(_input(layer, x), training, relu=True)


def add_then_relu(layer, xs, training=None):
    """The ReLU of Add ``layer``'s output on the two tensors ``xs``, in one op."""
    return AddReLU()(*(_as_tensor(x, layer.dtype) for x in xs))


def _relu_taken(layer, x, training=None):
    """A fused ReLU's output: its input, whose ReLU the layer before it has already taken."""
    return x
