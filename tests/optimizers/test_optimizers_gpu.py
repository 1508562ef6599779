"""Optimizers on CuPy arrays give the NumPy results, and keep their state on the GPU."""
import numpy as np
import pytest

from striate import backend, optimizers
from striate.autodiff import Variable

cupy = pytest.importorskip("cupy")
pytestmark = pytest.mark.gpu

CASES = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "clipvalue": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True, "global_clipnorm": 2.0}),
    ("AdamW", {"learning_rate": optimizers.schedules.CosineDecay(0.1, 4), "weight_decay": 0.2}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.05, "weight_decay": 0.05}),
]


@pytest.fixture
def on_device():
    yield lambda device: backend.set_device(device)
    backend.set_device("cpu")


def _train(device, name, kwargs, inits, grads):
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
def test_gpu_matches_cpu(on_device, name, kwargs):
    rng = np.random.default_rng(0)
    shapes = [(64, 33), (33,), (5, 3, 3, 7)]
    inits = [rng.standard_normal(s).astype("float32") for s in shapes]
    grads = [[(2 * rng.standard_normal(s)).astype("float32") for s in shapes] for _ in range(5)]
    cpu, cpu_state = _train("cpu", name, kwargs, inits, grads)
    gpu, gpu_state = _train("gpu", name, kwargs, inits, grads)
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert cpu_state.keys() == gpu_state.keys()
    for key in cpu_state:
        np.testing.assert_allclose(cpu_state[key], gpu_state[key], rtol=1e-5, atol=1e-6)
