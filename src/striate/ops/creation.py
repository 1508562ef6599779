"""Tensors made from shapes and ranges (keras.ops names): ones, zeros, full, arange, linspace, eye, ...

They hold constants, so they carry no gradient. Float results default to ``floatx()``, and integer
ranges to int32, as in Keras.
"""
from striate import backend
from striate.autodiff import Tensor
from striate.ops._base import data

__all__ = [
    "array", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "linspace", "logspace", "eye", "identity", "tri",
]


def _made(a):
    return Tensor._make(a, None)


def array(x, dtype=None):
    """A Tensor holding ``x`` (``keras.ops.array``).

    Args:
        x: array-like; Python floats become ``floatx()``.
        dtype: optional dtype.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.array([1.0, 2.0])
        Tensor(array([1., 2.], dtype=float32))
    """
    return _made(backend.asarray(data(x) if isinstance(x, Tensor) else x, dtype))


def zeros(shape, dtype=None):
    """A Tensor of zeros.

    Args:
        shape: an int or a tuple of ints.
        dtype: defaults to ``floatx()``.

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.zeros((2, 2))
        Tensor(array([[0., 0.],
               [0., 0.]], dtype=float32))
    """
    return _made(backend.xp().zeros(shape, dtype=dtype or backend.floatx()))


def ones(shape, dtype=None):
    """A Tensor of ones.

    Args:
        shape: an int or a tuple of ints.
        dtype: defaults to ``floatx()``.

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.ones(3, dtype="int32")
        Tensor(array([1, 1, 1], dtype=int32))
    """
    return _made(backend.xp().ones(shape, dtype=dtype or backend.floatx()))


def empty(shape, dtype=None):
    """A Tensor whose values are whatever its memory held (fast to make; fill it before reading).

    Args:
        shape: an int or a tuple of ints.
        dtype: defaults to ``floatx()``.

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.empty((2, 3)).shape
        (2, 3)
    """
    return _made(backend.xp().empty(shape, dtype=dtype or backend.floatx()))


def full(shape, fill_value, dtype=None):
    """A Tensor filled with ``fill_value``.

    Args:
        shape: an int or a tuple of ints.
        fill_value: a scalar, or an array that broadcasts to ``shape``.
        dtype: defaults to ``floatx()`` (as Keras: ``full((2,), 3)`` is float32).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.full((2,), 7)
        Tensor(array([7., 7.], dtype=float32))
    """
    return _made(backend.xp().full(shape, _value(fill_value), dtype=dtype or backend.floatx()))


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape (and dtype, unless ``dtype`` is given).

    Args:
        x: a tensor or array-like.
        dtype: optional dtype.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.zeros_like([[1, 2]])
        Tensor(array([[0, 0]]))
    """
    return _made(backend.xp().zeros_like(data(x), dtype=dtype))


def ones_like(x, dtype=None):
    """Ones of ``x``'s shape (and dtype, unless ``dtype`` is given).

    Args:
        x: a tensor or array-like.
        dtype: optional dtype.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.ones_like([1.0, 2.0])
        Tensor(array([1., 1.], dtype=float32))
    """
    return _made(backend.xp().ones_like(data(x), dtype=dtype))


def empty_like(x, dtype=None):
    """An uninitialized Tensor of ``x``'s shape (and dtype, unless ``dtype`` is given).

    Args:
        x: a tensor or array-like.
        dtype: optional dtype.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.empty_like([[1.0, 2.0]]).shape
        (1, 2)
    """
    return _made(backend.xp().empty_like(data(x), dtype=dtype))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape (and dtype, unless ``dtype`` is given).

    Args:
        x: a tensor or array-like.
        fill_value: a scalar, or an array that broadcasts to ``x``'s shape.
        dtype: optional dtype.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.full_like([1.0, 2.0], 0.5)
        Tensor(array([0.5, 0.5], dtype=float32))
    """
    return _made(backend.xp().full_like(data(x), _value(fill_value), dtype=dtype))


