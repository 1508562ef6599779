"""Adagrad: per-parameter learning rates scaled by the accumulated squared gradients."""
from striate.backend.blas import axpy
from striate.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): ``a += g**2; w -= learning_rate * g / sqrt(a + epsilon)``.

    Args:
        learning_rate: a float or a schedule. Defaults to 0.001.
        initial_accumulator_value: starting value of the accumulators ``a``; must be non-negative.
            Defaults to 0.1.
        epsilon: small constant for numerical stability. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    Example:
        >>> optimizer = Adagrad(learning_rate=0.01)
    """

    _elementwise = True
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _build_slots(self, variables):
        self._accumulators = self.add_optimizer_variables(variables, "accumulator", self.initial_accumulator_value)

    def _update_step(self, xp, gradient, weight, slots, scratch, lr):
        step, denominator = scratch
        a = slots["accumulator"]
        xp.square(gradient, out=step)
        a += step
        xp.add(a, self.epsilon, out=denominator)
        xp.sqrt(denominator, out=denominator)
        axpy(xp, -lr, xp.divide(gradient, denominator, out=denominator), weight, step)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
