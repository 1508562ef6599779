"""Normalization layers: BatchNormalization, LayerNormalization."""
import warnings

from striate import constraints, initializers, ops, regularizers
from striate.layers.layer import InputSpec, Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    """Normalize each channel to zero mean and unit variance, then scale by gamma and shift by beta.

    In training (``training=True`` and the layer trainable) it uses the batch's own statistics and
    moves the running ones towards them: ``moving = moving * momentum + batch * (1 - momentum)``.
    Otherwise (evaluate, predict, or ``layer.trainable = False``, as in Keras 3 fine-tuning) it uses
    the moving statistics.

    Args:
        axis: the channel axis (default -1, the last).
        momentum: of the moving averages; default 0.99.
        epsilon: added to the variance; default 1e-3.
        center / scale: whether to learn beta / gamma.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer,
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: as Keras.

    Weights, in Keras's order: gamma, beta (trainable), moving_mean, moving_variance (not trainable).

    Example:
        >>> import striate as keras
        >>> model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(32, 3, use_bias=False),
        ...                           keras.layers.BatchNormalization()])
        >>> [w.name for w in model.layers[-1].weights]
        ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, renorm=False, renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"BatchNormalization: axis must be an int, received {axis!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], received {momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, received {epsilon!r}")
        if renorm:
            raise ValueError("BatchNormalization: renorm=True (batch renormalization) is not supported")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.synchronized = bool(synchronized)  # one device: nothing to synchronize
        self.renorm_clipping, self.renorm_momentum = renorm_clipping, renorm_momentum
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = constraints.get(beta_constraint), constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} is out of range for inputs of "
                             f"shape {tuple(input_shape)}")
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"BatchNormalization '{self.name}': the channel axis {self.axis} of the input shape "
                             f"{tuple(input_shape)} must be known")
        shape = (channels,)
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape,
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})

    def call(self, inputs, training=False):
        return self.normalize(inputs, training)

    def normalize(self, inputs, training=False, relu=False):
        """``call``'s output, or with ``relu`` its ReLU, computed in the same op (models/fusion.py asks
        for it where a ReLU layer follows).

        Args:
            inputs: the input tensor, checked against the layer's input spec.
            training: as ``call``'s.
            relu: whether to return the ReLU of the normalized inputs.

        Returns:
            A tensor of the inputs' shape.

        Example:
            >>> import striate as keras
            >>> layer = keras.layers.BatchNormalization(epsilon=3.0)
            >>> layer.build((None, 1))   # moving mean 0 and variance 1: (x - 0) / sqrt(1 + 3)
            >>> layer.normalize(keras.ops.convert_to_tensor([[-1.0], [3.0]]), relu=True).numpy()
            array([[0. ],
                   [1.5]], dtype=float32)
        """
        if training and self.trainable:
            y, mean, variance = ops.batch_norm_train(inputs, self.gamma, self.beta, self.axis, self.epsilon, relu)
            m = self.momentum  # Keras's update, on the raw per-channel arrays: no ops, nothing recorded
            self.moving_mean.assign(self.moving_mean.data * m + mean.data * (1.0 - m))
            self.moving_variance.assign(self.moving_variance.data * m + variance.data * (1.0 - m))
            return y
        return ops.batch_normalization(inputs, self.moving_mean, self.moving_variance, self.axis, self.beta,
                                       self.gamma, self.epsilon, relu)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized, "renorm": False, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` by its own mean and variance (not the batch's), then scale
    by gamma and shift by beta, as Keras: the same in training and inference.

    Args:
        axis: the axis or axes to normalize over (default -1, the features); gamma and beta have one
            value per element of them.
        epsilon: added to the variance; default 1e-3.
        center / scale: whether to learn beta / gamma.
        rms_scaling: Keras's deprecated setting (it warns): divide by the standard deviation without
            centering, and learn gamma only.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint,
        gamma_constraint: as Keras.

    Weights, in Keras's order: gamma, beta.

    Example:
        >>> import striate as keras
        >>> norm = keras.layers.LayerNormalization(axis=[1, 2, 3])
        >>> norm(keras.Input(shape=(20, 30, 40))).shape
        (None, 20, 30, 40)
        >>> norm.gamma.shape, norm.beta.shape
        ((20, 30, 40), (20, 30, 40))
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise ValueError(f"LayerNormalization: axis must be an int or a list of ints, received {axis!r}")
        if not epsilon > 0:
            raise ValueError(f"LayerNormalization: epsilon must be positive, received {epsilon!r}")
        if rms_scaling:
            warnings.warn("LayerNormalization: rms_scaling=True is deprecated in Keras: it scales the input by "
                          "the variance, not the root mean square", stacklevel=2)
        self.epsilon, self.center, self.scale, self.rms_scaling = float(epsilon), bool(center), bool(scale), \
            bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        # Keras keeps the axes as a sorted list once built (its config then shows the list)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        if not all(-ndim <= a < ndim for a in self.axis):
            raise ValueError(f"LayerNormalization '{self.name}': axis {self.axis} is out of range for inputs of "
                             f"shape {tuple(input_shape)}")
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(f"LayerNormalization '{self.name}': the normalized axes {self.axis} of the input shape "
                             f"{tuple(input_shape)} must be known")
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.input_spec = InputSpec(min_ndim=max(a + 1 if a >= 0 else -a for a in self.axis),
                                    axes=dict(zip(self.axis, shape)))

    def call(self, inputs):
        return ops.layer_normalization(inputs, self.gamma, self.beta, self.axis, self.epsilon,
                                       rms_scaling=self.rms_scaling)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}
