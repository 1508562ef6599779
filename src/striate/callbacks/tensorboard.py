"""TensorBoard: logs for TensorBoard's dashboards, written by striate itself (no TensorFlow needed)."""
import numbers
import os
import time
import warnings

import numpy as np

from striate import backend, ops
from striate.callbacks.callback import Callback
from striate.saving.registry import model_classes
from striate.utils.event_file import EventFileWriter


class TensorBoard(Callback):
    """Writes event files for TensorBoard, in the layout of Keras 3's ``TensorBoard`` callback.

    Two runs under ``log_dir``: ``train`` and ``validation``. At each epoch end, ``epoch_<name>`` scalars
    at step ``epoch``: the training logs and ``epoch_learning_rate`` to ``train``, the ``val_`` logs
    (without the prefix) to ``validation``. Each evaluation (``fit``'s validation pass, or ``evaluate``
    with this callback) writes ``evaluation_<name>_vs_iterations`` to ``validation`` at step
    ``model.optimizer.iterations``. With ``write_graph``, the model's config (``model.to_json()``) is
    written as the ``keras`` summary of the ``graph_keras_model`` plugin, which TensorBoard's Graphs tab
    draws. Logs that are not single numbers (per-class metrics) are left out.

    View them with ``tensorboard --logdir <log_dir>`` (``pip install tensorboard``; writing needs only
    striate).

    Args:
        log_dir: the folder of the runs; not to be shared with other callbacks.
        histogram_freq: every this many epochs (0: never), a histogram of each layer's weights, tagged
            ``<weight.path>/histogram``.
        write_graph: write the model's config for the Graphs tab (Sequential and functional models).
        write_images: with the histograms, each weight drawn as an image (``<weight.path>/image``) the way
            Keras reshapes it: a bias as one column, a Dense kernel with its longer side across, a Conv
            kernel with one input channel as one image per filter (the first 3). Pixels are the weight
            values clipped to [0, 1], as ``tf.summary.image`` converts floats.
        write_steps_per_second: also log ``steps_per_second`` (batches per second of training).
        update_freq: ``"epoch"``; or an int ``n`` (``"batch"`` means 1): also write ``batch_<name>``
            scalars every ``n`` training batches, at the count of batches since ``fit`` started.
        profile_batch: must be 0: profiling needs TensorFlow's profiler.
        embeddings_freq, embeddings_metadata: accepted for Keras; the embedding projector needs
            TensorFlow checkpoints, so any other value than 0 / None warns and logs no embeddings.

    Example:
        >>> import os
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, validation_split=0.25, verbose=0,
        ...                     callbacks=[keras.callbacks.TensorBoard("logs", histogram_freq=1)])
        >>> sorted(os.listdir("logs"))
        ['train', 'validation']
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (_is_int(update_freq) and update_freq >= 1):
            raise ValueError("TensorBoard expects update_freq to be 'epoch', 'batch' or an int >= 1 (write every "
                             f"n batches), received update_freq={update_freq!r}")
        if not (_is_int(histogram_freq) and histogram_freq >= 0):
            raise ValueError("TensorBoard expects histogram_freq to be an int >= 0 (every n epochs, 0: never), "
                             f"received histogram_freq={histogram_freq!r}")
        if profile_batch:
            raise ValueError("TensorBoard: profiling needs TensorFlow's profiler, which striate does not use; "
                             f"received profile_batch={profile_batch!r} (must be 0)")
        if embeddings_freq or embeddings_metadata is not None:
            warnings.warn("TensorBoard: the embedding projector reads TensorFlow checkpoints, which striate does "
                          f"not write; received embeddings_freq={embeddings_freq!r}, embeddings_metadata="
                          f"{embeddings_metadata!r}: no embeddings are logged", UserWarning, stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._in_fit = False
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start = (0.0, 0)
        if update_freq != "epoch":
            # NOTE: set on the instance only when batches are logged, so that otherwise fit skips the
            # per-batch calls and the logs it would build for them (CallbackList.hooked)
            self.on_train_batch_begin = self._train_batch_begin
            self.on_train_batch_end = self._train_batch_end

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model):
        """Receive the model; with ``write_graph``, write its config to the ``train`` run."""
        super().set_model(model)
        self._close_writers()
        if self.write_graph and (isinstance(model, model_classes()[1]) or getattr(model, "_functional", False)):
            try:
                config = model.to_json()
            except Exception as exc:  # as in Keras: a model that does not serialize is logged without its graph
                warnings.warn(f"TensorBoard: model '{model.name}' failed to serialize as JSON, its graph is not "
                              f"written: {exc}", UserWarning, stacklevel=2)
                return
            writer = self._writer("train")
            writer.tensor("keras", config, step=0, plugin_name="graph_keras_model", content=b"1")
            writer.flush()

    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self.model.optimizer.iterations)

    def on_epoch_end(self, epoch, logs=None):
        """Write the epoch's scalars, and the weights' histograms (and images) when due."""
        logs = logs or {}
        train = {name: value for name, value in logs.items() if not name.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            started, iterations = self._epoch_start
            train["steps_per_second"] = (optimizer.iterations - iterations) / (time.perf_counter() - started)
        self._scalars("train", "epoch_", train, epoch)
        self._scalars("validation", "epoch_", {name[4:]: value for name, value in logs.items()
                                               if name.startswith("val_")}, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            self._scalars("validation", "evaluation_", {f"{name}_vs_iterations": value
                                                        for name, value in (logs or {}).items()},
                          optimizer.iterations)
        if self._in_fit:
            self._writer("validation").flush()
        else:
            self._close_writers()

    def on_predict_end(self, logs=None):
        self._close_writers()

    def _train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def _train_batch_end(self, batch, logs=None):
        if self._global_train_batch % self.update_freq:
            return
        logs = dict(logs or {})
        if self.write_steps_per_second:
            logs["steps_per_second"] = 1.0 / (time.perf_counter() - self._batch_start_time)
        self._scalars("train", "batch_", logs, self._global_train_batch)
        self._writer("train").flush()

    def _scalars(self, run, prefix, values, step):
        values = {name: value for name, value in values.items()
                  if isinstance(value, numbers.Real) and not isinstance(value, bool)}
        if values:
            writer = self._writer(run)
            for name, value in values.items():
                writer.scalar(prefix + name, value, step)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                value = ops.convert_to_numpy(weight)
                writer.histogram(f"{name}/histogram", value, epoch)
                if self.write_images:
                    image = _weight_image(value)
                    if image is not None:
                        writer.image(f"{name}/image", image, epoch)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _weight_image(weight):
    """A weight as images ``(k, height, width, 1)`` as Keras lays it out, or None when it has no such
    picture: a vector as one column, a matrix with its longer side across, a 3-axis kernel as one image
    per filter; 4-axis kernels only when their last axis can be colour channels (1, 3 or 4)."""
    image = np.squeeze(weight)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, *image.shape, 1)
    elif image.ndim == 3:
        if backend.image_data_format() == "channels_last":
            image = np.transpose(image, (2, 0, 1))
        image = image.reshape(*image.shape, 1)
    return image if image.ndim == 4 and image.shape[-1] in (1, 3, 4) else None
