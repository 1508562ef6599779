"""Model: a graph of layers (functional API) or a subclass with its own ``call``."""
from striate.layers.core import InputLayer
from striate.layers.layer import KerasTensor, Layer, unique_name
from striate.trainers.trainer import Trainer
from striate.utils.naming import snake_case


def _flatten(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _graph_nodes(inputs, outputs):
    """The nodes between ``inputs`` and ``outputs``, each after the nodes that feed it."""
    order, seen, stack = [], set(), [(t.node, False) for t in reversed(outputs)]
    input_ids = {id(t) for t in inputs}
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for t in node.inputs:
            if id(t) not in input_ids:
                if t.node is None or (isinstance(t.node.layer, InputLayer) and id(t) not in input_ids):
                    raise ValueError(f"Model: output depends on {t}, which is not among the model's inputs")
                stack.append((t.node, False))
    return [n for n in order if not isinstance(n.layer, InputLayer)]


class Model(Trainer, Layer):
    """A model: layers connected from inputs to outputs, with training (``compile``/``fit``).

    Functional: ``Model(inputs, outputs)`` where both come from calling layers on ``Input``s.
    Subclassed: define layers in ``__init__`` and the computation in ``call``.

    Example:
        >>> inputs = Input(shape=(100,))
        >>> x = Dense(64, activation="relu")(inputs)
        >>> model = Model(inputs=inputs, outputs=Dense(10, activation="softmax")(x))
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
        self._nodes = _graph_nodes(self.inputs, self.outputs)
        input_layers = [t.node.layer for t in self.inputs]
        layers = input_layers + [n.layer for n in self._nodes]
        self._layers = []
        for layer in layers:
            if all(layer is not l for l in self._layers):
                self._layers.append(layer)
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

    def call(self, inputs, training=False):
        if not self._functional:
            raise NotImplementedError(f"Model '{self.name}': a subclassed model must define call()")
        values = {}
        flat = _flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), received {len(flat)}")
        for t, x in zip(self.inputs, flat):
            expected = t.shape
            if len(x.shape) != len(expected) or any(e is not None and e != n for e, n in zip(expected[1:], x.shape[1:])):
                raise ValueError(f"Model '{self.name}' input '{t.name}' expects shape {expected} (the first axis "
                                 f"is the batch), received shape {tuple(x.shape)}")
            values[id(t)] = x
        for node in self._nodes:
            args = [values[id(t)] for t in node.inputs]
            out = node.layer(args if node.is_list else args[0], training=training, **node.kwargs)
            for t, o in zip(node.outputs, _flatten(out)):
                values[id(t)] = o
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

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False):
        """Print a table of layers, output shapes and parameter counts, as Keras 3 does."""
        from striate.models.summary import summary
        summary(self, print_fn=print_fn, line_length=line_length)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}


def unique_name_base(cls):
    return "model" if cls is Model else snake_case(cls.__name__)
