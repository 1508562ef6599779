"""The lowered strategies: the convolution as one matrix product per part of the batch, with the bias,
the activation and an optional pool applied while each part is still in cache.

Two lowerings share the machinery here (``Lowered``) and differ only in the matrix they build:

- ``Patches`` (im2col): one row of kh*kw*C_in values per output pixel, times the kernel as a
  (kh*kw*C_in, C_out) matrix: the fewest operations.
- ``Strips``: one row per strip of ``wb`` neighbouring output pixels of an output row, holding the
  kh*span*C_in input values under them, times the kernel rows as banded matrices (see
  ``banded.BandedRows``): about (wb + kw - 1) / kw times the operations, many of them multiplications
  by zero, yet faster where channels are few (LeNet-5's 1->6 and 6->16): there the patches'
  products are long and thin, so BLAS spends its time moving memory, and the patch matrix is
  kh*kw times the image; the strips' products are squarer and their matrix smaller, and the output
  comes out in NHWC order as it is.

Either way the bias rides along as a column of ones in the lowered matrix and a row of the kernel
matrix, so the product adds it (no pass of its own over the output) and its gradient is a row of the
kernel matrix's gradient.

Epilogues, applied to each part of the batch right after its product:

- the activation (None, ReLU or tanh), in place;
- ``average_pool`` (ph, pw): the mean of each block (stride = pool size, blocks tiling the output),
  by one product with a (pw*C, C) matrix (``blocks.mean_blocks``), the Conv2D -> AveragePooling2D
  pair of LeNet-5;
- ``max_pool`` (ph, pw): the maximum of each block, where the blocks may leave the output's last
  rows or columns out (as "valid" pooling does), the activation (None or ReLU) taken after it, on a
  quarter of the values or fewer: ``relu(max(z)) == max(relu(z))`` (the lecture CNN's and the Keras
  convnet's Conv2D -> MaxPooling2D). With striate[fast], the compiled kernels take the block maxima
  and note where each is, in one pass.

Threads: ``backend.parallel`` gives each thread a contiguous part of the batch; every part is
lowered, multiplied and finished by the same array calls as the whole batch would be, so the split
changes no bit of the output; the kernel's gradient is the sum of the parts' partial sums.

Every strategy has the contract of ``ops.conv``'s dispatcher: ``forward(xp, x, w, b)`` on the NHWC
input, and ``backward(xp, gy, needs_grad)`` returning the input's gradient, the kernel's and the
bias's (None where not needed).
"""
from striate import backend
from striate.backend import accel
from striate.ops.conv_strategies.banded import banded_rows
from striate.ops.conv_strategies.blocks import (activate_and_mean_blocks_grad, block_reduce, column_mean,
                                                first_maxima, mean_blocks, spread_blocks)
from striate.ops.conv_strategies.patches import col2im, fill_patches, negate, new_patches, pad_or_crop
from striate.ops.linalg import activate, activation_grad


