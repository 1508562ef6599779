"""The model interface callbacks rely on, and nothing more."""
import numpy as np


class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate


class FakeModel:
    """Weights are one array whose value the test sets to say which epoch they come from."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(3, np.float32), np.zeros((2, 2), np.float32)]
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def run_epochs(callback, values, monitor="val_loss", model=None, call_train_end=True):
    """Drive ``callback`` through one epoch per value of ``values`` (the monitored quantity), as
    ``fit`` would; stop when the callback asks. Returns the model, the epochs run and the
    learning rate after each epoch."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs, lrs = [], []
    for epoch, value in enumerate(values):
        model.weights = [np.full_like(w, epoch) for w in model.weights]
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        epochs.append(epoch)
        lrs.append(float(model.optimizer.learning_rate))
        if model.stop_training:
            break
    if call_train_end:
        callback.on_train_end()
    return model, epochs, lrs
