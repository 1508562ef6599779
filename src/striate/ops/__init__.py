"""striate.ops: the differentiable operations, with the names and signatures of ``keras.ops``.

Every function accepts NumPy arrays, Python numbers or Tensors and returns a Tensor.
Use :func:`convert_to_numpy` to get a NumPy array back.

Example:
    >>> import striate as keras
    >>> x = keras.ops.ones((2, 3))
    >>> keras.ops.relu(keras.ops.matmul(x, keras.ops.eye(3)) - 0.5)
    Tensor(array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]], dtype=float32))
"""
import builtins as _builtins

from striate import backend
from striate.autodiff import Tensor
from striate.ops import linalg as _linalg
from striate.ops import math as _math
from striate.ops import predicates as _predicates
from striate.ops import reduce as _reduce
from striate.ops import shape as _shape
from striate.ops._base import data as _data
from striate.ops._base import normalize_axis as _normalize_axis
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


def is_tensor(x):
    """Whether ``x`` is a striate Tensor (a Variable included).

    Args:
        x: anything.

    Returns:
        A bool.

    Example:
        >>> import striate as keras
        >>> keras.ops.is_tensor(keras.ops.ones(2)), keras.ops.is_tensor([1.0])
        (True, False)
    """
    return isinstance(x, Tensor)


def ndim(x):
    """The number of axes of ``x``.

    Args:
        x: a tensor or array-like.

    Returns:
        An int.

    Example:
        >>> import striate as keras
        >>> keras.ops.ndim(keras.ops.zeros((2, 3)))
        2
    """
    return _data(x).ndim


def size(x):
    """The number of entries of ``x``.

    Args:
        x: a tensor or array-like.

    Returns:
        An int.

    Example:
        >>> import striate as keras
        >>> keras.ops.size(keras.ops.zeros((2, 3)))
        6
    """
    return int(_data(x).size)


def dtype(x):
    """The dtype of ``x`` as Keras names it (``'float32'``, ``'int32'``, ``'bool'``, ...).

    Args:
        x: a tensor or array-like.

    Returns:
        A str.

    Example:
        >>> import striate as keras
        >>> keras.ops.dtype(keras.ops.ones(2))
        'float32'
    """
    return _data(x).dtype.name


def stop_gradient(variable):
    """``variable``'s value with no history: gradients do not flow back through it.

    Args:
        variable: a tensor.

    Returns:
        A Tensor with the same values (no gradient).

    Example:
        >>> import striate as keras
        >>> x = keras.Variable([1.0, 2.0])
        >>> keras.ops.stop_gradient(x * 2).requires_grad
        False
    """
    return _constant(_data(variable))


def _as_float(x):
    """``x`` as a Tensor of a float dtype: integers and bools become ``floatx()``, as in Keras."""
    x = _tensor(x)
    return x if x.dtype.kind == "f" else cast(x, backend.floatx())


def _constant(a):
    """A result without gradient: comparisons, rounding, indices."""
    return Tensor._make(a, None)


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


def mod(x1, x2):
    """The remainder of ``x1 / x2`` with the sign of ``x2`` (Python's ``%``), element-wise.

    Args:
        x1, x2: tensors that broadcast together.

    Returns:
        A Tensor, differentiable with respect to both.

    Example:
        >>> import striate as keras
        >>> keras.ops.mod([5.0, -5.0], 3.0)
        Tensor(array([2., 1.], dtype=float32))
    """
    return _math.Mod()(x1, x2)


def floor_divide(x1, x2):
    """``floor(x1 / x2)``, element-wise (Python's ``//``).

    Args:
        x1, x2: tensors that broadcast together.

    Returns:
        A Tensor (no gradient: it is piecewise constant).

    Example:
        >>> import striate as keras
        >>> keras.ops.floor_divide([5, -5], 2)
        Tensor(array([ 2, -3]))
    """
    return _constant(backend.xp().floor_divide(_data(x1), _math_input(x2)))


def _math_input(x):
    """A second operand as the array module takes it: Python numbers stay weak (int32 // 2 stays int32)."""
    return x if isinstance(x, (int, float)) else _data(x)


def divide_no_nan(x1, x2):
    """``x1 / x2``, with 0 wherever ``x2`` is 0.

    Args:
        x1, x2: tensors that broadcast together.

    Returns:
        A Tensor, differentiable with respect to both (0 where ``x2`` is 0).

    Example:
        >>> import striate as keras
        >>> keras.ops.divide_no_nan([1.0, 2.0], [2.0, 0.0])
        Tensor(array([0.5, 0. ], dtype=float32))
    """
    zero = _data(x2) == 0
    return where(zero, 0.0, divide(x1, where(zero, 1.0, x2)))


def arctan2(x1, x2):
    """The angle of the point ``(x2, x1)``, in radians in ``[-pi, pi]``, element-wise.

    Args:
        x1: y coordinates.
        x2: x coordinates; broadcasts with ``x1``.

    Returns:
        A Tensor, differentiable with respect to both.

    Example:
        >>> import striate as keras
        >>> keras.ops.arctan2([1.0, 0.0], [0.0, -1.0])
        Tensor(array([1.5708, 3.1416], dtype=float32))
    """
    return _math.Arctan2()(_as_float(x1), _as_float(x2))


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))``, computed without overflow.

    Args:
        x1, x2: tensors that broadcast together.

    Returns:
        A Tensor, differentiable with respect to both.

    Example:
        >>> import striate as keras
        >>> keras.ops.logaddexp([0.0, 1.0], [0.0, 1.0])
        Tensor(array([0.6931, 1.6931], dtype=float32))
    """
    return _math.LogAddExp()(_as_float(x1), _as_float(x2))


def _unary(name, summary, example, result):
    """The keras.ops function of the element-wise op ``_math.UNARY[name]`` (integers become floats)."""
    def fn(x):
        return _math.Elementwise(name)(_as_float(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Args:
        x: input tensor; integers are cast to ``floatx()``.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.{name}({example})
        Tensor({result})
    """
    return fn


