"""striate.saving: Keras 3 compatible configs, ``.keras`` archives and weight files, loaded safely.

    model.save("model.keras")                         # or save_model(model, "model.keras")
    model = striate.models.load_model("model.keras")  # a Keras 3 file loads too, and Keras loads ours
    model.save_weights("model.weights.h5")            # Keras 3 layout; ".h5": Keras 2 layout; ".npz"
    model.load_weights("model.weights.h5")

Loading never imports or runs anything a file names: only striate's classes and those registered with
``register_keras_serializable`` (or passed as ``custom_objects``) are built, Python code in a config is
refused, archives and HDF5 files are checked before they are read, weights are checked before any is
assigned, and every save is atomic (``atomic_write``).
"""
from striate.saving.archive import load_model, model_from_config, save_model
from striate.saving.atomic import atomic_write
from striate.saving.files import LIMITS, FileFormatError
from striate.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from striate.saving.serialization import UnsafeConfigError, deserialize_keras_object, serialize_keras_object
from striate.saving.weights import load_weights, save_weights

__all__ = ["atomic_write", "save_model", "load_model", "save_weights", "load_weights", "model_from_config",
           "serialize_keras_object", "deserialize_keras_object", "register_keras_serializable",
           "get_registered_object", "get_registered_name", "get_custom_objects", "custom_object_scope",
           "CustomObjectScope", "FileFormatError", "UnsafeConfigError", "LIMITS"]
