"""Keras 2's ImageDataGenerator: each augmentation against a hand-made expectation, the statistics of
fit against NumPy, flow's batches in fit, and repeatable draws."""
import numpy as np
import pytest

import striate as keras
from striate import callbacks, layers
from striate.preprocessing.image import ImageDataGenerator, NumpyArrayIterator


def ramp(height=5, width=5, channels=1):
    """An image whose value is its column index (bilinear sampling of it is exact)."""
    return np.broadcast_to(np.arange(width, dtype="float32")[None, :, None], (height, width, channels)).copy()


def images(n=16, height=6, width=6, channels=1, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, height, width, channels)).astype("float32")


def test_reachable_as_keras_2_code_spells_it():
    from striate.preprocessing.image import ImageDataGenerator as imported
    assert keras.preprocessing.image.ImageDataGenerator is imported
    assert keras.preprocessing.image.load_img is keras.utils.load_img


# -- each transform, exactly ----------------------------------------------------------------
def test_flips_are_exact_and_drawn_per_image():
    x = images(32)
    for kind, axis in (("horizontal_flip", 2), ("vertical_flip", 1)):
        out = ImageDataGenerator(**{kind: True}).flow(x, batch_size=32, shuffle=False)[0]
        flipped = [np.array_equal(o, np.flip(i, axis - 1)) for o, i in zip(out, x)]
        kept = [np.array_equal(o, i) for o, i in zip(out, x)]
        assert all(f != k for f, k in zip(flipped, kept)) and 8 < sum(flipped) < 24


def test_rescale_is_the_product():
    x = images(10)
    out = ImageDataGenerator(rescale=1 / 255).flow(x, np.arange(10), batch_size=10, shuffle=False)[0]
    np.testing.assert_array_equal(out[0], x * np.float32(1 / 255))
    np.testing.assert_array_equal(out[1], np.arange(10))


def test_shift_by_whole_pixels_moves_columns_or_rows():
    gen = ImageDataGenerator(fill_mode="constant", cval=-1.0)
    img = np.arange(25, dtype="float32").reshape(5, 5, 1)
    expected = np.full((5, 5), -1.0, "float32")
    expected[:, :3] = img[:, 2:, 0]  # tx = 2: each pixel from the one 2 columns right
    np.testing.assert_array_equal(gen.apply_transform(img, {"tx": 2})[..., 0], expected)
    expected = np.full((5, 5), -1.0, "float32")
    expected[1:] = img[:-1, :, 0]  # ty = -1: from the row above
    np.testing.assert_array_equal(gen.apply_transform(img, {"ty": -1})[..., 0], expected)


@pytest.mark.parametrize("kind, axis", [("width_shift_range", 1), ("height_shift_range", 0)])
def test_random_shifts_from_a_list_move_along_their_own_axis(kind, axis):
    x = np.repeat(np.arange(25, dtype="float32").reshape(1, 5, 5, 1), 16, axis=0)
    out = ImageDataGenerator(**{kind: [2]}, fill_mode="constant", cval=-1.0).flow(x, batch_size=16)[0][..., 0]
    left, right = np.full((5, 5), -1.0, "float32"), np.full((5, 5), -1.0, "float32")
    src = x[0, ..., 0]
    if axis == 1:
        left[:, :3], right[:, 2:] = src[:, 2:], src[:, :3]
    else:
        left[:3], right[2:] = src[2:], src[:3]
    matches = [np.array_equal(o, left) or np.array_equal(o, right) for o in out]
    assert all(matches) and {np.array_equal(o, left) for o in out} == {True, False}


def test_rotation_is_counter_clockwise_about_the_centre():
    img = np.arange(25, dtype="float32").reshape(5, 5, 1)
    gen = ImageDataGenerator()
    np.testing.assert_allclose(gen.apply_transform(img, {"theta": 90})[..., 0], np.rot90(img[..., 0]), atol=1e-4)
    wide = np.arange(12, dtype="float32").reshape(3, 4, 1)  # about the centre of a non-square image too
    np.testing.assert_allclose(gen.apply_transform(wide, {"theta": 180}), wide[::-1, ::-1], atol=1e-4)
    first = ImageDataGenerator(data_format="channels_first")
    np.testing.assert_allclose(first.apply_transform(img.transpose(2, 0, 1), {"theta": 90})[0],
                               np.rot90(img[..., 0]), atol=1e-4)


def test_zoom_and_shear_sample_where_their_matrices_say():
    gen = ImageDataGenerator()
    zoomed = gen.apply_transform(ramp(), {"zx": 0.5, "zy": 0.5})[..., 0]
    np.testing.assert_allclose(zoomed, np.tile([1.0, 1.5, 2.0, 2.5, 3.0], (5, 1)), atol=1e-6)  # 2 + (col - 2) / 2
    sheared = gen.apply_transform(ramp(7, 7), {"shear": 30})[..., 0]
    rows, cols = np.mgrid[0:7, 0:7]
    expected = cols - 0.5 * (rows - 3)  # sin(30 degrees) = 1/2
    inside = (expected >= 0) & (expected <= 6)
    np.testing.assert_allclose(sheared[inside], expected[inside], atol=1e-5)


