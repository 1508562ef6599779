"""utils.image_dataset_from_directory: Keras's file order and split, resized images, labels, fit."""
import os

import numpy as np
import pytest

import striate
from striate import utils
from striate.utils import image_dataset

keras = pytest.importorskip("keras")
pytest.importorskip("PIL")
from keras.src.utils import dataset_utils  # noqa: E402  (Keras's own indexing, which needs no TensorFlow)

# class folder -> [(file name, (height, width))]; sizes differ, a file sits in a nested folder
LAYOUT = {
    "b_dogs": [("d1.png", (10, 12)), ("d0.png", (20, 16)), ("d2.JPG", (12, 12)), ("puppies/p0.png", (9, 14)),
               ("d3.png", (10, 12)), ("d4.bmp", (10, 12)), ("d5.png", (20, 16))],
    "a_cats": [("c0.png", (20, 16)), ("c1.png", (10, 12)), ("c2.gif", (15, 11)), ("c3.png", (10, 12)),
               ("c4.jpeg", (10, 12))],
    "c_birds": [("b0.png", (16, 16)), ("b1.png", (10, 12)), ("b2.png", (7, 21)), ("b3.png", (10, 12))],
}
CLASSES = sorted(LAYOUT)
COUNT = sum(len(files) for files in LAYOUT.values())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The LAYOUT as image files, plus files and folders that must be skipped."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for label, files in LAYOUT.items():
        for name, size in files:
            path = root / label / name
            path.parent.mkdir(parents=True, exist_ok=True)
            utils.save_img(path, rng.integers(0, 256, size + (3,)).astype("float32"), scale=False,
                           file_format="jpeg" if name.lower().endswith(("jpg", "jpeg")) else None)
    (root / "a_cats" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    utils.save_img(root / ".hidden" / "x.png", np.zeros((4, 4, 3)))
    utils.save_img(root / "top.png", np.zeros((4, 4, 3)))       # not in a class folder
    return str(root)


def _keras_files(folder, seed, shuffle=True, validation_split=None, subset=None, labels="inferred",
                 class_names=None):
    paths, found, names = dataset_utils.index_directory(
        folder, labels, formats=image_dataset.ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, verbose=False)
    paths, found = dataset_utils.get_training_or_validation_split(paths, found, validation_split, subset)
    return paths, None if found is None else [int(v) for v in found], names


def _all(dataset):
    images, labels = zip(*(dataset[i] for i in range(len(dataset))))
    return np.concatenate(images), np.concatenate(labels)


def test_counts_classes_labels_and_message(folder, capsys):
    data = utils.image_dataset_from_directory(folder, image_size=(8, 6), batch_size=5, seed=3)
    assert capsys.readouterr().out == f"Found {COUNT} files belonging to 3 classes.\n"
    assert data.class_names == CLASSES and len(data) == 4 and isinstance(data, utils.PyDataset)
    images, labels = _all(data)
    assert images.shape == (COUNT, 8, 6, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32 and labels.shape == (COUNT,)
    assert [CLASSES[k] for k in labels] == [os.path.relpath(p, folder).split(os.sep)[0] for p in data.file_paths]
    assert sorted(np.bincount(labels)) == sorted(len(f) for f in LAYOUT.values())


@pytest.mark.parametrize("seed", [0, 1, 1337])
@pytest.mark.parametrize("shuffle", [True, False])
def test_file_order_is_keras(folder, seed, shuffle):
    data = utils.image_dataset_from_directory(folder, seed=seed, shuffle=shuffle, verbose=False)
    paths, labels, names = _keras_files(folder, seed, shuffle)
    assert data.file_paths == paths and data.class_names == names
    assert _all_labels(data) == labels


def _all_labels(data):
    return [int(v) for i in range(len(data)) for v in data[i][1]] if len(data) else []


@pytest.mark.parametrize("seed, split", [(0, 0.2), (42, 0.25), (7, 0.5)])
def test_split_is_keras(folder, seed, split, capsys):
    train, val = utils.image_dataset_from_directory(folder, image_size=(4, 4), batch_size=4, seed=seed,
                                                    validation_split=split, subset="both")
    n_val = int(split * COUNT)
    assert capsys.readouterr().out.splitlines() == [
        f"Found {COUNT} files belonging to 3 classes.", f"Using {COUNT - n_val} files for training.",
        f"Using {n_val} files for validation."]
    for subset, ours in (("training", train), ("validation", val)):
        paths, labels, _ = _keras_files(folder, seed, validation_split=split, subset=subset)
        assert ours.file_paths == paths and _all_labels(ours) == labels
        alone = utils.image_dataset_from_directory(folder, image_size=(4, 4), seed=seed, validation_split=split,
                                                   subset=subset, verbose=False)
        assert alone.file_paths == paths
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(train.file_paths) + len(val.file_paths) == COUNT


def test_class_names_choose_and_order_the_classes(folder):
    data = utils.image_dataset_from_directory(folder, class_names=["c_birds", "a_cats"], seed=5, verbose=False)
    paths, labels, _ = _keras_files(folder, 5, class_names=["c_birds", "a_cats"])
    assert data.class_names == ["c_birds", "a_cats"] and data.file_paths == paths
    assert _all_labels(data) == labels and len(paths) == 9
    with pytest.raises(ValueError, match="class_names must name subfolders"):
        utils.image_dataset_from_directory(folder, class_names=["a_cats", "fish"])


def test_explicit_labels_and_no_labels(folder, capsys):
    everything = COUNT + 2                          # without classes, the whole tree: top.png, .hidden/x.png
    order = utils.image_dataset_from_directory(folder, labels=None, shuffle=False, batch_size=100)
    assert capsys.readouterr().out == f"Found {everything} files.\n"
    images = order[0]
    assert isinstance(images, np.ndarray) and images.shape == (everything, 256, 256, 3)
    assert order.class_names is None and order.file_paths == _keras_files(folder, 0, False, labels=None)[0]
    given = [i % 2 for i in range(everything)]
    data = utils.image_dataset_from_directory(folder, labels=given, seed=9, verbose=False)
    paths, labels, names = _keras_files(folder, 9, labels=given)
    assert data.file_paths == paths and _all_labels(data) == labels and data.class_names == names == ["0", "1"]
    with pytest.raises(ValueError, match=f"labels has 3 entries but .* holds {everything} image files"):
        utils.image_dataset_from_directory(folder, labels=[0, 1, 0])


def test_label_modes(folder):
    cat = utils.image_dataset_from_directory(folder, label_mode="categorical", seed=1, verbose=False)
    ints = utils.image_dataset_from_directory(folder, seed=1, verbose=False)
    onehot, labels = cat[0][1], ints[0][1]
    assert onehot.dtype == np.float32 and onehot.shape == (COUNT, 3)
    np.testing.assert_array_equal(onehot, np.eye(3, dtype="float32")[labels])
    two = utils.image_dataset_from_directory(folder, class_names=["a_cats", "c_birds"], label_mode="binary",
                                             seed=1, verbose=False)
    binary = two[0][1]
    assert binary.dtype == np.float32 and binary.shape == (9, 1) and set(binary.ravel()) == {0.0, 1.0}
    with pytest.raises(ValueError, match="exactly 2 classes"):
        utils.image_dataset_from_directory(folder, label_mode="binary", seed=1, verbose=False)
    images_only = utils.image_dataset_from_directory(folder, label_mode=None, seed=1, verbose=False)
    assert isinstance(images_only[0], np.ndarray)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's torch backend
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("aspect", [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True}])
def test_images_are_the_files_resized_as_keras_ops_image_resize(folder, interpolation, aspect):
    data = utils.image_dataset_from_directory(folder, image_size=(9, 13), batch_size=6, seed=2,
                                              interpolation=interpolation, verbose=False, **aspect)
    images, _ = _all(data)
    for path, got in zip(data.file_paths, images):
        pixels = keras.utils.img_to_array(keras.utils.load_img(path))
        want = keras.ops.convert_to_numpy(keras.ops.image.resize(pixels, (9, 13), interpolation=interpolation,
                                                                 **aspect))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("color_mode, channels", [("grayscale", 1), ("rgba", 4)])
def test_color_modes_and_channels_first(folder, color_mode, channels):
    data = utils.image_dataset_from_directory(folder, color_mode=color_mode, image_size=(5, 7), seed=0,
                                              data_format="channels_first", verbose=False)
    images = data[0][0]
    assert images.shape == (COUNT, channels, 5, 7)
    last = utils.image_dataset_from_directory(folder, color_mode=color_mode, image_size=(5, 7), seed=0,
                                              verbose=False)
    np.testing.assert_array_equal(images, last[0][0].transpose(0, 3, 1, 2))


def test_unbatched_items_and_int_image_size(folder):
    data = utils.image_dataset_from_directory(folder, batch_size=None, image_size=6, seed=4, verbose=False)
    assert len(data) == COUNT
    image, label = data[3]
    assert image.shape == (6, 6, 3) and label.shape == () and label == data[-COUNT + 3][1]
    with pytest.raises(IndexError, match="out of range"):
        data[COUNT]


def test_images_are_read_batch_by_batch(folder, monkeypatch):
    data = utils.image_dataset_from_directory(folder, batch_size=4, image_size=(4, 4), seed=0, verbose=False)
    read = []
    real = image_dataset.load_img
    monkeypatch.setattr(image_dataset, "load_img", lambda path, **kw: read.append(path) or real(path, **kw))
    data[1]
    assert read == data.file_paths[4:8]


def test_seed_none_draws_from_striate_generator(folder):
    orders = []
    for _ in range(2):
        striate.utils.set_random_seed(11)
        orders.append(utils.image_dataset_from_directory(folder, verbose=False).file_paths)
    assert orders[0] == orders[1]
    assert utils.image_dataset_from_directory(folder, verbose=False).file_paths != orders[0]


def test_fit_evaluate_predict_take_the_dataset(folder):
    train, val = utils.image_dataset_from_directory(folder, image_size=(8, 8), batch_size=4, seed=1,
                                                    validation_split=0.25, subset="both", verbose=False)
    model = striate.Sequential([striate.Input(shape=(8, 8, 3)), striate.layers.Rescaling(1 / 255),
                                striate.layers.Flatten(), striate.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history
    assert len(model.evaluate(val, verbose=0)) == 2
    assert model.predict(train, verbose=0).shape == (len(train.file_paths), 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"validation_split": 0.2, "subset": "training"}, "pass a seed"),
    ({"validation_split": 0.2}, "subset and validation_split go together"),
    ({"subset": "training", "seed": 1}, "subset and validation_split go together"),
    ({"validation_split": 1.5, "subset": "training", "seed": 1}, "between 0 and 1"),
    ({"subset": "test", "validation_split": 0.2, "seed": 1}, "subset must be"),
    ({"interpolation": "area"}, "interpolation must be one of bilinear, nearest, bicubic, received 'area'"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "only one of"),
    ({"color_mode": "cmyk"}, "color_mode must be"),
    ({"label_mode": "sparse"}, "label_mode must be"),
    ({"image_size": (0, 4)}, "image_size must be"),
    ({"batch_size": 0}, "batch_size must be"),
    ({"labels": "folders"}, "labels must be 'inferred'"),
    ({"data_format": "NCHW"}, "data_format must be"),
])
def test_argument_errors(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        utils.image_dataset_from_directory(folder, verbose=False, **kwargs)


def test_empty_folder(tmp_path):
    (tmp_path / "only_class").mkdir()
    with pytest.raises(ValueError, match="no images found in"):
        utils.image_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="no validation images found"):
        utils.save_img(tmp_path / "only_class" / "a.png", np.zeros((2, 2, 3)))
        utils.image_dataset_from_directory(tmp_path, validation_split=0.5, subset="both", seed=1, verbose=False)
