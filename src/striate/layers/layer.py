"""Layer: the building block. Keras 3's contract: __init__ stores settings, build() makes weights,
call() computes, compute_output_shape() tells shapes without computing, get_config() describes."""
import inspect
import weakref

from striate import backend, constraints, initializers, regularizers
from striate.autodiff import Tensor, Variable
from striate.utils.naming import snake_case

_uids = {}
# The layers holding losses from add_loss, and the layer whose call runs outermost (None between calls):
# that call first clears the losses it and its sublayers added before, as Keras 3 does, so the losses a
# model holds are those of its last call. Calls on zeros that only infer shapes add none.
_loss_holders = weakref.WeakSet()
_outermost = [None]
_inferring_shapes = [False]


def unique_name(prefix):
    """'dense', then 'dense_1', 'dense_2', ... as Keras names layers and models."""
    n = _uids.get(prefix, 0)
    _uids[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def reset_names():
    """Forget the automatic names handed out so far (``keras.backend.clear_session``)."""
    _uids.clear()


class KerasTensor:
    """A symbolic tensor: a shape (``None`` for the batch axis) and the layer call that made it."""

    def __init__(self, shape, dtype=None, node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype or backend.floatx()
        self.node, self.index, self.name = node, index, name

    ndim = property(lambda self: len(self.shape))

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer on symbolic inputs: the edges of a functional model's graph."""

    def __init__(self, layer, inputs, outputs, is_list, kwargs):
        self.layer, self.inputs, self.outputs, self.is_list, self.kwargs = layer, inputs, outputs, is_list, kwargs
        for i, t in enumerate(outputs):
            t.node, t.index = self, i


class InputSpec:
    """What a built layer accepts: rank and the sizes of some axes (negative axes count from the end)."""

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})
        self._accepted = None  # the last shape found fitting (a layer sees the same shape step after step)

    def problem(self, shape):
        """What ``shape`` lacks, in words, or None when it fits."""
        if shape == self._accepted:
            return None
        found = self._problem(shape)
        if found is None:
            self._accepted = shape
        return found

    def _problem(self, shape):
        if self.ndim is not None and len(shape) != self.ndim:
            return f"{self.ndim} axes (the batch axis included)"
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            return f"at least {self.min_ndim} axes (the batch axis included)"
        for axis, size in self.axes.items():
            if size is not None and shape[axis] is not None and shape[axis] != size:
                where = "last axis" if axis == -1 else f"axis {axis}"
                return f"{where} of size {size}"
        return None


# How many times any layer has gained a weight or a sublayer: a layer's cached list of weights made
# before the last change is rebuilt.
_structure = [0]
_WEIGHT_LISTS = ("_trainable_vars", "_non_trainable_vars", "_layers")


def _is_symbolic(x):
    if isinstance(x, KerasTensor):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(t, KerasTensor) for t in x)


def _call_args(cls):
    """``(names, takes **kwargs, default of training)`` of ``cls.call`` (read once per class)."""
    cache = cls.__dict__.get("_call_args_cache")
    if cache is None:
        params = inspect.signature(cls.call).parameters
        training = params.get("training")
        default = training.default if training is not None and training.default is not inspect.Parameter.empty \
            else False
        cache = (set(params), any(p.kind is p.VAR_KEYWORD for p in params.values()), default)
        setattr(cls, "_call_args_cache", cache)
    return cache


def _call_takes(cls, argname):
    """Whether ``cls.call`` accepts ``argname`` (checked once per class)."""
    cache = _call_args(cls)
    return argname in cache[0] or cache[1]


