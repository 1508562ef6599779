"""Comparisons, logical ops and tests of values (keras.ops names): boolean or integer results, so
they carry no gradient."""
from striate import backend
from striate.autodiff import Tensor
from striate.ops._base import data

__all__ = [
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "isnan", "isinf", "isfinite", "signbit", "isclose", "allclose",
    "any", "all", "count_nonzero", "in_top_k",
]


def _elementwise(name, summary, example):
    """A keras.ops function applying the array module's ``name`` to the data of its inputs."""
    two = name not in ("logical_not", "isnan", "isinf", "isfinite", "signbit")

    def binary(x1, x2):
        return Tensor._make(getattr(backend.xp(), name)(data(x1), data(x2)), None)

    def unary(x):
        return Tensor._make(getattr(backend.xp(), name)(data(x)), None)

    fn = binary if two else unary
    fn.__name__ = fn.__qualname__ = name
    args = "x1, x2: tensors that broadcast together." if two else "x: input tensor."
    fn.__doc__ = f"""{summary}

    Args:
        {args}

    Returns:
        A boolean Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.{name}({example[0]})
        {example[1]}
    """
    return fn


_COMPARE = ("[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]",)
equal = _elementwise("equal", "``x1 == x2``, element-wise.", _COMPARE + ("Tensor(array([ True, False, False]))",))
not_equal = _elementwise("not_equal", "``x1 != x2``, element-wise.",
                         _COMPARE + ("Tensor(array([False,  True,  True]))",))
less = _elementwise("less", "``x1 < x2``, element-wise.", _COMPARE + ("Tensor(array([False, False,  True]))",))
less_equal = _elementwise("less_equal", "``x1 <= x2``, element-wise.",
                          _COMPARE + ("Tensor(array([ True, False,  True]))",))
greater = _elementwise("greater", "``x1 > x2``, element-wise.", _COMPARE + ("Tensor(array([False,  True, False]))",))
greater_equal = _elementwise("greater_equal", "``x1 >= x2``, element-wise.",
                             _COMPARE + ("Tensor(array([ True,  True, False]))",))
_LOGICAL = ("[True, False, True], [True, True, False]",)
logical_and = _elementwise("logical_and", "Truth of ``x1 and x2``, element-wise (nonzero counts as true).",
                           _LOGICAL + ("Tensor(array([ True, False, False]))",))
logical_or = _elementwise("logical_or", "Truth of ``x1 or x2``, element-wise (nonzero counts as true).",
                          _LOGICAL + ("Tensor(array([ True,  True,  True]))",))
logical_xor = _elementwise("logical_xor", "Truth of exactly one of ``x1``, ``x2``, element-wise.",
                           _LOGICAL + ("Tensor(array([False,  True,  True]))",))
logical_not = _elementwise("logical_not", "Truth of ``not x``, element-wise (nonzero counts as true).",
                           ("[True, False, True]", "Tensor(array([False,  True, False]))"))
_SPECIAL = "[1.0, float('nan'), float('inf')]"
isnan = _elementwise("isnan", "Where ``x`` is NaN.", (_SPECIAL, "Tensor(array([False,  True, False]))"))
isinf = _elementwise("isinf", "Where ``x`` is infinite (either sign).",
                     (_SPECIAL, "Tensor(array([False, False,  True]))"))
isfinite = _elementwise("isfinite", "Where ``x`` is neither infinite nor NaN.",
                        (_SPECIAL, "Tensor(array([ True, False, False]))"))
signbit = _elementwise("signbit", "Where the sign bit of ``x`` is set (negative numbers and -0.0).",
                       ("[-1.0, -0.0, 2.0]", "Tensor(array([ True,  True, False]))"))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Where ``|x1 - x2| <= atol + rtol * |x2|``, element-wise.

    Args:
        x1, x2: tensors that broadcast together.
        rtol: relative tolerance.
        atol: absolute tolerance.
        equal_nan: whether two NaNs count as equal.

    Returns:
        A boolean Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.isclose([1.0, 2.0], [1.0 + 1e-9, 2.1])
        Tensor(array([ True, False]))
    """
    return Tensor._make(backend.xp().isclose(data(x1), data(x2), rtol=rtol, atol=atol, equal_nan=equal_nan), None)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether :func:`isclose` holds everywhere.

    Args:
        x1, x2: tensors that broadcast together.
        rtol, atol, equal_nan: as for :func:`isclose`.

    Returns:
        A 0-d boolean Tensor (``if ops.allclose(a, b):`` works).

    Example:
        >>> import striate as keras
        >>> bool(keras.ops.allclose([1.0, 2.0], [1.0, 2.0 + 1e-7]))
        True
    """
    return all(isclose(x1, x2, rtol, atol, equal_nan))


def any(x, axis=None, keepdims=False):
    """Whether any entry is nonzero (true), over ``axis``.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A boolean Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.any([[0, 1], [0, 0]], axis=1)
        Tensor(array([ True, False]))
    """
    return Tensor._make(backend.xp().asarray(data(x).any(axis=_axes(axis), keepdims=keepdims)), None)


def all(x, axis=None, keepdims=False):
    """Whether every entry is nonzero (true), over ``axis``.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A boolean Tensor (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.all([[1, 1], [0, 1]], axis=1)
        Tensor(array([ True, False]))
    """
    return Tensor._make(backend.xp().asarray(data(x).all(axis=_axes(axis), keepdims=keepdims)), None)


def count_nonzero(x, axis=None):
    """The number of nonzero entries over ``axis``.

    Args:
        x: input tensor.
        axis: an axis, a tuple of axes, or ``None`` for all.

    Returns:
        An int32 Tensor (Keras's dtype), no gradient.

    Example:
        >>> import striate as keras
        >>> keras.ops.count_nonzero([[0, 1, 2], [0, 0, 3]], axis=1)
        Tensor(array([2, 1], dtype=int32))
    """
    a = data(x)
    return Tensor._make((a != 0).sum(axis=_axes(axis)).astype("int32"), None)


def in_top_k(targets, predictions, k):
    """Whether each sample's target class is among its ``k`` highest predictions.

    Classes that tie with the ``k``-th highest count as inside (TensorFlow's rule): a target is in the
    top ``k`` when fewer than ``k`` classes score strictly higher.

    Args:
        targets: integer class ids, shape ``(batch,)``.
        predictions: scores, shape ``(batch, classes)``.
        k: how many of the highest scores count.

    Returns:
        A boolean Tensor of shape ``(batch,)`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.ops.in_top_k([2, 0], [[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]], k=2)
        Tensor(array([ True, False]))
    """
    xp = backend.xp()
    labels, scores = data(targets), data(predictions)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"in_top_k: expects targets of shape (batch,) and predictions of shape (batch, classes), "
                         f"received {tuple(labels.shape)} and {tuple(scores.shape)}")
    target_scores = scores[xp.arange(len(labels)), labels.astype("int64")]
    higher = (scores > target_scores[:, None]).sum(axis=1)
    return Tensor._make((higher < k) & xp.isfinite(target_scores), None)


def _axes(axis):
    return axis if axis is None or isinstance(axis, int) else tuple(axis)

