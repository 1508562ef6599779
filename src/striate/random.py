"""Random tensors, as ``keras.random``: normal, uniform, truncated_normal, randint, dropout, shuffle,
categorical, gamma, binomial, beta, and the SeedGenerator that makes draws repeatable.

Every function takes ``seed``:

- ``None``: draw from striate's global generator (``striate.backend.rng()``, seeded by
  ``striate.utils.set_random_seed`` and saved and restored by ``BackupAndRestore``);
- an int: the same numbers at every call (Keras's rule: an int seed is stateless);
- a :class:`SeedGenerator`: the next numbers of its own stream; it advances at every call.

Example:
    >>> import striate as keras
    >>> a = keras.random.uniform((2,), seed=7)
    >>> bool(keras.ops.all(a == keras.random.uniform((2,), seed=7)))
    True
"""
from striate import backend
from striate.autodiff import Tensor, Variable
from striate.ops._base import tensor

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "dropout", "shuffle",
           "categorical", "gamma", "binomial", "beta"]


class SeedGenerator:
    """A stream of seeds: each draw given it gets new numbers, and the stream repeats from the same seed.

    Its state is ``[seed, count]`` (a non-trainable Variable, as in Keras): a draw uses the state and
    counts on, so saving ``state`` and assigning it back later resumes the stream exactly.

    Args:
        seed: an int; ``None`` draws one from striate's global generator.
        name: an optional name.

    Example:
        >>> import striate as keras
        >>> gen = keras.random.SeedGenerator(42)
        >>> a, b = keras.random.normal((2,), seed=gen), keras.random.normal((2,), seed=gen)
        >>> bool(keras.ops.all(a == b))
        False
        >>> gen.state.numpy()
        array([42,  2])
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"SeedGenerator: unexpected arguments {sorted(kwargs)}")
        if seed is None:
            seed = int(backend.rng().integers(1, 10 ** 9))
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"SeedGenerator: seed must be a non-negative int or None, received {seed!r}")
        self._initial_seed = seed
        self.name = name or "seed_generator"
        self.state = Variable([seed, 0], dtype="int64", trainable=False, name=f"{self.name}_state")

    def next(self, ordered=True):
        """Return the state to draw with (``[seed, count]``, as a Tensor) and count on.

        Args:
            ordered: accepted for Keras; draws are always in order.

        Returns:
            A Tensor of two int64s.
        """
        current = Tensor._make(self.state.data.copy(), None)
        self.state.data[1] += 1
        return current

    def get_config(self):
        """``{"seed": the seed it was made with}``."""
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _seed(seed, op):
    """What the array module's ``default_rng`` takes for ``seed`` (None: the global generator)."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        return [int(v) for v in backend.to_numpy(seed.next().data)]
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{op}: seed must be an int, a SeedGenerator or None, received {type(seed).__name__}")
    return seed


def _generator(seed, op):
    """The generator a draw uses: the global one, or a fresh one from the seed (see the module's doc)."""
    value = _seed(seed, op)
    return backend.rng() if value is None else backend.xp().random.default_rng(value)


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)


def _float_dtype(op, dtype):
    dtype = dtype or backend.floatx()
    if not backend.is_float(dtype):
        raise ValueError(f"{op}: dtype must be a float dtype, received {dtype!r}"
                         + ("; for integers use keras.random.randint" if op == "uniform" else ""))
    return dtype


def _draw_dtype(dtype):
    """The dtype a generator draws in for ``dtype``: float32 or float64 (half precision is cast after)."""
    return "float64" if backend.xp().dtype(dtype).itemsize > 4 else "float32"


