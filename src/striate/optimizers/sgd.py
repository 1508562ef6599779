"""SGD: stochastic gradient descent, with optional (Nesterov) momentum."""
import numbers

from striate.backend.blas import axpby, axpy
from striate.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: ``w -= learning_rate * g``. With momentum:
    ``m = momentum * m - learning_rate * g; w += m``, or with ``nesterov=True``
    ``w += momentum * m - learning_rate * g`` (``m`` already updated).

    Args:
        learning_rate: a float or a schedule. Defaults to 0.01.
        momentum: a float in [0, 1] that accelerates descent along consistent directions and damps
            oscillations. Defaults to 0.0 (plain gradient descent, no momentum slots).
        nesterov: use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    Example:
        >>> optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=optimizer, loss="mse")
        >>> model.optimizer is optimizer
        True
    """

    _elementwise = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD expects `momentum` a float in [0, 1], received momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def _build_slots(self, variables):
        self._momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum != 0 else []

    def _update_step(self, xp, gradient, weight, slots, scratch, lr):
        (step,) = scratch
        if not self._momentums:
            axpy(xp, -lr, gradient, weight, step)
            return
        m = slots["momentum"]
        axpby(xp, -lr, gradient, self.momentum, m, step)
        if self.nesterov:
            axpy(xp, -lr, gradient, weight, step)
            axpy(xp, self.momentum, m, weight, step)
        else:
            weight += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
