"""Weight constraints, applied after each optimizer step (Keras 3 names and defaults)."""
from striate import ops


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained value of weight ``w``."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NonNeg(Constraint):
    def __call__(self, w):
        return ops.maximum(w, 0.0)


class MaxNorm(Constraint):
    """Rescales weights whose norm along ``axis`` exceeds ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.clip(norms, 0, self.max_value)
        return w * (desired / (norms + 1e-7))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True)) + 1e-7)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.clip(norms, self.min_value, self.max_value) * self.rate + norms * (1 - self.rate)
        return w * (desired / (norms + 1e-7))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


ALL = {c.__name__: c for c in (NonNeg, MaxNorm, UnitNorm, MinMaxNorm)}
_ALIASES = {"non_neg": NonNeg, "max_norm": MaxNorm, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}


def get(identifier):
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return ALL[identifier["class_name"]].from_config(identifier.get("config", {}))
    cls = ALL.get(identifier) or _ALIASES.get(identifier)
    if cls is None:
        raise ValueError(f"Unknown constraint {identifier!r}. Known: {', '.join(sorted(_ALIASES))}")
    return cls()


def serialize(constraint):
    """Keras's config form (``None`` stays ``None``)."""
    if constraint is None:
        return None
    return {"module": "keras.constraints", "class_name": type(constraint).__name__,
            "config": constraint.get_config(), "registered_name": None}
