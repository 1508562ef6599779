"""Reading untrusted files safely: checks on paths, zip archives and HDF5 files before anything is read.

Every problem is a :class:`FileFormatError` (a ValueError) or an OSError that names the file and says
what is wrong; nothing is extracted to disk.
"""
import contextlib
import errno
import io
import json
import os
import zipfile
import zlib

import numpy as np

# Limits on what a file may make us read; change them here (or per call with ``max_bytes``).
LIMITS = {
    "max_bytes": 16 << 30,        # total uncompressed bytes read from one archive
    "max_json_bytes": 64 << 20,   # config.json / metadata.json
    "max_ratio": 100,             # a member may expand at most this much ...
    "ratio_floor": 16 << 20,      # ... once it is larger than this
}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# What reading a damaged zip member can raise.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError)
ZIP_SIGNATURE = b"PK\x03\x04"


class FileFormatError(ValueError):
    """A file is not what it should be: wrong format, truncated, corrupt, or unsafe to read."""


def check_readable(path):
    """``path`` as a string, after checking it names an existing, non-empty regular file."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{path}: is a directory, expected a file", path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"{path}: no such file", path)
    if not os.path.isfile(path):
        raise FileFormatError(f"{path}: not a regular file")
    if os.path.getsize(path) == 0:
        raise FileFormatError(f"{path}: empty file")
    return path


def head(path, n=8):
    with open(path, "rb") as f:
        return f.read(n)


def _member_problem(info):
    name = info.filename
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return "has an absolute or Windows path"
    if ".." in name.split("/"):
        return "points outside the archive ('..')"
    if "\x00" in name:
        return "has a NUL byte in its name"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"uses an unsupported compression method ({info.compress_type})"
    if info.file_size > LIMITS["ratio_floor"] and info.file_size > LIMITS["max_ratio"] * max(info.compress_size, 1):
        return (f"declares {info.file_size} bytes from {info.compress_size} stored (over "
                f"{LIMITS['max_ratio']}x): refusing a possible zip bomb")
    return None


class Archive:
    """A zip archive opened for reading, its members checked against ``allowed`` before anything is read.

    Args:
        path: the archive.
        kind: what the file should be, for messages (``".keras archive"``).
        allowed: a function ``name -> bool`` accepting the expected member names.
        max_bytes: the largest total of uncompressed bytes (default ``LIMITS["max_bytes"]``).
    """

    def __init__(self, path, kind, allowed, max_bytes=None):
        self.path = check_readable(path)
        self.kind = kind
        self._file = open(self.path, "rb")
        try:
            self.zip = zipfile.ZipFile(self._file)
        except ZIP_ERRORS + (zipfile.LargeZipFile,) as e:
            self._file.close()
            if head(self.path, 4) == ZIP_SIGNATURE:
                raise FileFormatError(f"{self.path}: truncated or corrupt {kind} ({e})") from None
            raise FileFormatError(f"{self.path}: not a {kind} (not a zip file)") from None
        except BaseException:
            self._file.close()
            raise
        try:
            self._check(allowed, LIMITS["max_bytes"] if max_bytes is None else max_bytes)
        except BaseException:
            self.close()
            raise

    def _check(self, allowed, max_bytes):
        infos = self.zip.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise FileFormatError(f"{self.path}: {self.kind} has two members named {dup!r}")
        total = 0
        for info in infos:
            problem = _member_problem(info)
            if problem is None and not allowed(info.filename):
                problem = "is not a member this format has"
            if problem:
                raise FileFormatError(f"{self.path}: {self.kind} member {info.filename!r} {problem}")
            total += info.file_size
        if total > max_bytes:
            raise FileFormatError(f"{self.path}: {self.kind} holds {total} uncompressed bytes, over the limit of "
                                  f"{max_bytes} (raise striate.saving.files.LIMITS['max_bytes'] if it is genuine)")
        self.names = set(names)

    def read(self, name, limit=None):
        """The bytes of member ``name`` (at most ``limit`` bytes, else an error)."""
        if name not in self.names:
            raise FileFormatError(f"{self.path}: {self.kind} has no {name}")
        info = self.zip.getinfo(name)
        if limit is not None and info.file_size > limit:
            raise FileFormatError(f"{self.path}: {name} is {info.file_size} bytes, over the limit of {limit}")
        try:
            with self.zip.open(info) as f:
                data = f.read(info.file_size + 1)
        except ZIP_ERRORS as e:
            raise FileFormatError(f"{self.path}: {name} in the {self.kind} is truncated or corrupt ({e})") from None
        if len(data) != info.file_size:
            raise FileFormatError(f"{self.path}: {name} in the {self.kind} is truncated")
        return data

    def read_json(self, name):
        data = self.read(name, LIMITS["max_json_bytes"])
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise FileFormatError(f"{self.path}: {name} is not valid JSON ({str(e)[:200]})") from None
        if not isinstance(value, dict):
            raise FileFormatError(f"{self.path}: {name} must hold a JSON object, holds {type(value).__name__}")
        return value

    def open(self, name):
        """A binary file object reading member ``name`` (checked, not yet read)."""
        if name not in self.names:
            raise FileFormatError(f"{self.path}: {self.kind} has no {name}")
        try:
            return self.zip.open(name)
        except ZIP_ERRORS as e:
            raise FileFormatError(f"{self.path}: {name} in the {self.kind} is corrupt ({e})") from None

    def close(self):
        self.zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def reading(label, what="file"):
    """Turn whatever a damaged file makes a parser raise into a FileFormatError naming the file."""
    try:
        yield
    except FileFormatError:
        raise
    except Exception as e:
        raise FileFormatError(f"{label}: corrupt {what} ({type(e).__name__}: {str(e)[:200]})") from e


# -- HDF5 ----------------------------------------------------------------------------------------
def h5py_module(label):
    """The ``h5py`` module, imported on first use: an optional dependency (``striate[h5]``), needed
    only for Keras's HDF5-based files; ``label`` names the file in the error when it is missing."""
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{label}: Keras's model and weight files (.keras, .weights.h5, .h5) are HDF5 "
                          "inside, and reading or writing them needs h5py, which is not installed: "
                          "pip install 'striate[h5]' (weights saved as .npz need NumPy only)") from None
    return h5py


