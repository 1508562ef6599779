"""Shared helpers for ops: turning inputs into Tensors and naming shapes in errors."""
from striate import backend
from striate.autodiff import Tensor


def tensor(x):
    """Return ``x`` as a Tensor (no copy when it already is one)."""
    return x if isinstance(x, Tensor) else Tensor._make(backend.asarray(x), None)


def data(x):
    """The raw array behind a Tensor or array-like."""
    return x.data if isinstance(x, Tensor) else backend.asarray(x)


def shape_of(x):
    return tuple(getattr(x, "shape", ()))


def normalize_axis(axis, ndim):
    """``axis`` (int, tuple or None) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim if ndim else a for a in axes)


def broadcast_error(op, a, b):
    return ValueError(f"{op}: shapes {shape_of(a)} and {shape_of(b)} cannot be broadcast together "
                      "(trailing axes must be equal or 1)")
