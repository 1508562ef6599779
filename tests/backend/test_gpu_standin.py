"""striate's GPU path, run on the CPU: ``set_device('gpu')`` with ``tests/fake_cupy.py`` as ``cupy``.

The stand-in refuses what real CuPy refuses (a device array turned into a NumPy one implicitly, a
NumPy array given to a device computation, a Generator method CuPy lacks...), so these tests catch
the mistakes that only a GPU run would otherwise show. Where CuPy is installed and sees a GPU, the
same tests run on the real CuPy instead (``STRIATE_REAL_CUPY=0`` keeps the stand-in there).
"""
import inspect
import json
import pathlib

import numpy as np
import pytest

import striate
from striate import backend, initializers, ops, optimizers
from striate.autodiff import Variable

TESTS = pathlib.Path(__file__).resolve().parents[1]
BENCHMARKS = TESTS.parent / "benchmarks"


@pytest.fixture
def benchmarks(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import gpu_check
    import train_vs_torch
    return gpu_check, train_vs_torch


def _data(name, n=64):
    rng = np.random.default_rng(1)
    x = rng.random((n, 28, 28) if name == "dff" else (n, 28, 28, 1), dtype=np.float32)
    return x, rng.integers(0, 10, n)


# --- the stand-in itself ----------------------------------------------------------------------------
def test_standin_refuses_what_cupy_refuses(monkeypatch):
    monkeypatch.syspath_prepend(str(TESTS))
    import fake_cupy as gpu
    a = gpu.arange(6, dtype="float32").reshape(2, 3)
    for bad in (lambda: np.asarray(a), lambda: a + np.ones(3), lambda: gpu.exp(np.ones(2)),
                lambda: gpu.concatenate([a, np.ones((1, 3))]), lambda: gpu.maximum(a, [0, 1, 2]),
                lambda: a.sum(out=np.zeros(3)), lambda: memoryview(a)):
        with pytest.raises(TypeError):
            bad()
    assert isinstance(np.concatenate([a, a]), gpu.ndarray) and isinstance(a.sum(), gpu.ndarray)
    assert not hasattr(gpu.random.default_rng(0), "normal") and callable(gpu.random.default_rng(0).bit_generator.state)
    for bad in (lambda: float(a[0, :1]), lambda: gpu.ascontiguousarray(np.ones(3)), lambda: [0, 1][gpu.asarray(1)]):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(ValueError):
        a[...] = np.ones((2, 3))
    b = gpu.asarray(np.ones(3))
    b[np.array([0])] = np.float32(5)
    b[np.array([1, 2])] = np.array([2.0, 3.0])
    assert gpu.asnumpy(b).tolist() == [5, 2, 3] and float(b[0]) == 5.0 and bool(b[:1] > 4)


# --- ops ----------------------------------------------------------------------------------------------
def test_benchmark_ops_give_the_cpu_gradients(gpu, benchmarks):
    gpu_check, _ = benchmarks
    cpu = gpu_check.run_ops("cpu")
    on_gpu = gpu_check.run_ops("gpu")
    assert cpu.keys() == on_gpu.keys()
    for key in cpu:
        assert isinstance(on_gpu[key], np.ndarray), key
        worst = np.max(np.abs(cpu[key] - on_gpu[key])) / (np.max(np.abs(cpu[key])) + 1e-12)
        assert worst < 1e-4, f"{key}: relative difference {worst:.2e}"


# --- the benchmark models -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dff", "cnn", "lenet5", "convnet"])
def test_benchmark_model_trains_evaluates_and_predicts(gpu, benchmarks, name):
    _, bench = benchmarks
    x, y = _data(name)
    model = bench.build_striate(striate, name)
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and all(np.isfinite(history.history["loss"]))
    loss = model.evaluate(x, y, batch_size=32, verbose=0)
    assert np.isfinite(float(loss))
    p = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (64, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def _train(device, bench, name, weights, x, y):
    backend.set_device(device)
    model = bench.build_striate(striate, name)
    if weights is not None:
        model.set_weights(weights)
    model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


@pytest.mark.parametrize("name", ["dff", "cnn", "lenet5"])
def test_benchmark_model_trains_to_the_cpu_weights(gpu, benchmarks, name):
    _, bench = benchmarks
    x, y = _data(name)
    backend.set_device("cpu")
    start = bench.build_striate(striate, name).get_weights()
    cpu = _train("cpu", bench, name, start, x, y)
    on_gpu = _train("gpu", bench, name, start, x, y)
    assert len(cpu) == len(on_gpu)
    for a, b in zip(cpu, on_gpu):
        assert isinstance(b, np.ndarray)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


# --- saving --------------------------------------------------------------------------------------------
def test_save_and_load_on_the_gpu(gpu, benchmarks, tmp_path):
    _, bench = benchmarks
    x, y = _data("dff")
    model = bench.build_striate(striate, "dff")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    weights = model.get_weights()
    assert weights and all(isinstance(w, np.ndarray) for w in weights)
    model.save(tmp_path / "m.keras")
    loaded = striate.models.load_model(tmp_path / "m.keras")
    for a, b in zip(weights, loaded.get_weights()):
        assert isinstance(b, np.ndarray)
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-7)


def test_checkpoint_callbacks_on_the_gpu(gpu, benchmarks, tmp_path):
    _, bench = benchmarks
    x, y = _data("dff")
    model = bench.build_striate(striate, "dff")
    callbacks = [striate.callbacks.ModelCheckpoint(str(tmp_path / "best.keras")),
                 striate.callbacks.BackupAndRestore(tmp_path / "backup", save_freq=1, delete_checkpoint=False)]
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=callbacks)
    assert (tmp_path / "best.keras").exists() and (tmp_path / "backup" / "backup.npz").exists()


