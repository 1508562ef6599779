"""Nadam: Adam with Nesterov momentum."""
from striate.optimizers.adam import update_moments
from striate.optimizers.optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam (Dozat, 2015): Adam whose first moment looks one step ahead, Nesterov style.

    The momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and its running product weigh the
    updated first moment and the current gradient:
    ``m_hat = u_{t+1} * m / (1 - prod u_{..t+1}) + (1 - u_t) * g / (1 - prod u_{..t})``,
    ``v_hat = v / (1 - beta_2**t)``, ``w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)``.

    Args:
        learning_rate: a float or a schedule. Defaults to 0.001.
        beta_1: decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: small constant for numerical stability. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see :class:`Optimizer`.

    Example:
        >>> optimizer = Nadam(learning_rate=2e-3)
    """

    _elementwise = True
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _build_slots(self, variables):
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        dtype = variables[0].dtype if variables else None
        self._u_product = self.add_variable((), 1.0, dtype, "u_product")

    def _begin_step(self, lr, step, r):
        beta_1, decay = r(self.beta_1), r(0.96)
        u_t = r(beta_1 * r(1.0 - r(0.5 * r(decay ** step))))
        u_next = r(beta_1 * r(1.0 - r(0.5 * r(decay ** (step + 1)))))
        u_product = r(float(self._u_product.data) * u_t)
        self._u_product.data[...] = u_product
        u_product_next = r(u_product * u_next)
        # NOTE: the learning rate and both bias corrections fold into one factor per term of m_hat.
        m_factor = r(lr * u_next / r(1.0 - u_product_next))
        g_factor = r(lr * r(1.0 - u_t) / r(1.0 - u_product))
        # NOTE: 1 - beta_2**t from the float64 beta_2, as in Adam's bias_correction
        return m_factor, g_factor, r(1.0 - self.beta_2 ** step)

    def _update_step(self, xp, gradient, weight, slots, scratch, constants):
        m_factor, g_factor, v_correction = constants
        step, denominator = scratch
        m, v = slots["momentum"], slots["velocity"]
        update_moments(xp, gradient, m, v, self.beta_1, self.beta_2, step)
        xp.multiply(gradient, g_factor, out=step)
        xp.multiply(m, m_factor, out=denominator)
        step += denominator
        xp.divide(v, v_correction, out=denominator)
        xp.sqrt(denominator, out=denominator)
        denominator += self.epsilon
        step /= denominator
        weight -= step

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
