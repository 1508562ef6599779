"""Weight files: Keras 3's ``.weights.h5`` layout (also inside ``.keras`` archives), Keras 2's legacy
``.h5`` layout, and ``.npz``.

Keras 3's layout walks the model as ``keras.src.saving.saving_lib`` does: a functional or Sequential
model's layers under ``layers/<snake_case class name>[_n]`` (numbered per class in Keras's layer
order), a custom layer's sublayers under their attribute names, the optimizer under ``optimizer``;
each object's own variables are datasets ``vars/0``, ``vars/1``, ... of its group.

Loading is all or nothing: every dataset is checked against the variable it is meant for (shape,
dtype) and read into memory before any variable is assigned, so a failed load changes nothing.
"""
import io
import os
import warnings

import numpy as np

from striate import backend
from striate.saving.atomic import atomic_write
from striate.saving.files import (
    Archive,
    FileFormatError,
    check_readable,
    h5_dataset,
    h5_group,
    h5_strings,
    h5py_module,
    head,
    open_h5,
    read_dataset,
    reading,
    HDF5_SIGNATURE,
    ZIP_ERRORS,
)
from striate.utils.naming import snake_case
from striate.saving.registry import model_classes

KERAS_FORMAT_VERSION = "3.0.0"


# -- what is saved, and where -------------------------------------------------------------------
def _is_model(obj):
    Model, _ = model_classes()
    return isinstance(obj, Model)


def keras_layers(layer):
    """A model's layers in Keras's order; a custom layer's tracked sublayers."""
    from striate.saving.model_config import keras_layers as model_layers
    return model_layers(layer) if _is_model(layer) else list(layer._layers)


def keras_variables(layer):
    """All of ``layer``'s variables in Keras's order: its own (trainable first), then its sublayers'."""
    out, seen, stack = [], set(), [layer]
    order = []
    while stack:  # depth-first, sublayers in order
        current = stack.pop()
        order.append(current)
        stack.extend(reversed(keras_layers(current)))
    for current in order:
        for v in current._trainable_vars + current._non_trainable_vars:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def legacy_weights(layer):
    """Keras 2's order for one layer: trainable weights, then the others."""
    variables = keras_variables(layer)
    return [v for v in variables if v.trainable] + [v for v in variables if not v.trainable]


_INTERNAL = {"_layers", "_stack", "_input_layer", "_outer", "optimizer"}


def _name_key(name):
    return f"~{name}" if name.startswith("_") else name


def _children(obj, include_optimizer):
    """``(attribute, child)`` pairs that Keras's saver visits after ``obj``'s own variables: a functional or
    Sequential model's ``layers`` first, then attributes holding layers (or the optimizer) by name,
    private ones last."""
    from striate.layers.layer import Layer
    from striate.optimizers import Optimizer
    graph = _is_model(obj) and (obj._functional or hasattr(obj, "_stack"))
    first = [("layers", keras_layers(obj))] if graph else []
    rest = [(attr, value) for attr, value in vars(obj).items()
            if attr not in _INTERNAL and (isinstance(value, Layer) or _holds_layers(value))]
    if _is_model(obj):
        if not graph:
            rest.append(("layers", obj.layers))
        if include_optimizer and isinstance(getattr(obj, "optimizer", None), Optimizer):
            rest.append(("optimizer", obj.optimizer))
    return first + sorted(rest, key=lambda pair: _name_key(pair[0]))


def _holds_layers(value):
    from striate.layers.layer import Layer
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(isinstance(v, Layer) or _holds_layers(v) for v in value)


def _container_name(obj):
    if _is_model(obj) and type(obj).__name__ == "Model" and obj._functional:
        return "functional"
    return snake_case(type(obj).__name__)


def saveables(model, include_optimizer=True):
    """``[(path, object)]``: every layer (the model first, path ``""``) and the optimizer, with the
    group paths Keras 3 gives them."""
    from striate.layers.layer import Layer
    from striate.optimizers import Optimizer
    out, visited = [], set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        if isinstance(obj, Layer):
            for attr, child in _children(obj, include_optimizer):
                sub = f"{path}/{attr}" if path else attr
                if isinstance(child, (Layer, Optimizer)):
                    visit(child, sub)
                else:
                    visit_container(child, sub)

    def visit_container(items, path):
        used = {}
        for item in (items.values() if isinstance(items, dict) else items):
            if isinstance(item, (Layer, Optimizer)):
                base = _container_name(item)
            elif isinstance(item, (list, tuple, dict)):
                base = "container"
            else:
                continue
            used[base] = used.get(base, -1) + 1
            name = base if used[base] == 0 else f"{base}_{used[base]}"
            if base == "container":
                visit_container(item, f"{path}/{name}")
            else:
                visit(item, f"{path}/{name}")

    visit(model, "")
    return out


