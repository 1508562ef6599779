import math
import warnings

import numpy as np
import pytest

from fake_model import FakeModel, run_epochs
from striate import callbacks

keras = pytest.importorskip("keras")

LOSSES = [
    [1.0, 0.9, 0.8, 0.7, 0.6, 0.5],                          # always improving
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],                          # flat
    [1.0, 0.8, 0.85, 0.9, 0.79, 0.95, 0.96, 0.97, 0.5, 0.6],
    [0.5, 0.6, 0.7, 0.4, 0.41, 0.399, 0.42, 0.43, 0.44, 0.45, 0.46],
    [2.0, 1.99995, 1.9999, 1.9, 1.89999, 1.8999, 1.95, 1.96, 1.97, 1.98, 1.99, 2.0, 1.7],
]

EARLY_STOPPING = [
    {},
    {"patience": 1},
    {"patience": 2},
    {"patience": 3, "restore_best_weights": True},
    {"patience": 2, "min_delta": 0.05},
    {"patience": 1, "baseline": 0.75},
    {"patience": 2, "baseline": 0.3, "restore_best_weights": True},
    {"patience": 1, "start_from_epoch": 3, "restore_best_weights": True},
    {"patience": 0, "min_delta": 1e-4},
]


@pytest.mark.parametrize("losses", LOSSES)
@pytest.mark.parametrize("kwargs", EARLY_STOPPING)
@pytest.mark.parametrize("mode", ["auto", "min", "max"])
def test_early_stopping_matches_keras(losses, kwargs, mode):
    if mode == "max":
        monitor, losses = "val_accuracy", [1 - v for v in losses]
        kwargs = dict(kwargs, baseline=None if kwargs.get("baseline") is None else 1 - kwargs["baseline"])
    else:
        monitor = "val_loss"
    ours_mode = "auto" if mode == "max" else mode           # striate infers max for accuracy
    ours = callbacks.EarlyStopping(monitor=monitor, mode=ours_mode, **kwargs)
    theirs = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, **kwargs)
    model, epochs, _ = run_epochs(ours, losses, monitor)
    k_model, k_epochs, _ = run_epochs(theirs, losses, monitor)
    assert epochs == k_epochs
    assert ours.stopped_epoch == theirs.stopped_epoch and ours.best_epoch == theirs.best_epoch
    for w, k_w in zip(model.weights, k_model.weights):
        np.testing.assert_array_equal(w, k_w)


def test_early_stopping_restores_best_weights_and_reports(capsys):
    cb = callbacks.EarlyStopping(monitor="val_loss", patience=2, verbose=1,
                                 restore_best_weights=True)
    model, epochs, _ = run_epochs(cb, [0.5, 0.3, 0.4, 0.35, 0.2])
    assert epochs == [0, 1, 2, 3] and model.stop_training
    assert all((w == 1).all() for w in model.weights)
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_snapshots_are_copies():
    model = FakeModel()
    cb = callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 0.1})
    model.weights[0][:] = 7                    # a model whose get_weights returned views
    cb.on_epoch_end(1, {"loss": 0.2})
    cb.on_train_end()
    assert (model.weights[0] == 0).all()


def test_early_stopping_warns_when_monitor_missing():
    cb = callbacks.EarlyStopping(monitor="val_loss")
    cb.set_model(FakeModel())
    cb.on_train_begin()
    with pytest.warns(UserWarning, match="'val_loss' which is not available. Available metrics "
                                         "are: loss,accuracy"):
        cb.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})


@pytest.mark.parametrize("monitor, maximize", [
    ("val_accuracy", True), ("sparse_categorical_accuracy", True), ("val_auc", True),
    ("val_loss", False), ("mean_squared_error", False), ("val_mae", False)])
def test_auto_mode_direction(monitor, maximize):
    cb = callbacks.EarlyStopping(monitor=monitor, patience=0)
    run_epochs(cb, [0.5, 0.6], monitor)
    assert cb.best == (0.6 if maximize else 0.5)
    assert cb.stopped_epoch == (0 if maximize else 1)


def test_auto_mode_unknown_metric_asks_for_mode():
    cb = callbacks.EarlyStopping(monitor="val_widgets")
    with pytest.raises(ValueError, match="pass mode='max' or mode='min'"):
        run_epochs(cb, [1.0, 2.0], "val_widgets")


def test_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="mode 'up' is unknown"):
        cb = callbacks.EarlyStopping(mode="up")
    assert cb.mode == "auto"


