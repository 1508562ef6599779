"""Lambda: a Python function as a layer, for models built in code.

Saving writes the function by name only, never its code; loading refuses a Lambda layer whatever the
file says (see ``striate.saving.serialization.lambda_refused``): rebuild the model in code and load
its weights.
"""
import inspect

from striate.layers.layer import Layer

__all__ = ["Lambda"]


class Lambda(Layer):
    """Wrap a function of tensors as a layer: ``Lambda(lambda x: x / 255.0)``.

    Works in Sequential and functional models, in training too (gradients flow through the ops the
    function uses). A model holding one saves (``model.save``, ``to_json``) with the function recorded
    by name, no code; striate refuses to load such a file as a model, since it never runs code read
    from a file, even Keras's marshalled bytecode with ``safe_mode=False``: rebuild the model in code
    and load only its weights (``model.load_weights`` reads ``.keras`` files too). For a layer that
    saves and loads, subclass :class:`Layer` and register it.

    Args:
        function: called as ``function(inputs, **arguments)``, with ``training=`` too where it takes
            that argument.
        output_shape: the output's shape without the batch axis (a tuple, or a list of tuples for
            several outputs), or a function of the input shape giving the whole shape; by default found
            by running ``function`` on a batch of one zero example.
        mask: only ``None`` (striate has no masking).
        arguments: a dict of keyword arguments for ``function``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Lambda(lambda x: x * 2.0 + 1.0)])
        >>> model.predict(np.ones((1, 4), "float32"), verbose=0)
        array([[3., 3., 3., 3.]], dtype=float32)
        >>> keras.layers.Lambda(keras.ops.sum, arguments={"axis": -1})(keras.Input(shape=(3, 5))).shape
        (None, 3)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': function must be callable, received {function!r}")
        if mask is not None:
            raise ValueError(f"Lambda '{self.name}': mask must be None (striate has no masking), received {mask!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda '{self.name}': arguments must be a dict of keyword arguments, received "
                            f"{arguments!r}")
        self.function, self.arguments, self.mask, self._output_shape = function, dict(arguments or {}), None, \
            output_shape
        try:
            self._takes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # a callable whose signature Python cannot read
            self._takes_training = False

    def call(self, inputs, training=None):
        kwargs = dict(self.arguments, training=training) if self._takes_training else self.arguments
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        if self._output_shape is not None:
            batch = (input_shape[0] if isinstance(input_shape, list) else input_shape)[0]
            shape = self._output_shape
            if all(isinstance(n, int) or n is None for n in shape):
                return (batch,) + tuple(shape)
            return [(batch,) + tuple(s) for s in shape]
        try:
            return super().compute_output_shape(input_shape)
        except Exception as e:
            raise NotImplementedError(f"Lambda '{self.name}': could not infer the output shape by running the "
                                      f"function on zeros of shape {input_shape} ({type(e).__name__}: {e}); pass "
                                      "output_shape") from e

    def get_config(self):
        from striate.saving.serialization import serialize_keras_object
        config = {**super().get_config(), "function": _by_name(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = _by_name(self._output_shape) if callable(self._output_shape) \
                else self._output_shape
        config["arguments"] = serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config):
        from striate.saving.serialization import lambda_refused
        raise lambda_refused(config.get("name") if isinstance(config, dict) else None)


def _by_name(fn):
    """Keras's config entry of a named function: its module and name, no code (a lambda is '<lambda>')."""
    from striate.saving.registry import get_registered_name
    name = get_registered_name(fn) or type(fn).__name__
    return {"module": getattr(fn, "__module__", None), "class_name": "function", "config": name,
            "registered_name": name}
