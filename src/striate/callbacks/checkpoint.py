"""Callbacks that save training so no work is lost: ModelCheckpoint and BackupAndRestore."""
import json
import os
import warnings
import zipfile

import numpy as np

from striate import backend, saving
from striate.callbacks.callback import Callback
from striate.callbacks.control import MonitorCallback

_FORMAT = 1  # version of BackupAndRestore's file layout
_ARRAY = "__array__"


class _SaveSchedule:
    """When to save: at the end of each epoch (``"epoch"``), or after every ``save_freq`` batches."""

    def __init__(self, owner, save_freq):
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"{owner}: save_freq must be 'epoch' or a positive integer (a number of "
                             f"batches), received save_freq={save_freq!r}")
        self.per_epoch = save_freq == "epoch"
        self.save_freq = save_freq
        self.batches = 0

    def batch_done(self):
        """Count one training batch; True when a save is due."""
        if self.per_epoch:
            return False
        self.batches += 1
        if self.batches < self.save_freq:
            return False
        self.batches = 0
        return True


class ModelCheckpoint(MonitorCallback):
    """Save the model, or its weights, during training: every epoch, every few batches, or only
    when a monitored quantity improves (Keras 3's rules).

    Files are written through :mod:`striate.saving`, atomically: a save that is interrupted leaves
    the previous file whole.

    Args:
        filepath: where to save. It may hold ``str.format`` fields filled from ``epoch`` (counted
            from 1), ``batch`` (from 1, for batch-level saves) and the logs, e.g.
            ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``. It must end in ``.keras`` (the whole
            model) or, with ``save_weights_only=True``, in ``.weights.h5``. Missing folders are
            created.
        monitor: the logged quantity that ``save_best_only`` compares (``"val_loss"``,
            ``"accuracy"``, ...).
        verbose: 1 prints a line for each save (or skipped save).
        save_best_only: save only when ``monitor`` improves on the best value so far; a
            ``filepath`` without fields then always holds the best model.
        save_weights_only: save ``model.save_weights(filepath)`` instead of ``model.save(filepath)``.
        mode: ``"auto"``, ``"min"`` or ``"max"``: whether ``monitor`` improves by going down or up
            (``"auto"`` guesses from its name, see :class:`MonitorCallback`).
        save_freq: ``"epoch"``, or an int: save after every that many training batches (the
            monitored value is then the running one of the epoch so far).
        initial_value_threshold: with ``save_best_only``, a value the first save must beat.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.random.rand(100, 2), np.random.rand(100)
        >>> history = model.fit(x, y, validation_split=0.1, epochs=20, verbose=0,
        ...                     callbacks=[keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)])
        >>> best = keras.saving.load_model("best.keras")
        >>> best.evaluate(x[90:], y[90:], verbose=0) == min(history.history["val_loss"])
        True
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._schedule = _SaveSchedule("ModelCheckpoint", save_freq)
        self._current_epoch = 0
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError("ModelCheckpoint: with save_weights_only=True the filepath must end in "
                             f"`.weights.h5` (the Keras weights format), received filepath={self.filepath!r}")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            hint = " or pass save_weights_only=True" if self.filepath.endswith(".weights.h5") else ""
            raise ValueError("ModelCheckpoint: the filepath must end in `.keras` (the Keras model format)"
                             f"{hint}, received filepath={self.filepath!r}")

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._schedule.batch_done():
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._schedule.per_epoch:
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._format(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"ModelCheckpoint: filepath {filepath!r} is an existing directory; "
                                    "give a file path")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _format(self, epoch, batch, logs):
        fields = dict(logs, epoch=epoch + 1)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: cannot fill filepath {self.filepath!r}: no value for {e}; "
                           f"available: epoch, {'batch, ' if 'batch' in fields else ''}"
                           f"{', '.join(logs) or '(no logs)'}") from None

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                          "Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False


class BackupAndRestore(Callback):
    """Back up the training state as training goes, and resume from the backup after a crash.

    At the start of ``fit``, if ``backup_dir`` holds a backup, training resumes from it (see
    ``Model.resume_training``): same weights, optimizer state, epoch, step within the epoch, random
    generator, running metrics and History. So a run killed at any point (even by ``SIGKILL``, even
    during a save) and started again with the same command ends with the same weights, bit for bit,
    as a run never interrupted: for array data, and callbacks that keep no state of their own
    (EarlyStopping's patience count, for one, starts afresh; a generator of batches restarts from
    its beginning). Keras 3's BackupAndRestore resumes at the start of the interrupted epoch only.

    A backup is the state after the last training batch: one taken at the end of an epoch runs
    that epoch's validation and ``on_epoch_end`` again when resumed. It is one file,
    ``backup.npz``, replaced atomically, so a save that is interrupted leaves the previous backup
    whole. The model and ``fit``'s arguments must be the same when resuming. When ``fit`` ends
    normally (finished, or stopped by a callback) the backup is deleted, and so is ``backup_dir``
    if nothing else is in it.

    Args:
        backup_dir: the folder for the backup, used by nothing else.
        save_freq: ``"epoch"`` to back up at the end of each epoch, or an int: back up after every
            that many training batches.
        delete_checkpoint: delete the backup when training ends normally.
        double_checkpoint: also keep the backup before the latest (``backup.npz.bkp``), used when
            the latest cannot be read (a damaged disk, a file copied halfway).

    Example:
        >>> import os
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> backup = keras.callbacks.BackupAndRestore("run1_backup", save_freq=2)
        >>> history = model.fit(np.ones((64, 2)), np.ones(64), epochs=3, callbacks=[backup], verbose=0)
        >>> os.path.exists("run1_backup")  # deleted once fit ends normally; after a crash, fit resumes from it
        False
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True, double_checkpoint=False):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: backup_dir must be a folder path, received {backup_dir!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.double_checkpoint = double_checkpoint
        self._schedule = _SaveSchedule("BackupAndRestore", save_freq)
        self._path = os.path.join(self.backup_dir, "backup.npz")
        self._previous_path = self._path + ".bkp"

    def on_train_begin(self, logs=None):
        self._schedule.batches = 0
        state = self._read()
        if state is not None:
            self.model.resume_training(state["training_state"])

    def on_train_batch_end(self, batch, logs=None):
        if self._schedule.batch_done():
            self._write()

    def on_epoch_end(self, epoch, logs=None):
        if self._schedule.per_epoch:
            self._write()

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not os.path.isdir(self.backup_dir):
            return
        for name in os.listdir(self.backup_dir):
            # the backups, and the temporaries (atomic_write's ".backup.npz.<id>.tmp") of killed saves
            if name in ("backup.npz", "backup.npz.bkp") or (name.startswith(".backup.npz.")
                                                             and name.endswith(".tmp")):
                os.remove(os.path.join(self.backup_dir, name))
        if not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)

    def _write(self):
        state = {"format": _FORMAT, "training_state": self.model.get_training_state()}
        arrays = {}
        arrays["state.json"] = np.array(json.dumps(_pack(state, arrays)))
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._previous_path)
        with saving.atomic_write(self._path, "wb") as f:
            np.savez(f, **arrays)

    def _read(self):
        """The saved state, or None when there is no backup; falls back to the previous one."""
        paths = [p for p in (self._path, self._previous_path) if os.path.exists(p)]
        for i, path in enumerate(paths):
            try:
                with np.load(path, allow_pickle=False) as f:
                    arrays = {name: f[name] for name in f.files}
                state = _unpack(json.loads(str(arrays["state.json"])), arrays)
                if state.get("format") != _FORMAT:
                    raise ValueError(f"layout version {state.get('format')!r}, expected {_FORMAT}")
                return state
            except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
                if i + 1 == len(paths):
                    raise ValueError(f"BackupAndRestore: cannot read the backup {path!r} ({e}); delete "
                                     f"{self.backup_dir!r} to start training afresh") from e
                warnings.warn(f"BackupAndRestore: cannot read the backup {path!r} ({e}); restoring the "
                              "previous one", stacklevel=3)
        return None


def _pack(value, arrays):
    """``value`` with each array moved into ``arrays`` under a new key, and replaced by that key."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        key = f"array_{len(arrays)}"
        arrays[key] = backend.to_numpy(value)
        return {_ARRAY: key}
    if isinstance(value, dict):
        return {k: _pack(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_pack(v, arrays) for v in value]
    return value


def _unpack(value, arrays):
    """The inverse of :func:`_pack` (tuples come back as lists)."""
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return arrays[value[_ARRAY]]
        return {k: _unpack(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v, arrays) for v in value]
    return value
