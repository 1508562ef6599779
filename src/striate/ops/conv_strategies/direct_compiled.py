"""3x3 convolutions with stride 1 or 2 by striate[fast]'s compiled kernels, for 16 to 256 channels.

With 16 or 32 channels the products of the lowered strategies are thin (48 or 96 columns), so BLAS
spends its time on memory, and every lowering copies the image; with more, the copies cost about
what BLAS's products fall short of the CPU's rate. The kernels of ``backend._conv_kernels`` compute
the convolution directly from the image: each keeps a few neighbouring output pixels (a block of up
to 32 of their channels) in vector registers while it adds up their 9 * C_in products, so the image
is read from cache and nothing is lowered.

- forward: ``activation(conv(x, w) + b)``, the bias and a ReLU in the kernel (tanh after it);
- the input's gradient: at stride 1 the same kernel on the output's gradient, with the kernel turned
  by 180 degrees and its channel axes swapped, padded by 2 minus the forward's padding; at stride 2
  a kernel of its own, in which each input pixel gathers the taps that reached it (the pixels of one
  column parity share theirs);
- the kernel's gradient: a kernel that adds ``x`` under each tap times the output's gradient, tile by
  tile of the (3, 3, C_in, C_out) result kept in registers;
- the bias's gradient: the output's gradient summed over the pixels (a product with a vector of ones).

The batch is split in parts on striate's threads (``backend.parallel``); each output value comes from
the same kernel calls in any split, only the kernel's and the bias's gradients add the parts'
partial sums.
Arrays other than float32 (or with the kernels turned off) go to ``direct3x3.Direct3x3`` ("same"
padding) or ``lowered.Patches`` ("valid").
"""
from striate import backend
from striate.backend import accel
from striate.ops.conv_strategies import direct3x3
from striate.ops.conv_strategies.lowered import Patches, sum_parts
from striate.ops.linalg import activate, activation_grad


def fits(kernel_shape, strides, dilation, pads):
    """Whether ``DirectCompiled`` computes this convolution.

    Args:
        kernel_shape: (kh, kw, C_in, C_out).
        strides, dilation: pairs.
        pads: ((top, bottom), (left, right)).

    Returns:
        True for a 3x3 kernel, stride 1 or 2 (the same on both axes), no dilation and one pixel of
        padding or none on every side ("same" and "valid" padding, but for "valid" windows that leave
        pixels out at the end).

    Example:
        >>> fits((3, 3, 16, 16), (1, 1), (1, 1), ((0, 0), (0, 0)))
        True
        >>> fits((3, 3, 16, 32), (2, 2), (1, 1), ((0, 1), (0, 1)))   # "same" at stride 2, even sizes
        True
        >>> fits((3, 3, 16, 16), (1, 1), (2, 2), ((2, 2), (2, 2)))
        False
    """
    return (tuple(kernel_shape[:2]) == (3, 3) and strides in ((1, 1), (2, 2)) and dilation == (1, 1)
            and all(p in (0, 1) for pair in pads for p in pair))


