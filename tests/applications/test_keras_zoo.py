"""applications: VGG16/19, ResNet50/101/152 and ResNet50V2/101V2/152V2 equal Keras's (layers, weights in
Keras 2's HDF5 layout, outputs), the ImageNet utilities equal Keras's, and ImageNet weights come through
the cache (offline: an error that says where to put the file)."""
import hashlib
import json
import os

import keras
import numpy as np
import pytest

import striate
from striate.applications import imagenet_utils, resnet, vgg16
from zoo_check import assert_close, build, keras_pair, layer_table

SHAPE = (64, 64, 3)  # the small input the models are compared on
# name: (the classifier's first layer, parameters with the classifier at 224x224)
ZOO = {
    "VGG16": ("flatten", 138_357_544),
    "VGG19": ("flatten", 143_667_240),
    "ResNet50": ("avg_pool", 25_636_712),
    "ResNet101": ("avg_pool", 44_707_176),
    "ResNet152": ("avg_pool", 60_419_944),
    "ResNet50V2": ("avg_pool", 25_613_800),
    "ResNet101V2": ("avg_pool", 44_675_560),
    "ResNet152V2": ("avg_pool", 60_380_648),
}


@pytest.fixture(scope="module", params=sorted(ZOO))
def pair(request, tmp_path_factory):
    """Keras's model (random weights, its files written by Keras) and striate's loaded from them."""
    name = request.param
    theirs = keras_pair(name, SHAPE, ZOO[name][0], tmp_path_factory.mktemp(name))
    theirs.name = name
    theirs.ours = build(striate, name, weights=theirs.top_file, input_shape=SHAPE, classifier_activation=None)
    yield theirs
    striate.utils.clear_session()


def test_layers_and_weights_equal_keras(pair):
    assert layer_table(pair.ours) == layer_table(pair.model)
    assert pair.ours.count_params() == pair.model.count_params()


def test_classifier_file_loads_and_predicts_as_keras(pair):
    assert_close(pair.ours.predict(pair.x, verbose=0), pair.keras_logits, what=f"{pair.name}'s logits")


def test_notop_file_gives_keras_features(pair):
    function = getattr(striate.applications, pair.name)
    ours = function(include_top=False, weights=pair.notop_file, input_shape=SHAPE, pooling="avg")
    features = ours.predict(pair.x, verbose=0)
    assert features.shape == (len(pair.x), pair.keras_features.shape[1])
    assert_close(features, pair.keras_features, what=f"{pair.name}'s features")

    again = function(include_top=False, weights=None, input_shape=SHAPE, pooling="avg")
    again.load_weights(pair.notop_file)
    for loaded, given in zip(again.weights, ours.weights, strict=True):
        np.testing.assert_array_equal(loaded.numpy(), given.numpy(), err_msg=loaded.path)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_parameter_count_with_classifier_at_224(name):
    model = getattr(striate.applications, name)(weights=None)
    assert model.input_shape == (None, 224, 224, 3)
    assert model.output_shape == (None, 1000)
    assert model.count_params() == ZOO[name][1]


def test_keras_module_names():
    apps = striate.applications
    for module, functions in [(apps.vgg16, ["VGG16"]), (apps.vgg19, ["VGG19"]), (apps.resnet50, ["ResNet50"]),
                              (apps.resnet, ["ResNet50", "ResNet101", "ResNet152"]),
                              (apps.resnet_v2, ["ResNet50V2", "ResNet101V2", "ResNet152V2"])]:
        keras_module = getattr(keras.applications, module.__name__.rsplit(".", 1)[1])
        for function in functions:
            assert getattr(module, function) is getattr(apps, function)
            assert hasattr(keras_module, function)
        x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
        np.testing.assert_allclose(module.preprocess_input(x.copy()), keras_module.preprocess_input(x.copy()),
                                   rtol=1e-6)
        assert module.decode_predictions is imagenet_utils.decode_predictions


