"""RandomTranslation: each image shifted by its own random offsets."""
from striate.layers.preprocessing.base import AffineLayer, affine_matrices, factor_range, uniform

__all__ = ["RandomTranslation"]


class RandomTranslation(AffineLayer):
    """In training, shift each image by a random fraction of its height and width; otherwise pass it
    through.

    Args:
        height_factor: a number in [-1, 1] or a pair: the vertical shift is drawn from
            ``[lower * height, upper * height]``, where ``0.2`` means ``(-0.2, 0.2)``; positive moves
            the image down.
        width_factor: the same for the horizontal shift (positive moves it right).
        fill_mode, interpolation, seed, fill_value, data_format: as :class:`RandomRotation`.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> down_one_row = keras.layers.RandomTranslation((1 / 3, 1 / 3), 0, fill_mode="constant")
        >>> down_one_row(x, training=True)[0, :, :, 0].numpy().round()
        array([[0., 0., 0.],
               [0., 1., 2.],
               [3., 4., 5.]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._ranges = (factor_range("RandomTranslation", "height_factor", height_factor, -1, 1, clamp=False),
                        factor_range("RandomTranslation", "width_factor", width_factor, -1, 1, clamp=False))

    def transforms(self, rng, batch, height, width):
        fraction_y, fraction_x = uniform(rng, self._ranges, batch)
        return affine_matrices(batch, a2=-fraction_x * width, b2=-fraction_y * height)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
