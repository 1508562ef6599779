"""Matrix products."""
from striate import backend
from striate.autodiff import Function
from striate.backend import accel


class MatMul(Function):
    """Batched, broadcasting matrix product (NumPy's matmul rules, 1-D inputs included)."""

    def forward(self, xp, a, b):
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are incompatible: the last axis of "
                             "x1 must equal the second-to-last axis of x2")
        # NOTE: 1-D operands are promoted to matrices (a row, a column) so one formula serves
        # backward: dA = G B^T, dB = A^T G; batch axes are summed away by unbroadcast.
        self.a = a[None, :] if a.ndim == 1 else a
        self.b = b[:, None] if b.ndim == 1 else b
        try:
            y = xp.matmul(self.a, self.b)
        except ValueError:
            raise ValueError(f"matmul: batch axes of {a.shape} and {b.shape} cannot be broadcast together") from None
        self.y_shape = y.shape
        self.b_vector = b.ndim == 1
        out_shape = y.shape[:-2] + (() if a.ndim == 1 else y.shape[-2:-1]) + (() if b.ndim == 1 else y.shape[-1:])
        return y.reshape(out_shape)

    def backward(self, xp, gy):
        g = gy.reshape(self.y_shape)
        ga = xp.matmul(g, xp.swapaxes(self.b, -1, -2)) if self.needs_grad[0] else None
        gb = xp.matmul(xp.swapaxes(self.a, -1, -2), g) if self.needs_grad[1] else None
        if gb is not None and self.b_vector:
            gb = gb[..., 0]
        return ga, gb


class Linear(Function):
    """``x @ kernel + bias``, then optionally ReLU or tanh, as one op: the Dense layer's hot path.

    NOTE: one fused op instead of three (matmul, add, activation) saves two intermediate arrays and
    two passes over them per layer and step; the activation runs in place and its derivative comes
    from the saved output (relu: y > 0, tanh: 1 - y^2), then dx = g W^T, dW = x^T g, db = sum_rows g.
    """

    def __init__(self, activation=None):
        self.activation = activation

    def forward(self, xp, x, w, b=None):
        if x.shape[-1] != w.shape[0]:
            raise ValueError(f"dense: inputs of shape {x.shape} do not fit a kernel of shape {w.shape}: the "
                             "last axis of the inputs must equal the kernel's first axis")
        self.x2 = x.reshape(-1, x.shape[-1])
        self.x_shape, self.w = x.shape, w
        self.y = dense_rows(xp, self.x2, w, b, self.activation)
        return self.y.reshape(x.shape[:-1] + w.shape[1:])

    def backward(self, xp, gy):
        gx, gw, gb = dense_rows_grad(xp, gy.reshape(-1, gy.shape[-1]), self.x2, self.w, self.y, self.activation,
                                     self.needs_grad, self.grad_buffer(1) if self.needs_grad[1] else None)
        return (None if gx is None else gx.reshape(self.x_shape)), gw, gb


def dense_rows(xp, x2, w, b, activation):
    """``activation(x2 @ w + b)`` for the rows of ``x2``, split across striate's threads (Linear's and
    the 1x1 convolution's forward)."""
    return product_rows(xp, x2, w, lambda y: activate(xp, activation, y, b))


def dense_rows_grad(xp, gy2, x2, w, y2, activation, needs_grad, out=None):
    """The gradients ``(dx2, dw, db)`` of :func:`dense_rows` from its output's gradient ``gy2``: through
    the activation (from its output ``y2``), then ``dx = g W^T``, ``dW = x^T g`` (into ``out`` where it
    fits), ``db = sum_rows g``; each None where ``needs_grad`` (one bool per input) says so."""
    g = activation_grad(activation, gy2, y2)
    gx = product_rows(xp, g, w.T) if needs_grad[0] else None
    gw = product_rows(xp, x2.T, g, out=out) if needs_grad[1] else None
    gb = backend.sum_rows(g) if len(needs_grad) > 2 and needs_grad[2] else None
    return gx, gw, gb


