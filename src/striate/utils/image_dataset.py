"""``image_dataset_from_directory``: a folder of image files (one subfolder per class) as batches.

Keras returns a ``tf.data.Dataset``; striate returns an :class:`ImageDataset`, a ``PyDataset`` of
``(images, labels)`` batches that ``fit``, ``evaluate`` and ``predict`` take directly. The files are
found, ordered, shuffled and split exactly as Keras does (the same seed gives the same training and
validation files); each batch's images are read when the batch is asked for.
"""
import math
import os

import numpy as np

from striate import backend
from striate.utils.dataset import PyDataset
from striate.utils.image_utils import COLOR_MODES, data_format_of, img_to_array, load_img

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic")   # those of ops.image.resize
LABEL_MODES = ("int", "categorical", "binary", None)


class ImageDataset(PyDataset):
    """Batches of images read from files, and their labels (see :func:`image_dataset_from_directory`).

    Attributes:
        file_paths: the files, in the order of the batches.
        class_names: the class names (label ``i`` is ``class_names[i]``), or None without labels.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import striate as keras
        >>> root = tempfile.mkdtemp()
        >>> for name in ("cat", "dog"):
        ...     os.mkdir(os.path.join(root, name))
        ...     keras.utils.save_img(os.path.join(root, name, "0.png"), np.zeros((8, 8, 3)))
        >>> data = keras.utils.image_dataset_from_directory(root, image_size=(4, 4), seed=1)
        Found 2 files belonging to 2 classes.
        >>> images, labels = data[0]
        >>> images.shape, sorted(labels.tolist()), data.class_names
        ((2, 4, 4, 3), [0, 1], ['cat', 'dog'])
    """

    def __init__(self, file_paths, labels, class_names, label_mode, batch_size, image_size, color_mode,
                 interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format):
        super().__init__()
        self.file_paths, self.class_names = list(file_paths), class_names
        self._labels = None if labels is None else _encode(labels, label_mode, len(class_names))
        self._batch_size, self._image_size, self._color_mode = batch_size, tuple(image_size), color_mode
        self._resize = {"interpolation": interpolation, "crop_to_aspect_ratio": crop_to_aspect_ratio,
                        "pad_to_aspect_ratio": pad_to_aspect_ratio}
        self._data_format = data_format

    def __len__(self):
        return len(self.file_paths) if self._batch_size is None else math.ceil(
            len(self.file_paths) / self._batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ImageDataset: batch index {index} out of range for {len(self)} batches")
        index %= len(self)
        size = self._batch_size or 1
        chosen = slice(index * size, (index + 1) * size)
        images = self._read(self.file_paths[chosen])
        if self._data_format == "channels_first":
            images = images.transpose(0, 3, 1, 2)
        labels = None if self._labels is None else self._labels[chosen]
        if self._batch_size is None:
            images, labels = images[0], None if labels is None else labels[0]
        return images if labels is None else (images, labels)

    def _read(self, paths):
        """The images of ``paths``, resized, as one float32 NHWC array: images of one size are
        resized together."""
        from striate import ops   # striate.ops loads the autodiff engine: only when images are read

        loaded = [img_to_array(load_img(p, color_mode=self._color_mode), dtype="float32") for p in paths]
        out = np.empty((len(paths),) + self._image_size + (COLOR_MODES[self._color_mode],), "float32")
        shapes = {}
        for i, image in enumerate(loaded):
            shapes.setdefault(image.shape, []).append(i)
        for shape, where in shapes.items():
            same = np.stack([loaded[i] for i in where])
            if shape[:2] != self._image_size:
                same = np.asarray(ops.image.resize(same, self._image_size, **self._resize))
            out[where] = same
        return out


def _encode(labels, label_mode, num_classes):
    labels = np.asarray(labels, dtype="int32")
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return (labels[:, None] == np.arange(num_classes)).astype("float32")
    return labels


def _check_arguments(labels, label_mode, class_names, color_mode, image_size, interpolation, validation_split,
                     subset, shuffle, seed, crop_to_aspect_ratio, pad_to_aspect_ratio):
    where = "image_dataset_from_directory"
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f"{where}: labels must be 'inferred', None or a list/tuple of integer labels, one "
                             f"per image file in sorted order, received labels={labels!r}")
        if class_names:
            raise ValueError(f"{where}: class_names can only be given with labels='inferred', received "
                             f"labels={labels!r} and class_names={class_names!r}")
    if label_mode not in LABEL_MODES:
        raise ValueError(f"{where}: label_mode must be 'int', 'categorical', 'binary' or None, received "
                         f"{label_mode!r}")
    if color_mode not in COLOR_MODES:
        raise ValueError(f"{where}: color_mode must be 'rgb', 'rgba' or 'grayscale', received {color_mode!r}")
    if not (isinstance(image_size, (list, tuple)) and len(image_size) == 2
            and all(isinstance(s, int) and s > 0 for s in image_size)):
        raise ValueError(f"{where}: image_size must be a (height, width) pair of positive ints, received "
                         f"{image_size!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{where}: interpolation must be one of {', '.join(INTERPOLATIONS)}, received "
                         f"{interpolation!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{where}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{where}: validation_split must be between 0 and 1, received {validation_split!r}")
    if bool(validation_split) != bool(subset):
        raise ValueError(f"{where}: subset and validation_split go together: give both or neither, received "
                         f"validation_split={validation_split!r}, subset={subset!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"{where}: subset must be 'training', 'validation' or 'both', received {subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{where}: with validation_split and shuffle=True, pass a seed, so that the training "
                         "and validation subsets do not overlap")


def _valid_files(directory, follow_links):
    """Keras's walk: folders in sorted order, the allowed files of each in sorted order."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(ALLOWLIST_FORMATS):
                yield root, name


def _index_directory(directory, labels, class_names, follow_links):
    """``(file_paths, labels, class_names)`` in Keras's order, before shuffling."""
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(f"image_dataset_from_directory: class_names must name subfolders of {directory}: "
                                 f"expected some of {subdirs}, received {list(class_names)}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
    names, found = [], []
    for index, subdir in enumerate(subdirs):
        folder = os.path.join(directory, subdir)
        for root, name in _valid_files(folder, follow_links):
            names.append(os.path.join(subdir, os.path.relpath(os.path.join(root, name), folder)))
            found.append(index)
    if labels == "inferred":
        labels, class_names = found, subdirs
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(names):
            raise ValueError(f"image_dataset_from_directory: labels has {len(labels)} entries but {directory} "
                             f"holds {len(names)} image files; give one label per file")
        class_names = [str(label) for label in sorted(set(labels))]
    return [os.path.join(directory, name) for name in names], labels, class_names


def _split(paths, labels, validation_split, subset, verbose):
    """Keras's rule: the last ``int(validation_split * n)`` files are the validation subset."""
    count = int(validation_split * len(paths))
    if subset == "training":
        chosen, message = slice(0, len(paths) - count), f"Using {len(paths) - count} files for training."
    else:
        chosen, message = slice(len(paths) - count, len(paths)), f"Using {count} files for validation."
    if verbose:
        print(message)
    return paths[chosen], None if labels is None else labels[chosen]


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 verbose=True):
    """A dataset of batches of images read from a folder, as ``keras.utils.image_dataset_from_directory``.

    With ``labels="inferred"``, ``directory`` holds one subfolder per class (``directory/cat/1.png``,
    ``directory/dog/7.jpg``, ...), taken in alphanumeric order unless ``class_names`` says otherwise;
    images are found in nested folders too. Files ending in .bmp, .gif, .jpeg, .jpg or .png are used.

    The files are listed as Keras lists them and, with ``shuffle``, shuffled by
    ``numpy.random.RandomState(seed)`` as Keras does, before ``validation_split`` takes the last
    files as the validation subset: the same folder and seed give the same subsets as Keras. The
    batches then keep this order (``fit`` shuffles the order of the batches each epoch).

    Args:
        directory: the folder.
        labels: ``"inferred"`` (from the subfolders), ``None`` (images only), or a list of integer
            labels, one per file in sorted order.
        label_mode: ``"int"`` (int32, shape ``(batch,)``), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32 0 or 1, shape ``(batch, 1)``; exactly two classes) or ``None``.
        class_names: with ``labels="inferred"``, the subfolders to use, in the order of their labels.
        color_mode: ``"rgb"`` (3 channels), ``"rgba"`` (4) or ``"grayscale"`` (1).
        batch_size: the images per batch; ``None``: one image per item, without a batch axis.
        image_size: ``(height, width)`` the images are resized to (an int for a square).
        shuffle: whether to shuffle the files (else they stay in alphanumeric order).
        seed: the shuffle's seed; ``None`` draws one from striate's generator.
        validation_split: the fraction of the files kept for validation.
        subset: with ``validation_split``: ``"training"``, ``"validation"``, or ``"both"`` for both.
        interpolation: ``"bilinear"``, ``"nearest"`` or ``"bicubic"`` (``ops.image.resize``).
        follow_links: whether to walk into folders that are symbolic links.
        crop_to_aspect_ratio: resize the largest central window with the target's aspect ratio.
        pad_to_aspect_ratio: pad the image with zeros to the target's aspect ratio, then resize.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        verbose: whether to print how many files and classes were found and used.

    Returns:
        An :class:`ImageDataset` yielding ``(images, labels)`` (or only images without labels),
        images float32 ``(batch, height, width, channels)``; with ``subset="both"``, a list of the
        training and the validation datasets. Each has ``class_names`` and ``file_paths``.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import striate as keras
        >>> root = tempfile.mkdtemp()
        >>> for name in ("cat", "dog"):
        ...     os.mkdir(os.path.join(root, name))
        ...     for i in range(5):
        ...         keras.utils.save_img(os.path.join(root, name, f"{i}.png"), np.zeros((8, 8, 3)))
        >>> train, val = keras.utils.image_dataset_from_directory(
        ...     root, image_size=(4, 4), batch_size=4, validation_split=0.2, subset="both", seed=7)
        Found 10 files belonging to 2 classes.
        Using 8 files for training.
        Using 2 files for validation.
        >>> len(train), len(val), train.class_names
        (2, 1, ['cat', 'dog'])
    """
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    _check_arguments(labels, label_mode, class_names, color_mode, image_size, interpolation, validation_split,
                     subset, shuffle, seed, crop_to_aspect_ratio, pad_to_aspect_ratio)
    if labels is None or label_mode is None:
        labels = label_mode = None
    if labels != "inferred" and class_names is not None:
        raise ValueError("image_dataset_from_directory: class_names can only be given with labels='inferred'")
    data_format = data_format_of("image_dataset_from_directory", data_format)
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise ValueError(f"image_dataset_from_directory: batch_size must be a positive int or None, received "
                         f"{batch_size!r}")

    paths, labels, class_names = _index_directory(directory, labels, class_names, follow_links)
    if verbose:
        print(f"Found {len(paths)} files." if labels is None else
              f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"image_dataset_from_directory: label_mode='binary' needs exactly 2 classes, received "
                         f"class_names={class_names}")
    if shuffle:
        if seed is None:
            seed = int(backend.rng().integers(1_000_000))
        # Keras shuffles the paths and the labels with two generators of the same seed.
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            labels = np.asarray(labels, dtype="int32")
            np.random.RandomState(seed).shuffle(labels)

    def dataset(subset_name):
        chosen, chosen_labels = (paths, labels) if not validation_split else _split(
            paths, labels, validation_split, subset_name, verbose)
        if not chosen:
            what = f"{subset_name} " if validation_split else ""
            raise ValueError(f"image_dataset_from_directory: no {what}images found in {directory} (allowed "
                             f"formats: {', '.join(ALLOWLIST_FORMATS)})")
        return ImageDataset(chosen, chosen_labels, class_names, label_mode, batch_size, image_size, color_mode,
                            interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format)

    if subset == "both":
        return [dataset("training"), dataset("validation")]
    return dataset(subset)
