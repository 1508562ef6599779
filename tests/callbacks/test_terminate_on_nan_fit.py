"""TerminateOnNaN inside a real fit: the run stops, and fit does not repeat the news as a warning."""
import warnings

import numpy as np

import striate as keras


def test_fit_stopped_by_terminate_on_nan_does_not_warn(capsys):
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e20), loss="mse")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        history = model.fit(np.ones((64, 2)), np.ones(64), epochs=5, batch_size=32, verbose=0,
                            callbacks=[keras.callbacks.TerminateOnNaN()])
    assert history.epoch == [0] and not np.isfinite(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"
    assert not [w for w in record if "training loss became" in str(w.message)]
