"""compile / fit / evaluate / predict: the training loop behind every Model."""
import copy
import functools
import math
import numbers
import warnings

import numpy as np

from striate import backend, ops
from striate.autodiff import Tensor, no_grad
from striate.autodiff.parameters import ParameterStore
from striate.trainers import data as data_utils
from striate.trainers.data import ArrayBatches, is_generator


def _host(x):
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def _device_labels(y):
    """Labels on the array module: floats as floatx, integers kept (sparse losses index with them)."""
    a = backend.asarray(y)
    if a.dtype.kind == "f" and a.dtype != backend.floatx():
        a = a.astype(backend.floatx())
    return a


def _engaged(method):
    """``method`` run inside ``backend.engaged()``: the process tuned for striate's work, and restored after."""
    @functools.wraps(method)
    def run(*args, **kwargs):
        with backend.engaged():
            return method(*args, **kwargs)
    return run


class Trainer:
    """The training half of Model (Keras 3 splits it the same way)."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._parameters = None       # the ParameterStore of the trainable weights, made at the first step
        self._fit_position = None     # [epoch, next step, generator state before the epoch's shuffle] in fit
        self._epoch_end_state = None  # _progress() when the epoch's batches are done
        self._resume_from = None      # the state given to resume_training, restored once fit's loop starts

    # -- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configure training: the optimizer, the loss (one per output, or one for all) and metrics.

        Args:
            optimizer: a name ('adam', 'sgd', ...) or an optimizer instance.
            loss: a name, a function, a Loss instance; a list or dict for several outputs.
            loss_weights: weights of the outputs' losses (list or dict).
            metrics: names or Metric instances; 'accuracy' resolves as Keras resolves it.

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
            >>> model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
            >>> model.optimizer.name
            'adam'
        """
        from striate import losses as losses_mod
        from striate import optimizers
        from striate import metrics as metrics_mod
        self.optimizer = optimizers.get(optimizer)
        for spec in _leaves(loss):  # unknown names fail here, with a suggestion, not at the first batch
            if str(spec).lower() not in ("crossentropy", "ce"):
                losses_mod.get(spec)
        for spec in _leaves(metrics) + _leaves(weighted_metrics):
            if str(spec).lower() not in ("accuracy", "acc"):
                metrics_mod.get(spec)
        self.loss = loss  # what was given, as Keras keeps it
        self._loss_spec, self._loss_weights_spec = loss, loss_weights
        self._metrics_spec = metrics
        self._weighted_metrics_spec = weighted_metrics
        self._compiled_losses = None  # resolved against the outputs on first use
        self._losses_mod = losses_mod
        self.compiled = True

    def _output_names(self):
        outs = getattr(self, "outputs", None)
        if outs and len(outs) > 1:
            return [t.node.layer.name for t in outs]
        return None

    def _per_output(self, spec, names, what):
        if isinstance(spec, dict):
            missing = [n for n in spec if n not in names]
            if missing:
                raise ValueError(f"compile: {what} names unknown output(s) {missing}; outputs are {names}")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)) and names and len(spec) == len(names) and what != "metrics":
            return list(spec)
        if isinstance(spec, (list, tuple)) and names and what == "metrics" and spec and \
                all(isinstance(s, (list, tuple)) for s in spec):
            return list(spec)
        return [spec] * len(names)

    def _resolve(self, y_true_shapes, y_pred_shapes):
        """Turn the compile() specs into loss and metric objects once the shapes of a batch are known."""
        from striate import metrics as metrics_mod
        losses_mod = self._losses_mod
        names = self._output_names() or [None]
        self._resolved_shapes = [y_true_shapes, y_pred_shapes]
        if y_true_shapes is None:  # fit(x) alone: the model's own losses (add_loss) are all it minimises
            if _leaves(self._loss_spec) or _leaves(self._metrics_spec) or _leaves(self._weighted_metrics_spec):
                raise ValueError("fit: received no targets y, but compile() was given a loss or metrics that compare "
                                 "the outputs with them; pass y (or batches of (x, y))")
            y_true_shapes = [()] * len(names)
        y_true, y_pred = [tuple(s) for s in y_true_shapes], [tuple(s) for s in y_pred_shapes]
        if len(y_true) != len(names):
            raise ValueError(f"fit: the model has {len(names)} output(s) but y holds {len(y_true)} array(s)")
        loss_specs = self._per_output(self._loss_spec, names, "loss")
        weights = self._per_output(self._loss_weights_spec, names, "loss_weights") \
            if self._loss_weights_spec is not None else [1.0] * len(names)
        self._compiled_losses = []
        for spec, w, name in zip(loss_specs, weights, names):
            if spec is None:
                continue
            i = names.index(name)
            # the loss is set up once for the layer that makes output i (a softmax's logits, see resolve_loss)
            outputs = getattr(self, "outputs", None)
            fn = losses_mod.resolve_loss(spec, y_true[i], y_pred[i], outputs[i].node.layer if outputs else None)
            self._compiled_losses.append((i, fn, 1.0 if w is None else float(w), name))
        # NOTE: as in Keras, sample weights reach only `weighted_metrics`, never plain `metrics`.
        self._compiled_metrics = []
        for weighted, spec_list in ((False, self._metrics_spec), (True, self._weighted_metrics_spec)):
            metric_specs = self._per_output(spec_list or [], names, "metrics")
            for i, (specs, name) in enumerate(zip(metric_specs, names)):
                specs = specs if isinstance(specs, (list, tuple)) else [specs] if specs else []
                for spec in specs:
                    m = metrics_mod.resolve_metric(spec, y_true[i], y_pred[i])
                    prefix = f"{name}_" if name and len(names) > 1 else ""
                    self._compiled_metrics.append((i, m, prefix + m.name, weighted))
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._output_loss_trackers = [metrics_mod.Mean(name=f"{n}_loss") for _, _, _, n in self._compiled_losses] \
            if len(names) > 1 else []

    @property
    def metrics_names(self):
        if not self.compiled or self._compiled_losses is None:
            return ["loss"]
        return ["loss"] + [t.name for t in self._output_loss_trackers] + [m[2] for m in self._compiled_metrics]

    def _all_metrics(self):
        return [self._loss_tracker] + self._output_loss_trackers + [m[1] for m in self._compiled_metrics]

    def reset_metrics(self):
        if self._compiled_losses is not None:
            for m in self._all_metrics():
                m.reset_state()

    def _logs(self):
        logs = {"loss": float(self._loss_tracker.result())}
        for t in self._output_loss_trackers:
            logs[t.name] = float(t.result())
        for _, m, name, _ in self._compiled_metrics:
            r = m.result()
            if not isinstance(r, float):  # a Keras-style metric may return its variable, or a device array
                r = _host(r)
            logs[name] = float(r) if np.ndim(r) == 0 else r
        return logs

    # -- one step -------------------------------------------------------------------------------
    def _compute_loss(self, y_true, y_pred, sample_weight):
        y_true, y_pred = _as_list(y_true), _as_list(y_pred)
        total = None
        for k, (i, fn, w, _) in enumerate(self._compiled_losses):
            value = fn(y_true[i], y_pred[i], sample_weight=sample_weight)
            if self._output_loss_trackers:
                self._output_loss_trackers[k].update_state(float(value.data), sample_weight=len(y_pred[i].data))
            value = value * w if w != 1.0 else value
            total = value if total is None else total + value
        for penalty in self.losses:  # add_loss's, then the weight regularizers'
            penalty = _scalar_loss(penalty)
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("compile: no loss was given and the model adds none; pass loss=... (e.g. "
                             "'sparse_categorical_crossentropy'), or add the model's own losses with add_loss()")
        return total

    def _update_metrics(self, y_true, y_pred, sample_weight, loss, n):
        self._loss_tracker.update_state(float(loss.data), sample_weight=n)
        if self._compiled_metrics:
            y_true, y_pred = _as_list(y_true), _as_list(y_pred)
            for i, m, _, weighted in self._compiled_metrics:
                m.update_state(y_true[i], y_pred[i].data, sample_weight=sample_weight if weighted else None)

    def _prepare(self, x, y, sw):
        x, y = _as_inputs(self._by_name(x, "x")), self._by_name(y, "y")
        y = None if y is None else (_device_labels(y) if not isinstance(y, (list, tuple, dict)) else
                                    [_device_labels(v) for v in data_utils._flat(y)])
        sw = None if sw is None else backend.asarray(sw, backend.floatx())
        return x, y, sw

    def _train_batch(self, x, y, sw):
        x, y, sw = self._prepare(x, y, sw)
        variables = self.trainable_weights
        y_pred = self(x, training=True)
        if self._compiled_losses is None:
            self._resolve(_shapes(y), _shapes(y_pred))
        loss = self._compute_loss(y, y_pred, sw)
        # each weight's gradient lands in the store (a gradient left by the user's own backward() is
        # dropped), and the optimizer updates the weights from there
        store = self._parameter_store(variables)
        store.backward(loss)
        self.optimizer.apply_store(store)
        for v in variables:
            v.grad = None
        self._update_metrics(y, y_pred, sw, loss, len(data_utils._flat(x)[0]))

    def _parameter_store(self, variables):
        """The ParameterStore of ``variables`` (the trainable weights): made once they exist, and again
        when they change (a layer frozen or unfrozen)."""
        if self._parameters is None or not self._parameters.holds(variables):
            self._parameters = ParameterStore(variables)
        return self._parameters

    def _test_batch(self, x, y, sw):
        x, y, sw = self._prepare(x, y, sw)
        with no_grad():
            y_pred = self(x, training=False)
            if self._compiled_losses is None:
                self._resolve(_shapes(y), _shapes(y_pred))
            loss = self._compute_loss(y, y_pred, sw)
        self._update_metrics(y, y_pred, sw, loss, len(data_utils._flat(x)[0]))

    # -- loops ----------------------------------------------------------------------------------
    def _check_compiled(self, where):
        if not self.compiled:
            raise RuntimeError(f"{where}: the model must be compiled first: call model.compile(optimizer=..., "
                               "loss=...) before model.{where}()")

    def _batches(self, x, y, sample_weight, batch_size, shuffle, steps, class_weight=None, where="fit"):
        if is_generator(x):  # a PyDataset, a generator, a DataLoader
            weigh = None if class_weight is None else \
                lambda by, bsw: self._class_sample_weights(by, class_weight, bsw, where)
            return data_utils.source_batches(x, y, sample_weight, steps, shuffle, weigh, where)
        x, y, sample_weight = data_utils.to_numpy(x), data_utils.to_numpy(y), data_utils.to_numpy(sample_weight)
        self._check_targets(y, where)
        data_utils.check_arrays(x, y, sample_weight, where)
        if class_weight is not None:
            sample_weight = self._class_sample_weights(y, class_weight, sample_weight, where)
        return ArrayBatches(x, y, sample_weight, 32 if batch_size is None else int(batch_size), shuffle, steps)

    def _check_targets(self, y, where):
        if y is None and self._loss_spec is not None:
            raise ValueError(f"{where} expects y, the targets the loss compares the outputs with, received y=None; "
                             "pass x and y, or x as a generator of (x, y) batches")

    def _class_sample_weights(self, y, class_weight, sample_weight, where):
        """Per-sample weights from ``class_weight`` ({class index: weight}) for sparse or one-hot labels."""
        if not isinstance(class_weight, dict):
            raise ValueError(f"{where} expects class_weight to be a dict {{class index: weight}}, received "
                             f"{type(class_weight).__name__}")
        if isinstance(y, (list, tuple, dict)) and len(y) > 1:
            raise ValueError(f"{where} expects class_weight only for a model with one output, received y of {len(y)} "
                             "arrays; pass sample_weight instead")
        labels = np.asarray(data_utils._flat(y)[0])
        one_hot = labels.ndim > 1 and labels.shape[-1] > 1
        outputs = getattr(self, "outputs", None)
        size = labels.shape[-1] if one_hot else outputs[0].shape[-1] if outputs and len(outputs[0].shape) > 1 \
            else None
        classes = None if size is None else max(size, 2)  # one sigmoid unit: classes 0 and 1
        for key, weight in class_weight.items():
            if isinstance(key, bool) or not isinstance(key, numbers.Integral) or key < 0 or \
                    (classes is not None and key >= classes):
                expected = f"in [0, {classes - 1}]" if classes is not None else ">= 0"
                raise ValueError(f"{where} expects class_weight keys to be class indices {expected}, received key "
                                 f"{key!r}")
            if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(weight):
                raise ValueError(f"{where} expects class_weight values to be finite numbers, received "
                                 f"class_weight[{key!r}]={weight!r}")
        labels = labels.argmax(-1) if one_hot else labels.reshape(len(labels))
        table = np.ones(int(max(max(class_weight, default=0), labels.max())) + 1, dtype=np.float32)
        for c, w in class_weight.items():
            table[int(c)] = w
        w = table[labels.astype(np.int64)]
        return w if sample_weight is None else w * sample_weight

    @_engaged
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; returns a ``History``.

        Args:
            x, y: arrays (lists for several inputs/outputs, or dicts keyed by Input and output layer
                names); or x alone giving (x, y) or (x, y, sample_weight) batches: a PyDataset
                (``ImageDataGenerator.flow(...)`` too), a generator (with ``steps_per_epoch`` if it
                loops), or an iterable such as a PyTorch DataLoader, read afresh each epoch.
            batch_size: default 32. epochs: passes over the data.
            validation_split: the last fraction of x/y held out for validation (before shuffling).
            validation_data: (x_val, y_val) evaluated at the end of each epoch, or batches as x takes them.

        Example:
            >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
            >>> model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
            >>> x_train, y_train = np.random.rand(100, 4), np.random.randint(0, 3, size=100)
            >>> history = model.fit(x_train, y_train, batch_size=32, epochs=10, validation_split=0.2, verbose=0)
            >>> sorted(history.history), len(history.history["loss"])
            (['accuracy', 'loss', 'val_accuracy', 'val_loss'], 10)
        """
        from striate import callbacks as callbacks_mod
        self._check_compiled("fit")
        _check_count("fit", "epochs", epochs)
        _check_count("fit", "initial_epoch", initial_epoch, low=0)
        if initial_epoch >= epochs:
            raise ValueError(f"fit expects initial_epoch < epochs (epochs is the number of the last epoch, not how "
                             f"many to run), received initial_epoch={initial_epoch}, epochs={epochs}")
        _check_counts("fit", batch_size=batch_size, steps_per_epoch=steps_per_epoch,
                      validation_steps=validation_steps, validation_batch_size=validation_batch_size)
        freqs = validation_freq if isinstance(validation_freq, (list, tuple, set, range)) else [validation_freq]
        if not freqs or not all(_is_count(f) for f in freqs):
            raise ValueError(f"fit expects validation_freq to be an integer >= 1 (validate every n epochs) or a list "
                             f"of epoch numbers >= 1, received validation_freq={validation_freq!r}")
        if validation_split and is_generator(x):
            raise ValueError(f"fit expects validation_split only with arrays (it holds out their last "
                             f"{validation_split:.0%}), received x of type {type(x).__name__}, which yields batches; "
                             "pass validation_data instead")
        if validation_split:
            if validation_data is not None:
                validation_split = 0.0
            else:
                (x, y, sample_weight), validation_data = data_utils.split_validation(
                    data_utils.to_numpy(x), data_utils.to_numpy(y), data_utils.to_numpy(sample_weight),
                    validation_split)
        elif not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), received {validation_split}")
        train = self._batches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, class_weight)
        val = None
        if validation_data is not None:
            vx, vy, vsw = (tuple(validation_data) + (None, None))[:3] if isinstance(validation_data, (tuple, list)) \
                else (validation_data, None, None)  # a list is (x, y) too, as in Keras
            val = self._batches(vx, vy, vsw, validation_batch_size or batch_size, False, validation_steps,
                                where="fit (validation_data)")
        verbose = 1 if verbose == "auto" else verbose
        steps = getattr(train, "steps", steps_per_epoch)
        cbs = callbacks_mod.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                         verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        self._fit_position, self._epoch_end_state, self._resume_from = [initial_epoch, 0, None], None, None
        cbs.on_train_begin()
        resume, self._resume_from = self._resume_from, None
        start_epoch = initial_epoch if resume is None else resume["epoch"]
        if resume is not None and start_epoch >= epochs:
            self._restore(resume)  # nothing left to run: the model is left as saved
        logs, first_bad = {}, None
        batch_begin, batch_end = cbs.hooked("on_train_batch_begin"), cbs.hooked("on_train_batch_end")
        for epoch in range(start_epoch, epochs):
            self.reset_metrics()
            self._epoch_end_state = None
            cbs.on_epoch_begin(epoch)
            batches, start_step = self._epoch_batches(train, epoch, resume if epoch == start_epoch else None)
            for step, (bx, by, bsw) in enumerate(batches, start_step):
                if batch_begin:
                    cbs.on_train_batch_begin(step)
                self._train_batch(bx, by, bsw)
                self._fit_position[1] = step + 1
                if batch_end:
                    cbs.on_train_batch_end(step, self._logs())
                if self.stop_training:
                    break
            if train.ran_out:  # a generator used up (it warned): an epoch without batches, not logged
                break
            self._epoch_end_state = self._progress()
            logs = self._logs() if self._compiled_losses is not None else {}
            if first_bad is None and not math.isfinite(logs.get("loss", 0.0)):
                first_bad = (epoch, logs["loss"])
            if val is not None and _due(validation_freq, epoch):
                val_logs = self._evaluate_batches(val, cbs)
                if val.ran_out:  # a validation generator used up (it warned): no val_ logs, the last epoch
                    self.stop_training = True
                else:
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        self._fit_position = self._epoch_end_state = None
        # A TerminateOnNaN has already stopped the run and said so: the warning would only repeat it.
        if first_bad is not None and not any(isinstance(c, callbacks_mod.TerminateOnNaN) for c in cbs.callbacks):
            warnings.warn(f"fit: the training loss became {first_bad[1]} at epoch {first_bad[0] + 1}/{epochs}, so the "
                          "weights are likely NaN; lower the learning rate, check the data, or stop such runs at "
                          "once with callbacks.TerminateOnNaN()", RuntimeWarning, stacklevel=2)
        return self.history

    # -- resuming -------------------------------------------------------------------------------
    def get_training_state(self):
        """Everything the running ``fit`` needs to continue bit for bit: see :meth:`resume_training`.

        Call it from a callback during ``fit`` (``BackupAndRestore`` does, to write its backups). The
        state is that after the last training batch run: called during validation or from
        ``on_epoch_end``, it is the state before them, and resuming from it runs them again.

        Returns:
            A new dict of JSON-able values and NumPy arrays: ``epoch`` and ``step`` (the next batch),
            ``weights``, ``optimizer`` (its variables: iterations, learning rate, slots),
            ``rng_state`` (the backend generator) and ``epoch_rng_state`` (as it was before the
            epoch's shuffle), the epoch's running metric states, and the History so far.

        Example:
            >>> class Snapshot(keras.callbacks.Callback):
            ...     def on_train_batch_end(self, batch, logs=None):
            ...         self.state = self.model.get_training_state()
            >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> snapshot = Snapshot()
            >>> history = model.fit(np.ones((64, 2)), np.ones(64), epochs=2, callbacks=[snapshot], verbose=0)
            >>> snapshot.state["epoch"], snapshot.state["step"]  # the second epoch, after its 2 batches of 32
            (1, 2)
        """
        if self._fit_position is None:
            raise RuntimeError("get_training_state: no fit is running; call it from a callback during fit()")
        state = dict(self._epoch_end_state or self._progress())
        self.optimizer.build(self.trainable_weights)
        state["weights"] = self.get_weights()
        state["optimizer"] = [v.numpy().copy() for v in self.optimizer.variables]
        return state

    def resume_training(self, state):
        """Make the running ``fit`` continue from ``state``, a dict from :meth:`get_training_state`.

        Call it from a callback's ``on_train_begin``. ``fit`` then starts at the saved epoch
        (which overrides ``initial_epoch``) and step: it calls ``on_epoch_begin`` for that epoch,
        then restores the weights, the optimizer, the History and, for the batches left, the
        same shuffle, random draws and running metrics as the run that saved the state; so it ends
        as that run would have, bit for bit, given the same data and ``fit`` arguments. (The
        callbacks' own state, such as EarlyStopping's patience count, is not part of it.)

        Args:
            state: the dict (its arrays may be NumPy's, its tuples lists).

        Raises:
            ValueError: the state's weights or optimizer variables do not fit this model.
        """
        if self._fit_position is None:
            raise RuntimeError("resume_training: no fit is running; call it from a callback's on_train_begin")
        if not self.built:
            raise ValueError(f"resume_training: model '{self.name}' is not built; build it (give it an Input, "
                             "or call it on a batch) before fit() so saved weights can be restored")
        own, saved = [tuple(v.shape) for v in self.weights], [tuple(np.shape(w)) for w in state["weights"]]
        if own != saved:
            raise ValueError(f"resume_training: the saved weights do not fit model '{self.name}': they have shapes "
                             f"{saved}, the model's are {own}")
        self.optimizer.build(self.trainable_weights)
        if len(state["optimizer"]) != len(self.optimizer.variables):
            raise ValueError(f"resume_training: the state holds {len(state['optimizer'])} optimizer variables, "
                             f"optimizer '{self.optimizer.name}' has {len(self.optimizer.variables)}; was it saved "
                             "with another optimizer?")
        self._resume_from = state

    def _progress(self):
        """The state that moves batch by batch: position, generator, running metrics, History."""
        epoch, step, epoch_rng_state = self._fit_position
        history = self.history
        state = {"epoch": epoch, "step": step, "rng_state": backend.get_rng_state(),
                 "epoch_rng_state": epoch_rng_state,
                 "history": {"epoch": list(history.epoch), "history": {k: list(v) for k, v in history.history.items()}}}
        if step:
            state["resolved_shapes"] = self._resolved_shapes
            state["metrics"] = [_metric_state(m) for m in self._all_metrics()]
        return state

    def _epoch_batches(self, train, epoch, resume):
        """The epoch's batches and its first step; a resumed epoch restores the saved state too.

        NOTE: an epoch resumed at step s > 0 replays the draws of the interrupted one: the generator
        goes back to its state at the epoch's start, draws the same shuffle, then jumps to its state
        after step s - 1, so the dropout masks of step s on are those of the uninterrupted run.
        """
        start_step = 0 if resume is None else resume["step"]
        if resume is not None:
            backend.set_rng_state(resume["epoch_rng_state"] if start_step else resume["rng_state"])
        self._fit_position = [epoch, start_step, backend.get_rng_state()]
        batches = train.epoch(start_step)
        if resume is not None:
            self._restore(resume)
        return batches, start_step

    def _restore(self, state):
        self.set_weights(state["weights"])
        for variable, value in zip(self.optimizer.variables, state["optimizer"]):
            variable.assign(value)
        self.history.epoch = list(state["history"]["epoch"])
        self.history.history = {k: list(v) for k, v in state["history"]["history"].items()}
        if state["step"]:
            backend.set_rng_state(state["rng_state"])
            if self._compiled_losses is None:
                self._resolve(*state["resolved_shapes"])
            for metric, saved in zip(self._all_metrics(), state["metrics"]):
                for name, value in saved.items():
                    if name == "variables":
                        for variable, array in zip(metric.variables, value):
                            variable.assign(array)
                        continue
                    setattr(metric, name, [backend.asarray(a) for a in value] if isinstance(value, list)
                            else backend.asarray(value))

    def _evaluate_batches(self, batches, cbs):
        """One pass of evaluation (``evaluate``, or ``fit``'s validation) between the callbacks'
        ``on_test_begin`` and ``on_test_end``, as Keras 3 runs both."""
        self.reset_metrics()
        cbs.on_test_begin()
        batch_begin, batch_end = cbs.hooked("on_test_batch_begin"), cbs.hooked("on_test_batch_end")
        for step, (bx, by, bsw) in enumerate(batches):
            if batch_begin:
                cbs.on_test_batch_begin(step)
            self._test_batch(bx, by, bsw)
            if batch_end:
                cbs.on_test_batch_end(step, self._logs())
        logs = self._logs()
        cbs.on_test_end(logs)
        return logs

    @_engaged
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics on the given data: a scalar, or ``[loss, metric, ...]``, or a dict."""
        from striate import callbacks as callbacks_mod
        self._check_compiled("evaluate")
        _check_counts("evaluate", batch_size=batch_size, steps=steps)
        batches = self._batches(x, y, sample_weight, batch_size, False, steps, where="evaluate")
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks_mod.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                         epochs=1, steps=getattr(batches, "steps", steps))
        logs = self._evaluate_batches(batches, cbs)
        if return_dict:
            return logs
        values = [logs[n] for n in self.metrics_names]
        return values[0] if len(values) == 1 else values

    @_engaged
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, as NumPy arrays, computed in batches.

        Args:
            x: inputs (an array, a list or dict of arrays for several inputs), or batches of them.
            batch_size: default 32.
            verbose: ``"auto"`` or 1 a progress bar, 2 one line at the end, 0 silent.
            steps: how many batches to run (default: all).
            callbacks: callbacks whose ``on_predict_begin``/``on_predict_end`` and
                ``on_predict_batch_begin``/``on_predict_batch_end`` are called (the batch's logs are
                ``{"outputs": ...}``, the batch's predictions); a callback can stop the loop with
                ``model.stop_predicting = True``.

        Returns:
            An array, or a list of arrays for a model with several outputs.

        Example:
            >>> import numpy as np
            >>> import striate as keras
            >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
            >>> model.predict(np.zeros((5, 3)), verbose=0).shape
            (5, 2)
        """
        from striate import callbacks as callbacks_mod
        _check_counts("predict", batch_size=batch_size, steps=steps)
        if is_generator(x):
            batches = data_utils.source_batches(x, steps=steps, where="predict")
        else:
            x = data_utils.to_numpy(x)
            data_utils.check_arrays(x, where="predict")
            batches = ArrayBatches(x, None, None, 32 if batch_size is None else int(batch_size), False, steps)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks_mod.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                         epochs=1, steps=getattr(batches, "steps", steps))
        self.stop_predicting = False
        cbs.on_predict_begin()
        batch_begin, batch_end = cbs.hooked("on_predict_batch_begin"), cbs.hooked("on_predict_batch_end")
        outs, several = [], isinstance(getattr(self, "_nested_outputs", None), (list, tuple))
        for step, (bx, _, _) in enumerate(batches):
            if batch_begin:
                cbs.on_predict_batch_begin(step)
            outs.append([_host(o) for o in _as_list(self.predict_on_batch_tensors(bx))])
            if batch_end:
                cbs.on_predict_batch_end(step, {"outputs": outs[-1] if several else outs[-1][0]})
            if self.stop_predicting:
                break
        cbs.on_predict_end()
        if not outs:
            raise ValueError("predict: received no data")
        joined = [np.concatenate([o[i] for o in outs]) for i in range(len(outs[0]))]
        return joined if several else joined[0]

    def predict_on_batch_tensors(self, x):
        with no_grad():
            return self(_as_inputs(self._by_name(x, "x")), training=False)

    def _by_name(self, values, what):
        """Inputs (``what="x"``) or targets (``"y"``) given as a dict, as the model's list: keys match
        Input names or output layer names, never positions."""
        if not isinstance(values, dict):
            return values
        kind = "inputs" if what == "x" else "outputs"
        tensors = getattr(self, kind, None) if getattr(self, "_functional", False) else None
        if not tensors:
            raise ValueError(f"Model '{self.name}' has no named {kind} (it is subclassed, or has no Input yet), so "
                             f"{what} cannot be a dict; pass {what} as an array, or a list in the model's order")
        return data_utils.by_name(values, [t.node.layer.name for t in tensors], what, self.name)

    @_engaged
    def predict_on_batch(self, x):
        out = [_host(o) for o in _as_list(self.predict_on_batch_tensors(x))]
        return out if len(out) > 1 else out[0]

    @_engaged
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        self._check_compiled("train_on_batch")
        x, y, sample_weight = data_utils.to_numpy(x), data_utils.to_numpy(y), data_utils.to_numpy(sample_weight)
        self._check_targets(y, "train_on_batch")
        data_utils.check_arrays(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            sample_weight = self._class_sample_weights(y, class_weight, sample_weight, "train_on_batch")
        self.reset_metrics()
        self._train_batch(x, y, sample_weight)
        return self._batch_result(return_dict)

    @_engaged
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("test_on_batch")
        x, y, sample_weight = data_utils.to_numpy(x), data_utils.to_numpy(y), data_utils.to_numpy(sample_weight)
        self._check_targets(y, "test_on_batch")
        data_utils.check_arrays(x, y, sample_weight, "test_on_batch")
        self.reset_metrics()
        self._test_batch(x, y, sample_weight)
        return self._batch_result(return_dict)

    def _batch_result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        values = [logs[n] for n in self.metrics_names]
        return values[0] if len(values) == 1 else values


def _is_count(value, low=1):
    """Whether ``value`` is an integer >= ``low`` (NumPy's integers too; ``True`` is not a count)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and value >= low


def _check_count(where, name, value, low=1):
    if not _is_count(value, low):
        raise ValueError(f"{where} expects {name} to be an integer >= {low}, received {name}={value!r}")


def _check_counts(where, **values):
    """The optional counts of ``where``'s arguments: each ``None`` or an integer >= 1."""
    for name, value in values.items():
        if value is not None:
            _check_count(where, name, value)


def _leaves(spec):
    """The individual identifiers in a compile() spec (a name, a list, a dict, nested)."""
    if spec is None:
        return []
    if isinstance(spec, dict):
        spec = list(spec.values())
    if isinstance(spec, (list, tuple)):
        return [leaf for s in spec for leaf in _leaves(s)]
    return [spec]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _shapes(x):
    return None if x is None else [a.shape for a in _as_list(x)]


def _scalar_loss(loss):
    """A loss from ``add_loss`` or a regularizer as a floating scalar Tensor (summed, as Keras aggregates it)."""
    if isinstance(loss, Tensor) and loss.ndim == 0 and loss.dtype.kind == "f":
        return loss
    loss = ops.convert_to_tensor(loss)
    loss = loss if loss.dtype.kind == "f" else ops.cast(loss, backend.floatx())
    return loss if loss.ndim == 0 else ops.sum(loss)


def _metric_state(metric):
    """A metric's running state: its variables (``Metric.add_variable``), and the arrays that striate's
    built-in metrics keep as attributes."""
    state = {k: copy.deepcopy(v) for k, v in vars(metric).items() if _is_array_state(v)}
    if metric.variables:
        state["variables"] = [v.numpy().copy() for v in metric.variables]
    return state


def _is_array_state(value):
    """Whether a metric attribute is an array of running state (variables are saved apart)."""
    if isinstance(value, list):
        return bool(value) and all(_is_array_state(v) for v in value)
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor)


def _as_inputs(x):
    """Inputs moved to the array module; layers cast them to their dtype (uint8 images included)."""
    if isinstance(x, (list, tuple)):
        return [v if isinstance(v, Tensor) else backend.asarray(v) for v in x]
    return x if isinstance(x, Tensor) else backend.asarray(x)


def _due(freq, epoch):
    return (epoch + 1) % freq == 0 if isinstance(freq, numbers.Integral) else (epoch + 1) in freq
