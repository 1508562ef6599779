"""Crafted and broken files: every one is refused with an error naming the file, nothing runs, nothing
is written, and the model's weights stay as they were."""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import striate
from model_zoo import BUILDERS
from striate import saving
from striate.saving import FileFormatError, UnsafeConfigError


@pytest.fixture
def valid(tmp_path):
    """(members of a valid .keras archive, the model it holds)."""
    model = BUILDERS["sequence"](striate)
    model.save(tmp_path / "valid.keras")
    with zipfile.ZipFile(tmp_path / "valid.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    return members, model


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def load(path, **kwargs):
    before = sorted(os.listdir(os.path.dirname(path)))
    try:
        return striate.models.load_model(path, **kwargs)
    finally:
        assert sorted(os.listdir(os.path.dirname(path))) == before, "loading wrote to the folder"


def with_config(members, mutate):
    config = json.loads(members["config.json"])
    mutate(config)
    return {**members, "config.json": json.dumps(config).encode()}


@pytest.mark.parametrize("member,why", [
    ("../evil.txt", "outside the archive"), ("/etc/evil", "absolute"), ("C:\\evil", "absolute"),
    ("extra.py", "not a member this format has"), ("assets/../../x", "outside the archive")])
def test_bad_member_names(valid, tmp_path, member, why):
    path = write_zip(tmp_path / "m.keras", {**valid[0], member: b"x"})
    with pytest.raises(FileFormatError, match=f"m.keras.*{why}"):
        load(path)


def test_zip_bomb_and_size_limit(valid, tmp_path):
    bomb = write_zip(tmp_path / "bomb.keras", {**valid[0], "model.weights.h5": bytes(40 << 20)},
                     zipfile.ZIP_DEFLATED)
    with pytest.raises(FileFormatError, match="bomb.keras.*zip bomb"):
        load(bomb)
    with pytest.raises(FileFormatError, match="over the limit of 1000"):
        saving.load_model(tmp_path / "valid.keras", max_bytes=1000)


def test_duplicate_member(valid, tmp_path):
    path = tmp_path / "dup.keras"
    with zipfile.ZipFile(path, "w") as z, pytest.warns(UserWarning):
        for name, data in valid[0].items():
            z.writestr(name, data)
        z.writestr("config.json", b"{}")
    with pytest.raises(FileFormatError, match="two members named 'config.json'"):
        load(path)


def test_missing_member(valid, tmp_path):
    members = dict(valid[0])
    del members["model.weights.h5"]
    with pytest.raises(FileFormatError, match="m.keras: .keras archive has no model.weights.h5"):
        load(write_zip(tmp_path / "m.keras", members))


@pytest.mark.parametrize("payload", [
    {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {
        "class_name": "__lambda__", "config": {"value": ["4wEAAAAAAAAA", None, None]}}}, "registered_name": None},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2, "activation": {
        "class_name": "__lambda__", "config": {"value": "YmFk"}}}, "registered_name": None},
    {"class_name": "Lambda", "config": {"name": "l", "function": ["YmFk", None, None], "function_type": "lambda"}},
])
def test_python_code_is_refused(valid, tmp_path, payload):
    members = with_config(valid[0], lambda c: c["config"]["layers"].insert(1, payload))
    path = write_zip(tmp_path / "m.keras", members)
    for safe_mode in (True, False):
        with pytest.raises(UnsafeConfigError, match="m.keras.*(Python code|lambda)"):
            load(path, safe_mode=safe_mode)


@pytest.mark.parametrize("entry", [
    {"module": "os", "class_name": "system", "config": {}, "registered_name": None},
    {"module": "builtins", "class_name": "eval", "config": {}, "registered_name": None},
    {"module": "keras.layers", "class_name": "os.system", "config": {}, "registered_name": None},
    {"module": "evil_module_xyz", "class_name": "Dense", "config": {"units": 2}, "registered_name": None},
    {"module": "keras.layers", "class_name": "NoSuchLayer", "config": {}, "registered_name": "x>y"},
])
def test_unknown_classes_are_never_imported(valid, tmp_path, entry):
    import sys
    members = with_config(valid[0], lambda c: c["config"]["layers"].insert(1, entry))
    with pytest.raises(UnsafeConfigError, match="m.keras: Unknown class"):
        load(write_zip(tmp_path / "m.keras", members))
    assert "evil_module_xyz" not in sys.modules


def test_function_named_os_system_is_refused(valid, tmp_path):
    def mutate(config):
        config["config"]["layers"][-1]["config"]["activation"] = {
            "module": "os", "class_name": "function", "config": "system", "registered_name": "system"}
    with pytest.raises(UnsafeConfigError, match="m.keras: Unknown function 'system'"):
        load(write_zip(tmp_path / "m.keras", with_config(valid[0], mutate)))


