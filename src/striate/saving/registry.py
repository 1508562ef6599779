"""Which classes and functions a config may name: striate's own, and those the user registers.

Loading looks names up in these tables only: a name read from a file is never imported or resolved
any other way, so a file can build nothing but the classes listed here.
"""
import inspect

_CUSTOM = {}        # "package>Name" -> class or function
_CUSTOM_NAMES = {}  # class or function -> "package>Name"
_SCOPES = []        # dicts pushed by custom_object_scope

# The kind of object a config's "module" names; Keras writes e.g. "keras.layers",
# "keras.src.backend.torch.optimizers.torch_adam" (Adam) or "keras.optimizers.schedules".
KINDS = ("layers", "schedules", "optimizers", "initializers", "regularizers", "constraints", "losses", "metrics",
         "activations")


def kind_of_module(module):
    """The kind of object a Keras or striate module path holds (``None`` when it names neither)."""
    if not isinstance(module, str):
        return None
    parts = module.split(".")
    if parts[0] not in ("keras", "striate", "tf_keras"):
        return None
    for kind in KINDS:
        if kind in parts:
            return kind
    return "layers"  # "keras", "keras.models", "keras.src.models.functional": models live with the layers


_builtins = None
_MODELS = {}  # Model and Sequential, registered by striate.models (which builds on saving, not the reverse)


def register_model_classes(model, sequential):
    """Make ``model`` (functional and subclassed models) and ``sequential`` the classes that configs of
    kind "Functional", "Model" and "Sequential" build; :mod:`striate.models` calls this when imported."""
    _MODELS.update(Model=model, Sequential=sequential)


def model_classes():
    """``(Model, Sequential)`` as :mod:`striate.models` registered them."""
    return _MODELS["Model"], _MODELS["Sequential"]


def builtins():
    """``{kind: {name: class or function}}`` for everything striate can build from a config."""
    global _builtins
    if _builtins is None:
        from striate import activations, constraints, initializers, layers, losses, metrics, optimizers, regularizers
        from striate.layers.layer import Layer
        from striate.metrics.functions import FUNCTIONS as METRIC_FUNCTIONS
        Model, Sequential = model_classes()
        from striate.optimizers import schedules
        layer_classes = {cls.__name__: cls for cls in vars(layers).values()
                         if inspect.isclass(cls) and issubclass(cls, Layer) and cls is not Layer}
        layer_classes.update(Functional=Model, Model=Model, Sequential=Sequential)
        regularizer_classes = {n: c for n, c in regularizers.ALL.items() if inspect.isclass(c)}
        loss_classes = dict(losses.CLASSES)
        _builtins = {
            "layers": layer_classes,
            "initializers": dict(initializers.ALL),
            "regularizers": regularizer_classes,
            "constraints": dict(constraints.ALL),
            "optimizers": {cls.__name__: cls for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adam,
                                                         optimizers.AdamW, optimizers.Adagrad, optimizers.Nadam)},
            "schedules": dict(schedules._SCHEDULES),
            "losses": {**loss_classes, **losses.FUNCTIONS},
            "metrics": {**metrics.CLASSES, **METRIC_FUNCTIONS},
            "activations": dict(activations.ALL),
        }
    return _builtins


def builtin_module_of(obj):
    """``(module, class_name)`` that Keras writes for a striate built-in class or function, or ``None``."""
    target = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    Model, Sequential = model_classes()
    if target is Sequential:
        return "keras", "Sequential"
    if target is Model:
        return "keras.src.models.functional", "Functional"
    for kind, table in builtins().items():
        for name, value in table.items():
            if value is target and name == getattr(target, "__name__", None):
                module = "keras.optimizers.schedules" if kind == "schedules" else f"keras.{kind}"
                return module, name
    return None


def register_keras_serializable(package="Custom", name=None):
    """Register a class or function so configs and saved models can name it as ``"package>name"``.

    Args:
        package: the package part of the registered name.
        name: defaults to the class's or function's ``__name__``.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Example:
        >>> @keras.saving.register_keras_serializable(package="MyLayers")
        ... class Scale(keras.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> keras.saving.get_registered_name(Scale)
        'MyLayers>Scale'
    """
    if ">" in str(package):
        raise ValueError(f"register_keras_serializable: package may not contain '>', received {package!r}")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"register_keras_serializable: class {obj.__name__} must define get_config() to be "
                             "serializable")
        # A name registered again (a notebook cell run twice) now means the new object, as in Keras.
        _CUSTOM_NAMES.pop(_CUSTOM.get(key), None)
        _CUSTOM[key] = obj
        _CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is registered under, else its ``__name__`` (as Keras answers)."""
    return _CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered or passed under ``name``, or ``None``.

    Looks in the open :func:`custom_object_scope` s (innermost first), then ``custom_objects``, then
    the global registry, then ``module_objects``.

    Example:
        >>> def cube(x):
        ...     return x ** 3
        >>> keras.saving.get_registered_object("cube", custom_objects={"cube": cube}) is cube
        True
        >>> keras.saving.get_registered_object("cube") is None  # neither registered nor passed
        True
    """
    for table in reversed(_SCOPES):
        if name in table:
            return table[name]
    for table in (custom_objects or {}, _CUSTOM, module_objects or {}):
        if name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global registry, ``{"package>Name": object}`` (a live dict, as Keras's)."""
    return _CUSTOM


class CustomObjectScope:
    """Make extra names resolvable while loading: ``with custom_object_scope({"Scale": Scale}): ...``.

    Args:
        *custom_objects: dicts ``{name: class or function}``.

    Example:
        >>> class Scale(keras.layers.Layer):  # not registered, so loading must be told of it
        ...     def call(self, x):
        ...         return 2 * x
        >>> keras.Sequential([keras.Input(shape=(2,)), Scale()]).save("m.keras")
        >>> with keras.saving.custom_object_scope({"Scale": Scale}):
        ...     model = keras.saving.load_model("m.keras")
        >>> model.predict(np.ones((1, 2)), verbose=0)
        array([[2., 2.]], dtype=float32)
    """

    def __init__(self, *custom_objects):
        self.table = {}
        for objects in custom_objects:
            self.table.update(objects or {})

    def __enter__(self):
        _SCOPES.append(self.table)
        return self

    def __exit__(self, *exc):
        _SCOPES.remove(self.table)


custom_object_scope = CustomObjectScope


def scoped_objects(custom_objects=None):
    """Every user-supplied name visible now: scopes, then ``custom_objects`` (later ones win)."""
    table = {}
    for scope in _SCOPES:
        table.update(scope)
    table.update(custom_objects or {})
    return table

