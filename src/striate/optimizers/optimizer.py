"""Optimizer: the base of every optimizer (learning rate, step count, clipping, weight decay, slots).

An update runs in place on the raw arrays of the backend module, with no tape: each rule writes through
``out=`` into its slot arrays and into scratch views of one buffer allocated at ``build``, so a step
allocates no array the size of a weight. Rules follow Keras 3's (its torch backend's order of
operations), with scalars rounded as Keras's float32 tensors round them (see ``_rounding``), so
results match ``keras.optimizers`` to float32 rounding.

In ``fit`` the optimizer reads the gradients from a ParameterStore (``apply_store``): the backward pass
left them in its flat array, next to the flat array of the values it updates.
"""
import difflib
import inspect
import math
import re
import sys
import warnings

from striate import backend
from striate.autodiff import Tensor, Variable, no_grad
from striate.autodiff.parameters import ParameterStore, join, split
from striate.optimizers import schedules
from striate.optimizers._rounding import rounder

# Keras 2 arguments that Keras 3 dropped: a schedule replaces both.
_REMOVED_ARGUMENTS = ("decay", "schedule_decay")
# Keras 3 features striate lacks: their settings in Keras's own configs load as long as they are off.
_INACTIVE_KERAS_ARGUMENTS = ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                             "gradient_accumulation_steps")
# Every this many steps, slot values too small to matter are set to zero (see ``_flush_subnormals``).
FLUSH_EVERY = 32