@pytest.mark.parametrize("mutate,why", [
    (lambda c: c.update(class_name="Functional", module="keras"), "lacks 'input_layers'"),
    (lambda c: c["config"].update(layers="nope"), "invalid model config"),
    (lambda c: c["config"]["layers"][1]["config"].update(filters=-3), "filters must be a positive integer"),
    (lambda c: c.update(config=[1, 2]), "invalid model config"),
    (lambda c: c.clear(), "not a model"),
])
def test_malformed_configs(valid, tmp_path, mutate, why):
    with pytest.raises(FileFormatError, match=f"m.keras.*{why}"):
        load(write_zip(tmp_path / "m.keras", with_config(valid[0], mutate)))


def test_deeply_nested_config(valid, tmp_path):
    deep = "[" * 100000 + "]" * 100000
    members = {**valid[0], "config.json": deep.encode()}
    with pytest.raises(FileFormatError, match="m.keras"):
        load(write_zip(tmp_path / "m.keras", members))
    nested = '{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": ['
    text = nested * 200 + "]}}" * 200
    with pytest.raises(FileFormatError, match="n.keras.*nested"):
        load(write_zip(tmp_path / "n.keras", {**valid[0], "config.json": text.encode()}))


def _weights_with(members, edit):
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        edit(f)
    return {**members, "model.weights.h5": buffer.getvalue()}


@pytest.mark.parametrize("edit,why", [
    (lambda f: (f.__delitem__("layers/dense/vars/0"), f.create_dataset("layers/dense/vars/0", data=np.zeros((3, 6)))),
     r"layer 'dense[_0-9]*' expects kernel \(12, 6\), file has \(3, 6\)"),
    (lambda f: f.__delitem__("layers/dense/vars/1"), "layer 'dense[_0-9]*' expects 2 weights"),
    (lambda f: f.__delitem__("layers/conv1d"), "no weights for layer 'conv1d[_0-9]*'"),
    (lambda f: (f.__delitem__("layers/dense/vars/0"),
                f.create_dataset("layers/dense/vars/0", data=np.array([["a"] * 6] * 12, dtype="S1"))),
     "expected numbers"),
    (lambda f: (f.__delitem__("layers/dense/vars/0"), f.__setitem__("layers/dense/vars/0",
                                                                    h5py.SoftLink("/layers/dense/vars/1"))),
     "SoftLink"),
    (lambda f: (f.__delitem__("layers/dense/vars/0"), f.__setitem__("layers/dense/vars/0",
                                                                    h5py.ExternalLink("/etc/passwd", "/x"))),
     "ExternalLink"),
    (lambda f: (f.__delitem__("layers/dense/vars/0"),
                f.create_dataset("layers/dense/vars/0", data=np.zeros((12, 6), "int32"))), "dtype float32"),
])
def test_bad_weights_change_nothing(valid, tmp_path, edit, why):
    path = write_zip(tmp_path / "m.keras", _weights_with(valid[0], edit))
    with pytest.raises(FileFormatError, match=f"m.keras.*{why}"):
        load(path)
    model = valid[1]
    before = model.get_weights()
    with pytest.raises(FileFormatError, match=why):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["m.keras", "w.weights.h5", "w.h5", "w.npz"])
@pytest.mark.parametrize("damage,why", [
    (lambda data: data[: len(data) // 2], "truncated|corrupt|not a"),
    (lambda data: b"", "empty file"),
    (lambda data: np.random.default_rng(0).bytes(5000), "not a|not an"),
])
def test_truncated_garbage_and_empty(valid, tmp_path, name, damage, why):
    model = valid[1]
    (model.save if name.endswith(".keras") else model.save_weights)(tmp_path / name)
    data = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(damage(data))
    load_fn = (lambda: load(tmp_path / name)) if name.endswith(".keras") else \
        (lambda: model.load_weights(tmp_path / name))
    with pytest.raises(FileFormatError, match=f"{name}: .*({why})"):
        load_fn()


def test_paths_that_are_not_files(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        striate.models.load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="nope.keras: no such file"):
        striate.models.load_model(tmp_path / "nope.keras")
    model = BUILDERS["sequence"](striate)
    with pytest.raises(IsADirectoryError):
        model.load_weights(tmp_path)
    with pytest.raises(IsADirectoryError):
        model.save_weights(tmp_path)


def test_hdf5_without_keras_weights(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("data", data=np.zeros(3))
    with pytest.raises(FileFormatError, match="other.h5: HDF5 file holds no Keras weights"):
        BUILDERS["sequence"](striate).load_weights(tmp_path / "other.h5")


def test_npz_refuses_pickles_and_odd_arrays(tmp_path):
    model = BUILDERS["sequence"](striate)
    np.savez(tmp_path / "obj.npz", *([np.array([{"a": 1}], dtype=object)] * len(model.weights)))
    with pytest.raises(FileFormatError, match="obj.npz: arr_0.npy holds dtype object"):
        model.load_weights(tmp_path / "obj.npz")
    np.savez(tmp_path / "named.npz", kernel=np.zeros(3))
    with pytest.raises(FileFormatError, match="named.npz: expected arrays arr_0"):
        model.load_weights(tmp_path / "named.npz")
    np.savez(tmp_path / "few.npz", np.zeros(3))
    with pytest.raises(FileFormatError, match="few.npz: model 'sequence_model' has 6 weights, file has 1"):
        model.load_weights(tmp_path / "few.npz")
