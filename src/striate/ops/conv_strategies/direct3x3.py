"""3x3 convolutions with stride 1 and "same" padding, without a 9x patch matrix.

The image is laid out flat, one pixel per row of C values, with a zero pixel after each image row
and a zero row after each image, and zero rows before the first image::

    row width R = W + 1,  image size S = (H + 1) * R,  pixel (n, h, w) at flat row B + n*S + h*R + w

In this layout the pixel under tap (i, j) of output (n, h, w) is always ``(i - 1) * R + (j - 1)``
rows away from that output's own pixel, whatever the position: the zero pixels and rows are the
padding, shared by neighbouring rows and images. So each tap is one matrix product of a contiguous
slice of the flat image with the tap's (C_in, C_out) kernel, over a "wide" output of N*S rows
(the rows that fall on padding are computed and dropped).

Forward: neighbouring pixels of a row are adjacent flat rows, so ``_triples`` copies the flat image
once into a matrix L whose row q holds flat rows q, q+1, q+2 (3x the image, where im2col copies 9x).
Kernel row i is then the slice of L starting at row i*R, times ``w[i]`` as a (3*C_in, C_out)
matrix: one product with the three kernel rows side by side, (3*C_in, 3*C_out), whose column blocks,
shifted by R rows each, are added into the output while the padding rows are dropped.

Backward, with G the output's gradient in the flat layout (zero on the padding rows) and D its
vertical triples (row q holds G's rows q, q+R, q+2R):

- the input's gradient is the convolution of G with the kernel turned by 180 degrees and its
  channel axes swapped, ``dx[q] = sum_t G[q - t] @ w[t]^T`` over the taps' offsets t: by kernel
  column this time, one product of D with the kernel's columns side by side, (3*C_out, 3*C_in),
  whose column blocks, one row apart, are added up;
- the kernel's gradient is one product, ``L^T @ D`` (with D's rows aligned one row and one image
  row after L's): its block (j, k) sums ``x[p + (2-k-1)*R + j - 1]^T dy[p]`` over the outputs p,
  which is the gradient of tap (2 - k, j).

The batch is split in parts on striate's threads; each part goes a chunk of images at a time,
lowered, multiplied and added up in scratch arrays it keeps (``_Buffers``) while they are in cache.
"""
import math

from striate import backend
from striate.ops.conv_strategies.lowered import sum_parts
from striate.ops.linalg import activate, activation_grad


def fits(kernel_shape, strides, dilation, pads):
    """Whether ``Direct3x3`` computes this convolution.

    Args:
        kernel_shape: (kh, kw, C_in, C_out).
        strides, dilation: pairs.
        pads: ((top, bottom), (left, right)).

    Returns:
        True for a 3x3 kernel, stride 1, no dilation and one pixel of padding on every side ("same").

    Example:
        >>> fits((3, 3, 16, 16), (1, 1), (1, 1), ((1, 1), (1, 1)))
        True
        >>> fits((3, 3, 16, 16), (2, 2), (1, 1), ((0, 1), (0, 1)))
        False
    """
    return kernel_shape[:2] == (3, 3) and strides == (1, 1) and dilation == (1, 1) and pads == ((1, 1), (1, 1))


def _flat(xp, images, before, after, buffers, name):
    """NHWC ``images`` in the flat layout, a pixel a row, with ``before`` zero rows before the first
    image's pixel (0, 0) and ``after`` after the last image's zero row: (before + N*S + after, C)."""
    n, h, w, c = images.shape
    r, s = w + 1, (h + 1) * (w + 1)
    rows = buffers.take(name, (before + n * s + after, c), images.dtype)
    rows[...] = 0
    rows[before:before + n * s].reshape(n, h + 1, r, c)[:, :h, :w] = images
    return rows


def _triples(xp, rows, step, buffers, name):
    """Row q of the result holds ``rows`` q, q + step and q + 2*step: (len(rows) - 2*step, 3*C)."""
    out = buffers.take(name, (len(rows) - 2 * step, 3 * rows.shape[1]), rows.dtype)
    out[...] = xp.lib.stride_tricks.as_strided(rows, (len(out), 3, rows.shape[1]),
                                               (rows.strides[0], step * rows.strides[0], rows.strides[1])
                                               ).reshape(out.shape)
    return out


def _add_shifted(xp, lowered, matrix, offsets, out, buffers):
    """``out`` (N, H, W, C') set to the sum over blocks k of ``(lowered @ matrix)``'s column block k
    (C' wide) from row ``offsets[k]`` on, read in the wide layout (rows on padding dropped)."""
    n, h, w, c = out.shape
    r, s = w + 1, (h + 1) * (w + 1)
    wide = xp.matmul(lowered, matrix, out=buffers.take("wide", (len(lowered), matrix.shape[1]), out.dtype))
    views = [wide[at:at + n * s, k * c:(k + 1) * c].reshape(n, h + 1, r, c)[:, :h, :w] for k, at in enumerate(offsets)]
    xp.add(views[0], views[1], out=out)
    out += views[2]
    return out


