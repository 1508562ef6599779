"""Callbacks that steer training: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler,
TerminateOnNaN."""
import inspect
import math
import warnings

from striate import backend
from striate.callbacks.callback import Callback

# Substrings of metric names, for mode="auto": quantities to minimize, then to maximize.
_LOWER_IS_BETTER = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson", "logcosh",
                    "mse", "mae", "mape", "msle")
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2")


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity and act when it stops improving.

    Args:
        monitor: name of the quantity in the epoch logs (``"val_loss"``, ``"accuracy"``, ...).
        mode: ``"min"``, ``"max"``, or ``"auto"``: minimize losses, errors and
            crossentropies, maximize accuracies, AUC, precision, recall, F-scores, IoU and R2.
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode {mode!r} is unknown, falling back to "
                          "'auto'", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.best = None
        self._higher_is_better = None

    def _direction(self):
        if self.mode != "auto":
            return self.mode == "max"
        name = self.monitor.removeprefix("val_")
        if any(part in name for part in _LOWER_IS_BETTER):
            return False
        if any(part in name for part in _HIGHER_IS_BETTER):
            return True
        raise ValueError(f"{type(self).__name__} received monitor={self.monitor!r} and cannot "
                         "tell whether it should be maximized or minimized: pass mode='max' or "
                         "mode='min'")

    def _is_improvement(self, value, reference):
        """Whether ``value`` beats ``reference`` (None: always) by more than ``min_delta``."""
        if self._higher_is_better is None:
            self._higher_is_better = self._direction()
        if reference is None:
            return True
        if self._higher_is_better:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def _monitored(self, logs, action):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{action} is conditioned on metric {self.monitor!r} which is not "
                          f"available. Available metrics are: {','.join(logs or {})}",
                          stacklevel=3)
        return value


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving.

    At the end of each epoch, an improvement (by more than ``min_delta``) on the best value
    resets a counter; otherwise the counter grows, and training stops once it reaches
    ``patience`` (never after the first epoch). Same rules as Keras 3.

    Args:
        monitor: the quantity to watch.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a line when stopping and when restoring weights.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see :class:`MonitorCallback`).
        baseline: a value to beat: the counter resets only on epochs that beat both the best
            value and the baseline.
        restore_best_weights: at the end of training, set the weights of the best epoch.
        start_from_epoch: epochs to ignore at the start (warm-up).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.random.rand(100, 2), np.random.rand(100)
        >>> stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
        >>> history = model.fit(x, y, validation_split=0.1, epochs=100, callbacks=[stop], verbose=0)
        >>> len(history.epoch) < 100, stop.best == min(history.history["val_loss"])
        (True, True)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self._weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def _weights(self):
        return [backend.to_numpy(w).copy() for w in self.model.get_weights()]


def _learning_rate(optimizer):
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{type(optimizer).__name__} has no learning_rate attribute to set")
    return float(optimizer.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when a quantity has stopped improving.

    Also records the learning rate in each epoch's logs as ``learning_rate``. Same rules as
    Keras 3.

    Args:
        monitor: the quantity to watch.
        factor: the multiplier, below 1: ``new_lr = lr * factor``.
        patience: epochs without improvement before reducing.
        verbose: 1 prints a line at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see :class:`MonitorCallback`).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate is never reduced below this.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_lr=1e-5)
        >>> history = model.fit(np.ones((8, 2)), np.zeros(8), epochs=6, callbacks=[reduce_lr], verbose=0)
        >>> np.round(history.history["learning_rate"], 4)  # the loss stays 0: no improvement, halved every 2 epochs
        array([0.1  , 0.1  , 0.1  , 0.05 , 0.05 , 0.025])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau expects a factor below 1.0, received {factor}")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self):
        """Whether a reduction happened less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model.optimizer)
        current = self._monitored(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch):
        optimizer = self.model.optimizer
        old_lr = _learning_rate(optimizer)
        # NOTE: a float32 learning rate read back may sit just below or above min_lr: within
        # float32 rounding it counts as reached (Keras compares with np.float32(min_lr))
        if old_lr <= self.min_lr * (1 + 2**-23):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from a schedule.

    Also records the learning rate in each epoch's logs as ``learning_rate``.

    Args:
        schedule: ``f(epoch, lr) -> new_lr`` (epoch counted from 0, lr the current rate), or
            ``f(epoch) -> new_lr``.
        verbose: 1 prints the rate set at each epoch.

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 2 else lr * 0.5
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=4, verbose=0,
        ...                     callbacks=[keras.callbacks.LearningRateScheduler(schedule)])
        >>> np.round(history.history["learning_rate"], 4)
        array([0.1  , 0.1  , 0.05 , 0.025])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler expects a callable schedule, received "
                            f"{type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose
        try:
            inspect.signature(schedule).bind(0, 0.0)
            self._takes_lr = True
        except TypeError:
            self._takes_lr = False
        except ValueError:
            self._takes_lr = True

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = _learning_rate(optimizer)
        returned = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        try:
            new_lr = float(returned)
        except (TypeError, ValueError):
            new_lr = None
        if new_lr is None or isinstance(returned, str):
            raise ValueError(f"LearningRateScheduler's schedule must return a float, returned "
                             f"{returned!r} for epoch {epoch}")
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model.optimizer)


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite.

    Args:
        raise_error: raise ``RuntimeError`` at once instead of stopping gracefully (which lets
            the other callbacks' ``on_train_end`` run).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e20), loss="mse")  # far too high
        >>> history = model.fit(np.ones((64, 2)), np.ones(64), epochs=5, callbacks=[keras.callbacks.TerminateOnNaN()],
        ...                     verbose=0)
        Batch 1: Invalid loss, terminating training
        >>> history.history["loss"]
        [inf]
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
