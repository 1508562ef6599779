"""The Keras 3 ``.keras`` archive: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``.

Saving writes the whole archive to a temporary file and moves it into place; loading checks the
archive's members before reading any, reads them into memory (nothing is extracted), builds the
model from its config in safe mode and loads the weights all or nothing.
"""
import datetime
import json
import os
import zipfile

from striate.saving.atomic import atomic_write
from striate.saving.files import Archive, FileFormatError, open_h5, reading
from striate.saving.serialization import (
    UnsafeConfigError,
    deserialize_keras_object,
    loading_scope,
    serialize_keras_object,
)
from striate.saving.weights import KERAS_FORMAT_VERSION, _prepare_optimizer, h5_image, plan_keras_h5, write_keras_h5
from striate.saving.registry import model_classes

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def _member(name):
    return name in (CONFIG, METADATA, WEIGHTS) or name.startswith("assets/")


def open_archive(path, max_bytes=None):
    """The ``.keras`` archive at ``path``, its members checked (names, sizes), nothing read yet."""
    return Archive(path, ".keras archive", _member, max_bytes)


def save_model(model, filepath, overwrite=True):
    """Save ``model`` (architecture, weights, compile settings and optimizer state) as a ``.keras``
    archive that Keras 3 loads too. The file is written atomically.

    Args:
        model: a functional, Sequential or registered subclassed model.
        filepath: a path ending in ``.keras``.
        overwrite: if False, an existing file is an error.

    Example:
        >>> import zipfile
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> keras.saving.save_model(model, "model.keras")
        >>> zipfile.ZipFile("model.keras").namelist()
        ['metadata.json', 'config.json', 'model.weights.h5']
    """
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(f"{path}: a model file must end in .keras (use save_weights for .weights.h5, .h5 or "
                         ".npz weight files)")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path}: already exists (overwrite=False)")
    from striate import __version__
    config = json.dumps(serialize_keras_object(model))
    metadata = json.dumps({"keras_version": KERAS_FORMAT_VERSION, "striate_version": __version__,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    weights = h5_image(write_keras_h5, model, path)
    with atomic_write(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA, metadata)
            archive.writestr(CONFIG, config)
            archive.writestr(WEIGHTS, bytes(weights))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, max_bytes=None):
    """Load a model from a ``.keras`` archive (striate's or Keras 3's).

    Nothing is extracted to disk and nothing named in the file is imported: only striate's classes and
    registered ones are built. A file that is not a ``.keras`` archive, is truncated or corrupt, asks for
    Python code, or whose weights do not fit the model raises an error naming the file.

    Args:
        filepath: the ``.keras`` file.
        custom_objects: ``{name: class or function}`` for classes that are not registered.
        compile: restore the compile settings and the optimizer's state (to resume training).
        safe_mode: Keras's switch for configs that carry Python code (lambdas); striate refuses them
            whatever its value.
        max_bytes: the most uncompressed bytes to read (default ``files.LIMITS["max_bytes"]``).

    Returns:
        The model, with its weights (and, with ``compile``, compiled with its optimizer's state).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> history = model.fit(np.ones((8, 3)), np.zeros((8, 2)), verbose=0)
        >>> model.save("model.keras")
        >>> keras.saving.load_model("model.keras").optimizer.iterations  # fit goes on from here
        1
    """
    label = os.fspath(filepath)
    with open_archive(label, max_bytes) as archive:
        config = archive.read_json(CONFIG)
        weights = archive.read(WEIGHTS)
    if not compile:
        config = {**config, "compile_config": None}
    model = model_from_config(config, custom_objects, safe_mode, label)
    with open_h5(weights, f"{label}: {WEIGHTS}") as h5file, reading(label, WEIGHTS):
        if compile:
            _prepare_optimizer(model)
        plan_keras_h5(h5file, model, label, include_optimizer=compile).commit()
    return model


def model_from_config(config, custom_objects=None, safe_mode=True, label="config"):
    """Build a model from a serialized config; every failure is an error naming ``label``."""
    Model, _ = model_classes()
    try:
        with loading_scope(custom_objects):
            model = deserialize_keras_object(config, custom_objects, safe_mode)
    except FileFormatError:
        raise
    except UnsafeConfigError as e:
        raise UnsafeConfigError(f"{label}: {e}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as e:
        raise FileFormatError(f"{label}: invalid model config ({type(e).__name__}: {str(e)[:500]})") from e
    if not isinstance(model, Model):
        raise FileFormatError(f"{label}: the config describes a {type(model).__name__}, not a model")
    return model