def _range_dtype(*values):
    """Keras's dtype for a range of these bounds: ``floatx()`` when any is a float, else int32."""
    floats = [v for v in values if v is not None and backend.is_float(getattr(v, "dtype", type(v)))]
    if not floats:
        return "int32"
    wide = [v.dtype for v in floats if hasattr(v, "dtype") and v.dtype.itemsize > 4]
    return wide[0] if wide else backend.floatx()


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; ``arange(n)`` counts from 0 to ``n - 1``.

    Args:
        start: the first value (or, alone, the end).
        stop: the end, excluded.
        step: the spacing; default 1.
        dtype: default: ``floatx()`` when a bound or the step is a float, else int32 (Keras's rule).

    Returns:
        A 1-D Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.arange(4)
        Tensor(array([0, 1, 2, 3], dtype=int32))
        >>> keras.ops.arange(0.0, 1.0, 0.25)
        Tensor(array([0.  , 0.25, 0.5 , 0.75], dtype=float32))
    """
    dtype = dtype or _range_dtype(start, stop, step)
    if stop is None:
        start, stop = 0, start
    return _made(backend.xp().arange(_scalar(start), _scalar(stop), 1 if step is None else _scalar(step), dtype=dtype))


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


def _value(v):
    """A fill value as the array module takes it: a Tensor's data, anything else unchanged."""
    return v.data if isinstance(v, Tensor) else v


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Args:
        start, stop: the ends (scalars, or arrays for one range per entry).
        num: how many values.
        endpoint: whether ``stop`` is the last value.
        retstep: also return the spacing.
        dtype: defaults to ``floatx()``.
        axis: where the values go when the ends are arrays.

    Returns:
        A Tensor (no gradient); with ``retstep``, ``(values, step)``.

    Example:
        >>> import striate as keras
        >>> keras.ops.linspace(0, 1, 5)
        Tensor(array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32))
    """
    out = backend.xp().linspace(data(start), data(stop), num, endpoint=endpoint, retstep=retstep,
                                dtype=dtype or backend.floatx(), axis=axis)
    return (_made(out[0]), out[1]) if retstep else _made(out)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``num`` values from ``base ** start`` to ``base ** stop``, evenly spaced in the exponent.

    Args:
        start, stop: the exponents at the ends.
        num: how many values.
        endpoint: whether ``base ** stop`` is the last value.
        base: the base of the powers.
        dtype: defaults to ``floatx()``.
        axis: where the values go when the ends are arrays.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.logspace(0, 2, 3)
        Tensor(array([  1.,  10., 100.], dtype=float32))
    """
    exponents = linspace(start, stop, num, endpoint=endpoint, dtype="float64", axis=axis).data
    return _made((base ** exponents).astype(dtype or backend.floatx()))


def eye(N, M=None, k=0, dtype=None):
    """A matrix with ones on its ``k``-th diagonal and zeros elsewhere.

    Args:
        N: rows.
        M: columns; default ``N``.
        k: the diagonal: 0 the main one, positive above, negative below.
        dtype: defaults to ``floatx()``.

    Returns:
        A Tensor of shape ``(N, M)`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.eye(2, 3, k=1)
        Tensor(array([[0., 1., 0.],
               [0., 0., 1.]], dtype=float32))
    """
    return _made(backend.xp().eye(N, M, k=k, dtype=dtype or backend.floatx()))


def identity(n, dtype=None):
    """The ``n`` by ``n`` identity matrix.

    Args:
        n: rows and columns.
        dtype: defaults to ``floatx()``.

    Returns:
        A Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.identity(2)
        Tensor(array([[1., 0.],
               [0., 1.]], dtype=float32))
    """
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal, zeros above.

    Args:
        N: rows.
        M: columns; default ``N``.
        k: the diagonal: 0 the main one, positive above, negative below.
        dtype: defaults to ``floatx()``.

    Returns:
        A Tensor of shape ``(N, M)`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.tri(2)
        Tensor(array([[1., 0.],
               [1., 1.]], dtype=float32))
    """
    return _made(backend.xp().tri(N, M, k=k, dtype=dtype or backend.floatx()))
