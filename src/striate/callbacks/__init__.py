"""Callbacks for ``fit``, ``evaluate`` and ``predict``, with the names and behaviour of
``keras.callbacks``.

Example:
    >>> from striate import callbacks
    >>> model.fit(x, y, validation_split=0.1, epochs=50,
    ...           callbacks=[callbacks.EarlyStopping(patience=3, restore_best_weights=True),
    ...                      callbacks.CSVLogger("log.csv")])
"""
from striate.callbacks.callback import Callback, LambdaCallback
from striate.callbacks.callback_list import CallbackList
from striate.callbacks.checkpoint import BackupAndRestore, ModelCheckpoint
from striate.callbacks.control import (EarlyStopping, LearningRateScheduler, MonitorCallback,
                                       ReduceLROnPlateau, TerminateOnNaN)
from striate.callbacks.loggers import CSVLogger, History, ProgbarLogger

__all__ = ["BackupAndRestore", "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger",
           "ReduceLROnPlateau", "TerminateOnNaN"]
