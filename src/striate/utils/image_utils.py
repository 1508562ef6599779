"""Image files and arrays: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, as in Keras.

Images are read and written with Pillow (``pip install 'striate[image]'``), imported on first use.
"""
import io
import os
import pathlib
import warnings

import numpy as np

from striate import backend

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}


def pil_image(what):
    """Pillow's ``PIL.Image`` module; ``what`` names the caller in the error when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{what} needs Pillow: pip install 'striate[image]'") from None
    return Image


def data_format_of(what, data_format):
    """``data_format`` checked, ``None`` meaning ``"channels_last"`` (the layers' rule)."""
    from striate.layers.conv import data_format_of   # striate.layers imports striate.utils: import on use
    return data_format_of(what, data_format)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Convert a 3-D array (one image) to a Pillow image, as ``keras.utils.array_to_img``.

    Args:
        x: array-like of shape ``(height, width, channels)`` (``(channels, height, width)`` with
            ``data_format="channels_first"``); 1, 3 or 4 channels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        scale: whether to stretch the values linearly so that the smallest is 0 and the largest 255.
        dtype: the float dtype of the computation; ``None``: ``backend.floatx()``.

    Returns:
        A ``PIL.Image.Image``: mode ``"L"`` (or ``"I"`` for one channel above 255), ``"RGB"`` or
        ``"RGBA"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> img = keras.utils.array_to_img(np.zeros((4, 6, 3)))
        >>> img.size, img.mode
        ((6, 4), 'RGB')
    """
    data_format = data_format_of("array_to_img", data_format)
    image = pil_image("array_to_img")
    x = np.array(backend.to_numpy(x), dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects one image of rank 3, received shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x -= x.min()
        top = x.max()
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype(np.uint8), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if x.max() > 255:
            return image.fromarray(x[:, :, 0].astype(np.int32), "I")
        return image.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise ValueError(f"array_to_img expects 1, 3 or 4 channels, received {channels} (shape {x.shape})")


def img_to_array(img, data_format=None, dtype=None):
    """Convert a Pillow image to a 3-D NumPy array, as ``keras.utils.img_to_array``.

    Args:
        img: a ``PIL.Image.Image`` (or anything ``numpy.asarray`` turns into a 2-D or 3-D array).
        data_format: ``"channels_last"`` (default): ``(height, width, channels)``;
            ``"channels_first"``: ``(channels, height, width)``.
        dtype: the array's dtype; ``None``: ``backend.floatx()``.

    Returns:
        A 3-D NumPy array; a grayscale image gets one channel.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> img = keras.utils.array_to_img(np.zeros((4, 6, 1)))
        >>> keras.utils.img_to_array(img).shape
        (4, 6, 1)
    """
    data_format = data_format_of("img_to_array", data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array expects an image of rank 2 or 3, received shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array to a file, as ``keras.utils.save_img``.

    A path is written atomically: a temporary file replaces it only once complete. RGBA saved as
    JPEG is converted to RGB, with a warning.

    Args:
        path: a file path, or a writable binary file object (then ``file_format`` is required).
        x: the image, as for :func:`array_to_img`.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        file_format: ``"png"``, ``"jpeg"``, ...; ``None``: from the path's extension.
        scale: whether to stretch the values to [0, 255] (see :func:`array_to_img`).
        **kwargs: passed to ``PIL.Image.Image.save`` (``quality=95``, ...).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import striate as keras
        >>> path = os.path.join(tempfile.mkdtemp(), "black.png")
        >>> keras.utils.save_img(path, np.zeros((4, 6, 3)))
        >>> keras.utils.load_img(path).size
        (6, 4)
    """
    from striate.saving.atomic import atomic_write   # striate.saving imports the models, which import utils

    image = pil_image("save_img")
    is_path = isinstance(path, (str, os.PathLike))
    if file_format is None:
        suffix = pathlib.Path(path).suffix.lower() if is_path else ""
        file_format = image.registered_extensions().get(suffix) if suffix else None
        if file_format is None:
            raise ValueError(f"save_img: cannot tell the image format of {path!r} from its "
                             "extension; pass file_format ('png', 'jpeg', ...)")
    file_format = "jpeg" if file_format.lower() == "jpg" else file_format.lower()
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: the JPEG format does not support RGBA images, converting to RGB",
                      stacklevel=2)
        img = img.convert("RGB")
    if not is_path:
        img.save(path, format=file_format, **kwargs)
        return
    with atomic_write(path, "wb") as f:
        img.save(f, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Load an image file as a Pillow image, as ``keras.utils.load_img``.

    Args:
        path: a file path, or an ``io.BytesIO`` holding the file's bytes.
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"`` (kept as it is when already 8-, 16- or
            32-bit grayscale, else converted to 8-bit).
        target_size: ``None`` (the file's size) or ``(height, width)`` to resize to.
        interpolation: the resampling when resizing: ``"nearest"``, ``"bilinear"``, ``"bicubic"``,
            ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: whether to crop the largest centred box of the target's aspect ratio
            before resizing, so the image is not distorted.

    Returns:
        A ``PIL.Image.Image``.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import striate as keras
        >>> path = os.path.join(tempfile.mkdtemp(), "img.png")
        >>> keras.utils.save_img(path, np.random.default_rng(0).random((40, 60, 3)))
        >>> img = keras.utils.load_img(path, target_size=(20, 20), keep_aspect_ratio=True)
        >>> keras.utils.img_to_array(img).shape
        (20, 20, 3)
    """
    image = pil_image("load_img")
    if color_mode not in COLOR_MODES:
        raise ValueError(f"load_img: color_mode must be 'grayscale', 'rgb' or 'rgba', received {color_mode!r}")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: path must be a file path or an io.BytesIO, received {type(path).__name__}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != color_mode.upper():
        img = img.convert(color_mode.upper())
    if target_size is None:
        return img
    height, width = target_size
    if img.size == (width, height):
        return img
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"load_img: interpolation must be one of {', '.join(INTERPOLATIONS)}, "
                         f"received {interpolation!r}")
    resample = getattr(image.Resampling, interpolation.upper())
    box = None
    if keep_aspect_ratio:
        w, h = img.size
        crop_h, crop_w = min(h, w * height // width), min(w, h * width // height)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize((width, height), resample, box=box)
