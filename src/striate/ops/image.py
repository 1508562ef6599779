"""Image ops with the names, arguments and numbers of ``keras.ops.image`` (its PyTorch backend).

Three ops do the work, each over a whole batch at once:

- ``Separable``: a linear map along the spatial axes, one (out, in) matrix per axis: resize's
  interpolation (nearest, bilinear, bicubic, antialiased or not) and gaussian_blur's kernel. Its
  backward applies the transposed matrices.
- ``Sample``: the images' values at fractional coordinates (nearest or bilinear), the corners outside
  an image resolved by the fill mode: map_coordinates, elastic_transform. Its backward scatters the
  gradient onto the corners with one ``bincount``.
- ``Warp``: ``Sample`` at the points that projective transforms take each pixel from:
  affine_transform, and with it the geometric augmentation layers.

With striate[fast], ``Sample`` and ``Warp`` run float32 images through compiled kernels
(``backend._kernels``), which give the same bits.

Cropping, padding and the colour conversions are composed of differentiable ops.
"""
import functools
import math
import operator

from striate import backend
from striate.autodiff import Function, Tensor
from striate.backend import accel
from striate.ops._base import tensor
from striate.ops.math import Abs, Cast, Clip, Maximum, Minimum, Where
from striate.ops.reduce import Sum
from striate.ops.shape import GetItem, Pad, Reshape, Stack, Transpose

__all__ = ["rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "resize", "affine_transform", "map_coordinates",
           "crop_images", "pad_images", "gaussian_blur", "elastic_transform"]

INTERPOLATION_ORDERS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


# -- the two ops -----------------------------------------------------------------------------
def along(xp, matrix, x, axis):
    """``matrix`` (out, in) applied along ``axis`` of ``x`` (a contiguous result)."""
    lead, size, trail = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1:])
    shape = x.shape[:axis] + matrix.shape[:1] + x.shape[axis + 1:]
    x = xp.ascontiguousarray(x)
    if trail <= 4:
        # NOTE: with a few values per position (an image's channels), one product with the matrix
        # widened to act on all of them at once, kron(M.T, I), beats a product per row of pixels
        wide = xp.kron(matrix.T, xp.eye(trail, dtype=matrix.dtype))
        return (x.reshape(lead, size * trail) @ wide).reshape(shape)
    return xp.matmul(matrix, x.reshape(lead, size, trail)).reshape(shape)


class Separable(Function):
    """A linear map that acts on each spatial axis alone: ``matrices`` is ``((axis, (out, in) matrix), ...)``."""

    def __init__(self, matrices):
        self.matrices = matrices

    def forward(self, xp, x):
        for axis, m in self.matrices:
            x = along(xp, m, x, axis)
        return x

    def backward(self, xp, gy):
        for axis, m in reversed(self.matrices):
            gy = along(xp, m.T, gy, axis)
        return gy


def fix_index(xp, index, size, fill_mode):
    """Integer-valued float positions ``index`` along an axis of ``size`` pixels, moved into the image as
    ``fill_mode`` says (``"constant"``: into the image bordered by one pixel of the fill value)."""
    if fill_mode == "constant":
        return xp.clip(index, -1, size) + 1
    if fill_mode == "nearest":
        return xp.clip(index, 0, size - 1)
    if fill_mode == "wrap":
        return _mod(xp, index, size)
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a): period 2 * size
        folded = _mod(xp, index, 2 * size)
        return xp.minimum(folded, 2 * size - 1 - folded)
    if size == 1:  # mirror: (c d c b | a b c d | c b a b), period 2 * (size - 1)
        return xp.zeros_like(index)
    folded = _mod(xp, index, 2 * size - 2)
    return xp.minimum(folded, 2 * size - 2 - folded)


def _mod(xp, index, n):
    """``index mod n`` for integer-valued floats, exact below 2**23 (``xp.mod`` on floats is a slow divmod)."""
    return index - n * xp.floor(index / n)


def _folded_range(size, fill_mode):
    """The positions ``(lowest, highest)`` that ``_fold`` leaves, for corners along an axis of ``size``."""
    if fill_mode == "constant":  # below -1 and above size, both corners are in the border: as -2 and size
        return -2, size
    if fill_mode == "nearest":
        return -1, size - 1
    return 0, {"wrap": size, "reflect": 2 * size}.get(fill_mode, max(2 * size - 2, 1)) - 1


def _fold(xp, index, size, fill_mode):
    """Integer-valued float positions ``index`` moved into ``_folded_range``, where ``corner_table``
    resolves them: clipped (past the edges, every position gives the same pixels), or taken modulo the
    fill's period."""
    low, high = _folded_range(size, fill_mode)
    if low < 0:
        return xp.minimum(xp.maximum(index, low, out=index), high, out=index)
    return _mod(xp, index, high + 1)


def corner_table(size, stride, fill_mode, corners):
    """(corners, positions) intp: for each position of ``_folded_range`` (from 0 up, then the negative
    ones, so that ``take`` reads position -1 at -1) and its ``corners`` (1: itself; 2: and the next),
    the offset (pixel times ``stride``) of the pixel it takes in planes bordered as ``Sample`` borders
    them."""
    xp = backend.xp()
    low, high = _folded_range(size, fill_mode)
    positions = xp.roll(xp.arange(low, high + 1, dtype=xp.float64), low)
    return xp.stack([fix_index(xp, positions + j, size, fill_mode) * stride for j in range(corners)]).astype(xp.intp)


