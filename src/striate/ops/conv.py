"""Convolutions of images: conv, depthwise_conv and conv_transpose (keras.ops names and layouts).

Each is a matrix product over image patches. ``im2col`` gathers the kh*kw*C patch under every
output pixel into one row of a (pixels, kh*kw*C) matrix (a strided view and a single copy), so the
forward pass and the kernel gradient are single BLAS calls; the input gradient is one product per
kernel tap, each added onto the image by ``col2im`` while still in cache. Loops run over the kh*kw
kernel taps, never over pixels, samples or channels.

The ops work on 2-D NHWC images; 1-D inputs ``(N, W, C)`` and ``channels_first`` inputs are
reshaped and transposed to that layout around them. The window helpers here (padding rule,
padding and cropping, layout) serve the pooling ops too.
"""
import operator

from striate import backend
from striate.autodiff import Function
from striate.backend import accel
from striate.ops.linalg import FUSED_ACTIVATIONS, activate, activation_grad
from striate.ops._base import shape_of, tensor
from striate.ops.shape import Reshape, Transpose

__all__ = ["conv", "depthwise_conv", "separable_conv", "conv_transpose", "conv_bias_activation"]


# -- window geometry, shared with pool.py ----------------------------------------------------
def window_pads(op, size, window, stride, padding, shapes):
    """The (before, after) padding of one axis for a window of ``window`` pixels moving by ``stride``.

    TensorFlow's rule: "valid" keeps windows inside the input; "same" gives ceil(size / stride)
    outputs and pads the total deficit, the extra pixel after. ``after`` is exactly what the last
    window reaches, so it is negative when trailing pixels are never covered (they are cropped).
    """
    if padding == "same":
        out = -(-size // stride)
        before = max((out - 1) * stride + window - size, 0) // 2
    else:
        if window > size:
            raise ValueError(f"{op}: the window spans {window} pixels but the input has only {size} along "
                             f"that axis with padding='valid' ({shapes()})")
        out, before = (size - window) // stride + 1, 0
    return before, (out - 1) * stride + window - size - before


def pad_or_crop(xp, a, pads, value=0):
    """Pad the two spatial axes of NHWC ``a`` by ``pads`` ((top, bottom), (left, right)) with ``value``.

    Negative amounts crop instead (a view, no copy).
    """
    (t, b), (l, r) = pads
    if t < 0 or b < 0 or l < 0 or r < 0:
        a = a[:, max(-t, 0):a.shape[1] - max(-b, 0), max(-l, 0):a.shape[2] - max(-r, 0)]
        (t, b), (l, r) = (max(t, 0), max(b, 0)), (max(l, 0), max(r, 0))
    if not (t or b or l or r):
        return a
    n, h, w, c = a.shape
    out = xp.full((n, h + t + b, w + l + r, c), value, dtype=a.dtype)
    out[:, t:t + h, l:l + w] = a
    return out


def negate(pads):
    return tuple((-lo, -hi) for lo, hi in pads)


def spatial_tuple(op, arg, value, ndim, low=1, fill=1):
    """``value`` (an int or one int per spatial axis, each >= ``low``) as a pair for the 2-D ops.

    1-D ops run as 2-D ones on images of height 1; ``fill`` is the setting of that extra axis.
    """
    try:
        values = ((operator.index(value),) * ndim if not hasattr(value, "__len__")
                  else tuple(operator.index(v) for v in value))
    except TypeError:
        values = ()
    if len(values) != ndim or min(values) < low:
        raise ValueError(f"{op}: {arg} must be an int >= {low} or {ndim} such ints, received {value!r}")
    return (fill,) * (2 - ndim) + values


def check_padding(op, padding):
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', received {padding!r}")
    return padding.lower()


def to_nhwc(op, inputs, data_format):
    """``inputs`` as a 4-D channels_last Tensor, its number of spatial axes, and a function that
    turns an NHWC result back into the layout of ``inputs``."""
    x = tensor(inputs)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expects inputs of rank 3 (batch, width, channels) or 4 (batch, height, "
                         f"width, channels), received shape {x.shape}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', received {data_format!r}")
    one_d, first = x.ndim == 3, data_format == "channels_first"
    if first:
        x = Transpose((0, 2, 1) if one_d else (0, 2, 3, 1))(x)
    if one_d:
        x = Reshape((x.shape[0], 1) + x.shape[1:])(x)

    def restore(y):
        if one_d:
            y = Reshape(y.shape[:1] + y.shape[2:])(y)
        if first:
            y = Transpose((0, 2, 1) if one_d else (0, 3, 1, 2))(y)
        return y
    return x, 2 - one_d, restore


# -- patches ---------------------------------------------------------------------------------
def taps(kernel_hw, out_hw, strides, dilation=(1, 1)):
    """``(i, j, index)`` for each kernel position: ``image[index]`` is the (N, OH, OW, C) view of the
    pixels under tap (i, j) of every window of a padded NHWC image."""
    (kh, kw), (oh, ow), (sh, sw), (dh, dw) = kernel_hw, out_hw, strides, dilation
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(None), slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                         slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))


def new_patches(xp, n, c, kernel_hw, out_hw, dtype, extra=0):
    """An empty patch matrix for ``fill_patches``: (N*OH*OW, kh*kw*C + extra), row (n, oh, ow), column
    (i, j, c), then ``extra`` columns that ``fill_patches`` leaves alone (a column of ones for a bias).

    NOTE: with one or two channels it is stored transposed: numpy would copy the strided view in
    ``fill_patches`` in runs of only kw*C values, while copying each tap whole into a row of the
    transposed matrix is up to 7x faster (the products take the transposed matrix as it is).
    """
    rows, size = n * out_hw[0] * out_hw[1], kernel_hw[0] * kernel_hw[1] * c + extra
    return xp.empty((size, rows), dtype=dtype).T if c < 3 else xp.empty((rows, size), dtype=dtype)


