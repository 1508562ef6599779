"""CallbackList: dispatches every event to a list of callbacks."""
from striate.callbacks.callback import Callback
from striate.callbacks.loggers import History, ProgbarLogger


def _as_float(value):
    if isinstance(value, str):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _pythonify(logs):
    """A copy of ``logs`` with every value that converts to a float (arrays of one element,
    NumPy or CuPy scalars) as a Python float; other values are kept as they are."""
    return {key: _as_float(value) for key, value in (logs or {}).items()}


_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
          "on_predict_begin", "on_predict_end")
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
_BATCH_HOOKS = tuple(f"on_{mode}batch_{when}" for mode in ("", "train_", "test_", "predict_")
                     for when in ("begin", "end"))


class CallbackList(Callback):
    """Calls every callback of a list, in order, with one shared ``logs`` dict per event.

    Because the dict is shared, keys a callback adds (``ReduceLROnPlateau`` adds
    ``learning_rate``) are seen by the callbacks after it, ``History`` included.

    Args:
        callbacks: a list of :class:`Callback`.
        add_history: append a :class:`History` unless the list has one; it becomes
            ``model.history``.
        add_progbar: append a :class:`ProgbarLogger` unless the list has one.
        model: the model, given to every callback.
        **params: the training parameters, given to every callback when not empty.

    Example:
        >>> import striate as keras
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> cbs = keras.callbacks.CallbackList([keras.callbacks.EarlyStopping()], add_history=True, model=model,
        ...                                    epochs=10, steps=100, verbose=1)
        >>> cbs.on_train_begin()
        >>> model.history is cbs.callbacks[-1]
        True
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"CallbackList expects Callback instances, received "
                                f"{type(cb).__name__}")
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        """Add ``callback`` at the end of the list."""
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def hooked(self, name):
        """Whether any callback acts on event ``name`` (overrides it, or the older alias that it calls
        by default), so that a loop can skip the event, and the logs made for it, when none does.

        NOTE: ``fit`` asks once per call, after ``on_train_begin`` (as Keras 2's CallbackList did). Each
        batch's logs cost a metric result each and a dict, for nothing with the default callbacks
        (History, and a progress bar only when ``verbose``).
        """
        alias = _ALIASES.get(name)
        return any(_overrides(cb, name) or (alias is not None and _overrides(cb, alias)) for cb in self.callbacks)

    def set_params(self, params):
        """Give ``params`` to every callback (ignored when empty)."""
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model):
        """Give ``model`` to every callback; the list's History becomes ``model.history``."""
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, name):
    """Whether ``callback``'s ``name`` is its own (set on the instance, or a subclass's method) rather
    than :class:`Callback`'s, which does nothing (or calls its alias)."""
    return name in vars(callback) or getattr(type(callback), name) is not getattr(Callback, name)


def _dispatch(name, with_index):
    # a prediction batch's logs hold its outputs, arrays that stay arrays (one of a single value too)
    convert = _pythonify if name != "on_predict_batch_end" else dict
    if with_index:
        def hook(self, index, logs=None):
            logs = convert(logs or {})
            for cb in self.callbacks:
                getattr(cb, name)(index, logs)
    else:
        def hook(self, logs=None):
            logs = _pythonify(logs)
            for cb in self.callbacks:
                getattr(cb, name)(logs)
    hook.__name__ = name
    hook.__doc__ = f"Call ``{name}`` of every callback."
    return hook


for _name in _HOOKS:
    setattr(CallbackList, _name, _dispatch(_name, with_index=False))
for _name in _EPOCH_HOOKS + _BATCH_HOOKS:
    setattr(CallbackList, _name, _dispatch(_name, with_index=True))
