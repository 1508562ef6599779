"""striate.ops: the differentiable operations, with the names and signatures of ``keras.ops``.

Every function accepts NumPy arrays, Python numbers or Tensors and returns a Tensor.
Use :func:`convert_to_numpy` to get a NumPy array back.

Example:
    >>> from striate import ops
    >>> y = ops.relu(ops.matmul(x, w) + b)
"""
from striate import backend
from striate.autodiff import Tensor
from striate.ops import linalg as _linalg
from striate.ops import math as _math
from striate.ops import reduce as _reduce
from striate.ops import shape as _shape
from striate.ops._base import data as _data
from striate.ops._base import tensor as _tensor


def convert_to_tensor(x, dtype=None):
    """Return ``x`` as a Tensor (of ``dtype`` when given)."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else cast(x, dtype)
    return Tensor._make(backend.asarray(x, dtype), None)


def convert_to_numpy(x):
    """Return ``x`` (a Tensor or array) as a NumPy array."""
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def cast(x, dtype):
    """Convert ``x`` to ``dtype``; the gradient flows back when both dtypes are floats."""
    return _math.Cast(dtype)(x)


# -- arithmetic ------------------------------------------------------------------------------
def add(x1, x2):
    return _math.Add()(x1, x2)


def subtract(x1, x2):
    return _math.Sub()(x1, x2)


def multiply(x1, x2):
    return _math.Mul()(x1, x2)


def divide(x1, x2):
    return _math.Div()(x1, x2)


true_divide = divide


def negative(x):
    return _math.Neg()(x)


def power(x1, x2):
    return _math.Pow()(x1, x2)


def square(x):
    return _math.Square()(x)


def sqrt(x):
    return _math.Sqrt()(x)


def exp(x):
    return _math.Exp()(x)


def log(x):
    return _math.Log()(x)


def abs(x):
    return _math.Abs()(x)


absolute = abs


def clip(x, x_min, x_max):
    return _math.Clip(x_min, x_max)(x)


def maximum(x1, x2):
    return _math.Maximum()(x1, x2)


def minimum(x1, x2):
    return _math.Minimum()(x1, x2)


def where(condition, x1=None, x2=None):
    """Elements of ``x1`` where ``condition`` holds, else of ``x2``; with one argument, the indices."""
    if x1 is None and x2 is None:
        return tuple(Tensor._make(i, None) for i in backend.xp().nonzero(_data(condition)))
    return _math.Where()(_data(condition).astype(bool), x1, x2)


# -- reductions ------------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False):
    return _reduce.Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return _reduce.Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False, initial=None):
    return _reduce.Max(axis, keepdims)(x)


def min(x, axis=None, keepdims=False, initial=None):
    return _reduce.Min(axis, keepdims)(x)


def argmax(x, axis=None, keepdims=False):
    return Tensor._make(backend.xp().argmax(_data(x), axis=axis, keepdims=keepdims), None)


def argmin(x, axis=None, keepdims=False):
    return Tensor._make(backend.xp().argmin(_data(x), axis=axis, keepdims=keepdims), None)


# -- linear algebra --------------------------------------------------------------------------
def matmul(x1, x2):
    return _linalg.MatMul()(x1, x2)


def dense(x, kernel, bias=None, activation=None):
    """``activation(x @ kernel + bias)`` as one fused op; ``x`` of any rank >= 2.

    Args:
        activation: ``None``, ``"relu"`` or ``"tanh"`` (the activations fused into the op).
    """
    if activation not in _linalg.FUSED_ACTIVATIONS:
        raise ValueError(f"dense: activation must be one of {_linalg.FUSED_ACTIVATIONS}, received {activation!r}")
    fn = _linalg.Linear(activation)
    return fn(x, kernel, bias) if bias is not None else fn(x, kernel)


# -- shapes ----------------------------------------------------------------------------------
def reshape(x, newshape):
    return _shape.Reshape(newshape)(x)


def transpose(x, axes=None):
    return _shape.Transpose(axes)(x)


def expand_dims(x, axis):
    x = _tensor(x)
    ax = axis % (x.ndim + 1)
    return reshape(x, x.shape[:ax] + (1,) + x.shape[ax:])


def squeeze(x, axis=None):
    x = _tensor(x)
    axes = {a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)} if axis is not None \
        else {i for i, n in enumerate(x.shape) if n == 1}
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def concatenate(xs, axis=0):
    return _shape.Concatenate(axis)(*xs)


def stack(x, axis=0):
    return _shape.Stack(axis)(*x)


def pad(x, pad_width, mode="constant", constant_values=None):
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is differentiable here, received mode={mode!r}")
    return _shape.Pad(pad_width, 0 if constant_values is None else constant_values)(x)


def take_slice(x, index):
    """``x[index]`` as an op (what ``Tensor.__getitem__`` calls)."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return _shape.GetItem(index)(x)


def one_hot(x, num_classes, axis=-1, dtype=None):
    """One-hot encode integer labels ``x`` into ``num_classes`` classes along ``axis``."""
    xp = backend.xp()
    labels = _data(x)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and bool(xp.all(labels == xp.round(labels))):
            labels = labels.astype("int64")
        else:
            raise TypeError(f"one_hot: expects integer labels, received dtype {labels.dtype}")
    out = (labels[..., None] == xp.arange(num_classes)).astype(dtype or backend.floatx())
    return Tensor._make(xp.moveaxis(out, -1, axis) if axis not in (-1, out.ndim - 1) else out, None)


# -- the Tensor's operators and methods ------------------------------------------------------
def _reflect(fn):
    return lambda self, other: fn(other, self)


def _compare(op):
    return lambda self, other: Tensor._make(op(self.data, _data(other)), None)


Tensor.__add__ = add
Tensor.__radd__ = _reflect(add)
Tensor.__sub__ = subtract
Tensor.__rsub__ = _reflect(subtract)
Tensor.__mul__ = multiply
Tensor.__rmul__ = _reflect(multiply)
Tensor.__truediv__ = divide
Tensor.__rtruediv__ = _reflect(divide)
Tensor.__pow__ = power
Tensor.__rpow__ = _reflect(power)
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = _reflect(matmul)
Tensor.__neg__ = negative
Tensor.__abs__ = abs
Tensor.__getitem__ = take_slice
Tensor.__lt__ = _compare(lambda a, b: a < b)
Tensor.__le__ = _compare(lambda a, b: a <= b)
Tensor.__gt__ = _compare(lambda a, b: a > b)
Tensor.__ge__ = _compare(lambda a, b: a >= b)
Tensor.__eq__ = _compare(lambda a, b: a == b)
Tensor.__ne__ = _compare(lambda a, b: a != b)
Tensor.__hash__ = object.__hash__
Tensor.sum = sum
Tensor.mean = mean
Tensor.max = max
Tensor.min = min
Tensor.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 else shape)
Tensor.transpose = lambda self, *axes: transpose(self, (axes[0] if len(axes) == 1 else axes) or None)
Tensor.T = property(lambda self: transpose(self))
Tensor.astype = cast

from striate.ops.nn import *  # noqa: E402,F401,F403  activations, losses, dropout, normalization
from striate.ops.conv import *  # noqa: E402,F401,F403  conv, depthwise_conv, conv_transpose
from striate.ops.pool import *  # noqa: E402,F401,F403  max_pool, average_pool
