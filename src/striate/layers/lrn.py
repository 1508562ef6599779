"""LocalResponseNormalization: AlexNet's normalization across adjacent channels (no Keras counterpart)."""
from striate import ops
from striate.layers.layer import Layer

__all__ = ["LocalResponseNormalization"]


class LocalResponseNormalization(Layer):
    """Divide each activation by the energy of its neighbouring channels at the same position, as
    Krizhevsky et al. (2012, section 3.3) do after AlexNet's first two convolutions:

    ``b[c] = a[c] / (k + alpha * sum(a[c'] ** 2 for the size channels c' around c)) ** beta``

    The defaults are the paper's: ``k=2, size=5, alpha=1e-4, beta=0.75``. ``alpha`` scales the sum
    itself, as in the paper and TensorFlow; PyTorch's ``nn.LocalResponseNorm`` and Caffe divide their
    alpha by ``size`` (the paper's setting is ``nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2)``
    there). The layer has no weights and acts the same in training and inference.

    Args:
        size: how many adjacent channels each window holds (the paper's n): ``size // 2`` before
            the channel and ``(size - 1) // 2`` after it, cut at the first and last channel.
        alpha: the scale of the sum of squares.
        beta: the exponent.
        k: the constant added to the scaled sum.
        axis: the channel axis (default -1, channels last; 1 for channels first).

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> lrn = keras.layers.LocalResponseNormalization()
        >>> x = np.full((1, 1, 1, 3), 10.0, "float32")   # each window holds all 3 channels
        >>> lrn(x).numpy().round(4)                      # 10 / (2 + 1e-4 * 300) ** 0.75
        array([[[[5.88, 5.88, 5.88]]]], dtype=float32)
        >>> lrn.get_config()["size"], lrn.get_config()["k"]
        (5, 2.0)
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"LocalResponseNormalization: size must be a positive int, received {size!r}")
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"LocalResponseNormalization: {name} must be a number, received {value!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"LocalResponseNormalization: axis must be an int, received {axis!r}")
        self.size, self.alpha, self.beta, self.k, self.axis = size, float(alpha), float(beta), float(k), axis

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"LocalResponseNormalization '{self.name}': axis {self.axis} is out of range for "
                             f"inputs of shape {tuple(input_shape)}")
        self.built = True

    def call(self, inputs):
        return ops.local_response_normalization(inputs, self.size, self.alpha, self.beta, self.k, self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k,
                "axis": self.axis}