def _outer(combine, a, b):
    """``combine`` of every row of ``a`` (K, ...) with every row of ``b`` (L, ...), ``b``'s varying fastest:
    (K * L, ...)."""
    out = combine(a[:, None], b[None])
    return out.reshape((-1,) + out.shape[2:])


class Sample(Function):
    """Values of images ``(batch, *spatial, channels)`` at fractional coordinates: ``forward(images,
    *coordinates)`` takes one ``(batch, points)`` array per spatial axis (or ``(1, points)``, shared by
    the batch) and returns ``(batch, points, channels)``, every channel sampled at the same points.

    ``order`` 0 takes the nearest pixel (halves round to even), 1 interpolates linearly between the 2**d
    surrounding pixels. A pixel outside the image takes the value ``fill_mode`` gives it.

    With striate[fast], float32 images of two spatial axes are sampled by a compiled kernel
    (``backend._kernels.sample_2d``), the same bits as here (where NumPy's ``take`` raises an IndexError
    for NaN or infinite coordinates, it reads inside the image), split across striate's threads by images.
    """

    # NOTE: the images are gathered from as channel planes (channels, batch * pixels): gathering
    # rows of a few channels and weighting them (a broadcast over 3 values) costs more per value
    # than the same on planes, which cost one transpose of the result.
    def __init__(self, order, fill_mode, fill_value):
        self.order, self.fill_mode, self.fill_value = order, fill_mode, fill_value

    def forward(self, xp, images, *coordinates):
        # NOTE: the corners and planes that backward needs are made on first use: augmentation's images
        # and transforms need no gradient, and the compiled kernel makes neither
        self.images, self.coordinates, self.found, self.flat = images, coordinates, None, None
        if len(coordinates) == 2 and _compiles(images, *coordinates):
            return self.compiled(xp, "sample_2d", coordinates[0].shape[-1], *coordinates)
        index, weights, _ = self.corners(xp)
        values = xp.take(self.planes(xp), index, axis=1)  # (channels, corners, batch, points)
        out = values[:, 0] if weights is None else xp.multiply(values, weights, out=values).sum(axis=1)
        return xp.ascontiguousarray(out.transpose(1, 2, 0))

    def compiled(self, xp, name, points, *per_image):
        """(batch, points, channels) by the compiled kernel ``name`` (``backend._kernels``) of ``self.images``
        and ``per_image`` arrays (a row for each image, or one for all), split by images across threads."""
        images = xp.ascontiguousarray(self.images)
        per_image = [xp.ascontiguousarray(a) for a in per_image]
        out = xp.empty((len(images), points, images.shape[-1]), dtype=images.dtype)
        kernel = getattr(accel.kernels(), name)(self.order, FILL_MODES.index(self.fill_mode), images.shape[-1])
        fill = images.dtype.type(self.fill_value)
        cost = out.size * (4 << self.order)  # (measured: 2 to 3 ns a value, as a few passes over it)
        if backend.runs_whole(len(images), cost, kind="elementwise"):
            kernel(images, *per_image, fill, out)
            return out

        def part(s):
            kernel(images[s], *(a if len(a) == 1 else a[s] for a in per_image), fill, out[s])
        backend.parallel(part, len(images), cost, kind="elementwise")
        return out

    def planes(self, xp):
        """The images as contiguous channel planes (channels, batch * pixels), bordered by one pixel of the
        fill value for ``"constant"``; made once."""
        if self.flat is None:
            planes = xp.moveaxis(self.images, -1, 0)
            if self.fill_mode == "constant":
                # NOTE: Keras gives a corner outside the image the fill value; a one-pixel border of it,
                # with the corners clipped into the border, does the same without masks.
                bordered = xp.full(planes.shape[:2] + tuple(n + 2 for n in planes.shape[2:]), self.fill_value,
                                   dtype=planes.dtype)
                bordered[(slice(None), slice(None)) + (slice(1, -1),) * (planes.ndim - 2)] = planes
                planes = bordered
            self.flat = xp.ascontiguousarray(planes).reshape(len(planes), -1)
        return self.flat

    def planes_shape(self):
        """(channels, batch, *spatial) of ``planes``, bordered."""
        border = 2 if self.fill_mode == "constant" else 0
        return (self.images.shape[-1],) + self.images.shape[:1] + tuple(n + border for n in self.images.shape[1:-1])

    def corners(self, xp):
        """Every corner of every point (2**d of them for order 1, the last axis varying fastest): its offset
        in ``planes`` (corners, batch, points), its weight (corners, batch or 1, points; None for order 0),
        and per axis the weights of its lower and upper corner; made once."""
        if self.found is None:
            shape = self.planes_shape()
            starts = xp.arange(len(self.images), dtype=xp.intp) * math.prod(shape[2:])  # each image's plane offset
            index, weights, axis_weights = starts[None, :, None], None, []
            for k, (c, size) in enumerate(zip(self.coordinates, self.images.shape[1:-1])):
                position = xp.rint(c) if self.order == 0 else xp.floor(c)
                if self.order == 1:
                    w = xp.empty((2,) + c.shape, dtype=c.dtype)
                    xp.subtract(c, position, out=w[1])
                    xp.subtract(1, w[1], out=w[0])
                    axis_weights.append(w)
                    weights = w if weights is None else _outer(operator.mul, weights, w)
                table = _constant(corner_table, size, math.prod(shape[k + 3:]), self.fill_mode, self.order + 1)
                offsets = xp.take(table, _fold(xp, position, size, self.fill_mode).astype(xp.intp), axis=1)
                index = _outer(operator.add, index, offsets)
            self.found = index, weights, axis_weights
        return self.found

    def backward(self, xp, gy):
        gy = xp.moveaxis(gy, -1, 0)  # (channels, batch, points)
        grads = [self.images_grad(xp, gy) if self.needs_grad[0] else None]
        for k in range(len(self.coordinates)):
            grads.append(self.coordinate_grad(xp, gy, k) if self.needs_grad[k + 1] else None)
        return tuple(grads)

    def images_grad(self, xp, gy):
        # NOTE: one bincount per channel plane, not one over all planes at once: each plane's output
        # stays in cache, and the index array is shared by the planes instead of repeated C times
        index, weights, _ = self.corners(xp)
        shape = self.planes_shape()
        shares = gy[:, None] if weights is None else gy[:, None] * weights  # (channels, corners, batch, points)
        index = index.ravel()
        g = xp.stack([xp.bincount(index, s.ravel(), minlength=math.prod(shape[1:])) for s in shares])
        g = g.astype(gy.dtype).reshape(shape)
        if self.fill_mode == "constant":
            g = g[(slice(None), slice(None)) + (slice(1, -1),) * (g.ndim - 2)]
        return xp.ascontiguousarray(xp.moveaxis(g, 0, -1))

    def coordinate_grad(self, xp, gy, k):
        # NOTE: d(weight of a corner)/d(coordinate k) is the same product of weights with axis k's
        # (1 - t, t) replaced by (-1, +1); rounding (order 0) has no gradient.
        if self.order == 0:
            return xp.zeros(gy.shape[1:], dtype=gy.dtype)
        index, _, axis_weights = self.corners(xp)
        values = xp.take(self.planes(xp), index, axis=1)  # (channels, corners, batch, points)
        ramp = xp.asarray([-1, 1], dtype=gy.dtype).reshape(2, 1, 1)
        slopes = functools.reduce(functools.partial(_outer, operator.mul),
                                  [ramp if j == k else w for j, w in enumerate(axis_weights)])
        return ((values * gy[:, None]).sum(axis=0) * slopes).sum(axis=0)