def test_channel_shift_and_brightness():
    gen = ImageDataGenerator()
    img = np.arange(24, dtype="float32").reshape(2, 4, 3) * 10  # values 0 .. 230
    np.testing.assert_allclose(gen.apply_transform(img, {"channel_shift_intensity": 50.0}),
                               np.clip(img + 50, 0, 230))
    np.testing.assert_allclose(gen.apply_transform(img, {"brightness": 0.5}), img * 0.5)
    np.testing.assert_allclose(gen.apply_transform(img, {"brightness": 2.0}), np.clip(img * 2, 0, 255))
    wide = img * 2 - 100  # outside [0, 255]: stretched onto it and back, so the factor acts above the minimum
    np.testing.assert_allclose(gen.apply_transform(wide, {"brightness": 0.5}), -100 + (wide + 100) * 0.5,
                               rtol=1e-6)


def test_random_draws_stay_in_their_ranges():
    gen = ImageDataGenerator(rotation_range=20, width_shift_range=0.25, height_shift_range=3, zoom_range=[0.5, 0.8],
                             shear_range=10, channel_shift_range=5, brightness_range=[0.9, 1.1])
    draws = [gen.get_random_transform((8, 12, 1)) for _ in range(200)]
    assert all(-20 <= d["theta"] <= 20 and -10 <= d["shear"] <= 10 for d in draws)
    assert all(-3 <= d["tx"] <= 3 and d["ty"] in (-2, -1, 0, 1, 2) for d in draws)  # 0.25 of 12 columns
    assert all(0.5 <= d["zx"] <= 0.8 and 0.5 <= d["zy"] <= 0.8 and 0.9 <= d["brightness"] <= 1.1 for d in draws)
    assert len({d["tx"] for d in draws}) > 100 and not any(d["flip_horizontal"] for d in draws)


# -- standardization ------------------------------------------------------------------------
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_featurewise_center_and_std_after_fit_match_numpy(data_format):
    x = images(20, channels=3)
    axes = (0, 1, 2)
    if data_format == "channels_first":
        x, axes = x.transpose(0, 3, 1, 2).copy(), (0, 2, 3)
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=0.5,
                             data_format=data_format)
    gen.fit(x)
    mean, std = (x * 0.5).mean(axis=axes, keepdims=True), (x * 0.5).std(axis=axes, keepdims=True)
    np.testing.assert_allclose(gen.mean, mean[0], rtol=1e-5)
    np.testing.assert_allclose(gen.std, std[0], rtol=1e-5)
    out = gen.flow(x, batch_size=20, shuffle=False)[0]
    np.testing.assert_allclose(out, (x * 0.5 - mean) / (std + 1e-6), rtol=1e-4, atol=1e-5)


def test_samplewise_normalization_is_per_image():
    x = images(6) * np.arange(1, 7, dtype="float32").reshape(6, 1, 1, 1)
    out = ImageDataGenerator(samplewise_std_normalization=True, samplewise_center=True).flow(x, batch_size=6)[0]
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, rtol=1e-4)


def test_zca_whitening_decorrelates_the_fitted_data():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((200, 2, 2, 1)) + rng.standard_normal((200, 1, 1, 1))).astype("float32")  # correlated
    with pytest.warns(UserWarning, match="turn on featurewise_center"):
        gen = ImageDataGenerator(zca_whitening=True)
    gen.fit(x)
    flat = gen.standardize(x.copy()).reshape(200, -1)
    np.testing.assert_allclose(flat.T @ flat / 200, np.eye(4), atol=1e-3)


def test_standardize_before_fit_warns_and_preprocessing_function_runs_per_image_after_augmentation():
    with pytest.warns(UserWarning, match="featurewise_center is set but the generator was not fit"):
        ImageDataGenerator(featurewise_center=True).standardize(images(2))
    seen = []

    def mark(image):
        seen.append(image.shape)
        return image - image.max()
    x = images(4)
    out = ImageDataGenerator(vertical_flip=True, preprocessing_function=mark).flow(x, batch_size=4)[0]
    assert seen == [(6, 6, 1)] * 4 and np.all(out.max(axis=(1, 2, 3)) == 0)


