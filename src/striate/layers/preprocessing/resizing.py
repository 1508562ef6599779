"""Resizing and CenterCrop: images brought to a fixed size."""
from striate.layers.preprocessing.base import ImageLayer, check_size
from striate.ops import image as image_ops

__all__ = ["Resizing", "CenterCrop"]


class _FixedSize(ImageLayer):
    """An image layer whose output images are ``(height, width)``."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = check_size(type(self).__name__, height, width)

    def compute_output_shape(self, input_shape):
        return self.sized_shape(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class Resizing(_FixedSize):
    """Resize images to ``(height, width)`` (``ops.image.resize``).

    Args:
        height, width: the output size.
        interpolation: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
        crop_to_aspect_ratio: resize the largest central window with the target's aspect ratio
            (no distortion) instead of the whole image.
        pad_to_aspect_ratio: pad the short side evenly (with ``fill_value``) to the target's aspect
            ratio first.
        fill_mode: with ``pad_to_aspect_ratio``: ``"constant"``, the only mode.
        fill_value: the padding value.
        antialias: filter when downsampling.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.layers.Resizing(14, 14)(np.zeros((2, 28, 28, 1), "float32")).shape
        (2, 14, 14, 1)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        self.interpolation, self.antialias = interpolation, bool(antialias)
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value = fill_mode, fill_value

    def transform(self, images, training):
        return image_ops.resize(images, (self.height, self.width), interpolation=self.interpolation,
                                antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                                pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                                fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio, "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode, "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(_FixedSize):
    """Crop the central ``(height, width)`` window of each image, in training and outside it.

    An image smaller than the target on either axis is instead resized to it, after cropping the
    largest central window with the target's aspect ratio (Keras's ``smart_resize``).

    Args:
        height, width: the output size.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> keras.layers.CenterCrop(2, 2)(x)[0, :, :, 0].numpy()
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def transform(self, images, training):
        in_height, in_width = self.image_size(images.shape)
        if in_height < self.height or in_width < self.width:
            return image_ops.resize(images, (self.height, self.width), crop_to_aspect_ratio=True,
                                    data_format=self.data_format)
        top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
        window = [slice(None)] * 4
        window[self._hw[0]] = slice(top, top + self.height)
        window[self._hw[1]] = slice(left, left + self.width)
        return images[tuple(window)]
