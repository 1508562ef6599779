"""Learning-rate schedules: the learning rate as a function of the optimizer's step count.

An optimizer given a schedule as ``learning_rate`` evaluates it at ``optimizer.iterations`` (0 for the
first update) before each step. Constants enter at ``floatx()`` precision, as in Keras's tensors, and
values come back as Python floats rounded to that precision.
"""
import math

from striate import backend
from striate.optimizers._rounding import rounder


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` returning the learning rate (a float) at step ``step``,
    and ``get_config()`` to be saveable.

    Example:
        >>> class InverseStep(keras.optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / (step + 1)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> optimizer = keras.optimizers.SGD(learning_rate=InverseStep(0.1))
        >>> optimizer.learning_rate  # the schedule's rate at the optimizer's current step, 0
        0.1
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` to be saveable")

    @classmethod
    def from_config(cls, config):
        """Rebuild a schedule from the output of ``get_config()``."""
        return cls(**config)


def _check_decay_steps(schedule, decay_steps):
    if decay_steps <= 0:
        raise ValueError(f"{type(schedule).__name__} expects `decay_steps` > 0, received decay_steps={decay_steps}")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: steps over which the rate is multiplied by ``decay_rate``; must be > 0.
        decay_rate: the decay factor.
        staircase: decay in whole intervals (``floor(step / decay_steps)``) instead of continuously.
        name: the schedule's name.

    Example:
        >>> schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
        >>> schedule(2500)      # 0.1 * 0.96 ** 2
        0.09215999394655228
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _check_decay_steps(self, decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        r = rounder(backend.floatx())
        p = r(r(step) / r(self.decay_steps))
        if self.staircase:
            p = math.floor(p)
        return r(r(self.initial_learning_rate) * r(self.decay_rate) ** p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between boundaries.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., and ``values[-1]`` once ``step > boundaries[-1]``.

    Args:
        boundaries: strictly increasing step numbers.
        values: the rates, one more than ``boundaries``.
        name: the schedule's name.

    Example:
        >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.01, 0.001])
        >>> schedule(150)
        0.009999999776482582
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay expects one more value than boundaries, received boundaries={boundaries} "
                f"of length {len(boundaries)} and values={values} of length {len(values)}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        r = rounder(backend.floatx())
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return r(value)
        return r(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` (or ``warmup_target``) to ``alpha`` times it, with
    optional linear warmup (SGDR, Loshchilov & Hutter 2017).

    Without warmup the rate is ``initial_learning_rate * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``. With ``warmup_target`` the rate
    first rises linearly from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then
    decays from ``warmup_target`` over ``decay_steps``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: length of the decay, in steps; must be > 0.
        alpha: the final rate as a fraction of the rate the decay starts from.
        name: the schedule's name.
        warmup_target: the rate reached at the end of the warmup; ``None`` for no warmup.
        warmup_steps: length of the warmup, in steps.

    Example:
        >>> schedule = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=1000, warmup_target=0.1,
        ...                                                   warmup_steps=100)
        >>> optimizer = keras.optimizers.Adam(learning_rate=schedule)
        >>> [round(schedule(step), 4) for step in (0, 50, 100, 600, 1100)]  # up linearly, then down a cosine
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _check_decay_steps(self, decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        r = rounder(backend.floatx())
        initial, decay_steps = r(self.initial_learning_rate), r(self.decay_steps)
        if self.warmup_target is None:
            return self._decay(r, min(r(step), decay_steps), decay_steps, initial)
        target, warmup_steps = r(self.warmup_target), r(self.warmup_steps)
        step = min(r(step), r(decay_steps + warmup_steps))
        if step < warmup_steps:
            return r(r(r(target - initial) * r(step / warmup_steps)) + initial)
        return self._decay(r, r(step - warmup_steps), decay_steps, target)

    def _decay(self, r, step, decay_steps, start):
        cosine = r(0.5 * r(1.0 + r(math.cos(r(r(math.pi) * r(step / decay_steps))))))
        return r(start * r(r(r(1.0 - self.alpha) * cosine) + r(self.alpha)))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


_SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule):
    """Return ``schedule`` as a JSON-able dict in Keras's format (``class_name`` and ``config``).

    Args:
        schedule: a :class:`LearningRateSchedule`.

    Returns:
        ``{"module": ..., "class_name": ..., "config": ..., "registered_name": ...}``.

    Example:
        >>> serialize(ExponentialDecay(0.1, 1000, 0.9))["class_name"]
        'ExponentialDecay'
    """
    name = type(schedule).__name__
    builtin = _SCHEDULES.get(name) is type(schedule)
    return {"module": "keras.optimizers.schedules" if builtin else type(schedule).__module__, "class_name": name,
            "config": schedule.get_config(), "registered_name": None if builtin else name}


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from :func:`serialize`'s output (a Keras ``.keras`` config works too).

    Args:
        config: ``{"class_name": ..., "config": {...}}``.
        custom_objects: optional ``{name: class}`` for schedules defined outside striate.

    Returns:
        A :class:`LearningRateSchedule`.

    Example:
        >>> config = {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 100}}
        >>> schedule = keras.optimizers.schedules.deserialize(config)
        >>> round(schedule(50), 4)
        0.05
    """
    known = {**_SCHEDULES, **(custom_objects or {})}
    name = config.get("class_name")
    if name not in known:
        raise ValueError(f"Unknown learning rate schedule {name!r}; known: {', '.join(sorted(known))} "
                         "(pass others through custom_objects)")
    return known[name].from_config(dict(config.get("config", {})))
