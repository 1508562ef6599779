"""Keras 3's config format: ``{"module", "class_name", "config", "registered_name", ...}``.

``serialize_keras_object`` writes striate objects under Keras's module and class names, so Keras reads
them; ``deserialize_keras_object`` builds objects from such configs, Keras's own included, looking
classes up only in :mod:`striate.saving.registry` (never importing what a file names), and refuses
configs that carry Python code (lambdas, bytecode) before building anything.
"""
import contextlib
import inspect
import types

import numpy as np

from striate.saving import registry

PLAIN = (str, int, float, bool)
# Keras features striate lacks: their keys in Keras's configs load when the feature is off.
_INACTIVE = (None, False)
# Config entries that carry Python code or bytecode: always refused (a Lambda layer too: lambda_refused).
_CODE_CLASSES = {"__lambda__", "__python_code__", "__typespec__"}
_CODE_KEYS = {"function_type", "output_shape_type", "__python_code__", "__code__", "bytecode"}
_NUMERIC_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                   "float32", "float64"}
_MAX_DEPTH = 500
_KERAS_2_NAMES = {"InputLayer": {"batch_input_shape": "batch_shape"}}  # Keras 2 argument -> Keras 3's

_context = []  # (custom_objects, shared objects by id) of the deserialization in progress


class UnsafeConfigError(ValueError):
    """A config asks for something striate never builds: Python code, or a class nobody registered."""


def lambda_refused(name, where=None):
    """The error for a Lambda layer ``name`` found in a config (at ``where``): its function is Python code
    (Keras writes it as marshalled bytecode, striate by name), which no file can give back safely."""
    return UnsafeConfigError(
        f"{where + ': ' if where else ''}Lambda layer {name!r} holds Python code, which striate never loads from a "
        "file (even with safe_mode=False); rebuild the model in code and load only its weights "
        "(model.load_weights)")


# -- serialize ---------------------------------------------------------------------------------
def serialize_keras_object(obj):
    """Describe ``obj`` as a JSON-able dict in Keras 3's format (plain values are returned as they are).

    Args:
        obj: a layer, model, optimizer, loss, metric, initializer, regularizer, constraint, schedule,
            registered function, or a plain value / list / dict of them.

    Returns:
        ``{"module": ..., "class_name": ..., "config": ..., "registered_name": ...}`` (plus
        ``"build_config"`` / ``"compile_config"`` for layers and models).

    Example:
        >>> config = keras.saving.serialize_keras_object(keras.layers.Dense(4))
        >>> config["class_name"], config["config"]["units"]
        ('Dense', 4)
    """
    if obj is None or isinstance(obj, PLAIN):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, types.FunctionType) or inspect.isbuiltin(obj):
        return _serialize_function(obj)
    if inspect.isclass(obj):
        raise TypeError(f"serialize_keras_object: received the class {obj.__name__}, expected an instance")
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no get_config() method")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"{type(obj).__name__}.get_config() must return a dict, returned {type(config).__name__}")
    config = {str(k): serialize_keras_object(_registered_callable(obj, k, v)) for k, v in config.items()}
    builtin = registry.builtin_module_of(obj)
    if builtin is not None and not (builtin[1] == "Functional" and not obj._functional):
        module, class_name = builtin
        registered = "Functional" if class_name == "Functional" else None
    else:
        module, class_name = type(obj).__module__, type(obj).__name__
        registered = registry.get_registered_name(type(obj))
    out = {"module": module, "class_name": class_name, "config": config, "registered_name": registered}
    build = build_config_of(obj)
    if build is not None:
        out["build_config"] = serialize_keras_object(build)
    if hasattr(obj, "get_compile_config"):
        compiled = obj.get_compile_config()
        if compiled is not None:
            out["compile_config"] = serialize_keras_object(compiled)
    return out


def build_config_of(obj):
    """Keras's ``build_config``: the input shape a built layer was built for, where it is known."""
    from striate.layers.layer import Layer
    Model, Sequential = registry.model_classes()
    if not isinstance(obj, Layer) or not obj.built:
        return None
    if isinstance(obj, Sequential):
        return {"input_shape": list(obj.inputs[0].shape)} if obj._functional else None
    if isinstance(obj, Model) or not obj._inbound_nodes:
        return None
    node = obj._inbound_nodes[0]
    shapes = [list(t.shape) for t in node.inputs]
    return {"input_shape": shapes if node.is_list else shapes[0]} if shapes else None


