"""Files: .keras, .weights.h5, Keras 2 .h5 and .npz round trips, resuming training, atomic saves."""
import io
import os
import re
import zipfile

import h5py
import numpy as np
import pytest

import striate
from model_zoo import BUILDERS, inputs_for, outputs, randomize
from striate import saving
from striate.saving import weights as weights_mod

WEIGHT_FILES = ["w.weights.h5", "w.h5", "w.npz", "w.hdf5"]


def _same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_keras_archive_round_trip(kind, tmp_path):
    model = BUILDERS[kind](striate)
    randomize(model)
    model.save(tmp_path / "m.keras")
    loaded = striate.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model) and loaded.name == model.name
    x = inputs_for(model)
    _same(outputs(loaded, x), outputs(model, x))
    assert os.listdir(tmp_path) == ["m.keras"]


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("name", WEIGHT_FILES)
def test_weight_file_round_trip(kind, name, tmp_path):
    model, fresh = BUILDERS[kind](striate), BUILDERS[kind](striate)
    randomize(model)
    model.save_weights(tmp_path / name)
    fresh.load_weights(tmp_path / name)
    x = inputs_for(model)
    _same(outputs(fresh, x), outputs(model, x))
    assert os.listdir(tmp_path) == [name]


def test_file_layouts(tmp_path):
    model = BUILDERS["sequence"](striate)
    model.save_weights(tmp_path / "w.weights.h5")
    model.save_weights(tmp_path / "w.h5")
    model.save_weights(tmp_path / "w.npz")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        assert f["layers/conv1d/vars/0"].shape == (3, 4, 3) and f["layers/dense_1/vars/1"].shape == (2,)
        assert f["layers/dense/vars"].attrs["name"] == model.layers[5].name
    with h5py.File(tmp_path / "w.h5") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        assert names == [l.name for l in model.layers]
        dense = model.layers[5]
        assert [n.decode() for n in f[dense.name].attrs["weight_names"]] == [v.path for v in dense.weights]
    with np.load(tmp_path / "w.npz", allow_pickle=False) as f:
        _same([f[f"arr_{i}"] for i in range(len(f.files))], model.get_weights())


def test_lecture_save_weights_h5_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = BUILDERS["sequence"](striate)
    randomize(model)
    model.save_weights("model_weights.h5")
    other = BUILDERS["sequence"](striate)
    other.load_weights("model_weights.h5")
    _same(other.get_weights(), model.get_weights())


def _dense_model(hidden):
    return striate.Sequential([striate.Input(shape=(784,)), striate.layers.Dense(hidden, name="dense"),
                               striate.layers.Dense(10, name="dense_1")])


def test_mismatch_names_layer_and_shapes_and_changes_nothing(tmp_path):
    small = _dense_model(128)
    small.save_weights(tmp_path / "m.weights.h5")
    big = _dense_model(256)
    before = big.get_weights()
    with pytest.raises(ValueError, match=re.escape("m.weights.h5: layer 'dense' expects kernel (784, 256), file "
                                                   "has (784, 128)")):
        big.load_weights(tmp_path / "m.weights.h5")
    _same(big.get_weights(), before)
    with pytest.warns(UserWarning, match="Skipping"):
        big.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    _same(big.get_weights(), before)  # both layers mismatch: nothing loads
    small.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"m\.h5: layer 'dense' expects kernel \(784, 256\)"):
        big.load_weights(tmp_path / "m.h5")
    _same(big.get_weights(), before)