def own_variables(obj, model):
    """The variables Keras saves for ``obj`` itself (not its sublayers)."""
    from striate.optimizers import Optimizer
    if isinstance(obj, Optimizer):
        return optimizer_variables(obj, model)
    return obj._trainable_vars + obj._non_trainable_vars


def optimizer_variables(optimizer, model):
    """The optimizer's variables in Keras's order: iteration, learning rate, then the slots as if it had
    been built on the model's trainable variables in Keras's order (striate may have built it on
    another order; the slots are matched by name)."""
    keras_order = [v for v in keras_variables(model) if v.trainable]
    variables = optimizer.variables
    if not optimizer.built or [id(v) for v in optimizer._trainable_variables] == [id(v) for v in keras_order]:
        return variables
    try:
        shadow = type(optimizer).from_config(optimizer.get_config())
        shadow.build(keras_order)
    except Exception:  # a custom schedule or optimizer that cannot be copied: keep striate's order
        return variables
    by_name = {}
    for v in optimizer._slots:
        by_name.setdefault(v.name, []).append(v)
    mapped = []
    for v in shadow._slots:
        match = by_name.get(v.name, [])
        if len(match) != 1:
            return variables
        mapped.append(match[0])
    return variables[:len(variables) - len(optimizer._slots)] + mapped


def _prepare_optimizer(model):
    """Build a compiled model's optimizer on its trainable variables, so saved slots can load into it."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built and model.trainable_weights:
        optimizer.build(model.trainable_weights)


# -- checking and assigning -----------------------------------------------------------------
def describe(obj):
    from striate.optimizers import Optimizer
    kind = "optimizer" if isinstance(obj, Optimizer) else "model" if _is_model(obj) else "layer"
    return f"{kind} '{obj.name}'"


def weight_label(variable):
    name = variable.name if variable.name is not None else "variable"
    return name.split("/")[-1]


def dtype_problem(variable, dtype):
    """Why a dataset of ``dtype`` cannot fill ``variable`` (``None`` if it can)."""
    want = variable.data.dtype.kind
    have = np.dtype(dtype).kind
    ok = have == "f" if want == "f" else have in "iu" if want in "iu" else have == want
    return None if ok else f"dtype {variable.data.dtype}, file has {np.dtype(dtype)}"


def check_value(label, owner, variable, shape, dtype):
    """An error message if a value of ``shape``/``dtype`` cannot fill ``variable`` of ``owner``, else None."""
    if tuple(shape) != tuple(variable.shape):
        return f"{label}: {describe(owner)} expects {weight_label(variable)} {tuple(variable.shape)}, " \
               f"file has {tuple(shape)}"
    problem = dtype_problem(variable, dtype)
    return f"{label}: {describe(owner)} expects {weight_label(variable)} of {problem}" if problem else None


class Plan:
    """Values to assign, gathered and checked first; ``commit`` assigns them all at once."""

    def __init__(self, label, skip_mismatch):
        self.label, self.skip_mismatch = label, skip_mismatch
        self.pairs = []

    def fail(self, message, lenient=False):
        """A mismatch: an error, or a warning with ``skip_mismatch`` (or for optimizer state)."""
        if self.skip_mismatch or lenient:
            warnings.warn(f"Skipping: {message}", stacklevel=4)
            return
        raise FileFormatError(message)

    def add(self, owner, variables, datasets, lenient=False):
        """Plan ``variables[i] <- datasets[i]`` (h5py datasets or arrays); all of ``owner``'s or none."""
        if len(datasets) != len(variables):
            names = ", ".join(weight_label(v) for v in variables) or "none"
            self.fail(f"{self.label}: {describe(owner)} expects {len(variables)} weights ({names}), file has "
                      f"{len(datasets)}", lenient)
            return
        problems = [check_value(self.label, owner, v, d.shape, d.dtype) for v, d in zip(variables, datasets)]
        problems = [p for p in problems if p]
        if problems:
            self.fail(problems[0], lenient)
            return
        self.pairs.extend((v, d) for v, d in zip(variables, datasets))

    def commit(self):
        values = [(v, read_dataset(d, self.label) if not isinstance(d, np.ndarray) else d) for v, d in self.pairs]
        for v, value in values:
            if tuple(value.shape) != tuple(v.shape):  # a dataset that changed its mind while being read
                raise FileFormatError(f"{self.label}: {weight_label(v)} read as shape {value.shape}")
        for v, value in values:
            v.assign(backend.asarray(value, v.data.dtype))


