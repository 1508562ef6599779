"""RandomZoom: each image scaled about its centre by its own random factors."""
from striate.layers.preprocessing.base import AffineLayer, affine_matrices, factor_range, uniform

__all__ = ["RandomZoom"]


class RandomZoom(AffineLayer):
    """In training, zoom each image in or out about its centre by a random amount; otherwise pass it
    through.

    Args:
        height_factor: a number in (-1, 1] or a pair: the vertical zoom is drawn from
            ``[1 + lower, 1 + upper]`` where ``0.2`` means ``(-0.2, 0.2)``. Positive values zoom out
            (the image shrinks), negative ones zoom in.
        width_factor: the same for the horizontal zoom; ``None`` (default) zooms both axes by the
            vertical factor, keeping the aspect ratio.
        fill_mode, interpolation, seed, fill_value, data_format: as :class:`RandomRotation`.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> zoom_in = keras.layers.RandomZoom((-0.5, -0.5), interpolation="nearest")
        >>> zoom_in(x, training=True)[0, :, :, 0].numpy()
        array([[ 5.,  5.,  6.,  6.],
               [ 5.,  5.,  6.,  6.],
               [ 9.,  9., 10., 10.],
               [ 9.,  9., 10., 10.]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = factor_range("RandomZoom", "height_factor", height_factor, -1, 1, open_low=True,
                                          clamp=False)
        self._width_range = None if width_factor is None else \
            factor_range("RandomZoom", "width_factor", width_factor, -1, 1, open_low=True, clamp=False)

    def transforms(self, rng, batch, height, width):
        ranges = [self._height_range] if self._width_range is None else [self._height_range, self._width_range]
        zooms = [1 + fraction for fraction in uniform(rng, ranges, batch)]
        zoom_y, zoom_x = zooms[0], zooms[-1]
        return affine_matrices(batch, zoom_x, 0, (width - 1) / 2 * (1 - zoom_x), 0, zoom_y,
                               (height - 1) / 2 * (1 - zoom_y))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
