"""Sequential: a plain stack of layers, each feeding the next."""
from striate.layers.core import InputLayer
from striate.layers.layer import KerasTensor, Layer, unique_name
from striate.models.model import Model, check_unique_names


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: optional list of layers (an ``Input(...)`` first fixes the input shape).
        name: default ``sequential``, ``sequential_1``, ...

    Example:
        >>> model = keras.Sequential()
        >>> model.add(keras.layers.Dense(units=64, activation="relu", input_dim=100))
        >>> model.add(keras.layers.Dense(units=10, activation="softmax"))
        >>> model.output_shape
        (None, 10)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        Model.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        self._stack = []
        self._input_layer = None
        self.built = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer, rebuild=True):
        """Append a layer (or an ``Input``) to the stack."""
        if isinstance(layer, KerasTensor) and isinstance(getattr(layer.node, "layer", None), InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(f"Sequential '{self.name}': an Input can only be the first layer")
            self._input_layer = layer
        elif isinstance(layer, Layer):
            if any(layer is l for l in self._stack):
                raise ValueError(f"Sequential '{self.name}': layer '{layer.name}' is already in the model")
            check_unique_names(self, self._stack + [layer])
            if not self._stack and self._input_layer is None and layer._input_shape_arg is not None:
                self._input_layer = InputLayer(batch_shape=layer._input_shape_arg)
            self._stack.append(layer)
        else:
            raise TypeError(f"Sequential.add expects a Layer, received {type(layer).__name__}")
        if rebuild:
            self._rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise IndexError(f"Sequential '{self.name}' has no layers to pop")
        layer = self._stack.pop()
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self):
        self._layers = list(self._stack)
        if self._input_layer is None or not self._stack:
            self._functional = False
            return
        x = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
        self._set_graph(self._input_layer.output, x)
        self._layers = list(self._stack)
        self._functional = True

    @property
    def layers(self):
        return list(self._stack)

    def build(self, input_shape=None):
        if self._input_layer is None:
            if input_shape is None:
                raise ValueError(f"Sequential '{self.name}' needs an input shape to build: pass Input(shape=...) "
                                 "first, input_shape= to the first layer, or call build((None, ...))")
            self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._rebuild()
        self.built = True

    def call(self, inputs, training=None):
        if not self._functional:
            self.build((None,) + tuple(inputs.shape[1:]))
        expected = self.inputs[0].shape
        shape = tuple(inputs.shape)
        if len(shape) != len(expected) or any(e is not None and e != n for e, n in zip(expected[1:], shape[1:])):
            raise ValueError(f"Sequential '{self.name}' expects input of shape {expected} (the first axis is the "
                             f"batch), received shape {shape}")
        return self._run([inputs], training)

    def get_config(self):
        """Keras 3's config: the name and the list of layers (an ``InputLayer`` first if set)."""
        from striate.saving.model_config import sequential_config
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a Sequential model from :meth:`get_config`'s output (Keras 3's and Keras 2's too)."""
        from striate.saving.model_config import sequential_from_config
        return sequential_from_config(cls, config, custom_objects)