class Lowered:
    """What the two lowerings share: the bias column, the threads, the activation and pooling epilogues.

    Args:
        strides, dilation: pairs.
        pads: ((top, bottom), (left, right)), negative to crop.
        out_hw: the output's (OH, OW) before any pool.
        activation: None, "relu" or "tanh".
        pool: None or the (ph, pw) blocks of a fused pool.
        max_pool: whether ``pool`` takes block maxima (else means).
    """

    def __init__(self, strides, dilation, pads, out_hw, activation=None, pool=None, max_pool=False):
        self.strides, self.dilation, self.pads, self.out_hw = strides, dilation, pads, out_hw
        self.activation, self.pool, self.max = activation, pool, max_pool

    # -- what each lowering defines ----------------------------------------------------------
    outputs_per_row = 1  # output pixels in one row of the lowered matrix

    def kernel_matrix(self, xp, w):
        raise NotImplementedError

    def new_lowered(self, xp, x, w, dtype):
        raise NotImplementedError

    def lowering(self, xp, x, w):
        """A function of a slice of the batch that writes those images' rows of ``self.cols``."""
        raise NotImplementedError

    def input_grad(self, xp, image):
        """A function ``(g, samples)`` that sets ``image[samples]`` to the input's gradient from ``g``,
        the gradient of those images' output rows."""
        raise NotImplementedError

    def kernel_grad(self, matrix_grad):
        raise NotImplementedError

    # -- the shared machinery ----------------------------------------------------------------
    def forward(self, xp, x, w, b=None):
        """The (pooled) activated convolution of NHWC ``x`` with ``w`` plus ``b``: NHWC."""
        x = pad_or_crop(xp, x, self.pads)
        n, dtype = x.shape[0], xp.result_type(x, w)
        self.padded_shape, self.w, self.has_bias = x.shape, w, b is not None
        kernel = self.kernel_matrix(xp, w)
        if b is not None:
            kernel = xp.concatenate([kernel, xp.tile(b, self.outputs_per_row)[None]])
        self.kernel = kernel
        self.cols = self.new_lowered(xp, x, w, dtype)
        self.y = xp.empty((len(self.cols), kernel.shape[1]), dtype=dtype)
        rows, out_shape = len(self.cols) // n, x.shape[:1] + self.out_hw + w.shape[-1:]
        if self.pool:
            pooled, out_shape = self.pooled_output(xp, out_shape, dtype)
        if self.max:
            # the compiled kernels vectorize over channels: they pay from 16 (as ops.pool.MaxPool)
            self.kernels = accel.kernels_for(self.y) if w.shape[-1] >= 16 and self.pool[0] * self.pool[1] < 255 \
                else None
            self.pooled = pooled
            self.maxima = pooled if self.activation is None or self.kernels is not None else xp.empty_like(pooled)
            self.first = xp.empty(pooled.shape, dtype=xp.uint8) if self.kernels is not None else None
        lower = self.lowering(xp, x, w)  # views made once, outside the parts (the threads' Python holds the GIL)

        def part(samples):  # lowered, multiplied and activated (and pooled), one part of the batch per thread
            r = slice(samples.start * rows, samples.stop * rows)
            lower(samples)
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

    # With the lowered matrix P and the kernel matrix W, y = P W, so dW = P^T dy and dP = dy W^T; each
    # lowering adds dP back onto the image (``input_grad``) while the part is still in cache.
    def backward(self, xp, gy, needs_grad):
        """``(input's gradient, kernel's, bias's)`` from the output's gradient ``gy``; each None
        where ``needs_grad`` (one bool per input) says so."""
        n, need_x = self.padded_shape[0], needs_grad[0]
        need_b = self.has_bias and needs_grad[2]
        need_w = needs_grad[1] or need_b  # the bias's gradient is a row of the kernel matrix's
        rows = len(self.y) // n
        if self.pool:  # the pooled gradient spread back over the blocks, a part at a time
            gy, spread = gy.reshape(-1, self.w.shape[-1]), xp.empty(self.y.shape, dtype=gy.dtype)
        else:
            gy = gy.reshape(self.y.shape)
        image = xp.empty(self.padded_shape, dtype=xp.result_type(gy, self.w)) if need_x else None
        add_back = self.input_grad(xp, image) if need_x else None

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
            if need_x:
                add_back(g, samples)
            return self.cols[r].T @ g if need_w else None
        parts = backend.parallel(part, n, self.cols.size + 2 * self.y.size)
        gk = sum_parts(parts) if need_w else None
        gw = self.kernel_grad(gk[:len(self.kernel) - self.has_bias]) if needs_grad[1] else None
        gb = gk[-1].reshape(self.outputs_per_row, -1).sum(axis=0) if need_b else None
        gx = pad_or_crop(xp, image, negate(self.pads)) if need_x else None
        return gx, gw, gb

    # -- pooling epilogues -------------------------------------------------------------------
    def max_blocks(self, xp, y, samples):
        """The (ReLU of the) maxima of the blocks of ``y``, the output rows of the images ``samples``,
        into their rows of the pooled output; with the compiled kernels, in one pass that notes where
        each maximum is (``first``)."""
        rows, pw, c = self.pooled_rows(samples), self.pool[1], self.w.shape[-1]
        ow = self.out_hw[1] // pw
        if self.kernels is not None:
            # blocks that leave pixels out are copied together first: on a strided view the kernel runs
            # value by value
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


