"""Finding, verifying, downloading and parsing the IDX files of MNIST-like datasets.

A dataset is described by an :class:`IdxDataset`: its folder name, its four files with the md5
checksums they may have, and the mirrors they can be downloaded from. :func:`load_idx_dataset`
searches ``$STRIATE_DATA`` then ``~/.striate/datasets/<name>/``, verifies every file, downloads the
missing ones when allowed, and parses them.
"""
import dataclasses
import gzip
import hashlib
import os
import struct
import urllib.error
import zlib

import numpy as np

from striate.utils import file_utils


class DatasetError(ValueError):
    """A dataset file is corrupt, truncated or not the expected release."""


@dataclasses.dataclass(frozen=True)
class IdxFile:
    """One file of a dataset: its canonical name and the md5 checksums accepted for it.

    A checksum may be of the file as stored (the ``.gz``) or of its decompressed content.
    """
    filename: str
    md5: tuple


@dataclasses.dataclass(frozen=True)
class IdxDataset:
    """An MNIST-like dataset: ``files`` are the IDX files of x_train, y_train, x_test, y_test."""
    name: str
    title: str
    files: tuple
    mirrors: tuple
    npz_sha256: str | None = None


def cache_dir(name):
    """The folder downloads go to: ``~/.striate/datasets/<name>``."""
    return os.path.join(file_utils.default_cache_dir(), "datasets", name)


def search_dirs(name):
    """Where a dataset is looked for, in order: each ``DIR/<name>`` and ``DIR`` of ``$STRIATE_DATA``
    (``os.pathsep``-separated), then :func:`cache_dir`."""
    dirs = []
    for root in os.environ.get("STRIATE_DATA", "").split(os.pathsep):
        if root:
            root = os.path.expanduser(root)
            dirs += [os.path.join(root, name), root]
    return dirs + [cache_dir(name)]


def _candidates(filename, dirs):
    """Every existing ``dir/filename`` in search order (a ``.gz`` may also be found decompressed)."""
    names = [filename] + ([filename[:-3]] if filename.endswith(".gz") else [])
    return [p for d in dirs for n in names if os.path.isfile(p := os.path.join(d, n))]


def _locate(file, dirs, rejected):
    """``(path, decompressed bytes)`` of the first candidate that passes its checksum, or None.

    Candidates that fail are described in ``rejected`` (another dataset's file of the same name,
    directly in a ``$STRIATE_DATA`` folder, is skipped this way)."""
    for path in _candidates(file.filename, dirs):
        try:
            return path, read_verified(path, file.md5)
        except DatasetError as e:
            rejected.append(str(e))
    return None


