"""The shared layer test: a striate layer against the same Keras 3 layer (Keras's run_layer_test).

``check_layer(make_striate, make_keras, input_shape)`` builds both layers, then checks, in order:

1. symbolic calls on ``Input`` (batch ``None``) and ``compute_output_shape`` agree with Keras;
2. the same weights: names, shapes, trainability and order as Keras's, and the same ``count_params``;
3. with Keras's weights set to random values and copied over with ``set_weights``, the same outputs
   on the same random float32 batch (within ``fwd_tol`` of the largest magnitude), of the symbolic shape;
4. the same gradients of ``sum(w * y)`` with respect to the inputs and every trainable weight,
   striate's autodiff against torch autograd through the Keras layer (Keras runs on its torch backend);
5. the same non-trainable weights afterwards (BatchNormalization's moving statistics);
6. ``get_config``: JSON-able, with Keras's keys and equal simple values, and a round trip through JSON
   and ``from_config`` gives the same config and, with the same weights, the same outputs.

A layer's own test is then one line: ``check_same("Conv2D", (2, 7, 7, 3), 4, 3, padding="same")``.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import striate  # noqa: E402
from opcheck import rel_err  # noqa: E402
from striate.autodiff import Tensor  # noqa: E402

torch.set_num_threads(1)
BASE_KEYS = {"name", "trainable", "dtype"}  # Layer's own keys: Keras writes dtype as a DTypePolicy
NOT_SUPPORTED = {"quantization_config", "lora_rank", "lora_alpha"}  # Keras features striate leaves out


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _plain(value):
    """A config value in JSON's terms (tuples are lists), for comparing."""
    return json.loads(json.dumps(value))


def random_weights(layer, rng):
    """Random values for a Keras layer's weights: positive for variances, else normal."""
    return [rng.uniform(0.5, 1.5, v.shape).astype("float32") if "variance" in v.name
            else (rng.standard_normal(v.shape) * 0.5).astype("float32") for v in layer.weights]


def check_layer(make_striate, make_keras, input_shape, training=False, fwd_tol=1e-5, grad_tol=1e-4,
                config_ignore=(), seed=0):
    """Check a striate layer against a Keras layer; return the striate layer and its output.

    Args:
        make_striate / make_keras: functions returning a new, unbuilt layer.
        input_shape: the batch's shape, batch axis included; a list of shapes for several inputs.
        training: the ``training`` argument of the calls.
        config_ignore: Keras config keys striate may lack for this layer.
    """
    rng = np.random.default_rng(seed)
    many = isinstance(input_shape, list)
    shapes = _as_list(input_shape) if many else [input_shape]
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    layer, klayer = make_striate(), make_keras()

    # 1. symbolic calls and shape inference, batch None
    sym_in = [striate.Input(shape=s[1:]) for s in shapes]
    k_in = [keras.Input(shape=s[1:]) for s in shapes]
    sym = layer(sym_in if many else sym_in[0])
    ksym = klayer(k_in if many else k_in[0])
    none_batch = [(None,) + tuple(s[1:]) for s in shapes]
    assert tuple(sym.shape) == tuple(ksym.shape), f"symbolic output shape {sym.shape}, Keras {ksym.shape}"
    arg = none_batch if many else none_batch[0]
    inferred, kinferred = layer.compute_output_shape(arg), klayer.compute_output_shape(arg)
    assert tuple(inferred) == tuple(kinferred), f"compute_output_shape gave {inferred}, Keras {kinferred}"

    # 2. the same weights
    ours = [(v.name, tuple(v.shape), bool(v.trainable)) for v in layer.weights]
    theirs = [(v.name, tuple(v.shape), bool(v.trainable)) for v in klayer.weights]
    assert ours == theirs, f"weights (name, shape, trainable):\n  striate {ours}\n  keras   {theirs}"
    assert layer.count_params() == klayer.count_params()

    # 3. the same outputs for the same weights
    weights = random_weights(klayer, rng)
    klayer.set_weights(weights)
    layer.set_weights(weights)
    xt = [torch.tensor(x, requires_grad=True) for x in xs]
    yk = klayer(xt if many else xt[0], training=training)
    xs_t = [Tensor(x, requires_grad=True) for x in xs]
    y = layer(xs_t if many else xs_t[0], training=training)
    assert y.dtype == np.float32, f"float32 inputs gave a {y.dtype} output"
    assert tuple(y.shape[1:]) == tuple(sym.shape[1:]), \
        f"output shape {y.shape} does not match the symbolic shape {sym.shape}"
    err = rel_err(y.numpy(), yk.detach().numpy())
    assert err <= fwd_tol, f"output differs from Keras: relative error {err:.2e}"

    # 4. the same gradients, inputs and trainable weights
    trainable = [(v, kv) for v, kv in zip(layer.weights, klayer.weights) if v.trainable]
    if y.requires_grad:
        w = rng.standard_normal(y.shape).astype("float32")
        for v, _ in trainable:
            v.grad = None
        y.backward(w)
        yk.backward(torch.from_numpy(w))
        for i, (a, b) in enumerate(zip(xs_t, xt)):
            err = rel_err(a.grad, b.grad.numpy())
            assert err <= grad_tol, f"input {i}: gradient differs from torch autograd, relative error {err:.2e}"
        for v, kv in trainable:
            assert v.grad is not None, f"weight {v.path} got no gradient"
            err = rel_err(v.grad, kv.value.grad.numpy())
            assert err <= grad_tol, f"weight {v.path}: gradient differs from torch autograd, relative error {err:.2e}"

    # 5. the same state afterwards (moving statistics)
    for v, kv in zip(layer.weights, klayer.weights):
        err = rel_err(v.numpy(), keras.ops.convert_to_numpy(kv.value))
        assert err <= fwd_tol, f"weight {v.path} after the call differs from Keras: relative error {err:.2e}"

    # 6. config: JSON, Keras's keys and values, round trip
    config = layer.get_config()
    text = json.dumps(config)
    kconfig = klayer.get_config()
    missing = set(kconfig) - set(config) - NOT_SUPPORTED - set(config_ignore)
    assert not missing, f"get_config lacks Keras's keys {sorted(missing)}"
    for key in set(kconfig) & set(config) - BASE_KEYS:
        if not isinstance(kconfig[key], dict):
            assert _plain(config[key]) == _plain(kconfig[key]), \
                f"config[{key!r}] is {config[key]!r}, Keras has {kconfig[key]!r}"
    clone = type(layer).from_config(json.loads(text))
    assert _plain(clone.get_config()) == _plain(config), "from_config(get_config()) changed the config"
    clone(xs if many else xs[0])
    clone.set_weights(layer.get_weights())
    a, b = layer(xs if many else xs[0]), clone(xs if many else xs[0])
    assert np.array_equal(a.numpy(), b.numpy()), "the layer rebuilt from its config computes something else"
    return layer, y


def check_same(name, input_shape, *args, training=False, fwd_tol=1e-5, grad_tol=1e-4, config_ignore=(),
               **kwargs):
    """``check_layer`` for the layer called ``name`` in both libraries, made with the same arguments."""
    return check_layer(lambda: getattr(striate.layers, name)(*args, **kwargs),
                       lambda: getattr(keras.layers, name)(*args, **kwargs), input_shape, training=training,
                       fwd_tol=fwd_tol, grad_tol=grad_tol, config_ignore=config_ignore)
