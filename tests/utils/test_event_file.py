"""utils.event_file and utils.png: TFRecord framing, protobuf encoding, histograms and PNG, checked with
TensorBoard's own reader and Pillow's decoder."""
import io
import os
import re
import socket

import numpy as np
import pytest

from striate.utils.event_file import EventFileWriter, crc32c, histogram_buckets, masked_crc32c
from striate.utils.png import encode_png

event_file_loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader",
                                        reason="reading event files needs tensorboard (pip install tensorboard)")
from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow  # noqa: E402
from tensorboard.plugins.histogram.summary_v2 import histogram_pb  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402


def events(path):
    return list(event_file_loader.EventFileLoader(str(path)).Load())


def decode_png(data):
    image = pytest.importorskip("PIL.Image", reason="decoding PNG needs Pillow").open(io.BytesIO(data))
    return np.asarray(image)


@pytest.mark.parametrize("data, crc", [  # RFC 3720 (iSCSI) B.4, and the usual check string
    (b"123456789", 0xE3069283), (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E), (bytes(range(31, -1, -1)), 0x113FDB5C), (b"", 0)])
def test_crc32c_known_vectors(data, crc):
    assert crc32c(data) == crc


def test_masked_crc_matches_tensorboard():
    rng = np.random.default_rng(0)
    for size in (0, 1, 7, 8, 100, 4096):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert masked_crc32c(data) == pywrap_tensorflow.masked_crc32c(data)


def test_every_summary_reads_back(tmp_path):
    rng = np.random.default_rng(1)
    values, image = rng.normal(size=(7, 11)), rng.integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
    with EventFileWriter(tmp_path) as writer:
        writer.scalar("loss", 0.125, step=3)
        writer.scalar("loss", 2.5, step=-1)
        writer.histogram("weights", values, step=4, buckets=12)
        writer.image("picture", image, step=5)
        writer.text("notes", "héllo *world*", step=6)
        writer.tensor("counts", np.arange(6, dtype=np.int64).reshape(2, 3), step=2**40, plugin_name="custom",
                      content=b"\x01\x02")
    first, *rest = events(writer.path)
    assert first.file_version == "brain.Event:2" and first.step == 0
    got = [(e.step, e.summary.value[0]) for e in rest]
    assert [(step, v.tag, v.metadata.plugin_data.plugin_name) for step, v in got] == [
        (3, "loss", "scalars"), (-1, "loss", "scalars"), (4, "weights", "histograms"), (5, "picture", "images"),
        (6, "notes", "text"), (2**40, "counts", "custom")]
    arrays = [tensor_util.make_ndarray(v.tensor) for _, v in got]
    assert arrays[0].dtype == np.float32 and arrays[0].shape == () and arrays[0] == 0.125 and arrays[1] == 2.5
    np.testing.assert_array_equal(arrays[2], histogram_buckets(values, 12))
    width, height, *pngs = arrays[3]
    assert (width, height, len(pngs)) == (b"4", b"5", 2)
    for png, expected in zip(pngs, image):
        np.testing.assert_array_equal(decode_png(png), expected)
    assert arrays[4].item().decode("utf-8") == "héllo *world*"
    np.testing.assert_array_equal(arrays[5], np.arange(6).reshape(2, 3))
    assert got[5][1].metadata.plugin_data.content == b"\x01\x02"
    times = [e.wall_time for e in [first, *rest]]
    assert times == sorted(times) and abs(times[0] - os.path.getmtime(writer.path)) < 60


def test_file_name_and_one_file_per_writer(tmp_path):
    with EventFileWriter(tmp_path) as a, EventFileWriter(tmp_path / "run") as b:
        pass
    pattern = rf"events\.out\.tfevents\.\d{{10}}\.{re.escape(socket.gethostname())}\.{os.getpid()}\.\d+"
    assert re.fullmatch(pattern, os.path.basename(a.path)) and re.fullmatch(pattern, os.path.basename(b.path))
    assert a.path != b.path and os.path.dirname(b.path) == str(tmp_path / "run")


