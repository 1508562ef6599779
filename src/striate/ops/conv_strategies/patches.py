"""Image patches: the lowering that turns a convolution into one matrix product (im2col) and its
adjoint (col2im), shared by the patch strategy, the grouped, depthwise and transposed convolutions,
and the pooling ops; and the padding of NHWC images that every strategy starts with."""


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
    """The pads that undo ``pads`` (padding becomes cropping and back)."""
    return tuple((-lo, -hi) for lo, hi in pads)


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
    ``fill_patches`` in runs of only kw*C values, while each tap is copied whole into a row of the
    transposed matrix (the products take the transposed matrix as it is).
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
    it stays in cache (faster than whole-batch taps: see benchmarks/NOTES.md, "3x3 convolutions").
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

