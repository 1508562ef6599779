"""Reverse-mode automatic differentiation: Tensor, Function, no_grad, grad."""
from striate.autodiff.function import Function
from striate.autodiff.functional import grad, value_and_grad
from striate.autodiff.tensor import Tensor, is_grad_enabled, no_grad, unbroadcast
from striate.autodiff.variable import Variable

__all__ = ["Tensor", "Function", "no_grad", "is_grad_enabled", "grad", "value_and_grad", "unbroadcast", "Variable"]
