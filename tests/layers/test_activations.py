"""layers/activations.py: ReLU, LeakyReLU, PReLU, ELU and Softmax against Keras 3."""
import numpy as np
import pytest

from striate import layers

from .layercheck import check_same


@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 6.0}, {"max_value": 1.5}, {"negative_slope": 0.1}, {"threshold": 0.5},
    {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.3}, {"negative_slope": 0.1, "max_value": 6.0},
])
def test_relu_matches_keras(kwargs):
    check_same("ReLU", (3, 4, 5), **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.05}])
def test_leaky_relu_matches_keras(kwargs):
    check_same("LeakyReLU", (3, 7), **kwargs)


def test_leaky_relu_defaults_and_keras2_alpha():
    assert layers.LeakyReLU().negative_slope == 0.3
    with pytest.warns(DeprecationWarning, match="alpha is deprecated"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1 and layer.get_config()["negative_slope"] == 0.1


@pytest.mark.parametrize("shape, kwargs", [
    ((3, 6), {}),
    ((2, 4, 5, 3), {"shared_axes": [1, 2]}),
    ((2, 4, 3), {"shared_axes": 1, "alpha_initializer": "ones"}),
])
def test_prelu_matches_keras(shape, kwargs):
    check_same("PReLU", shape, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.5}])
def test_elu_matches_keras(kwargs):
    check_same("ELU", (3, 6), **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"axis": (1, 2)}])
def test_softmax_matches_keras(kwargs):
    check_same("Softmax", (2, 3, 4), **kwargs)


def test_relu_values():
    x = np.array([[-2.0, -0.5, 0.5, 3.0, 8.0]], "float32")
    y = layers.ReLU(max_value=6.0, negative_slope=0.5, threshold=1.0)(x).numpy()
    np.testing.assert_allclose(y, [[-1.5, -0.75, -0.25, 3.0, 6.0]])


@pytest.mark.parametrize("make, message", [
    (lambda: layers.ReLU(max_value=-1.0), r"ReLU: max_value must be a non-negative number, received -1.0"),
    (lambda: layers.ReLU(negative_slope=None), r"ReLU: negative_slope must be a non-negative number"),
    (lambda: layers.LeakyReLU(-0.1), r"LeakyReLU: negative_slope must be a non-negative number"),
    (lambda: layers.PReLU(shared_axes=[0]), r"PReLU: shared_axes must be axes >= 1"),
    (lambda: layers.Softmax(axis="last"), r"Softmax: axis must be an int or a tuple of ints"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_prelu_checks_its_inputs():
    prelu = layers.PReLU(name="prelu")
    prelu(layers.Input(shape=(4, 3)))
    with pytest.raises(ValueError, match=r"PReLU 'prelu' expects inputs with axis 2 of size 3, received shape "
                                         r"\(None, 4, 5\)"):
        prelu(layers.Input(shape=(4, 5)))
