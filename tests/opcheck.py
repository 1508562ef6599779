"""The shared op harness: every op is checked the same two ways.

(a) float64 central differences along random directions: for a random output
    cotangent w and input direction v, (L(x + eps v) - L(x - eps v)) / 2eps must equal
    <grad L(x), v>, where L(x) = sum(w * f(x)).
(b) float32 forward and backward against PyTorch autograd on the same inputs and the
    same cotangent: forward within 1e-5 and gradients within 1e-4, relative to the
    largest magnitude of PyTorch's result.

An op's own test is then one call: ``check_op(striate_fn, torch_fn, [x, w, ...])``.
"""
import numpy as np
import torch

from striate.autodiff import Tensor

torch.set_num_threads(1)


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, f"shape {a.shape} != expected {b.shape}"
    return float(np.max(np.abs(a - b), initial=0.0) / (np.max(np.abs(b), initial=0.0) + 1e-12))


def _run(fn, arrays, diff, dtype):
    ts = [Tensor(a.astype(dtype), requires_grad=(i in diff)) if a.dtype.kind == "f" else a
          for i, a in enumerate(arrays)]
    return fn(*ts), ts


def check_op(fn, torch_fn, arrays, diff=None, eps=1e-6, fwd_tol=1e-5, grad_tol=1e-4, seed=0):
    """Check ``fn`` (striate) against finite differences and ``torch_fn`` (PyTorch).

    Args:
        fn: takes Tensors/arrays in the order of ``arrays`` and returns a Tensor.
        torch_fn: the same computation on torch tensors (``None`` skips part (b)).
        arrays: float64 (or integer) NumPy inputs.
        diff: indices of the inputs to differentiate; default: every float input.
    """
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a) for a in arrays]
    diff = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if diff is None else list(diff)

    # (a) float64 gradient check along random directions
    y, ts = _run(fn, arrays, diff, np.float64)
    assert y.dtype == np.float64, f"float64 inputs gave a {y.dtype} output"
    w = rng.standard_normal(y.shape)
    y.backward(w)
    for _ in range(2):
        vs = {i: rng.standard_normal(arrays[i].shape) for i in diff}
        analytic = sum(float(np.sum(ts[i].grad * vs[i])) for i in diff)

        def loss(sign):
            shifted = [a + sign * eps * vs[i] if i in vs else a for i, a in enumerate(arrays)]
            out, _ = _run(fn, shifted, [], np.float64)
            return float(np.sum(w * out.numpy()))
        numeric = (loss(1) - loss(-1)) / (2 * eps)
        assert abs(numeric - analytic) <= 1e-5 * max(1.0, abs(numeric)), \
            f"gradient check: finite differences {numeric:.8g}, backward {analytic:.8g}"

    if torch_fn is None:
        return
    # (b) float32 forward and backward against PyTorch autograd
    y32, ts32 = _run(fn, arrays, diff, np.float32)
    assert y32.dtype == np.float32, f"float32 inputs gave a {y32.dtype} output"
    tt = [torch.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a, requires_grad=(i in diff))
          for i, a in enumerate(arrays)]
    yt = torch_fn(*tt)
    assert rel_err(y32.numpy(), yt.detach().numpy()) <= fwd_tol, \
        f"forward differs from PyTorch: relative error {rel_err(y32.numpy(), yt.detach().numpy()):.2e}"
    w32 = w.astype(np.float32)
    y32.backward(w32)
    yt.backward(torch.from_numpy(w32))
    for i in diff:
        assert ts32[i].grad.dtype == np.float32, f"input {i}: float32 gradient came back as {ts32[i].grad.dtype}"
        err = rel_err(ts32[i].grad, tt[i].grad.numpy())
        assert err <= grad_tol, f"input {i}: gradient differs from PyTorch, relative error {err:.2e}"
