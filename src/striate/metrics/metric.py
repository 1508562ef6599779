"""Metric (stateful, on raw arrays), Mean (weighted running mean) and MeanMetricWrapper."""
from striate import backend, initializers
from striate.autodiff import Variable
from striate.losses.loss import squeeze_or_expand_to_same_rank
from striate.utils.naming import snake_case
from striate.utils.wrapping import FunctionWrapper
from striate.metrics.functions import FUNCTIONS
from striate.ops._base import data


class Metric:
    """Base class of metrics: state updated batch by batch, a result read at any time.

    Subclasses implement ``update_state``, ``result`` and, unless their state is made of variables,
    ``reset_state``. As in Keras 3, the state is a set of variables made in ``__init__`` with
    :meth:`add_variable` (updated with ``assign``/``assign_add``; the default ``reset_state`` sets them
    to zero). striate's built-in metrics keep raw arrays of the backend instead (Tensors are read
    through ``.data``; nothing is recorded for autodiff) and create them in ``reset_state``.

    Args:
        name: the metric's name (default: the class name in snake_case).
        dtype: the dtype the state accumulates in (default ``floatx()``, as Keras).

    Example:
        >>> import striate as keras
        >>> class Total(keras.metrics.Metric):
        ...     def __init__(self, name="total", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.total.assign_add(keras.ops.sum(keras.ops.abs(keras.ops.subtract(y_true, y_pred))))
        ...     def result(self):
        ...         return self.total.value
        >>> m = Total()
        >>> m.update_state([1.0, 2.0], [1.5, 2.0])
        >>> float(m.result())
        0.5
        >>> m.reset_state()
        >>> float(m.result())
        0.0
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or backend.floatx()
        self._variables = []

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Create a state variable of this metric (not trainable), as Keras 3's ``Metric.add_variable``.

        Args:
            shape: its shape, ``()`` for a scalar.
            initializer: a name (``"zeros"``) or an initializer.
            dtype: defaults to the metric's dtype.
            aggregation: how replicas would combine it (``"sum"``, ``"mean"``, ``"only_first_replica"``,
                ``"none"``); kept for Keras's signature, striate runs on one device.
            name: its name.

        Returns:
            The :class:`~striate.autodiff.Variable`.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before add_variable()")
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"{type(self).__name__}.add_variable: aggregation must be one of {list(_AGGREGATIONS)}, "
                             f"received {aggregation!r}")
        shape = () if shape is None else tuple(int(n) for n in shape)
        variable = Variable(initializers.get(initializer), shape=shape, dtype=dtype or self.dtype,
                            trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older name for :meth:`add_variable` (``initializer`` defaults to zeros)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    @property
    def variables(self):
        """The variables made with :meth:`add_variable`, in order."""
        return list(self.__dict__.get("_variables", ()))

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        """Set every variable to zero (a metric keeping other state overrides this)."""
        for v in self.variables:
            v.assign(backend.xp().zeros(v.shape, v.dtype))

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


_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


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
        self.reset_state()

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
        >>> import striate as keras
        >>> m = keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="mse")
        >>> m.update_state([[1.0, 0.0], [0.0, 0.0]], [[0.5, 0.5], [0.0, 1.0]])
        >>> m.result()
        0.375
    """

    FUNCTIONS, KIND = FUNCTIONS, "metric function"

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn, self.fn_kwargs = fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(data(self.fn(data(y_true), data(y_pred), **self.fn_kwargs)), sample_weight)
