"""Callbacks that record or show progress: History, ProgbarLogger, CSVLogger."""
import csv
import os

from striate.callbacks.callback import Callback
from striate.utils.progbar import Progbar


class History(Callback):
    """Records each epoch's logs; ``fit`` returns it and sets it as ``model.history``.

    Attributes:
        history: dict from each log name to its list of per-epoch values.
        epoch: list of the epoch indices recorded.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0)
        >>> history.epoch, [round(loss, 4) for loss in history.history["loss"]]
        ([0, 1, 2], [1.0, 0.8836, 0.7807])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        self.model.history = self


class ProgbarLogger(Callback):
    """Prints progress with a :class:`~striate.utils.progbar.Progbar`, as Keras's ``fit`` does.

    ``verbose`` comes from ``params``: 0 silent; 1 an ``Epoch i/E`` line then a bar per epoch
    (redrawn in place on a terminal, its final line only otherwise); 2 one line per epoch.
    During ``fit`` the validation pass draws no bar of its own: its ``val_`` metrics appear on
    the epoch's final line.
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.seen = 0
        self.progbar = None
        self._in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._new_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _new_bar(self):
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step")

    def _advance(self, batch, logs):
        if self.progbar is None:
            self._new_bar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, logs, finalize=False)

    def _finish(self, logs):
        if self.progbar is None:
            self._new_bar()
        if self.target is None:
            self.progbar.target = self.seen
        self.progbar.update(self.progbar.target, logs, finalize=True)


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file.

    Columns are ``epoch`` then the log names sorted (the first epoch decides them; ``val_``
    columns are added up front when the first epoch has none, and a missing value is written
    ``NA``). Each row is flushed and synced to disk as it is written, so the file is complete up
    to the last finished epoch even if training is killed. With ``append=True`` rows go after
    the existing ones, under the existing header.

    Args:
        filename: path of the CSV file; its folder is created if needed.
        separator: the field separator.
        append: continue an existing file instead of overwriting it.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0,
        ...                     callbacks=[keras.callbacks.CSVLogger("training.csv")])
        >>> open("training.csv").read().splitlines()
        ['epoch,loss,val_loss', '0,1.0,NA', '1,0.88...,NA', '2,0.78...,NA']
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        self._close()
        self.keys = None
        header = None
        if self.append and os.path.isfile(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
        if header:
            self.keys = header[1:]
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.sep)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
            self._writer.writerow(["epoch"] + self.keys)
        self._writer.writerow([epoch] + [logs.get(k, "NA") for k in self.keys])
        self._file.flush()
        os.fsync(self._file.fileno())

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None