sin = _unary("sin", "Sine (of radians), element-wise.", "[0.0, 0.5]", "array([0.    , 0.4794], dtype=float32)")
cos = _unary("cos", "Cosine (of radians), element-wise.", "[0.0, 0.5]", "array([1.    , 0.8776], dtype=float32)")
tan = _unary("tan", "Tangent (of radians), element-wise.", "[0.0, 0.5]", "array([0.    , 0.5463], dtype=float32)")
arcsin = _unary("arcsin", "Inverse sine, element-wise.", "[0.0, 0.5]", "array([0.    , 0.5236], dtype=float32)")
arccos = _unary("arccos", "Inverse cosine, element-wise.", "[0.0, 0.5]", "array([1.5708, 1.0472], dtype=float32)")
arctan = _unary("arctan", "Inverse tangent, element-wise.", "[0.0, 0.5]", "array([0.    , 0.4636], dtype=float32)")
sinh = _unary("sinh", "Hyperbolic sine, element-wise.", "[0.0, 0.5]", "array([0.    , 0.5211], dtype=float32)")
cosh = _unary("cosh", "Hyperbolic cosine, element-wise.", "[0.0, 0.5]", "array([1.    , 1.1276], dtype=float32)")
arcsinh = _unary("arcsinh", "Inverse hyperbolic sine, element-wise.", "[0.0, 0.5]",
                 "array([0.    , 0.4812], dtype=float32)")
arccosh = _unary("arccosh", "Inverse hyperbolic cosine, element-wise (``x >= 1``).", "[1.0, 2.0]",
                 "array([0.   , 1.317], dtype=float32)")
arctanh = _unary("arctanh", "Inverse hyperbolic tangent, element-wise (``|x| < 1``).", "[0.0, 0.5]",
                 "array([0.    , 0.5493], dtype=float32)")
log1p = _unary("log1p", "``log(1 + x)``, accurate for small ``x``.", "[0.0, 1.0]",
               "array([0.    , 0.6931], dtype=float32)")
expm1 = _unary("expm1", "``exp(x) - 1``, accurate for small ``x``.", "[0.0, 1.0]",
               "array([0.    , 1.7183], dtype=float32)")
log2 = _unary("log2", "Base-2 logarithm, element-wise.", "[1.0, 8.0]", "array([0., 3.], dtype=float32)")
log10 = _unary("log10", "Base-10 logarithm, element-wise.", "[1.0, 100.0]", "array([0., 2.], dtype=float32)")
exp2 = _unary("exp2", "``2 ** x``, element-wise.", "[0.0, 3.0]", "array([1., 8.], dtype=float32)")
reciprocal = _unary("reciprocal", "``1 / x``, element-wise.", "[1.0, 4.0]", "array([1.  , 0.25], dtype=float32)")
rsqrt = _unary("rsqrt", "``1 / sqrt(x)``, element-wise.", "[1.0, 4.0]", "array([1. , 0.5], dtype=float32)")
cbrt = _unary("cbrt", "Cube root, element-wise (negative inputs included).", "[8.0, -27.0]",
              "array([ 2., -3.], dtype=float32)")


