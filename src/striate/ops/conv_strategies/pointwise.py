"""1x1 convolutions with stride 1: a Dense layer applied to every pixel (NiN, GoogLeNet's reductions,
a segmentation's class head).

With a 1x1 kernel the patches are the pixels themselves, so the convolution is one product of the
(N * H * W, C_in) pixels with the (C_in, C_out) kernel, and backward the two products of a Dense
layer: ``dx = g W^T`` and ``dW = x^T g``; the bias's gradient is ``g``'s column sums. Each product is
split by rows across striate's threads as ``ops.linalg.product_rows`` decides: the Dense layer's own
functions (``ops.linalg.dense_rows`` and ``dense_rows_grad``) compute it.
"""
from striate.ops.linalg import dense_rows, dense_rows_grad


def fits(kernel_shape, strides, dilation, pads):
    """Whether ``Pointwise`` computes this convolution: a 1x1 kernel, stride 1, no padding.

    Example:
        >>> fits((1, 1, 16, 4), (1, 1), (1, 1), ((0, 0), (0, 0)))
        True
        >>> fits((1, 1, 16, 4), (2, 2), (1, 1), ((0, 0), (0, 0)))
        False
    """
    return tuple(kernel_shape[:2]) == (1, 1) and strides == (1, 1) and pads == ((0, 0), (0, 0))


class Pointwise:
    """``activation(x @ w + b)`` over the pixels of NHWC ``x`` (see the module's docstring), the
    activation None, "relu" or "tanh".

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 2, 2, 3), "float32"), np.ones((1, 1, 3, 2), "float32")
        >>> Pointwise().forward(np, x, w)[0, :, :, 0].tolist()
        [[3.0, 3.0], [3.0, 3.0]]
    """

    def __init__(self, activation=None):
        self.activation = activation

    def forward(self, xp, x, w, b=None):
        """``activation(conv(x, w) + b)``: (N, H, W, C_out)."""
        cin, cout = w.shape[2:]
        self.x2, self.w2, self.has_bias = xp.ascontiguousarray(x).reshape(-1, cin), w.reshape(cin, cout), b is not None
        self.y2 = dense_rows(xp, self.x2, self.w2, b, self.activation)
        return self.y2.reshape(x.shape[:3] + (cout,))

    def backward(self, xp, gy, needs_grad):
        """``(input's gradient, kernel's, bias's)`` from the output's gradient ``gy``; each None where
        ``needs_grad`` (one bool per input) says so."""
        cin, cout = self.w2.shape
        gx, gw, gb = dense_rows_grad(xp, gy.reshape(-1, cout), self.x2, self.w2, self.y2, self.activation,
                                     needs_grad[:3] if self.has_bias else needs_grad[:2])
        return (None if gx is None else gx.reshape(gy.shape[:3] + (cin,)),
                None if gw is None else gw.reshape(1, 1, cin, cout), gb)