def test_batch_norm_and_dropout_fit(gpu):
    L = striate.layers
    model = striate.Sequential([striate.Input(shape=(28, 28, 1)), L.Conv2D(4, 3), L.BatchNormalization(),
                                L.Activation("relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.3),
                                L.Dense(16), L.BatchNormalization(), L.Dropout(0.5), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data("cnn")
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    p = model.predict(x, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (64, 10)


INITIALIZERS = [(name, {}) for name in sorted(initializers.ALL)] + [
    ("VarianceScaling", {"distribution": "untruncated_normal"}), ("VarianceScaling", {"distribution": "uniform"})]
# each initializer unseeded (drawing from backend.rng()), and seeded where it draws at all
CASES_INIT = [(name, kwargs, seed) for name, kwargs in INITIALIZERS for seed in (None, 3)
              if seed is None or "seed" in inspect.signature(initializers.ALL[name]).parameters]


@pytest.mark.parametrize("name, kwargs, seed", CASES_INIT,
                         ids=[f"{n}-{k.get('distribution', '')}-{s}" for n, k, s in CASES_INIT])
def test_initializer_draws_a_device_array(gpu, name, kwargs, seed):
    cls = initializers.ALL[name]
    init = cls(**kwargs) if seed is None else cls(**kwargs, seed=seed)
    a = init((6, 5))
    assert isinstance(a, gpu.ndarray) and a.shape == (6, 5) and a.dtype == np.float32


@pytest.mark.parametrize("seed", [None, 1])
def test_dropout_mask_on_the_gpu(gpu, seed):
    y = ops.dropout(gpu.ones((4, 8), dtype="float32"), 0.5, seed=seed)
    values = set(np.unique(backend.to_numpy(y.data)).tolist())
    assert isinstance(y.data, gpu.ndarray) and values <= {0.0, 2.0}


def test_rng_state_round_trips_on_the_gpu(gpu):
    state = backend.get_rng_state()
    json.dumps(state)  # "a JSON-able dict (for checkpoints that resume bit-for-bit)"
    first = backend.to_numpy(backend.rng().random(4))
    backend.set_rng_state(state)
    np.testing.assert_array_equal(backend.to_numpy(backend.rng().random(4)), first)


def test_rng_state_is_taken_without_drawing_when_nothing_was_drawn(gpu):
    state = backend.get_rng_state()
    assert backend.get_rng_state() == state  # no draw in between: the same state, the same generator
    first = backend.to_numpy(backend.rng().random(4))
    assert backend.get_rng_state() != state  # drawn since: a new device generator, seeded from the host
    backend.set_rng_state(state)
    np.testing.assert_array_equal(backend.to_numpy(backend.rng().random(4)), first)


class _Snapshot(striate.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (1, 2):
            self.state = self.model.get_training_state()


class _Restore(striate.callbacks.Callback):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_begin(self, logs=None):
        self.model.resume_training(self.state)


def test_training_resumes_bit_for_bit_on_the_gpu(gpu):
    """Shuffled batches and dropout masks drawn on the device: a fit resumed from a training state
    taken after epoch 1's third batch ends with the weights of the run that took it."""
    x, y = _data("dff", 96)

    def model():
        m = striate.Sequential([striate.Input(shape=(28, 28)), striate.layers.Flatten(),
                                striate.layers.Dense(16, activation="relu"), striate.layers.Dropout(0.4),
                                striate.layers.Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return m
    kw = dict(batch_size=16, epochs=3, shuffle=True, verbose=0)
    backend.set_seed(3)
    first, snapshot = model(), _Snapshot()
    first.fit(x, y, callbacks=[snapshot], **kw)
    backend.set_seed(99)  # a different start: everything must come from the state
    resumed = model()
    resumed.fit(x, y, callbacks=[_Restore(snapshot.state)], **kw)
    for a, b in zip(first.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


# --- optimizers: the same updates and state on both devices -----------------------------------------------
CASES = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "clipvalue": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True, "global_clipnorm": 2.0}),
    ("AdamW", {"learning_rate": optimizers.schedules.CosineDecay(0.1, 4), "weight_decay": 0.2}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.05, "weight_decay": 0.05}),
]


def _optimize(device, name, kwargs, inits, grads):
    backend.set_device(device)
    xp = backend.xp()
    variables = [Variable(xp.asarray(x), name=f"w{i}") for i, x in enumerate(inits)]
    optimizer = getattr(optimizers, name)(**kwargs)
    for step_grads in grads:
        optimizer.apply([xp.asarray(g) for g in step_grads], variables)
    assert all(isinstance(v.data, xp.ndarray) for v in variables + optimizer.variables[1:])
    store = {}
    optimizer.save_own_variables(store)
    return [backend.to_numpy(v.data) for v in variables], store


@pytest.mark.parametrize("name, kwargs", CASES, ids=[c[0] for c in CASES])
def test_optimizer_on_gpu_matches_cpu(gpu, name, kwargs):
    rng = np.random.default_rng(0)
    shapes = [(64, 33), (33,), (5, 3, 3, 7)]
    inits = [rng.standard_normal(s).astype("float32") for s in shapes]
    grads = [[(2 * rng.standard_normal(s)).astype("float32") for s in shapes] for _ in range(5)]
    cpu, cpu_state = _optimize("cpu", name, kwargs, inits, grads)
    on_gpu, gpu_state = _optimize("gpu", name, kwargs, inits, grads)
    for a, b in zip(cpu, on_gpu):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert cpu_state.keys() == gpu_state.keys()
    for key in cpu_state:
        assert isinstance(gpu_state[key], np.ndarray), key
        np.testing.assert_allclose(cpu_state[key], gpu_state[key], rtol=1e-5, atol=1e-6)