def test_legacy_by_name_and_skip_mismatch(tmp_path):
    a = striate.Sequential([striate.Input(shape=(4,)), striate.layers.Dense(3, name="x"),
                            striate.layers.Dense(2, name="y")])
    randomize(a)
    a.save_weights(tmp_path / "a.h5")
    b = striate.Sequential([striate.Input(shape=(4,)), striate.layers.Dense(3, name="x"),
                            striate.layers.Dense(5, name="z"), striate.layers.Dense(2, name="y2")])
    with pytest.raises(ValueError, match="3 layers with weights, the file has 2"):
        b.load_weights(tmp_path / "a.h5")
    z_before = b.layers[1].get_weights()
    b.load_weights(tmp_path / "a.h5", by_name=True)
    _same(b.layers[0].get_weights(), a.layers[0].get_weights())
    _same(b.layers[1].get_weights(), z_before)
    c = striate.Sequential([striate.Input(shape=(4,)), striate.layers.Dense(3, name="x"),
                            striate.layers.Dense(7, name="y")])
    with pytest.raises(ValueError, match="layer 'y' expects kernel"):
        c.load_weights(tmp_path / "a.h5", by_name=True)
    with pytest.warns(UserWarning, match="layer 'y'"):
        c.load_weights(tmp_path / "a.h5", by_name=True, skip_mismatch=True)
    _same(c.layers[0].get_weights(), a.layers[0].get_weights())
    saving.save_weights(c, tmp_path / "c.weights.h5")
    with pytest.raises(ValueError, match="by_name=True works only"):
        c.load_weights(tmp_path / "c.weights.h5", by_name=True)


def _training_setup():
    rng = np.random.default_rng(0)
    x = rng.random((64, 6, 4)).astype("float32")
    y = rng.integers(0, 2, 64)
    striate.utils.set_random_seed(1)
    L = striate.layers
    model = striate.Sequential([striate.Input(shape=(6, 4)), L.Conv1D(4, 3), L.BatchNormalization(),
                                L.Flatten(), L.Dense(8, activation="relu"), L.Dense(2, activation="softmax")])
    model.compile(optimizer=striate.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, x, y


@pytest.mark.parametrize("how", ["keras", "weights"])
def test_resume_training_is_bit_for_bit(how, tmp_path):
    straight, x, y = _training_setup()
    history = straight.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    first, _, _ = _training_setup()
    first.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    if how == "keras":
        first.save(tmp_path / "m.keras")
        resumed = striate.models.load_model(tmp_path / "m.keras")
    else:
        first.save_weights(tmp_path / "m.weights.h5")
        resumed, _, _ = _training_setup()
        resumed.load_weights(tmp_path / "m.weights.h5")
    assert resumed.optimizer.iterations == 8
    more = resumed.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _same(resumed.get_weights(), straight.get_weights())
    _same([v.numpy() for v in resumed.optimizer.variables], [v.numpy() for v in straight.optimizer.variables])
    assert more.history["loss"][0] == history.history["loss"][-1]


def test_load_without_compile(tmp_path):
    model, x, y = _training_setup()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = striate.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled
    _same(loaded.get_weights(), model.get_weights())


def test_functional_branch_order_keeps_optimizer_slots(tmp_path):
    """A branching model's variables are in Keras's order (model.weights and files alike)."""
    inputs = striate.Input(shape=(4,))
    left, right = striate.layers.Dense(3, name="left")(inputs), striate.layers.Dense(3, name="right")(inputs)
    model = striate.Model(inputs, striate.layers.Concatenate()([left, right]))
    keras_order = [v.path for v in weights_mod.keras_variables(model)]
    assert keras_order[0].startswith("left") and [v.path for v in model.weights] == keras_order
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 4)), rng.random((8, 6)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with h5py.File(io.BytesIO(zipfile.ZipFile(tmp_path / "m.keras").read("model.weights.h5"))) as f:
        assert f["optimizer/vars/2"].shape == (4, 3) and f["layers/dense/vars"].attrs["name"] == "left"
        np.testing.assert_array_equal(f["optimizer/vars/2"][()], model.optimizer._momentums[
            [v.path for v in model.optimizer._trainable_variables].index("left/kernel")].numpy())
    loaded = striate.models.load_model(tmp_path / "m.keras")
    slots = {v.name: v.numpy() for v in model.optimizer._slots}
    for v in loaded.optimizer._slots:
        np.testing.assert_array_equal(v.numpy(), slots[v.name])
    x, y = rng.random((8, 4)).astype("float32"), rng.random((8, 6)).astype("float32")
    loaded.fit(x, y, epochs=1, verbose=0, shuffle=False)
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    _same(loaded.get_weights(), model.get_weights())


# -- atomic writes ---------------------------------------------------------------------------
def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with saving.atomic_write(target, "wb") as f:
            f.write(b"partial")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]
    with saving.atomic_write(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path) and tmp != str(target)
        with open(tmp, "wb") as f:
            f.write(b"new")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["f.bin"]
    with saving.atomic_write(tmp_path / "t.txt", "w") as f:
        f.write("text")
    assert (tmp_path / "t.txt").read_text() == "text"
    with pytest.raises(IsADirectoryError):
        with saving.atomic_write(tmp_path):
            pass