# -- preprocess_input --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format, shape", [("channels_last", (2, 5, 4, 3)), ("channels_last", (5, 4, 3)),
                                                ("channels_first", (2, 3, 5, 4)), ("channels_first", (3, 5, 4))])
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
def test_preprocess_input_equals_keras(mode, data_format, shape, dtype):
    x = np.random.default_rng(1).uniform(0, 255, shape).astype(dtype)
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    ours = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-5)

    tensor = imagenet_utils.preprocess_input(striate.ops.convert_to_tensor(x.astype("float32")),
                                             data_format=data_format, mode=mode)
    assert isinstance(tensor, striate.Tensor)
    np.testing.assert_allclose(tensor.numpy(), expected, rtol=1e-5, atol=1e-4)


def test_preprocess_input_changes_a_float_array_in_place_as_keras():
    x = np.full((1, 1, 1, 3), 255.0, "float32")
    theirs = x.copy()
    keras.applications.imagenet_utils.preprocess_input(theirs, mode="tf")
    imagenet_utils.preprocess_input(x, mode="tf")
    np.testing.assert_array_equal(x, theirs)


def test_preprocess_input_flows_gradients():
    x = striate.Variable(np.full((1, 2, 2, 3), 100.0, "float32"))
    grad = striate.grad(lambda t: striate.ops.sum(imagenet_utils.preprocess_input(t, mode="torch")))(x)
    np.testing.assert_allclose(grad[0, 0, 0], 1 / (255 * np.array([0.229, 0.224, 0.225])), rtol=1e-5)


@pytest.mark.parametrize("kwargs, message", [({"mode": "bgr"}, "mode 'caffe', 'tf' or 'torch'"),
                                             ({"data_format": "nhwc"}, "data_format 'channels_first'")])
def test_preprocess_input_refuses_unknown_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), **kwargs)


# -- decode_predictions ------------------------------------------------------------------------------
def test_class_index_is_imagenets():
    with open(imagenet_utils.CLASS_INDEX_FILE, encoding="utf-8") as f:
        index = json.load(f)
    assert sorted(index, key=int) == [str(i) for i in range(1000)]
    assert index["0"] == ["n01440764", "tench"]
    assert index["999"] == ["n15075141", "toilet_tissue"]
    assert len({wnid for wnid, _ in index.values()}) == 1000


def test_decode_predictions_lists_the_top_classes():
    preds = np.zeros((2, 1000), "float32")
    preds[0, [1, 207, 999]] = 0.2, 0.5, 0.3
    preds[1, 281] = 1.0
    decoded = imagenet_utils.decode_predictions(preds, top=3)
    assert [(wnid, name) for wnid, name, _ in decoded[0]] == [
        ("n02099601", "golden_retriever"), ("n15075141", "toilet_tissue"), ("n01443537", "goldfish")]
    assert [float(score) for _, _, score in decoded[0]] == pytest.approx([0.5, 0.3, 0.2])
    assert decoded[1][0][:2] == ("n02123045", "tabby")
    assert len(imagenet_utils.decode_predictions(striate.ops.convert_to_tensor(preds))[1]) == 5