def open_h5(source, label):
    """``h5py.File`` for reading ``source`` (a path or bytes); ``label`` names it in errors."""
    h5py = h5py_module(label)
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise FileFormatError(f"{label}: empty HDF5 file")
        first = bytes(source[:8])
        source = io.BytesIO(source)
    else:
        source = check_readable(source)
        first = head(source)
    try:
        return h5py.File(source, "r")
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as e:
        if first != HDF5_SIGNATURE:
            raise FileFormatError(f"{label}: not an HDF5 file") from None
        what = "truncated" if "truncated" in str(e) else "corrupt"
        raise FileFormatError(f"{label}: {what} HDF5 file ({str(e)[:200]})") from None


def h5_group(parent, path, label):
    """The group at ``path`` under ``parent``, following hard links only; ``None`` if absent."""
    h5py = h5py_module(label)
    current = parent
    for part in [p for p in path.split("/") if p]:
        link = current.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise FileFormatError(f"{label}: '{current.name}/{part}' is a {type(link).__name__}, refusing to follow it")
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise FileFormatError(f"{label}: '{current.name}' should be a group, is a {type(current).__name__}")
    return current


def h5_dataset(group, name, label):
    """The dataset ``name`` in ``group`` (hard link, stored in the file, numeric), not read yet."""
    h5py = h5py_module(label)
    parent, _, leaf = name.rpartition("/")
    if parent:
        group = h5_group(group, parent, label)
        if group is None:
            raise FileFormatError(f"{label}: no group '{parent}'")
    link = group.get(leaf, getlink=True)
    if link is None:
        raise FileFormatError(f"{label}: no dataset '{group.name}/{leaf}'")
    if not isinstance(link, h5py.HardLink):
        raise FileFormatError(f"{label}: '{group.name}/{leaf}' is a {type(link).__name__}, refusing to follow it")
    dataset = group[leaf]
    if not isinstance(dataset, h5py.Dataset):
        raise FileFormatError(f"{label}: '{dataset.name}' should be a dataset, is a {type(dataset).__name__}")
    if dataset.external or dataset.is_virtual:
        raise FileFormatError(f"{label}: dataset '{dataset.name}' keeps its data outside the file, refusing it")
    if dataset.dtype.kind not in "biuf" or dataset.dtype.fields is not None:
        raise FileFormatError(f"{label}: dataset '{dataset.name}' has dtype {dataset.dtype}, expected numbers")
    return dataset


def read_dataset(dataset, label):
    try:
        return np.asarray(dataset[()])
    except (OSError, ValueError, RuntimeError, TypeError, KeyError) as e:
        raise FileFormatError(f"{label}: cannot read dataset '{dataset.name}' ({str(e)[:200]})") from None


def h5_strings(group, name, label):
    """A list-of-strings attribute (Keras writes long ones in chunks ``name0``, ``name1``, ...)."""
    attrs = group.attrs
    if name in attrs:
        chunks = [attrs[name]]
    else:
        chunks, i = [], 0
        while f"{name}{i}" in attrs:
            chunks.append(attrs[f"{name}{i}"])
            i += 1
    out = []
    for chunk in chunks:
        for item in np.atleast_1d(np.asarray(chunk)):
            if isinstance(item, (bytes, np.bytes_)):
                item = bytes(item).decode("utf-8")
            if not isinstance(item, str):
                raise FileFormatError(f"{label}: attribute {name!r} of '{group.name}' should hold strings")
            out.append(str(item))
    return out
