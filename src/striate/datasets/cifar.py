"""What CIFAR-10 and CIFAR-100 share: finding the archive, and reading its pickled batches safely.

Each dataset is the tar.gz of Python pickles that Keras downloads (same URL, same sha256). It is
looked for, in order, as the extracted folder ``DIR/<folder>`` or the archive ``DIR/<archive>`` in
each folder ``DIR`` of ``$STRIATE_DATA``, then in striate's cache, where ``get_file`` puts it with
Keras's layout (``~/.striate/datasets/<folder>-target/<folder>``), downloading it if needed.

The batches are pickles, and unpickling can run any code a file names: they are read with an
unpickler that builds plain containers and NumPy arrays and refuses every other class or function.
"""
import dataclasses
import os
import pickle

import numpy as np

from striate.datasets._files import DatasetError
from striate.utils import file_utils

# The only globals a CIFAR batch names: those that rebuild a NumPy array (numpy >= 2 writes
# numpy._core, the files were written by numpy 1's numpy.core).
_ARRAY_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                  ("numpy", "ndarray"), ("numpy", "dtype")}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ARRAY_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: a CIFAR batch holds only "
                                         "dicts, lists, bytes, numbers and NumPy arrays")
        return super().find_class(module.replace("numpy.core.", "numpy._core."), name)


@dataclasses.dataclass(frozen=True)
class CifarSpec:
    """A CIFAR release: its folder inside the archive, the archive's URL and sha256, its batch files."""
    title: str
    folder: str
    origin: str
    sha256: str
    train: tuple
    test: tuple

    @property
    def archive(self):
        return self.origin.rsplit("/", 1)[1]


def load_batch(path, label_key="labels"):
    """Read one pickled CIFAR batch: ``(images, labels)``, uint8 ``(N, 3, 32, 32)`` and a list.

    Raises:
        DatasetError: the file is not a CIFAR batch, or names a class or function other than
            NumPy's array builders (a tampered file).
    """
    try:
        with open(path, "rb") as f:
            batch = _ArrayUnpickler(f, encoding="bytes").load()
        batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
        data, labels = batch["data"], list(batch[label_key])
    except (pickle.UnpicklingError, EOFError, AttributeError, KeyError, ValueError, TypeError) as e:
        raise DatasetError(f"{path} is not a CIFAR batch with 'data' and {label_key!r}: "
                           f"{type(e).__name__}: {e}") from None
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == 3 * 32 * 32 and len(labels) == len(data)):
        raise DatasetError(f"{path}: expected uint8 data of shape (N, 3072) and N labels, received "
                           f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')} "
                           f"and {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels


def _has_batches(folder, spec):
    return all(os.path.isfile(os.path.join(folder, name)) for name in spec.train + spec.test)


def locate(spec, download=True):
    """The folder holding ``spec``'s batch files, found, extracted or downloaded (module docstring).

    Raises:
        DatasetError: an archive was found or downloaded but fails its checksum or is unsafe.
        FileNotFoundError: nothing found and the download failed or was not allowed; the message
            says where it looked and where to put the files.
    """
    roots = [os.path.expanduser(r) for r in os.environ.get("STRIATE_DATA", "").split(os.pathsep) if r]
    cached = os.path.join(file_utils.default_cache_dir(), "datasets", f"{spec.folder}-target")
    # The extracted folder, also in Keras's cache layout (STRIATE_DATA=~/.keras/datasets works).
    folders = [os.path.join(root, name, spec.folder) for root in roots for name in ("", f"{spec.folder}-target")]
    for folder in folders + [os.path.join(cached, spec.folder)]:
        if _has_batches(folder, spec):
            return folder
    archives = [os.path.join(root, spec.archive) for root in roots]
    for archive in archives:
        if os.path.isfile(archive):
            try:
                file_utils.check_file_hash(archive, spec.sha256, "sha256")
                file_utils.extract_archive(archive, cached, "tar")
            except ValueError as e:
                raise DatasetError(f"{e}; delete it or replace it with {spec.origin}") from None
            return _checked(cached, spec, archive)
    advice = (f"put {spec.archive} or its extracted folder {spec.folder}/ in DIR and set STRIATE_DATA=DIR "
              f"(several folders may be separated by '{os.pathsep}')")
    if not download:
        where = "\n  ".join(folders + archives + [os.path.join(cached, spec.folder)])
        raise FileNotFoundError(f"{spec.title} could not be loaded and download=False. Looked for:\n  {where}\n"
                                f"To fix: {advice}, or allow the download.")
    try:
        path = file_utils.get_file(fname=f"{spec.folder}-target", origin=spec.origin, extract=True,
                                   file_hash=spec.sha256, cache_dir=file_utils.default_cache_dir())
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{spec.title} could not be loaded. {e}\nOr {advice}.") from None
    except ValueError as e:
        raise DatasetError(str(e)) from None
    return _checked(path, spec, spec.origin)


def _checked(path, spec, source):
    folder = os.path.join(path, spec.folder)
    if not _has_batches(folder, spec):
        raise DatasetError(f"{source} was extracted into {path} but {folder} lacks some of the batch files "
                           f"{', '.join(spec.train + spec.test)}")
    return folder


def load(spec, label_key, labels_dtype, download):
    """``(x_train, y_train), (x_test, y_test)`` of ``spec``: uint8 NHWC images, ``(N, 1)`` labels."""
    folder = locate(spec, download)

    def split(names):
        batches = [load_batch(os.path.join(folder, name), label_key) for name in names]
        x = np.concatenate([data for data, _ in batches]).transpose(0, 2, 3, 1)
        y = np.concatenate([np.asarray(labels, dtype=labels_dtype) for _, labels in batches])
        return np.ascontiguousarray(x), y.reshape(-1, 1)

    return split(spec.train), split(spec.test)