@pytest.mark.parametrize("name", ["m.keras", "w.weights.h5", "w.h5", "w.npz"])
def test_crash_mid_save_keeps_old_file(name, tmp_path, monkeypatch):
    model = BUILDERS["sequence"](striate)
    save = model.save if name.endswith(".keras") else model.save_weights
    save(tmp_path / name)
    old = (tmp_path / name).read_bytes()
    randomize(model, seed=5)

    def crash(f, model, *args, **kwargs):
        (f.create_group("partial") if hasattr(f, "create_group") else f.write(b"partial"))
        raise KeyboardInterrupt("killed mid-save")
    for writer in ("write_keras_h5", "write_legacy_h5", "write_npz"):
        monkeypatch.setattr(weights_mod, writer, crash)
    monkeypatch.setattr(saving.archive, "write_keras_h5", crash)
    with pytest.raises(KeyboardInterrupt):
        save(tmp_path / name)
    assert (tmp_path / name).read_bytes() == old
    assert os.listdir(tmp_path) == [name]


def test_save_guards(tmp_path):
    model = BUILDERS["sequence"](striate)
    with pytest.raises(ValueError, match="must end in .keras"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="unknown weights format"):
        model.save_weights(tmp_path / "w.bin")
    with pytest.raises(ValueError, match="model.save"):
        model.save_weights(tmp_path / "w.keras")
    with pytest.raises(ValueError, match="not built yet"):
        striate.Sequential([striate.layers.Dense(2)]).save_weights(tmp_path / "u.weights.h5")
    model.save(tmp_path / "whole.keras")
    other = BUILDERS["sequence"](striate)
    other.load_weights(tmp_path / "whole.keras")  # weights straight from a .keras archive
    _same(other.get_weights(), model.get_weights())
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_without_h5py_hdf5_files_fail_clearly_and_npz_still_works(tmp_path, monkeypatch):
    # NumPy is the one runtime dependency: h5py (striate[h5]) is needed only for Keras's HDF5 files
    model, fresh = BUILDERS["sequence"](striate), BUILDERS["sequence"](striate)
    randomize(model)
    model.save(tmp_path / "m.keras")
    monkeypatch.setitem(__import__("sys").modules, "h5py", None)  # as if not installed
    for action in (lambda: model.save(tmp_path / "new.keras"), lambda: model.save_weights(tmp_path / "w.weights.h5"),
                   lambda: striate.models.load_model(tmp_path / "m.keras")):
        with pytest.raises(ImportError, match=r"needs h5py.*pip install 'striate\[h5\]'"):
            action()
    assert os.listdir(tmp_path) == ["m.keras"]
    model.save_weights(tmp_path / "w.npz")
    fresh.load_weights(tmp_path / "w.npz")
    _same(outputs(fresh, inputs_for(model)), outputs(model, inputs_for(model)))


def test_importing_striate_does_not_import_h5py():
    import subprocess
    import sys
    code = "import sys, striate; print('h5py' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
