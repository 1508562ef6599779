"""Callbacks for ``fit``, ``evaluate`` and ``predict``, with the names and behaviour of
``keras.callbacks``.

Example:
    >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> x, y = np.random.rand(100, 2), np.random.rand(100)
    >>> history = model.fit(x, y, validation_split=0.1, epochs=50, verbose=0,
    ...                     callbacks=[keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True),
    ...                                keras.callbacks.CSVLogger("log.csv")])
    >>> open("log.csv").read().splitlines()[0]
    'epoch,loss,val_loss'
"""
from striate.callbacks.callback import Callback, LambdaCallback
from striate.callbacks.callback_list import CallbackList
from striate.callbacks.checkpoint import BackupAndRestore, ModelCheckpoint
from striate.callbacks.control import (EarlyStopping, LearningRateScheduler, MonitorCallback,
                                       ReduceLROnPlateau, TerminateOnNaN)
from striate.callbacks.loggers import CSVLogger, History, ProgbarLogger
from striate.callbacks.tensorboard import TensorBoard

__all__ = ["BackupAndRestore", "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
