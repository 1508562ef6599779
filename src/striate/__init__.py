"""striate: a light, fast deep-learning library with the Keras API, on NumPy.

    import striate as keras
"""
from striate import backend, ops, utils
from striate.autodiff import Tensor, grad, no_grad, value_and_grad

__version__ = "0.1.0"
