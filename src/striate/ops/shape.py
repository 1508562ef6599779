"""Ops that move values around without arithmetic: reshape, transpose, slicing, concatenation, padding."""
from itertools import accumulate

from striate.autodiff import Function
from striate.ops._base import normalize_axis


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape) if not isinstance(shape, int) else (shape,)

    def forward(self, xp, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an input of shape {x.shape} ({x.size} values) "
                             f"into {self.shape}") from None

    def backward(self, xp, gy):
        return gy.reshape(self.in_shape)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, xp, x):
        axes = tuple(range(x.ndim))[::-1] if self.axes is None else normalize_axis(self.axes, x.ndim)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of the {x.ndim} "
                             f"axes of an input of shape {x.shape}")
        self.axes = axes
        return x.transpose(axes)

    def backward(self, xp, gy):
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return gy.transpose(inverse)


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, xp, x):
        self.in_shape, self.dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError(f"indexing a tensor of shape {x.shape} with {self.index!r}: {e}") from None

    def backward(self, xp, gy):
        g = xp.zeros(self.in_shape, dtype=gy.dtype)
        xp.add.at(g, self.index, gy) if _is_advanced(self.index) else g.__setitem__(self.index, gy)
        return g


def _is_advanced(index):
    """Advanced (array) indexing may repeat positions, so its backward must scatter-add."""
    items = index if isinstance(index, tuple) else (index,)
    return any(hasattr(i, "shape") or isinstance(i, (list, tuple)) for i in items)


class Concatenate(Function):
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, xp, *xs):
        ax = self.axis % xs[0].ndim if xs[0].ndim else 0
        ref = xs[0].shape
        for x in xs[1:]:
            if x.ndim != len(ref) or any(a != b for i, (a, b) in enumerate(zip(x.shape, ref)) if i != ax):
                raise ValueError(f"concatenate: along axis {self.axis} the other axes must match, received "
                                 f"shapes {[tuple(x.shape) for x in xs]}")
        self.sizes = [x.shape[ax] for x in xs]
        self.ax = ax
        return xp.concatenate(xs, axis=ax)

    def backward(self, xp, gy):
        bounds = list(accumulate(self.sizes))[:-1]
        return tuple(xp.split(gy, bounds, axis=self.ax))


class Stack(Function):
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, xp, *xs):
        shapes = {tuple(x.shape) for x in xs}
        if len(shapes) > 1:
            raise ValueError(f"stack: all inputs must have the same shape, received {[tuple(x.shape) for x in xs]}")
        self.n = len(xs)
        return xp.stack(xs, axis=self.axis)

    def backward(self, xp, gy):
        return tuple(xp.moveaxis(gy, self.axis, 0))


class Pad(Function):
    def __init__(self, pad_width, constant_values=0):
        self.pad_width, self.value = pad_width, constant_values

    def forward(self, xp, x):
        pw = _pad_pairs(self.pad_width, x.ndim)
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(pw, x.shape))
        return xp.pad(x, pw, mode="constant", constant_values=self.value)

    def backward(self, xp, gy):
        return gy[self.slices]


def _pad_pairs(pad_width, ndim):
    """NumPy's pad_width forms (n, (n,), (lo, hi), ((lo, hi), ...)) as one (lo, hi) pair per axis."""
    if isinstance(pad_width, int):
        pad_width = (pad_width,)
    if all(isinstance(p, int) for p in pad_width):  # (n,) or (lo, hi): the same for every axis
        lo, hi = (pad_width[0], pad_width[-1])
        return [(int(lo), int(hi))] * ndim
    pw = [tuple(p) if isinstance(p, (tuple, list)) else (p, p) for p in pad_width]
    pw = pw * ndim if len(pw) == 1 else pw
    if len(pw) != ndim:
        raise ValueError(f"pad: pad_width {pad_width} does not fit an input with {ndim} axes")
    return [(int(lo), int(hi)) for lo, hi in pw]