def _rounding(name, summary, example, result):
    """The keras.ops function rounding element-wise with the array module's ``name``, without gradient
    (piecewise constant). As in Keras, ``floor`` and ``ceil`` turn integers into ``floatx()``, while
    ``sign`` and ``trunc`` keep their dtype."""
    def fn(x):
        a = _data(x)
        if a.dtype.kind in "iub" and name in ("floor", "ceil"):
            a = a.astype(backend.floatx())
        return _constant(getattr(backend.xp(), name)(a))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{summary}

    Args:
        x: input tensor.

    Returns:
        A Tensor of ``x``'s shape (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.{name}({example})
        {result}
    """
    return fn


_ROUNDED = "[-1.5, -0.2, 0.0, 0.7]"
sign = _rounding("sign", "-1, 0 or 1 as ``x`` is negative, zero or positive.", _ROUNDED,
                 "Tensor(array([-1., -1.,  0.,  1.], dtype=float32))")
floor = _rounding("floor", "The largest integer at most ``x``, element-wise.", _ROUNDED,
                  "Tensor(array([-2., -1.,  0.,  0.], dtype=float32))")
ceil = _rounding("ceil", "The smallest integer at least ``x``, element-wise.", _ROUNDED,
                 "Tensor(array([-1., -0.,  0.,  1.], dtype=float32))")
trunc = _rounding("trunc", "``x`` with its fractional part dropped (rounded towards zero).", _ROUNDED,
                  "Tensor(array([-1., -0.,  0.,  0.], dtype=float32))")


def round(x, decimals=0):
    """``x`` rounded to ``decimals`` decimals, halves to even (as NumPy and Keras).

    Args:
        x: input tensor.
        decimals: how many decimals to keep (negative: round to tens, hundreds, ...).

    Returns:
        A Tensor of ``x``'s shape (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.round([0.5, 1.5, 2.25], decimals=1)
        Tensor(array([0.5, 1.5, 2.2], dtype=float32))
    """
    return _constant(backend.xp().round(_data(x), decimals=decimals))


# -- reductions ------------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False):
    return _reduce.Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return _reduce.Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False, initial=None):
    return _reduce.Max(axis, keepdims)(x)


def min(x, axis=None, keepdims=False, initial=None):
    return _reduce.Min(axis, keepdims)(x)


amax = max
amin = min


def argmax(x, axis=None, keepdims=False):
    """The index of the largest entry along ``axis`` (the first one where several tie).

    Args:
        x: input tensor.
        axis: an axis, or ``None`` for the index into the flattened input.
        keepdims: keep the reduced axis with size 1.

    Returns:
        An int32 Tensor (Keras's dtype), no gradient.

    Example:
        >>> import striate as keras
        >>> keras.ops.argmax([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], axis=1)
        Tensor(array([1, 0], dtype=int32))
    """
    return _constant(backend.xp().argmax(_data(x), axis=axis, keepdims=keepdims).astype("int32"))


def argmin(x, axis=None, keepdims=False):
    """The index of the smallest entry along ``axis`` (the first one where several tie).

    Args:
        x: input tensor.
        axis: an axis, or ``None`` for the index into the flattened input.
        keepdims: keep the reduced axis with size 1.

    Returns:
        An int32 Tensor (Keras's dtype), no gradient.

    Example:
        >>> import striate as keras
        >>> keras.ops.argmin([[1.0, 3.0, 0.0], [2.0, 0.0, 1.0]], axis=1)
        Tensor(array([2, 1], dtype=int32))
    """
    return _constant(backend.xp().argmin(_data(x), axis=axis, keepdims=keepdims).astype("int32"))


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product of the entries over ``axis``.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.
        dtype: cast ``x`` to this first.

    Returns:
        A Tensor, differentiable (exactly so where some entries are 0).

    Example:
        >>> import striate as keras
        >>> keras.ops.prod([[1.0, 2.0], [3.0, 4.0]], axis=1)
        Tensor(array([ 2., 12.], dtype=float32))
    """
    return _reduce.Prod(axis, keepdims)(_tensor(x) if dtype is None else cast(x, dtype))


def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis``.

    Args:
        x: input tensor.
        axis: the axis; ``None`` runs over the flattened input.
        dtype: cast ``x`` to this first (bools become int32, as in Keras).

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.cumsum([1.0, 2.0, 3.0])
        Tensor(array([1., 3., 6.], dtype=float32))
    """
    return _reduce.CumSum(axis)(_running_input(x, dtype))


def cumprod(x, axis=None, dtype=None):
    """Running products along ``axis``.

    Args:
        x: input tensor.
        axis: the axis; ``None`` runs over the flattened input.
        dtype: cast ``x`` to this first (bools become int32, as in Keras).

    Returns:
        A Tensor, differentiable (exactly so where some entries are 0).

    Example:
        >>> import striate as keras
        >>> keras.ops.cumprod([1.0, 2.0, 3.0])
        Tensor(array([1., 2., 6.], dtype=float32))
    """
    return _reduce.CumProd(axis)(_running_input(x, dtype))


def _running_input(x, dtype):
    x = _tensor(x)
    dtype = dtype or ("int32" if x.dtype.kind == "b" else None)
    return x if dtype is None else cast(x, dtype)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A Tensor, differentiable (its gradient is the softmax of ``x``).

    Example:
        >>> import striate as keras
        >>> keras.ops.logsumexp([0.0, 0.0])
        Tensor(array(0.6931, dtype=float32))
    """
    return _reduce.LogSumExp(axis, keepdims)(_as_float(x))


def var(x, axis=None, keepdims=False):
    """The (population) variance over ``axis``: the mean of the squared deviations from the mean.

    Args:
        x: input tensor; integers are cast to ``floatx()``.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.var([1.0, 2.0, 3.0, 4.0])
        Tensor(array(1.25, dtype=float32))
    """
    x = _as_float(x)
    return mean(square(subtract(x, mean(x, axis, keepdims=True))), axis, keepdims)


def std(x, axis=None, keepdims=False):
    """The (population) standard deviation over ``axis``, ``sqrt(var(x))``.

    Args:
        x: input tensor; integers are cast to ``floatx()``.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A Tensor, differentiable where the deviation is not 0.

    Example:
        >>> import striate as keras
        >>> keras.ops.std([1.0, 3.0])
        Tensor(array(1., dtype=float32))
    """
    return sqrt(var(x, axis, keepdims))


def average(x, axis=None, weights=None):
    """The weighted mean over ``axis``: ``sum(x * weights) / sum(weights)``.

    Args:
        x: input tensor.
        axis: an axis, or ``None`` for all.
        weights: ``None`` (the plain mean), weights of ``x``'s shape, or 1-D weights along ``axis``.

    Returns:
        A Tensor, differentiable with respect to ``x`` and ``weights``.

    Example:
        >>> import striate as keras
        >>> keras.ops.average([1.0, 2.0, 4.0], weights=[1.0, 1.0, 2.0])
        Tensor(array(2.75, dtype=float32))
    """
    x = _as_float(x)
    if weights is None:
        return mean(x, axis)
    w = _as_float(weights)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1 or len(w) != x.shape[axis]:
            raise ValueError(f"average: weights of shape {w.shape} fit neither x's shape {x.shape} nor its axis "
                             f"{axis} (1-D weights need an axis, and its size)")
        w = reshape(w, tuple(n if i == axis % x.ndim else 1 for i, n in enumerate(x.shape)))
    return divide(sum(multiply(x, w), axis), sum(broadcast_to(w, x.shape), axis))


def norm(x, ord=None, axis=None, keepdims=False):
    """A vector or matrix norm, as ``numpy.linalg.norm``.

    Over one axis (or a 1-D input) a vector norm: ``ord`` None or 2 (Euclidean), 1, ``inf``, ``-inf``,
    0 (the count of nonzeros) or any other power ``p``: ``sum(|x|^p)^(1/p)``. Over two axes (or a 2-D
    input) a matrix norm: None or ``'fro'`` (Frobenius), 1 and -1 (largest/smallest column sum of
    ``|x|``), ``inf`` and ``-inf`` (row sums). ``axis=None`` with ``ord=None`` is the 2-norm of all
    entries, whatever the rank.

    Args:
        x: input tensor; integers are cast to ``floatx()``.
        ord: the norm's order.
        axis: ``None``, an axis, or a pair of axes (a matrix norm).
        keepdims: keep the reduced axes with size 1.

    Returns:
        A Tensor, differentiable (the 2-norm's gradient is taken as 0 where the norm is 0).

    Example:
        >>> import striate as keras
        >>> keras.ops.norm([[3.0, 4.0], [6.0, 8.0]], axis=1)
        Tensor(array([ 5., 10.], dtype=float32))
    """
    x = _as_float(x)
    if axis is None and ord is None:
        return _reduce.L2Norm(None, keepdims)(x)
    if axis is None:
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: with ord={ord!r} and axis=None the input must be 1-D or 2-D, received "
                             f"shape {x.shape}; pass axis")
        axis = tuple(range(x.ndim))
    axes = _normalize_axis(axis, x.ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must be one axis or two different axes, received {axis!r}")


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _reduce.L2Norm(axis, keepdims)(x)
    if ord == float("inf"):
        return max(abs(x), axis, keepdims)
    if ord == float("-inf"):
        return min(abs(x), axis, keepdims)
    if ord == 0:
        return _constant((x.data != 0).sum(axis=axis, keepdims=keepdims).astype(x.dtype))
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; over one axis ord must be a number")
    return power(sum(power(abs(x), ord), axis, keepdims), 1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims):
    if ord is None or ord == "fro":
        return _reduce.L2Norm(axes, keepdims)(x)
    if ord not in (1, -1, float("inf"), float("-inf")):
        raise ValueError(f"norm: matrix norm ord={ord!r} is not supported (need singular values); use None, "
                         "'fro', 1, -1, inf or -inf")
    summed, over = (axes[0], axes[1]) if ord in (1, -1) else (axes[1], axes[0])  # columns, or rows
    sums = sum(abs(x), summed, keepdims=True)
    y = (max if ord > 0 else min)(sums, over, keepdims=True)
    return y if keepdims else reshape(y, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def ptp(x, axis=None, keepdims=False):
    """The range of the values, ``max - min``, over ``axis``.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.ptp([[1.0, 5.0], [2.0, 2.0]], axis=1)
        Tensor(array([4., 0.], dtype=float32))
    """
    x = _tensor(x)
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def diff(a, n=1, axis=-1):
    """Differences of neighbours along ``axis``, ``a[i + 1] - a[i]``, taken ``n`` times.

    Args:
        a: input tensor.
        n: how many times.
        axis: the axis.

    Returns:
        A Tensor with ``axis`` ``n`` shorter, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.diff([1.0, 4.0, 9.0, 16.0])
        Tensor(array([3., 5., 7.], dtype=float32))
    """
    a = _tensor(a)
    ax = axis % a.ndim
    for _ in range(n):
        a = subtract(take_slice(a, _shape.at_axis(ax, _builtins.slice(1, None))),
                     take_slice(a, _shape.at_axis(ax, _builtins.slice(None, -1))))
    return a


def nonzero(x):
    """The indices of the nonzero entries, one array per axis (``x[nonzero(x)]`` picks them).

    Args:
        x: input tensor.

    Returns:
        A tuple of int32 Tensors (Keras's dtype), no gradient.

    Example:
        >>> import striate as keras
        >>> keras.ops.nonzero([[0, 3], [4, 0]])
        (Tensor(array([0, 1], dtype=int32)), Tensor(array([1, 0], dtype=int32)))
    """
    return tuple(_constant(i.astype("int32")) for i in backend.xp().nonzero(_data(x)))


def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (ties keep their order).

    Args:
        x: input tensor.
        axis: the axis; ``None`` sorts the flattened input.

    Returns:
        An int32 Tensor (Keras's dtype), no gradient.

    Example:
        >>> import striate as keras
        >>> keras.ops.argsort([3.0, 1.0, 2.0])
        Tensor(array([1, 2, 0], dtype=int32))
    """
    a = _data(x)
    a = a.reshape(-1) if axis is None else a
    return _constant(backend.xp().argsort(a, axis=-1 if axis is None else axis, kind="stable").astype("int32"))


def sort(x, axis=-1):
    """``x`` sorted in increasing order along ``axis``.

    Args:
        x: input tensor.
        axis: the axis; ``None`` sorts the flattened input.

    Returns:
        A Tensor, differentiable (the gradient goes back to where each value came from).

    Example:
        >>> import striate as keras
        >>> keras.ops.sort([[3.0, 1.0, 2.0]])
        Tensor(array([[1., 2., 3.]], dtype=float32))
    """
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), -1
    return take_along_axis(x, argsort(x, axis), axis)


def top_k(x, k, sorted=True):
    """The ``k`` largest entries along the last axis, and their indices.

    Args:
        x: input tensor.
        k: how many.
        sorted: accepted for Keras; the entries always come largest first, ties by lower index.

    Returns:
        ``(values, indices)``: values differentiable, indices int32 (no gradient), both with a last axis
        of size ``k``.

    Example:
        >>> import striate as keras
        >>> values, indices = keras.ops.top_k([1.0, 3.0, 2.0, 3.0], k=2)
        >>> values, indices
        (Tensor(array([3., 3.], dtype=float32)), Tensor(array([1, 3], dtype=int32)))
    """
    x = _tensor(x)
    if not 0 <= k <= (x.shape[-1] if x.ndim else 0):
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1] if x.ndim else 0}] for an input of shape "
                         f"{x.shape}, received k={k}")
    a = x.data
    keys = -a.astype("int64") if a.dtype.kind in "ub" else -a  # descending by a stable ascending sort
    indices = _constant(backend.xp().argsort(keys, axis=-1, kind="stable")[..., :k].astype("int32"))
    return take_along_axis(x, indices, -1), indices


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


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation: products of the operands summed over the letters the output leaves out.

    Args:
        subscripts: e.g. ``"bij,bjk->bik"``; ``...`` stands for broadcast axes, and without ``->``
            the output is NumPy's implicit one.
        *operands: the tensors, one per comma-separated term.
        **kwargs: accepted for Keras (``optimize``); the path is chosen by the array module.

    Returns:
        A Tensor, differentiable with respect to every operand (except through a letter repeated
        within one term, a diagonal: use :func:`diagonal` there).

    Example:
        >>> import striate as keras
        >>> keras.ops.einsum("ij,j->i", [[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0])
        Tensor(array([3., 7.], dtype=float32))
    """
    xs = [_tensor(x) for x in operands]
    terms, output = _shape.einsum_terms(subscripts, [x.shape for x in xs])
    return _shape.Einsum(terms, output)(*xs)


def tensordot(x1, x2, axes=2):
    """Sum the products of ``x1`` and ``x2`` over the given axes.

    Args:
        x1, x2: tensors.
        axes: an int ``n`` (the last ``n`` axes of ``x1`` with the first ``n`` of ``x2``), or a pair of
            axis lists ``([axes of x1], [axes of x2])``.

    Returns:
        A Tensor with the remaining axes of ``x1``, then those of ``x2``; differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.tensordot(keras.ops.ones((2, 3, 4)), keras.ops.ones((3, 4, 5))).shape
        (2, 5)
    """
    x1, x2 = _tensor(x1), _tensor(x2)
    if isinstance(axes, int):
        a1, a2 = list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    else:
        a1, a2 = ([a] if isinstance(a, int) else list(a) for a in axes)
    a1, a2 = list(_normalize_axis(a1, x1.ndim)), list(_normalize_axis(a2, x2.ndim))
    if len(a1) != len(a2) or _builtins.any(x1.shape[i] != x2.shape[j] for i, j in zip(a1, a2)):
        raise ValueError(f"tensordot: axes {a1} of shape {x1.shape} and {a2} of shape {x2.shape} must pair up "
                         "with equal sizes")
    letters = _shape._LETTERS
    t1 = letters[:x1.ndim]
    free = iter(letters[x1.ndim:])
    t2 = "".join(t1[a1[a2.index(j)]] if j in a2 else next(free) for j in range(x2.ndim))
    out = "".join(c for i, c in enumerate(t1) if i not in a1) + "".join(c for j, c in enumerate(t2) if j not in a2)
    return _shape.Einsum([t1, t2], out)(x1, x2)


def dot(x1, x2):
    """NumPy's dot product: scalars multiply, vectors and matrices multiply as matrices, and otherwise
    the last axis of ``x1`` meets the second-to-last of ``x2``.

    Args:
        x1, x2: tensors.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.dot([1.0, 2.0], [3.0, 4.0])
        Tensor(array(11., dtype=float32))
    """
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    if x1.ndim <= 2 and x2.ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, ([-1], [-2 if x2.ndim > 1 else -1]))


def inner(x1, x2):
    """Sum of products over the last axes of ``x1`` and ``x2`` (scalars multiply).

    Args:
        x1, x2: tensors with equal last axes.

    Returns:
        A Tensor with the other axes of ``x1``, then those of ``x2``; differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.inner([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0])
        Tensor(array([3., 7.], dtype=float32))
    """
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, ([-1], [-1]))


def outer(x1, x2):
    """Every product of an entry of ``x1`` with one of ``x2`` (both flattened).

    Args:
        x1, x2: tensors.

    Returns:
        A Tensor of shape ``(x1.size, x2.size)``, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.outer([1.0, 2.0], [1.0, 10.0])
        Tensor(array([[ 1., 10.],
               [ 2., 20.]], dtype=float32))
    """
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def vdot(x1, x2):
    """The sum of the products of ``x1`` and ``x2``, both flattened.

    Args:
        x1, x2: tensors with the same number of entries.

    Returns:
        A 0-d Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.vdot([[1.0, 2.0]], [[3.0], [4.0]])
        Tensor(array(11., dtype=float32))
    """
    return sum(multiply(reshape(x1, (-1,)), reshape(x2, (-1,))))


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal (see :func:`diagonal`).

    Args:
        x: a tensor of rank 2 or more.
        offset: the diagonal: 0 the main one, positive above, negative below.
        axis1, axis2: the two axes the diagonal runs across.

    Returns:
        A Tensor of the other axes, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.trace([[1.0, 2.0], [3.0, 4.0]])
        Tensor(array(5., dtype=float32))
    """
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


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


def broadcast_to(x, shape):
    """``x`` repeated along new leading axes and along its axes of size 1 to fill ``shape``.

    Args:
        x: input tensor.
        shape: the target shape (NumPy's broadcasting rules).

    Returns:
        A Tensor of ``shape``, differentiable (the gradient sums over the repeats).

    Example:
        >>> import striate as keras
        >>> keras.ops.broadcast_to([1.0, 2.0], (2, 2))
        Tensor(array([[1., 2.],
               [1., 2.]], dtype=float32))
    """
    return _shape.BroadcastTo(shape)(x)


def ravel(x):
    """``x`` flattened to one axis.

    Args:
        x: input tensor.

    Returns:
        A 1-D Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.ravel([[1.0, 2.0], [3.0, 4.0]])
        Tensor(array([1., 2., 3., 4.], dtype=float32))
    """
    return reshape(x, (-1,))


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged.

    Args:
        x: input tensor.
        axis1, axis2: the axes.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.swapaxes(keras.ops.zeros((2, 3, 4)), 0, 2).shape
        (4, 3, 2)
    """
    x = _tensor(x)
    perm = list(range(x.ndim))
    a, b = _normalize_axis((axis1, axis2), x.ndim)
    perm[a], perm[b] = b, a
    return transpose(x, perm)


def moveaxis(x, source, destination):
    """``x`` with axes moved to new positions, the others keeping their order.

    Args:
        x: input tensor.
        source: an axis or a sequence of axes.
        destination: where each goes.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.moveaxis(keras.ops.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    x = _tensor(x)
    src, dst = _normalize_axis(source, x.ndim), _normalize_axis(destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must name as many axes")
    perm = [i for i in range(x.ndim) if i not in src]
    for d, a in sorted(zip(dst, src)):
        perm.insert(d, a)
    return transpose(x, perm)


def flip(x, axis=None):
    """``x`` with the order of its entries reversed along ``axis``.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.flip([[1.0, 2.0], [3.0, 4.0]], axis=1)
        Tensor(array([[2., 1.],
               [4., 3.]], dtype=float32))
    """
    x = _tensor(x)
    axes = _normalize_axis(axis, x.ndim)
    return take_slice(x, tuple(_builtins.slice(None, None, -1 if i in axes else None) for i in range(x.ndim)))


def fliplr(x):
    """``x`` reversed along axis 1 (an image's columns: a horizontal mirror).

    Args:
        x: a tensor of rank 2 or more.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.fliplr([[1.0, 2.0]])
        Tensor(array([[2., 1.]], dtype=float32))
    """
    return flip(x, 1)


def flipud(x):
    """``x`` reversed along axis 0 (rows: a vertical mirror).

    Args:
        x: a tensor of rank 1 or more.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.flipud([[1.0], [2.0]])
        Tensor(array([[2.],
               [1.]], dtype=float32))
    """
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times, from the first of ``axes`` towards the second.

    Args:
        array: a tensor of rank 2 or more.
        k: how many quarter turns (negative: the other way).
        axes: the plane of the rotation.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.rot90([[1.0, 2.0], [3.0, 4.0]])
        Tensor(array([[2., 4.],
               [1., 3.]], dtype=float32))
    """
    x = _tensor(array)
    a0, a1 = _normalize_axis(axes, x.ndim)
    if x.ndim < 2 or a0 == a1:
        raise ValueError(f"rot90: needs two different axes of a tensor of rank 2 or more, received axes {axes} "
                         f"and shape {x.shape}")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(x, (a0, a1))
    return flip(swapaxes(x, a0, a1), a1) if k == 3 else swapaxes(flip(x, a1), a0, a1)


def roll(x, shift, axis=None):
    """``x`` with its entries shifted cyclically by ``shift`` along ``axis``.

    Args:
        x: input tensor.
        shift: an int, or one per axis.
        axis: an axis, a tuple of axes, or ``None`` (roll the flattened input, then restore the shape).

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.roll([1.0, 2.0, 3.0], 1)
        Tensor(array([3., 1., 2.], dtype=float32))
    """
    x = _tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    axes = _normalize_axis(axis, x.ndim)
    shifts = (shift,) * len(axes) if isinstance(shift, int) else tuple(shift)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must have as many entries")
    xp = backend.xp()
    for a, n in zip(axes, shifts):
        x = take_slice(x, _shape.at_axis(a, (xp.arange(x.shape[a]) - n) % x.shape[a]))
    return x


def repeat(x, repeats, axis=None):
    """Each entry of ``x`` repeated ``repeats`` times along ``axis``.

    Args:
        x: input tensor.
        repeats: an int, or one count per entry along ``axis``.
        axis: the axis; ``None`` repeats the flattened input.

    Returns:
        A Tensor, differentiable (the gradient sums over the repeats).

    Example:
        >>> import striate as keras
        >>> keras.ops.repeat([[1.0, 2.0]], 2, axis=1)
        Tensor(array([[1., 1., 2., 2.]], dtype=float32))
    """
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    a = axis % x.ndim
    if isinstance(repeats, int):  # a new axis after ``a``, broadcast, merged: no index arrays
        expanded = reshape(x, x.shape[:a + 1] + (1,) + x.shape[a + 1:])
        spread = broadcast_to(expanded, x.shape[:a + 1] + (repeats,) + x.shape[a + 1:])
        return reshape(spread, x.shape[:a] + (x.shape[a] * repeats,) + x.shape[a + 1:])
    xp = backend.xp()
    return take_slice(x, _shape.at_axis(a, xp.repeat(xp.arange(x.shape[a]), _data(repeats))))


def tile(x, repeats):
    """``x`` repeated as a whole ``repeats`` times along each axis.

    Args:
        x: input tensor.
        repeats: an int or one count per axis (more counts than axes add leading axes).

    Returns:
        A Tensor, differentiable (the gradient sums over the copies).

    Example:
        >>> import striate as keras
        >>> keras.ops.tile([1.0, 2.0], 2)
        Tensor(array([1., 2., 1., 2.], dtype=float32))
    """
    x = _tensor(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    n = _builtins.max(x.ndim, len(reps))
    shape, reps = (1,) * (n - x.ndim) + x.shape, (1,) * (n - len(reps)) + reps
    interleaved = reshape(x, tuple(d for size in shape for d in (1, size)))
    spread = broadcast_to(interleaved, tuple(d for pair in zip(reps, shape) for d in pair))
    return reshape(spread, tuple(r * size for r, size in zip(reps, shape)))


def split(x, indices_or_sections, axis=0):
    """``x`` cut along ``axis`` into equal parts, or at the given indices.

    Args:
        x: input tensor.
        indices_or_sections: how many equal parts, or the indices where parts start.
        axis: the axis.

    Returns:
        A list of Tensors, each differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.split([1.0, 2.0, 3.0, 4.0], 2)
        [Tensor(array([1., 2.], dtype=float32)), Tensor(array([3., 4.], dtype=float32))]
    """
    return _split("split", x, indices_or_sections, axis, even=True)


def array_split(x, indices_or_sections, axis=0):
    """Like :func:`split`, but a number of parts need not divide the axis: the first parts get one more.

    Args:
        x: input tensor.
        indices_or_sections: how many parts, or the indices where parts start.
        axis: the axis.

    Returns:
        A list of Tensors, each differentiable.

    Example:
        >>> import striate as keras
        >>> [p.shape for p in keras.ops.array_split(keras.ops.zeros(5), 2)]
        [(3,), (2,)]
    """
    return _split("array_split", x, indices_or_sections, axis, even=False)


def _split(op, x, indices_or_sections, axis, even):
    x = _tensor(x)
    a = axis % x.ndim
    bounds = _shape.split_bounds(op, x.shape[a], indices_or_sections, even)
    return [take_slice(x, _shape.at_axis(a, _builtins.slice(lo, hi))) for lo, hi in bounds]


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, that axis removed.

    Args:
        x: input tensor.
        num: the expected number of slices (checked when given).
        axis: the axis.

    Returns:
        A list of Tensors, each differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.unstack([[1.0, 2.0], [3.0, 4.0]])
        [Tensor(array([1., 2.], dtype=float32)), Tensor(array([3., 4.], dtype=float32))]
    """
    x = _tensor(x)
    a = axis % x.ndim
    if num is not None and num != x.shape[a]:
        raise ValueError(f"unstack: num={num} but axis {axis} of shape {x.shape} has {x.shape[a]} entries")
    return [take_slice(x, _shape.at_axis(a, i)) for i in range(x.shape[a])]


def hstack(xs):
    """Tensors joined along axis 1 (axis 0 for 1-D ones).

    Args:
        xs: a sequence of tensors.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.hstack([[1.0], [2.0, 3.0]])
        Tensor(array([1., 2., 3.], dtype=float32))
    """
    xs = [_tensor(x) for x in xs]
    return concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    """Tensors joined along axis 0, 1-D ones taken as rows.

    Args:
        xs: a sequence of tensors.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.vstack([[1.0, 2.0], [3.0, 4.0]])
        Tensor(array([[1., 2.],
               [3., 4.]], dtype=float32))
    """
    xs = [_tensor(x) for x in xs]
    return concatenate([reshape(x, (1, -1)) if x.ndim < 2 else x for x in xs], axis=0)


def append(x1, x2, axis=None):
    """``x2`` joined after ``x1`` along ``axis`` (``None``: both flattened).

    Args:
        x1, x2: tensors.
        axis: the axis, or ``None``.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.append([1.0, 2.0], [[3.0]])
        Tensor(array([1., 2., 3.], dtype=float32))
    """
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([_tensor(x1), _tensor(x2)], axis=axis)


def take(x, indices, axis=None):
    """The entries of ``x`` at ``indices`` along ``axis``.

    Args:
        x: input tensor.
        indices: integer indices (negative ones count from the end).
        axis: the axis; ``None`` indexes the flattened input.

    Returns:
        A Tensor, differentiable (indices that repeat add up their gradients).

    Example:
        >>> import striate as keras
        >>> keras.ops.take([[1.0, 2.0], [3.0, 4.0]], [1, 1, 0], axis=1)
        Tensor(array([[2., 2., 1.],
               [4., 4., 3.]], dtype=float32))
    """
    x = _tensor(x)
    index = _index_array("take", indices)
    if axis is None:
        return take_slice(reshape(x, (-1,)), index)
    return take_slice(x, _shape.at_axis(axis % x.ndim, index))


def take_along_axis(x, indices, axis=None):
    """The entries of ``x`` at ``indices`` along ``axis``, one index per entry of the other axes (what
    :func:`argsort` and :func:`top_k` give).

    Args:
        x: input tensor.
        indices: integer indices of ``x``'s rank (or 1-D with ``axis=None``), broadcasting against ``x``.
        axis: the axis; ``None`` indexes the flattened input.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.take_along_axis([[10.0, 30.0, 20.0]], [[1, 2]], axis=1)
        Tensor(array([[30., 20.]], dtype=float32))
    """
    x = _tensor(x)
    index = _index_array("take_along_axis", indices)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if index.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {tuple(index.shape)} need the rank of x, of shape "
                         f"{x.shape}")
    a = axis % x.ndim
    return take_slice(x, _shape.along_axis(backend.xp(), index, a, x.shape))


def _index_array(op, indices):
    index = _data(indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, received dtype {index.dtype}")
    return index


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The entries ``x[..., i, i + offset, ...]`` across ``axis1`` and ``axis2``, as a last axis.

    Args:
        x: a tensor of rank 2 or more.
        offset: the diagonal: 0 the main one, positive above, negative below.
        axis1, axis2: the two axes the diagonal runs across.

    Returns:
        A Tensor with the other axes, then the diagonal; differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.diagonal([[1.0, 2.0], [3.0, 4.0]], offset=1)
        Tensor(array([2.], dtype=float32))
    """
    x = _tensor(x)
    a1, a2 = _normalize_axis((axis1, axis2), x.ndim)
    if x.ndim < 2 or a1 == a2:
        raise ValueError(f"diagonal: needs two different axes of a tensor of rank 2 or more, received axes "
                         f"{axis1}, {axis2} and shape {x.shape}")
    x = moveaxis(x, (a1, a2), (-2, -1))
    rows, cols = x.shape[-2:]
    length = _builtins.max(0, _builtins.min(rows + _builtins.min(offset, 0), cols - _builtins.max(offset, 0)))
    xp = backend.xp()
    i = xp.arange(length)
    return take_slice(x, (Ellipsis, i + _builtins.max(-offset, 0), i + _builtins.max(offset, 0)))


def diag(x, k=0):
    """A 1-D input put on the ``k``-th diagonal of a square matrix, or a 2-D input's ``k``-th diagonal.

    Args:
        x: a 1-D or 2-D tensor.
        k: the diagonal: 0 the main one, positive above, negative below.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.diag([1.0, 2.0])
        Tensor(array([[1., 0.],
               [0., 2.]], dtype=float32))
    """
    x = _tensor(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: expects a 1-D or 2-D input, received shape {x.shape}")
    n = len(x) + _builtins.abs(k)
    padded = pad(x, (0, _builtins.abs(k)))
    # row i of eye(n, k=k) holds its one at column i + k: v[i] goes there for k >= 0, v[j] to row j - k else
    return multiply(reshape(padded, (n, 1) if k >= 0 else (1, n)), eye(n, k=k, dtype=x.dtype))


def tril(x, k=0):
    """``x`` with the entries above its ``k``-th diagonal (of the last two axes) set to 0.

    Args:
        x: a tensor of rank 2 or more.
        k: the diagonal: 0 the main one, positive above, negative below.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.tril([[1.0, 2.0], [3.0, 4.0]])
        Tensor(array([[1., 0.],
               [3., 4.]], dtype=float32))
    """
    x = _tensor(x)
    return where(backend.xp().tri(*x.shape[-2:], k=k, dtype=bool), x, 0)


def triu(x, k=0):
    """``x`` with the entries below its ``k``-th diagonal (of the last two axes) set to 0.

    Args:
        x: a tensor of rank 2 or more.
        k: the diagonal: 0 the main one, positive above, negative below.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.triu([[1.0, 2.0], [3.0, 4.0]])
        Tensor(array([[1., 2.],
               [0., 4.]], dtype=float32))
    """
    x = _tensor(x)
    return where(backend.xp().tri(*x.shape[-2:], k=k - 1, dtype=bool), 0, x)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors.

    Args:
        *x: 1-D tensors, one per axis of the grid.
        indexing: ``"xy"`` (the first two grid axes swapped, as images index rows by y) or ``"ij"``.

    Returns:
        A list of Tensors of the grid's shape, each differentiable.

    Example:
        >>> import striate as keras
        >>> xs, ys = keras.ops.meshgrid([1.0, 2.0, 3.0], [0.0, 1.0])
        >>> xs
        Tensor(array([[1., 2., 3.],
               [1., 2., 3.]], dtype=float32))
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', received {indexing!r}")
    xs = [ravel(v) for v in x]
    shape = [len(v) for v in xs]
    order = list(range(len(xs)))
    if indexing == "xy" and len(xs) > 1:
        order[0], order[1] = 1, 0
        shape[0], shape[1] = shape[1], shape[0]
    return [broadcast_to(reshape(v, tuple(len(v) if i == order[j] else 1 for i in range(len(xs)))), tuple(shape))
            for j, v in enumerate(xs)]


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` that starts at ``start_indices`` and has ``shape``.

    Args:
        inputs: input tensor.
        start_indices: one start per axis.
        shape: the block's size along each axis.

    Returns:
        A Tensor of ``shape``, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.slice([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], (0, 1), (2, 2))
        Tensor(array([[2., 3.],
               [5., 6.]], dtype=float32))
    """
    starts = [int(s) for s in _data(start_indices).reshape(-1)]
    return take_slice(inputs, tuple(_builtins.slice(s, s + n) for s, n in zip(starts, shape)))


# -- more activations, composed from the ops above (keras.ops names) --------------------------
def log_sigmoid(x):
    """``log(sigmoid(x))``, computed as ``-softplus(-x)`` (no overflow).

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.log_sigmoid([0.0])
        Tensor(array([-0.6931], dtype=float32))
    """
    return negative(softplus(negative(x)))


def softsign(x):
    """``x / (1 + |x|)``.

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.softsign([-1.0, 3.0])
        Tensor(array([-0.5 ,  0.75], dtype=float32))
    """
    return divide(x, add(abs(x), 1.0))


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``.

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.hard_tanh([-2.0, 0.5, 2.0])
        Tensor(array([-1. ,  0.5,  1. ], dtype=float32))
    """
    return clip(x, -1.0, 1.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)``: 0 below -3, ``x`` above 3, ``x (x + 3) / 6`` between.

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.hard_silu([-4.0, 0.0, 1.0, 4.0])
        Tensor(array([-0.    ,  0.    ,  0.6667,  4.    ], dtype=float32))
    """
    x = _tensor(x)
    return multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def celu(x, alpha=1.0):
    """``x`` where positive, else ``alpha * (exp(x / alpha) - 1)``.

    Args:
        x: input tensor.
        alpha: the value the negative side tends to is ``-alpha``.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.celu([-1.0, 2.0])
        Tensor(array([-0.6321,  2.    ], dtype=float32))
    """
    x = _tensor(x)
    return add(relu(x), multiply(alpha, expm1(divide(minimum(x, 0.0), alpha))))


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)``, with ``a`` and ``b`` the two halves of ``x`` along ``axis``.

    Args:
        x: input tensor; ``axis`` must have an even size.
        axis: the axis to halve.

    Returns:
        A Tensor with ``axis`` halved, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.glu([[2.0, 0.0]])
        Tensor(array([[1.]], dtype=float32))
    """
    x = _tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} of shape {x.shape} must have an even size")
    a, b = split(x, 2, axis)
    return multiply(a, sigmoid(b))


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``, a smooth ReLU.

    Args:
        x: input tensor.
        b: the smoothness, at least 0.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.squareplus([0.0, 1.5])
        Tensor(array([1., 2.], dtype=float32))
    """
    x = _tensor(x)
    return multiply(add(x, sqrt(add(square(x), b))), 0.5)


def sparse_plus(x):
    """0 up to -1, ``(x + 1)^2 / 4`` between -1 and 1, ``x`` from 1.

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.sparse_plus([-2.0, 0.0, 2.0])
        Tensor(array([0.  , 0.25, 2.  ], dtype=float32))
    """
    x = _tensor(x)
    a = x.data
    return where(a <= -1, 0.0, where(a < 1, multiply(square(add(x, 1.0)), 0.25), x))


def sparse_sigmoid(x):
    """0 up to -1, ``(x + 1) / 2`` between -1 and 1, 1 from 1.

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.sparse_sigmoid([-2.0, 0.0, 2.0])
        Tensor(array([0. , 0.5, 1. ], dtype=float32))
    """
    return clip(multiply(add(x, 1.0), 0.5), 0.0, 1.0)


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``threshold`` of 0.

    Args:
        x: input tensor.
        threshold: the half-width of the zero band.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.soft_shrink([-2.0, 0.2, 1.0])
        Tensor(array([-1.5,  0. ,  0.5], dtype=float32))
    """
    x = _tensor(x)
    a = x.data
    return where(a > threshold, subtract(x, threshold), where(a < -threshold, add(x, threshold), 0.0))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0.

    Args:
        x: input tensor.
        threshold: the half-width of the zero band.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.hard_shrink([-2.0, 0.2, 1.0])
        Tensor(array([-2.,  0.,  1.], dtype=float32))
    """
    x = _tensor(x)
    return where(backend.xp().abs(x.data) > threshold, x, 0.0)


def tanh_shrink(x):
    """``x - tanh(x)``.

    Args:
        x: input tensor.

    Returns:
        A Tensor, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.ops.tanh_shrink([0.0, 1.0])
        Tensor(array([0.    , 0.2384], dtype=float32))
    """
    x = _tensor(x)
    return subtract(x, tanh(x))


def threshold(x, threshold, default_value):
    """``x`` where it exceeds ``threshold``, else ``default_value``.

    Args:
        x: input tensor.
        threshold: the value to exceed.
        default_value: what replaces the rest.

    Returns:
        A Tensor, differentiable with respect to ``x``.

    Example:
        >>> import striate as keras
        >>> keras.ops.threshold([-1.0, 0.5, 2.0], 1.0, 0.0)
        Tensor(array([0., 0., 2.], dtype=float32))
    """
    x = _tensor(x)
    return where(x.data > threshold, x, default_value)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``).

    Args:
        x: input tensor.
        axis: the axis (or axes) of the norm.
        order: an int, at least 1.
        epsilon: the smallest norm divided by; default ``backend.epsilon()``.

    Returns:
        A Tensor of ``x``'s shape, differentiable (zero vectors included).

    Example:
        >>> import striate as keras
        >>> keras.ops.normalize([[3.0, 4.0], [0.0, 0.0]])
        Tensor(array([[0.6, 0.8],
               [0. , 0. ]], dtype=float32))
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int of at least 1, received {order!r}")
    x = _as_float(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    eps = backend.epsilon() if epsilon is None else epsilon
    return divide(x, maximum(norm(x, order, axis, keepdims=True), eps))


# -- the Tensor's operators and methods ------------------------------------------------------
def _reflect(fn):
    return lambda self, other: fn(other, self)


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
Tensor.__and__ = Tensor.__rand__ = lambda self, other: _constant(self.data & _data(other))  # bitwise:
Tensor.__or__ = Tensor.__ror__ = lambda self, other: _constant(self.data | _data(other))  # logical on
Tensor.__xor__ = Tensor.__rxor__ = lambda self, other: _constant(self.data ^ _data(other))  # booleans
Tensor.__invert__ = lambda self: _constant(~self.data)
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _reflect(floor_divide)
Tensor.__mod__ = mod
Tensor.__rmod__ = _reflect(mod)
Tensor.__lt__ = _predicates.less
Tensor.__le__ = _predicates.less_equal
Tensor.__gt__ = _predicates.greater
Tensor.__ge__ = _predicates.greater_equal
Tensor.__eq__ = _predicates.equal
Tensor.__ne__ = _predicates.not_equal
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
from striate.ops.lrn import *  # noqa: E402,F401,F403  local_response_normalization
from striate.ops.creation import *  # noqa: E402,F401,F403  ones, zeros, full, arange, linspace, eye, ...
from striate.ops.predicates import *  # noqa: E402,F401,F403  comparisons, logical ops, isnan, any, all, ...
from striate.ops import image  # noqa: E402


# NOTE: defined last: until here ``striate.ops.shape`` names the submodule, which nn.py imports by that
# name (``from striate.ops import shape``); from here on it is keras.ops.shape.
def shape(x):
    """The shape of ``x``.

    Args:
        x: a tensor or array-like.

    Returns:
        A tuple of ints.

    Example:
        >>> import striate as keras
        >>> keras.ops.shape(keras.ops.zeros((2, 3)))
        (2, 3)
    """
    return tuple(_data(x).shape)
