"""``import striate`` changes nothing in the process; fit tunes it (BLAS threads, striate's workers,
malloc) and restores it after. Each case runs in a fresh interpreter, whose state is untouched."""
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"

# Runs in the child: BLAS's thread count through blas.py's own ctypes handle (loaded from its file,
# so that striate is not imported), every mallopt call recorded, the thread count; then striate.
PROBE = textwrap.dedent("""
    import ctypes, importlib.util, json, os, sys, threading
    spec = importlib.util.spec_from_file_location("blas_probe", os.path.join(sys.argv[1], "striate/backend/blas.py"))
    blas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(blas)
    set_blas, get_blas = blas.threads_functions()
    mallopt_calls = []

    class SpyCDLL(ctypes.CDLL):
        def __getattr__(self, name):
            found = super().__getattr__(name)
            if name != "mallopt":
                return found
            return lambda *args: mallopt_calls.append(list(args)) or found(*args)

    ctypes.CDLL = SpyCDLL
    set_blas(3)

    def state():
        return {"blas": int(get_blas()), "threads": threading.active_count(), "mallopt": list(mallopt_calls)}

    report = {"before": state()}
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import striate
    from striate.backend import threads
    report["imported"] = state()
    threads.MIN_COST = 1  # every op worth splitting, so that the workers surely start
    L = striate.layers
    model = striate.Sequential([striate.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.Flatten(),
                                L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    during = []

    class Probe(striate.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            during.append(state())

    x, y = np.random.rand(32, 8, 8, 1).astype("float32"), np.arange(32) % 3
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Probe()])
    report["during"], report["after"] = during[-1], state()
    model.predict(x, verbose=0)
    model(x)  # an op outside fit: runs whole, BLAS untouched
    report["outside"] = state()

    class Boom(striate.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyError("a callback's error")

    try:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Boom()])
    except KeyError:
        report["raised"] = state()
    print(json.dumps(report))
""")


def _run(**env):
    child_env = {**os.environ, "STRIATE_NUM_THREADS": "2", **env}
    child_env.pop("OPENBLAS_NUM_THREADS", None)
    done = subprocess.run([sys.executable, "-c", PROBE, str(SRC)], capture_output=True, text=True, env=child_env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


KEEP = [[-3, 1 << 30], [-1, 1 << 30]]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD: 1 GiB
DEFAULTS = [[-3, 128 << 10], [-1, 128 << 10]]


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's mallopt and NumPy's OpenBLAS on Linux")
def test_import_changes_nothing_and_fit_restores_what_it_tuned():
    report = _run()
    before = report["before"]
    assert report["imported"] == before  # no BLAS change, no mallopt, no thread started
    during = report["during"]
    assert during["blas"] in (1, 2) and during["threads"] == before["threads"] + 1
    assert during["mallopt"] == KEEP
    after = report["after"]
    assert after["blas"] == 3 and after["threads"] == before["threads"]
    assert after["mallopt"] == KEEP + DEFAULTS
    outside = report["outside"]  # predict tuned and restored again; model(x) changed nothing
    assert outside["blas"] == 3 and outside["threads"] == before["threads"]
    assert outside["mallopt"] == KEEP + DEFAULTS + KEEP + DEFAULTS
    raised = report["raised"]  # a fit that ended in an exception restored it all too
    assert raised["blas"] == 3 and raised["threads"] == before["threads"]
    assert raised["mallopt"] == (KEEP + DEFAULTS) * 3


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's mallopt and NumPy's OpenBLAS on Linux")
def test_opting_out_leaves_the_process_alone_during_fit_too():
    report = _run(STRIATE_TUNE="0")
    before = report["before"]
    for when in ("imported", "during", "after", "outside", "raised"):
        assert report[when] == before, when
