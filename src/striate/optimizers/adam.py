"""Adam and AdamW: adaptive moment estimation, with coupled-free (decoupled) weight decay for AdamW."""
import math

from striate.backend import accel
from striate.backend.blas import axpby, axpy
from striate.optimizers.optimizer import Optimizer


def update_moments(xp, gradient, m, v, beta_1, beta_2, scratch):
    """``m = beta_1 * m + (1 - beta_1) * g`` and ``v = beta_2 * v + (1 - beta_2) * g**2``, in place."""
    axpby(xp, 1 - beta_1, gradient, beta_1, m, scratch)
    xp.square(gradient, out=scratch)  # NOTE: square reads g once, multiply(g, g) twice
    axpby(xp, 1 - beta_2, scratch, beta_2, v, scratch)


def bias_correction(beta_1, beta_2, step):
    """``sqrt(1 - beta_2**step) / (1 - beta_1**step)``, in float64 from the betas as given.

    NOTE: Keras rounds ``beta_2`` to float32 before taking the power, and ``1 - float32(0.999)`` is
    ``0.00099998713``: 1.3e-5 off the ``1 - beta_2`` that scales the second moment, a mismatch that
    shrinks every float32 step by a factor ``1 - 6.4e-6`` (the float64 run has no such mismatch). Here
    the powers are taken in float64 and the caller rounds the learning rate times this factor once.

    Args:
        beta_1, beta_2: the moments' decay rates.
        step: the 1-based step.

    Returns:
        A Python float.

    Example:
        >>> round(bias_correction(0.9, 0.999, 1), 6)
        0.316228
    """
    return math.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014): SGD with running estimates of the gradient's first and second moments.

    With ``t`` the 1-based step, ``m`` and ``v`` the moment estimates (see ``update_moments``),
    ``w -= alpha * (m / (sqrt(v) + epsilon))`` where the bias corrections fold into one scalar,
    ``alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, taken in float64 (see
    :func:`bias_correction`) and rounded once to the weights' dtype.

    Args:
        learning_rate: a float or a schedule. Defaults to 0.001.
        beta_1: decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: small constant for numerical stability (the "epsilon hat" of the paper's section 2.1).
            Defaults to 1e-7.
        amsgrad: use the AMSGrad variant (Reddi et al., 2018), dividing by the running maximum of ``v``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    Example:
        >>> optimizer = keras.optimizers.Adam(learning_rate=1e-3, amsgrad=True)
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
        >>> model.compile(optimizer=optimizer, loss="categorical_crossentropy")
        >>> model.optimizer is optimizer
        True
    """

    _elementwise = True
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _build_slots(self, variables):
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat") if self.amsgrad else []

    def _begin_step(self, lr, step, r):
        return r(lr * bias_correction(self.beta_1, self.beta_2, step))

    def _update_step(self, xp, gradient, weight, slots, scratch, alpha):
        step, denominator = scratch
        m, v = slots["momentum"], slots["velocity"]
        kernels = None if self.amsgrad else accel.kernels_for(gradient, weight, m, v)
        if kernels is not None:
            f32 = xp.float32  # striate[fast]: one pass, the same float32 roundings as below
            kernels.adam(gradient.reshape(-1), weight.reshape(-1), m.reshape(-1), v.reshape(-1), f32(self.beta_1),
                         f32(1 - self.beta_1), f32(self.beta_2), f32(1 - self.beta_2), f32(alpha), f32(self.epsilon))
            return
        # NOTE: NumPy alone: 7 passes; sqrt and divide are bound by arithmetic, the rest by memory.
        # Cache-sized chunks, the decay on BLAS's threads and a single scratch array were tried and
        # were no faster (benchmarks/NOTES.md).
        update_moments(xp, gradient, m, v, self.beta_1, self.beta_2, step)
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=denominator)
        denominator += self.epsilon
        ratio = xp.divide(m, denominator, out=denominator)
        axpy(xp, -alpha, ratio, weight, step)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step every updated variable shrinks: ``w -= w * weight_decay * learning_rate``.

    Args:
        learning_rate: a float or a schedule. Defaults to 0.001.
        weight_decay: the decay rate; required. Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: see :class:`Adam`.
        clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    Example:
        >>> optimizer = AdamW(learning_rate=1e-3, weight_decay=0.01)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        if self.weight_decay is None:
            raise ValueError("AdamW expects `weight_decay` a float, received weight_decay=None")
