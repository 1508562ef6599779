"""Atomic writes: a file is replaced whole or not at all, so a crash mid-save leaves the old one intact."""
import contextlib
import os
import uuid


@contextlib.contextmanager
def atomic_write(path, mode=None):
    """Write to a temporary file beside ``path`` and move it over ``path`` only if the block succeeds.

    The temporary file lives in the target's folder (so ``os.replace`` is atomic on one file system),
    is flushed to disk before the move, and is removed if the block raises, leaving any existing
    ``path`` untouched.

    Args:
        path: the file to write.
        mode: ``None`` to get the temporary file's path (an empty file, for writers that open paths,
            such as h5py); ``"wb"`` or ``"w"`` to get it opened in that mode.

    Returns:
        A context manager yielding the temporary path, or the open file.

    Example:
        >>> with atomic_write("model.keras") as tmp:
        ...     write_archive(tmp)
        >>> with atomic_write("log.txt", "w") as f:
        ...     f.write("done")
    """
    path = os.fspath(path)
    if mode not in (None, "w", "wb"):
        raise ValueError(f"atomic_write: mode must be None, 'w' or 'wb', received {mode!r}")
    folder, name = os.path.split(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, expected a file path to write")
    tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if mode is None:
            os.close(fd)
            fd = None
            yield tmp
        else:
            with os.fdopen(fd, mode) as f:
                fd = None
                yield f
        _fsync_path(tmp)
        os.replace(tmp, path)
        _fsync_folder(folder)
    except BaseException:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder):
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
