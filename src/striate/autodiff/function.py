"""Function: the base of every op. Forward and backward are written side by side."""
from striate import backend
from striate.autodiff.tensor import Tensor, _claimed, _grad_enabled


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
        >>> from striate.autodiff import Function, Tensor
        >>> class Mul(Function):
        ...     def forward(self, xp, a, b):
        ...         self.saved = (a, b)
        ...         return a * b
        ...     def backward(self, xp, gy):
        ...         a, b = self.saved
        ...         return gy * b, gy * a
        >>> x = Tensor([2.0], requires_grad=True)
        >>> y = Mul()(x, 3.0)
        >>> y
        Tensor(array([6.], dtype=float32), requires_grad=True)
        >>> y.backward()
        >>> x.grad
        array([3.], dtype=float32)
    """

    parents = ()
    recording = True  # whether this call is recorded for backward (set before forward runs)

    def __call__(self, *inputs):
        # NOTE: this runs for every op of every step: one loop over the inputs (three list
        # comprehensions took 2.6x as long for an op of three inputs: each is a call).
        arrays, needs, parents, record = [], [], [], False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                needs.append(x.requires_grad)
                parents.append(x if x.requires_grad else None)
                record = record or x.requires_grad
            else:
                arrays.append(_raw(x))
                needs.append(False)
                parents.append(None)
        self.recording = record = record and _grad_enabled[0]  # forward may skip what only backward needs
        out = self.forward(backend.xp(), *arrays)
        if record:
            self.needs_grad, self.parents = needs, parents
            return Tensor._make(out, self)
        return Tensor._make(out, None)

    def grad_buffer(self, k):
        """The array to write the gradient of input ``k`` into, or None: then ``backward`` allocates one.

        Call it in ``backward``, only for an input whose gradient is needed. A weight lent a buffer
        for this pass (``Variable.grad_buffer``; see ``striate.autodiff.parameters``) offers it to the
        first op that asks: a weight used twice gets its second gradient in a new array, which the tape
        adds to the first. An op may ignore the offer: the tape then copies its result into the buffer.

        Args:
            k: the input's position in the call.

        Returns:
            An array of input ``k``'s shape and dtype, or None.
        """
        parent = self.parents[k]
        if parent is None or parent.grad_buffer is None or id(parent) in _claimed:
            return None
        _claimed.add(id(parent))
        return parent.grad_buffer

    def forward(self, xp, *arrays):
        raise NotImplementedError

    def backward(self, xp, grad_output):
        raise NotImplementedError


def _raw(x):
    """A non-Tensor input as forward sees it: Python scalars stay weak (float32 * 2.0 stays float32)."""
    if x is None or isinstance(x, (int, float, bool)) or hasattr(x, "dtype"):
        return x
    return backend.asarray(x)
