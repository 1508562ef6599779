"""striate.models: Model (functional or subclassed), Sequential, and loading them back."""
from striate.models.cloning import clone_model
from striate.models.model import Model
from striate.models.sequential import Sequential
from striate.saving.registry import register_model_classes

register_model_classes(Model, Sequential)

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "model_from_yaml"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save("....keras")`` (by striate or Keras 3).

    Example:
        >>> import striate as keras
        >>> keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)]).save("model.keras")
        >>> keras.models.load_model("model.keras").output_shape
        (None, 2)
    """
    from striate.saving import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """A new, uncompiled-weights model from :meth:`Model.to_json`'s output (Keras's JSON too).

    Example:
        >>> import striate as keras
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> keras.models.model_from_json(model.to_json()).output_shape
        (None, 2)
    """
    import json
    from striate.saving import model_from_config
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError, RecursionError) as e:
        raise ValueError(f"model_from_json: not valid JSON ({str(e)[:200]})") from None
    return model_from_config(config, custom_objects, label="model_from_json")


def model_from_yaml(yaml_string, custom_objects=None):
    """A new model from :meth:`Model.to_yaml`'s output (needs PyYAML; read with ``yaml.safe_load``).

    Example:
        >>> import striate as keras
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> keras.models.model_from_yaml(model.to_yaml()).output_shape
        (None, 2)
    """
    from striate.saving import model_from_config
    yaml = _yaml()
    try:
        config = yaml.safe_load(yaml_string)
    except (yaml.YAMLError, RecursionError) as e:
        raise ValueError(f"model_from_yaml: not valid YAML ({str(e)[:200]})") from None
    return model_from_config(config, custom_objects, label="model_from_yaml")


def _yaml():
    try:
        import yaml
    except ImportError:
        raise ImportError("to_yaml / model_from_yaml need PyYAML: pip install pyyaml (or striate[yaml])") from None
    return yaml