def projective_points(xp, transforms, height, width):
    """The points that projective ``transforms`` (n, 8) take the pixels of ``(height, width)`` images
    from: ``[rows, columns]``, each (n, height * width). Pixel (x, y) reads ``((a0 x + a1 y + a2) / k,
    (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    a0, a1, a2, b0, b1, b2, c0, c1 = (transforms[:, k, None, None] for k in range(8))
    x, y = xp.arange(width, dtype=transforms.dtype), xp.arange(height, dtype=transforms.dtype)[:, None]
    k = c0 * x + c1 * y + 1
    return [((p * x + q * y + r) / k).reshape(len(transforms), -1) for p, q, r in ((b0, b1, b2), (a0, a1, a2))]


class Warp(Sample):
    """Images ``(batch, height, width, channels)`` sampled as ``Sample`` samples them, at the points that
    projective transforms ``(batch or 1, 8)`` take their pixels from (``projective_points``):
    ``forward(images, transforms)`` returns images of the same shape.

    With striate[fast], float32 images are warped by one compiled kernel that computes each point as it
    samples there (``backend._kernels.warp_2d``), the same bits as here.
    """

    def forward(self, xp, images, transforms):
        self.transforms, (height, width) = transforms, images.shape[1:3]
        if not _compiles(images, transforms):
            return super().forward(xp, images, *projective_points(xp, transforms, height, width)).reshape(images.shape)
        self.images, self.coordinates, self.found, self.flat = images, None, None, None
        return self.compiled(xp, "warp_2d", height * width, transforms).reshape(images.shape)

    def backward(self, xp, gy):
        t, (height, width) = self.transforms, self.images.shape[1:3]
        if self.coordinates is None:
            self.coordinates = projective_points(xp, t, height, width)
        gy = xp.moveaxis(gy.reshape(len(gy), height * width, -1), -1, 0)  # (channels, batch, points)
        if not self.needs_grad[1]:
            return self.images_grad(xp, gy), None
        # NOTE: d(u / k)/d(a0, a1, a2) = (x, y, 1) / k and d(u / k)/d(c0, c1) = -(u / k) (x, y) / k, the same
        # for v / k and the b's: each point's three shares times (x, y, 1), summed over the points
        g_rows, g_cols = (self.coordinate_grad(xp, gy, k) for k in (0, 1))
        if len(t) < len(g_rows):  # one transform for all images
            g_rows, g_cols = g_rows.sum(axis=0, keepdims=True), g_cols.sum(axis=0, keepdims=True)
        grid = _constant(pixel_grid, height, width, t.dtype)  # (x, y, 1) of each pixel
        k = t[:, 6:] @ grid[:2] + 1
        rows, cols = self.coordinates
        shares = xp.stack([g_cols / k, g_rows / k, -(g_cols * cols + g_rows * rows) / k], axis=1)
        g_t = (shares @ grid.T).reshape(len(t), 9)[:, :8]
        return (self.images_grad(xp, gy) if self.needs_grad[0] else None), g_t


# -- helpers ---------------------------------------------------------------------------------
def _data_format(op, data_format):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', received {data_format!r}")
    return data_format or "channels_last"


def _batched(op, images, data_format):
    """``images`` as a (batch, height, width, channels) Tensor, and a function that puts a result in
    that layout back into the layout of ``images``."""
    x = tensor(images)
    first = _data_format(op, data_format) == "channels_first"
    if x.ndim not in (3, 4):
        layout = "channels, height, width" if first else "height, width, channels"
        raise ValueError(f"{op}: expects images of rank 3 ({layout}) or 4 (batch, {layout}), "
                         f"received shape {x.shape}")
    single = x.ndim == 3
    if single:
        x = Reshape((1,) + x.shape)(x)
    if first:
        x = Transpose((0, 2, 3, 1))(x)

    def restore(y):
        if first:
            y = Transpose((0, 3, 1, 2))(y)
        return Reshape(y.shape[1:])(y) if single else y
    return x, restore


def _as_float(x):
    """``x`` in a float dtype (integers become ``floatx()``)."""
    return x if x.dtype.kind == "f" else Cast(backend.floatx())(x)


def _like(y, dtype):
    """Float ``y`` back in ``dtype``: integers rounded and saturated, as Keras returns them."""
    if y.dtype == dtype:
        return y
    xp, info = backend.xp(), backend.xp().iinfo(dtype)
    return Tensor._make(xp.clip(xp.rint(y.data), info.min, info.max).astype(dtype), None)


_constants = {}


def _constant(make, *args):
    """``make(*args)``, made once per array module and arguments: the matrices and grids every step reuses."""
    return backend.memo(_constants, (make.__name__, id(backend.xp())) + args, lambda: make(*args))


def _compiles(images, *arrays):
    """Whether the compiled sampling kernels (striate[fast]) are in use and take ``images`` (B, H, W, C) and
    ``arrays``: all float32, and H*W*C under 2**22 (the kernels reckon offsets in float32)."""
    return (accel.kernels() is not None and math.prod(images.shape[1:]) < 1 << 22
            and all(a.dtype == "float32" for a in (images,) + arrays))


def _choice(op, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{op}: {name} must be one of {', '.join(map(repr, allowed))}, received {value!r}")
    return value


def _pair(op, name, value, cast):
    """``value`` as two numbers > 0, each through ``cast`` (``operator.index`` or ``float``)."""
    try:
        values = tuple(cast(v) for v in (value.numpy() if isinstance(value, Tensor) else value))
    except (TypeError, ValueError):
        values = ()
    if len(values) != 2 or min(values) <= 0:
        raise ValueError(f"{op}: {name} must be two numbers > 0, received {value!r}")
    return values


def _positive(op, name, value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number > 0:
        raise ValueError(f"{op}: {name} must be a number > 0, received {value!r}")
    return number


# -- colour ----------------------------------------------------------------------------------
def rgb_to_grayscale(images, data_format=None):
    """Convert RGB images to grayscale: ``0.2989 R + 0.587 G + 0.114 B`` (one-channel images pass as they are).

    Args:
        images: ``(height, width, 3)`` or ``(batch, height, width, 3)``, channels first with
            ``data_format="channels_first"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' shape with one channel, of their dtype.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.image.rgb_to_grayscale(np.ones((2, 4, 4, 3), "float32")).shape
        (2, 4, 4, 1)
    """
    x, restore = _batched("rgb_to_grayscale", images, data_format)
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: expects 3 (RGB) or 1 (grayscale) channels, received images of "
                         f"shape {tensor(images).shape}")
    if x.shape[-1] == 1:
        return restore(x)
    y = _as_float(x)
    gray = Sum(-1, keepdims=True)(y * backend.xp().asarray([0.2989, 0.587, 0.114], dtype=y.dtype))
    # integers are truncated, as Keras does here
    return restore(gray if x.dtype == y.dtype else Tensor._make(gray.data.astype(x.dtype), None))


def _color_planes(op, images, data_format):
    x, restore = _batched(op, images, data_format)
    if x.dtype.kind != "f":
        raise ValueError(f"{op}: expects float images, received dtype {x.dtype}")
    if x.shape[-1] != 3:
        raise ValueError(f"{op}: expects 3 channels, received images of shape {tensor(images).shape}")
    return x, restore


def rgb_to_hsv(images, data_format=None):
    """Convert RGB images (values in [0, 1]) to HSV, every component in [0, 1] (hue 0: red, 1/3: green).

    Args:
        images: float ``(height, width, 3)`` or ``(batch, height, width, 3)`` (channels first with
            ``data_format="channels_first"``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' shape: hue, saturation, value.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.image.rgb_to_hsv(np.array([[[0.0, 1.0, 1.0]]], "float32")).numpy()  # cyan
        array([[[0.5, 1. , 1. ]]], dtype=float32)
    """
    x, restore = _color_planes("rgb_to_hsv", images, data_format)
    xp = backend.xp()
    x = Where()(xp.abs(x.data) < xp.finfo(x.dtype).eps, 0.0, x)
    r, g, b = (x[..., k] for k in range(3))
    value = Maximum()(Maximum()(r, g), b)
    spread = value - Minimum()(Minimum()(r, g), b)
    saturation = Where()(value.data > 0, spread / Where()(value.data > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * Where()(spread.data > 0, spread, 1.0))
    hue = Where()(value.data == g.data, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = Where()(value.data == r.data, norm * (g - b), hue)
    hue = Where()(spread.data > 0, hue, 0.0) + (hue.data < 0).astype(x.dtype)
    return restore(Stack(-1)(hue, saturation, value))


def hsv_to_rgb(images, data_format=None):
    """Convert HSV images (every component in [0, 1]) to RGB.

    Args:
        images: float ``(height, width, 3)`` or ``(batch, height, width, 3)`` (channels first with
            ``data_format="channels_first"``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' shape: red, green, blue.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.image.hsv_to_rgb(np.array([[[0.5, 1.0, 1.0]]], "float32")).numpy()
        array([[[0., 1., 1.]]], dtype=float32)
    """
    x, restore = _color_planes("hsv_to_rgb", images, data_format)
    hue, saturation, value = (x[..., k] for k in range(3))
    sector = (hue - backend.xp().floor(hue.data)) * 6.0
    planes = (Clip(0.0, 1.0)(Abs()(sector - 3.0) - 1.0),
              Clip(0.0, 1.0)(2.0 - Abs()(sector - 2.0)),
              Clip(0.0, 1.0)(2.0 - Abs()(sector - 4.0)))
    return restore(Stack(-1)(*(value * (1.0 - saturation + saturation * p) for p in planes)))


# -- resizing --------------------------------------------------------------------------------
def _filter(interpolation, x):
    """The antialiasing filter at distances ``x``: a triangle, or Keys' cubic (a = -0.5), as PyTorch's."""
    xp, x = backend.xp(), backend.xp().abs(x)
    if interpolation == "bilinear":
        return xp.maximum(1 - x, 0)
    near = ((1.5 * x - 2.5) * x) * x + 1
    far = ((-0.5 * x + 2.5) * x - 4) * x + 2
    return xp.where(x < 1, near, xp.where(x < 2, far, 0))


def _cubic_weights(t):
    """The four weights of PyTorch's cubic convolution (A = -0.75) at offsets ``t`` past a pixel."""
    a = -0.75

    def inner(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def outer(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return outer(t + 1), inner(t), inner(1 - t), outer(2 - t)


def interpolation_matrix(size_in, size_out, interpolation, antialias, dtype):
    """The (size_out, size_in) matrix of PyTorch's ``interpolate`` along one axis (``align_corners=False``;
    ``"nearest"`` is its ``"nearest-exact"``), with Keras's ``antialias``."""
    xp = backend.xp()
    pixels = xp.arange(size_in)
    dst = xp.arange(size_out, dtype=dtype)
    scale = xp.asarray(size_in, dtype=dtype) / xp.asarray(size_out, dtype=dtype)
    if interpolation == "nearest":
        # NOTE: PyTorch computes this index with a float32 scale, whatever the dtype
        scale32 = xp.float32(size_in) / xp.float32(size_out)
        src = xp.floor(((xp.arange(size_out) + 0.5) * xp.float64(scale32)).astype(xp.float32))
        return (xp.minimum(src, size_in - 1)[:, None] == pixels).astype(dtype)
    if antialias:
        # NOTE: a filter stretched by the scale when shrinking, over the pixels PyTorch's window holds,
        # the weights of each output pixel normalized to sum to 1
        stretch = max(float(scale), 1.0)
        support = (1.0 if interpolation == "bilinear" else 2.0) * stretch
        center = scale * (dst + 0.5)
        lo = xp.maximum(xp.trunc(center - support + 0.5), 0)
        hi = xp.minimum(xp.trunc(center + support + 0.5), size_in)
        w = _filter(interpolation, (pixels - center[:, None] + 0.5) / stretch)
        w = xp.where((pixels >= lo[:, None]) & (pixels < hi[:, None]), w, 0)
        total = w.sum(axis=1, keepdims=True)
        return (w / xp.where(total == 0, 1, total)).astype(dtype)
    src = (dst + 0.5) * scale - 0.5
    if interpolation == "bilinear":
        src = xp.maximum(src, 0)
    lower = xp.minimum(xp.floor(src), size_in - 1)
    t = xp.clip(src - lower, 0, 1)
    if interpolation == "bilinear":
        taps = ((lower, 1 - t), (xp.minimum(lower + 1, size_in - 1), t))
    else:
        taps = ((xp.clip(lower - 1 + k, 0, size_in - 1), w) for k, w in enumerate(_cubic_weights(t)))
    return sum(w[:, None] * (i[:, None] == pixels) for i, w in taps).astype(dtype)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to ``size``, as ``keras.ops.image.resize`` (pixel centers at half-integers, like
    PyTorch's ``interpolate(align_corners=False)``).

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        size: ``(height, width)`` of the output.
        interpolation: ``"nearest"``, ``"bilinear"`` (default) or ``"bicubic"`` (cubic convolution, -0.75).
        antialias: filter when shrinking, so each output pixel averages all the input pixels it covers
            (bilinear and bicubic only).
        crop_to_aspect_ratio: first crop the centre of each image to the aspect ratio of ``size``.
        pad_to_aspect_ratio: first pad each image evenly on its short side to that aspect ratio.
        fill_mode: the padding's mode: only ``"constant"``.
        fill_value: the padding's value.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' dtype (integers rounded), ``size`` along height and width.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.image.resize(np.array([[[0.0], [1.0]]], "float32"), (1, 4))[..., 0].numpy()
        array([[0.  , 0.25, 0.75, 1.  ]], dtype=float32)
    """
    try:
        size = tuple(operator.index(n) for n in size)
    except TypeError:
        size = ()
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"resize: size must be two ints > 0 (height, width), received {size!r}")
    _choice("resize", "interpolation", interpolation, ("nearest", "bilinear", "bicubic"))
    _choice("resize", "fill_mode", fill_mode, ("constant",))
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    x, restore = _batched("resize", images, data_format)
    dtype = x.dtype
    x = _as_float(x)
    (height, width), (target_height, target_width) = x.shape[1:3], size
    if crop_to_aspect_ratio:
        crop_height = max(min(height, int(width * target_height / target_width)), 1)
        crop_width = max(min(width, int(height * target_width / target_height)), 1)
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        x = GetItem((slice(None), slice(top, top + crop_height), slice(left, left + crop_width)))(x)
    elif pad_to_aspect_ratio:
        # NOTE: as Keras, the same amount on both sides (an odd deficit leaves the image a pixel short)
        top = (max(height, int(width * target_height / target_width)) - height) // 2
        left = (max(width, int(height * target_width / target_height)) - width) // 2
        x = Pad(((0, 0), (top, top), (left, left), (0, 0)), fill_value)(x)
    smooth = antialias and interpolation != "nearest"
    matrices = tuple((axis, _constant(interpolation_matrix, n, m, interpolation, smooth, x.dtype))
                     for axis, n, m in ((1, x.shape[1], target_height), (2, x.shape[2], target_width)))
    return restore(_like(Separable(matrices)(x), dtype))


# -- sampling at coordinates -----------------------------------------------------------------
def _sampler(op, interpolation, fill_mode, fill_value, kind=Sample):
    """The ``kind`` op (``Sample`` or ``Warp``) for ``interpolation`` (``"nearest"`` or ``"bilinear"``) and
    ``fill_mode``, both checked."""
    _choice(op, "interpolation", interpolation, tuple(INTERPOLATION_ORDERS))
    _choice(op, "fill_mode", fill_mode, FILL_MODES)
    return kind(INTERPOLATION_ORDERS[interpolation], fill_mode, fill_value)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """The values of ``inputs`` at ``coordinates``, interpolated, as ``keras.ops.image.map_coordinates``.

    Args:
        inputs: an array of any rank d.
        coordinates: d arrays of one shape (or one array whose first axis has d entries): the
            positions, in pixels along each axis of ``inputs``, of the values to return.
        order: 0 (the nearest pixel) or 1 (linear interpolation between the 2**d surrounding pixels).
        fill_mode: what lies outside ``inputs``: ``"constant"`` (``fill_value``), ``"nearest"`` (the
            edge pixel), ``"wrap"`` (a b c d | a b c d), ``"mirror"`` (c d c b | a b c d | c b a b) or
            ``"reflect"`` (d c b a | a b c d | d c b a).
        fill_value: the value outside with ``fill_mode="constant"``.

    Returns:
        A Tensor of the coordinates' shape and the inputs' dtype (integers rounded). It is
        differentiable with respect to ``inputs`` and, for order 1, to ``coordinates``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.array([[0.0, 1.0], [2.0, 3.0]], "float32")
        >>> keras.ops.image.map_coordinates(x, [[0.5, 1.0], [0.5, 2.0]], order=1).numpy()
        array([1.5, 0. ], dtype=float32)
    """
    x = tensor(inputs)
    if isinstance(coordinates, Tensor) or hasattr(coordinates, "ndim"):
        grid = tensor(coordinates)
        coords = [grid[k] for k in range(len(grid))] if grid.ndim >= 1 else []
    else:
        coords = [tensor(c) for c in coordinates]
    if len(coords) != x.ndim:
        raise ValueError(f"map_coordinates: coordinates must hold one array per axis of inputs ({x.ndim}), "
                         f"received {len(coords)} for inputs of shape {x.shape}")
    shape = coords[0].shape
    if any(c.shape != shape for c in coords):
        raise ValueError(f"map_coordinates: the coordinate arrays must share one shape, received "
                         f"{[c.shape for c in coords]}")
    if len(shape) < 1:
        raise ValueError(f"map_coordinates: coordinates must have rank >= 2 ({x.ndim}, points...), received "
                         f"shape {(x.ndim,) + shape}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: order must be 0 or 1, received {order!r}")
    _choice("map_coordinates", "fill_mode", fill_mode, FILL_MODES)
    dtype = x.dtype
    x = _as_float(x)
    points = [Reshape((1, -1))(c if c.dtype == x.dtype else Cast(x.dtype)(c)) for c in coords]
    out = Sample(order, fill_mode, fill_value)(Reshape((1,) + x.shape + (1,))(x), *points)
    return _like(Reshape(shape)(out), dtype)


def pixel_grid(height, width, dtype):
    """(3, height * width): the homogeneous coordinates (x, y, 1) of every pixel, in row-major order."""
    xp = backend.xp()
    xs, ys = xp.tile(xp.arange(width), height), xp.repeat(xp.arange(height), width)
    return xp.stack([xs, ys, xp.ones_like(xs)]).astype(dtype)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Warp images by projective transforms, as ``keras.ops.image.affine_transform``.

    A transform ``[a0, a1, a2, b0, b1, b2, c0, c1]`` takes each output pixel ``(x, y)`` from the input
    point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1`` (the inverse of
    the map from input to output), as Keras's TensorFlow backend computes it; its other backends leave
    out ``c0`` and ``c1``, which Keras's own layers always set to 0.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        transform: ``(8,)`` or ``(batch, 8)``: one transform for all images or one per image.
        interpolation: ``"nearest"`` or ``"bilinear"`` (default).
        fill_mode: what lies outside the images: ``"constant"`` (default, ``fill_value``),
            ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"`` (see :func:`map_coordinates`).
        fill_value: the value outside with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' shape and dtype, differentiable with respect to ``images`` and, with
        bilinear interpolation, to ``transform``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(4, dtype="float32").reshape(1, 4, 1)
        >>> shift = np.array([1, 0, 1, 0, 1, 0, 0, 0], "float32")  # each pixel from the one on its right
        >>> keras.ops.image.affine_transform(x, shift)[..., 0].numpy()
        array([[1., 2., 3., 0.]], dtype=float32)
    """
    warp = _sampler("affine_transform", interpolation, fill_mode, fill_value, Warp)
    x, restore = _batched("affine_transform", images, data_format)
    dtype = x.dtype
    x = _as_float(x)
    t = tensor(transform)
    if t.ndim not in (1, 2) or t.shape[-1] != 8 or (t.ndim == 2 and t.shape[0] not in (1, len(x))):
        raise ValueError(f"affine_transform: transform must have shape (8,) or (batch, 8) with the batch of "
                         f"the images ({len(x)}), received shape {t.shape}")
    if t.dtype != x.dtype:
        t = Cast(x.dtype)(t)
    return restore(_like(warp(x, t if t.ndim == 2 else Reshape((1, 8))(t)), dtype))


# -- cropping and padding --------------------------------------------------------------------
def _margins(op, axis, size, names, values, grow):
    """Rows (or columns) to add or remove before and after along one axis, from exactly two of
    (before, after, target size), each an int >= 0, as Keras's crop_images and pad_images take them."""
    if list(values).count(None) != 1:
        raise ValueError(f"{op}: give exactly two of {', '.join(names)}, received "
                         + ", ".join(f"{n}={v!r}" for n, v in zip(names, values)))
    checked = []
    for name, v in zip(names, values):
        try:
            checked.append(None if v is None else operator.index(v))
        except TypeError:
            checked.append(-1)
        if checked[-1] is not None and checked[-1] < 0:
            raise ValueError(f"{op}: {name} must be an int >= 0, received {v!r}")
    before, after, target = checked
    change = None if target is None else (target - size if grow else size - target)
    before = change - after if before is None else before
    after = change - before if after is None else after
    target = size + (before + after if grow else -before - after) if target is None else target
    for name, v in zip(names, (before, after, target)):
        if v < 0:
            raise ValueError(f"{op}: images of {axis} {size} with "
                             + ", ".join(f"{n}={v!r}" for n, v in zip(names, values) if v is not None)
                             + f" would need {name}={v}, but it must be >= 0")
    return before, after


def _spatial_axes(op, x, data_format):
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expects images of rank 3 (single image) or 4 (batch of images), received "
                         f"shape {x.shape}")
    first = _data_format(op, data_format) == "channels_first"
    return (x.ndim - 2, x.ndim - 1) if first else (x.ndim - 3, x.ndim - 2)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """Crop images, as ``keras.ops.image.crop_images``: along each axis give two of the amount cropped
    before, after, and the size left.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        top_cropping, bottom_cropping, target_height: two of them, ints >= 0.
        left_cropping, right_cropping, target_width: two of them, ints >= 0.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the cropped images.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(9, dtype="float32").reshape(3, 3, 1)
        >>> keras.ops.image.crop_images(x, 0, 0, 1, 1)[..., 0].numpy()
        array([[0., 1.],
               [3., 4.]], dtype=float32)
    """
    x = tensor(images)
    h_axis, w_axis = _spatial_axes("crop_images", x, data_format)
    top, bottom = _margins("crop_images", "height", x.shape[h_axis], ("top_cropping", "bottom_cropping",
                           "target_height"), (top_cropping, bottom_cropping, target_height), grow=False)
    left, right = _margins("crop_images", "width", x.shape[w_axis], ("left_cropping", "right_cropping",
                           "target_width"), (left_cropping, right_cropping, target_width), grow=False)
    index = [slice(None)] * x.ndim
    index[h_axis], index[w_axis] = slice(top, x.shape[h_axis] - bottom), slice(left, x.shape[w_axis] - right)
    return GetItem(tuple(index))(x)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """Pad images with zeros, as ``keras.ops.image.pad_images``: along each axis give two of the amount
    added before, after, and the size reached.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        top_padding, bottom_padding, target_height: two of them, ints >= 0.
        left_padding, right_padding, target_width: two of them, ints >= 0.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the padded images.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.image.pad_images(np.ones((15, 25, 3)), 2, 3, target_height=20, target_width=30).shape
        (20, 30, 3)
    """
    x = tensor(images)
    h_axis, w_axis = _spatial_axes("pad_images", x, data_format)
    pads = [(0, 0)] * x.ndim
    pads[h_axis] = _margins("pad_images", "height", x.shape[h_axis], ("top_padding", "bottom_padding",
                            "target_height"), (top_padding, bottom_padding, target_height), grow=True)
    pads[w_axis] = _margins("pad_images", "width", x.shape[w_axis], ("left_padding", "right_padding",
                            "target_width"), (left_padding, right_padding, target_width), grow=True)
    return Pad(tuple(pads), 0)(x)


# -- blurring and elastic deformation --------------------------------------------------------
def gaussian_matrix(size, kernel_size, sigma, dtype):
    """The (size, size) matrix of a Gaussian filter of ``kernel_size`` taps along one axis, zero-padded
    to keep the size (the extra tap of an even kernel after)."""
    xp = backend.xp()
    taps = xp.arange(kernel_size) - (kernel_size - 1) / 2
    kernel = xp.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= kernel.sum()
    offset = xp.arange(size) - xp.arange(size)[:, None] + (kernel_size - 1) // 2  # tap of input j for output i
    inside = (offset >= 0) & (offset < kernel_size)
    return xp.where(inside, kernel[xp.clip(offset, 0, kernel_size - 1)], 0).astype(dtype)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur images with a Gaussian kernel, as ``keras.ops.image.gaussian_blur`` (zero padding, same size).

    As in Keras, the first entry of ``kernel_size`` and of ``sigma`` applies along the width and the
    second along the height.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        kernel_size: two ints > 0: the kernel's taps.
        sigma: two numbers > 0: the Gaussian's standard deviations, in pixels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' shape and dtype.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.zeros((1, 5, 1), "float32"); x[0, 2] = 1
        >>> keras.ops.image.gaussian_blur(x, (3, 1), (1.0, 1.0))[..., 0].numpy().round(3)
        array([[0.   , 0.274, 0.452, 0.274, 0.   ]], dtype=float32)
    """
    kernel_size = _pair("gaussian_blur", "kernel_size", kernel_size, operator.index)
    sigma = _pair("gaussian_blur", "sigma", sigma, float)
    x, restore = _batched("gaussian_blur", images, data_format)
    dtype = x.dtype
    x = _as_float(x)
    matrices = ((1, _constant(gaussian_matrix, x.shape[1], kernel_size[1], sigma[1], x.dtype)),
                (2, _constant(gaussian_matrix, x.shape[2], kernel_size[0], sigma[0], x.dtype)))
    return restore(_like(Separable(matrices)(x), dtype))


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Deform images elastically, as ``keras.ops.image.elastic_transform``: each pixel is taken from a
    point displaced by Gaussian noise (standard deviation ``sigma``), blurred by a Gaussian of ``sigma``
    pixels and scaled by ``alpha``, drawn anew for every image.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        alpha: the displacements' scale.
        sigma: the smoothing Gaussian's standard deviation in pixels (> 0).
        interpolation: ``"nearest"`` or ``"bilinear"`` (default).
        fill_mode: what lies outside the images: ``"reflect"`` (default), ``"constant"``
            (``fill_value``), ``"nearest"``, ``"wrap"`` or ``"mirror"`` (see :func:`map_coordinates`).
        fill_value: the value outside with ``fill_mode="constant"``.
        seed: an int for repeatable displacements; ``None`` draws from ``striate.backend.rng()``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of the images' shape and dtype, differentiable with respect to ``images``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.image.elastic_transform(np.ones((2, 28, 28, 1), "float32"), seed=1).shape
        (2, 28, 28, 1)
    """
    sample = _sampler("elastic_transform", interpolation, fill_mode, fill_value)
    sigma, alpha = _positive("elastic_transform", "sigma", sigma), float(alpha)
    x, restore = _batched("elastic_transform", images, data_format)
    dtype = x.dtype
    x = _as_float(x)
    xp, (batch, height, width) = backend.xp(), x.shape[:3]
    rng = backend.rng() if seed is None else xp.random.default_rng(seed)
    noise = rng.standard_normal((2, batch, height, width), dtype=x.dtype) * sigma  # dx, then dy
    taps = int(6 * sigma) | 1
    noise = along(xp, _constant(gaussian_matrix, height, taps, sigma, x.dtype), noise, 2)
    noise = along(xp, _constant(gaussian_matrix, width, taps, sigma, x.dtype), noise, 3)
    xs = xp.arange(width, dtype=x.dtype) + alpha * noise[0]
    ys = xp.arange(height, dtype=x.dtype)[:, None] + alpha * noise[1]
    out = sample(x, ys.reshape(batch, -1), xs.reshape(batch, -1))
    return restore(_like(Reshape(x.shape)(out), dtype))
