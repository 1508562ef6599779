"""Tensor: an array that remembers the op that made it, so gradients can flow back.

The tape is implicit: each Tensor made by an op keeps that op (``_ctx``), and the
op keeps its input Tensors (``parents``). ``backward()`` sorts this graph
topologically (iteratively, so deep nets never hit Python's recursion limit) and
walks it from the output back to the leaves, applying the chain rule op by op.

A leaf's gradient goes to ``.grad``: a new array, or the leaf's ``grad_buffer`` where it has one (a
weight in a ParameterStore's backward pass). The first op that asks for that buffer writes the
gradient straight into it (``Function.grad_buffer``); otherwise the walk copies the gradient there.
"""
import math
from contextlib import contextmanager

from striate import backend

_grad_enabled = [True]
# ids of the leaves whose grad_buffer an op has claimed in the backward pass now running
_claimed = set()


def is_grad_enabled():
    """True unless inside a ``no_grad()`` block."""
    return _grad_enabled[0]


@contextmanager
def no_grad():
    """Context manager in which ops record nothing (inference, optimizer updates).

    Example:
        >>> from striate.autodiff import Tensor, no_grad
        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     y = x * 2   # no tape, no saved inputs
        >>> y.requires_grad, (x * 2).requires_grad
        (False, True)
    """
    previous = _grad_enabled[0]
    _grad_enabled[0] = False
    try:
        yield
    finally:
        _grad_enabled[0] = previous


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: array-like; Python floats and lists of floats become ``floatx()``.
        requires_grad: record ops on this tensor so ``backward()`` fills ``.grad``.
        dtype: optional dtype to convert ``data`` to.

    Example:
        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "__weakref__")
    __array_ufunc__ = None  # make NumPy defer `ndarray op Tensor` to Tensor's reflected methods
    grad_buffer = None  # where backward() puts this leaf's gradient; only a Variable may be lent one

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.asarray(data, dtype)
        self.grad = None
        self._ctx = None
        self.name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _make(cls, data, ctx):
        t = cls.__new__(cls)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t.name = None
        t.requires_grad = ctx is not None
        return t

    def requires_grad_(self, flag=True):
        """Mark this tensor as a leaf whose gradient ``backward()`` computes."""
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"Tensor of dtype {self.data.dtype} cannot require a gradient: "
                "only floating-point tensors are differentiable; cast it with .astype('float32')")
        self.requires_grad = bool(flag)
        return self

    # -- array-like views -------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def __len__(self):
        return len(self.data)

    def numpy(self):
        """Return the value as a NumPy array."""
        return backend.to_numpy(self.data)

    def item(self):
        return self.data.item()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self.numpy()!r}{grad})"

    def detach(self):
        """A tensor with the same data and no history."""
        return Tensor._make(self.data, None)

    def zero_grad(self):
        self.grad = None

    # -- backpropagation --------------------------------------------------------------------
    def backward(self, grad=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires a gradient.

        Args:
            grad: the gradient of the final objective with respect to this tensor. May be
                left out only when this tensor holds a single element (a loss).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require a gradient "
                               "(no input had requires_grad=True, or it was made under no_grad())")
        xp = backend.xp()
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar tensor, received shape {self.shape}; "
                    "pass grad= with that shape, or reduce the tensor first (e.g. .sum())")
            grad = xp.ones(self.data.shape, dtype=self.data.dtype)
        else:
            grad = grad.data if isinstance(grad, Tensor) else xp.asarray(grad, dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward() gradient has shape {grad.shape}, the tensor has {self.shape}")
        outer = set(_claimed)  # a pass run inside an op's backward keeps the claims of the pass around it
        _claimed.clear()
        try:
            self._walk(xp, grad)
        finally:
            _claimed.clear()
            _claimed.update(outer)

    def _walk(self, xp, grad):
        grads = {id(self): grad}
        for t in reversed(_toposort(self)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            fn = t._ctx
            if fn is None:
                buffer = t.grad_buffer
                if t.grad is not None:
                    t.grad = t.grad + g
                elif buffer is None or g is buffer:
                    t.grad = g
                else:
                    buffer[...] = g
                    t.grad = buffer
                continue
            in_grads = fn.backward(xp, g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            for p, pg in zip(fn.parents, in_grads):
                if p is None or pg is None:
                    continue
                if pg.shape != p.data.shape:
                    pg = unbroadcast(pg, p.data.shape)
                k = id(p)
                prev = grads.get(k)
                grads[k] = pg if prev is None else prev + pg

    # Operators (+, *, @, [], ...) and methods (sum, reshape, ...) are attached by striate.ops.


def _toposort(root):
    """Tensors reachable from ``root`` through ops, each after all of its inputs."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t._ctx is not None:
            for p in t._ctx.parents:
                if p is not None and id(p) not in seen:
                    stack.append((p, False))
    return order


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting expanded so it takes ``shape``.

    NOTE: this is the one place broadcasting is undone: ops return gradients in the
    broadcast shape and the backward walk reduces them to each input's own shape.
    """
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes and axes == tuple(range(len(axes))) and grad.ndim > len(axes) and grad.dtype.kind == "f":
        # the common case, a bias: a sum over the leading axes is a sum over the rows of a matrix
        return backend.sum_rows(grad.reshape(-1, math.prod(grad.shape[len(axes):]))).reshape(shape)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)
