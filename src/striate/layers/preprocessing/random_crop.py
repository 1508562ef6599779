"""RandomCrop: a random window of each image in training, the central one otherwise."""
from striate import backend
from striate.layers import seeding
from striate.layers.preprocessing.base import RandomImageLayer, check_size, uniform
from striate.ops import image as image_ops

__all__ = ["RandomCrop"]


class RandomCrop(RandomImageLayer):
    """Crop each image to ``(height, width)``: in training at a random place of its own, otherwise
    (evaluate, predict) the central window with the target's aspect ratio, resized to the target.

    Images not larger than the target on both axes are treated as outside training (the central
    window, resized) in training too. Keras 3 draws one place for the whole batch and, outside
    training, returns images of the input's size, unlike its own output shape; striate draws a
    place per image and always returns ``(height, width)`` images.

    Args:
        height, width: the size of the crops.
        seed: an int for repeatable crops; ``None`` uses the backend's generator.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> crop = keras.layers.RandomCrop(2, 2, seed=0)
        >>> crop(x, training=True)[0, :, :, 0].numpy()
        array([[ 9., 10.],
               [13., 14.]], dtype=float32)
        >>> crop(x).shape
        (1, 2, 2, 1)
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = check_size("RandomCrop", height, width)

    def transform(self, images, training):
        in_height, in_width = self.image_size(images.shape)
        if training and in_height > self.height and in_width > self.width:
            return self.augment(images, seeding.generator(self))
        if (in_height, in_width) == (self.height, self.width):
            return images
        return image_ops.resize(images, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def augment(self, images, rng):
        xp = backend.xp()
        batch = images.shape[0]
        in_height, in_width = self.image_size(images.shape)
        top, left = uniform(rng, [(0, in_height - self.height + 1), (0, in_width - self.width + 1)], batch)
        # whole pixels, as Keras's: a float32 draw rounded up to the upper end is kept inside
        top = xp.minimum(top.astype("int64"), in_height - self.height)
        left = xp.minimum(left.astype("int64"), in_width - self.width)
        rows = (top[:, None] + xp.arange(self.height))[:, :, None]  # (batch, height, 1)
        cols = (left[:, None] + xp.arange(self.width))[:, None, :]  # (batch, 1, width)
        if self.data_format == "channels_last":
            return images[xp.arange(batch)[:, None, None], rows, cols]
        channels = xp.arange(images.shape[1])[None, :, None, None]
        return images[xp.arange(batch)[:, None, None, None], channels, rows[:, None], cols[:, None]]

    def compute_output_shape(self, input_shape):
        return self.sized_shape(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
