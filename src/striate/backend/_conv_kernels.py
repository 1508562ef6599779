"""Compiled direct 3x3 convolutions (Numba) for few channels: ``ops.conv_strategies.direct_compiled``.

Imported by ``backend.accel.conv_kernels`` only when striate[fast]'s kernels are in use. Every kernel
works on float32 C-contiguous NHWC arrays that the op allocated, releases the GIL (striate's threads
run them side by side on their parts of the batch), and is compiled once per (C_in, C_out) and cached
on disk: with the channel counts constant, the compiler unrolls the loops over a few output pixels
and vectorizes the one over output channels, so that each kernel keeps a block of outputs in vector
registers while it adds up the 9 * C_in products that make them (no patch matrix, no lowered copy).

Forward, for each output row, a step of neighbouring output pixels at a time: for every kernel row
i and input channel c, the three taps of that row, ``acc[p, :] += x[row + i, col + p + j, c] * w[i, j, c, :]``
for j = 0, 1, 2 (three vectors of kernel values; each input value, broadcast once, serves every tap
and pixel that reads it: pixel p under tap j + 1 reads what pixel p + 1 reads under tap j). Then the
bias (and a ReLU). The image is first copied into a zeroed scratch image with its padding around it
(one image at a time: it stays in cache).

The input's gradient is the same kernel run on the output's gradient with the kernel turned by 180
degrees and its channel axes swapped (``dx = conv(gy, w[::-1, ::-1].T)``, padded by 2 - pad). At
stride 2 a kernel of its own: an input pixel receives from the taps whose output it fed, two taps
in a row for even columns (relative to the padding), one for odd, so a step of neighbouring input
pixels shares the output gradient's values as the forward shares the input's.

The kernel's gradient, ``dw[i, j, c, :] = sum over outputs p of x[p + (i, j), c] * gy[p, :]``: a tile
of ``ROWS`` input channels of one tap stays in registers while the outputs whose tap falls inside
the image (padding adds nothing) go by, one image at a time.
"""
import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

from striate.backend import memo
from striate.backend._kernels import _stack_floats, _unsigned


@intrinsic
def _wide_vectors(typingctx):
    """Let the compiler use 512-bit vectors in the function that calls this (where the CPU has them).

    NOTE: LLVM keeps to 256-bit vectors on Intel's AVX-512 CPUs unless a function asks for more
    (clang's ``-mprefer-vector-width=512``); these two attributes are how a function asks. llvmlite
    lists only the attributes without values, hence the plain set's ``add``.
    """
    def lower(context, builder, signature, args):
        for attribute in ('"prefer-vector-width"="512"', '"min-legal-vector-width"="512"'):
            try:
                set.add(builder.function.attributes, attribute)
            except TypeError:  # an llvmlite whose attributes are no set: 256-bit vectors, the same results
                break
        return context.get_dummy_value()
    return types.none(), lower


def _channel_block(cout, most):
    """Output channels a kernel keeps in registers at once: all of them up to ``most``, else the
    largest divisor of ``cout`` up to ``most`` (the others follow, block by block, over the same input)."""
    return max(d for d in range(1, min(cout, most) + 1) if cout % d == 0)


# NOTE: blocks of at most 32 output channels in the forward kernel (8 pixels of 32 channels: each
# kernel value loaded serves 8 products, so its stream from L2 keeps up with many input channels),
# of at most 64 in the kernel's gradient (whose tiles of fewer than all channels ran at a third of the
# speed in 8-channel rows; benchmarks/NOTES.md, "Channel blocks")
FORWARD_BLOCK, GRADIENT_BLOCK = 32, 64