def product_rows(xp, a, b, then=None, out=None):
    """The matrix product ``a @ b`` (2-D), one part of its rows per thread, each part passed to
    ``then`` (an in-place step, such as adding a bias) where given; into ``out`` where it is given and
    fits (its shape, and the product's dtype), else into a new array.

    NOTE: split by the thread rule of ``backend.threads`` (by its own cost), each part on one BLAS
    thread; a product left whole runs on one thread too.
    """
    shape, dtype = (a.shape[0], b.shape[1]), (a.dtype if a.dtype == b.dtype else xp.result_type(a, b))
    y = out if out is not None and out.shape == shape and out.dtype == dtype else xp.empty(shape, dtype=dtype)
    cost = a.shape[0] * a.shape[1] * b.shape[1] // 16  # a product: ~16 multiply-adds in the time of one value's pass
    if backend.runs_whole(len(y), cost, kind="follows"):
        xp.matmul(a, b, out=y)
        if then is not None:
            then(y)
        return y

    def part(r):
        xp.matmul(a[r], b, out=y[r])
        if then is not None:
            then(y[r])
    backend.parallel(part, len(y), cost, kind="follows")
    return y


FUSED_ACTIVATIONS = (None, "relu", "tanh")


def activate(xp, activation, y, bias=None):
    """``activation(y + bias)`` computed in place in ``y`` (a fresh product the op owns)."""
    if bias is not None:
        y += bias
    if activation == "relu":
        xp.maximum(y, 0, out=y)
    elif activation == "tanh":
        tanh(xp, y, out=y)
    return y


def relu(xp, x):
    """``max(x, 0)`` as a new array, split across striate's threads (the ReLU op's, and a fused pool's
    on NumPy alone)."""
    y = xp.empty(x.shape, dtype=x.dtype)
    x, flat = x.reshape(-1), y.reshape(-1)
    backend.parallel(lambda r: xp.maximum(x[r], 0, out=flat[r]), len(flat), flat.size, kind="elementwise")
    return y


def relu_grad(xp, gy, y):
    """The gradient through a ReLU, ``gy`` where its output ``y`` (or its input) is positive, else 0:
    a new array, split across striate's threads."""
    g = xp.empty(y.shape, dtype=xp.result_type(gy, y))
    gy, y, flat = gy.reshape(-1), y.reshape(-1), g.reshape(-1)
    backend.parallel(lambda r: xp.multiply(gy[r], y[r] > 0, out=flat[r]), len(flat), 2 * flat.size,
                     kind="elementwise")
    return g


def tanh(xp, x, out=None):
    """``tanh(x)`` (into ``out``): striate[fast]'s compiled kernel for contiguous float32 arrays on the
    CPU (unless NumPy's is faster there), else the array module's."""
    if out is None:
        out = xp.empty(x.shape, dtype=x.dtype if x.dtype.kind == "f" else backend.floatx())
    kernels = None if accel.numpy_tanh_is_faster() else accel.kernels_for(x, out)
    if kernels is None:
        return xp.tanh(x, out=out)
    if out is x:
        kernels.tanh_in_place(x.reshape(-1))
    else:
        kernels.tanh(x.reshape(-1), out.reshape(-1))
    return out


def activation_grad(activation, g, y):
    """The gradient through the fused activation, from its output ``y``."""
    if activation == "relu":
        return g * (y > 0)
    if activation == "tanh":
        xp, kernels = backend.xp(), accel.kernels_for(g, y)
        if kernels is not None:
            d = xp.empty(y.shape, dtype=y.dtype)  # one pass, the same bits as the three below
            kernels.tanh_grad(g.reshape(-1), y.reshape(-1), d.reshape(-1))
            return d
        d = xp.multiply(y, y, dtype=xp.result_type(g, y))  # 1 - y^2, built in one new array
        xp.subtract(1.0, d, out=d)
        d *= g
        return d
    return g
