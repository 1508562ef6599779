"""utils.load_img, img_to_array, array_to_img, save_img: against Keras on the same files."""
import builtins
import io
import os

import numpy as np
import pytest

from striate import utils

keras = pytest.importorskip("keras")
PIL = pytest.importorskip("PIL.Image")


def _pixels(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype("float32")


@pytest.mark.parametrize("suffix, channels", [(".png", 3), (".png", 4), (".png", 1), (".jpg", 3), (".jpeg", 1),
                                              (".bmp", 3), (".gif", 1)])
def test_save_then_load_matches_keras(tmp_path, suffix, channels):
    x = _pixels((7, 9, channels))
    ours, theirs = tmp_path / f"ours{suffix}", tmp_path / f"theirs{suffix}"
    utils.save_img(ours, x, scale=False)
    keras.utils.save_img(str(theirs), x, scale=False)
    assert ours.read_bytes() == theirs.read_bytes()
    mode = {1: "grayscale", 3: "rgb", 4: "rgba"}[channels]
    got = utils.img_to_array(utils.load_img(ours, color_mode=mode))
    want = keras.utils.img_to_array(keras.utils.load_img(str(ours), color_mode=mode))
    assert got.dtype == np.float32 and got.shape == (7, 9, channels)
    np.testing.assert_array_equal(got, want)
    if suffix in (".png", ".bmp", ".gif"):       # lossless: the pixels come back
        np.testing.assert_array_equal(got, x)


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
def test_color_mode_conversions_match_keras(tmp_path, color_mode):
    path = tmp_path / "rgba.png"
    utils.save_img(path, _pixels((5, 6, 4)), scale=False)
    got = utils.img_to_array(utils.load_img(path, color_mode=color_mode))
    want = keras.utils.img_to_array(keras.utils.load_img(str(path), color_mode=color_mode))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"])
@pytest.mark.parametrize("keep_aspect_ratio", [False, True])
@pytest.mark.parametrize("target_size", [(10, 10), (31, 17), (40, 60)])
def test_target_size_matches_keras(tmp_path, interpolation, keep_aspect_ratio, target_size):
    path = tmp_path / "img.png"
    utils.save_img(path, _pixels((23, 37, 3)), scale=False)
    kwargs = dict(target_size=target_size, interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio)
    got = utils.img_to_array(utils.load_img(path, **kwargs))
    want = keras.utils.img_to_array(keras.utils.load_img(str(path), **kwargs))
    assert got.shape == target_size + (3,)
    np.testing.assert_array_equal(got, want)


def test_load_from_bytesio_and_str(tmp_path):
    path = tmp_path / "a.png"
    x = _pixels((4, 5, 3))
    utils.save_img(str(path), x, scale=False)
    from_bytes = utils.load_img(io.BytesIO(path.read_bytes()))
    np.testing.assert_array_equal(utils.img_to_array(from_bytes), x)
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(str(path))), x)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("shape", [(6, 4, 3), (6, 4, 4), (6, 4, 1)])
def test_array_to_img_and_back_match_keras(data_format, scale, shape):
    x = np.random.default_rng(1).random(shape) * (1 if scale else 255)
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    got, want = utils.array_to_img(x, data_format, scale), keras.utils.array_to_img(x, data_format, scale)
    assert got.mode == want.mode and got.size == want.size
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    back = utils.img_to_array(got, data_format=data_format, dtype="float64")
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, keras.utils.img_to_array(want, data_format=data_format, dtype="float64"))


def test_sixteen_bit_grayscale_is_kept(tmp_path):
    x = np.arange(12, dtype="float32").reshape(3, 4, 1) * 1000      # above 255: PIL mode "I"
    img = utils.array_to_img(x, scale=False)
    assert img.mode == "I"
    path = tmp_path / "deep.png"
    img.convert("I;16").save(path)             # a 16-bit PNG
    got = utils.img_to_array(utils.load_img(path, color_mode="grayscale"))
    np.testing.assert_array_equal(got, x)


def test_save_img_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "keep.png"
    utils.save_img(path, _pixels((4, 4, 3)))
    before = path.read_bytes()
    real_save = PIL.Image.save

    def failing_save(self, fp, *args, **kwargs):
        fp.write(b"half an image")
        raise OSError("disk full")
    monkeypatch.setattr(PIL.Image, "save", failing_save)
    with pytest.raises(OSError):
        utils.save_img(path, _pixels((4, 4, 3), seed=5))
    monkeypatch.setattr(PIL.Image, "save", real_save)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.png"]


def test_save_img_to_file_object_and_format_errors(tmp_path):
    buffer = io.BytesIO()
    utils.save_img(buffer, _pixels((3, 3, 3)), file_format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="pass file_format"):
        utils.save_img(tmp_path / "noext", _pixels((3, 3, 3)))
    with pytest.warns(UserWarning, match="RGBA"):
        utils.save_img(tmp_path / "a.jpg", _pixels((3, 3, 4)))
    assert PIL.open(tmp_path / "a.jpg").mode == "RGB"


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels, received 2"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="data_format must be"):
        utils.img_to_array(np.zeros((2, 2, 3)), data_format="NHWC")
    path = tmp_path / "a.png"
    utils.save_img(path, _pixels((3, 3, 3)))
    with pytest.raises(ValueError, match="color_mode must be .* received 'cmyk'"):
        utils.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation must be one of .* received 'cubic'"):
        utils.load_img(path, target_size=(5, 5), interpolation="cubic")
    with pytest.raises(TypeError, match="path must be a file path or an io.BytesIO"):
        utils.load_img(123)


def test_without_pillow_the_error_says_what_to_install(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pil)
    for call in (lambda: utils.load_img(tmp_path / "x.png"), lambda: utils.array_to_img(np.zeros((2, 2, 3))),
                 lambda: utils.save_img(tmp_path / "x.png", np.zeros((2, 2, 3)))):
        with pytest.raises(ImportError, match=r"needs Pillow: pip install 'striate\[image\]'"):
            call()