class _Buffers:
    """Scratch arrays kept by name and reused, chunk after chunk: fresh large arrays would cost the
    allocator's page faults for each chunk, and leave the cache the chunks are sized for."""

    def __init__(self, xp):
        self.xp, self.arrays = xp, {}

    def take(self, name, shape, dtype):
        """An uninitialized array of ``shape``, the start of the one kept as ``name`` (grown as needed)."""
        size = math.prod(shape)
        kept = self.arrays.get(name)
        if kept is None or kept.size < size or kept.dtype != dtype:
            kept = self.arrays[name] = self.xp.empty(size, dtype=dtype)
        return kept[:size].reshape(shape)


# The input bytes lowered at once: few enough that the lowered chunk and its product (each three times
# the chunk) stay in a core's cache.
CHUNK_BYTES = 1 << 18


def _chunks(samples, image_bytes):
    """``samples`` (a slice of the batch) as consecutive slices of about ``CHUNK_BYTES`` of images each."""
    step = max(1, CHUNK_BYTES // image_bytes)
    return [slice(start, min(start + step, samples.stop)) for start in range(samples.start, samples.stop, step)]


class Direct3x3:
    """The convolution by ``_triples`` and one product per chunk of the batch (see the module's docstring),
    plus a bias and an activation (None, "relu" or "tanh") in place.

    Args:
        activation: None, "relu" or "tanh".

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 3, 3, 2), "float32"), np.ones((3, 3, 2, 1), "float32")
        >>> Direct3x3().forward(np, x, w)[0, :, :, 0].tolist()
        [[8.0, 12.0, 8.0], [12.0, 18.0, 12.0], [8.0, 12.0, 8.0]]
    """

    def __init__(self, activation=None):
        self.activation = activation

    def forward(self, xp, x, w, b=None):
        """``activation(conv(x, w) + b)`` of NHWC ``x``, "same" padding: (N, H, W, C_out)."""
        self.x, self.w, self.has_bias = x, w, b is not None
        self.y = y = xp.empty(x.shape[:3] + w.shape[3:], dtype=xp.result_type(x, w))
        r = x.shape[2] + 1
        # the kernel rows side by side: (j, C_in) by (i, C_out)
        kernel_rows = w.transpose(1, 2, 0, 3).copy().reshape(3 * w.shape[2], 3 * w.shape[3])

        def part(samples):  # chunk by chunk, each lowered, multiplied and activated while in cache
            buffers = _Buffers(xp)
            for chunk in _chunks(samples, x[0].nbytes):
                lowered = _triples(xp, _flat(xp, x[chunk], r + 1, r + 1, buffers, "flat"), 1, buffers, "lowered")
                _add_shifted(xp, lowered, kernel_rows, (0, r, 2 * r), y[chunk], buffers)
                activate(xp, self.activation, y[chunk], b)
        backend.parallel(part, len(x), 4 * x.size + 4 * y.size)
        return y

    # The lowered input is made again, chunk by chunk, rather than kept from the forward pass: a copy
    # that stays in cache for its product, where a kept one (three times the input) comes back from memory.
    def backward(self, xp, gy, needs_grad):
        """``(input's gradient, kernel's, bias's)`` from the output's gradient ``gy``; each None where
        ``needs_grad`` (one bool per input) says so."""
        need_x, need_w, need_b = needs_grad[0], needs_grad[1], self.has_bias and needs_grad[2]
        g = activation_grad(self.activation, gy, self.y)
        n, h, w, cout = g.shape
        cin, r = self.w.shape[2], w + 1
        gx = xp.empty(g.shape[:3] + (cin,), dtype=xp.result_type(g, self.w)) if need_x else None
        # the kernel's columns side by side, each turned upside down and transposed: (i, C_out) by (j, C_in)
        turned = self.w[::-1].transpose(0, 3, 1, 2).copy().reshape(3 * cout, 3 * cin) if need_x else None

        def part(samples):
            total, buffers = None, _Buffers(xp)
            for chunk in _chunks(samples, max(g[0].nbytes, self.x[0].nbytes)):
                # the gradient's vertical triples: row q holds its flat rows q, q + R, q + 2R
                down = _triples(xp, _flat(xp, g[chunk], 3 * r + 1, 2 * r, buffers, "flat g"), r, buffers, "down")
                if need_x:
                    _add_shifted(xp, down, turned, (2 * r + 2, 2 * r + 1, 2 * r), gx[chunk], buffers)
                if need_w:
                    lowered = _triples(xp, _flat(xp, self.x[chunk], r + 1, r + 1, buffers, "flat"), 1, buffers,
                                      "lowered")
                    rows = lowered.T @ down[r + 1:r + 1 + len(lowered)]  # (j, C_in) by (2 - i, C_out)
                    total = rows if total is None else xp.add(total, rows, out=total)
            return total
        parts = backend.parallel(part, n, 4 * g.size + 4 * (gx.size if need_x else 0))
        gw = None
        if need_w:
            gw = sum_parts(parts).reshape(3, cin, 3, cout)[:, :, ::-1].transpose(2, 0, 1, 3).copy()
        gb = g.sum(axis=(0, 1, 2)) if need_b else None
        return gx, gw, gb