class Patches(Lowered):
    """The im2col lowering: one row of kh*kw*C_in values per output pixel (see the module's docstring).

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 4, 4, 3), "float32"), np.ones((3, 3, 3, 2), "float32")
        >>> Patches((1, 1), (1, 1), ((0, 0), (0, 0)), (2, 2)).forward(np, x, w)[0, :, :, 0].tolist()
        [[27.0, 27.0], [27.0, 27.0]]
    """

    def kernel_matrix(self, xp, w):
        return w.reshape(-1, w.shape[-1])

    def new_lowered(self, xp, x, w, dtype):
        return new_patches(xp, x.shape[0], x.shape[3], w.shape[:2], self.out_hw, dtype, extra=self.has_bias)

    def lowering(self, xp, x, w):
        return lambda samples: fill_patches(xp, self.cols, x, samples, w.shape[:2], self.out_hw, self.strides,
                                            self.dilation)

    def input_grad(self, xp, image):
        # the kernel transposed and copied once, so that every part's product reads it contiguously
        wt = xp.ascontiguousarray(self.w.transpose(0, 1, 3, 2))
        rows = len(self.y) // self.padded_shape[0]

        def add_back(g, samples):
            g3 = g.reshape(-1, rows, g.shape[-1])
            col2im(xp, lambda i, j, s: g3[s].reshape(-1, g3.shape[2]) @ wt[i, j], image[samples], wt.shape[:2],
                   self.out_hw, self.strides, self.dilation)
        return add_back

    def kernel_grad(self, matrix_grad):
        return matrix_grad.reshape(self.w.shape)


class Strips(Lowered):
    """The strip lowering: one row per strip of ``strip`` neighbouring output pixels of an output row,
    times the kernel rows as banded matrices (see the module's docstring).

    Args:
        strip: output pixels per strip (a divisor of the output width); the rest as ``Lowered``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 4, 4, 1), "float32"), np.ones((3, 3, 1, 2), "float32")
        >>> Strips((1, 1), (1, 1), ((0, 0), (0, 0)), (2, 2), strip=2).forward(np, x, w)[0, :, :, 1].tolist()
        [[9.0, 9.0], [9.0, 9.0]]
    """

    def __init__(self, strides, dilation, pads, out_hw, activation=None, pool=None, max_pool=False, strip=1):
        super().__init__(strides, dilation, pads, out_hw, activation, pool, max_pool)
        self.strip = self.outputs_per_row = strip

    def kernel_matrix(self, xp, w):
        # the input columns under one strip: its outputs' windows, overlapping
        self.span = (self.strip - 1) * self.strides[1] + (w.shape[1] - 1) * self.dilation[1] + 1
        self.bands = banded_rows(xp, w.shape, self.span, self.strip, self.strides[1], self.dilation[1])
        return self.bands.matrix(xp, w)

    def new_lowered(self, xp, x, w, dtype):
        return xp.empty((x.shape[0] * self.out_hw[0] * (self.out_hw[1] // self.strip), len(self.kernel)), dtype=dtype)

    def lowering(self, xp, x, w):
        (oh, ow), c, kh = self.out_hw, x.shape[3], w.shape[0]
        lowered = self.cols[:, :kh * self.span * c].reshape(x.shape[0], oh, ow // self.strip, kh, self.span * c)
        under = self.strip_view(xp, x, kh)

        def lower(samples):
            lowered[samples] = under[samples]
        return lower

    def strip_view(self, xp, image, kh):
        """The (N, OH, strips, kh, span*C) view of padded NHWC ``image`` that the strips lower."""
        n, h, wd, c = image.shape
        (oh, ow), (sh, sw), dh = self.out_hw, self.strides, self.dilation[0]
        bn, bh, bw, bc = image.strides
        # a row's pixels and channels are read as one run of W*C values, which needs the channel stride
        # to step between pixels too; a lone channel may carry any stride (0 after x[..., None]), and
        # other layouts (channels_first transposed in) are copied first
        if c == 1:
            bc = bw
        elif bw != c * bc:
            image = xp.ascontiguousarray(image)
            bn, bh, bw, bc = image.strides
        return xp.lib.stride_tricks.as_strided(image, (n, oh, ow // self.strip, kh, self.span * c),
                                               (bn, bh * sh, bw * sw * self.strip, bh * dh, bc))

    def input_grad(self, xp, image):
        # the banded matrix transposed and copied once, so that every part's product reads it contiguously;
        # the sums go back through a strided view (made once), or striate[fast]'s kernel
        wt = xp.ascontiguousarray(self.kernel[:len(self.kernel) - self.has_bias].T)
        under = self.strip_view(xp, image, self.w.shape[0]) if accel.kernels_for(image) is None else None
        return lambda g, samples: self.add_strips(xp, g @ wt, image[samples],
                                                  None if under is None else under[samples])

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

    def kernel_grad(self, matrix_grad):
        return self.bands.kernel_grad(matrix_grad, self.w.shape)


def sum_parts(parts):
    """The sum of the threads' partial results (one array each), added into the first."""
    parts = iter(parts)
    total = next(parts)
    for p in parts:
        total += p
    return total
