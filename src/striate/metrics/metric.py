"""Metric (stateful, on raw arrays), Mean (weighted running mean) and MeanMetricWrapper."""
from striate import backend
from striate.losses.loss import squeeze_or_expand_to_same_rank
from striate.utils.naming import snake_case
from striate.utils.wrapping import FunctionWrapper
from striate.metrics.functions import FUNCTIONS
from striate.ops._base import data


class Metric:
    """Base class of metrics: state updated batch by batch, a result read at any time.

    Metrics work on raw arrays of the backend (Tensors are read through ``.data``) and record
    nothing for autodiff. Subclasses implement ``update_state``, ``result`` and ``reset_state``
    (which ``__init__`` calls to create the state).

    Args:
        name: the metric's name (default: the class name in snake_case).
        dtype: the dtype the state accumulates in (default ``floatx()``, as Keras).

    Example:
        >>> m = SomeMetric()
        >>> for y, p in batches:
        ...     m.update_state(y, p)
        >>> m.result()
        0.93
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or backend.floatx()
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        """Update the state with one batch and return the result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The weighted running mean of the values given to ``update_state``.

    Values of shape ``(N, ...)`` are averaged per sample first, and each sample counts with its
    weight (default 1); a scalar value counts with weight ``sample_weight`` (e.g. a batch's mean
    loss weighted by the batch size).

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, values, sample_weight=None):
        """Add ``values`` (a scalar or one per sample), optionally weighted."""
        if isinstance(values, float) and isinstance(sample_weight, (int, float)):
            # one number with one weight (the trainer's batch loss, weighted by the batch size): the
            # same float32 product and sums as below, without shaping arrays
            xp = backend.xp()
            weight = xp.asarray(sample_weight, dtype=self.dtype)
            self.total = self.total + xp.asarray(values, dtype=self.dtype) * weight
            self.count = self.count + weight
            return
        values = data(values).astype(self.dtype, copy=False)
        if sample_weight is None:
            count = values.shape[0] if values.ndim else 1
        else:
            weight = data(sample_weight).astype(self.dtype, copy=False)
            values, weight = squeeze_or_expand_to_same_rank(values, weight)
            if values.ndim > weight.ndim:
                values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
            weight = backend.xp().broadcast_to(weight, values.shape)
            values = values * weight
            count = weight.mean(axis=tuple(range(1, weight.ndim))).sum() if weight.ndim > 1 else weight.sum()
        if values.ndim > 1:
            values = values.mean(axis=tuple(range(1, values.ndim)))
        self.total = self.total + values.sum(dtype=self.dtype)
        self.count = self.count + count

    def result(self):
        return float(self.total / self.count) if self.count else 0.0

    def reset_state(self):
        self.total = backend.xp().zeros((), self.dtype)
        self.count = backend.xp().zeros((), self.dtype)


class MeanMetricWrapper(FunctionWrapper, Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    ``fn`` may return an array or a Tensor (a loss function works).

    Args:
        fn: the per-sample function.
        name: defaults to ``fn``'s name.
        dtype: see :class:`Metric`.
        **kwargs: passed on to ``fn``.

    Example:
        >>> m = MeanMetricWrapper(striate.losses.mean_squared_error, name="mse")
        >>> m.update_state(y, p)
    """

    FUNCTIONS, KIND = FUNCTIONS, "metric function"

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn, self.fn_kwargs = fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(data(self.fn(data(y_true), data(y_pred), **self.fn_kwargs)), sample_weight)
