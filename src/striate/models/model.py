"""Model: a graph of layers (functional API) or a subclass with its own ``call``."""
from striate.layers.core import InputLayer
from striate.models import fusion
from striate.layers.graph import graph_order  # noqa: F401  (models.model.graph_order, as before)
from striate.layers.layer import KerasTensor, Layer, unique_name
from striate.trainers.trainer import Trainer
from striate.utils.naming import snake_case


def _flatten(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def last_reads(nodes, outputs):
    """For each of ``nodes`` (in running order), the ids of the tensors that no later node reads and that
    are not among ``outputs``: a forward pass can drop them once that node has run."""
    last = {}
    for position, node in enumerate(nodes):
        for t in node.inputs:
            last[id(t)] = position
    done = [[] for _ in nodes]
    kept = {id(t) for t in outputs}
    for key, position in last.items():
        if key not in kept:
            done[position].append(key)
    return done


class Model(Trainer, Layer):
    """A model: layers connected from inputs to outputs, with training (``compile``/``fit``).

    Functional: ``Model(inputs, outputs)`` where both come from calling layers on ``Input``s.
    Subclassed: define layers in ``__init__`` and the computation in ``call``.

    Example:
        >>> inputs = keras.Input(shape=(100,))
        >>> x = keras.layers.Dense(64, activation="relu")(inputs)
        >>> model = keras.Model(inputs=inputs, outputs=keras.layers.Dense(10, activation="softmax")(x))
        >>> model.output_shape
        (None, 10)
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        trainable = kwargs.pop("trainable", True)
        default = "functional" if inputs is not None else unique_name_base(type(self))
        Layer.__init__(self, name=name or unique_name(default), trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._functional = inputs is not None
        if self._functional:
            self._set_graph(inputs, outputs)

    def _set_graph(self, inputs, outputs):
        if outputs is None:
            raise ValueError("Model(inputs, outputs): outputs are missing")
        self._nested_inputs, self._nested_outputs = inputs, outputs
        self.inputs, self.outputs = _flatten(inputs), _flatten(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: inputs and outputs must be symbolic tensors from Input() and layer "
                                f"calls, received {type(t).__name__}")
        self._layers, _, nodes = graph_order(self.inputs, self.outputs)
        check_unique_names(self, self._layers)
        self._nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        self._fused = fusion.plan(self._nodes, self.outputs)
        self._done_after = last_reads(self._nodes, self.outputs)
        self.built = True

    @property
    def layers(self):
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r} in model '{self.name}'. Layers: "
                         f"{', '.join(l.name for l in self.layers)}")

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes if isinstance(self._nested_inputs, (list, tuple)) else shapes[0]

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes if isinstance(self._nested_outputs, (list, tuple)) else shapes[0]

    def call(self, inputs, training=None):
        if not self._functional:
            raise NotImplementedError(f"Model '{self.name}': a subclassed model must define call()")
        flat = _flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), received {len(flat)}")
        for t, x in zip(self.inputs, flat):
            expected = t.shape
            if len(x.shape) != len(expected) or any(e is not None and e != n for e, n in zip(expected[1:], x.shape[1:])):
                raise ValueError(f"Model '{self.name}' input '{t.name}' expects shape {expected} (the first axis "
                                 f"is the batch), received shape {tuple(x.shape)}")
        return self._run(flat, training)

    def _run(self, flat, training):
        """The layers' calls in graph order, from the checked inputs ``flat`` (one per model input)."""
        values = {id(t): x for t, x in zip(self.inputs, flat)}
        for node, done in zip(self._nodes, self._done_after):
            arg = [values[id(t)] for t in node.inputs] if node.is_list else values[id(node.inputs[0])]
            run = self._fused.get(id(node))
            if run is not None:  # one of a pair of layers computed as one op (models/fusion.py)
                out = run(node.layer, arg, training)
            else:
                out = node.layer(arg, training=training, **node.kwargs)
            del arg
            if len(node.outputs) == 1 and not isinstance(out, (list, tuple)):  # the common case, without a list
                values[id(node.outputs[0])] = out
            else:
                for t, o in zip(node.outputs, _flatten(out)):
                    values[id(t)] = o
            for key in done:  # no later layer reads these: let them go (predict's peak memory)
                del values[key]
        outs = [values[id(t)] for t in self.outputs]
        return outs if isinstance(self._nested_outputs, (list, tuple)) else outs[0]

    def compute_output_shape(self, input_shape):
        if not self._functional:
            return Layer.compute_output_shape(self, input_shape)
        shapes = {id(t): s for t, s in zip(self.inputs, input_shape if isinstance(input_shape, list) else [input_shape])}
        for node in self._nodes:
            args = [shapes[id(t)] for t in node.inputs]
            out = node.layer.compute_output_shape(args if node.is_list else args[0])
            for t, s in zip(node.outputs, out if isinstance(out, list) else [out]):
                shapes[id(t)] = s
        outs = [shapes[id(t)] for t in self.outputs]
        return outs if isinstance(self._nested_outputs, (list, tuple)) else outs[0]

    def build(self, input_shape):
        if not self._functional:
            self.compute_output_shape(input_shape)  # runs call once on zeros, which builds every sublayer
        self.built = True

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None, *, show_flops=False, show_memory=False, batch_size=1):
        """Print a table of layers, output shapes and parameter counts, as Keras 3 does.

        Args:
            line_length: the table's width; default 88 (108 for a graph that is not a chain), at most the
                terminal's width less 4.
            positions: where each column ends, as fractions of the line (or absolute characters).
            print_fn: called with each line; default ``print``.
            expand_nested: also list the layers of nested models, indented.
            show_trainable: add a "Trainable" column (Y, N, or - for a layer without weights).
            layer_range: two layer names (or regular expressions): list only the layers between them.
            show_flops: add each layer's forward FLOPs for ``batch_size`` examples and their total (a
                multiply-add counts 2; the rules are in ``striate.models.summary``).
            show_memory: add the bytes of each layer's output for ``batch_size`` examples and their total.
            batch_size: the batch the FLOPs and the activation memory are counted for.

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
            >>> model.summary(show_flops=True, show_memory=True, batch_size=32)  # doctest: +ELLIPSIS
            Model: "sequential..."
            ...
             Total FLOPs (batch 32): 501,760 (501.76 KFLOPs)
             Activation memory (batch 32): 1.25 KB
        """
        from striate.models.summary import summary
        summary(self, line_length, positions, print_fn, expand_nested, show_trainable, layer_range,
                show_flops=show_flops, show_memory=show_memory, batch_size=batch_size)

    # -- saving (the work is in striate.saving) ---------------------------------------------------
    def get_config(self):
        """Keras 3's config: for a functional model its layers and the calls connecting them."""
        if not self._functional:
            return {"name": self.name, "trainable": self.trainable}
        from striate.saving.model_config import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model from :meth:`get_config`'s output (Keras 3's functional configs too)."""
        if "layers" in config:
            from striate.saving.model_config import functional_from_config
            return functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def get_compile_config(self):
        """The arguments ``compile()`` was given, serialized (``None`` if not compiled)."""
        from striate.saving.model_config import compile_config
        return compile_config(self)

    def compile_from_config(self, config):
        """``compile()`` with the arguments of a :meth:`get_compile_config` dict."""
        from striate.saving.model_config import compile_from_config
        compile_from_config(self, config)

    def to_json(self, **kwargs):
        """The model's architecture (Keras 3's format) as a JSON string; ``kwargs`` go to ``json.dumps``.

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
            >>> model.to_json()[:50]
            '{"module": "keras", "class_name": "Sequential", "c'
            >>> keras.models.model_from_json(model.to_json()).output_shape
            (None, 2)
        """
        import json
        from striate.saving import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)

    def to_yaml(self, **kwargs):
        """The model's architecture as a YAML string (needs PyYAML); ``kwargs`` go to ``yaml.safe_dump``."""
        from striate.saving import serialize_keras_object
        from striate.models import _yaml
        return _yaml().safe_dump(serialize_keras_object(self), **kwargs)

    def save(self, filepath, overwrite=True, **kwargs):
        """Save architecture, weights, compile settings and optimizer state as a ``.keras`` archive.

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
            >>> model.save("model.keras")
            >>> keras.models.load_model("model.keras").output_shape
            (None, 2)
        """
        if kwargs:
            raise TypeError(f"save() got unexpected keyword arguments {sorted(kwargs)}")
        from striate.saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights: ``.weights.h5`` (Keras 3), ``.h5`` (Keras 2 layout) or ``.npz``.

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
            >>> model.save_weights("model.weights.h5")
        """
        from striate.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights from a ``.weights.h5``, ``.h5``, ``.npz`` or ``.keras`` file (all or nothing).

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
            >>> model.save_weights("model.weights.h5")
            >>> copy = keras.models.clone_model(model)  # the same layers, new random weights
            >>> copy.load_weights("model.weights.h5")
            >>> np.array_equal(copy.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
            True
        """
        from striate.saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)


def check_unique_names(model, layers):
    """Refuse two of ``model``'s direct ``layers`` with one name: saved configs and weight files find
    layers by name, so such a model would save but not load (a nested model's layers count apart)."""
    first = {}
    for position, layer in enumerate(layers):
        other = first.setdefault(layer.name, (position, layer))
        if other[1] is not layer:
            raise ValueError(f"{type(model).__name__} '{model.name}' expects unique layer names, received two "
                             f"layers named '{layer.name}': {type(other[1]).__name__} (layer {other[0]}) and "
                             f"{type(layer).__name__} (layer {position}); give one of them another name=")


def unique_name_base(cls):
    return "model" if cls is Model else snake_case(cls.__name__)
