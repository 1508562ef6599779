"""Rescaling: ``inputs * scale + offset``."""
from striate import backend
from striate.layers.layer import Layer

__all__ = ["Rescaling"]


class Rescaling(Layer):
    """Multiply inputs by ``scale`` and add ``offset``, in training and outside it.

    Integer inputs (``uint8`` images) become floats. ``scale=1/255`` maps ``[0, 255]`` to ``[0, 1]``;
    ``scale=1/127.5, offset=-1`` maps it to ``[-1, 1]``.

    Args:
        scale: a number, or one per channel (a list, broadcast against the last axis).
        offset: a number or one per channel; default 0.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.layers.Rescaling(1 / 127.5, offset=-1)(np.array([[0, 255]], "uint8")).numpy()
        array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        scale, offset = (v.tolist() if hasattr(v, "tolist") else v for v in (scale, offset))  # NumPy values
        for arg, value in (("scale", scale), ("offset", offset)):
            values = value if isinstance(value, (tuple, list)) else [value]
            if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                raise ValueError(f"Rescaling: {arg} must be a number or a list of numbers, received {value!r}")
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        return inputs * backend.asarray(self.scale, self.dtype) + backend.asarray(self.offset, self.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
