"""ModelCheckpoint and BackupAndRestore: what they save, when, and the errors for bad settings."""
import os

import numpy as np
import pytest

import striate as keras
from striate import callbacks, layers, saving

from fake_model import FakeModel, run_epochs


class RecordingModel(FakeModel):
    """Records each save as (kind, path) and writes the file, as the real methods do."""

    def __init__(self):
        super().__init__()
        self.saves = []

    def _record(self, kind, path):
        self.saves.append((kind, os.path.basename(path)))
        with open(path, "w") as f:
            f.write(kind)

    def save(self, filepath, overwrite=True):
        self._record("model", filepath)

    def save_weights(self, filepath, overwrite=True):
        self._record("weights", filepath)


def saved_names(model):
    return [name for _, name in model.saves]


# -- ModelCheckpoint -----------------------------------------------------------------------------

def test_filepath_template_takes_the_epoch_from_1_and_the_logs(tmp_path):
    model = RecordingModel()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras"))
    run_epochs(cb, [0.5, 0.25], model=model)
    assert model.saves == [("model", "01-0.50.keras"), ("model", "02-0.25.keras")]
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["01-0.50.keras", "02-0.25.keras"]  # folder created


def test_filepath_with_an_unknown_field_names_what_is_available(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc}.keras"))
    with pytest.raises(KeyError, match=r"val_acc.*available: epoch, loss, val_loss"):
        run_epochs(cb, [0.5], model=RecordingModel())


@pytest.mark.parametrize("monitor, mode, values, threshold, saved_epochs", [
    ("val_loss", "min", [0.5, 0.4, 0.6, 0.3], None, [1, 2, 4]),
    ("val_loss", "auto", [0.5, 0.4, 0.6, 0.3], None, [1, 2, 4]),
    ("val_accuracy", "max", [0.5, 0.6, 0.55, 0.7], None, [1, 2, 4]),
    ("val_accuracy", "auto", [0.5, 0.6, 0.55, 0.7], None, [1, 2, 4]),
    ("val_loss", "min", [0.5, 0.4, 0.6, 0.3], 0.35, [4]),
    ("val_loss", "min", [0.5, 0.5], None, [1]),  # an equal value is no improvement
])
def test_save_best_only_saves_on_improvement(tmp_path, monitor, mode, values, threshold, saved_epochs):
    model = RecordingModel()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}.keras"), monitor=monitor, mode=mode,
                                   save_best_only=True, initial_value_threshold=threshold)
    run_epochs(cb, values, monitor=monitor, model=model)
    assert saved_names(model) == [f"{e}.keras" for e in saved_epochs]


def test_save_best_only_without_the_monitored_value_warns_and_saves(tmp_path):
    model = RecordingModel()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_auc", save_best_only=True)
    with pytest.warns(UserWarning, match="only with val_auc available"):
        run_epochs(cb, [0.5], model=model)
    assert saved_names(model) == ["best.keras"]


def test_verbose_prints_each_decision(tmp_path, capsys):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True, verbose=1)
    run_epochs(cb, [0.5, 0.7], model=RecordingModel())
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out


def test_save_freq_in_batches_counts_across_epochs(tmp_path):
    model = RecordingModel()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{batch}.weights.h5"), save_weights_only=True,
                                   save_freq=3)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(5):
            cb.on_train_batch_end(batch, {"loss": 1.0})
        cb.on_epoch_end(epoch, {"loss": 1.0, "val_loss": 1.0})
    assert model.saves == [("weights", "1-3.weights.h5"), ("weights", "2-1.weights.h5"),
                           ("weights", "2-4.weights.h5")]


@pytest.mark.parametrize("filepath, weights_only, message", [
    ("model.h5", False, "must end in `.keras`"),
    ("model", False, "must end in `.keras`"),
    ("model.weights.h5", False, "or pass save_weights_only=True"),
    ("model.keras", True, "must end in `.weights.h5`"),
    ("model.h5", True, "must end in `.weights.h5`"),
])
def test_filepath_extension_must_match_what_is_saved(filepath, weights_only, message):
    with pytest.raises(ValueError, match=message):
        callbacks.ModelCheckpoint(filepath, save_weights_only=weights_only)


@pytest.mark.parametrize("save_freq", ["batch", 0, -2, 1.5, True])
def test_bad_save_freq_is_refused(save_freq):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive integer"):
        callbacks.ModelCheckpoint("m.keras", save_freq=save_freq)
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive integer"):
        callbacks.BackupAndRestore("backup", save_freq=save_freq)


