"""Matrix products."""
from striate.autodiff import Function


class MatMul(Function):
    """Batched, broadcasting matrix product (NumPy's matmul rules, 1-D inputs included)."""

    def forward(self, xp, a, b):
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are incompatible: the last axis of "
                             "x1 must equal the second-to-last axis of x2")
        try:
            y = xp.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch axes of {a.shape} and {b.shape} cannot be broadcast together") from None
        self.a, self.b = a, b
        return y

    def backward(self, xp, gy):
        a, b = self.a, self.b
        # NOTE: promote 1-D operands to matrices so one formula serves: dA = G B^T, dB = A^T G.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = g2[..., None, :]
        if b.ndim == 1:
            g2 = g2[..., None]
        ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2)) if self.needs_grad[0] else None
        gb = xp.matmul(xp.swapaxes(a2, -1, -2), g2) if self.needs_grad[1] else None
        if ga is not None and a.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:]) if ga.ndim > 2 else ga[0]
            ga = ga.reshape(-1, a.shape[0]).sum(0) if ga.ndim > 1 else ga
        if gb is not None and b.ndim == 1:
            gb = gb[..., 0]
            gb = gb.reshape(-1, b.shape[0]).sum(0) if gb.ndim > 1 else gb
        return ga, gb
