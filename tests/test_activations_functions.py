"""striate.activations as plain functions: Keras's signatures and numbers, by name and by config."""
import os

import numpy as np
import pytest
import torch

import striate
from striate import activations, ops
from striate.autodiff import Tensor

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

X = (np.linspace(-7.0, 7.0, 29) + 0.1).astype("float32").reshape(1, 29)  # both sides of every kink, none on one


def _keras(fn, x, kwargs):
    """Keras's value and the gradient of sum(w * y), torch autograd through keras.activations."""
    t = torch.tensor(x, requires_grad=True)
    y = fn(t, **kwargs)
    y.backward(torch.from_numpy(np.cos(np.arange(y.numel(), dtype="float32")).reshape(tuple(y.shape))))
    return y.detach().numpy(), t.grad.numpy()


def _ours(fn, x, kwargs):
    t = Tensor(x, requires_grad=True)
    y = fn(t, **kwargs)
    y.backward(np.cos(np.arange(y.size, dtype="float32")).reshape(y.shape))
    return y.numpy(), t.grad


CALLS = [  # (name, keyword arguments): every activation Keras exports, with its own arguments
    ("relu", {}), ("relu", {"negative_slope": 0.5}), ("relu", {"max_value": 5.0}), ("relu", {"threshold": 2.25}),
    ("relu", {"max_value": 6.0}), ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 1.25}),
    ("relu", {"negative_slope": 0.2, "threshold": -1.25}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.01}), ("relu6", {}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("selu", {}), ("gelu", {}), ("gelu", {"approximate": True}), ("softplus", {}), ("softsign", {}),
    ("sigmoid", {}), ("hard_sigmoid", {}), ("tanh", {}), ("silu", {}), ("swish", {}), ("hard_silu", {}),
    ("hard_swish", {}), ("hard_tanh", {}), ("log_sigmoid", {}), ("mish", {}), ("exponential", {}),
    ("celu", {}), ("celu", {"alpha": 2.0}), ("squareplus", {}), ("squareplus", {"b": 1}),
    ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.25}), ("hard_shrink", {"threshold": 1.25}),
    ("tanh_shrink", {}), ("sparse_plus", {}), ("sparse_sigmoid", {}), ("threshold", {"threshold": 0.75,
                                                                                    "default_value": -1.0}),
    ("softmax", {}), ("softmax", {"axis": 0}), ("log_softmax", {}), ("glu", {"axis": 0}), ("linear", {}),
]


@pytest.mark.parametrize("name,kwargs", CALLS, ids=[f"{n}{k or ''}" for n, k in CALLS])
def test_function_matches_keras_values_and_gradients(name, kwargs):
    x = X.reshape(29, 1) if name == "glu" else X
    x = np.concatenate([x, x[:1]], 0) if name == "glu" else x  # glu halves an even axis
    ours, theirs = _ours(getattr(activations, name), x, kwargs), _keras(getattr(keras.activations, name), x, kwargs)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6, err_msg=f"{name} value")
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-5, err_msg=f"{name} gradient")


def test_functions_take_arrays_lists_and_tensors():
    for x in (X, X.tolist(), Tensor(X)):
        y = activations.relu(x, max_value=3.0)
        assert isinstance(y, Tensor) and y.dtype == np.float32 and float(y.numpy().max()) == 3.0
    assert activations.linear(X) is X


def test_every_keras_activation_name_is_known_or_listed_as_left_out():
    left_out = {"sparsemax"}  # Keras 3.15's own sparsemax does not sum to 1; not copied
    known = {n for n in dir(keras.activations) if not n.startswith("_")} - {"get", "serialize", "deserialize"}
    assert known - left_out <= set(dir(activations))


@pytest.mark.parametrize("name", sorted(activations.ALL))
def test_names_round_trip_as_keras_writes_them(name):
    fn = activations.get(name)
    assert callable(fn) and activations.get(fn) is fn
    written = activations.serialize(fn)
    assert written == keras.activations.serialize(keras.activations.get(name))
    assert activations.deserialize(written) is fn
    assert activations.get({"module": "keras.activations", "class_name": "function", "config": written,
                            "registered_name": None}) is fn


def test_get_and_deserialize_errors_and_custom_objects():
    assert activations.get(None) is activations.linear
    with pytest.raises(ValueError, match="Unknown activation 'rellu'. Did you mean 'relu'"):
        activations.get("rellu")

    def custom(x):
        return x
    assert activations.deserialize("custom", custom_objects={"custom": custom}) is custom
    assert activations.serialize(custom) == "custom"


@pytest.mark.parametrize("activation", ["relu", activations.relu, ops.relu, "tanh", ops.tanh])
def test_dense_still_fuses_relu_and_tanh_given_by_name_or_function(activation):
    assert activations.fused_name(activations.get(activation)) in ("relu", "tanh")
    layer = striate.layers.Dense(3, activation=activation)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    y = layer(x)
    expected = getattr(np, "tanh" if "tanh" in str(activation) else "maximum")
    raw = x @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), expected(raw) if expected is np.tanh else np.maximum(raw, 0), rtol=1e-5)
    assert activations.fused_name(activations.relu6) is None


def test_relu_with_arguments_is_not_fused_into_dense():
    layer = striate.layers.Dense(3, activation=lambda x: activations.relu(x, max_value=0.1))
    y = layer(np.random.default_rng(1).standard_normal((4, 5)).astype("float32") * 10)
    assert float(y.numpy().max()) <= 0.1 + 1e-7