@pytest.mark.parametrize("where, message", [(3, "header crc32"), (40, "event crc32")])
def test_a_changed_byte_fails_the_crc_check(tmp_path, where, message):
    with EventFileWriter(tmp_path) as writer:
        writer.scalar("loss", 0.5, step=1)
    data = bytearray(open(writer.path, "rb").read())
    data[where] ^= 0x01  # in the first record's length, or in its event
    open(writer.path, "wb").write(bytes(data))
    reader = pywrap_tensorflow.PyRecordReader_New(writer.path.encode())
    with pytest.raises(errors.DataLossError, match=message):
        reader.GetNext()


@pytest.mark.parametrize("values", [np.random.default_rng(2).normal(size=1000), np.arange(10.0),
                                    np.random.default_rng(3).integers(-5, 5, (4, 4, 3)), [1e-30, 2e-30, 3e-30]])
def test_histogram_buckets_match_tensorboard(values):
    expected = tensor_util.make_ndarray(histogram_pb("h", values).value[0].tensor)
    np.testing.assert_allclose(histogram_buckets(values), expected, rtol=1e-12)
    assert histogram_buckets(values)[-1, 1] == np.max(values)


def test_histogram_buckets_edge_cases():
    np.testing.assert_array_equal(histogram_buckets([], buckets=4), np.zeros((4, 3)))
    np.testing.assert_array_equal(histogram_buckets([2.0] * 5, buckets=3), [[2, 2, 0], [2, 2, 0], [2, 2, 5]])
    assert histogram_buckets([1.0, 2.0], buckets=0).shape == (0, 3)
    with pytest.raises(ValueError, match="buckets=2.5"):
        histogram_buckets([1.0], buckets=2.5)


def test_image_converts_floats_as_tensorflow(tmp_path):
    with EventFileWriter(tmp_path) as writer:
        writer.image("ramp", np.array([[-0.5, 0.0, 0.5, 1.0, 2.0, np.nan]]), step=0)  # (height, width)
    value = events(writer.path)[1].summary.value[0]
    width, height, png = tensor_util.make_ndarray(value.tensor)
    assert (width, height) == (b"6", b"1")
    np.testing.assert_array_equal(decode_png(png), [[0, 0, 127, 255, 255, 0]])


def test_image_and_tensor_errors(tmp_path):
    with EventFileWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match=r"image 'x' expects shape .* received shape \(1, 1, 2, 2, 1\)"):
            writer.image("x", np.zeros((1, 1, 2, 2, 1)), step=0)
        with pytest.raises(TypeError, match="received dtype int16"):
            writer.image("x", np.zeros((2, 2), np.int16), step=0)
        with pytest.raises(TypeError, match="received dtype bool"):
            writer.tensor("x", np.zeros(2, bool), step=0, plugin_name="custom")
    with pytest.raises(ValueError, match="is closed"):
        writer.scalar("loss", 1.0, step=0)


@pytest.mark.parametrize("shape", [(3, 5), (3, 5, 1), (3, 5, 2), (3, 5, 3), (4, 1, 4), (1, 1, 3)])
def test_png_decodes_to_the_same_pixels(shape):
    pixels = np.random.default_rng(4).integers(0, 256, shape, dtype=np.uint8)
    grey = len(shape) == 3 and shape[2] == 1  # Pillow decodes grey as (height, width)
    np.testing.assert_array_equal(decode_png(encode_png(pixels)), pixels[:, :, 0] if grey else pixels)


@pytest.mark.parametrize("array, error, message", [
    (np.zeros((2, 2), np.float32), TypeError, "uint8 array, received dtype float32"),
    (np.zeros((2, 2, 5), np.uint8), ValueError, r"received shape \(2, 2, 5\)"),
    (np.zeros((0, 2), np.uint8), ValueError, r"received shape \(0, 2\)"),
    (np.zeros(4, np.uint8), ValueError, r"received shape \(4,\)")])
def test_png_errors(array, error, message):
    with pytest.raises(error, match=message):
        encode_png(array)
