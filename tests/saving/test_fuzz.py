"""Property-based fuzzing: mutated archives and weight files (flipped bytes, cuts, reordered members) either
load or fail with a clean error (a ValueError or OSError naming the file); never a crash or a hang."""
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import striate

FORMATS = ["m.keras", "w.weights.h5", "w.h5", "w.npz"]


def _model():
    L = striate.layers
    return striate.Sequential([striate.Input(shape=(3,)), L.Dense(2, name="d1"), L.BatchNormalization(name="bn"),
                               L.Dense(1, name="d2")], name="fuzzed")


_ORIGINALS = {}


def original(name, folder):
    """The bytes of a valid file of each format (made once)."""
    if not _ORIGINALS:
        model = _model()
        model.compile(optimizer="adam", loss="mse")
        model.save(folder / "m.keras")
        for other in FORMATS[1:]:
            model.save_weights(folder / other)
        _ORIGINALS.update({n: (folder / n).read_bytes() for n in FORMATS})
    return _ORIGINALS[name]


@st.composite
def mutations(draw, data):
    """A damaged copy of ``data``."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "overwrite", "reorder"]))
        if kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate" and data:
            data = data[:draw(st.integers(0, len(data) - 1))]
        elif kind == "overwrite" and data:
            i = draw(st.integers(0, len(data) - 1))
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[i:i + len(chunk)] = chunk
        elif kind == "reorder":
            data = bytearray(_reordered(bytes(data), draw(st.randoms(use_true_random=False))))
    return bytes(data)


def _reordered(data, rng):
    """The same zip with its members in another order (unchanged if it is not a readable zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = [(i, z.read(i)) for i in z.infolist()]
    except Exception:
        return data
    rng.shuffle(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info, content in members:
            z.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize("name", FORMATS)
@settings(max_examples=100, deadline=10000, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_files_load_or_fail_cleanly(tmp_path_factory, name, data):
    folder = tmp_path_factory.getbasetemp()
    damaged = data.draw(mutations(original(name, folder)), label="damaged file")
    path = folder / f"fuzz_{name}"
    path.write_bytes(damaged)
    try:
        if name.endswith(".keras"):
            striate.models.load_model(path)
        else:
            model = _model()
            before = model.get_weights()
            try:
                model.load_weights(path)
            except (ValueError, OSError):
                for a, b in zip(model.get_weights(), before):  # a failed load changes nothing
                    assert (a == b).all()
                raise
    except (ValueError, OSError) as e:
        assert str(path) in str(e) or path.name in str(e), f"error does not name the file: {e!r}"
