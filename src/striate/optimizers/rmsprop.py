"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from striate.backend.blas import axpby, axpy
from striate.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012).

    ``v = rho * v + (1 - rho) * g**2``; the step is ``learning_rate * g / sqrt(v + epsilon)``, where
    ``centered=True`` subtracts the squared running mean of ``g`` from ``v`` first, and ``momentum > 0``
    accumulates steps (``m = momentum * m + step; w -= m``).

    Args:
        learning_rate: a float or a schedule. Defaults to 0.001.
        rho: discount factor of the gradient history. Defaults to 0.9.
        momentum: momentum of the steps. Defaults to 0.0.
        epsilon: small constant for numerical stability. Defaults to 1e-7.
        centered: normalize by the estimated variance of the gradient instead of its second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    Example:
        >>> optimizer = RMSprop(learning_rate=1e-3, rho=0.9, centered=True)
    """

    _elementwise = True
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _build_slots(self, variables):
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else []
        self._average_gradients = (self.add_optimizer_variables(variables, "average_gradient") if self.centered
                                   else [])

    def _update_step(self, xp, gradient, weight, slots, scratch, lr):
        step, denominator = scratch
        rho = self.rho
        v = slots["velocity"]
        xp.square(gradient, out=step)
        axpby(xp, 1 - rho, step, rho, v, step)
        xp.add(v, self.epsilon, out=denominator)
        if self.centered:
            mean = slots["average_gradient"]
            axpby(xp, 1 - rho, gradient, rho, mean, step)
            xp.square(mean, out=step)
            denominator -= step
        xp.sqrt(denominator, out=denominator)
        ratio = xp.divide(gradient, denominator, out=denominator)
        if self._momentums:
            m = slots["momentum"]
            axpby(xp, lr, ratio, self.momentum, m, step)
            weight -= m
        else:
            axpy(xp, -lr, ratio, weight, step)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
