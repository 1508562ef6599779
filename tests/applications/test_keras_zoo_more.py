"""applications/inception_v3.py, xception.py and mobilenet.py against Keras's: the same layers (names,
classes, weight shapes, order) and parameter counts, Keras's random weights written by Keras's own
legacy HDF5 writer and loaded into striate's giving the same features and logits, the same
preprocessing, and the published ImageNet files Keras fetches."""
import numpy as np
import pytest

import zoo_check
from zoo_check import assert_close, build, keras, keras_pair, layer_table, write_legacy_h5

import striate

# name: (module, the smallest input size, the classifier's first layer, parameters with the classifier)
MODELS = {
    "InceptionV3": ("inception_v3", 75, "avg_pool", 23_851_784),
    "Xception": ("xception", 71, "avg_pool", 22_910_480),
    "MobileNet": ("mobilenet", 32, "global_average_pooling2d", 4_253_864),
}


_randomize = zoo_check.randomize


def randomize(model, seed=0):
    """``zoo_check.randomize``, then each DepthwiseConv2D's kernel (Keras names it ``kernel``, so zoo_check
    scales it by a 3x3xchannels fan-in and MobileNet's features stop depending on the image) He-scaled by its
    own fan-in, the 3x3 window."""
    _randomize(model, seed)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            shape = tuple(layer.kernel.shape)
            layer.kernel.assign(rng.standard_normal(shape).astype("float32") * np.sqrt(2.0 / (shape[0] * shape[1])))


@pytest.fixture(autouse=True)
def _depthwise_randomized(monkeypatch):
    """keras_pair randomizes with :func:`randomize`."""
    monkeypatch.setattr(zoo_check, "randomize", randomize)


def assert_depends_on_input(features, what):
    """Features that differ between the batch's images, so that comparing them checks the whole network."""
    spread = np.ptp(features, axis=0).max()
    assert spread > 1e-2 * np.abs(features).max(), f"{what} are nearly the same for every image ({spread:.2e})"


@pytest.mark.parametrize("name", MODELS)
def test_layers_and_parameter_count_equal_keras(name):
    ours, theirs = build(striate, name, weights=None), build(keras, name, weights=None)
    assert layer_table(ours) == layer_table(theirs)
    assert ours.count_params() == theirs.count_params() == MODELS[name][3]
    assert ours.name == theirs.name


@pytest.mark.parametrize("name", MODELS)
def test_keras_weights_file_gives_keras_features_and_logits(name, tmp_path):
    _, size, top_layer, _ = MODELS[name]
    pair = keras_pair(name, (size, size, 3), top_layer, str(tmp_path))
    assert_depends_on_input(pair.keras_features, f"Keras's {name} features")
    features = build(striate, name, include_top=False, weights=pair.notop_file, input_shape=(size, size, 3),
                     pooling="avg")
    assert_close(features.predict(pair.x, verbose=0), pair.keras_features, what=f"{name}'s features")
    classifier = build(striate, name, weights=pair.top_file, input_shape=(size, size, 3),
                       classifier_activation=None)
    assert_close(classifier.predict(pair.x, verbose=0), pair.keras_logits, what=f"{name}'s logits")


def test_mobilenet_width_and_depth_multipliers_equal_keras(tmp_path):
    kwargs = dict(input_shape=(40, 40, 3), alpha=0.5, depth_multiplier=2, include_top=False, weights=None,
                  pooling="max")
    theirs = build(keras, "MobileNet", **kwargs)
    randomize(theirs, seed=1)
    path = write_legacy_h5(theirs, str(tmp_path / "mobilenet.h5"))
    ours = build(striate, "MobileNet", **{**kwargs, "weights": path})
    assert layer_table(ours) == layer_table(theirs)
    assert ours.name == theirs.name == "mobilenet_0.50_40"
    x = np.random.default_rng(1).uniform(-1, 1, (2, 40, 40, 3)).astype("float32")
    expected = np.asarray(theirs.predict(x, verbose=0))
    assert_depends_on_input(expected, "Keras's MobileNet features")
    assert_close(ours.predict(x, verbose=0), expected, what="MobileNet's features")


@pytest.mark.parametrize("module", sorted({module for module, *_ in MODELS.values()}))
def test_preprocess_input_equals_keras(module):
    images = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3)).astype("float32")
    ours = getattr(striate.applications, module).preprocess_input(images.copy())
    theirs = getattr(keras.applications, module).preprocess_input(images.copy())
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6)
    assert ours.min() >= -1 and ours.max() <= 1


class _Fetched(Exception):
    pass


@pytest.fixture
def requested_files(monkeypatch):
    """The (fname, origin, file_hash) of each file the model functions ask ``utils.get_file`` for; the
    request ends the model function (no download)."""
    requests = []

    def get_file(fname=None, origin=None, cache_subdir="datasets", file_hash=None, **kwargs):
        requests.append((fname or origin.rsplit("/", 1)[-1], origin, file_hash, cache_subdir))
        raise _Fetched

    monkeypatch.setattr(striate.utils, "get_file", get_file)
    return requests


KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@pytest.mark.parametrize("name, kwargs, fname, file_hash", [
    ("InceptionV3", {}, "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    ("InceptionV3", {"include_top": False}, "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "bcbd6486424b2319ff4ef7d526e38f63"),
    ("Xception", {}, "xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    ("Xception", {"include_top": False}, "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "b0042744bf5b25fce3cb969f33bebb97"),
    ("MobileNet", {}, "mobilenet_1_0_224_tf.h5", None),
    ("MobileNet", {"alpha": 0.5, "include_top": False, "input_shape": (160, 160, 3)},
     "mobilenet_5_0_160_tf_no_top.h5", None),
    ("MobileNet", {"alpha": 0.25, "input_shape": (128, 128, 3)}, "mobilenet_2_5_128_tf.h5", None),
])
def test_imagenet_weights_are_keras_published_files(requested_files, name, kwargs, fname, file_hash):
    with pytest.raises(_Fetched):
        getattr(striate.applications, name)(weights="imagenet", **kwargs)
    folder = {"InceptionV3": "inception_v3/", "Xception": "xception/", "MobileNet": "mobilenet/"}[name]
    assert requested_files == [(fname, KERAS_APPLICATIONS + folder + fname, file_hash, "models")]


def test_mobilenet_imagenet_weights_of_other_sizes_are_224s(requested_files):
    with pytest.warns(UserWarning, match="224x224"), pytest.raises(_Fetched):
        striate.applications.MobileNet(weights="imagenet", include_top=False, input_shape=(100, 100, 3))
    assert requested_files[0][0] == "mobilenet_1_0_224_tf_no_top.h5"


@pytest.mark.parametrize("kwargs, message", [
    ({"depth_multiplier": 2}, "depth_multiplier must be 1, received depth_multiplier=2"),
    ({"alpha": 0.3}, "alpha must be 0.25, 0.5, 0.75 or 1.0, received alpha=0.3"),
])
def test_mobilenet_refuses_imagenet_weights_it_has_not(kwargs, message):
    with pytest.raises(ValueError, match=message):
        striate.applications.MobileNet(weights="imagenet", include_top=False, input_shape=(128, 128, 3), **kwargs)


@pytest.mark.parametrize("name", MODELS)
def test_input_tensor_and_input_size_rules(name):
    _, size, _, _ = MODELS[name]
    inputs = striate.Input(shape=(size + 1, size + 1, 3))
    model = getattr(striate.applications, name)(include_top=False, weights=None,
                                               input_tensor=striate.layers.Rescaling(1 / 127.5, -1)(inputs))
    assert model.inputs == [inputs]
    assert model.predict(np.zeros((1, size + 1, size + 1, 3), "float32"), verbose=0).ndim == 4
    with pytest.raises(ValueError, match=f"at least {size}x{size}"):
        getattr(striate.applications, name)(include_top=False, weights=None, input_shape=(size - 1, size - 1, 3))


@pytest.mark.parametrize("name", ["InceptionV3", "Xception"])
def test_classifier_takes_classes_and_activation(name):
    model = getattr(striate.applications, name)(weights=None, classes=7, classifier_activation=None)
    assert model.output_shape == (None, 7)
    assert model.get_layer("predictions").get_config()["activation"] == "linear"


def test_mobilenet_classifier_in_a_transfer_model_summary(capsys):
    base = striate.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None)
    base.trainable = False
    inputs = striate.Input(shape=(32, 32, 3))
    outputs = striate.layers.Dense(5, activation="softmax")(striate.layers.GlobalAveragePooling2D()(base(inputs)))
    model = striate.Model(inputs, outputs)
    model.summary()
    text = capsys.readouterr().out
    assert "mobilenet_0.25_32" in text
    assert f"Total params: {base.count_params() + 256 * 5 + 5:,}" in text
    assert f"Trainable params: {256 * 5 + 5:,}" in text


@pytest.fixture
def channels_first():
    striate.backend.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    yield
    striate.backend.set_image_data_format("channels_last")
    keras.config.set_image_data_format("channels_last")


@pytest.mark.parametrize("name, kwargs", [("MobileNet", {"alpha": 0.25}), ("Xception", {})])
def test_channels_first_setting_equals_keras(channels_first, name, kwargs, tmp_path):
    _, size, _, _ = MODELS[name]
    kwargs = dict(kwargs, include_top=False, input_shape=(3, size, size), pooling="avg")
    theirs = build(keras, name, weights=None, **kwargs)
    randomize(theirs, seed=2)
    ours = build(striate, name, weights=write_legacy_h5(theirs, str(tmp_path / "weights.h5")), **kwargs)
    x = np.random.default_rng(2).uniform(-1, 1, (2, 3, size, size)).astype("float32")
    expected = np.asarray(theirs.predict(x, verbose=0))
    assert_depends_on_input(expected, f"Keras's {name} features")
    assert_close(ours.predict(x, verbose=0), expected, what=f"{name}'s features (channels_first)")


@pytest.mark.parametrize("layer, args", [("Conv2D", (4, 3)), ("DepthwiseConv2D", (3,)), ("SeparableConv2D", (4, 3)),
                                         ("AveragePooling2D", (2,)), ("GlobalMaxPooling2D", ()), ("ZeroPadding2D", ())])
def test_layers_data_format_defaults_to_the_setting(channels_first, layer, args):
    ours, theirs = getattr(striate.layers, layer)(*args), getattr(keras.layers, layer)(*args)
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"] == "channels_first"
