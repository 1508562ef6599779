"""Function: the base of every op. Forward and backward are written side by side."""
from striate import backend
from striate.autodiff.tensor import Tensor, _grad_enabled


class Function:
    """One differentiable operation.

    Subclasses take non-tensor settings (axis, strides, ...) in ``__init__`` and
    implement ``forward(xp, *arrays)`` and ``backward(xp, grad_output)``, both on raw
    arrays of the array module ``xp``. ``backward`` returns one gradient per input
    (``None`` where an input needs none), in the broadcast shape if it likes: the
    backward walk undoes broadcasting. Calling an instance on Tensors or arrays runs
    forward and, when any input requires a gradient, records the op on the tape. An instance
    keeps what its backward needs, so it is used for one call only: make a new one per call.

    Example:
        >>> class Mul(Function):
        ...     def forward(self, xp, a, b):
        ...         self.saved = (a, b)
        ...         return a * b
        ...     def backward(self, xp, gy):
        ...         a, b = self.saved
        ...         return gy * b, gy * a
        >>> Mul()(Tensor([2.0], requires_grad=True), 3.0)
    """

    parents = ()

    def __call__(self, *inputs):
        arrays = []
        record = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                record = record or x.requires_grad
            elif x is None or isinstance(x, (int, float, bool)) or hasattr(x, "dtype"):
                arrays.append(x)  # Python scalars stay weak: float32 * 2.0 stays float32
            else:
                arrays.append(backend.asarray(x))
        out = self.forward(backend.xp(), *arrays)
        if record and _grad_enabled[0]:
            self.needs_grad = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
            self.parents = tuple(x if n else None for x, n in zip(inputs, self.needs_grad))
            return Tensor._make(out, self)
        return Tensor._make(out, None)

    def forward(self, xp, *arrays):
        raise NotImplementedError

    def backward(self, xp, grad_output):
        raise NotImplementedError