# -- Keras 3 layout ---------------------------------------------------------------------------
def write_keras_h5(h5file, model, include_optimizer=True):
    """Write ``model``'s variables into an open, writable ``h5py.File`` in Keras 3's layout."""
    for path, obj in saveables(model, include_optimizer):
        group = h5file.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        for i, v in enumerate(own_variables(obj, model)):
            group.create_dataset(str(i), data=backend.to_numpy(v.data))


def plan_keras_h5(h5file, model, label, skip_mismatch=False, include_optimizer=True):
    """Check Keras 3-layout ``h5file`` against ``model`` and return the :class:`Plan` that loads it."""
    from striate.optimizers import Optimizer
    plan = Plan(label, skip_mismatch)
    for path, obj in saveables(model, include_optimizer):
        is_optimizer = isinstance(obj, Optimizer)
        variables = own_variables(obj, model)
        where = f"{path}/vars" if path else "vars"
        group = h5_group(h5file, where, label)
        if group is None:
            if variables and not is_optimizer:
                plan.fail(f"{label}: file has no weights for {describe(obj)} (expected at '{where}')")
            continue
        keys = list(group.keys())
        if sorted(keys, key=_int_key) != [str(i) for i in range(len(keys))]:
            raise FileFormatError(f"{label}: '{where}' should hold datasets named 0, 1, ..., holds {keys[:10]}")
        datasets = [h5_dataset(group, str(i), label) for i in range(len(keys))]
        plan.add(obj, variables, datasets, lenient=is_optimizer)
    return plan


def _int_key(key):
    return (0, int(key)) if key.isdigit() else (1, key)


def is_keras_h5(h5file):
    return "vars" in h5file or "layers" in h5file


def is_legacy_h5(h5file):
    return "layer_names" in h5file.attrs or "layer_names0" in h5file.attrs or "model_weights" in h5file


# -- Keras 2 legacy layout --------------------------------------------------------------------
def write_legacy_h5(h5file, model):
    """Write ``model``'s weights in Keras 2's HDF5 layout (``layer_names``, per-layer ``weight_names``)."""
    from striate import __version__
    layers = keras_layers(model)
    h5file.attrs["layer_names"] = np.array([layer.name.encode("utf-8") for layer in layers], dtype="S")
    h5file.attrs["backend"] = b"striate"
    h5file.attrs["keras_version"] = f"striate-{__version__}".encode("utf-8")
    for layer in sorted(layers, key=lambda l: l.name):
        group = h5file.create_group(layer.name)
        variables = legacy_weights(layer)
        names, used = [], set()
        for v in variables:
            name = v.path or f"{layer.name}/{v.name or 'variable'}"
            base, n = name, 1
            while name in used:
                name, n = f"{base}_{n}", n + 1
            used.add(name)
            names.append(name)
        group.attrs["weight_names"] = np.array([n.encode("utf-8") for n in names], dtype="S")
        for name, v in zip(names, variables):
            group.create_dataset(name, data=backend.to_numpy(v.data))
    top = h5file.create_group("top_level_model_weights")
    top.attrs["weight_names"] = np.array([], dtype="S")


def plan_legacy_h5(h5file, model, label, skip_mismatch=False, by_name=False):
    """Check a Keras 2-layout file against ``model`` (by order, or ``by_name``) and return the Plan."""
    root = h5file
    if "layer_names" not in root.attrs and "layer_names0" not in root.attrs:
        root = h5_group(h5file, "model_weights", label)
    names = h5_strings(root, "layer_names", label)
    saved = []
    for name in names:
        group = h5_group(root, name, label)
        if group is None:
            raise FileFormatError(f"{label}: lists layer {name!r} but has no group for it")
        weight_names = h5_strings(group, "weight_names", label)
        saved.append((name, [h5_dataset(group, w, label) for w in weight_names]))
    plan = Plan(label, skip_mismatch)
    layers = [l for l in keras_layers(model) if legacy_weights(l)]
    if by_name:
        index = {}
        for layer in layers:
            index.setdefault(layer.name, []).append(layer)
        for name, datasets in saved:
            for layer in index.get(name, []):
                plan.add(layer, legacy_weights(layer), datasets)
        return plan
    saved = [(n, d) for n, d in saved if d]
    if len(saved) != len(layers):
        raise FileFormatError(f"{label}: the model has {len(layers)} layers with weights, the file has "
                              f"{len(saved)} ({', '.join(n for n, _ in saved)}); pass by_name=True to load "
                              "matching layer names only")
    for layer, (_, datasets) in zip(layers, saved):
        plan.add(layer, legacy_weights(layer), datasets)
    return plan


