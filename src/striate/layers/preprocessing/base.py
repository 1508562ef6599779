"""What the image preprocessing layers share (Keras's BaseImagePreprocessingLayer).

- ``ImageLayer``: a batch ``(batch, height, width, channels)`` or one image ``(height, width,
  channels)`` (``channels_first``: channels before height), the batch axis added and removed around
  ``transform``.
- ``RandomImageLayer``: acts only in training, drawing each image's own parameters from the layer's
  generator (``striate.layers.seeding``); outside training it returns its input.
- ``AffineLayer``: the geometric ones (rotation, zoom, translation, shear). Each draws per-image
  parameters, turns them into one ``(batch, 8)`` projective transform per image, and hands the batch
  to ``ops.image.affine_transform``; a subclass only writes ``transforms``.
"""
from striate import backend, ops
from striate.layers import seeding
from striate.layers.conv import data_format_of
from striate.layers.layer import Layer
from striate.ops import image as image_ops

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def factor_range(layer, arg, factor, low, high, open_low=False, clamp=True):
    """``factor`` as ``(lower, upper)``, as Keras's image layers read it.

    A pair is sorted; each entry must lie in ``[low, high]`` (``(low, high]`` with ``open_low``). A
    number ``f`` in that interval gives ``(-|f|, |f|)``, the lower end raised to ``low`` when ``clamp``
    (Keras's base factor: ``RandomContrast(0.2)`` draws from ``(0, 0.2)``).
    """
    below = (lambda v: v <= low) if open_low else (lambda v: v < low)
    interval = f"{'(' if open_low else '['}{low}, {high}]"
    pair = isinstance(factor, (tuple, list))
    values = tuple(factor) if pair else (factor,)
    if (pair and len(values) != 2) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v in values) or any(below(v) or v > high for v in values):
        raise ValueError(f"{layer}: {arg} must be a number or a pair of numbers in {interval}, received {factor!r}")
    if pair:
        return tuple(sorted(values))
    f = abs(factor)
    return (max(-f, low) if clamp else -f), f


def check_fill(layer, fill_mode, interpolation, fill_modes=FILL_MODES):
    """``fill_mode`` and ``interpolation`` checked against what the layer supports."""
    if fill_mode not in fill_modes:
        raise ValueError(f"{layer}: fill_mode must be one of {fill_modes}, received {fill_mode!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{layer}: interpolation must be one of {INTERPOLATIONS}, received {interpolation!r}")


def check_size(layer, height, width):
    """``height`` and ``width`` checked: positive ints; the error names ``layer`` (a class name)."""
    for arg, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{layer}: {arg} must be a positive int, received {value!r}")
    return height, width


def uniform(rng, ranges, batch):
    """For each ``(lower, upper)`` of ``ranges``, ``batch`` float32 draws from ``[lower, upper)``: all
    from one call of ``rng`` (CuPy's generator has no bounds: the draws are scaled here)."""
    draws = rng.random((len(ranges), batch), dtype="float32")
    return [lower + (upper - lower) * row for (lower, upper), row in zip(ranges, draws)]


def affine_matrices(batch, a0=1.0, a1=0.0, a2=0.0, b0=0.0, b1=1.0, b2=0.0):
    """Keras's ``(batch, 8)`` transforms ``[a0, a1, a2, b0, b1, b2, 0, 0]``: output pixel ``(x, y)``
    reads input ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``; each entry a number or a ``(batch,)`` array."""
    out = backend.xp().zeros((batch, 8), dtype="float32")
    for column, value in enumerate((a0, a1, a2, b0, b1, b2)):
        out[:, column] = value
    return out


class ImageLayer(Layer):
    """Base of the image preprocessing layers: one image or a batch, either data format.

    Subclasses write ``transform(images, training)`` on a batch (a 4-D Tensor).
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of(type(self).__name__, data_format)
        self._hw = (2, 3) if self.data_format == "channels_first" else (1, 2)  # the height and width axes

    def call(self, inputs, training=False):
        if inputs.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images of rank 3 (one image) or 4 "
                             f"(a batch), received shape {tuple(inputs.shape)}")
        if inputs.ndim == 3:
            return ops.squeeze(self.transform(ops.expand_dims(inputs, 0), training), 0)
        return self.transform(inputs, training)

    def transform(self, images, training):
        raise NotImplementedError

    def image_size(self, shape):
        """``(height, width)`` of a batch of this shape."""
        return shape[self._hw[0]], shape[self._hw[1]]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def sized_shape(self, input_shape, height, width):
        """``input_shape`` (of a batch or of one image) with images of ``(height, width)``."""
        shape = list(input_shape)
        shape[self._hw[0] - 4], shape[self._hw[1] - 4] = height, width  # counted from the end: rank 3 or 4
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RandomImageLayer(ImageLayer):
    """Base of the random augmentation layers: in training, ``augment(images, rng)`` with the layer's
    generator for this call; otherwise the identity.

    Args:
        seed: an int for repeatable draws (each call still draws new ones); ``None`` draws from the
            backend's generator (``striate.utils.set_random_seed``).
    """

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seeding.check_seed(type(self).__name__, seed)

    def call(self, inputs, training=True):
        # Keras's default: a direct call (``augmentation(images)``, to look at the results) augments;
        # predict and evaluate pass training=False, fit training=True
        return super().call(inputs, training)

    def transform(self, images, training):
        if not training:
            return images
        return self.augment(images, seeding.generator(self))

    def augment(self, images, rng):
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class AffineLayer(RandomImageLayer):
    """Base of the random geometric layers: ``transforms`` draws one projective transform per image
    (a ``(batch, 8)`` array, see :func:`affine_matrices`), ``ops.image.affine_transform`` applies them.

    Args:
        fill_mode: how points outside the input are filled: ``"reflect"``, ``"wrap"``, ``"constant"``
            or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: the value outside the input with ``fill_mode="constant"``.
        seed, data_format: as :class:`RandomImageLayer` and :class:`ImageLayer`.
    """

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        check_fill(type(self).__name__, fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def augment(self, images, rng):
        height, width = self.image_size(images.shape)
        return image_ops.affine_transform(images, self.transforms(rng, images.shape[0], height, width),
                                          interpolation=self.interpolation, fill_mode=self.fill_mode,
                                          fill_value=self.fill_value, data_format=self.data_format)

    def transforms(self, rng, batch, height, width):
        """One ``(batch, 8)`` transform per image, from draws of ``rng``."""
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}