def test_a_directory_in_place_of_the_file_is_refused(tmp_path):
    (tmp_path / "m.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="is an existing directory"):
        run_epochs(callbacks.ModelCheckpoint(str(tmp_path / "m.keras")), [0.5], model=RecordingModel())


def small_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(5, activation="relu"),
                              layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    x = np.random.default_rng(0).standard_normal((40, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


@pytest.mark.parametrize("weights_only", [False, True])
def test_checkpoint_files_load_back_the_best_model(tmp_path, weights_only):
    x, y = data()
    model = small_model()
    path = str(tmp_path / ("best.weights.h5" if weights_only else "best.keras"))

    class Remember(callbacks.Callback):
        best, weights = None, None

        def on_epoch_end(self, epoch, logs=None):
            if self.best is None or logs["val_loss"] < self.best:
                self.best, self.weights = logs["val_loss"], self.model.get_weights()

    remember = Remember()
    model.fit(x, y, epochs=4, batch_size=8, validation_split=0.25, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=weights_only),
                         remember])
    if weights_only:
        loaded = small_model(seed=1)
        loaded.load_weights(path)
    else:
        loaded = saving.load_model(path)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), remember.weights))
    assert [p for p in os.listdir(tmp_path)] == [os.path.basename(path)]  # no temporary files left


# -- BackupAndRestore ----------------------------------------------------------------------------

def fit(model, backup, epochs=3, **kw):
    x, y = data()
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[backup], **kw)


def test_backup_is_deleted_at_the_end_unless_asked_to_keep_it(tmp_path):
    folder = tmp_path / "backup"
    fit(small_model(), callbacks.BackupAndRestore(str(folder)))
    assert not folder.exists()
    fit(small_model(), callbacks.BackupAndRestore(str(folder), delete_checkpoint=False))
    assert os.listdir(folder) == ["backup.npz"]


def test_only_its_own_files_are_deleted(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    fit(small_model(), callbacks.BackupAndRestore(str(folder)))
    assert os.listdir(folder) == ["notes.txt"]


def test_a_finished_backup_resumes_after_its_last_epoch(tmp_path):
    folder = str(tmp_path / "backup")
    model = small_model()
    history = fit(model, callbacks.BackupAndRestore(folder, delete_checkpoint=False))
    again = small_model(seed=5)
    again_history = fit(again, callbacks.BackupAndRestore(folder, delete_checkpoint=False))
    assert all(np.array_equal(a, b) for a, b in zip(again.get_weights(), model.get_weights()))
    assert again_history.history == history.history and again_history.epoch == [0, 1, 2]
    assert again.optimizer.iterations == model.optimizer.iterations == 15


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    folder = tmp_path / "backup"
    backup = callbacks.BackupAndRestore(str(folder), delete_checkpoint=False, double_checkpoint=True)
    fit(small_model(), backup, epochs=2)
    assert sorted(os.listdir(folder)) == ["backup.npz", "backup.npz.bkp"]
    (folder / "backup.npz").write_bytes(b"half a file")
    model = small_model(seed=5)
    with pytest.warns(UserWarning, match="restoring the previous one"):
        history = fit(model, backup, epochs=2)
    assert history.epoch == [0, 1] and model.optimizer.iterations == 10  # epoch 2 was run again


def test_an_unreadable_backup_is_an_error_that_says_what_to_do(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "backup.npz").write_bytes(b"not a backup")
    with pytest.raises(ValueError, match="cannot read the backup .* to start training afresh"):
        fit(small_model(), callbacks.BackupAndRestore(str(folder)))


def test_a_backup_of_another_optimizer_is_refused(tmp_path):
    folder = str(tmp_path / "backup")
    fit(small_model(), callbacks.BackupAndRestore(folder, delete_checkpoint=False), epochs=1)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="holds 10 optimizer variables, optimizer .sgd. has 2"):
        fit(model, callbacks.BackupAndRestore(folder))


def test_an_unbuilt_model_cannot_restore(tmp_path):
    folder = str(tmp_path / "backup")
    fit(small_model(), callbacks.BackupAndRestore(folder, delete_checkpoint=False), epochs=1)
    model = keras.Sequential([layers.Dense(5), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="is not built"):
        fit(model, callbacks.BackupAndRestore(folder))


def test_backup_dir_must_be_given():
    with pytest.raises(ValueError, match="backup_dir must be a folder path"):
        callbacks.BackupAndRestore("")
