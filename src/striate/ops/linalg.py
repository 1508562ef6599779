"""Matrix products."""
from striate.autodiff import Function


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
