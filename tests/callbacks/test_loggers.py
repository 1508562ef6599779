import csv
import re

import pytest

from fake_model import FakeModel
from striate import callbacks

keras = pytest.importorskip("keras")

EPOCH_LOGS = [{"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.75},
              {"loss": 0.30000000000000004, "accuracy": 0.9, "val_loss": 0.4,
               "val_accuracy": 0.85},
              {"loss": 1e-8, "accuracy": 1.0, "val_loss": float("nan"), "val_accuracy": 0.9}]


def _fit(callback, epoch_logs, start=0):
    callback.set_model(FakeModel())
    callback.on_train_begin()
    for epoch, logs in enumerate(epoch_logs, start):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end()


def test_history_records_each_epoch():
    history = callbacks.History()
    model = FakeModel()
    history.set_model(model)
    history.on_train_begin()
    for epoch, logs in enumerate(EPOCH_LOGS[:2]):
        history.on_epoch_end(epoch, logs)
    assert model.history is history and history.epoch == [0, 1]
    assert history.history["loss"] == [0.5, 0.30000000000000004]
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]


@pytest.mark.parametrize("separator", [",", ";"])
@pytest.mark.parametrize("logs", [EPOCH_LOGS,
                                  [{"loss": 0.5, "accuracy": 0.8}, {"loss": 0.4, "accuracy": 0.9}],
                                  [{"loss": 0.5, "val_loss": 0.6}, {"loss": 0.4}]])
def test_csv_logger_matches_keras(tmp_path, separator, logs):
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    _fit(callbacks.CSVLogger(ours, separator=separator), logs)
    _fit(keras.callbacks.CSVLogger(str(theirs), separator=separator), logs)
    assert ours.read_bytes() == theirs.read_bytes()


def test_csv_logger_append(tmp_path):
    path = tmp_path / "log.csv"
    _fit(callbacks.CSVLogger(path), EPOCH_LOGS[:2])
    _fit(callbacks.CSVLogger(path, append=True), [{"val_loss": 0.3, "loss": 0.2, "extra": 1}], 2)
    rows = list(csv.reader(path.open(newline="")))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1:] == [["0", "0.8", "0.5", "0.75", "0.6"],
                        ["1", "0.9", "0.30000000000000004", "0.85", "0.4"],
                        ["2", "NA", "0.2", "NA", "0.3"]]      # columns of the existing header


def test_csv_logger_rows_are_on_disk_after_each_epoch(tmp_path):
    path = tmp_path / "run" / "log.csv"                        # the folder is created
    logger = callbacks.CSVLogger(path)
    logger.set_model(FakeModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5})
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,0.5,NA"]
    logger.on_train_end()
    _fit(logger, [{"loss": 0.1}])                             # reusable: overwrites
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,0.1,NA"]


BAR = re.escape("━" * 20)


def _train(params, val=True):
    """Drive a ProgbarLogger through fit: 2 epochs of 3 steps, with validation."""
    bar = callbacks.ProgbarLogger()
    cbs = callbacks.CallbackList([bar], model=FakeModel(), **params)
    cbs.on_train_begin()
    for epoch in range(params["epochs"]):
        cbs.on_epoch_begin(epoch)
        for step in range(params["steps"]):
            cbs.on_train_batch_begin(step)
            cbs.on_train_batch_end(step, {"accuracy": 0.5, "loss": 1.0 / (step + 1)})
        logs = {"accuracy": 0.5, "loss": 0.3333}
        if val:
            cbs.on_test_begin()
            cbs.on_test_batch_end(0, {"loss": 9.0})
            cbs.on_test_end({"loss": 0.25})
            logs.update(val_accuracy=0.75, val_loss=0.25)
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end()
    return cbs


def test_progbar_logger_one_line_per_epoch_when_not_a_terminal(capsys):
    _train({"epochs": 2, "steps": 3, "verbose": 1})
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in lines[1::2]:
        assert re.fullmatch(rf"3/3 {BAR} \d+s \d+(us|ms|s)/step - accuracy: 0\.5000 - "
                            r"loss: 0\.3333 - val_accuracy: 0\.7500 - val_loss: 0\.2500", line)


def test_progbar_logger_verbose_2_and_0(capsys):
    _train({"epochs": 1, "steps": 3, "verbose": 2})
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - accuracy: 0\.5000 - loss: 0\.3333 - "
                        r"val_accuracy: 0\.7500 - val_loss: 0\.2500\n", capsys.readouterr().out)
    _train({"epochs": 2, "steps": 3, "verbose": 0})
    assert capsys.readouterr().out == ""


def test_progbar_logger_evaluate_and_predict(capsys):
    bar = callbacks.ProgbarLogger()
    cbs = callbacks.CallbackList([bar], model=FakeModel(), epochs=1, steps=None, verbose=1)
    cbs.on_test_begin()
    for step in range(4):
        cbs.on_test_batch_end(step, {"loss": 0.5})
    cbs.on_test_end({"loss": 0.5, "accuracy": 0.9})
    assert re.fullmatch(rf"4/4 {BAR} \d+s \d+(us|ms|s)/step - loss: 0\.5000 - accuracy: 0\.9000\n",
                        capsys.readouterr().out)
    cbs.set_params({"epochs": 1, "steps": 2, "verbose": 1})
    cbs.on_predict_begin()
    for step in range(2):
        cbs.on_predict_batch_end(step, {"outputs": [1, 2]})
    cbs.on_predict_end()
    assert re.fullmatch(rf"2/2 {BAR} \d+s \d+(us|ms|s)/step\n", capsys.readouterr().out)
