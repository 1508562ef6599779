"""Ops that move values around without arithmetic: reshape, transpose, slicing, concatenation, padding."""
from itertools import accumulate

import numpy as np

from striate import backend
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
        if ax == 0 or xp is not np:
            return xp.concatenate(xs, axis=ax)
        # along a later axis (a U-Net's skip connection joins channels): each thread joins its samples
        shape = xs[0].shape[:ax] + (sum(self.sizes),) + xs[0].shape[ax + 1:]
        y = xp.empty(shape, dtype=xp.result_type(*xs))
        backend.parallel(lambda s: xp.concatenate([x[s] for x in xs], axis=ax, out=y[s]), len(y), 2 * y.size,
                         kind="elementwise")
        return y

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


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, xp, x):
        try:
            return xp.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(f"broadcast_to: an input of shape {x.shape} cannot be broadcast to {self.shape} "
                             "(trailing axes must be equal or 1)") from None

    def backward(self, xp, gy):
        return gy  # the backward walk sums it over the broadcast axes (unbroadcast)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_terms(subscripts, shapes):
    """``subscripts`` in explicit form: one string of letters per operand and one for the output,
    ``...`` spelled out in letters the subscripts leave free (right-aligned, as broadcasting)."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands, received {len(shapes)}")
    free = [c for c in _LETTERS if c not in spec]
    spans = [len(shape) - (len(t) - 3) for t, shape in zip(terms, shapes) if "..." in t]
    ellipsis = "".join(free[:max(spans, default=0)])
    explicit = []
    for t, shape in zip(terms, shapes):
        if "..." in t:
            t = t.replace("...", ellipsis[len(ellipsis) - (len(shape) - (len(t) - 3)):])
        if len(t) != len(shape) or not all(c in _LETTERS for c in t):
            raise ValueError(f"einsum: term {t!r} of {subscripts!r} does not fit an operand of shape {tuple(shape)} "
                             "(one letter per axis, or '...')")
        explicit.append(t)
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # NumPy's implicit output: the broadcast axes, then the letters used once, in order
        letters = "".join(explicit)
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis))
    return explicit, output


class Einsum(Function):
    """Einstein summation; the gradient of an operand is the einsum of the output's gradient with the
    other operands, broadcast along the letters only that operand has (summed away in forward)."""

    def __init__(self, terms, output):
        self.terms, self.output = terms, output

    def forward(self, xp, *xs):
        self.xs = xs
        return xp.einsum(",".join(self.terms) + "->" + self.output, *xs, optimize=len(xs) > 1)

    def backward(self, xp, gy):
        grads = []
        for i, (term, x) in enumerate(zip(self.terms, self.xs)):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            if len(set(term)) != len(term):
                raise ValueError(f"einsum: no gradient through the repeated letter of {term!r} (a diagonal); "
                                 "use ops.diagonal or ops.trace")
            others = [j for j in range(len(self.xs)) if j != i]
            present = set(self.output).union(*(self.terms[j] for j in others))
            kept = "".join(c for c in term if c in present)
            spec = ",".join([self.output] + [self.terms[j] for j in others]) + "->" + kept
            g = xp.einsum(spec, gy, *(self.xs[j] for j in others), optimize=len(others) > 0)
            if len(kept) < len(term):
                sizes = dict(zip(kept, g.shape))
                g = xp.broadcast_to(g.reshape([sizes.get(c, 1) for c in term]),
                                    [sizes.get(c, n) for c, n in zip(term, x.shape)])
            grads.append(g)
        return tuple(grads)


def at_axis(axis, index):
    """The index tuple that applies ``index`` along ``axis`` (non-negative) and takes every other axis."""
    return (slice(None),) * axis + (index,)


def along_axis(xp, indices, axis, shape):
    """The index tuple that picks ``indices`` along ``axis`` of an array of ``shape``, entry by entry
    of the other axes (NumPy's ``take_along_axis`` as an index, so ``GetItem`` differentiates it)."""
    ndim = len(shape)
    return tuple(indices if i == axis else xp.arange(n).reshape((-1,) + (1,) * (ndim - i - 1))
                 for i, n in enumerate(shape))


def split_bounds(op, size, indices_or_sections, even):
    """The ``(start, stop)`` of each part when an axis of ``size`` is split NumPy's way: into that many
    parts (equal when ``even``, else the first ones one longer) or at the given indices."""
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n < 1 or (even and size % n):
            raise ValueError(f"{op}: an axis of size {size} cannot be split into {n} equal parts")
        q, r = divmod(size, n)
        cuts = list(accumulate([q + 1] * r + [q] * (n - r)))[:-1]
    else:
        cuts = [int(i) for i in indices_or_sections]
    starts = [0] + cuts
    return [(min(a, size), min(max(a, b), size)) for a, b in zip(starts, cuts + [size])]