def _pixels(cout):
    """Output pixels a forward step (an even number): their accumulators (a block of channels each)
    fill at most 16 of the 32 vector registers, leaving the others to the kernel values and the
    broadcast inputs."""
    return 2 * max(1, min(8, 128 // _channel_block(cout, FORWARD_BLOCK)))


def _rows(cin, cout):
    """Input channels in a tile of the kernel's gradient (a block of output channels wide): all of
    them where their accumulators fill at most 16 vector registers, else the largest divisor of
    ``cin`` up to 8 that fills at most 16.

    NOTE: tiles of 16 channels out of more (32 -> 16, 64 -> 16) compiled to code at a third of the
    speed of 8-channel tiles (benchmarks/NOTES.md, "The kernel's gradient").
    """
    block = _channel_block(cout, GRADIENT_BLOCK)
    if cin * block <= 256:
        return cin
    return max(d for d in range(1, min(8, max(1, 256 // block), cin) + 1) if cin % d == 0)


def _copy_runs(run):
    """The compiled function ``(dst, at, src, start, runs)``: ``dst[at:at + runs * run] = src[start:start +
    runs * run]`` (1-D float32 arrays), ``run`` (a constant) values at a time through registers.

    NOTE: a slice's assignment, or a plain loop, copies value by value: the compiler cannot tell that
    the two arrays do not overlap. Through a stack array the loads and the stores are each one run of
    vectors.
    """
    @numba.njit(nogil=True, inline="always")
    def copy(dst, at, src, start, runs):
        values = numba.carray(_stack_floats(run), (run,))
        for q in range(runs):
            for k in range(run):
                values[k] = src[_unsigned(start + q * run + k)]
            for k in range(run):
                dst[_unsigned(at + q * run + k)] = values[k]
    return copy


_compiled = {}


def conv3x3(cin, cout, stride=1):
    """The kernel ``(x, wp, b, top, left, relu, y)``: ``y`` (N, OH, OW, C_out) = the 3x3 convolution
    (stride ``stride``) of ``x`` (N, H, W, C_in) with the kernel packed by ``pack`` (``wp``) plus ``b``
    (C_out), its ReLU where ``relu``; ``x`` padded by ``top`` rows and ``left`` columns before (and by
    what makes OH = (H + top + bottom - 3) // stride + 1 after, likewise the columns; bottom and right
    at least 0). All float32, C-contiguous."""
    return memo(_compiled, ("conv", cin, cout, stride), lambda: _conv_kernel(cin, cout, stride))


def pack(xp, w):
    """The (3, 3, C_in, C_out) kernel ``w`` as ``conv3x3`` reads it: block by block of output channels,
    each block's (3, 3, C_in, block) values in a row, so that the kernel streams them in order."""
    cin, cout = w.shape[2:]
    block = _channel_block(cout, FORWARD_BLOCK)
    return xp.ascontiguousarray(w.reshape(9 * cin, cout // block, block).transpose(1, 0, 2)).reshape(-1)


def conv3x3_kernel_grad(cin, cout, stride=1):
    """The kernel ``(x, g, top, left, dw)``: ``dw`` (3, 3, C_in, C_out) += the gradient of the kernel of
    ``conv3x3`` from ``x`` (N, H, W, C_in) and the output's gradient ``g`` (N, OH, OW, C_out)."""
    return memo(_compiled, ("kernel grad", cin, cout, stride), lambda: _kernel_grad_kernel(cin, cout, stride))


def conv3x3_input_grad(cin, cout, stride):
    """The kernel ``(g, wp, top, left, dx)`` for a stride of 2: ``dx`` (N, H, W, C_in) = the
    gradient of the input of ``conv3x3`` from the output's gradient ``g`` (N, OH, OW, C_out), ``wp``
    being ``pack`` of the kernel with its channel axes swapped, (3, 3, C_out, C_in). (At stride 1 the
    input's gradient is ``conv3x3`` itself, with the kernel turned.)"""
    return memo(_compiled, ("input grad", cin, cout, stride), lambda: _input_grad_kernel(cin, cout, stride))


def _conv_kernel(cin, cout, stride):
    pixels, cblock = _pixels(cout), _channel_block(cout, FORWARD_BLOCK)
    block, span = pixels * cblock, ((pixels - 1) * stride + 3) * cin  # span: the inputs a step's pixels read
    copy = _copy_runs(cin)

    @numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
    def kernel(x, wp, b, top, left, relu, y):
        _wide_vectors()
        n, h, wd = x.shape[:3]
        oh, ow = y.shape[1:3]
        # the scratch image: the rows and columns the outputs read (whole steps of pixels), padding included
        width, height = (-(-ow // pixels) * pixels - 1) * stride + 3, (oh - 1) * stride + 3
        padded = np.zeros(height * width * cin, dtype=np.float32)
        # NOTE: the bias comes in and the results go out through stack arrays (``bias``, ``done``): where
        # the accumulators' loops read ``b`` or wrote ``y`` directly, LLVM kept the accumulators in memory
        acc = numba.carray(_stack_floats(block), (block,))
        bias, done = numba.carray(_stack_floats(block), (block,)), numba.carray(_stack_floats(block), (block,))
        xf, yf = x.reshape(-1), y.reshape(-1)
        rows, columns = min(h, height - top), min(wd, width - left)
        for s in range(n):
            for r in range(rows):
                copy(padded, ((top + r) * width + left) * cin, xf, (s * h + r) * wd * cin, columns)
            for cb in range(0, cout, cblock):  # a block of output channels over the whole image
                for k in range(block):
                    bias[k] = b[cb + k % cblock]
                for r in range(oh):
                    for o in range(0, ow, pixels):
                        for k in range(block):
                            acc[k] = 0
                        for i in range(3):
                            at = ((r * stride + i) * width + o * stride) * cin
                            xs = padded[at:at + span]
                            at = (cb * 9 + i * 3 * cblock) * cin  # (block cb, taps (i, 0), (i, 1), (i, 2)) of wp
                            ws = wp[at:at + 3 * cin * cblock]
                            for c in range(cin):
                                # NOTE: the taps' loop inside the channels' (not outside, as a reader might
                                # write it) is what lets the compiler load each input value once for all
                                # the products that use it
                                for j in range(3):
                                    for co in range(cblock):
                                        wc = ws[(j * cin + c) * cblock + co]
                                        for p in range(pixels):
                                            acc[p * cblock + co] += xs[(p * stride + j) * cin + c] * wc
                        for k in range(block):
                            done[k] = max(acc[k] + bias[k], np.float32(0.0)) if relu else acc[k] + bias[k]
                        at = ((s * oh + r) * ow + o) * cout + cb
                        # element by element (slices of ``yf`` cost a view's set-up each)
                        if cblock == cout:  # (a constant: the step's pixels are one run of y)
                            for k in range(min(pixels, ow - o) * cout):
                                yf[_unsigned(at + k)] = done[k]
                        else:
                            for p in range(min(pixels, ow - o)):
                                for co in range(cblock):
                                    yf[_unsigned(at + p * cout + co)] = done[p * cblock + co]
    return kernel


def _kernel_grad_kernel(cin, cout, stride):
    rows, cblock = _rows(cin, cout), _channel_block(cout, GRADIENT_BLOCK)
    block = rows * cblock

    @numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
    def kernel(x, g, top, left, dw):
        _wide_vectors()
        n, h, wd = x.shape[:3]
        oh, ow = g.shape[1:3]
        acc = numba.carray(_stack_floats(block), (block,))
        xf, gf, dwf = x.reshape(-1), g.reshape(-1), dw.reshape(-1)
        # NOTE: a band of output rows at a time (8192 / (C_in + C_out) pixels, their x and g near 32 KB,
        # and 32 pixels at least, so that a tile's loads and stores stay few against its products): every
        # tile visits the band while those rows stay in cache; whole images at a time streamed them from
        # L2 once per tile (benchmarks/NOTES.md, "Bands")
        band = max(1, 32 // ow, 8192 // ((cin + cout) * ow))
        for s in range(n):
            for b0 in range(0, oh, band):
                b1 = min(oh, b0 + band)
                for i in range(3):
                    # the band's output rows whose tap row r * stride + i - top is inside the image
                    r0, r1 = max(b0, -((i - top) // stride)), min(b1, (h - 1 + top - i) // stride + 1)
                    if r1 <= r0:
                        continue
                    for j in range(3):
                        o0, o1 = max(0, -((j - left) // stride)), min(ow, (wd - 1 + left - j) // stride + 1)
                        if o1 <= o0:
                            continue
                        for c0 in range(0, cin, rows):
                            for cb in range(0, cout, cblock):
                                at = ((i * 3 + j) * cin + c0) * cout + cb  # the tile: rows x cblock of dw
                                # (signed indices here, unlike the other kernels' loads and stores: unsigned
                                # ones slowed the wide tiles down; benchmarks/NOTES.md, "Unsigned indices")
                                if cblock == cout:  # (a constant: the tile is one run of dw)
                                    for k in range(block):
                                        acc[k] = dwf[at + k]
                                else:
                                    for q in range(rows):
                                        for co in range(cblock):
                                            acc[q * cblock + co] = dwf[at + q * cout + co]
                                for r in range(r0, r1):
                                    src = ((s * h + r * stride + i - top) * wd + o0 * stride + j - left) * cin + c0
                                    xs = xf[src:src + ((o1 - o0 - 1) * stride + 1) * cin]
                                    gs = gf[((s * oh + r) * ow + o0) * cout + cb:((s * oh + r) * ow + o1) * cout]
                                    for o in range(o1 - o0):
                                        for co in range(cblock):
                                            gc = gs[o * cout + co]
                                            for q in range(rows):
                                                acc[q * cblock + co] += xs[o * stride * cin + q] * gc
                                if cblock == cout:
                                    for k in range(block):
                                        dwf[at + k] = acc[k]
                                else:
                                    for q in range(rows):
                                        for co in range(cblock):
                                            dwf[at + q * cout + co] = acc[q * cblock + co]
    return kernel


def _input_grad_kernel(cin, cout, stride):
    # dx[y, x] = sum over taps (i, j) with y + top - i and x + left - j even of
    # w[i, j] g[(y + top - i) / 2, (x + left - j) / 2]. A step takes ``pixels`` input columns x0 + p
    # with x0 + left even: an even p receives from output columns base + p / 2 (tap 0) and
    # base + p / 2 - 1 (tap 2), an odd p from base + (p - 1) / 2 (tap 1), base = (x0 + left) / 2
    if stride != 2:
        raise ValueError(f"conv3x3_input_grad: stride must be 2, got {stride}")
    pixels, cblock = _pixels(cin), _channel_block(cin, FORWARD_BLOCK)
    half, block = pixels // 2, pixels * cblock
    copy = _copy_runs(cout)

    @numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
    def kernel(g, wp, top, left, dx):
        _wide_vectors()
        n, oh, ow = g.shape[:3]
        h, wd = dx.shape[1:3]
        width = ow + half + 3  # g with a column of zeros before, and room after a step's last pixels
        padded = np.zeros(oh * width * cout, dtype=np.float32)
        acc = numba.carray(_stack_floats(block), (block,))
        done = numba.carray(_stack_floats(block), (block,))
        gf, dxf = g.reshape(-1), dx.reshape(-1)
        for s in range(n):
            for r in range(oh):
                copy(padded, (r * width + 1) * cout, gf, (s * oh + r) * ow * cout, ow)
            for cb in range(0, cin, cblock):
                for y in range(h):
                    for x0 in range(-left, wd, pixels):
                        base = (x0 + left) // 2
                        for k in range(block):
                            acc[k] = 0
                        for i in range(3):
                            if (y + top - i) % 2 != 0:
                                continue
                            r = (y + top - i) // 2
                            if r < 0 or r >= oh:
                                continue
                            at = (r * width + base) * cout  # output column base - 1
                            gs = padded[at:at + (half + 1) * cout]
                            at = (cb * 9 + i * 3 * cblock) * cout  # (block cb, taps (i, 0), (i, 1), (i, 2)) of wp
                            ws = wp[at:at + 3 * cout * cblock]
                            for co in range(cout):
                                for ci in range(cblock):
                                    w0, w1, w2 = (ws[co * cblock + ci], ws[(cout + co) * cblock + ci],
                                                  ws[(2 * cout + co) * cblock + ci])
                                    for e in range(half):
                                        # (two statements, two multiply-adds: one sum of two products
                                        # compiles to a product, a multiply-add and an add)
                                        acc[2 * e * cblock + ci] += gs[(e + 1) * cout + co] * w0
                                        acc[2 * e * cblock + ci] += gs[e * cout + co] * w2
                                        acc[(2 * e + 1) * cblock + ci] += gs[(e + 1) * cout + co] * w1
                        for k in range(block):
                            done[k] = acc[k]
                        p0, p1 = max(0, -x0), min(pixels, wd - x0)  # the step's pixels inside the image
                        at = ((s * h + y) * wd + x0 + p0) * cin + cb
                        if cblock == cin:  # (a constant: the pixels are one run of dx)
                            for k in range((p1 - p0) * cin):
                                dxf[_unsigned(at + k)] = done[p0 * cin + k]
                        else:
                            for p in range(p1 - p0):
                                for ci in range(cblock):
                                    dxf[_unsigned(at + p * cin + ci)] = done[(p0 + p) * cblock + ci]
    return kernel