def fill_patches(xp, cols, x, samples, kernel_hw, out_hw, strides, dilation):
    """Write the patches of the images ``samples`` (a slice) of padded NHWC ``x`` into their rows of
    ``cols`` (made by ``new_patches``)."""
    (n, _, _, c), (kh, kw), (oh, ow) = x.shape, kernel_hw, out_hw
    cols = cols[:, :kh * kw * c]
    if c < 3:
        image = cols.T.reshape(kh, kw, c, n, oh, ow)
        for i, j, index in taps(kernel_hw, out_hw, strides, dilation):
            image[i, j, :, samples] = x[samples][index].transpose(3, 0, 1, 2)
        return
    (sh, sw), (dh, dw), (bn, bh, bw, bc) = strides, dilation, x.strides
    part = x[samples]
    view = xp.lib.stride_tricks.as_strided(part, (len(part), oh, ow, kh, kw, c),
                                           (bn, bh * sh, bw * sw, bh * dh, bw * dw, bc))
    cols.reshape(n, oh, ow, kh, kw, c)[samples] = view


def im2col(xp, x, kernel_hw, out_hw, strides, dilation):
    """The patches of padded NHWC ``x``: a (N*OH*OW, kh*kw*C) matrix, row (n, oh, ow), column (i, j, c)."""
    cols = new_patches(xp, x.shape[0], x.shape[3], kernel_hw, out_hw, x.dtype)
    fill_patches(xp, cols, x, slice(None), kernel_hw, out_hw, strides, dilation)
    return cols


