"""Atomic writes: a file is replaced whole or not at all, so a crash mid-save leaves the old one intact."""
import contextlib
import os
import uuid


@contextlib.contextmanager
def atomic_write(path, mode=None):
    """Write to a temporary file beside ``path`` and move it over ``path`` only if the block succeeds.

    The temporary file lives in the target's folder (so ``os.replace`` is atomic on one file system),
    is flushed to disk before the move, and is removed if the block raises, leaving any existing
    ``path`` untouched. An OSError met while writing it (a full disk, a missing folder, no permission)
    is raised again naming ``path``, not the temporary file.

    Args:
        path: the file to write.
        mode: ``None`` to get the temporary file's path (an empty file, for writers that open paths,
            such as h5py); ``"wb"`` or ``"w"`` to get it opened in that mode.

    Returns:
        A context manager yielding the temporary path, or the open file.

    Raises:
        OSError: the file could not be written; it names ``path``, which is left as it was.

    Example:
        >>> import os, tempfile
        >>> from striate.saving import atomic_write
        >>> path = os.path.join(tempfile.mkdtemp(), "log.txt")
        >>> with atomic_write(path, "w") as f:
        ...     _ = f.write("done")
        >>> open(path).read(), os.listdir(os.path.dirname(path))
        ('done', ['log.txt'])
    """
    path = os.fspath(path)
    if mode not in (None, "w", "wb"):
        raise ValueError(f"atomic_write: mode must be None, 'w' or 'wb', received {mode!r}")
    folder, name = os.path.split(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, expected a file path to write")
    tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    fd = None
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
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
    except BaseException as error:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(error, OSError) and error.filename in (None, tmp):
            raise _about_target(error, path) from error
        raise


def _about_target(error, path):
    """``error``, met while writing the temporary file, told about ``path``, the file the caller named."""
    if error.errno is None:
        return OSError(f"{path}: writing the file failed ({error}); any previous file is unchanged")
    return OSError(error.errno, f"{error.strerror} (writing the file failed; any previous file is unchanged)", path)


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
