"""The model zoo's check against Keras: the same architecture built by ``keras.applications`` (torch
backend, ``weights=None``) with random weights, written in Keras 2's HDF5 layout by Keras's own writer (as
the published ImageNet files are), then loaded into striate's model.

``keras_pair(name, input_shape, top_layer)`` builds Keras's model with its classifier, randomizes it and
writes two files, ``top.h5`` (the whole model, as a ``*_tf_kernels.h5`` file) and ``notop.h5`` (the layers
below ``top_layer``, as a ``*_notop.h5`` file); ``keras_features`` and ``keras_logits`` are Keras's outputs
to compare striate's with (``assert_close``: 1e-4 relative to the largest magnitude).
"""
import os
import types

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

import striate  # noqa: E402
from opcheck import rel_err  # noqa: E402

torch.set_num_threads(1)
TOLERANCE = 1e-4


def randomize(model, seed=0):
    """Random weights that keep a deep network's activations in range: He-scaled normal kernels, small
    biases and shifts, batch normalization's scales and variances in ``[0.5, 1.5]``."""
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        shape, kind = tuple(variable.shape), variable.path.rsplit("/", 1)[-1]
        if kind in ("kernel", "depthwise_kernel", "pointwise_kernel"):
            fan_in = int(np.prod(shape[:-1])) if kind != "depthwise_kernel" else int(np.prod(shape[:2]))
            value = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        elif kind in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, shape)
        else:  # bias, beta, moving_mean
            value = rng.standard_normal(shape) * 0.1
        values.append(value.astype("float32"))
    model.set_weights(values)


def write_legacy_h5(model, path):
    """``model``'s weights in Keras 2's layout (root ``layer_names``, per-layer ``weight_names``), by Keras."""
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


def layer_table(model):
    """What must equal Keras's: each layer's name and class, its weights' shapes, in order."""
    return [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in model.layers]


def build(library, name, **kwargs):
    """``library.applications.<name>(**kwargs)`` after clearing the session, so automatic layer names
    (``max_pooling2d``, ``global_average_pooling2d``) count from the start in both libraries."""
    library.utils.clear_session()
    return getattr(library.applications, name)(**kwargs)


def keras_pair(name, input_shape, top_layer, folder, batch=2, seed=0):
    """Keras's ``name`` with its classifier (logits) on ``input_shape``, randomized, and its files.

    Args:
        name: the function's name in ``keras.applications`` (``"ResNet50"``).
        input_shape: a small input shape the model takes with its classifier.
        top_layer: the name of the classifier's first layer (``"flatten"``, ``"avg_pool"``).
        folder: where to write ``top.h5`` and ``notop.h5``.

    Returns:
        A namespace: ``model`` (Keras's), ``x`` (a random batch), ``top_file``, ``notop_file``,
        ``keras_logits`` and ``keras_features`` (the features below the top, globally averaged).
    """
    model = build(keras, name, weights=None, input_shape=input_shape, classifier_activation=None)
    randomize(model, seed)
    names = [layer.name for layer in model.layers]
    features = model.layers[names.index(top_layer) - 1].output
    below_top = keras.Model(model.inputs, features)
    pooled = keras.Model(model.inputs, keras.layers.GlobalAveragePooling2D()(features))
    x = np.random.default_rng(seed).uniform(-1, 1, (batch,) + tuple(input_shape)).astype("float32")
    return types.SimpleNamespace(
        model=model, x=x,
        top_file=write_legacy_h5(model, os.path.join(folder, "top.h5")),
        notop_file=write_legacy_h5(below_top, os.path.join(folder, "notop.h5")),
        keras_logits=np.asarray(model.predict(x, verbose=0)),
        keras_features=np.asarray(pooled.predict(x, verbose=0)))


def assert_close(actual, expected, tolerance=TOLERANCE, what="outputs"):
    """``actual`` within ``tolerance`` of ``expected``, relative to ``expected``'s largest magnitude."""
    actual = striate.ops.convert_to_numpy(actual)
    assert np.all(np.isfinite(expected)), f"Keras's {what} are not finite: the random weights are too large"
    error = rel_err(actual, expected)
    assert error <= tolerance, f"{what} differ from Keras's by {error:.2e} (relative), more than {tolerance:.0e}"