# -- flow -----------------------------------------------------------------------------------
def test_flow_batches_subsets_and_sample_weights():
    x, y, w = images(10), np.arange(10), np.linspace(0, 1, 10)
    gen = ImageDataGenerator(validation_split=0.3)
    it = gen.flow(x, y, batch_size=4, sample_weight=w)
    assert len(it) == 3 and [len(it[i][0]) for i in range(3)] == [4, 4, 2]
    bx, by, bw = it[0]
    np.testing.assert_array_equal(bw, w[by])
    np.testing.assert_array_equal(bx, x[by])
    val = gen.flow(x, y, batch_size=10, subset="validation", ignore_class_split=True)[0]
    assert sorted(val[1]) == [0, 1, 2]
    train = gen.flow(x, y, batch_size=10, subset="training", ignore_class_split=True, shuffle=False)[0]
    np.testing.assert_array_equal(train[1], np.arange(3, 10))
    with pytest.raises(ValueError, match="subsets hold different classes"):
        gen.flow(x, y, subset="training")


def test_next_goes_on_pass_after_pass():
    it = ImageDataGenerator().flow(images(5), np.arange(5), batch_size=2, seed=1)
    labels = [next(it)[1] for _ in range(6)]
    assert [len(b) for b in labels] == [2, 2, 1, 2, 2, 1]
    assert sorted(np.concatenate(labels[:3])) == sorted(np.concatenate(labels[3:])) == list(range(5))
    assert len(it.next()[1]) == 2


def test_seed_makes_flow_repeatable_and_so_does_set_random_seed():
    x = images(8)
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2, horizontal_flip=True)

    def two_passes(**kw):
        it = gen.flow(x, np.arange(8), batch_size=4, **kw)
        return [it[i] for i in range(2)] + [(it.on_epoch_end(), it[0])[1]]
    a, b, c = two_passes(seed=7), two_passes(seed=7), two_passes(seed=8)
    assert all(np.array_equal(p[0], q[0]) and np.array_equal(p[1], q[1]) for p, q in zip(a, b))
    assert not all(np.array_equal(p[0], q[0]) for p, q in zip(a, c))
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        runs.append(two_passes())
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(*runs))


def test_bad_arguments_name_themselves():
    for kwargs, match in (({"fill_mode": "edge"}, "fill_mode must be one of"),
                          ({"zoom_range": [1.2, 0.8]}, "zoom_range must be"),
                          ({"width_shift_range": -0.1}, "width_shift_range must be"),
                          ({"brightness_range": 0.5}, "brightness_range must be two floats"),
                          ({"interpolation_order": 3}, "interpolation_order must be 0")):
        with pytest.raises(ValueError, match=match):
            ImageDataGenerator(**kwargs)
    with pytest.raises(ValueError, match=r"x must be images of rank 4 .* received shape \(6, 6, 1\)"):
        ImageDataGenerator().flow(images(1)[0])
    with pytest.raises(ValueError, match="x has 3 images but y has 2"):
        NumpyArrayIterator(images(3), [0, 1], ImageDataGenerator())


# -- in fit ---------------------------------------------------------------------------------
def bright_or_dark(n=96, seed=0):
    """Images brighter or darker than the middle grey; the label says which (flips and shifts keep it)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.uniform(0, 100, (n, 8, 8, 1)) + 140 * y.reshape(n, 1, 1, 1)
    return x.astype("float32"), y


def classifier():
    m = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Flatten(), layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_fit_takes_flow_and_trains():
    x, y = bright_or_dark()
    gen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True, width_shift_range=0.2, rotation_range=10)
    it = gen.flow(x, y, batch_size=16)
    steps = []

    class Steps(callbacks.Callback):
        def on_train_begin(self, logs=None):
            steps.append(self.params["steps"])
    model = classifier()
    h = model.fit(it, epochs=5, verbose=0, callbacks=[Steps()],
                  validation_data=ImageDataGenerator(rescale=1 / 255).flow(x, y, shuffle=False))
    assert steps == [len(it)] == [6]
    assert h.history["loss"][-1] < h.history["loss"][0] and h.history["val_accuracy"][-1] > 0.9


class Snapshot(callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (1, 2):
            self.state = self.model.get_training_state()


class Restore(callbacks.Callback):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_begin(self, logs=None):
        self.model.resume_training(self.state)


def test_fit_on_flow_resumes_bit_for_bit():
    x, y = bright_or_dark(64)
    gen = ImageDataGenerator(rotation_range=20, horizontal_flip=True, zoom_range=0.1, rescale=1 / 255)
    keras.utils.set_random_seed(5)
    model, snapshot = classifier(), Snapshot()
    model.fit(gen.flow(x, y, batch_size=16), epochs=3, verbose=0, callbacks=[snapshot])
    keras.utils.set_random_seed(6)  # another start: the rest must come from the state, with a new iterator
    resumed = classifier()
    resumed.fit(gen.flow(x, y, batch_size=16), epochs=3, verbose=0, callbacks=[Restore(snapshot.state)])
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), resumed.get_weights()))
