"""layers/preprocessing: the random augmentation layers against Keras 3, and resuming a run with them."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import torch

import striate
from striate import backend, layers
from striate.autodiff import Tensor

from .layercheck import BASE_KEYS, NOT_SUPPORTED, _plain

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (4, 9, 9, 2)).astype("float32")

# (name, args, kwargs) of every random layer, with settings away from the defaults
LAYERS = [
    ("RandomFlip", ("horizontal",), {"seed": 3}),
    ("RandomRotation", (0.2,), {"fill_mode": "constant", "fill_value": 1.0, "interpolation": "nearest"}),
    ("RandomZoom", (0.2, (-0.1, 0.3)), {"fill_mode": "nearest", "seed": 5}),
    ("RandomTranslation", (0.1, (-0.2, 0.2)), {"fill_mode": "wrap"}),
    ("RandomShear", (0.2, (0.1, 0.3)), {"fill_mode": "constant"}),
    ("RandomContrast", (0.3,), {"value_range": (0, 1)}),
    ("RandomBrightness", ((-0.2, 0.1),), {"value_range": (0, 1)}),
    ("RandomCrop", (5, 6), {"seed": 2}),
    ("RandomElasticTransform", (0.5, 0.7), {"value_range": (0, 1), "fill_mode": "constant"}),
]


def make(name, args, kwargs, library=striate):
    return getattr(library.layers, name)(*args, **kwargs)


def keras_out(layer, x):
    return keras.ops.convert_to_numpy(layer(x, training=True))


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_config_has_keras_keys_and_values_and_round_trips(name, args, kwargs):
    ours, theirs = make(name, args, kwargs).get_config(), make(name, args, kwargs, keras).get_config()
    if "seed" not in kwargs:  # Keras's RandomCrop makes a seed up: only the key must be there
        theirs["seed"] = None
    assert set(theirs) - set(ours) - NOT_SUPPORTED == set()
    for key in set(theirs) - BASE_KEYS:
        assert _plain(ours[key]) == _plain(theirs[key]), key
    clone = getattr(layers, name).from_config(json.loads(json.dumps(ours)))
    assert _plain(clone.get_config()) == _plain(ours)


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_identity_outside_training_and_in_predict_and_evaluate(name, args, kwargs):
    layer = make(name, args, kwargs)
    if name == "RandomCrop":  # outside training: the central window of the target's aspect, resized
        expected = striate.ops.image.resize(IMAGES, (5, 6), crop_to_aspect_ratio=True).numpy()
        np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), expected)
        return
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    model = striate.Sequential([striate.Input(shape=IMAGES.shape[1:]), layer])
    np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES)
    np.testing.assert_array_equal(model(IMAGES, training=False).numpy(), IMAGES)
    model.compile(loss="mse")
    assert model.evaluate(IMAGES, IMAGES, verbose=0) == 0.0


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_a_direct_call_augments_as_in_keras(name, args, kwargs):
    """Keras's image layers default to training=True: ``augmentation(images)``, the guides' way to
    look at augmented images, augments, directly and through a model called without ``training``."""
    x = np.repeat(IMAGES[:1] / 255, 6, axis=0)
    for call in (make(name, args, kwargs), striate.Sequential([make(name, args, kwargs)])):
        y = call(x).numpy()
        assert len({y[i].tobytes() for i in range(6)}) > 1, f"{name}: a direct call did not augment"


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_acts_in_training_on_each_image_and_one_image(name, args, kwargs):
    x = np.repeat(IMAGES[:1] / 255, 6, axis=0)  # six copies of one image: each gets its own draw
    y = make(name, args, kwargs)(x, training=True).numpy()
    assert y.dtype == np.float32
    assert y.shape == ((6, 5, 6, 2) if name == "RandomCrop" else x.shape)
    assert len({y[i].tobytes() for i in range(6)}) > 1
    single = make(name, args, kwargs)(x[0], training=True).numpy()  # rank 3: one image
    assert single.shape == y.shape[1:]


def test_layers_act_in_fit_only():
    flip = layers.RandomFlip()
    calls = []
    real_augment = flip.augment
    flip.augment = lambda images, rng: calls.append(images.shape) or real_augment(images, rng)
    model = striate.Sequential([striate.Input(shape=(4, 4, 1)), flip, layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = RNG.standard_normal((8, 4, 4, 1)).astype("float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert calls == [(4, 4, 4, 1)] * 2
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert len(calls) == 2


# -- the geometry against Keras's ---------------------------------------------------------------

@pytest.mark.parametrize("name, args, kwargs", [
    ("RandomRotation", ((0.25, 0.25),), {}),                      # a quarter turn: no fill needed
    ("RandomRotation", ((-0.07, -0.07),), {"fill_mode": "constant", "fill_value": 9.0}),
    ("RandomRotation", ((0.13, 0.13),), {"fill_mode": "nearest", "interpolation": "nearest"}),
    ("RandomZoom", ((-0.3, -0.3),), {"fill_mode": "constant"}),
    ("RandomZoom", ((0.4, 0.4), (-0.2, -0.2)), {"fill_mode": "nearest"}),
    ("RandomTranslation", ((0.2, 0.2), (-0.3, -0.3)), {"fill_mode": "constant"}),
    ("RandomTranslation", ((-0.1, -0.1), (0.25, 0.25)), {"fill_mode": "nearest", "data_format": "channels_first"}),
    ("RandomBrightness", ((0.1, 0.1),), {}),
])
def test_fixed_factors_give_keras_outputs(name, args, kwargs):
    y = make(name, args, kwargs)(IMAGES, training=True).numpy()
    np.testing.assert_allclose(y, keras_out(make(name, args, kwargs, keras), IMAGES), atol=2e-3)
    assert not np.allclose(y, IMAGES)


@pytest.mark.parametrize("name, args, keras_matrix", [
    ("RandomRotation", ((0.1, 0.1),), lambda k, x: k.get_random_transformation(x)["rotation_matrix"]),
    ("RandomRotation", ((-0.3, -0.3),), lambda k, x: k.get_random_transformation(x)["rotation_matrix"]),
    ("RandomZoom", ((0.3, 0.3), (-0.5, -0.5)), lambda k, x: k._get_zoom_matrix(torch.cat(
        [(t := k.get_random_transformation(x))["width_zoom"], t["height_zoom"]], axis=1), 9, 7)),
    ("RandomTranslation", ((0.2, 0.2), (-0.3, -0.3)),
     lambda k, x: k._get_translation_matrix(k.get_random_transformation(x)["translations"])),
])
def test_transform_matrices_are_kerass(name, args, keras_matrix):
    x = np.zeros((3, 9, 7, 1), "float32")
    ours = make(name, args, {}).transforms(np.random.default_rng(0), 3, 9, 7)
    theirs = keras.ops.convert_to_numpy(keras_matrix(make(name, args, {}, keras), x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_shear_matrices_are_kerass_up_to_the_random_sign():
    ours = layers.RandomShear((0.2, 0.2), (0.3, 0.3)).transforms(np.random.default_rng(0), 64, 9, 9)
    keras_shear = keras.layers.RandomShear((0.2, 0.2), (0.3, 0.3))
    sheared = keras.ops.convert_to_numpy(keras_shear._get_shear_matrix(torch.tensor([[0.2, 0.3], [-0.2, -0.3]])))
    assert all(any(np.allclose(row, k) for k in sheared) for row in ours)
    assert len({row.tobytes() for row in ours}) == 2  # both signs occur


def test_quarter_turn_is_rot90_and_its_gradient_turns_back():
    x = Tensor(IMAGES, requires_grad=True)
    y = layers.RandomRotation((0.25, 0.25))(x, training=True)
    np.testing.assert_allclose(y.numpy(), np.rot90(IMAGES, 1, axes=(1, 2)), atol=1e-3)
    w = RNG.standard_normal(y.shape).astype("float32")
    y.backward(w)
    np.testing.assert_allclose(x.grad, np.rot90(w, -1, axes=(1, 2)), atol=1e-4)


def test_rotation_angles_are_uniform_per_image_in_the_factor_range():
    matrices = layers.RandomRotation((-0.1, 0.05)).transforms(np.random.default_rng(1), 4000, 9, 9)
    turns = np.arctan2(matrices[:, 3], matrices[:, 0]) / (2 * np.pi)
    assert -0.1 <= turns.min() < -0.099 and 0.049 < turns.max() <= 0.05
    assert abs(turns.mean() + 0.025) < 0.003 and abs(turns.std() - 0.15 / np.sqrt(12)) < 0.003


@pytest.mark.parametrize("mode, flipped", [
    ("horizontal", lambda x: x[:, :, ::-1]),
    ("vertical", lambda x: x[:, ::-1]),
    ("horizontal_and_vertical", lambda x: x[:, ::-1, ::-1]),  # one draw for both axes, as Keras 3
])
def test_flip_mirrors_about_half_of_the_images(mode, flipped):
    x = RNG.standard_normal((400, 3, 3, 1)).astype("float32")
    y = layers.RandomFlip(mode)(x, training=True).numpy()
    kept = (y == x).all(axis=(1, 2, 3))
    assert ((y == flipped(x)).all(axis=(1, 2, 3)) != kept).all()
    assert 0.4 < kept.mean() < 0.6


def test_channels_first_draws_and_moves_the_same_as_channels_last():
    for name, args, kwargs in LAYERS:
        last = make(name, args, dict(kwargs, seed=7))(IMAGES, training=True).numpy()
        first = make(name, args, dict(kwargs, seed=7, data_format="channels_first"))(
            IMAGES.transpose(0, 3, 1, 2), training=True).numpy()
        np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), atol=1e-4, err_msg=name)


def test_random_crop_takes_a_window_of_each_image_at_its_own_place():
    x = np.arange(64 * 10 * 12, dtype="float32").reshape(64, 10, 12, 1)
    y = layers.RandomCrop(4, 5)(x, training=True).numpy()
    starts = y[:, 0, 0, 0] - x[:, 0, 0, 0]
    tops, lefts = starts // 12, starts % 12
    for i, (top, left) in enumerate(zip(tops.astype(int), lefts.astype(int))):
        np.testing.assert_array_equal(y[i], x[i, top:top + 4, left:left + 5])
    assert set(tops.astype(int)) == set(range(7)) and set(lefts.astype(int)) == set(range(8))


def test_random_crop_of_images_not_larger_resizes_the_central_window():
    x = RNG.uniform(0, 1, (2, 6, 8, 1)).astype("float32")
    y = layers.RandomCrop(6, 3)(x, training=True).numpy()  # same height: nothing to draw
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(
        keras.ops.image.resize(x, (6, 3), crop_to_aspect_ratio=True)), atol=1e-5)


def test_contrast_scales_each_image_about_its_channel_means():
    x = RNG.uniform(0.3, 0.7, (50, 6, 6, 3)).astype("float32")
    y = layers.RandomContrast((0.2, 0.4), value_range=(0, 1))(x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    factor = (y - mean) / (x - mean)
    np.testing.assert_allclose(factor, factor[:, :1, :1, :1] + 0 * factor, rtol=1e-3)
    assert 0.8 <= factor.min() and factor.max() <= 1.4 and factor[:, 0, 0, 0].std() > 0.1


def test_brightness_and_contrast_clip_to_the_value_range():
    x = RNG.uniform(0, 1, (20, 4, 4, 1)).astype("float32")
    assert layers.RandomBrightness((0.5, 0.5), value_range=(0, 1))(x, training=True).numpy().max() == 1
    y = layers.RandomContrast((1, 1), value_range=(0, 1))(x, training=True).numpy()
    assert y.min() >= 0 and y.max() <= 1


def test_elastic_transform_warps_a_chosen_share_smoothly():
    x = np.tile(np.linspace(0, 1, 16, dtype="float32"), (40, 16, 1))[..., None]
    y = layers.RandomElasticTransform(factor=(0.5, 0.5), scale=0.5, value_range=(0, 1))(x, training=True).numpy()
    warped = ~np.isclose(y, x, atol=1e-6).all(axis=(1, 2, 3))
    assert 0.25 < warped.mean() < 0.75  # each image warped with probability 1/2
    assert np.abs(y - x).max() < 0.5 and y.min() >= 0 and y.max() <= 1  # small, smooth moves, clipped
    unwarped = layers.RandomElasticTransform(factor=0.0)(x, training=True).numpy()
    np.testing.assert_array_equal(unwarped, x)


# -- random draws --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_seed_repeats_across_instances_and_draws_anew_each_call(name, args, kwargs):
    a, b = make(name, args, dict(kwargs, seed=11)), make(name, args, dict(kwargs, seed=11))
    first = a(IMAGES / 255, training=True).numpy()
    np.testing.assert_array_equal(first, b(IMAGES / 255, training=True).numpy())
    assert not np.array_equal(first, a(IMAGES / 255, training=True).numpy())


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_unseeded_layers_follow_the_backend_seed(name, args, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k != "seed"}
    backend.set_seed(5)
    first = make(name, args, kwargs)(IMAGES / 255, training=True).numpy()
    backend.set_seed(5)
    np.testing.assert_array_equal(first, make(name, args, kwargs)(IMAGES / 255, training=True).numpy())


@pytest.mark.parametrize("make_layer, message", [
    (lambda: layers.RandomRotation(1.5), r"RandomRotation: factor must be a number or a pair of numbers in "
                                         r"\[-1, 1\], received 1.5"),
    (lambda: layers.RandomZoom(-1.0), r"RandomZoom: height_factor must be a number or a pair of numbers in \(-1, 1\]"),
    (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)), r"RandomTranslation: width_factor must be"),
    (lambda: layers.RandomShear(0.1, (0, 2)), r"RandomShear: y_factor must be a number or a pair of numbers in "
                                              r"\[-1, 1\], received \(0, 2\)"),
    (lambda: layers.RandomFlip("diagonal"), r"RandomFlip: mode must be one of"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), r"RandomRotation: fill_mode must be one of"),
    (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), r"RandomZoom: interpolation must be one of"),
    (lambda: layers.RandomCrop(0, 3), r"RandomCrop: height must be a positive int, received 0"),
    (lambda: layers.RandomFlip(seed=1.5), r"RandomFlip: seed must be an int or None, received 1.5"),
    (lambda: layers.RandomFlip()(np.zeros((2, 3, 4, 5, 6)), training=True),
     r"RandomFlip 'random_flip\w*' expects images of rank 3 \(one image\) or 4 \(a batch\), received shape"),
])
def test_errors_name_the_layer_and_argument(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


def test_a_model_with_augmentation_saves_and_loads_in_keras(tmp_path):
    model = striate.Sequential([
        striate.Input(shape=(12, 12, 1)), layers.Rescaling(1 / 255), layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1), layers.RandomZoom(0.1), layers.RandomTranslation(0.1, 0.1),
        layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])
    path = str(tmp_path / "augmented.keras")
    model.save(path)
    x = RNG.uniform(0, 255, (5, 12, 12, 1)).astype("float32")
    loaded = keras.models.load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    reloaded = striate.models.load_model(path)
    assert [_plain(l.get_config()) for l in reloaded.layers] == [_plain(l.get_config()) for l in model.layers]


# -- resuming a killed run with augmentation inside the model ---------------------------------------

SCRIPT = textwrap.dedent('''
    import os, signal, sys
    import numpy as np
    import striate as keras
    from striate import callbacks, layers

    out, backup_dir, kill_at = sys.argv[1], sys.argv[2], os.environ.get("KILL_AT")
    marker = out + ".killed"

    class Killer(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if kill_at == f"{self.epoch},{batch}" and not os.path.exists(marker):
                open(marker, "w").close()
                os.kill(os.getpid(), signal.SIGKILL)

    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (96, 10, 10, 1)).astype("float32")
    y = (x[:, :5].mean(axis=(1, 2, 3)) > x[:, 5:].mean(axis=(1, 2, 3))).astype("int64")
    model = keras.Sequential([keras.Input(shape=(10, 10, 1)), layers.RandomFlip("horizontal"),
                              layers.RandomRotation(0.1), layers.RandomZoom(0.1), layers.Conv2D(4, 3),
                              layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    cbs = [callbacks.BackupAndRestore(backup_dir, save_freq=2), Killer()]
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=cbs)
    np.savez(out, *model.get_weights())
''')


def run_training(tmp_path, name, kill_at=None):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, **({"KILL_AT": kill_at} if kill_at else {}))
    out = tmp_path / f"{name}.npz"
    proc = subprocess.run([sys.executable, str(script), str(out), str(tmp_path / f"{name}_backup")], env=env,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode < 0:
        return proc.returncode, None
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as f:
        return 0, [f[k] for k in f.files]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the training with SIGKILL")
def test_run_killed_mid_epoch_resumes_bit_identical_with_augmentation(tmp_path):
    _, reference = run_training(tmp_path, "reference")
    rc, _ = run_training(tmp_path, "run", kill_at="1,4")  # mid-epoch, after the backup of batch 3
    assert rc == -signal.SIGKILL
    rc, resumed = run_training(tmp_path, "run", kill_at="1,4")
    assert rc == 0
    assert len(resumed) == len(reference) and all(np.array_equal(a, b) for a, b in zip(resumed, reference))
