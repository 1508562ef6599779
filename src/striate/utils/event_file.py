"""TensorBoard event files, written without TensorFlow or protobuf.

An event file is a sequence of TFRecords, each holding one serialized ``Event`` protocol buffer: the first
says the file's version (``brain.Event:2``), the others carry summaries. The summaries are the ones
``tf.summary`` writes in TensorFlow 2, and Keras's TensorBoard callback through it: every value is a tensor
with its plugin's name in its metadata (``scalars``, ``histograms``, ``images``, ``text``,
``graph_keras_model``), so TensorBoard shows them as it shows Keras's.

The message layouts are those of TensorBoard's ``event.proto``, ``summary.proto``, ``tensor.proto`` and
``tensor_shape.proto``; only the fields written here are encoded.
"""
import itertools
import os
import socket
import struct
import time

import numpy as np

from striate.utils.png import encode_png

FILE_VERSION = "brain.Event:2"
DEFAULT_BUCKET_COUNT = 30


def _crc32c_table():
    # CRC-32C (Castagnoli), reflected polynomial 0x82F63B78: one table entry per byte value
    crc = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        crc = np.where(crc & 1, (crc >> 1) ^ np.uint32(0x82F63B78), crc >> 1)
    return [int(c) for c in crc]


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    """The CRC-32C (Castagnoli) checksum of ``data``, as TFRecord files use.

    Args:
        data: bytes.

    Returns:
        The checksum, an int in ``[0, 2**32)``.

    Example:
        >>> from striate.utils.event_file import crc32c
        >>> hex(crc32c(b"123456789"))
        '0xe3069283'
    """
    crc, table = 0xFFFFFFFF, _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The CRC-32C of ``data`` rotated and offset as TFRecord stores it (so that a record holding its own
    checksum does not checksum to a fixed value).

    Args:
        data: bytes.

    Returns:
        The masked checksum, an int in ``[0, 2**32)``.

    Example:
        >>> from striate.utils.event_file import masked_crc32c
        >>> hex(masked_crc32c(b"123456789"))
        '0xc78ab0e5'
    """
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """Frame ``data`` as one TFRecord: its length (uint64), the length's masked CRC-32C, the data, and
    the data's masked CRC-32C, all little-endian.

    Args:
        data: bytes.

    Returns:
        The record's bytes.

    Example:
        >>> from striate.utils.event_file import tfrecord
        >>> len(tfrecord(b"abc"))
        19
    """
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# Protocol-buffer wire format: each field is a key (field number and wire type) then its value.

def _varint(n):
    n &= (1 << 64) - 1  # a negative int64 is sent as its 64-bit two's complement
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field, wire_type):
    return _varint(field << 3 | wire_type)


def _int_field(field, value):
    return _key(field, 0) + _varint(value)


def _double_field(field, value):
    return _key(field, 1) + struct.pack("<d", value)


def _bytes_field(field, value):
    value = value.encode("utf-8") if isinstance(value, str) else value
    return _key(field, 2) + _varint(len(value)) + value


# TensorProto's DataType numbers (types.proto)
_DTYPES = {np.dtype("float32"): 1, np.dtype("float64"): 2, np.dtype("int32"): 3, np.dtype("int64"): 9}
_DT_STRING = 7


def _tensor_proto(value):
    """A TensorProto: numbers as raw little-endian ``tensor_content``, strings as ``string_val``."""
    array = np.asarray(value)
    shape = b"".join(_bytes_field(2, _int_field(1, size)) for size in array.shape)
    if array.dtype.kind in "USO":
        strings = [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in array.ravel().tolist()]
        return _int_field(1, _DT_STRING) + _bytes_field(2, shape) + b"".join(_bytes_field(8, s) for s in strings)
    if array.dtype not in _DTYPES:
        raise TypeError(f"EventFileWriter writes tensors of {sorted(str(d) for d in _DTYPES)} or strings, "
                        f"received dtype {array.dtype}")
    content = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return _int_field(1, _DTYPES[array.dtype]) + _bytes_field(2, shape) + _bytes_field(4, content)


def histogram_buckets(values, buckets=DEFAULT_BUCKET_COUNT):
    """The ``[buckets, 3]`` histogram ``tf.summary.histogram`` writes: rows of ``[left edge, right edge,
    count]`` over equal-width buckets from the minimum to the maximum, the last one closed.

    All zeros when ``values`` is empty; when every value is the same, every edge is that value and the last
    bucket holds them all.

    Args:
        values: an array of any shape; its elements are counted.
        buckets: the number of buckets, an int >= 0.

    Returns:
        A float64 array of shape ``(buckets, 3)``.

    Example:
        >>> from striate.utils.event_file import histogram_buckets
        >>> histogram_buckets([0.0, 1.0, 2.5, 4.0], buckets=2)
        array([[0., 2., 2.],
               [2., 4., 2.]])
    """
    if not isinstance(buckets, (int, np.integer)) or isinstance(buckets, bool) or buckets < 0:
        raise ValueError(f"histogram expects buckets to be an int >= 0, received buckets={buckets!r}")
    data = np.asarray(values, dtype=np.float64).ravel()
    if buckets == 0 or data.size == 0:
        return np.zeros((buckets, 3))
    low, high = data.min(), data.max()
    if low == high:
        counts = np.zeros(buckets)
        counts[-1] = data.size
        return np.stack([np.full(buckets, high), np.full(buckets, high), counts], axis=1)
    index = np.minimum(np.floor((data - low) / ((high - low) / buckets)).astype(np.int64), buckets - 1)
    edges = np.linspace(low, high, buckets + 1)
    edges[-1] = high
    return np.stack([edges[:-1], edges[1:], np.bincount(index, minlength=buckets).astype(np.float64)], axis=1)


def _image_uint8(images):
    """Images as uint8 the way ``tf.summary.image`` converts them: floats scaled by 255.5 and clipped to
    [0, 255] (so [0, 1] spans the range), uint8 as they are."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind != "f":
        raise TypeError(f"image expects uint8 pixels or floats in [0, 1], received dtype {images.dtype}")
    return np.clip(np.nan_to_num(images.astype(np.float64)) * 255.5, 0, 255).astype(np.uint8)


