"""A small PNG encoder on NumPy and zlib, for pictures written without Pillow (TensorBoard images)."""
import struct
import zlib

import numpy as np

# PNG colour type by channel count: grey, grey + alpha, RGB, RGBA
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(array, compress_level=6):
    """Encode an image as the bytes of a PNG file (8 bits per channel, no interlacing).

    Args:
        array: a uint8 array of shape ``(height, width)`` or ``(height, width, channels)`` with 1 (grey),
            2 (grey and alpha), 3 (RGB) or 4 (RGBA) channels.
        compress_level: zlib's level, 0 (none) to 9 (smallest).

    Returns:
        The PNG file's bytes.

    Example:
        >>> from striate.utils.png import encode_png
        >>> data = encode_png(np.zeros((2, 3, 3), dtype="uint8"))
        >>> data[:8], len(data)
        (b'\\x89PNG\\r\\n\\x1a\\n', 68)
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"encode_png expects a uint8 array, received dtype {array.dtype}")
    channels = array.shape[2] if array.ndim == 3 else 1
    if array.ndim not in (2, 3) or channels not in _COLOR_TYPES or 0 in array.shape:
        raise ValueError("encode_png expects shape (height, width) or (height, width, channels) with 1 to 4 "
                         f"channels and no empty axis, received shape {array.shape}")
    if array.ndim == 2:
        array = array[:, :, None]
    height, width, channels = array.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    # every row starts with its filter type; 0 leaves the row as it is
    rows = np.concatenate([np.zeros((height, 1), np.uint8), array.reshape(height, width * channels)], axis=1)
    return (_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level))
            + _chunk(b"IEND", b""))