def build_from_config(obj, build_config):
    """Build a layer that its config left unbuilt, for the input shape in ``build_config``."""
    from striate.layers.layer import Layer
    shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
    if not isinstance(obj, Layer) or obj.built or not isinstance(shape, (list, tuple)) or not shape:
        return
    nested = all(isinstance(s, (list, tuple)) for s in shape)
    shape = [tuple(s) for s in shape] if nested else tuple(shape)
    if hasattr(obj, "_stack"):  # Sequential
        obj.build(shape)
    else:
        obj._maybe_build(shape)


def _registered_callable(obj, key, value):
    """A layer's config names functions (``activation``) by ``__name__``; a registered function is
    written under its registered name instead, so loading can find it."""
    attr = getattr(obj, key, None) if isinstance(value, str) else None
    if isinstance(attr, types.FunctionType) and attr in registry._CUSTOM_NAMES:
        return attr
    return value


def _serialize_function(fn):
    if getattr(fn, "__name__", "") == "<lambda>":
        raise ValueError("Cannot serialize a lambda: striate never saves Python code. Use a named function "
                         "decorated with @striate.saving.register_keras_serializable()")
    builtin = registry.builtin_module_of(fn)
    if builtin is not None and fn not in registry._CUSTOM_NAMES:
        module, name = builtin
        return {"module": module, "class_name": "function", "config": name, "registered_name": name}
    name = registry.get_registered_name(fn)
    return {"module": fn.__module__, "class_name": "function", "config": name, "registered_name": name}


# -- deserialize -------------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, safe_mode=True):
    """Build the object a Keras 3 config describes (the inverse of :func:`serialize_keras_object`).

    Classes are looked up among striate's own and those registered with
    :func:`register_keras_serializable`, ``custom_objects`` or an open :func:`custom_object_scope`;
    a name is never imported. Keras's own configs load too (Keras-only settings load when off).

    Args:
        config: a dict from :func:`serialize_keras_object` (or a plain value, returned as is).
        custom_objects: optional ``{name: class or function}`` for classes that are not registered.
        safe_mode: Keras's switch for loading Python code (``__lambda__``, Lambda layers, bytecode); kept
            for Keras's signature: striate refuses such configs whatever its value.

    Returns:
        The object.

    Raises:
        UnsafeConfigError: for Python code or a class that is neither striate's nor registered.
        ValueError: for a malformed config.

    Example:
        >>> layer = deserialize_keras_object({"module": "keras.layers", "class_name": "Dense",
        ...                                   "config": {"units": 4}, "registered_name": None})
    """
    if custom_objects is None:
        custom_objects = current_custom_objects()
    check_no_code(config)  # whatever safe_mode says: striate has no way to load code, and never will
    if isinstance(config, str):
        found = registry.scoped_objects(custom_objects).get(config)
        if found is not None:
            return found
    _context.append((custom_objects, _context[-1][1] if _context else {}))
    try:
        return _deserialize(config, 0)
    except RecursionError:
        raise ValueError("Config is nested too deeply to be a model") from None
    finally:
        _context.pop()


