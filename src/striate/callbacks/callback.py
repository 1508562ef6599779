"""The callback base class, and LambdaCallback."""


class Callback:
    """Base class of objects that hook into ``fit``, ``evaluate`` and ``predict``.

    Subclasses override any of the ``on_*`` methods. The trainer calls ``set_model`` and
    ``set_params`` (``{"epochs": E, "steps": S, "verbose": v}``) before training. ``logs`` are
    dicts of Python floats: ``loss``, metrics, and ``val_``-prefixed ones at the end of an epoch.

    Attributes:
        model: the model being trained; callbacks may read ``model.stop_training``,
            ``model.get_weights()``, ``model.set_weights()`` and ``model.optimizer``.
        params: the dict given to ``set_params``.

    Example:
        >>> class PrintLoss(keras.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, round(logs["loss"], 4))
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, callbacks=[PrintLoss()], verbose=0)
        0 1.0
        1 0.8836
    """

    def __init__(self):
        self.model = None
        self.params = None

    def set_params(self, params):
        """Receive the training parameters (``epochs``, ``steps``, ``verbose``)."""
        self.params = params

    def set_model(self, model):
        """Receive the model the callback acts on."""
        self.model = model

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends, with the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of epoch ``epoch`` with its logs (validation ones prefixed ``val_``)."""

    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` (or ``fit``'s validation) starts."""

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` (or ``fit``'s validation) ends, with its logs."""

    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends."""

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin``, kept for older code."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end``, kept for older code."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch ``batch`` of the epoch; by default calls ``on_batch_begin``."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after training batch ``batch``, with the epoch's running metrics so far;
        by default calls ``on_batch_end``."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before evaluation batch ``batch``."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after evaluation batch ``batch`` with the running metrics so far."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before prediction batch ``batch``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after prediction batch ``batch``."""


class LambdaCallback(Callback):
    """A callback made of plain functions, one per event.

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``.
        on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``.
        **kwargs: any other ``on_*`` method of :class:`Callback`, with its arguments.

    Example:
        >>> print_loss = keras.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: print(epoch, round(logs["loss"], 4)))
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, callbacks=[print_loss], verbose=0)
        0 1.0
        1 0.8836
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if not (name.startswith("on_") and callable(getattr(Callback, name, None))):
                raise ValueError(f"LambdaCallback received unknown hook {name!r}; expected one "
                                 "of the on_* methods of Callback")
            if fn is not None:
                setattr(self, name, fn)