_writer_ids = itertools.count()


class EventFileWriter:
    """Writes summaries to a new TensorBoard event file in ``log_dir``, one of TensorBoard's runs.

    The file is ``events.out.tfevents.<time>.<hostname>.<pid>.<n>`` (``n`` counts the writers of this
    process, so two writers never share a file). Events are appended as they are written; TensorBoard
    reads a file that is still growing, up to its last whole record. Call :meth:`flush` to make what was
    written visible, :meth:`close` at the end (or use the writer in a ``with`` block).

    Args:
        log_dir: the run's folder, created if needed.

    Example:
        >>> import os
        >>> from striate.utils.event_file import EventFileWriter
        >>> with EventFileWriter("logs/train") as writer:
        ...     for step in range(3):
        ...         writer.scalar("epoch_loss", 1.0 / (step + 1), step=step)
        ...     writer.histogram("dense/kernel/histogram", np.random.randn(100), step=0)
        ...     writer.image("dense/kernel/image", np.random.rand(1, 4, 8, 1), step=0)
        >>> os.path.basename(writer.path).startswith("events.out.tfevents.")
        True
    """

    def __init__(self, log_dir):
        self.log_dir = os.fspath(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}"
                f".{next(_writer_ids)}")
        self.path = os.path.join(self.log_dir, name)
        self._file = open(self.path, "ab")
        self._write_event(_bytes_field(3, FILE_VERSION), step=0)
        self.flush()

    def _write_event(self, what, step):
        if self._file is None:
            raise ValueError(f"EventFileWriter for {self.path} is closed; open a new one to write more")
        event = _double_field(1, time.time()) + _int_field(2, int(step)) + what
        self._file.write(tfrecord(event))

    def tensor(self, tag, value, step, plugin_name, content=b""):
        """Write a tensor summary, shown by the TensorBoard plugin ``plugin_name``.

        Args:
            tag: the summary's name, one time series in TensorBoard.
            value: an array of float32, float64, int32 or int64, or a string or an array of strings.
            step: the step (an int) on TensorBoard's horizontal axis.
            plugin_name: the plugin that reads it, e.g. ``"scalars"``, ``"text"``.
            content: the plugin's own data (bytes) in the summary's metadata.

        Example:
            >>> from striate.utils.event_file import EventFileWriter
            >>> with EventFileWriter("logs") as writer:
            ...     writer.tensor("notes", "trained on MNIST", step=0, plugin_name="text")
        """
        metadata = _bytes_field(1, _bytes_field(1, plugin_name) + _bytes_field(2, content))
        summary_value = _bytes_field(1, tag) + _bytes_field(9, metadata) + _bytes_field(8, _tensor_proto(value))
        self._write_event(_bytes_field(5, _bytes_field(1, summary_value)), step)

    def scalar(self, tag, value, step):
        """Write one value of the scalar time series ``tag`` (as float32, as ``tf.summary.scalar`` does).

        Args:
            tag: the series' name, e.g. ``"epoch_loss"``.
            value: a number.
            step: the step (an int).

        Example:
            >>> from striate.utils.event_file import EventFileWriter
            >>> with EventFileWriter("logs") as writer:
            ...     writer.scalar("epoch_loss", 0.25, step=0)
        """
        self.tensor(tag, np.float32(value), step, "scalars")

    def histogram(self, tag, values, step, buckets=DEFAULT_BUCKET_COUNT):
        """Write a histogram of ``values`` (see :func:`histogram_buckets`), shown in TensorBoard's
        Histograms and Distributions dashboards.

        Args:
            tag: the series' name.
            values: an array of any shape.
            step: the step (an int).
            buckets: the number of equal-width buckets.

        Example:
            >>> from striate.utils.event_file import EventFileWriter
            >>> with EventFileWriter("logs") as writer:
            ...     writer.histogram("weights", np.random.randn(1000), step=0)
        """
        self.tensor(tag, histogram_buckets(values, buckets), step, "histograms")

    def image(self, tag, images, step, max_outputs=3):
        """Write images as PNG, shown in TensorBoard's Images dashboard (the first ``max_outputs`` of them,
        as ``tf.summary.image`` does).

        Args:
            tag: the series' name.
            images: shape ``(k, height, width, channels)`` (or ``(height, width, channels)`` or
                ``(height, width)`` for one), 1 to 4 channels; uint8, or floats in [0, 1] (clipped).
            step: the step (an int).
            max_outputs: the most images written.

        Example:
            >>> from striate.utils.event_file import EventFileWriter
            >>> with EventFileWriter("logs") as writer:
            ...     writer.image("noise", np.random.rand(2, 8, 8, 1), step=0)
        """
        images = _image_uint8(images)
        if images.ndim == 2:
            images = images[:, :, None]
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4:
            raise ValueError(f"image '{tag}' expects shape (k, height, width, channels), (height, width, "
                             f"channels) or (height, width), received shape {images.shape}")
        _, height, width, _ = images.shape
        pngs = [encode_png(image) for image in images[:max_outputs]]
        self.tensor(tag, np.array([str(width), str(height)] + pngs, dtype=object), step, "images")

    def text(self, tag, text, step):
        """Write a string (Markdown), shown in TensorBoard's Text dashboard.

        Args:
            tag: the series' name.
            text: a str.
            step: the step (an int).

        Example:
            >>> from striate.utils.event_file import EventFileWriter
            >>> with EventFileWriter("logs") as writer:
            ...     writer.text("notes", "learning rate *halved* at epoch 5", step=5)
        """
        self.tensor(tag, str(text), step, "text")

    def flush(self):
        """Push what was written to the file, so that TensorBoard sees it."""
        if self._file is not None:
            self._file.flush()

    def close(self):
        """Flush and close the file; writing afterwards raises ValueError."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
