"""Weight penalties added to the training loss (Keras 3 names and defaults)."""
from striate import ops


class Regularizer:
    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w^2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        penalty = 0.0
        if self.l1:
            penalty = ops.sum(ops.abs(w)) * self.l1
        if self.l2:
            penalty = penalty + ops.sum(ops.square(w)) * self.l2
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


ALL = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": l1_l2}


def get(identifier):
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return ALL[identifier["class_name"]].from_config(identifier.get("config", {}))
    if identifier in ALL:
        return ALL[identifier]()
    raise ValueError(f"Unknown regularizer {identifier!r}. Known: {', '.join(sorted(ALL))}")


def serialize(regularizer):
    """Keras's config form (``None`` stays ``None``)."""
    if regularizer is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}