REDUCE_LR = [
    {},
    {"patience": 1},
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"patience": 1, "min_lr": 0.004, "factor": 0.5},
    {"patience": 0, "min_lr": 1e-5, "factor": 0.2},
    {"patience": 2, "min_delta": 0.05, "cooldown": 1},
    {"patience": 1, "min_delta": 0},
]


@pytest.mark.parametrize("losses", LOSSES)
@pytest.mark.parametrize("kwargs", REDUCE_LR)
@pytest.mark.parametrize("mode", ["auto", "max"])
def test_reduce_lr_on_plateau_matches_keras(losses, kwargs, mode):
    monitor = "val_loss"
    if mode == "max":
        monitor, losses = "val_accuracy", [1 - v for v in losses]
    ours = callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, **kwargs)
    theirs = keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, **kwargs)
    _, _, lrs = run_epochs(ours, losses * 3, monitor, FakeModel(0.01))
    _, _, k_lrs = run_epochs(theirs, losses * 3, monitor, FakeModel(0.01))
    np.testing.assert_allclose(lrs, k_lrs, rtol=1e-12)


def test_reduce_lr_logs_learning_rate_and_reports(capsys):
    cb = callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, verbose=1)
    model = FakeModel(0.1)
    cb.set_model(model)
    cb.on_train_begin()
    seen = []
    for epoch, loss in enumerate([1.0, 1.0, 1.0]):
        logs = {"loss": loss}
        cb.on_epoch_end(epoch, logs)
        seen.append(logs["learning_rate"])
    assert seen == [0.1, 0.1, 0.05] and model.optimizer.learning_rate == 0.025
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05.\n"
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.025.\n")


def test_reduce_lr_stops_at_a_float32_min_lr():
    model = FakeModel(np.float32(1e-3))
    cb = callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.1, min_lr=1e-4)
    run_epochs(cb, [1.0] * 5, "loss", model)
    assert model.optimizer.learning_rate == pytest.approx(1e-4)
    model.optimizer.learning_rate = np.float32(1e-4)          # what a float32 variable holds
    cb.set_model(model)
    cb.on_epoch_end(9, {"loss": 1.0})
    assert model.optimizer.learning_rate == np.float32(1e-4)


def test_reduce_lr_rejects_factor_of_one():
    with pytest.raises(ValueError, match="factor below 1.0, received 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


@pytest.mark.parametrize("schedule", [
    lambda epoch, lr: lr * 0.5 if epoch >= 2 else lr,
    lambda epoch: 0.01 * 0.5 ** max(epoch - 1, 0),
])
def test_learning_rate_scheduler(schedule):
    ours = callbacks.LearningRateScheduler(schedule)
    theirs = keras.callbacks.LearningRateScheduler(schedule)
    _, _, lrs = run_epochs(ours, [1.0] * 5)
    _, _, k_lrs = run_epochs(theirs, [1.0] * 5)
    assert lrs == k_lrs and lrs[-1] < lrs[0]


def test_learning_rate_scheduler_logs_and_reports(capsys):
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1), verbose=1)
    model = FakeModel()
    cb.set_model(model)
    cb.on_epoch_begin(1)
    logs = {"loss": 0.3}
    cb.on_epoch_end(1, logs)
    assert logs["learning_rate"] == 0.05 and model.optimizer.learning_rate == 0.05
    assert capsys.readouterr().out == "\nEpoch 2: LearningRateScheduler setting learning rate to 0.05.\n"


@pytest.mark.parametrize("returned", ["0.1", None, [0.1]])
def test_learning_rate_scheduler_rejects_non_floats(returned):
    cb = callbacks.LearningRateScheduler(lambda epoch: returned)
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="must return a float"):
        cb.on_epoch_begin(0)


def test_learning_rate_scheduler_accepts_numpy_and_int():
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: np.float32(0.5) if epoch else 1)
    model = FakeModel()
    cb.set_model(model)
    cb.on_epoch_begin(0)
    assert model.optimizer.learning_rate == 1.0
    cb.on_epoch_begin(1)
    assert model.optimizer.learning_rate == 0.5 and type(model.optimizer.learning_rate) is float


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), np.float32("-inf")])
def test_terminate_on_nan(loss, capsys):
    model = FakeModel()
    cb = callbacks.TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(3, {"loss": 0.5})
    assert not model.stop_training
    cb.on_train_batch_end(4, {"loss": loss})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 4: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise():
    cb = callbacks.TerminateOnNaN(raise_error=True)
    cb.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        cb.on_train_batch_end(2, {"loss": math.nan})