# -- npz ---------------------------------------------------------------------------------------
def write_npz(f, model):
    np.savez(f, *[backend.to_numpy(v.data) for v in model.weights])


def plan_npz(path, model, skip_mismatch=False):
    """Check an ``.npz`` of ``model.get_weights()`` (``arr_0``, ``arr_1``, ...) and return the Plan."""
    label = os.fspath(path)
    variables = model.weights
    plan = Plan(label, skip_mismatch)
    with Archive(path, ".npz file", lambda name: name.endswith(".npy")) as archive:
        keys = sorted((n[:-4] for n in archive.names), key=lambda k: (len(k), k))
        if keys != [f"arr_{i}" for i in range(len(keys))]:
            raise FileFormatError(f"{label}: expected arrays arr_0, arr_1, ... (np.savez of get_weights()), "
                                  f"found {keys[:10]}")
        if len(keys) != len(variables):
            raise FileFormatError(f"{label}: model '{model.name}' has {len(variables)} weights, file has "
                                  f"{len(keys)}")
        for i, v in enumerate(variables):
            shape, dtype = _npy_header(archive, f"arr_{i}.npy", label)
            problem = check_value(label, _owner_of(model, v), v, shape, dtype)
            if problem:
                plan.fail(problem)
                continue
            plan.pairs.append((v, _npy_read(archive, f"arr_{i}.npy", label)))
    return plan


def _owner_of(model, variable):
    for layer in [model] + _all_layers(model):
        if any(v is variable for v in layer._trainable_vars + layer._non_trainable_vars):
            return layer
    return model


def _all_layers(layer):
    out = []
    for child in keras_layers(layer):
        out.append(child)
        out.extend(_all_layers(child))
    return out


def _npy_header(archive, name, label):
    try:
        with archive.open(name) as f:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy format version {version}")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
    except FileFormatError:
        raise
    except ZIP_ERRORS + (SyntaxError, TypeError) as e:
        raise FileFormatError(f"{label}: {name} is not a valid .npy array ({str(e)[:200]})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise FileFormatError(f"{label}: {name} holds dtype {dtype}, expected numbers")
    return shape, dtype


def _npy_read(archive, name, label):
    data = archive.read(name)
    try:
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise FileFormatError(f"{label}: {name} is truncated or corrupt ({str(e)[:200]})") from None


# -- public entry points -------------------------------------------------------------------------
def save_weights(model, path, overwrite=True):
    """Save ``model``'s weights: ``.weights.h5`` (Keras 3 layout, optimizer state included), ``.h5`` /
    ``.hdf5`` (Keras 2 layout, which Keras 2 and 3 both read) or ``.npz`` (``np.savez`` of
    ``get_weights()``). The file is written atomically: when writing fails (a full disk), an OSError
    names ``path`` and any previous file is left as it was.

    Args:
        model: a built model.
        path: the file; its extension picks the format.
        overwrite: if False, an existing file is an error.

    Raises:
        OSError: the file could not be written (a full disk, a missing folder); it names ``path``.

    Example:
        >>> import os, tempfile
        >>> import striate as keras
        >>> from striate.saving import save_weights
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.h5")
        >>> save_weights(model, path)
        >>> os.listdir(os.path.dirname(path))
        ['model.weights.h5']
    """
    path = os.fspath(path)
    if not model.built:
        raise ValueError(f"save_weights: model '{model.name}' is not built yet, so it has no weights; build it "
                         "(call it on data or call build()) first")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, expected a file name")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path}: already exists (overwrite=False)")
    kind = weights_format(path)
    if kind == "keras":
        raise ValueError(f"{path}: save_weights writes weight files; save a whole model to .keras with "
                         "model.save() (or save_model)")
    if kind == "npz":
        with atomic_write(path, "wb") as f:
            write_npz(f, model)
        return
    image = h5_image(write_keras_h5 if kind == "keras_h5" else write_legacy_h5, model, path)
    with atomic_write(path, "wb") as f:
        f.write(image)