def _made(a, dtype):
    return Tensor._make(a.astype(dtype, copy=False), None)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from the normal distribution.

    Args:
        shape: the output's shape.
        mean: the distribution's mean.
        stddev: its standard deviation.
        dtype: a float dtype; defaults to ``floatx()``.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.random.normal((2, 3), seed=1).shape
        (2, 3)
    """
    dtype = _float_dtype("normal", dtype)
    z = _generator(seed, "normal").standard_normal(_shape(shape), dtype=_draw_dtype(dtype))
    return _made(z * stddev + mean, dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from the uniform distribution on ``[minval, maxval)``.

    Args:
        shape: the output's shape.
        minval: the lower bound, included.
        maxval: the upper bound, excluded.
        dtype: a float dtype; defaults to ``floatx()`` (integers: :func:`randint`).
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> x = keras.random.uniform((1000,), minval=-1.0, maxval=1.0, seed=0)
        >>> bool(keras.ops.all((x >= -1.0) & (x < 1.0)))
        True
    """
    dtype = _float_dtype("uniform", dtype)
    u = _generator(seed, "uniform").random(_shape(shape), dtype=_draw_dtype(dtype))
    return _made(u * (maxval - minval) + minval, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from the normal distribution, those more than two standard deviations from the mean drawn
    again (Keras's truncation).

    Args:
        shape: the output's shape.
        mean: the mean before truncation.
        stddev: the standard deviation before truncation.
        dtype: a float dtype; defaults to ``floatx()``.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient), every value within ``2 * stddev`` of ``mean``.

    Example:
        >>> import striate as keras
        >>> x = keras.random.truncated_normal((1000,), seed=0)
        >>> bool(keras.ops.all(keras.ops.abs(x) <= 2.0))
        True
    """
    dtype = _float_dtype("truncated_normal", dtype)
    gen, draw = _generator(seed, "truncated_normal"), _draw_dtype(dtype)
    z = gen.standard_normal(_shape(shape), dtype=draw)
    outside = abs(z) > 2
    while bool(outside.any()):  # about 4.6% each round: a few rounds, each over the whole array at once
        z[outside] = gen.standard_normal(int(outside.sum()), dtype=draw)
        outside = abs(z) > 2
    return _made(z * stddev + mean, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers in ``[minval, maxval)``.

    Args:
        shape: the output's shape.
        minval: the lowest value, included.
        maxval: the upper bound, excluded.
        dtype: an integer dtype; default int32.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> x = keras.random.randint((100,), 0, 3, seed=0)
        >>> sorted(set(x.numpy().tolist()))
        [0, 1, 2]
    """
    if backend.xp().dtype(dtype).kind not in "iu":
        raise ValueError(f"randint: dtype must be an integer dtype, received {dtype!r}")
    if not minval < maxval:
        raise ValueError(f"randint: needs minval < maxval, received minval={minval!r}, maxval={maxval!r}")
    return _made(_generator(seed, "randint").integers(int(minval), int(maxval), _shape(shape), dtype=dtype), dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability ``rate`` and scale the kept ones by ``1 / (1 - rate)``
    (``striate.ops.dropout`` with this module's seeds).

    Args:
        inputs: input tensor.
        rate: the fraction to drop, in [0, 1].
        noise_shape: the mask's shape, broadcast against ``inputs`` (``None`` entries: the input's size).
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``inputs``' shape, differentiable.

    Example:
        >>> import striate as keras
        >>> y = keras.random.dropout(keras.ops.ones((2, 4)), 0.5, seed=1)
        >>> sorted(set(y.numpy().ravel().tolist()))
        [0.0, 2.0]
    """
    from striate import ops
    return ops.dropout(inputs, rate, noise_shape, _seed(seed, "dropout"))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order.

    Args:
        x: input tensor.
        axis: the axis to shuffle.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> y = keras.random.shuffle(keras.ops.arange(5), seed=3)
        >>> sorted(y.numpy().tolist())
        [0, 1, 2, 3, 4]
    """
    from striate import ops
    x = tensor(x)
    n = x.shape[axis]
    gen = _generator(seed, "shuffle")
    # CuPy's Generator has no permutation: the order of uniform draws is one, on either device
    order = backend.xp().argsort(gen.random(n), kind="stable")
    return ops.take(x, order, axis=axis)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from the categorical distributions ``softmax(logits)``, one row per sample.

    Args:
        logits: shape ``(batch, classes)``, unnormalized log-probabilities.
        num_samples: draws per row.
        dtype: an integer dtype; default int32.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of shape ``(batch, num_samples)`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.random.categorical([[0.0, -1e9], [-1e9, 0.0]], 3, seed=0)
        Tensor(array([[0, 0, 0],
               [1, 1, 1]], dtype=int32))
    """
    xp = backend.xp()
    z = tensor(logits).data.astype("float64")
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must have shape (batch, classes), received {tuple(z.shape)}")
    # NOTE: the Gumbel-max trick: argmax(logits + G), G = -log(-log(U)), is a draw from softmax(logits)
    u = _generator(seed, "categorical").random((z.shape[0], num_samples, z.shape[1]))
    gumbel = -xp.log(-xp.log(xp.maximum(u, 1e-300)))
    return _made(xp.argmax(z[:, None, :] + gumbel, axis=-1), dtype)


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws from the gamma distribution of shape parameter ``alpha`` (scale 1).

    Args:
        shape: the output's shape.
        alpha: the concentration, positive.
        dtype: a float dtype; defaults to ``floatx()``.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> bool(keras.ops.all(keras.random.gamma((10,), alpha=2.0, seed=0) > 0))
        True
    """
    dtype = _float_dtype("gamma", dtype)
    return _made(_generator(seed, "gamma").standard_gamma(float(alpha), _shape(shape)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draws from the binomial distribution: successes in ``counts`` trials of probability ``probabilities``.

    Args:
        shape: the output's shape.
        counts: the number of trials.
        probabilities: the chance of success of each trial.
        dtype: a float dtype (Keras's); defaults to ``floatx()``.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> keras.random.binomial((3,), counts=5, probabilities=1.0, seed=0)
        Tensor(array([5., 5., 5.], dtype=float32))
    """
    dtype = _float_dtype("binomial", dtype)
    return _made(_generator(seed, "binomial").binomial(int(counts), float(probabilities), _shape(shape)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws from the beta distribution of parameters ``alpha`` and ``beta``, in ``[0, 1]``.

    Args:
        shape: the output's shape.
        alpha, beta: the two concentrations, positive.
        dtype: a float dtype; defaults to ``floatx()``.
        seed: an int, a :class:`SeedGenerator` or ``None`` (see the module's doc).

    Returns:
        A Tensor of ``shape`` (no gradient).

    Example:
        >>> import striate as keras
        >>> x = keras.random.beta((100,), alpha=2.0, beta=2.0, seed=0)
        >>> bool(keras.ops.all((x >= 0) & (x <= 1)))
        True
    """
    dtype = _float_dtype("beta", dtype)
    return _made(_generator(seed, "beta").beta(float(alpha), float(beta), _shape(shape)), dtype)
