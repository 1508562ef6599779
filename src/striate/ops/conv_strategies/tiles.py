"""Transposed convolutions whose stride equals their kernel (U-Net's 2x2 upsampling with stride 2).

There the input pixels' (kh, kw) patches of output tile the output without overlapping, so the
transposed convolution is one matrix product and a reshuffle, where ``ops.conv.ConvTranspose``'s
reference adds kh * kw products into strided views of the output (col2im):

- forward: ``t = x @ W`` with ``W`` the kernel as a (C_in, kh * kw * C_out) matrix gives each
  input pixel's whole tile; the tiles are copied to their places, the bias added on the way;
- backward: the output's gradient cut back into tiles (one copy) is ``gt``; then the input's
  gradient is ``gt @ W^T``, the kernel's ``x^T @ gt`` and the bias's the tiles' column sums.

The batch is split in parts on striate's threads; the kernel's and the bias's gradients add the
parts' partial sums.
"""
from striate import backend
from striate.ops.conv_strategies.lowered import sum_parts


def fits(kernel_shape, strides, dilation, crops):
    """Whether ``Tiles`` computes this transposed convolution: the stride equals the kernel, no dilation,
    nothing cropped or added at the ends.

    Args:
        kernel_shape: (kh, kw, C_out, C_in), Keras's layout for a transposed convolution's kernel.
        strides, dilation: pairs.
        crops: ((top, bottom), (left, right)) cut from the full output.

    Example:
        >>> fits((2, 2, 16, 32), (2, 2), (1, 1), ((0, 0), (0, 0)))
        True
        >>> fits((3, 3, 16, 32), (2, 2), (1, 1), ((1, 0), (1, 0)))
        False
    """
    return tuple(kernel_shape[:2]) == tuple(strides) and tuple(dilation) == (1, 1) and crops == ((0, 0), (0, 0))


class Tiles:
    """The transposed convolution as one product and a reshuffle (see the module's docstring).

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 1, 2, 1), "float32"), np.arange(4, dtype="float32").reshape(2, 2, 1, 1)
        >>> Tiles().forward(np, x, w)[0, :, :, 0].tolist()
        [[0.0, 1.0, 0.0, 1.0], [2.0, 3.0, 2.0, 3.0]]
    """

    def forward(self, xp, x, w, b=None):
        """NHWC ``x`` (N, H, W, C_in), kernel ``w`` (kh, kw, C_out, C_in), bias ``b`` or None: the
        (N, H * kh, W * kw, C_out) output."""
        n, h, wd, cin = x.shape
        kh, kw, cout = w.shape[:3]
        self.x2, self.w_shape, self.has_bias = x.reshape(-1, cin), w.shape, b is not None
        self.matrix = xp.ascontiguousarray(w.transpose(3, 0, 1, 2)).reshape(cin, kh * kw * cout)
        y = xp.empty((n, h * kh, wd * kw, cout), dtype=xp.result_type(x, w))
        rows = h * wd

        def part(s):
            tiles = (self.x2[s.start * rows:s.stop * rows] @ self.matrix).reshape(-1, h, wd, kh, kw, cout)
            place = y[s].reshape(-1, h, kh, wd, kw, cout)
            tiles = tiles.transpose(0, 1, 3, 2, 4, 5)
            if b is None:
                place[...] = tiles
            else:
                xp.add(tiles, b, out=place)
        backend.parallel(part, n, 2 * (x.size + y.size) + x.size * kh * kw * cout // 16)
        return y

    def backward(self, xp, gy, needs_grad):
        """``(input's gradient, kernel's, bias's)`` from the output's gradient ``gy``; each None where
        ``needs_grad`` (one bool per input) says so."""
        need_x, need_w, need_b = needs_grad[0], needs_grad[1], self.has_bias and needs_grad[2]
        kh, kw, cout, cin = self.w_shape
        n, oh, ow = gy.shape[:3]
        h, wd = oh // kh, ow // kw
        rows = h * wd
        gx = xp.empty((n, h, wd, cin), dtype=gy.dtype) if need_x else None

        def part(s):
            tiles = xp.ascontiguousarray(gy[s].reshape(-1, h, kh, wd, kw, cout).transpose(0, 1, 3, 2, 4, 5))
            tiles = tiles.reshape(-1, kh * kw * cout)
            if need_x:
                xp.matmul(tiles, self.matrix.T, out=gx[s].reshape(-1, cin))
            gw = self.x2[s.start * rows:s.stop * rows].T @ tiles if need_w else None
            gb = backend.sum_rows(tiles) if need_b else None
            return gw, gb
        parts = backend.parallel(part, n, 2 * gy.size + gy.size * cin // 8)
        gw = gb = None
        if need_w:  # (C_in, kh * kw * C_out) back to Keras's (kh, kw, C_out, C_in)
            gw = sum_parts(p[0] for p in parts).reshape(cin, kh, kw, cout).transpose(1, 2, 3, 0)
        if need_b:
            gb = sum_parts(p[1] for p in parts).reshape(kh * kw, cout).sum(axis=0)
        return gx, gw, gb