def _caller_stacklevel():
    """The ``stacklevel`` that points a warning at the first frame outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("striate.optimizers"):
        frame, level = frame.f_back, level + 1
    return level


def _check_rate(optimizer, rate):
    """Refuse a learning rate that is not a positive, finite number (``optimizer`` names the class)."""
    try:
        valid = not isinstance(rate, (str, bool)) and math.isfinite(float(rate)) and float(rate) > 0
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(f"{optimizer} expects `learning_rate` to be a positive number or a LearningRateSchedule, "
                         f"received learning_rate={rate!r}")


class Optimizer:
    """Base class of optimizers; holds what every optimizer shares.

    Args:
        learning_rate: a float, or a :class:`~striate.optimizers.schedules.LearningRateSchedule`
            evaluated at ``iterations`` before each step. ``lr`` is accepted as a deprecated alias.
        weight_decay: if set, every updated variable first shrinks by ``weight_decay * learning_rate``
            times itself (decoupled weight decay).
        clipnorm: if set, each gradient is rescaled so its L2 norm is at most this.
        clipvalue: if set, each gradient is clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so their joint L2 norm is at most
            this. At most one of the three clipping arguments may be set.
        name: the optimizer's name; defaults to the class name in snake case.

    Subclasses set ``_scratch_count`` (scratch arrays per variable) and ``_elementwise`` (see below), and
    implement ``_build_slots``, ``_begin_step`` (per-step scalars) and ``_update_step`` (one variable's
    update, in place).

    Example:
        >>> optimizer = keras.optimizers.SGD(learning_rate=0.1)
        >>> w = keras.Variable(np.ones(3, "float32"), name="w")
        >>> optimizer.apply([np.full(3, 0.5, "float32")], [w])
        >>> w.numpy()
        array([0.95, 0.95, 0.95], dtype=float32)
    """

    _scratch_count = 1
    # Whether ``_update_step`` treats each value on its own (reading no shape): then one call of it updates
    # all the variables at once, over flat arrays that their values are views of (see ``_Joined``).
    _elementwise = False

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        learning_rate = self._check_kwargs(learning_rate, kwargs)
        clip_args = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clip_args.values()) > 1:
            received = ", ".join(f"{k}={v}" for k, v in clip_args.items())
            raise ValueError(f"{type(self).__name__}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` "
                             f"can be set, received {received}")
        self.name = name or re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2",
                                                                      type(self).__name__)).lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.built = False
        self._trainable_variables = []
        self._index = {}
        self._slots = []
        self._slot_columns = {}  # slot name -> one slot Variable per trainable variable
        self._scratch = []
        self._joined = None
        self._clip_buffers = None
        self._iterations = Variable(0, dtype="int64", trainable=False, name="iteration")
        self._learning_rate = None
        if not isinstance(learning_rate, schedules.LearningRateSchedule):
            _check_rate(type(self).__name__, learning_rate)
        self.learning_rate = learning_rate

    def _check_kwargs(self, learning_rate, kwargs):
        """Take the deprecated ``lr`` alias and inert Keras settings out of ``kwargs``; reject the rest."""
        cls = type(self).__name__
        if "lr" in kwargs:
            warnings.warn(f"{cls}: `lr` is deprecated, use `learning_rate` (Keras 3's name)", DeprecationWarning,
                          stacklevel=_caller_stacklevel())
            learning_rate = kwargs.pop("lr")
        for key in _REMOVED_ARGUMENTS:
            if key in kwargs:
                raise ValueError(
                    f"{cls}: argument `{key}` (Keras 2) is no longer supported, received {key}={kwargs[key]!r}; pass "
                    "a schedule instead, e.g. learning_rate=keras.optimizers.schedules.ExponentialDecay("
                    "0.01, decay_steps=1000, decay_rate=0.9)")
        for key in _INACTIVE_KERAS_ARGUMENTS:
            value = kwargs.pop(key, None)
            if value and key != "ema_momentum":
                raise ValueError(f"{cls}: `{key}` is not supported by striate, received {key}={value!r}")
        if kwargs:
            key = next(iter(kwargs))
            known = [p for p in inspect.signature(type(self)).parameters if p != "kwargs"]
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" Known: {', '.join(known)}"
            raise TypeError(f"{cls}() got an unexpected keyword argument '{key}'.{hint}")
        return learning_rate

    @property
    def iterations(self):
        """The number of updates applied so far (an int; saved as the first of ``variables``)."""
        return int(self._iterations.data)

    @property
    def learning_rate(self):
        """The learning rate of the next step, a float; set it to a float or a schedule."""
        if isinstance(self._learning_rate, Variable):
            return float(self._learning_rate.data)
        return float(self._learning_rate(self.iterations))

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(f"{type(self).__name__} was created with a LearningRateSchedule as its learning_rate, "
                            "so its learning rate is not settable; create the optimizer with a float learning_rate "
                            "to change it during training")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{type(self).__name__} expects `learning_rate` a float or a LearningRateSchedule, "
                             f"received learning_rate={value!r}") from None
        if self._learning_rate is None:
            self._learning_rate = Variable(value, dtype=backend.floatx(), trainable=False, name="learning_rate")
        else:
            self._learning_rate.assign(value)

    @property
    def variables(self):
        """The optimizer's state in Keras's order: iteration, learning rate (unless a schedule), slots."""
        rate = [self._learning_rate] if isinstance(self._learning_rate, Variable) else []
        return [self._iterations, *rate, *self._slots]

    def build(self, variables):
        """Create the slots (momentums, ...) and scratch buffers for ``variables``; done once.

        ``apply`` builds on its first call; call ``build`` directly before loading saved state.

        Args:
            variables: the trainable :class:`~striate.autodiff.Variable` s this optimizer will update.
        """
        self._build(variables)

    def _build(self, variables, store=None):
        """``build``; an update of all the variables at once keeps their values and gradients in ``store``
        where given (else in a store of its own)."""
        if self.built:
            return
        variables = list(variables)
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._build_slots(variables)
        self._joined = _Joined(variables, self._slot_columns, self._scratch_count, store) \
            if self._elementwise and _Joined.fits(variables) else None
        self._scratch = self._joined.scratch_views if self._joined is not None else \
            self._scratch_views(variables, self._scratch_count)
        # per variable, its slots' arrays by name (from here on a slot's array is only updated in place)
        self._slot_arrays = [{name: column[i].data for name, column in self._slot_columns.items()}
                             for i in range(len(variables))]
        self.built = True

    def _build_slots(self, variables):
        """Create the optimizer's per-variable state with ``add_optimizer_variables``."""

    def add_optimizer_variables(self, variables, names, initial_value=0.0):
        """Create one slot per variable and name, interleaved as Keras does (``w0_m, w0_v, w1_m, ...``).

        Args:
            variables: the trainable variables.
            names: a slot name (``"momentum"``) or a list of names.
            initial_value: the value every slot starts from.

        Returns:
            A list of slot Variables for one name, or a tuple of such lists for a list of names.
        """
        name_list = [names] if isinstance(names, str) else list(names)
        slots = tuple([] for _ in name_list)
        for v in variables:
            prefix = str(v.path or v.name or "variable").replace("/", "_")
            for name, column in zip(name_list, slots):
                column.append(self.add_variable(v.shape, initial_value, v.dtype, f"{prefix}_{name}"))
        self._slot_columns.update(zip(name_list, slots))
        return slots[0] if isinstance(names, str) else slots

    def add_variable(self, shape, initial_value=0.0, dtype=None, name=None):
        """Create a non-trainable slot Variable filled with ``initial_value``, saved in ``variables``."""
        xp = backend.xp()
        variable = Variable(xp.full(shape, initial_value, dtype=dtype or backend.floatx()), trainable=False, name=name)
        self._slots.append(variable)
        return variable

    @staticmethod
    def _scratch_views(variables, count):
        """Per variable, ``count`` arrays of its shape: views into one flat buffer per dtype, reused by every
        variable in turn (updates run one variable at a time)."""
        sizes = {}
        for v in variables:
            sizes[v.data.dtype] = max(sizes.get(v.data.dtype, 0), v.data.size)
        flat = {dtype: backend.xp().empty(count * size, dtype) for dtype, size in sizes.items()}
        return [tuple(flat[v.data.dtype][k * sizes[v.data.dtype]:][:v.data.size].reshape(v.data.shape)
                      for k in range(count)) for v in variables]

    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs, as ``apply`` does.

        Args:
            grads_and_vars: an iterable of ``(gradient, variable)`` pairs.

        Returns:
            ``iterations`` after the update.
        """
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Update each variable in place from its gradient, then count one iteration.

        Args:
            grads: one array (of the backend module) per variable, or ``None`` to skip that variable.
            trainable_variables: the variables, in the order of ``grads``; the first call builds the
                optimizer for them. ``None`` reuses the variables it was built for.

        Example:
            >>> w = keras.Variable(np.ones(2, "float32"))
            >>> optimizer = keras.optimizers.Adam(learning_rate=0.1)
            >>> optimizer.apply([np.array([1.0, -1.0], "float32")], [w])
            >>> w.numpy()  # Adam's first step: the learning rate, against the gradient's sign
            array([0.9, 1.1], dtype=float32)
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{type(self).__name__}.apply() received no variables and is not built yet; pass "
                                 "trainable_variables or call build(trainable_variables) first")
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}.apply() received {len(grads)} gradients for "
                             f"{len(variables)} variables")
        indices, grads, variables = self._pair(grads, variables)
        joined = self._joined if self._joined is not None and self._joined.holds(indices, variables) else None
        if joined is not None:
            joined.store.set_gradients(grads)
        self._step(grads, variables, indices, joined)

    def apply_store(self, store):
        """Update the variables of a :class:`~striate.autodiff.parameters.ParameterStore` from the gradients
        its last ``backward`` left in it; then count one iteration (what ``fit`` does each step).

        The first call builds the optimizer for ``store.variables``, keeping their values in the store.
        When every variable received a gradient, an elementwise rule reads the store's flat gradient and
        updates its flat values in one call per operation; otherwise this is ``apply``.

        Args:
            store: the ParameterStore, after its ``backward``.

        Example:
            >>> from striate.autodiff.parameters import ParameterStore
            >>> w = keras.Variable(np.ones(2, "float32"))
            >>> store = ParameterStore([w])
            >>> grads = store.backward((w * np.array([1.0, -1.0], "float32")).sum())
            >>> optimizer = keras.optimizers.SGD(learning_rate=0.5)
            >>> optimizer.apply_store(store)
            >>> w.numpy()
            array([0.5, 1.5], dtype=float32)
        """
        self._build(store.variables, store)
        grads = [v.grad for v in store.variables]
        joined = self._joined
        if joined is not None and all(g is not None for g in grads) and joined.adopt(store):
            self._step(store.gradient_views, store.variables, joined.order, joined)
        else:
            self.apply(grads, store.variables)

    def _step(self, grads, variables, indices, joined):
        """One update of ``variables`` (at ``indices`` of the built ones) from ``grads``; with ``joined``,
        all at once from its store's flat gradients, which hold a copy of ``grads`` by then."""
        xp = backend.xp()
        dtype = variables[0].data.dtype
        r = rounder(dtype)
        lr = r(self.learning_rate)
        scales = self._clip_scales(xp, grads)
        if self.weight_decay:
            factor = r(1.0 - r(r(self.weight_decay) * lr))
            for w in [joined.store.values] if joined is not None else [v.data for v in variables]:
                w *= factor
        step = self.iterations + 1  # read once: on a GPU each read waits for the device
        constants = self._begin_step(lr, step, r)
        if joined is not None:
            # every variable at once: the gradients in one flat array, clipped there, and one update
            gradient = joined.store.gradients
            if scales.count(1.0) != len(scales):
                for view, scale in zip(joined.store.gradient_views, scales):
                    view *= scale
            elif self.clipvalue and self.clipvalue > 0:
                xp.clip(gradient, -self.clipvalue, self.clipvalue, out=gradient)
            self._update(xp, gradient, joined.store.values, joined.slots, joined.scratch, constants)
        else:
            for i, g, v, scale in zip(indices, grads, variables, scales):
                self._update(xp, self._clipped(xp, i, g, scale), v.data, self._slot_arrays[i], self._scratch[i],
                             constants)
        constrained = [v for v in variables if v.constraint is not None]
        if constrained:
            with no_grad():
                for v in constrained:
                    v.assign(v.constraint(v))
        self._iterations.data += 1
        if step % FLUSH_EVERY == 0:
            self._flush_subnormals(xp)

    def _flush_subnormals(self, xp):
        """Set to zero the slot values below ``2**26`` times the dtype's smallest normal number.

        A moment whose gradient stays zero (a dead ReLU's weights) decays geometrically (Adam's first
        moment by 0.9 a step) into subnormal numbers, as do the update's products of it with the
        learning rate, and arithmetic on subnormals takes a slow path on many CPUs (Adam's update of
        the lecture DFF took twice as long with a third of its first moments subnormal; see
        benchmarks/NOTES.md). From the bound (float32: ``7.9e-31``) a moment times a learning rate down
        to ``1e-5`` stays normal until the next flush, decaying by 0.9 (``0.9 ** 32 > 0.03``). Values
        this small change no update by anything float32 can show next to a weight (Adam's step for
        such a moment is under ``1e-25``; RMSprop's denominator moves by under ``1e-15`` beside its
        epsilon of ``1e-7``). Half precision is left alone (there the bound would be 4096).
        """
        arrays = self._joined.slots.values() if self._joined is not None else [s.data for s in self._slots]
        for a in arrays:
            if a.dtype.itemsize >= 4 and a.dtype.kind == "f":
                xp.multiply(a, xp.abs(a) >= 2.0 ** 26 * float(xp.finfo(a.dtype).tiny), out=a)

    def _pair(self, grads, variables):
        """Drop ``None`` gradients (warning which variables they belong to) and find each variable's slots."""
        indices, kept_grads, kept_vars, missing = [], [], [], []
        for g, v in zip(grads, variables):
            i = self._index.get(id(v))
            if i is None:
                raise ValueError(f"{type(self).__name__} was built for other variables and received {v!r}; create "
                                 "a new optimizer to train a new set of variables")
            if g is None:
                missing.append(v.path or v.name)
                continue
            g = g.data if isinstance(g, Tensor) else g
            indices.append(i)
            kept_grads.append(g if g.dtype == v.data.dtype else g.astype(v.data.dtype))
            kept_vars.append(v)
        if not kept_grads:
            raise ValueError(f"{type(self).__name__}.apply() received no gradient for any variable (all None)")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                          "`model.compile()`, did you forget to provide a `loss` argument?",
                          stacklevel=_caller_stacklevel())
        return indices, kept_grads, kept_vars

    def _clip_scales(self, xp, grads):
        """Per gradient, the factor that ``clipnorm`` or ``global_clipnorm`` rescales it by (1.0: none)."""
        if self.clipnorm and self.clipnorm > 0:
            return [_clip_scale(_norm(xp, g), self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = math.sqrt(sum(_norm(xp, g) ** 2 for g in grads))
            # NOTE: as in Keras, a non-finite global norm turns every gradient into NaN.
            return [_clip_scale(norm, self.global_clipnorm) if math.isfinite(norm) else math.nan] * len(grads)
        return [1.0] * len(grads)

    def _clipped(self, xp, index, grad, scale):
        """``grad`` rescaled by ``scale``, or clipped to ``clipvalue``, written into the clip buffer (shared by
        all variables: the update consumes it before the next variable's gradient is clipped)."""
        if scale != 1.0:
            return xp.multiply(grad, scale, out=self._clip_buffer(index))
        if self.clipvalue and self.clipvalue > 0:
            return xp.clip(grad, -self.clipvalue, self.clipvalue, out=self._clip_buffer(index))
        return grad

    def _clip_buffer(self, index):
        if self._clip_buffers is None:
            self._clip_buffers = self._scratch_views(self._trainable_variables, 1)
        return self._clip_buffers[index][0]

    def _begin_step(self, learning_rate, step, r):
        """Scalars shared by every variable's update this step (Python floats rounded by ``r``)."""
        return learning_rate

    def _update(self, xp, gradient, weight, slots, scratch, constants):
        """``_update_step``, split by elements across striate's threads (updates are elementwise)."""
        # NOTE: an update's array calls are short and many, so its parts hand the GIL to each other
        # often: counted as one pass of "follows" work, an update is split from 16 * MIN_COST values (2^22).
        cost = weight.size
        least = 2 * backend.threads.MIN_COST * backend.threads.PART_COST["follows"]
        if cost < least or not (gradient.flags.c_contiguous and weight.flags.c_contiguous):
            # too little to split in two (or not flat; slots and scratch always are): no views, no dispatch
            return self._update_step(xp, gradient, weight, slots, scratch, constants)
        flat, names = [a.reshape(-1) for a in (gradient, weight, *slots.values(), *scratch)], list(slots)

        def part(r):
            g, w, *rest = (a[r] for a in flat)
            self._update_step(xp, g, w, dict(zip(names, rest)), rest[len(names):], constants)
        backend.parallel(part, weight.size, cost, kind="follows")

    def _update_step(self, xp, gradient, weight, slots, scratch, constants):
        """Update the array ``weight`` and its ``slots`` (a dict of arrays by slot name) in place, from
        ``gradient``; ``scratch`` holds ``_scratch_count`` arrays of the same shape to work in."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update_step")

    def get_config(self):
        """Return the constructor arguments as a JSON-able dict (Keras's keys)."""
        rate = self._learning_rate
        return {"name": self.name,
                "learning_rate": float(rate.data) if isinstance(rate, Variable) else schedules.serialize(rate),
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Create an optimizer from ``get_config()``'s output (Keras's optimizer configs load too).

        Args:
            config: the dict; a serialized schedule under ``learning_rate`` is rebuilt.
            custom_objects: optional ``{name: class}`` for custom schedules.
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        # a callback may have lowered the rate to 0 before saving: it loads, though a new optimizer refuses 0
        stopped = isinstance(config.get("learning_rate"), (int, float)) and config["learning_rate"] == 0
        optimizer = cls(**{**config, "learning_rate": 1.0} if stopped else config)
        if stopped:
            optimizer.learning_rate = 0.0
        return optimizer

    def save_own_variables(self, store):
        """Write ``variables`` into ``store`` as NumPy arrays under keys ``"0"``, ``"1"``, ... (Keras's layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = backend.to_numpy(variable.data)

    def load_own_variables(self, store):
        """Read ``variables`` back from ``store``; build the optimizer first so its slots exist."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}': it has {len(variables)} "
                          f"variables, the saved optimizer has {len(store.keys())}"
                          + ("" if self.built else " (build it on the model's trainable variables first)"),
                          stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])


class _Joined:
    """The state of an update of all the variables at once: the variables' values and gradients, in a
    ParameterStore, and each slot's values and the scratch arrays, as flat arrays alongside.

    An elementwise rule then updates every variable in one call per operation (Adam: 7 array calls a
    step instead of 7 per variable), with the same bits as one variable at a time.

    NOTE: the store replaces the arrays of the Variables (once, when made); a Variable is otherwise only
    ever updated in place. Should another store rehome them later, ``holds`` says so and this optimizer
    updates them one by one again, until it is handed a store of the same variables (``adopt``).
    """

    # NOTE: the flat gradient and scratch arrays cost memory beyond per-variable updates (about two
    # arrays the size of all weights, for Adam); past this size the per-call overhead they save is small
    # against the arithmetic, so large models keep updating variable by variable.
    MAX_SIZE = 1 << 24

    def __init__(self, variables, slot_columns, scratch_count, store=None):
        xp, dtype = backend.xp(), variables[0].data.dtype
        self.store = store if store is not None else ParameterStore(variables)
        self.slots = {name: join(column, dtype) for name, column in slot_columns.items()}
        self.scratch = tuple(xp.empty(self.store.values.size, dtype) for _ in range(scratch_count))
        self.scratch_views = list(zip(*(split(a, variables) for a in self.scratch)))
        self.order = list(range(len(variables)))

    @property
    def weights(self):
        """The flat array of the variables' values (the store's)."""
        return self.store.values

    @staticmethod
    def fits(variables):
        """Whether ``variables`` can be joined: one floating dtype, and at most ``MAX_SIZE`` values."""
        dtypes = {v.data.dtype for v in variables}
        size = sum(v.data.size for v in variables)
        return len(dtypes) == 1 and dtypes.pop().kind == "f" and size <= _Joined.MAX_SIZE

    def holds(self, indices, variables):
        """Whether this step updates all the variables, in order, each still a view of ``weights``."""
        return indices == self.order and self.store.holds(variables)

    def adopt(self, store):
        """Take ``store`` as the home of the values if it holds the same variables; returns whether it does."""
        if store is not self.store:
            if len(store.variables) != len(self.order) or not store.complete or \
                    any(v is not w for v, w in zip(store.variables, self.store.variables)):
                return False
            self.store = store
        return store.holds(store.variables)


def _clip_scale(norm, clip):
    """The factor ``clip / max(norm, clip)`` that brings a gradient's norm down to ``clip``."""
    return clip / norm if norm > clip else 1.0


def _norm(xp, g):
    flat = g.ravel()
    return math.sqrt(float(xp.dot(flat, flat)))