def _md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def read_verified(path, md5s):
    """Return the decompressed bytes of ``path`` after checking its md5 (stored or decompressed).

    Raises:
        DatasetError: the file is not valid gzip, or neither checksum is one of ``md5s``.
    """
    with open(path, "rb") as f:
        stored = f.read()
    stored_ok = _md5(stored) in md5s
    raw = stored
    if stored[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(stored)
        except (EOFError, OSError, zlib.error) as e:
            raise DatasetError(f"{path} is not a valid gzip file (truncated or corrupt: {e}); "
                               "delete it so it can be fetched again") from None
    if not stored_ok and _md5(raw) not in md5s:
        raise DatasetError(
            f"{path} has md5 {_md5(stored)} (decompressed {_md5(raw)}), expected one of "
            f"{', '.join(md5s)}: the file is corrupt or not the expected release; delete it")
    return raw


def parse_idx(raw, path, ndim):
    """Parse the bytes of an IDX file of unsigned bytes with ``ndim`` dimensions into an array.

    The header is validated: magic ``0x0000 08 ndim``, then ``ndim`` big-endian dimension sizes
    whose product must be the number of bytes that follow.
    """
    magic = raw[:4]
    if magic != bytes((0, 0, 8, ndim)):
        raise DatasetError(f"{path} is not an IDX file of {ndim}-d uint8 data: magic number "
                           f"0x{magic.hex() or 'empty'}, expected 0x000008{ndim:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path} is truncated: {len(raw)} bytes, shorter than its "
                           f"{header}-byte header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    size = int(np.prod(dims))
    if len(raw) - header != size:
        raise DatasetError(f"{path} holds {len(raw) - header} bytes of data, its header declares "
                           f"shape {dims} ({size} bytes): truncated or corrupt")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims).copy()


def _check_split(x, y, where):
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or x.dtype != np.uint8 or y.dtype != np.uint8:
        raise DatasetError(f"{where}: expected uint8 images (N, H, W) and labels (N,), received "
                           f"{x.dtype} {x.shape} and {y.dtype} {y.shape}")
    return x, y


def _load_idx(found):
    arrays = [parse_idx(raw, path, 3 if i % 2 == 0 else 1) for i, (path, raw) in enumerate(found)]
    (p0, _), (p1, _), (p2, _), (p3, _) = found
    return (_check_split(arrays[0], arrays[1], f"{p0}, {p1}"),
            _check_split(arrays[2], arrays[3], f"{p2}, {p3}"))


def _load_npz(path, sha256):
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if sha256 and digest != sha256:
        raise DatasetError(f"{path} has sha256 {digest}, expected {sha256}: the file is corrupt "
                           "or not the expected release; delete it")
    with np.load(path, allow_pickle=False) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise DatasetError(f"{path} lacks the arrays {sorted(missing)}")
        return (_check_split(f["x_train"], f["y_train"], path),
                _check_split(f["x_test"], f["y_test"], path))


def download(file, mirrors, dest_dir, failures, dead_mirrors):
    """Fetch ``file`` from the first mirror that serves it with a valid checksum.

    The bytes replace ``dest_dir/<filename>`` only once verified (``file_utils.download``). Each
    failure is appended to ``failures``; a mirror that cannot be reached at all is added to
    ``dead_mirrors`` and skipped for later files.

    Returns:
        ``(path, decompressed bytes)`` of the verified file, or None when every mirror failed.
    """
    target = os.path.join(dest_dir, file.filename)
    for mirror in mirrors:
        if mirror in dead_mirrors:
            continue
        url = mirror + file.filename
        try:
            return target, file_utils.download(url, target, lambda tmp: read_verified(tmp, file.md5))
        except (urllib.error.HTTPError, DatasetError) as e:
            failures.append(f"{url}: {e}")
        except OSError as e:
            failures.append(f"{url}: {e}")
            dead_mirrors.add(mirror)
    return None


def load_idx_dataset(spec, npz=None, download_missing=True):
    """Load ``spec``'s four IDX files as ``(x_train, y_train), (x_test, y_test)``.

    Each file is looked for in :func:`search_dirs` and the first copy that passes its checksum
    is used. When some are missing, a Keras ``.npz`` archive named ``npz`` is looked for in the
    same places; else the missing files are downloaded to :func:`cache_dir`.

    Raises:
        DatasetError: a file was found but is corrupt, truncated or has the wrong checksum, and
            no good copy was found or downloaded.
        FileNotFoundError: the files are neither found nor downloadable; the message lists the
            places searched, the download failures and how to fix it.
    """
    dirs = search_dirs(spec.name)
    rejected = []
    found = [_locate(f, dirs, rejected) for f in spec.files]
    if all(found):
        return _load_idx(found)
    npz_path = next(iter(_candidates(npz, dirs)), None) if npz else None
    if npz_path:
        return _load_npz(npz_path, spec.npz_sha256)
    failures = []
    if download_missing:
        dead = set()
        found = [hit or download(f, spec.mirrors, cache_dir(spec.name), failures, dead)
                 for hit, f in zip(found, spec.files)]
        if all(found):
            return _load_idx(found)
    wanted = ", ".join(f.filename for f in spec.files) + (f" (or {npz})" if npz else "")
    message = f"{spec.title} could not be loaded. Looked for {wanted} in:\n  " + "\n  ".join(dirs)
    if rejected:
        message += "\nRejected:\n  " + "\n  ".join(rejected)
    message += ("\nDownloading failed:\n  " + "\n  ".join(failures) if failures else
                "\nDownloading was not attempted (download=False).")
    message += (f"\nTo fix: put the files in DIR/{spec.name}/ and set STRIATE_DATA=DIR "
                f"(several folders may be separated by '{os.pathsep}'), or connect to the "
                f"internet so they can be downloaded to {cache_dir(spec.name)}.")
    raise (DatasetError if rejected else FileNotFoundError)(message)
