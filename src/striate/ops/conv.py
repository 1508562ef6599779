"""Convolutions of images: conv, depthwise_conv and conv_transpose (keras.ops names and layouts).

Where to read what:

- ``ReferenceConv``, below: the textbook convolution, forward by im2col (patches times the kernel)
  and backward with the derivation of both gradients. Every faster strategy is tested against it.
- ``choose_strategy``: the one dispatcher that picks how ``conv`` and ``conv_bias_activation``
  compute a convolution, in plain conditions on the shapes and options.
- ``ops/conv_strategies/``: the strategies it picks from, each with the same contract
  (``forward(xp, x, w, b)``, ``backward(xp, gy, needs_grad)``): ``lowered.Patches`` (im2col),
  ``lowered.Strips`` (banded rows, for few channels), both with the bias, activation and fused
  average or max pooling applied to each part of the batch on striate's threads (with the compiled
  kernels of striate[fast] where they help), ``direct3x3.Direct3x3`` (3x3, stride 1, "same":
  no 9x patch matrix), ``direct_compiled.DirectCompiled`` (3x3, stride 1 or 2, 16 to 256
  channels, with striate[fast]: compiled kernels, nothing lowered) and ``pointwise.Pointwise``
  (1x1, stride 1: a Dense layer on every pixel).
- ``ConvTranspose``: the transposed convolution, its reference (col2im) in the op itself, and
  ``conv_strategies.tiles.Tiles`` where the stride equals the kernel (U-Net's upsampling).

The ops work on 2-D NHWC images; 1-D inputs ``(N, W, C)`` and ``channels_first`` inputs are
reshaped and transposed to that layout around them. The window helpers here (padding rule,
padding and cropping, layout) serve the pooling ops too.
"""
import operator

from striate import backend
from striate.autodiff import Function
from striate.backend import accel
from striate.ops._base import shape_of, tensor
from striate.ops.conv_strategies.blocks import (  # noqa: F401  (ops.pool imports them from here)
    block_reduce, column_mean, first_maxima, fold, mean_blocks, mean_blocks_grad, spread_blocks)
from striate.ops.conv_strategies import direct_compiled, pointwise, tiles
from striate.ops.conv_strategies.direct3x3 import Direct3x3, fits
from striate.ops.conv_strategies.lowered import Patches, Strips
from striate.ops.conv_strategies.patches import col2im, im2col, negate, pad_or_crop, taps
from striate.ops.linalg import FUSED_ACTIVATIONS
from striate.ops.shape import Reshape, Transpose

__all__ = ["conv", "depthwise_conv", "separable_conv", "conv_transpose", "conv_bias_activation",
           "conv_transpose_bias"]


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