def h5_image(write, model, label):
    """The bytes of the HDF5 file that ``write(h5file, model)`` fills, built in memory.

    NOTE: h5py writing to a path fails badly on a full disk (a RuntimeError, or an error raised from
    ``File.close()`` that names the temporary file, and with some HDF5 builds a crash); built in memory,
    the file reaches the disk through plain Python writes, which raise a clean OSError.

    Args:
        write: ``write_keras_h5`` or ``write_legacy_h5``.
        model: the model whose weights it writes.
        label: names the file in errors (h5py missing).

    Returns:
        A memoryview of the file's bytes.

    Example:
        >>> import striate as keras
        >>> from striate.saving.weights import h5_image, write_keras_h5
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> bytes(h5_image(write_keras_h5, model, "model.weights.h5")[:4])
        b'\x89HDF'
    """
    h5py = h5py_module(label)
    image = io.BytesIO()
    with h5py.File(image, "w") as h5file:
        write(h5file, model)
    return image.getbuffer()


def weights_format(path):
    """``"keras_h5"``, ``"legacy_h5"``, ``"npz"`` or ``"keras"`` from a weights file's name."""
    name = os.fspath(path).lower()
    if name.endswith(".weights.h5"):
        return "keras_h5"
    if name.endswith((".h5", ".hdf5")):
        return "legacy_h5"
    if name.endswith(".npz"):
        return "npz"
    if name.endswith(".keras"):
        return "keras"
    raise ValueError(f"{path}: unknown weights format; use a name ending in .weights.h5 (Keras 3), .h5 (Keras 2 "
                     "layout), .npz or .keras")


def load_weights(model, path, skip_mismatch=False, by_name=False):
    """Load weights saved by :func:`save_weights`, by Keras 3 (``.weights.h5``, ``.keras``) or by Keras 2
    (``.h5``), checking every array before assigning any (a failed load changes nothing).

    Args:
        model: a built model.
        path: the file (the format is read from its content; ``.npz`` and ``.keras`` from the name).
        skip_mismatch: skip layers whose weights do not fit (with a warning) instead of failing.
        by_name: Keras 2 ``.h5`` files only: load layers by name instead of by order.

    Example:
        >>> import os, tempfile
        >>> import striate as keras
        >>> from striate.saving import load_weights, save_weights
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.h5")
        >>> save_weights(model, path)
        >>> copy = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> load_weights(copy, path)
        >>> all((a == b).all() for a, b in zip(copy.get_weights(), model.get_weights()))
        True
    """
    label = os.fspath(path)
    check_readable(path)
    name = label.lower()
    first = head(label)
    if name.endswith(".npz"):
        _only_h5(by_name, label)
        with reading(label):
            plan = plan_npz(path, model, skip_mismatch)
        plan.commit()
        return
    if name.endswith(".keras") or first[:4] == b"PK\x03\x04":
        _only_h5(by_name, label)
        from striate.saving.archive import WEIGHTS, open_archive
        with open_archive(label) as archive:
            data = archive.read(WEIGHTS)
        with open_h5(data, f"{label}: {WEIGHTS}") as h5file, reading(label, WEIGHTS):
            _prepare_optimizer(model)
            plan_keras_h5(h5file, model, label, skip_mismatch).commit()
        return
    if first != HDF5_SIGNATURE:
        raise FileFormatError(f"{label}: not a weights file (neither HDF5, .npz nor .keras)")
    with open_h5(label, label) as h5file, reading(label, "weights file"):
        if is_legacy_h5(h5file):
            plan = plan_legacy_h5(h5file, model, label, skip_mismatch, by_name)
        elif is_keras_h5(h5file):
            _only_h5(by_name, label)
            _prepare_optimizer(model)
            plan = plan_keras_h5(h5file, model, label, skip_mismatch)
        else:
            raise FileFormatError(f"{label}: HDF5 file holds no Keras weights (no 'layer_names' attribute and no "
                                  "'layers' or 'vars' group)")
        plan.commit()


def _only_h5(by_name, label):
    if by_name:
        raise ValueError(f"{label}: by_name=True works only with Keras 2 layout .h5 files")