def test_decode_predictions_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\), received shape \(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


# -- arguments ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "no_such_file.h5"}, "path to a weights file that exists, received weights='no_such_file.h5'"),
    ({"weights": "imagenet", "classes": 10}, "classes must be 1000"),
    ({"weights": "imagenet", "input_shape": (64, 64, 3)}, r"input_shape must be \(224, 224, 3\)"),
    ({"weights": None, "include_top": False, "input_shape": (16, 16, 3)}, "at least 32x32"),
    ({"weights": "imagenet", "include_top": False, "input_shape": (64, 64, 1)}, "must have 3 channels"),
    ({"weights": None, "include_top": True, "input_shape": (None, None, 3)}, "must be fully known"),
])
@pytest.mark.parametrize("name", ["VGG16", "ResNet50"])
def test_bad_arguments_are_refused_as_keras_refuses_them(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(striate.applications, name)(**kwargs)
    with pytest.raises(ValueError):
        getattr(keras.applications, name)(**kwargs)


@pytest.mark.parametrize("name", ["VGG19", "ResNet101V2"])
def test_pretrained_classifier_takes_softmax_or_logits_only(name, offline):
    with pytest.raises(ValueError, match="classifier_activation must be None or 'softmax', received classifier_activation='sigmoid'"):
        getattr(striate.applications, name)(weights="imagenet", classifier_activation="sigmoid")


def test_obtain_input_shape_equals_keras():
    from keras.src.applications.imagenet_utils import obtain_input_shape
    cases = [(None, False, None), (None, True, None), (None, True, "imagenet"), (None, False, "imagenet"),
             ((64, 48, 3), False, "imagenet"), ((100, 100, 1), False, None), ((100, None, 3), False, None),
             ((224, 224, 3), True, "imagenet"), ((64, 64, 3), True, None)]
    for data_format in ("channels_last", "channels_first"):
        for input_shape, require_flatten, weights in cases:
            if input_shape is not None and data_format == "channels_first":
                input_shape = input_shape[-1:] + input_shape[:-1]
            args = (input_shape, 224, 32, data_format, require_flatten, weights)
            assert imagenet_utils.obtain_input_shape(*args) == tuple(obtain_input_shape(*args)), args


def test_input_tensor_builds_on_a_layer_output():
    inputs = striate.Input(shape=(32, 32, 3))
    rescaling = striate.layers.Rescaling(1 / 255)
    scaled = rescaling(inputs)
    model = striate.applications.VGG16(include_top=False, weights=None, input_tensor=scaled, pooling="max")
    assert model.inputs == [inputs]
    assert model.layers[1] is rescaling  # (its name depends on the layers other tests made)
    assert model.predict(np.zeros((1, 32, 32, 3), "float32"), verbose=0).shape == (1, 512)
    with pytest.raises(TypeError, match="input_tensor must be a symbolic tensor"):
        striate.applications.ResNet50(weights=None, input_tensor=np.zeros((1, 224, 224, 3)))


def test_summary_of_a_model_nesting_a_frozen_base(capsys):
    base = striate.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3))
    base.trainable = False
    inputs = striate.Input(shape=(32, 32, 3))
    outputs = striate.layers.Dense(10)(striate.layers.GlobalAveragePooling2D()(base(inputs, training=False)))
    striate.Model(inputs, outputs).summary()
    printed = capsys.readouterr().out
    assert "resnet50 (" in printed and "23,587,712" in printed
    assert "Trainable params: 20,490" in printed
    assert "Non-trainable params: 23,587,712" in printed


# -- ImageNet weights through the cache ----------------------------------------------------------------
@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty cache (``~`` is a temporary folder) and a network that cannot be reached."""
    import urllib.error
    monkeypatch.setenv("HOME", str(tmp_path))

    def unreachable(url, *args, **kwargs):
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(striate.utils.file_utils, "download", unreachable)
    return os.path.join(str(tmp_path), ".striate", "models")


@pytest.mark.parametrize("name, include_top, fname, url, md5", [
    ("VGG16", False, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
     "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
    ("VGG19", False, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
     "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"),
    ("ResNet50", True, "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
     "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
     "resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"),
    ("ResNet152V2", False, "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
     "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "ed17cf2e0169df9d443503ef94b23b33"),
])
def test_imagenet_offline_names_the_file_and_where_to_put_it(offline, name, include_top, fname, url, md5):
    with pytest.raises(FileNotFoundError) as caught:
        getattr(striate.applications, name)(include_top=include_top, weights="imagenet")
    message = str(caught.value)
    assert url in message and "network is unreachable" in message
    assert os.path.join(offline, fname) in message and md5 in message


def test_imagenet_file_in_the_cache_loads_without_download(offline, monkeypatch):
    source = striate.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    path = os.path.join(offline, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5")
    os.makedirs(offline)
    source.save_weights(path)  # Keras 2's layout, as the published file
    with open(path, "rb") as f:
        md5 = hashlib.md5(f.read()).hexdigest()
    monkeypatch.setitem(resnet.WEIGHTS_HASHES, "resnet50", (resnet.WEIGHTS_HASHES["resnet50"][0], md5))
    model = striate.applications.ResNet50(include_top=False, weights="imagenet", input_shape=(32, 32, 3),
                                          pooling="avg")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), source.predict(x, verbose=0))


def test_imagenet_file_with_a_wrong_hash_is_not_used(offline):
    os.makedirs(offline)
    path = os.path.join(offline, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    with open(path, "wb") as f:
        f.write(b"not the published file")
    with pytest.raises(FileNotFoundError, match="has md5 hash .*, expected 6d6bbae143d832006294945121d1f1fc"):
        vgg16.VGG16(include_top=False, weights="imagenet")
