"""Normalization: inputs shifted and scaled to zero mean and unit variance, by statistics of a dataset."""
from striate import backend
from striate.autodiff import Tensor
from striate.layers.layer import Layer
from striate.ops.nn import EPSILON
from striate.utils.dataset import PyDataset

__all__ = ["Normalization"]


def _first_of(batch):
    """The inputs of a batch: ``x`` of an ``(x, y)`` or ``(x, y, sample_weight)`` tuple."""
    return batch[0] if isinstance(batch, tuple) else batch


class Normalization(Layer):
    """Compute ``(inputs - mean) / sqrt(variance)``, with ``mean`` and ``variance`` given or learned by
    :meth:`adapt` from data (before training, not by it).

    Args:
        axis: the axis or axes that keep their own statistics (default -1: one mean and variance per
            feature of the last axis); ``None`` for one mean and variance over everything.
        mean, variance: fixed statistics (numbers, or arrays broadcast against the kept axes) instead
            of :meth:`adapt`; give both or neither.
        invert: compute ``mean + inputs * sqrt(variance)`` instead, undoing the normalization.

    Weights (without ``mean``/``variance``), in Keras's order: ``mean``, ``variance`` and ``count``
    (kept at 0, as Keras keeps it), none of them trainable. The square root of the variance is
    taken at least ``1e-7``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> layer = keras.layers.Normalization(axis=None)
        >>> layer.adapt(np.array([1., 2., 3., 4., 5.], "float32"))
        >>> layer(np.array([1., 2., 3.], "float32")).numpy()
        array([-1.4142, -0.7071,  0.    ], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise ValueError(f"Normalization: axis must be an int, a tuple of ints or None, received {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: give both mean and variance or neither, received mean={mean!r} and "
                             f"variance={variance!r}")
        if mean is not None:
            shape, variance_shape = backend.asarray(mean).shape, backend.asarray(variance).shape
            if shape != variance_shape:
                raise ValueError(f"Normalization: mean and variance must have the same shape, received shapes "
                                 f"{shape} and {variance_shape}")
            if len(shape) > len(axis):
                raise ValueError(f"Normalization: mean has {len(shape)} axes, more than the {len(axis)} kept axes "
                                 f"of axis={axis}")
        self.axis, self.invert = axis, bool(invert)
        self.input_mean, self.input_variance = mean, variance

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} is out of range for inputs of shape "
                             f"{tuple(input_shape)}")
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [a for a in self._keep if input_shape[a] is None]
        if unknown:
            raise ValueError(f"Normalization '{self.name}': the kept axes {self._keep} of the input shape "
                             f"{tuple(input_shape)} must be known, axis {unknown[0]} is not")
        self._build_shape = tuple(input_shape)
        self._reduce = tuple(a for a in range(ndim) if a not in self._keep)
        self._broadcast = tuple(input_shape[a] if a in self._keep else 1 for a in range(ndim))
        shape = tuple(input_shape[a] for a in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape, initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros", trainable=False)
        else:  # given statistics fill the kept axes from the last one
            fixed = []
            for value in (self.input_mean, self.input_variance):
                value = backend.asarray(value, self.dtype)
                expanded = [1] * ndim
                for i in range(1, value.ndim + 1):
                    expanded[self._keep[-i]] = value.shape[-i]
                fixed.append(backend.xp().broadcast_to(value.reshape(expanded), self._broadcast))
            self._fixed = tuple(fixed)
        self.built = True  # build() may be called directly (Keras's way), not only on the first call

    def adapt(self, data):
        """Set the mean and variance to those of ``data`` over the axes not kept.

        Args:
            data: an array or Tensor (all at once), or a PyDataset, generator, list or other iterable
                of batches (arrays, or ``(x, y)`` tuples whose ``x`` is used), combined batch by batch.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given mean and variance: it cannot adapt()")
        xp = backend.xp()
        if isinstance(data, Tensor):
            data = data.data
        if hasattr(data, "shape") and hasattr(data, "dtype"):
            batches = [backend.asarray(data)]  # all at once, in its own dtype, as Keras does
        else:
            source = (data[i] for i in range(len(data))) if isinstance(data, PyDataset) else data
            batches = (backend.asarray(_first_of(b), self.dtype) for b in source)
        mean = variance = count = 0
        for batch in batches:
            if not self.built:
                self.build(batch.shape)
            if len(batch.shape) != len(self._build_shape) or any(
                    batch.shape[a] != self._build_shape[a] for a in self._keep):
                raise ValueError(f"Normalization '{self.name}' was built for inputs of shape {self._build_shape}, "
                                 f"adapt() received a batch of shape {tuple(batch.shape)}")
            n = 1
            for a in self._reduce:
                n *= batch.shape[a]
            count += n
            weight = n / count  # the running mean and variance, merged with this batch's (Chan et al.)
            batch_mean, batch_variance = xp.mean(batch, axis=self._reduce), xp.var(batch, axis=self._reduce)
            new_mean = mean * (1 - weight) + batch_mean * weight
            variance = (variance + (mean - new_mean) ** 2) * (1 - weight) + \
                (batch_variance + (batch_mean - new_mean) ** 2) * weight
            mean = new_mean
        if not count:
            raise ValueError(f"Normalization '{self.name}': adapt() received no data")
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(variance)

    def call(self, inputs):
        xp = backend.xp()
        if self.input_mean is None:
            mean = self.adapt_mean.data.reshape(self._broadcast)
            variance = self.adapt_variance.data.reshape(self._broadcast)
        else:
            mean, variance = self._fixed
        std = xp.maximum(xp.sqrt(variance), xp.asarray(EPSILON, variance.dtype))
        return mean + inputs * std if self.invert else (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        listed = [None if v is None else backend.to_numpy(backend.asarray(v)).tolist()
                  for v in (self.input_mean, self.input_variance)]
        return {**super().get_config(), "axis": self.axis, "invert": self.invert, "mean": listed[0],
                "variance": listed[1]}
