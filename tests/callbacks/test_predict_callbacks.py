"""The callback events of predict, evaluate and fit's validation, in Keras 3's order (the same
recording callback run on a Keras model, torch backend), predict's batch outputs and its progress bar."""
import re

import keras as real_keras
import numpy as np
import pytest

import striate

rng = np.random.default_rng(0)
X = rng.random((10, 4)).astype("float32")
Y = rng.random((10, 2)).astype("float32")
BAR = "━" * 20


def model_of(lib, outputs=1):
    inputs = lib.Input(shape=(4,))
    heads = [lib.layers.Dense(2)(inputs) for _ in range(outputs)]
    model = lib.Model(inputs, heads if outputs > 1 else heads[0])
    model.compile(optimizer="sgd", loss="mse")
    return model


def recorder(lib):
    class Recorder(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.events, self.outputs = [], []

        def _log(self, name, *args):
            self.events.append((name,) + args)

        def on_train_begin(self, logs=None): self._log("train_begin")
        def on_train_end(self, logs=None): self._log("train_end")
        def on_epoch_begin(self, epoch, logs=None): self._log("epoch_begin", epoch)
        def on_epoch_end(self, epoch, logs=None): self._log("epoch_end", epoch)
        def on_train_batch_begin(self, batch, logs=None): self._log("train_batch_begin", batch)
        def on_train_batch_end(self, batch, logs=None): self._log("train_batch_end", batch)
        def on_test_begin(self, logs=None): self._log("test_begin")
        def on_test_end(self, logs=None): self._log("test_end", sorted(logs))
        def on_test_batch_begin(self, batch, logs=None): self._log("test_batch_begin", batch)
        def on_test_batch_end(self, batch, logs=None): self._log("test_batch_end", batch)
        def on_predict_begin(self, logs=None): self._log("predict_begin")
        def on_predict_end(self, logs=None): self._log("predict_end")
        def on_predict_batch_begin(self, batch, logs=None): self._log("predict_batch_begin", batch)

        def on_predict_batch_end(self, batch, logs=None):
            self._log("predict_batch_end", batch, sorted(logs))
            self.outputs.append(logs["outputs"])

    return Recorder()


def events(lib, run):
    real_keras.utils.set_random_seed(0)
    model, cb = model_of(lib), recorder(lib)
    run(model, cb)
    return cb.events


@pytest.mark.parametrize("name,run", [
    ("predict", lambda m, cb: m.predict(X, batch_size=4, verbose=0, callbacks=[cb])),
    ("evaluate", lambda m, cb: m.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[cb])),
    ("fit_validation_split", lambda m, cb: m.fit(X, Y, batch_size=3, epochs=2, validation_split=0.3, verbose=0,
                                                 callbacks=[cb])),
    ("fit_validation_freq", lambda m, cb: m.fit(X, Y, batch_size=4, epochs=3, validation_data=(X, Y),
                                                validation_freq=2, verbose=0, callbacks=[cb])),
])
def test_events_are_keras_events(name, run):
    assert events(striate, run) == events(real_keras, run)


def test_fit_wraps_each_validation_pass_in_test_begin_and_end():
    got = events(striate, lambda m, cb: m.fit(X, Y, batch_size=5, epochs=2, validation_data=(X[:4], Y[:4]),
                                             verbose=0, callbacks=[cb]))
    validation = [e for e in got if e[0].startswith("test")]
    assert validation == [("test_begin",), ("test_batch_begin", 0), ("test_batch_end", 0),
                          ("test_end", ["loss"])] * 2
    assert got.index(("test_begin",)) > got.index(("train_batch_end", 1))
    assert got.index(("test_end", ["loss"])) < got.index(("epoch_end", 0))


@pytest.mark.parametrize("outputs", [1, 2])
def test_predict_batch_logs_hold_the_batch_outputs(outputs):
    model, cb = model_of(striate, outputs), recorder(striate)
    result = model.predict(X, batch_size=4, verbose=0, callbacks=[cb])
    assert [len(o if outputs == 1 else o[0]) for o in cb.outputs] == [4, 4, 2]
    if outputs == 1:
        np.testing.assert_array_equal(np.concatenate(cb.outputs), result)
    else:
        for k in range(outputs):
            np.testing.assert_array_equal(np.concatenate([o[k] for o in cb.outputs]), result[k])


def test_a_one_value_batch_output_stays_an_array():
    model = striate.Sequential([striate.Input(shape=(4,)), striate.layers.Dense(1)])
    cb = recorder(striate)
    model.predict(X[:1], verbose=0, callbacks=[cb])
    assert isinstance(cb.outputs[0], np.ndarray) and cb.outputs[0].shape == (1, 1)


def test_a_callback_can_stop_predicting():
    class StopAfterOne(striate.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            self.model.stop_predicting = True

    assert model_of(striate).predict(X, batch_size=4, verbose=0, callbacks=[StopAfterOne()]).shape == (4, 2)


@pytest.mark.parametrize("verbose,pattern", [
    ("auto", rf"3/3 {BAR} \d+s \d+(us|ms|s)/step\n"),
    (1, rf"3/3 {BAR} \d+s \d+(us|ms|s)/step\n"),
    (2, r"3/3 - \d+s - \d+(us|ms|s)/step\n"),
    (0, r""),
])
def test_predict_shows_progress_as_keras(capsys, verbose, pattern):
    model_of(striate).predict(X, batch_size=4, verbose=verbose)
    assert re.fullmatch(pattern, capsys.readouterr().out)
