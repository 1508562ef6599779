"""Weight initializers (Keras 3 names and defaults). Each is a callable ``(shape, dtype) -> array``."""
import math

from striate import backend
from striate.utils.naming import lookup


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them: a conv kernel (kh, kw, in, out) counts kh*kw per channel."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _seeded(self):
        seed = getattr(self, "seed", None)
        return backend.rng() if seed is None else backend.xp().random.default_rng(seed)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return backend.xp().zeros(shape, dtype=dtype or backend.floatx())


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return backend.xp().ones(shape, dtype=dtype or backend.floatx())


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return backend.xp().full(shape, self.value, dtype=dtype or backend.floatx())

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _normal(self._seeded(), shape, self.stddev, self.mean).astype(dtype or backend.floatx())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return self._seeded().uniform(self.minval, self.maxval, shape).astype(dtype or backend.floatx())

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal values more than two standard deviations from the mean are redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _truncated(self._seeded(), shape, self.stddev, self.mean).astype(dtype or backend.floatx())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def _normal(rng, shape, stddev, mean=0.0):
    """Normal draws from unit ones (CuPy's Generator has no ``normal``; NumPy's computes the same)."""
    return rng.standard_normal(shape) * stddev + mean


def _truncated(rng, shape, stddev, mean=0.0):
    a = rng.standard_normal(shape)
    bad = abs(a) > 2
    while bad.any():
        a[bad] = rng.standard_normal(int(bad.sum()))
        bad = abs(a) > 2
    return a * stddev + mean


class VarianceScaling(Initializer):
    """Draws with variance ``scale / n`` where n is fan_in, fan_out or their mean (Keras's rule)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, received {mode!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        rng = self._seeded()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            a = rng.uniform(-limit, limit, shape)
        elif self.distribution == "untruncated_normal":
            a = _normal(rng, shape, math.sqrt(var))
        else:  # NOTE: 0.8796... is the stddev of a unit normal truncated at 2 sigma
            a = _truncated(rng, shape, math.sqrt(var) / 0.87962566103423978)
        return a.astype(dtype or backend.floatx())

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _variant(name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                            "__doc__": f"VarianceScaling({scale}, {mode!r}, {distribution!r})."})


GlorotUniform = _variant("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variant("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _variant("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _variant("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _variant("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _variant("LecunUniform", 1.0, "fan_in", "uniform")

ALL = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
                               VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
                               LecunNormal, LecunUniform)}
_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
            "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal,
            "lecun_uniform": LecunUniform}


def get(identifier):
    """An initializer from a name ('glorot_uniform', 'HeNormal'), a config dict, or a callable."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return ALL[identifier["class_name"]].from_config(identifier.get("config", {}))
    return lookup("initializer", identifier, {**_ALIASES, **ALL})()


def serialize(initializer):
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}
