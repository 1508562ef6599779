import numpy as np
import pytest

from fake_model import FakeModel
from striate import callbacks


class Recorder(callbacks.Callback):
    """Records every call it receives."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("on_") and name not in ("on_train_batch_begin", "on_train_batch_end"):
            log = super().__getattribute__("log")

            def record(*args, **kwargs):
                log.append((name, *args, *kwargs.values()))
                return attr(*args, **kwargs)
            return record
        return attr


def test_callback_list_calls_every_callback_in_order_with_shared_logs():
    log = []
    first, second = Recorder(log), Recorder(log)
    cbs = callbacks.CallbackList([first, second], model=FakeModel(), epochs=2, steps=1, verbose=0)
    assert first.params == {"epochs": 2, "steps": 1, "verbose": 0} and first.model is cbs.model
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": np.float32(0.5)})
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 0.25})
    cbs.on_test_end({"loss": 0.25})
    cbs.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25})
    cbs.on_train_end()
    names = [entry[0] for entry in log]
    assert names == [
        "on_train_begin", "on_train_begin", "on_epoch_begin", "on_epoch_begin",
        "on_batch_begin", "on_batch_begin",            # the train-batch hooks call the aliases
        "on_batch_end", "on_batch_end",
        "on_test_begin", "on_test_begin", "on_test_batch_end", "on_test_batch_end",
        "on_test_end", "on_test_end", "on_epoch_end", "on_epoch_end",
        "on_train_end", "on_train_end"]
    batch_logs = [entry[2] for entry in log if entry[0] == "on_batch_end"]
    assert batch_logs[0] is batch_logs[1] and batch_logs[0] == {"loss": 0.5}
    assert type(batch_logs[0]["loss"]) is float


def test_later_callbacks_and_history_see_keys_added_by_earlier_ones():
    model = FakeModel(0.1)
    cbs = callbacks.CallbackList([callbacks.ReduceLROnPlateau(monitor="loss")],
                                 add_history=True, add_progbar=True, model=model,
                                 epochs=1, steps=1, verbose=0)
    assert [type(cb).__name__ for cb in cbs] == ["ReduceLROnPlateau", "History", "ProgbarLogger"]
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_train_end()
    assert model.history.history == {"loss": [1.0], "learning_rate": [0.1]}


def test_callback_list_keeps_the_users_history_and_progbar():
    history, bar = callbacks.History(), callbacks.ProgbarLogger()
    model = FakeModel()
    cbs = callbacks.CallbackList([history, bar], add_history=True, add_progbar=True, model=model)
    assert cbs.callbacks == [history, bar] and model.history is history


def test_callback_list_pythonifies_logs():
    seen = {}
    cbs = callbacks.CallbackList([callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.update(logs))])
    cbs.on_epoch_end(0, {"loss": np.array(0.5), "acc": np.float64(1), "name": "x",
                         "vec": np.arange(3)})
    assert seen["loss"] == 0.5 and type(seen["loss"]) is float and type(seen["acc"]) is float
    assert seen["name"] == "x" and seen["vec"].tolist() == [0, 1, 2]


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match="Callback instances, received function"):
        callbacks.CallbackList([lambda: None])


def test_base_callback_does_nothing_and_keeps_model_and_params():
    cb = callbacks.Callback()
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"epochs": 1})
    for name in dir(cb):
        if name.startswith("on_"):
            hook = getattr(cb, name)
            hook(0, {}) if "batch" in name or "epoch" in name else hook({})
    assert cb.model is model and cb.params == {"epochs": 1} and not model.stop_training


def test_lambda_callback():
    calls = []
    cb = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch, logs["loss"])),
        on_train_end=lambda logs: calls.append(("end",)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
        on_test_end=lambda logs: calls.append(("test",)))
    cbs = callbacks.CallbackList([cb])
    cbs.on_train_begin()
    cbs.on_train_batch_end(3, {"loss": 1.0})
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_test_end()
    cbs.on_train_end()
    assert calls == [("batch", 3), ("epoch", 0, 0.5), ("test",), ("end",)]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="unknown hook 'on_epoch_finish'"):
        callbacks.LambdaCallback(on_epoch_finish=print)


class _AliasOnly(callbacks.Callback):
    def on_batch_end(self, batch, logs=None):
        pass


def test_hooked_says_which_events_some_callback_acts_on():
    # NOTE: fit skips a batch event, and the logs made for it, when no callback acts on it
    quiet = callbacks.CallbackList([], add_history=True, model=FakeModel())  # fit(verbose=0)'s list
    assert not quiet.hooked("on_train_batch_begin") and not quiet.hooked("on_train_batch_end")
    assert callbacks.CallbackList([], add_history=True, add_progbar=True).hooked("on_train_batch_end")
    assert callbacks.CallbackList([_AliasOnly()]).hooked("on_train_batch_end")   # through the Keras 2 alias
    assert not callbacks.CallbackList([_AliasOnly()]).hooked("on_train_batch_begin")
    lam = callbacks.CallbackList([callbacks.LambdaCallback(on_train_batch_begin=print)])
    assert lam.hooked("on_train_batch_begin") and not lam.hooked("on_train_batch_end")
    assert callbacks.CallbackList([callbacks.ModelCheckpoint("m.keras", save_freq=2)]).hooked(
        "on_train_batch_end")
