"""The tape: accumulation, no_grad, value_and_grad, deep graphs, bad input."""
import numpy as np
import pytest

import striate
from striate import ops
from striate.autodiff import Tensor, no_grad


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [2 + 3, 4 + 3])


def test_shared_subexpression_gets_both_paths():
    x = Tensor([3.0], requires_grad=True)
    y = x * x
    (y + y * x).sum().backward()  # d/dx (x^2 + x^3) = 2x + 3x^2
    np.testing.assert_allclose(x.grad, [6 + 27])


def test_no_grad_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2.0
    assert not y.requires_grad and y._ctx is None
    z = Tensor([1.0]) * 2.0  # no input needs a gradient: nothing recorded either
    assert z._ctx is None


def test_deep_graph_does_not_hit_recursion_limit():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1e-3
    y.sum().backward()
    assert x.grad[0] == 1.0


def test_value_and_grad_and_grad():
    f = striate.value_and_grad(lambda a, b: ops.sum(a * b), argnums=(0, 1))
    v, (ga, gb) = f(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert float(v) == 11.0
    np.testing.assert_allclose(ga, [3, 4])
    np.testing.assert_allclose(gb, [1, 2])
    g = striate.grad(lambda a: ops.sum(ops.exp(a)))(np.zeros(3, np.float32))
    assert g.dtype == np.float32 and np.allclose(g, 1)


def test_float32_stays_float32_with_python_scalars():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = (x * 2.5 + 1.0) / 3.0 - 0.5
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32


def test_backward_on_non_scalar_says_so():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"needs a scalar tensor, received shape \(2,\)"):
        (x * 2.0).backward()


def test_integer_tensors_cannot_be_differentiated():
    with pytest.raises(TypeError, match="dtype int64 cannot require a gradient"):
        Tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match="argument 0 has dtype int64"):
        striate.grad(lambda a: ops.sum(a))(np.array([1, 2]))


def test_numpy_array_on_the_left_defers_to_tensor():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = np.full(2, 3.0, np.float32) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3])


def test_seed_makes_random_repeatable():
    striate.utils.set_random_seed(7)
    a = striate.backend.rng().random(5)
    striate.utils.set_random_seed(7)
    assert (a == striate.backend.rng().random(5)).all()
