"""Variable: a named, stateful leaf Tensor (a layer's weight, an optimizer's slot)."""
from striate import backend
from striate.autodiff.tensor import Tensor


class Variable(Tensor):
    """A weight: a leaf Tensor whose value is updated in place.

    Args:
        initializer: an array, or a callable ``(shape, dtype) -> array``.
        shape: needed when ``initializer`` is a callable.
        dtype: defaults to ``floatx()``.
        trainable: whether training computes its gradient and updates it.
        name: e.g. ``'kernel'``.

    Example:
        >>> from striate.autodiff import Variable
        >>> v = Variable(np.zeros((2, 2)), name="kernel")
        >>> v.assign(np.ones((2, 2)))
        >>> v
        <Variable path=kernel, shape=(2, 2), dtype=float32>
        >>> v.numpy()
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    # NOTE: ``grad_buffer``: where the backward pass puts this variable's gradient (``.grad`` is then
    # this array), or None for a new array. A ParameterStore lends it a view of the store's flat
    # gradients for the length of one pass (see ``striate.autodiff.parameters``).
    __slots__ = ("trainable", "path", "regularizer", "constraint", "grad_buffer")

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None, regularizer=None,
                 constraint=None):
        dtype = dtype or backend.floatx()
        value = initializer(shape, dtype) if callable(initializer) else initializer
        super().__init__(value, dtype=dtype, name=name)
        if shape is not None and tuple(self.data.shape) != tuple(shape):
            raise ValueError(f"Variable '{name}': initial value has shape {self.data.shape}, expected {tuple(shape)}")
        self.data = backend.xp().array(self.data, copy=True)  # own its memory: updates happen in place
        self.trainable = trainable
        self.requires_grad = trainable and self.data.dtype.kind == "f"
        self.path = name
        self.regularizer = regularizer
        self.constraint = constraint
        self.grad_buffer = None

    def assign(self, value):
        """Overwrite the value in place (keeps every reference to this variable valid)."""
        value = value.data if isinstance(value, Tensor) else backend.asarray(value, self.data.dtype)
        if value.shape != self.data.shape:
            raise ValueError(f"Variable '{self.path}' has shape {self.data.shape}, cannot assign a value of shape "
                             f"{value.shape}")
        self.data[...] = value

    def assign_add(self, delta):
        self.data += delta.data if isinstance(delta, Tensor) else delta

    def assign_sub(self, delta):
        self.data -= delta.data if isinstance(delta, Tensor) else delta

    @property
    def value(self):
        return self.data

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"