class Layer:
    """Base class of all layers.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; by default the snake_case class name, numbered (``dense``, ``dense_1``).
        dtype: the weights' dtype (default ``floatx()``).
        input_shape / input_dim / batch_input_shape: Keras 2 spellings that set the model's input
            when this is the first layer of a Sequential model.

    Subclasses implement ``build(input_shape)`` (create weights with ``add_weight``),
    ``call(inputs, training=False)`` and ``compute_output_shape(input_shape)``.

    Example:
        >>> import striate as keras
        >>> class Scale(keras.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.w
        >>> scale = Scale()
        >>> scale(np.array([[1.0, 2.0]])).numpy(), scale.w.shape
        (array([[1., 2.]], dtype=float32), (2,))
    """

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, **kwargs):
        if kwargs:
            bad = next(iter(kwargs))
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument {bad!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype if isinstance(dtype, str) else backend.floatx()
        self.built = False
        self.input_spec = None
        self._trainable_vars, self._non_trainable_vars, self._layers = [], [], []
        self._inbound_nodes = []
        self._losses = []
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape, batch_size = tuple(batch_input_shape[1:]), batch_input_shape[0]
        self._input_shape_arg = None if input_shape is None else (batch_size,) + tuple(
            input_shape if isinstance(input_shape, (tuple, list)) else (input_shape,))

    # -- weights ------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True, name=None,
                   regularizer=None, constraint=None):
        """Create a weight of this layer (see :class:`Variable`)."""
        init = initializers.get(initializer)
        if name is None:  # Keras's automatic names: 'variable', 'variable_1', ...
            name = unique_name("variable")
        v = Variable(init, shape=tuple(int(n) for n in shape), dtype=dtype or self.dtype, trainable=trainable,
                     name=name, regularizer=regularizers.get(regularizer), constraint=constraints.get(constraint))
        v.path = f"{self.name}/{name}"
        if trainable and not self._trainable:
            v.trainable = v.requires_grad = False
        (self._trainable_vars if trainable else self._non_trainable_vars).append(v)
        _structure[0] += 1
        return v

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for v in self._trainable_vars:
            v.trainable = v.requires_grad = self._trainable
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self):
        """All weights in Keras's order: this layer's trainable, then non-trainable, then sublayers'."""
        cached = self.__dict__.get("_weights_cache")
        if cached is not None and cached[0] == _structure[0]:
            return list(cached[1])
        out, seen = [], set()
        for v in self._trainable_vars + self._non_trainable_vars + [w for l in self._layers for w in l.weights]:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        # NOTE: the walk runs twice a step (the trainer's variables and penalties); it is redone after
        # any layer anywhere gains a weight or a sublayer (see ``_structure``)
        object.__setattr__(self, "_weights_cache", (_structure[0], out))
        return list(out)

    variables = weights

    @property
    def trainable_weights(self):
        return [v for v in self.weights if v.trainable] if self._trainable else []

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        return [v for v in self.weights if not v.trainable] if self._trainable else self.weights

    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """The weights as a list of NumPy arrays, in Keras's order."""
        return [v.numpy().copy() for v in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list of arrays in the order of :meth:`get_weights`."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"Layer '{self.name}' expects {len(own)} weight arrays "
                             f"({', '.join(v.path for v in own) or 'none: is it built?'}), received {len(weights)}")
        for v, w in zip(own, weights):
            w = backend.asarray(w.numpy() if isinstance(w, Tensor) else w)
            if w.dtype.kind not in "biuf":
                raise TypeError(f"Layer '{self.name}' weight '{v.path}' expects a numeric array, received an "
                                f"array of dtype {w.dtype}")
            if tuple(w.shape) != v.shape:
                raise ValueError(f"Layer '{self.name}' weight '{v.path}' has shape {v.shape}, "
                                 f"received an array of shape {tuple(w.shape)}")
        for v, w in zip(own, weights):
            v.assign(w.numpy() if isinstance(w, Tensor) else w)

    def count_params(self):
        return int(sum(v.size for v in self.weights))

    @property
    def losses(self):
        """The losses of the last call added with :meth:`add_loss` (this layer's, then its sublayers'),
        then the regularization penalties of the trainable weights: a list of Tensors."""
        added = [t for layer in self._self_and_sublayers() for t in layer.__dict__.get("_losses", ())] \
            if len(_loss_holders) else []
        return added + [v.regularizer(v) for v in self.weights if v.regularizer is not None and v.trainable]

    def add_loss(self, loss):
        """Add a loss computed in ``call`` (an activity penalty, a layer's own objective): ``fit`` and
        ``evaluate`` add it to the compiled loss, and it is all the loss when ``compile`` has none.

        As in Keras 3 a model's losses are those of its last call: the outermost layer call clears
        the losses that layer and its sublayers added before.

        Args:
            loss: a scalar Tensor, or a list of them (a loss of several values counts as their sum).

        Example:
            >>> import striate as keras
            >>> class ActivityRegularization(keras.layers.Layer):
            ...     def call(self, x):
            ...         self.add_loss(keras.ops.sum(keras.ops.square(x)) * 0.5)
            ...         return x
            >>> layer = ActivityRegularization()
            >>> _ = layer([[1.0, 2.0]])
            >>> layer.losses
            [Tensor(array(2.5, dtype=float32))]
        """
        if _inferring_shapes[0]:
            return
        for value in (loss if isinstance(loss, (list, tuple)) else [loss]):
            self._losses.append(value if isinstance(value, Tensor) else _as_tensor(value, backend.floatx()))
        _loss_holders.add(self)

    def _self_and_sublayers(self):
        """This layer and every layer inside it, each once, in depth-first order."""
        order, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) not in seen:
                seen.add(id(layer))
                order.append(layer)
                stack.extend(reversed(layer.__dict__.get("_layers", ())))
        return order

    def _clear_losses(self):
        for layer in self._self_and_sublayers():
            if layer.__dict__.get("_losses"):
                layer._losses = []
                _loss_holders.discard(layer)

    def __setattr__(self, name, value):
        # Track sublayers assigned as attributes, as Keras does, so their weights are found.
        if isinstance(value, Layer) and name != "_outer" and "_layers" in self.__dict__:
            if all(value is not l for l in self._layers):
                self._layers.append(value)
        if isinstance(value, Layer) or name in _WEIGHT_LISTS:
            _structure[0] += 1
        object.__setattr__(self, name, value)

    # -- building and calling -----------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True

    def compute_output_shape(self, input_shape):
        """Shape inference. The default runs ``call`` on a batch of one zero example."""
        from striate.autodiff import no_grad
        xp = backend.xp()
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        zeros = [Tensor._make(xp.zeros((1,) + tuple(s[1:]), dtype=self.dtype), None) for s in shapes]
        inferring, _inferring_shapes[0] = _inferring_shapes[0], True
        try:
            with no_grad():
                out = self.call(zeros if isinstance(input_shape, list) else zeros[0])
        finally:
            _inferring_shapes[0] = inferring
        outs = out if isinstance(out, (list, tuple)) else [out]
        res = [(None,) + tuple(o.shape[1:]) for o in outs]
        return res if isinstance(out, (list, tuple)) else res[0]

    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, inputs, *args, training=None, **kwargs):
        if _outermost[0] is None and not _is_symbolic(inputs):
            return self._outermost_call(inputs, args, training, kwargs)
        if isinstance(inputs, Tensor):  # the common case first: one eager input
            many, x = False, inputs
        elif _is_symbolic(inputs):
            return self._symbolic_call(inputs, args, kwargs)
        else:
            many = isinstance(inputs, (list, tuple))
            x = [_as_tensor(t, self.dtype) for t in inputs] if many else _as_tensor(inputs, self.dtype)
        if not self.built:
            self._check_input_spec(x.shape if not many else None)
            self._maybe_build([t.shape for t in x] if many else x.shape)
        self._check_input_spec(x.shape if not many else None)
        if _call_takes(type(self), "training"):
            # NOTE: as in Keras, a call that does not say (a layer or model called directly) runs as
            # ``call``'s own default: inference for most layers, augmentation for the random image layers
            kwargs["training"] = bool(training) if training is not None else _call_args(type(self))[2]
        return self.call(x, *args, **kwargs)

    def _outermost_call(self, inputs, args, training, kwargs):
        if len(_loss_holders):
            self._clear_losses()
        _outermost[0] = self
        try:
            return self(inputs, *args, training=training, **kwargs)
        finally:
            _outermost[0] = None

    def _check_input_spec(self, shape):
        if self.input_spec is not None and shape is not None:
            problem = self.input_spec.problem(tuple(shape))
            if problem:
                raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs with {problem}, "
                                 f"received shape {tuple(shape)}")

    def _symbolic_call(self, inputs, args, kwargs):
        many = isinstance(inputs, (list, tuple))
        flat = list(inputs) if many else [inputs]
        shapes = [t.shape for t in flat] if many else flat[0].shape
        if not self.built:
            self._check_input_spec(None if many else shapes)
            self._maybe_build(shapes)
        self._check_input_spec(None if many else shapes)
        out_shape = self.compute_output_shape(shapes)
        multi_out = isinstance(out_shape, list)
        outs = [KerasTensor(s, self.dtype) for s in (out_shape if multi_out else [out_shape])]
        node = Node(self, flat, outs, many, dict(kwargs, **({"args": args} if args else {})))
        self._inbound_nodes.append(node)
        return outs if multi_out else outs[0]

    # -- description ----------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = self._input_shape_arg
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def output(self):
        return self._inbound_nodes[0].outputs[0] if self._inbound_nodes else None

    @property
    def input(self):
        return self._inbound_nodes[0].inputs[0] if self._inbound_nodes else None

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _as_tensor(x, dtype):
    if isinstance(x, Tensor):
        return x
    a = backend.asarray(x)
    if a.dtype != dtype and a.dtype.kind in "iubf":  # uint8 images, float64 arrays: cast as Keras does
        a = a.astype(dtype)
    return Tensor._make(a, None)