class DirectCompiled:
    """The convolution by the compiled kernels (see the module's docstring), plus a bias and an
    activation (None, "relu" or "tanh").

    Args:
        strides, dilation: pairs (``fits`` says which this strategy computes).
        pads: ((top, bottom), (left, right)).
        out_hw: the output's (OH, OW).
        activation: None, "relu" or "tanh".

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 3, 3, 2), "float32"), np.ones((3, 3, 2, 1), "float32")
        >>> DirectCompiled((1, 1), (1, 1), ((1, 1), (1, 1)), (3, 3)).forward(np, x, w)[0, :, :, 0].tolist()
        [[8.0, 12.0, 8.0], [12.0, 18.0, 12.0], [8.0, 12.0, 8.0]]
    """

    def __init__(self, strides, dilation, pads, out_hw, activation=None):
        self.settings, self.activation, self.fallback = (strides, dilation, pads, out_hw, activation), activation, None
        self.top, self.left, self.stride = pads[0][0], pads[1][0], strides[0]

    def forward(self, xp, x, w, b=None):
        """``activation(conv(x, w) + b)`` of NHWC ``x``: (N, OH, OW, C_out)."""
        kernels = accel.conv_kernels()
        if kernels is None or not all(a.dtype == "float32" for a in (x, w) + (() if b is None else (b,))):
            strides, dilation, pads = self.settings[:3]
            self.fallback = (direct3x3.Direct3x3(self.activation) if direct3x3.fits(w.shape, strides, dilation, pads)
                             else Patches(*self.settings))
            return self.fallback.forward(xp, x, w, b)
        n, cin, cout = x.shape[0], w.shape[2], w.shape[3]
        self.x, self.w, self.has_bias = xp.ascontiguousarray(x), xp.ascontiguousarray(w), b is not None
        bias = xp.zeros(cout, dtype=x.dtype) if b is None else xp.ascontiguousarray(b)
        self.y = y = xp.empty((n,) + self.settings[3] + (cout,), dtype=x.dtype)
        conv, relu = kernels.conv3x3(cin, cout, self.stride), self.activation == "relu"
        packed = kernels.pack(xp, self.w)

        def part(samples):
            conv(self.x[samples], packed, bias, self.top, self.left, relu, y[samples])
            if self.activation == "tanh":
                activate(xp, "tanh", y[samples])
        backend.parallel(part, n, 4 * x.size + 4 * y.size)
        return y

    def backward(self, xp, gy, needs_grad):
        """``(input's gradient, kernel's, bias's)`` from the output's gradient ``gy``; each None where
        ``needs_grad`` (one bool per input) says so."""
        if self.fallback is not None:
            return self.fallback.backward(xp, gy, needs_grad)
        kernels = accel.conv_kernels()
        need_x, need_w, need_b = needs_grad[0], needs_grad[1], self.has_bias and needs_grad[2]
        n, cin, cout = self.x.shape[0], self.w.shape[2], self.w.shape[3]
        gx = xp.empty(self.x.shape, dtype=self.y.dtype) if need_x else None
        if need_x and self.stride == 1:
            # NOTE: dx[q] = sum over taps t of g[q - t] w[t]^T: a convolution of g with the kernel turned
            # by 180 degrees, channels swapped, and padded by what the forward cut off (2 - pad)
            packed = kernels.pack(xp, self.w[::-1, ::-1].transpose(0, 1, 3, 2))
            zeros, turned = xp.zeros(cin, dtype=self.y.dtype), kernels.conv3x3(cout, cin)

            def input_grad(g, dx):
                turned(g, packed, zeros, 2 - self.top, 2 - self.left, False, dx)
        elif need_x:  # strided: each input pixel gathers the taps that reached it (a kernel of its own)
            packed, strided = kernels.pack(xp, self.w.transpose(0, 1, 3, 2)), kernels.conv3x3_input_grad(
                cin, cout, self.stride)

            def input_grad(g, dx):
                strided(g, packed, self.top, self.left, dx)
        kernel_grad = kernels.conv3x3_kernel_grad(cin, cout, self.stride) if need_w else None

        def part(samples):
            # each sample's gradients come from its own g: the activation's gradient, the bias's sum and
            # both kernels run on the part's samples alone
            g = xp.ascontiguousarray(activation_grad(self.activation, gy[samples], self.y[samples]),
                                     dtype=self.y.dtype)
            if need_x:
                input_grad(g, gx[samples])
            gw = gb = None
            if need_w:
                gw = xp.zeros(self.w.shape, dtype=g.dtype)
                kernel_grad(self.x[samples], g, self.top, self.left, gw)
            if need_b:
                gb = backend.sum_rows(g.reshape(-1, cout))
            return gw, gb
        parts = backend.parallel(part, n, 4 * gy.size + 4 * self.x.size)
        gw = sum_parts(p[0] for p in parts) if need_w else None
        gb = sum_parts(p[1] for p in parts) if need_b else None
        return gx, gw, gb