def out_size(padded_hw, kernel_hw, strides, dilation):
    """The output's (OH, OW): how many windows fit in the padded image."""
    return tuple((n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(padded_hw, kernel_hw, strides, dilation))


# -- the reference ---------------------------------------------------------------------------
class ReferenceConv(Function):
    """Convolution (cross-correlation, as in Keras) of NHWC images with a (kh, kw, C_in, C_out) kernel,
    the textbook way: every faster strategy is tested against this one.

    Forward. Pad the image, then gather the kh*kw*C_in input values under each output pixel into one
    row of the patch matrix P (im2col): P[(n, oh, ow), (i, j, c)] = x[n, oh*sh + i*dh, ow*sw + j*dw, c].
    With the kernel as a matrix W (kh*kw*C_in, C_out), the output is one product: y = P W.

    Backward. From y[r, o] = sum_k P[r, k] W[k, o], for the loss L:

    - dL/dW[k, o] = sum_r P[r, k] dL/dy[r, o], that is dW = P^T dy (the patches, transposed, times
      the output's gradient);
    - dL/dP[r, k] = sum_o dL/dy[r, o] W[k, o], that is dP = dy W^T;
    - each entry of P is a copy of one input pixel, so the pixel's gradient is the sum of dP over
      every place it was copied to: col2im, the adjoint of im2col, adds column block (i, j) of dP
      back under tap (i, j). Cutting the padding off gives the input's gradient.

    Args:
        strides, dilation: pairs of ints.
        pads: ((top, bottom), (left, right)), as ``window_pads`` gives them.

    Example:
        >>> import numpy as np
        >>> from striate.ops.conv import ReferenceConv
        >>> y = ReferenceConv((1, 1), (1, 1), ((0, 0), (0, 0)))(np.ones((1, 3, 3, 2)), np.ones((2, 2, 2, 1)))
        >>> y.numpy()[0, :, :, 0].tolist()
        [[8.0, 8.0], [8.0, 8.0]]
    """

    def __init__(self, strides, dilation, pads):
        self.strides, self.dilation, self.pads = strides, dilation, pads

    def forward(self, xp, x, w):
        x = pad_or_crop(xp, x, self.pads)
        kh, kw, cin, cout = w.shape
        self.padded_shape, self.w = x.shape, w
        self.out_hw = out_size(x.shape[1:3], (kh, kw), self.strides, self.dilation)
        self.taps = [index for _, _, index in taps((kh, kw), self.out_hw, self.strides, self.dilation)]
        self.patches = xp.stack([x[index] for index in self.taps], axis=3).reshape(-1, kh * kw * cin)  # im2col
        y = self.patches @ w.reshape(-1, cout)
        return y.reshape(x.shape[:1] + self.out_hw + (cout,))

    def backward(self, xp, gy):
        kh, kw, cin, cout = self.w.shape
        dy = gy.reshape(-1, cout)
        dw = (self.patches.T @ dy).reshape(self.w.shape)
        dp = (dy @ self.w.reshape(-1, cout).T).reshape(self.padded_shape[:1] + self.out_hw + (kh * kw, cin))
        dx = xp.zeros(self.padded_shape, dtype=dp.dtype)
        for t, index in enumerate(self.taps):  # col2im
            dx[index] += dp[:, :, :, t]
        return pad_or_crop(xp, dx, negate(self.pads)), dw


# -- the dispatcher --------------------------------------------------------------------------
LOWERING = {"force": None}  # tests set "strips" or "patches" to check both ways on every case


def strip_width(kernel_shape, out_hw):
    """How many output pixels a strip holds (0: not by strips).

    Strips where channels are few, at most 16 out and C_in * C_out <= 128 (there BLAS would stream
    a thin patch matrix), as wide as divides the output width while the banded matrices' extra work,
    (wb + kw - 1) / kw times the patches', stays within 2.5 times (measurements in benchmarks/NOTES.md).
    """
    kh, kw, cin, cout = kernel_shape
    if LOWERING["force"] == "patches" or (LOWERING["force"] is None and (cout > 16 or cin * cout > 128)):
        return 0
    ow = out_hw[1]
    return max(wb for wb in range(1, ow + 1) if ow % wb == 0 and (wb == 1 or 2 * (wb + kw - 1) <= 5 * kw))


def choose_strategy(kernel_shape, out_hw, strides, dilation, pads, activation=None, average_pool=None, max_pool=None):
    """The strategy that computes ``activation(conv(x, kernel) + bias)`` (then pooled) for these settings.

    The rules, in order:

    1. with striate[fast]'s compiled kernels in use: 3x3 kernel, stride 1 or 2, no dilation, "same"
       or "valid" padding, no fused pool, 16 to 256 channels in and out, outputs at least 8 pixels
       wide (a step of the kernel's pixels): ``DirectCompiled`` (no lowered
       copy, the outputs added up in vector registers; BLAS's products are thin at the smaller
       widths, and the lowered copies cost as much as the products' shortfall at the larger);
    2. 3x3 kernel, stride 1, no dilation, "same" padding, no fused pool, at least 16 input channels,
       an image of 16x16 pixels or more: ``Direct3x3`` (it copies the image 3x where im2col copies it
       9x, but computes (H+1)(W+1) outputs for H*W: on smaller images the patches cost less);
    3. 1x1 kernel, stride 1, no padding, no fused pool: ``Pointwise`` (a Dense layer on every pixel);
    4. few channels (``strip_width``): ``Strips``;
    5. anything else: ``Patches`` (im2col).

    ``LOWERING["force"]`` ("patches" or "strips") skips rules 1 and 2 and takes that lowering.

    Args:
        kernel_shape: (kh, kw, C_in, C_out).
        out_hw: the output's (OH, OW) before any pool.
        strides, dilation: pairs.
        pads: ((top, bottom), (left, right)).
        activation: None, "relu" or "tanh".
        average_pool, max_pool: None or the (ph, pw) blocks of a fused pool (one of them at most).

    Returns:
        A new strategy object (it keeps what its backward needs: one per call).

    Example:
        >>> from striate.ops.conv import choose_strategy
        >>> type(choose_strategy((3, 3, 512, 512), (28, 28), (1, 1), (1, 1), ((1, 1), (1, 1)))).__name__
        'Direct3x3'
        >>> type(choose_strategy((5, 5, 1, 6), (28, 28), (1, 1), (1, 1), ((2, 2), (2, 2)))).__name__
        'Strips'
    """
    pool = average_pool or max_pool
    if (LOWERING["force"] is None and pool is None and direct_compiled.fits(kernel_shape, strides, dilation, pads)
            and 16 <= min(kernel_shape[2:]) and max(kernel_shape[2:]) <= 256 and out_hw[1] >= 8
            and accel.conv_kernels() is not None):
        return direct_compiled.DirectCompiled(strides, dilation, pads, out_hw, activation)
    if (LOWERING["force"] is None and pool is None and fits(kernel_shape, strides, dilation, pads)
            and kernel_shape[2] >= 16 and min(out_hw) >= 16):
        return Direct3x3(activation)
    if LOWERING["force"] is None and pool is None and pointwise.fits(kernel_shape, strides, dilation, pads):
        return pointwise.Pointwise(activation)
    settings = (strides, dilation, pads, out_hw, activation, pool, max_pool is not None)
    strip = strip_width(kernel_shape, out_hw)
    if strip:
        return Strips(*settings, strip=strip)
    return Patches(*settings)


# The most bytes of patches an inference forward pass lowers at once (it takes two images at least, one
# per thread).
INFERENCE_PATCHES = 256 * 2 ** 20


class Conv(Function):
    """Convolution (cross-correlation, as in Keras) of NHWC images with a (kh, kw, in, out) kernel,
    optionally plus a bias and then ReLU or tanh, then average or max pooled, in the same op (the
    Conv2D layer's hot path), by the strategy ``choose_strategy`` picks.

    Args:
        strides, dilation: pairs of ints.
        pads: ((top, bottom), (left, right)).
        activation: None, "relu" or "tanh".
        average_pool: None or (ph, pw) blocks that tile the output, each replaced by its mean.
        max_pool: None or (ph, pw) blocks, each replaced by its maximum ("valid": blocks that do not fit
            are left out); activation None or "relu", taken after the pool.

    Example:
        >>> import numpy as np
        >>> from striate.ops.conv import Conv
        >>> y = Conv((1, 1), (1, 1), ((1, 1), (1, 1)), activation="relu", max_pool=(2, 2))(
        ...     np.ones((1, 4, 4, 1), "float32"), np.ones((3, 3, 1, 2), "float32"))
        >>> y.shape
        (1, 2, 2, 2)
    """

    def __init__(self, strides, dilation, pads, activation=None, average_pool=None, max_pool=None):
        if max_pool is not None and activation not in (None, "relu"):
            raise ValueError(f"conv: max_pool takes activation None or 'relu', received {activation!r}")
        self.strides, self.dilation, self.pads = strides, dilation, pads
        self.activation, self.average_pool, self.max_pool = activation, average_pool, max_pool

    def strategy(self, x, w):
        padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[1:3], self.pads)]
        self.out_hw = out_size(padded, w.shape[:2], self.strides, self.dilation)
        return choose_strategy(w.shape, self.out_hw, self.strides, self.dilation, self.pads, self.activation,
                               self.average_pool, self.max_pool)

    def forward(self, xp, x, w, b=None):
        self.has_bias, self.chosen = b is not None, self.strategy(x, w)
        per_image = self.out_hw[0] * self.out_hw[1] * w.shape[0] * w.shape[1] * w.shape[2] * x.dtype.itemsize
        lowers_patches = type(self.chosen) is Patches
        if not self.recording and lowers_patches and len(x) > 1 and per_image * len(x) > INFERENCE_PATCHES:
            # nothing keeps the patches for a backward pass: lower a few images at a time, so that a
            # large image's patch matrix (kh*kw*C_in values per output pixel) stays bounded
            step = max(2, INFERENCE_PATCHES // per_image)
            return xp.concatenate([self.strategy(x, w).forward(xp, x[i:i + step], w, b)
                                   for i in range(0, len(x), step)])
        return self.chosen.forward(xp, x, w, b)

    def backward(self, xp, gy):
        gx, gw, gb = self.chosen.backward(xp, gy, self.needs_grad)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


# -- the other convolutions ------------------------------------------------------------------
class _Windowed(Function):
    """The padding and the col2im adjoint that the grouped and depthwise convolutions share."""

    def __init__(self, strides, dilation, pads):
        self.strides, self.dilation, self.pads = strides, dilation, pads

    def pad(self, xp, x, kernel_hw):
        """``x`` padded (or cropped) to the windows' extent; sets ``out_hw``, the output's (OH, OW)."""
        x = pad_or_crop(xp, x, self.pads)
        self.out_hw = out_size(x.shape[1:3], kernel_hw, self.strides, self.dilation)
        return x

    def unpad(self, xp, tap_values, padded_shape, dtype, kernel_hw):
        """The input's gradient: ``tap_values(i, j, samples)`` added under each tap, padding cut off."""
        g = col2im(xp, tap_values, xp.empty(padded_shape, dtype=dtype), kernel_hw, self.out_hw, self.strides,
                   self.dilation)
        return pad_or_crop(xp, g, negate(self.pads))


# The most bytes of patches an inference forward pass lowers at once (it takes two images at least, one


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
    """The adjoint of Conv: each input pixel spreads a (kh, kw, out) patch, kernel (kh, kw, out, in),
    plus a bias where one is given.

    The reference below: one product per tap, each added into its strided view of the output
    (col2im); backward, the output's gradient cut into patches (im2col) gives both gradients. Where
    the stride equals the kernel the patches do not overlap, and ``conv_strategies.tiles.Tiles``
    computes the same as one product (``reference=True`` keeps to the reference, for tests).
    """

    def __init__(self, strides, dilation, crops, reference=False):
        self.strides, self.dilation, self.crops, self.reference = strides, dilation, crops, reference

    def forward(self, xp, x, w, b=None):
        self.tiles = None if self.reference or not tiles.fits(w.shape, self.strides, self.dilation, self.crops) \
            else tiles.Tiles()
        if self.tiles is not None:
            return self.tiles.forward(xp, x, w, b)
        n, h, wd, cin = x.shape
        kh, kw, cout = w.shape[:3]
        self.x2, self.w, self.x_shape = x.reshape(-1, cin), w, x.shape
        (sh, sw), (dh, dw) = self.strides, self.dilation
        full_shape = (n, (h - 1) * sh + (kh - 1) * dh + 1, (wd - 1) * sw + (kw - 1) * dw + 1, cout)
        wt = xp.ascontiguousarray(w.transpose(0, 1, 3, 2))
        x3 = self.x2.reshape(n, -1, cin)
        y = col2im(xp, lambda i, j, s: x3[s].reshape(-1, cin) @ wt[i, j],
                   xp.empty(full_shape, dtype=xp.result_type(x, w)), (kh, kw), (h, wd), self.strides, self.dilation)
        y = pad_or_crop(xp, y, negate(self.crops))
        return y if b is None else y + b

    def backward(self, xp, gy):
        if self.tiles is not None:
            gx, gw, gb = self.tiles.backward(xp, gy, self.needs_grad)
            return (gx, gw, gb)[:len(self.needs_grad)]
        cols = im2col(xp, pad_or_crop(xp, gy, self.crops), self.w.shape[:2], self.x_shape[1:3], self.strides,
                      self.dilation)
        gx = (cols @ self.w.reshape(-1, self.x2.shape[1])).reshape(self.x_shape) if self.needs_grad[0] else None
        gw = (cols.T @ self.x2).reshape(self.w.shape) if self.needs_grad[1] else None
        if len(self.needs_grad) == 2:
            return gx, gw
        return gx, gw, (backend.sum_rows(gy.reshape(-1, gy.shape[-1])) if self.needs_grad[2] else None)


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
    """``activation(conv(inputs, kernel) + bias)`` as one op (channels-last inputs), then pooled where asked.

    The Conv2D layer's hot path: one output array and one pass, where three ops make three. How it is
    computed is ``choose_strategy``'s choice.

    Args:
        inputs: ``(batch, height, width, channels)`` (or ``(batch, width, channels)`` for 1-D).
        kernel: ``(kh, kw, channels, filters)``.
        bias: ``(filters,)`` or None.
        strides, padding, dilation_rate: as for :func:`conv`.
        activation: ``None``, ``"relu"`` or ``"tanh"``.
        average_pool: None, or an int or a pair: ``average_pool(that, average_pool)`` in the same op
            (the blocks must tile the output).
        max_pool: None, or an int or a pair: ``max_pool(that, max_pool)`` in the same op ("valid":
            blocks that do not fit are left out; activation None or "relu").

    Returns:
        A Tensor ``(batch, out_height, out_width, filters)``, pooled where asked.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> y = keras.ops.conv_bias_activation(np.ones((1, 4, 4, 1), "float32"), np.ones((3, 3, 1, 2), "float32"),
        ...                                    np.ones(2, "float32"), padding="same", activation="relu", max_pool=2)
        >>> y.numpy()[0, :, :, 0].tolist()
        [[10.0, 10.0], [10.0, 10.0]]
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
    return _conv_transpose("conv_transpose", inputs, kernel, None, strides, padding, output_padding, data_format,
                           dilation_rate)


def conv_transpose_bias(inputs, kernel, bias, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """``conv_transpose(inputs, kernel) + bias`` as one op, channels-last inputs (Conv2DTranspose's path).

    Args:
        inputs, kernel, strides, padding, output_padding, dilation_rate: as for :func:`conv_transpose`.
        bias: ``(out_channels,)``, or None.

    Returns:
        A Tensor ``(batch, out_height, out_width, out_channels)``.

    Example:
        >>> import numpy as np
        >>> conv_transpose_bias(np.ones((1, 2, 2, 1), "float32"), np.ones((2, 2, 1, 1), "float32"),
        ...                     np.array([0.5], "float32"), strides=2).shape
        (1, 4, 4, 1)
    """
    return _conv_transpose("conv_transpose", inputs, kernel, bias, strides, padding, output_padding,
                           "channels_last", dilation_rate)


def _conv_transpose(op, inputs, kernel, bias, strides, padding, output_padding, data_format, dilation_rate):
    x, w, restore, _, nd, (strides, padding, dilation) = _prepare(
        op, inputs, kernel, strides, padding, data_format, dilation_rate, 3)
    extra = (None, None) if output_padding is None else \
        spatial_tuple(op, "output_padding", output_padding, nd, low=0, fill=None)
    crops = tuple(_transpose_crops(w.shape[i], strides[i], dilation[i], padding, extra[i]) for i in range(2))
    fn = ConvTranspose(strides, dilation, crops)
    return restore(fn(x, w) if bias is None else fn(x, w, bias))


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