def check_no_code(config, where="config"):
    """Raise :class:`UnsafeConfigError` if ``config`` holds serialized Python code anywhere."""
    stack = [(config, where, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(f"{where}: nested more than {_MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            name = value.get("class_name")
            if name == "Lambda":
                inner = value.get("config")
                raise lambda_refused(value.get("name") or (inner.get("name") if isinstance(inner, dict) else None),
                                     path)
            if name in _CODE_CLASSES or any(k in value for k in _CODE_KEYS):
                what = f"'{name}'" if name in _CODE_CLASSES else "Python code"
                raise UnsafeConfigError(
                    f"{path}: refusing to load {what}: it holds serialized Python code, which could run anything "
                    "when loaded. striate loads only registered classes and named functions (even with "
                    "safe_mode=False); rewrite it as a registered class or function "
                    "(@striate.saving.register_keras_serializable)")
            stack.extend(reversed([(v, f"{path}.{k}", depth + 1) for k, v in value.items()]))  # in file order
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed([(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]))


def _deserialize(config, depth):
    if depth > _MAX_DEPTH:
        raise ValueError(f"Config is nested more than {_MAX_DEPTH} levels deep")
    if config is None or isinstance(config, PLAIN):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(x, depth + 1) for x in config]
    if not isinstance(config, dict):
        raise ValueError(f"Could not read config entry of type {type(config).__name__}")
    if "class_name" not in config or "config" not in config:
        return {k: _deserialize(v, depth + 1) for k, v in config.items()}
    class_name, inner = config["class_name"], config["config"]
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(inner if inner is not None else {}, depth)
    if not isinstance(class_name, str):
        raise ValueError(f"Config class_name must be a string, received {class_name!r}")
    if class_name == "function":
        return resolve_function(inner, config.get("registered_name"), config.get("module"))
    if class_name in ("DTypePolicy", "FloatDTypePolicy"):
        return dtype_policy_name(config)
    inner = {} if inner is None else inner
    if not isinstance(inner, dict):
        raise ValueError(f"Config of {class_name!r} must be a dict, received {type(inner).__name__}")
    shared = _context[-1][1]
    shared_id = config.get("shared_object_id")
    if shared_id is not None and shared_id in shared:
        return shared[shared_id]
    cls = resolve_class(class_name, config.get("registered_name"), config.get("module"))
    obj = build(cls, class_name, inner, depth)
    build_from_config(obj, config.get("build_config"))
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(compile_config)
    if shared_id is not None:
        shared[shared_id] = obj
    return obj


def build(cls, class_name, inner, depth):
    """``cls.from_config`` on ``inner``, with nested objects built first and Keras-only settings fitted."""
    Model, _ = registry.model_classes()
    if inspect.isclass(cls) and issubclass(cls, Model):
        return cls.from_config(inner)  # a model builds its own layers
    if _is_builtin(cls):
        inner = fit_keras_config(cls, class_name, inner)
    inner = {k: _resolve_value(k, v, depth) for k, v in inner.items()}
    if not hasattr(cls, "from_config"):
        raise ValueError(f"Cannot build {class_name!r}: {cls!r} has no from_config() method")
    return cls.from_config(inner)


def _resolve_value(key, value, depth):
    if isinstance(value, str) and (key in ("activation", "fn") or key.endswith("_activation")):
        found = registry.scoped_objects(current_custom_objects()).get(value) or registry._CUSTOM.get(value)
        return value if found is None else found
    if isinstance(value, (dict, list, tuple)):
        return _deserialize(value, depth + 1)
    return value


def _is_builtin(cls):
    return any(cls is c for table in registry.builtins().values() for c in table.values())


def fit_keras_config(cls, class_name, config):
    """``config`` without the Keras-only settings ``cls`` does not take (when they are off), with a
    Keras DTypePolicy read as its dtype name. A Keras feature that is on is an error."""
    accepted, closed = _accepted_arguments(cls)
    out = {}
    renames = _KERAS_2_NAMES.get(class_name, {})
    for key, value in config.items():
        key = renames.get(key, key)
        if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            value = dtype_policy_name(value)
        if closed and key not in accepted:
            if value in _INACTIVE or value == {} or value == []:
                continue
            raise ValueError(f"{class_name}: the Keras setting {key}={value!r} is not supported by striate")
        out[key] = value
    return out


def _accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up to Layer's (which takes no more)."""
    from striate.layers.layer import Layer
    accepted = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        accepted |= {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if klass is Layer or not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return accepted, True
    return accepted, False


def dtype_policy_name(config):
    """The dtype a Keras DTypePolicy config stands for (mixed policies keep float32 weights)."""
    name = (config.get("config") or {}).get("name") if isinstance(config, dict) else None
    if not isinstance(name, str):
        raise ValueError(f"Invalid DTypePolicy config {config!r}")
    return "float32" if name.startswith("mixed_") else name


def _user_object(*names):
    """The first of ``names`` found in the user's custom objects or the registry, else None."""
    user = registry.scoped_objects(current_custom_objects())
    for name in names:
        if isinstance(name, str) and (name in user or name in registry._CUSTOM):
            return user.get(name) or registry._CUSTOM[name]
    return None


def resolve_class(class_name, registered_name=None, module=None):
    """The class a config names, from the user's tables, the registry or striate's built-ins only."""
    found = _user_object(registered_name, class_name)
    if found is not None:
        return found
    kind = registry.kind_of_module(module)
    tables = registry.builtins()
    if kind is not None:
        found = tables[kind].get(class_name)
    elif module is None:  # Keras 2 configs name no module
        found = next((t[class_name] for t in tables.values() if class_name in t), None)
    else:
        found = None
    if inspect.isclass(found):
        return found
    where = f" from module {module!r}" if module else ""
    raise UnsafeConfigError(
        f"Unknown class {class_name!r}{where}: it is neither a striate class nor registered. Register it with "
        "@striate.saving.register_keras_serializable() or pass custom_objects={...}; striate never imports "
        "modules or looks up names that a file gives")


def resolve_function(name, registered_name=None, module=None):
    """The function a config names, from the user's tables, the registry or striate's built-ins only."""
    if not isinstance(name, str):
        raise ValueError(f"A function config must name the function, received {name!r}")
    found = _user_object(registered_name, name)
    if found is not None:
        return found
    kind = registry.kind_of_module(module)
    tables = registry.builtins()
    kinds = [kind] if kind not in (None, "layers") else ["activations", "losses", "metrics"]
    for k in kinds:
        found = tables[k].get(name)
        if inspect.isfunction(found) or (callable(found) and not inspect.isclass(found)):
            return found
    raise UnsafeConfigError(
        f"Unknown function {name!r}" + (f" from module {module!r}" if module else "") + ": it is neither a striate "
        "function nor registered. Register it with @striate.saving.register_keras_serializable() or pass "
        "custom_objects={...}; striate never imports modules or looks up names that a file gives")


def _numpy(inner, depth):
    dtype = str(inner.get("dtype", "float32"))
    if dtype not in _NUMERIC_DTYPES:
        raise ValueError(f"Array config with dtype {dtype!r}: only numeric dtypes are loaded")
    return np.array(inner.get("value"), dtype=dtype)


def _slice(inner, depth):
    return slice(*(_deserialize(inner.get(k), depth + 1) for k in ("start", "stop", "step")))


def _keras_tensor(inner, depth):
    history = inner.get("keras_history")
    if not (isinstance(history, (list, tuple)) and len(history) == 3 and isinstance(history[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:])):
        raise ValueError(f"Invalid tensor reference {history!r} in a functional model config: expected "
                         "[layer_name, node_index, tensor_index]")
    return TensorReference(*history)


class TensorReference:
    """A ``__keras_tensor__`` entry of a functional config: output ``tensor_index`` of call
    ``node_index`` of layer ``layer_name`` (resolved when the graph is rebuilt)."""

    def __init__(self, layer_name, node_index, tensor_index):
        self.layer_name, self.node_index, self.tensor_index = layer_name, node_index, tensor_index


def _code(inner, depth):
    raise UnsafeConfigError("Refusing to load a lambda: striate never runs Python code read from a file, even with "
                            "safe_mode=False; rewrite it as a named function registered with "
                            "@striate.saving.register_keras_serializable")


_SPECIAL = {
    "__lambda__": _code,
    "__python_code__": _code,
    "__numpy__": _numpy,
    "__tensor__": _numpy,
    "__bytes__": lambda inner, depth: str(inner.get("value", "")).encode("utf-8"),
    "__ellipsis__": lambda inner, depth: Ellipsis,
    "__slice__": _slice,
    "__tuple__": lambda inner, depth: tuple(_deserialize(inner.get("value", []), depth + 1)),
    "__keras_tensor__": _keras_tensor,
}


@contextlib.contextmanager
def loading_scope(custom_objects=None):
    """Deserialize within one scope: custom objects and shared objects carry to nested calls."""
    _context.append((custom_objects, {}))
    try:
        yield
    finally:
        _context.pop()


def current_custom_objects():
    """The ``custom_objects`` of the deserialization in progress (``None`` outside one)."""
    return _context[-1][0] if _context else None