def col2im(xp, tap_values, image, kernel_hw, out_hw, strides, dilation):
    """The adjoint of taking taps: NHWC ``image`` set to zero plus, under each tap (i, j) of every
    window, ``tap_values(i, j, samples)`` ((samples' N)*OH*OW, C) for the images ``samples`` (a slice).

    NOTE: the batch is visited in chunks of about 512 KiB of image, each taking all its taps while
    it stays in cache: measured 20% faster than whole-batch taps on the Keras convnet's second layer.
    """
    image[...] = 0
    step = max(1, (1 << 17) // max(1, image[0].size))
    for start in range(0, image.shape[0], step):
        samples = slice(start, start + step)
        chunk = image[samples]
        for i, j, index in taps(kernel_hw, out_hw, strides, dilation):
            view = chunk[index]
            view += tap_values(i, j, samples).reshape(view.shape)
    return image


# -- block means, shared with pool.py -------------------------------------------------------------
def fold(ufunc, views, out=None):
    """``ufunc`` applied across ``views`` (at least one), into ``out`` (or one new array)."""
    if len(views) == 1:
        if out is None:
            return views[0].copy()
        out[...] = views[0]
        return out
    out = ufunc(views[0], views[1], out=out)
    for v in views[2:]:
        ufunc(out, v, out=out)
    return out


def fold_rows(ufunc, x3):
    """Each block of (R, ph, L) ``x3`` reduced over its ph rows: (R, L); or of (N, R, ph, L): (N, R, L)."""
    return fold(ufunc, [x3[..., i, :] for i in range(x3.shape[-2])])


_means = {}


def column_mean(xp, pool, channels, dtype):
    """S = [I; I; ...] / (ph * pw): (pw * C, C), the sum of a block row's pw pixels, as a mean."""
    return backend.memo(_means, (id(xp), pool, channels, xp.dtype(dtype).str), lambda: xp.tile(
        xp.eye(channels, dtype=dtype), (pool[1], 1)) / xp.asarray(pool[0] * pool[1], dtype))


def mean_blocks(xp, x3, mean, out):
    """The mean of each (ph, pw) block of (R, ph, OW*pw*C) ``x3``, into ``out`` (R*OW, C): the block's ph
    rows added, then its pw pixels summed (and divided) by one product with ``mean`` (``column_mean``).

    NOTE: a BLAS product, where NumPy would add runs of only C values (6 after LeNet-5's first layer).
    """
    xp.matmul(fold_rows(xp.add, x3).reshape(-1, mean.shape[0]), mean, out=out)


def mean_blocks_grad(xp, gy, mean, out):
    """The gradient of ``mean_blocks``: ``gy`` (R*OW, C) spread over the blocks of ``out`` (R, ph, OW*pw*C)."""
    out[...] = (gy @ mean.T).reshape(len(out), 1, -1)


def activate_and_mean_blocks_grad(xp, activation, gy, y3, mean, out):
    """The gradient of ``mean_blocks`` after ``activation``, with respect to the activation's input: from
    ``gy`` (R*OW, C) and the activation's output ``y3`` (R, ph, OW*pw*C), in ``out`` (that shape) or
    a new array. With striate[fast] and tanh, in one pass: the same bits as the two steps."""
    kernels = accel.kernels_for(gy, y3, mean, out) if activation == "tanh" else None
    if kernels is not None:
        kernels.tanh_mean_blocks_grad(gy, y3, out, mean.shape[0] // mean.shape[1], mean[0, 0])
        return out
    mean_blocks_grad(xp, gy, mean, out)
    return activation_grad(activation, out, y3)


# -- block maxima, shared with pool.py ------------------------------------------------------------
def block_reduce(ufunc, x3, pw, channels, out=None):
    """Reduce each (ph, pw) block of (R, ph, OW*pw*C) ``x3`` to one value per channel: (R, OW, C) (into
    ``out``), over the block's rows first (long runs of memory), then its pw pixels. ``x3`` may also be
    (N, R, ph, OW*pw*C), a view that crops the images (the result is then (N*R, OW, C))."""
    rows = fold_rows(ufunc, x3).reshape(-1, x3.shape[-1] // (pw * channels), pw, channels)
    return fold(ufunc, [rows[:, :, j] for j in range(pw)], out)


def spread_blocks(xp, y, pw):
    """Blocks of (..., OW, C) ``y`` (one block row per OW) repeated across their columns:
    (block rows, 1, OW*pw*C)."""
    ow, c = y.shape[-2:]
    return xp.repeat(y.reshape(-1, ow, 1, c), pw, axis=2).reshape(-1, 1, ow * pw * c)


def first_maxima(xp, x3, maxima, pool):
    """Where each (ph, pw) block of (R, ph, OW*pw*C) ``x3`` holds its maximum ``maxima`` (R, OW, C), the
    first such position only (row-major, as PyTorch): a bool array shaped as ``x3``. For ``x3``
    (N, R', ph, OW*pw*C) (see ``block_reduce``), ``maxima`` is (N*R', OW, C) and the result (N*R', ph, ...).

    NOTE: ties are rare in most data (two equal floats in one window): then only the tied blocks
    are visited, gathered as one (blocks, ph*pw) table. Where whole windows tie (zeros after a
    ReLU), every block is ranked at once.
    """
    hits = (x3 == spread_blocks(xp, maxima, pool[1]).reshape(x3.shape[:-2] + (1, -1))).reshape(
        -1, *x3.shape[-2:])
    if xp.count_nonzero(hits) == maxima.size:  # one hit per block
        return hits
    (ph, pw), c = pool, maxima.shape[-1]
    counts = block_reduce(xp.add, hits.view(xp.uint8) if ph * pw < 256 else hits.astype(xp.int32), pw, c)
    tied = xp.flatnonzero(counts > 1)
    if 16 * len(tied) > counts.size:
        ow = maxima.shape[-2]
        rank = xp.arange(ph * pw, 0, -1).astype(xp.min_scalar_type(ph * pw)).reshape(ph, 1, pw, 1)
        rank = xp.broadcast_to(rank, (ph, ow, pw, c)).reshape(ph, -1)  # first position ranks highest
        key = hits * rank
        return (key == spread_blocks(xp, block_reduce(xp.maximum, key, pw, c), pw)) & hits
    r, ow, ch = xp.unravel_index(tied, counts.shape)
    i = xp.repeat(xp.arange(ph), pw)                  # the taps in row-major order
    col = (ow[:, None] * pw + xp.tile(xp.arange(pw), ph)) * c + ch[:, None]
    row = xp.broadcast_to(r[:, None], col.shape)
    first = xp.argmax(hits[row, i, col], axis=1)      # the first True of each tied block
    hits[row, i, col] = False
    hits[r, i[first], col[xp.arange(len(col)), first]] = True
    return hits


class BandedRows:
    """A kernel's rows as banded ("Toeplitz") matrices, for convolving whole image rows at once.

    A convolution along one image row is a matrix product: with the row as a vector (W * C_in) and
    kernel row i as the matrix T_i (W * C_in, OW * C_out) whose block (u, v) is kernel[i, j] where
    u = v * stride + j * dilation (zero elsewhere), the output row is the sum over i of
    input_row(v_row + i) @ T_i. Stacked, the T_i form one (kh * W * C_in, OW * C_out) matrix.

    Built once per geometry (cached): ``gather`` picks each entry of the stacked matrix from the
    flattened kernel (index ``kernel.size`` for the zeros), and ``scatter`` lists, as OW rows, the
    entries that hold each kernel value, so the kernel's gradient is the sum of the matrix's gradient there.
    """

    def __init__(self, xp, kernel_shape, in_w, out_w, stride, dilation):
        kh, kw, cin, cout = kernel_shape
        self.size = kh * kw * cin * cout
        i, u, ci, v, co = xp.ogrid[:kh, :in_w, :cin, :out_w, :cout]
        j, rest = xp.divmod(u - v * stride, dilation)
        valid = (u - v * stride >= 0) & (rest == 0) & (j < kw)
        flat = ((i * kw + xp.where(valid, j, 0)) * cin + ci) * cout + co
        self.gather = xp.where(valid, flat, self.size).reshape(kh * in_w * cin, out_w * cout)
        v, i, j, ci, co = xp.ogrid[:out_w, :kh, :kw, :cin, :cout]
        self.scatter = ((((i * in_w + v * stride + j * dilation) * cin + ci) * out_w + v) * cout + co).reshape(
            out_w, self.size)

    def matrix(self, xp, kernel):
        """The stacked banded matrices of ``kernel`` (kh, kw, C_in, C_out)."""
        return xp.concatenate([kernel.reshape(-1), xp.zeros(1, kernel.dtype)])[self.gather]

    def kernel_grad(self, matrix_grad, kernel_shape):
        """The kernel's gradient from the gradient of its stacked banded matrices."""
        # NOTE: summed across rows (OW adds of whole rows): summing each short row was 5x slower
        return matrix_grad.reshape(-1)[self.scatter].sum(axis=0).reshape(kernel_shape)


_bands = {}


def banded_rows(xp, kernel_shape, in_w, out_w, stride, dilation):
    return backend.memo(_bands, (id(xp), kernel_shape, in_w, out_w, stride, dilation),
                        lambda: BandedRows(xp, kernel_shape, in_w, out_w, stride, dilation))


# -- ops -------------------------------------------------------------------------------------
class _Windowed(Function):
    def __init__(self, strides, dilation, pads):
        self.strides, self.dilation, self.pads = strides, dilation, pads

    def pad(self, xp, x, kernel_hw):
        """``x`` padded (or cropped) to the windows' extent; sets ``out_hw``, the output's (OH, OW)."""
        x = pad_or_crop(xp, x, self.pads)
        self.out_hw = tuple((n - (k - 1) * d - 1) // s + 1
                            for n, k, s, d in zip(x.shape[1:3], kernel_hw, self.strides, self.dilation))
        return x

    def unpad(self, xp, tap_values, padded_shape, dtype, kernel_hw):
        """The input's gradient: ``tap_values(i, j, samples)`` added under each tap, padding cut off."""
        g = col2im(xp, tap_values, xp.empty(padded_shape, dtype=dtype), kernel_hw, self.out_hw, self.strides,
                   self.dilation)
        return pad_or_crop(xp, g, negate(self.pads))


# The most bytes of patches an inference forward pass lowers at once (it takes two images at least, one
# per thread).
INFERENCE_PATCHES = 256 * 2 ** 20


class Conv(_Windowed):
    """Convolution (cross-correlation, as in Keras) of NHWC images with a (kh, kw, in, out) kernel,
    optionally plus a bias and then ReLU or tanh in the same op (the Conv2D layer's hot path).

    Two ways to make it matrix products (the forward pass, the kernel's and the input's gradients):

    - patches (im2col): one row of kh*kw*C_in values per output pixel, times the kernel as a
      (kh*kw*C_in, C_out) matrix: the fewest operations.
    - strips: one row per strip of ``wb`` neighbouring output pixels of an output row, holding the
      kh*span*C_in input values under them, times the kernel rows as banded matrices (see
      ``BandedRows``): about (wb + kw - 1) / kw times the operations, many of them multiplications
      by zero, yet faster where channels are few (LeNet-5's 1->6 and 6->16): there the patches'
      products are long and thin, so BLAS spends its time moving memory, and the patch matrix is
      kh*kw times the image; the strips' products are squarer and their matrix smaller, and the
      output comes out in NHWC order as it is.

    Either way the bias rides along as a column of ones in the lowered matrix and a row of the
    kernel matrix, so the product adds it (no pass of its own over the output) and its gradient is
    a row of the kernel matrix's gradient (measured on the Keras convnet's 1->32 layer: forward
    1.19 -> 0.69-0.95 ms, backward 0.91 -> 0.78-0.85 ms, per 64 images).

    With ``average_pool`` (ph, pw), the op's output is the mean of each (ph, pw) block of that
    (stride = pool size, blocks tiling the output): each thread pools its part while it is still in
    cache, and the gradient comes back the same way (the Conv2D -> AveragePooling2D pair of LeNet-5).
    With ``max_pool`` (ph, pw) likewise the maximum, where the blocks may leave the output's last rows
    or columns out (as "valid" pooling does), and the activation (None or ReLU) is taken after it,
    on a quarter of the values or fewer: ``relu(max(z)) == max(relu(z))`` (the lecture CNN's and the
    Keras convnet's Conv2D -> MaxPooling2D).
    """

    def __init__(self, strides, dilation, pads, activation=None, average_pool=None, max_pool=None):
        super().__init__(strides, dilation, pads)
        if max_pool is not None and activation not in (None, "relu"):
            raise ValueError(f"conv: max_pool takes activation None or 'relu', received {activation!r}")
        self.activation, self.pool, self.max = activation, average_pool or max_pool, max_pool is not None

    def forward(self, xp, x, w, b=None):
        x = self.pad(xp, x, w.shape[:2])
        self.padded_shape, self.w, self.has_bias = x.shape, w, b is not None
        self.strip = strip_width(w.shape, self.out_hw)
        per_image = self.out_hw[0] * self.out_hw[1] * w.shape[0] * w.shape[1] * w.shape[2] * x.dtype.itemsize
        if not self.recording and not self.strip and len(x) > 1 and per_image * len(x) > INFERENCE_PATCHES:
            # nothing keeps the patches for a backward pass: lower a few images at a time, so that a
            # large image's patch matrix (kh*kw*C_in values per output pixel) stays bounded
            step = max(2, INFERENCE_PATCHES // per_image)
            return xp.concatenate([self.lowered_forward(xp, x[i:i + step], w, b) for i in range(0, len(x), step)])
        return self.lowered_forward(xp, x, w, b)

    def lowered_forward(self, xp, x, w, b):
        n, dtype = x.shape[0], xp.result_type(x, w)
        if self.strip:
            # the input columns under one strip: its wb outputs' windows, overlapping
            self.span = (self.strip - 1) * self.strides[1] + (w.shape[1] - 1) * self.dilation[1] + 1
            self.bands = banded_rows(xp, w.shape, self.span, self.strip, self.strides[1], self.dilation[1])
            kernel = self.bands.matrix(xp, w)
        else:
            kernel = w.reshape(-1, w.shape[-1])
        if b is not None:
            kernel = xp.concatenate([kernel, xp.tile(b, self.strip or 1)[None]])
        self.kernel = kernel
        if self.strip:
            self.cols = xp.empty((n * self.out_hw[0] * (self.out_hw[1] // self.strip), len(kernel)), dtype=dtype)
        else:
            self.cols = new_patches(xp, n, x.shape[3], w.shape[:2], self.out_hw, dtype, extra=self.has_bias)
        self.y = xp.empty((len(self.cols), kernel.shape[1]), dtype=dtype)
        rows, out_shape = len(self.cols) // n, x.shape[:1] + self.out_hw + w.shape[-1:]
        if self.pool:
            pooled, out_shape = self.pooled_output(xp, out_shape, dtype)
        if self.max:
            # NOTE: the compiled kernels vectorize over channels: they pay from 16 (see ops.pool.MaxPool)
            self.kernels = accel.kernels_for(self.y) if w.shape[-1] >= 16 and self.pool[0] * self.pool[1] < 255 \
                else None
            self.pooled = pooled
            self.maxima = pooled if self.activation is None or self.kernels is not None else xp.empty_like(pooled)
            self.first = xp.empty(pooled.shape, dtype=xp.uint8) if self.kernels is not None else None

        if self.strip:  # views made once, outside the parts (the threads' Python holds the GIL)
            lowered, under = self.strips(xp, x, w.shape[0], self.cols)

        def part(samples):  # lowered, multiplied and activated (and pooled), one part of the batch per thread
            r = slice(samples.start * rows, samples.stop * rows)
            if self.strip:
                lowered[samples] = under[samples]
            else:
                fill_patches(xp, self.cols, x, samples, w.shape[:2], self.out_hw, self.strides, self.dilation)
            if self.has_bias:
                self.cols[r, -1] = 1
            xp.matmul(self.cols[r], kernel, out=self.y[r])
            if self.max:
                self.max_blocks(xp, self.y[r], samples)
                return
            activate(xp, self.activation, self.y[r])
            if self.pool:
                mean_blocks(xp, self.blocks(self.y[r]), self.mean, pooled[self.pooled_rows(samples)])
        backend.parallel(part, n, self.cols.size + self.y.size)
        return (pooled if self.pool else self.y).reshape(out_shape)

    def max_blocks(self, xp, y, samples):
        """The (ReLU of the) maxima of the blocks of ``y``, the output rows of the images ``samples``,
        into their rows of the pooled output; with the compiled kernels, in one pass that notes where
        each maximum is (``first``)."""
        rows, pw, c = self.pooled_rows(samples), self.pool[1], self.w.shape[-1]
        ow = self.out_hw[1] // pw
        if self.kernels is not None:
            # NOTE: blocks that leave pixels out are copied together first: on a strided view the
            # kernel runs value by value (measured: 11x11 into 2x2 blocks of 64 channels, 1.01 -> 0.17 ms)
            self.kernels.max_pool_blocks(self.pool, self.activation == "relu")(
                xp.ascontiguousarray(self.blocks6(y)), self.pooled[rows].reshape(-1, ow, c),
                self.first[rows].reshape(-1, ow, c))
            return
        maxima = self.maxima[rows]
        block_reduce(xp.maximum, self.blocks(y), pw, c, maxima.reshape(-1, ow, c))
        if self.activation == "relu":
            xp.maximum(maxima, 0, out=self.pooled[rows])

    def max_blocks_grad(self, xp, gy, y, samples, out):
        """The gradient with respect to ``y`` (the output rows of the images ``samples``, before the
        ReLU) from the pooled output's gradient ``gy`` (all of it): each block's to its first maximum,
        zero elsewhere; into ``out`` (``y``'s shape)."""
        rows, pw, c = self.pooled_rows(samples), self.pool[1], self.w.shape[-1]
        ow = self.out_hw[1] // pw
        g = gy[rows].reshape(-1, ow, c)
        if self.cropped:  # the pixels no block holds get no gradient
            out[...] = 0
        if self.kernels is not None:
            blocks = self.blocks6(out)
            into = blocks if not self.cropped else xp.empty(blocks.shape, dtype=out.dtype)  # as in max_blocks
            self.kernels.max_pool_blocks_grad(xp.ascontiguousarray(g), self.first[rows].reshape(-1, ow, c), into)
            if self.cropped:
                blocks[...] = into
            return out
        maxima = self.maxima[rows].reshape(-1, ow, c)
        if self.activation == "relu":
            g = g * (maxima > 0)  # the maximum's sign is its ReLU's
        blocks = self.blocks(out)
        xp.multiply(first_maxima(xp, self.blocks(y), maxima, self.pool).reshape(blocks.shape),
                    spread_blocks(xp, g, pw).reshape(blocks.shape[:-2] + (1, -1)), out=blocks)
        return out

    def pooled_output(self, xp, out_shape, dtype):
        """An empty (N*POH*POW, C) output for the pool, and the pooled output's NHWC shape."""
        (n, oh, ow, c), (ph, pw) = out_shape, self.pool
        if not self.max and (oh % ph or ow % pw):
            raise ValueError(f"conv: average_pool {self.pool} must tile the convolution's output, {oh}x{ow} "
                             "pixels")
        if oh < ph or ow < pw:
            raise ValueError(f"conv: max_pool {self.pool} is larger than the convolution's output, {oh}x{ow} "
                             "pixels")
        self.cropped = bool(oh % ph or ow % pw)  # a max pool's blocks leave the last rows or columns out
        self.mean = None if self.max else column_mean(xp, self.pool, c, dtype)
        self.pooled_per_sample = (oh // ph) * (ow // pw)
        return xp.empty((n * self.pooled_per_sample, c), dtype=dtype), (n, oh // ph, ow // pw, c)

    def pooled_rows(self, samples):
        return slice(samples.start * self.pooled_per_sample, samples.stop * self.pooled_per_sample)

    def blocks(self, y):
        """Rows of output ``y`` (whole images, NHWC order) as (N*OH/ph, ph, OW*C) block rows; where the
        blocks do not tile the images, (N, OH//ph, ph, OW//pw*pw*C), a view without the rest."""
        (oh, ow), (ph, pw), c = self.out_hw, self.pool, self.w.shape[-1]
        if not self.cropped:
            return y.reshape(-1, ph, ow * c)
        images = y.reshape(-1, oh, ow * c)[:, :oh // ph * ph, :ow // pw * pw * c]
        return images.reshape(len(images), oh // ph, ph, -1)

    def blocks6(self, y):
        """``blocks(y)`` as (N, R, ph, OW, pw, C) for the compiled kernels (N = 1 where the blocks tile)."""
        x = self.blocks(y)
        x = x if x.ndim == 4 else x[None]
        return x.reshape(x.shape[:3] + (self.out_hw[1] // self.pool[1], self.pool[1], self.w.shape[-1]))

    def strip_view(self, xp, image, kh):
        """The (N, OH, strips, kh, span*C) view of padded NHWC ``image`` that the strips lower."""
        n, h, wd, c = image.shape
        (oh, ow), (sh, sw), dh = self.out_hw, self.strides, self.dilation[0]
        bn, bh, bw, bc = image.strides
        # NOTE: a row's pixels and channels are read as one run of W*C values, which needs the
        # channel stride to step between pixels too; a lone channel may carry any stride (0 after
        # x[..., None]), and other layouts (channels_first transposed in) are copied first.
        if c == 1:
            bc = bw
        elif bw != c * bc:
            image = xp.ascontiguousarray(image)
            bn, bh, bw, bc = image.strides
        return xp.lib.stride_tricks.as_strided(image, (n, oh, ow // self.strip, kh, self.span * c),
                                               (bn, bh * sh, bw * sw * self.strip, bh * dh, bc))

    def strips(self, xp, x, kh, cols):
        """``(lowered, under)``: ``cols`` (N*OH*strips, kh*span*C [+ a column for the bias]) seen as
        (N, OH, strips, kh, span*C), and the input under each strip of outputs of padded NHWC ``x``,
        the same shape: ``lowered[...] = under`` lowers ``x``, any part of the batch at a time."""
        (oh, ow), c = self.out_hw, x.shape[3]
        size = kh * self.span * c
        return cols[:, :size].reshape(x.shape[0], oh, ow // self.strip, kh, self.span * c), \
            self.strip_view(xp, x, kh)

    # NOTE: with the patches as a matrix P (pixels, kh*kw*C) and the kernel as W (kh*kw*C, out),
    # y = P W, so dW = P^T dy, and dP = dy W^T, whose tap (i, j) block is dy W[i, j]^T: computed
    # tap by tap, each block is added onto the image while still in cache. The strips are the same
    # with the banded kernel matrix for W, and dP added back strip by strip and kernel row by row.
    # Each thread takes one part of the batch; the kernel's gradient is the sum of the parts'.
    def backward(self, xp, gy):
        n, need_x, need_b = self.padded_shape[0], self.needs_grad[0], self.has_bias and self.needs_grad[2]
        need_w = self.needs_grad[1] or need_b  # the bias's gradient is a row of the kernel matrix's
        rows = len(self.y) // n
        if self.pool:  # the pooled gradient spread back over the blocks, a part at a time
            gy, spread = gy.reshape(-1, self.w.shape[-1]), xp.empty(self.y.shape, dtype=gy.dtype)
        else:
            gy = gy.reshape(self.y.shape)
        image = xp.empty(self.padded_shape, dtype=xp.result_type(gy, self.w)) if need_x else None
        # the kernel matrix transposed, copied once: a product with a transposed view was 7% slower
        # (LeNet-5's 6->16 strips, 64 images: 402 against 375 us)
        wt = None if not need_x else xp.ascontiguousarray(
            self.kernel[:len(self.kernel) - self.has_bias].T if self.strip else self.w.transpose(0, 1, 3, 2))
        # the strips' input gradient goes back through a strided view (made once), or striate[fast]'s kernel
        under = self.strip_view(xp, image, self.w.shape[0]) \
            if need_x and self.strip and accel.kernels_for(image) is None else None

        def part(samples):
            r = slice(samples.start * rows, samples.stop * rows)
            if self.max:
                g = self.max_blocks_grad(xp, gy, self.y[r], samples, spread[r])
            elif self.pool:
                g = activate_and_mean_blocks_grad(xp, self.activation, gy[self.pooled_rows(samples)],
                                                  self.blocks(self.y[r]), self.mean, self.blocks(spread[r]))
                g = g.reshape(self.y[r].shape)
            else:
                g = activation_grad(self.activation, gy[r], self.y[r])
            if need_x and self.strip:
                self.add_strips(xp, g @ wt, image[samples], None if under is None else under[samples])
            elif need_x:
                g3 = g.reshape(-1, rows, g.shape[-1])
                col2im(xp, lambda i, j, s: g3[s].reshape(-1, g3.shape[2]) @ wt[i, j], image[samples],
                       wt.shape[:2], self.out_hw, self.strides, self.dilation)
            return self.cols[r].T @ g if need_w else None
        parts = backend.parallel(part, n, self.cols.size + 2 * self.y.size)
        gx = pad_or_crop(xp, image, negate(self.pads)) if need_x else None
        gk = _total(parts) if need_w else None
        gw = gb = None
        if self.needs_grad[1]:
            gk_w = gk[:len(self.kernel) - self.has_bias]
            gw = self.bands.kernel_grad(gk_w, self.w.shape) if self.strip else gk_w.reshape(self.w.shape)
        if need_b:
            gb = gk[-1].reshape(self.strip or 1, -1).sum(axis=0)
        return gx, gw, gb

    def add_strips(self, xp, cols, image, under):
        """``image`` (padded NHWC) set to the input's gradient from the lowered matrix's gradient ``cols``
        (the strips' output gradient times the banded kernel matrix, transposed); ``under`` is the image's
        ``strip_view``, whose overlapping windows are added one (strip, row) at a time, or None: then
        striate[fast]'s kernel adds the runs in the same order (the same bits), where NumPy steps
        through short ones."""
        kh = self.w.shape[0]
        image[...] = 0
        if under is None:
            (n, h, w, c), (sh, sw), (dh, _) = image.shape, self.strides, self.dilation
            accel.kernels().add_strips(cols, image.reshape(n, h, w * c), self.out_hw[0], kh, sh, dh,
                                       self.strip * sw * c, self.span * c)
            return
        cols = cols.reshape(under.shape)
        for b in range(under.shape[2]):
            for i in range(kh):
                under[:, :, b, i] += cols[:, :, b, i]


def _total(parts):
    """The sum of the threads' partial results (one array each), added into the first."""
    parts = iter(parts)
    total = next(parts)
    for p in parts:
        total += p
    return total


LOWERING = {"force": None}  # tests set "strips" or "patches" to check both ways on every case


def strip_width(kernel_shape, out_hw):
    """How many output pixels a strip holds (0: lower by patches instead).

    Strips where channels are few, at most 16 out and C_in * C_out <= 128 (there BLAS would stream
    a thin patch matrix; the Keras convnet's 1->32 is already faster by patches), as wide as divides the
    output width while the banded matrices' extra work, (wb + kw - 1) / kw times the patches', stays
    within 2.5 times: measured on LeNet-5's and the lecture CNN's layers, wider strips gain nothing
    more from BLAS and narrower ones pay for a larger lowered matrix.
    """
    kh, kw, cin, cout = kernel_shape
    if LOWERING["force"] == "patches" or (LOWERING["force"] is None and (cout > 16 or cin * cout > 128)):
        return 0
    ow = out_hw[1]
    return max(wb for wb in range(1, ow + 1) if ow % wb == 0 and (wb == 1 or 2 * (wb + kw - 1) <= 5 * kw))


class GroupedConv(_Windowed):
    """Grouped convolution (TensorFlow's feature_group_count): the C input channels in G groups of
    C/G, each convolved with its own F/G of the F filters; kernel (kh, kw, C/G, F), output channel
    o from group o // (F/G), as Keras and PyTorch order them.

    The patches of ``im2col`` with the group axis moved first, times the kernel as G matrices
    (kh*kw*C/G, F/G): one batched product; the gradients are the same products transposed.
    """

    # NOTE: with the patches as (G, pixels, kh*kw*C/G) P_g and the kernel as W_g, y_g = P_g W_g, so
    # dW_g = P_g^T dy_g and dP_g = dy_g W_g^T, whose (i, j) columns are added back under tap (i, j).
    def forward(self, xp, x, w):
        x = self.pad(xp, x, w.shape[:2])
        kh, kw, part, filters = w.shape
        groups = x.shape[3] // part
        self.padded_shape, self.w_shape, self.groups = x.shape, w.shape, groups
        cols = im2col(xp, x, (kh, kw), self.out_hw, self.strides, self.dilation)
        self.cols = cols.reshape(-1, kh * kw, groups, part).transpose(2, 0, 1, 3).reshape(groups, len(cols), -1)
        self.kernels = w.reshape(kh * kw, part, groups, filters // groups).transpose(2, 0, 1, 3).reshape(
            groups, kh * kw * part, -1)
        y = xp.matmul(self.cols, self.kernels)
        return y.transpose(1, 0, 2).reshape(x.shape[:1] + self.out_hw + (filters,))

    def backward(self, xp, gy):
        (kh, kw, part, filters), groups = self.w_shape, self.groups
        g = gy.reshape(-1, groups, filters // groups).transpose(1, 0, 2)
        gx = gw = None
        if self.needs_grad[0]:
            n = self.padded_shape[0]
            cols = xp.matmul(g, self.kernels.transpose(0, 2, 1)).reshape(groups, n, -1, kh, kw, part)
            cols = cols.transpose(1, 2, 3, 4, 0, 5).reshape(n, -1, kh, kw, groups * part)
            gx = self.unpad(xp, lambda i, j, s: cols[s, :, i, j], self.padded_shape, cols.dtype, (kh, kw))
        if self.needs_grad[1]:
            gw = xp.matmul(self.cols.transpose(0, 2, 1), g).reshape(groups, kh * kw, part, -1)
            gw = gw.transpose(1, 2, 0, 3).reshape(self.w_shape)
        return gx, gw


class DepthwiseConv(_Windowed):
    """Each input channel convolved with its own ``depth_multiplier`` filters: kernel (kh, kw, C, M)."""

    # NOTE: per tap t, y[..., c, m] += x_t[..., c] K[t, c, m] (output channel c*M + m, as Keras and
    # TensorFlow order them), so dK[t] = sum over pixels of x_t dy, and dx_t = sum over m of dy K[t].
    def forward(self, xp, x, w):
        self.x, self.w = self.pad(xp, x, w.shape[:2]), w
        y = 0
        for i, j, index in taps(w.shape[:2], self.out_hw, self.strides, self.dilation):
            y = y + self.x[index][..., None] * w[i, j]
        return y.reshape(y.shape[:3] + (-1,))

    def backward(self, xp, gy):
        g = gy.reshape(gy.shape[:3] + self.w.shape[2:])
        gx = gw = None
        if self.needs_grad[0]:
            gx = self.unpad(xp, lambda i, j, s: xp.einsum("nhwcm,cm->nhwc", g[s], self.w[i, j]), self.x.shape,
                            xp.result_type(g, self.w), self.w.shape[:2])
        if self.needs_grad[1]:
            gw = xp.stack([xp.einsum("nhwc,nhwcm->cm", self.x[index], g)
                           for _, _, index in taps(self.w.shape[:2], self.out_hw, self.strides, self.dilation)])
            gw = gw.reshape(self.w.shape)
        return gx, gw


class ConvTranspose(Function):
    """The adjoint of Conv: each input pixel spreads a (kh, kw, out) patch, kernel (kh, kw, out, in)."""

    def __init__(self, strides, dilation, crops):
        self.strides, self.dilation, self.crops = strides, dilation, crops

    def forward(self, xp, x, w):
        n, h, wd, cin = x.shape
        kh, kw, cout = w.shape[:3]
        self.x2, self.w, self.x_shape = x.reshape(-1, cin), w, x.shape
        (sh, sw), (dh, dw) = self.strides, self.dilation
        full_shape = (n, (h - 1) * sh + (kh - 1) * dh + 1, (wd - 1) * sw + (kw - 1) * dw + 1, cout)
        wt = xp.ascontiguousarray(w.transpose(0, 1, 3, 2))
        x3 = self.x2.reshape(n, -1, cin)
        y = col2im(xp, lambda i, j, s: x3[s].reshape(-1, cin) @ wt[i, j],
                   xp.empty(full_shape, dtype=xp.result_type(x, w)), (kh, kw), (h, wd), self.strides, self.dilation)
        return pad_or_crop(xp, y, negate(self.crops))

    def backward(self, xp, gy):
        cols = im2col(xp, pad_or_crop(xp, gy, self.crops), self.w.shape[:2], self.x_shape[1:3], self.strides,
                      self.dilation)
        gx = (cols @ self.w.reshape(-1, self.x2.shape[1])).reshape(self.x_shape) if self.needs_grad[0] else None
        gw = (cols.T @ self.x2).reshape(self.w.shape) if self.needs_grad[1] else None
        return gx, gw


# -- public functions ------------------------------------------------------------------------
def _prepare(op, inputs, kernel, strides, padding, data_format, dilation_rate, kernel_in_axis, grouped=False):
    """Inputs and kernel in the 2-D NHWC layout and the settings as pairs, after checking them.

    With ``grouped``, the input's channels may be a multiple G of the kernel's in-channels (a grouped
    convolution, as Keras infers it), the kernel's out-channels then divisible by G."""
    x, nd, restore = to_nhwc(op, inputs, data_format)
    w = tensor(kernel)
    def shapes():
        return f"input shape {shape_of(inputs)}, kernel shape {shape_of(kernel)}"
    if w.ndim != nd + 2:
        raise ValueError(f"{op}: a rank-{nd + 2} input needs a rank-{nd + 2} kernel ({shapes()})")
    if nd == 1:
        w = Reshape((1,) + w.shape)(w)
    channels, expected = x.shape[3], w.shape[kernel_in_axis]
    if channels != expected and not (grouped and channels % expected == 0):
        hint = f"; a grouped convolution needs a multiple of {expected}" if grouped else ""
        raise ValueError(f"{op}: input has {channels} channels but kernel expects {expected} ({shapes()}){hint}")
    if grouped and w.shape[3] % (channels // expected):
        raise ValueError(f"{op}: the input's {channels} channels make {channels // expected} groups of the kernel's "
                         f"{expected} in-channels, but its {w.shape[3]} out-channels do not split into "
                         f"{channels // expected} groups ({shapes()})")
    settings = (spatial_tuple(op, "strides", strides, nd), check_padding(op, padding),
                spatial_tuple(op, "dilation_rate", dilation_rate, nd))
    return x, w, restore, shapes, nd, settings


def _conv_like(cls, op, inputs, kernel, strides, padding, data_format, dilation_rate, bias=None, activation=None,
               grouped=False, **options):
    x, w, restore, shapes, _, (strides, padding, dilation) = _prepare(
        op, inputs, kernel, strides, padding, data_format, dilation_rate, 2, grouped)
    pads = tuple(window_pads(op, x.shape[1 + i], (w.shape[i] - 1) * dilation[i] + 1, strides[i], padding, shapes)
                 for i in range(2))
    if x.shape[3] != w.shape[2]:
        cls = GroupedConv
    if bias is None and activation is None and not options:
        return restore(cls(strides, dilation, pads)(x, w))
    fn = cls(strides, dilation, pads, activation=activation, **options)
    return restore(fn(x, w) if bias is None else fn(x, w, bias))


def conv_bias_activation(inputs, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, activation=None,
                         average_pool=None, max_pool=None):
    """``activation(conv(inputs, kernel) + bias)`` as one op (channels-last inputs); ``activation`` is
    ``None``, ``"relu"`` or ``"tanh"``. With ``average_pool`` (an int or a pair that tiles the output),
    ``average_pool(that, average_pool)`` in the same op; with ``max_pool`` likewise ``max_pool(that,
    max_pool)`` ("valid": blocks that do not fit are left out; activation None or "relu").

    The Conv2D layer's hot path: one output array and one pass, where three ops make three.
    """
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"conv: activation must be one of {FUSED_ACTIVATIONS}, received {activation!r}")
    if average_pool is not None and max_pool is not None:
        raise ValueError("conv: pass average_pool or max_pool, not both")
    options = {name: spatial_tuple("conv", name, value, 2) for name, value in
               (("average_pool", average_pool), ("max_pool", max_pool)) if value is not None}
    return _conv_like(Conv, "conv", inputs, kernel, strides, padding, "channels_last", dilation_rate, bias,
                      activation, **options)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """General N-D convolution (1-D and 2-D), as ``keras.ops.conv``.

    Args:
        inputs: ``(batch, height, width, channels)`` (or ``(batch, width, channels)`` for 1-D;
            channels first with ``data_format="channels_first"``).
        kernel: ``(kh, kw, in_channels, out_channels)`` (``(k, in, out)`` for 1-D), Keras's layout.
            Where ``channels`` is G times ``in_channels``, the convolution is grouped, as in Keras:
            input channels ``g*in_channels`` to ``(g+1)*in_channels - 1`` make output channels
            ``g*out_channels/G`` to ``(g+1)*out_channels/G - 1``.
        strides: an int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"`` (TensorFlow's rule: any odd pixel of padding goes after).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: an int or one int per spatial axis.

    Returns:
        A Tensor ``(batch, out_height, out_width, out_channels)``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> y = keras.ops.conv(np.zeros((2, 28, 28, 1), "float32"), np.zeros((3, 3, 1, 8), "float32"),
        ...                    padding="same")
        >>> y.shape
        (2, 28, 28, 8)
        >>> keras.ops.conv(np.zeros((2, 9, 9, 6), "float32"), np.zeros((3, 3, 2, 12), "float32")).shape  # 3 groups
        (2, 7, 7, 12)
    """
    return _conv_like(Conv, "conv", inputs, kernel, strides, padding, data_format, dilation_rate, grouped=True)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel with its own filters, as ``keras.ops.depthwise_conv``.

    Args:
        inputs: as for :func:`conv`.
        kernel: ``(kh, kw, in_channels, depth_multiplier)``; output channel ``c * depth_multiplier + m``
            comes from input channel ``c`` and filter ``m``.
        strides, padding, data_format, dilation_rate: as for :func:`conv`.

    Returns:
        A Tensor ``(batch, out_height, out_width, in_channels * depth_multiplier)``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.depthwise_conv(np.zeros((2, 8, 8, 3), "float32"), np.zeros((3, 3, 3, 2), "float32")).shape
        (2, 6, 6, 6)
    """
    return _conv_like(DepthwiseConv, "depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise separable convolution, as ``keras.ops.separable_conv``: :func:`depthwise_conv`, then a
    1x1 :func:`conv` that mixes its channels.

    Args:
        inputs: as for :func:`conv`.
        depthwise_kernel: ``(kh, kw, in_channels, depth_multiplier)``.
        pointwise_kernel: ``(1, 1, in_channels * depth_multiplier, out_channels)``.
        strides, padding, data_format, dilation_rate: of the depthwise step, as for :func:`conv`.

    Returns:
        A Tensor ``(batch, out_height, out_width, out_channels)``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.separable_conv(np.zeros((2, 8, 8, 3), "float32"), np.zeros((3, 3, 3, 2), "float32"),
        ...                          np.zeros((1, 1, 6, 16), "float32"), padding="same").shape
        (2, 8, 8, 16)
    """
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return _conv_like(Conv, "separable_conv", y, pointwise_kernel, 1, "valid", data_format, 1)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed convolution (the gradient of :func:`conv` with respect to its input), as Keras.

    The output size follows Keras (k the dilated kernel size): with ``padding="valid"``,
    ``(in - 1) * stride + max(k, stride)``, or ``(in - 1) * stride + k + output_padding``; with
    ``"same"``, ``in * stride``, or ``(in - 1) * stride + k % 2 + output_padding``.

    Args:
        inputs: ``(batch, height, width, in_channels)`` (or 1-D / channels first, as for :func:`conv`).
        kernel: ``(kh, kw, out_channels, in_channels)``, the layout of Keras's Conv2DTranspose.
        strides: an int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, an int or one int per spatial axis: extra rows and columns at the end.
        data_format, dilation_rate: as for :func:`conv`.

    Returns:
        A Tensor ``(batch, out_height, out_width, out_channels)``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.conv_transpose(np.zeros((2, 7, 7, 8), "float32"), np.zeros((3, 3, 4, 8), "float32"), 2,
        ...                          padding="same").shape
        (2, 14, 14, 4)
    """
    op = "conv_transpose"
    x, w, restore, _, nd, (strides, padding, dilation) = _prepare(
        op, inputs, kernel, strides, padding, data_format, dilation_rate, 3)
    extra = (None, None) if output_padding is None else \
        spatial_tuple(op, "output_padding", output_padding, nd, low=0, fill=None)
    crops = tuple(_transpose_crops(w.shape[i], strides[i], dilation[i], padding, extra[i]) for i in range(2))
    return restore(ConvTranspose(strides, dilation, crops)(x, w))


def _transpose_crops(kernel, stride, dilation, padding, output_padding):
    """How much of the full transposed output to cut (negative: to add) at each end, as Keras.

    Keras (its JAX rule) pads the stride-dilated input by (left, right) and correlates with the
    flipped kernel; the full output, (in - 1) * stride + k, corresponds to padding k - 1 on both sides.
    """
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        left, right = k - 1, k - 1 + (max(k, stride) - k if output_padding is None else output_padding)
    else:
        total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, k - 1)
        right = total - left
    return k - 1 - left, k - 1 - right
