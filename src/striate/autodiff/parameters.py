"""ParameterStore: where the trainable weights' values and gradients live during training.

Where a weight's gradient goes: ``fit`` makes one store for the model's trainable variables. Each
variable's value (``.data``) becomes a view of the store's flat ``values`` array, and each has a view of
the flat ``gradients`` array. ``store.backward(loss)`` lends each variable its gradient view as
``Variable.grad_buffer`` for one backward pass: an op that computes a weight's gradient asks the tape
for that buffer (``Function.grad_buffer``) and writes the gradient there; where no op did, the tape
copies the gradient there. After the pass ``gradients`` holds every weight's gradient end to end, and
an optimizer updates ``values`` from it in one array call per operation (``Optimizer.apply_store``).
No op knows about optimizers, and the optimizer knows only the store.
"""
from striate import backend


class ParameterStore:
    """The values and gradients of a list of variables, each as views of one flat array.

    Variables of the store's dtype (the first floating-point variable's) get a slot; any other (another
    precision, an integer counter) keeps its own array and gets its gradient where the tape puts it.

    Args:
        variables: the :class:`~striate.autodiff.Variable` s, in the order their slots take in the
            flat arrays (a model's ``trainable_weights``).

    Attributes:
        variables: the variables, in order.
        values: the flat array the slotted variables' values are views of.
        gradients: the flat array of their gradients, filled by :meth:`backward`.
        value_views, gradient_views: per variable, its view of ``values`` and of ``gradients`` (None
            for a variable without a slot).

    Example:
        >>> from striate.autodiff import Variable
        >>> from striate.autodiff.parameters import ParameterStore
        >>> w, b = Variable(np.ones((2, 2)), name="w"), Variable(np.zeros(2), name="b")
        >>> store = ParameterStore([w, b])
        >>> store.values.shape, w.data.base is store.values
        ((6,), True)
        >>> grads = store.backward((w.sum() + 3 * b.sum()))
        >>> store.gradients
        array([1., 1., 1., 1., 3., 3.], dtype=float32)
        >>> grads[1] is store.gradient_views[1]
        True
    """

    def __init__(self, variables):
        self.variables = list(variables)
        kinds = [v.data.dtype for v in self.variables if v.data.dtype.kind == "f"]
        dtype = kinds[0] if kinds else backend.floatx()
        slotted = [v for v in self.variables if v.data.dtype == dtype]
        self.values = join(slotted, dtype)
        self.gradients = backend.xp().empty(self.values.size, dtype)
        views = iter(split(self.gradients, slotted))
        self.value_views = [v.data if v.data.dtype == dtype else None for v in self.variables]
        self.gradient_views = [next(views) if view is not None else None for view in self.value_views]

    @property
    def complete(self):
        """Whether every variable has a slot (then ``gradients`` can hold all of their gradients)."""
        return all(view is not None for view in self.value_views)

    def holds(self, variables):
        """Whether ``variables`` are this store's, in its order, each slotted one still a view of ``values``.

        Args:
            variables: a list of variables.

        Returns:
            False once the list changed (a layer frozen or added) or a value was moved elsewhere.
        """
        return len(variables) == len(self.variables) and all(
            v is mine and (view is None or (v.data is view and view.base is self.values))
            for v, mine, view in zip(variables, self.variables, self.value_views))

    def backward(self, loss):
        """Backpropagate ``loss`` so that each variable's gradient lands in its view of ``gradients``.

        Gradients left on the variables from before are dropped first.

        Args:
            loss: a scalar :class:`~striate.autodiff.Tensor` computed from the variables.

        Returns:
            Per variable, its gradient (for a slotted one, its view of ``gradients``), or None where the
            loss does not depend on it.
        """
        for v, buffer in zip(self.variables, self.gradient_views):
            v.grad = None
            v.grad_buffer = buffer
        try:
            loss.backward()
        finally:
            for v in self.variables:
                v.grad_buffer = None
        return [v.grad for v in self.variables]

    def set_gradients(self, grads):
        """Copy ``grads`` (one array per variable, every variable slotted) into ``gradients``.

        Args:
            grads: arrays of the variables' shapes; one that is a gradient view already is not copied.

        Returns:
            ``gradients``.
        """
        if not any(g is view for g, view in zip(grads, self.gradient_views)):
            return backend.xp().concatenate([g.reshape(-1) for g in grads], out=self.gradients)
        for g, view in zip(grads, self.gradient_views):
            if g is not view:
                view[...] = g
        return self.gradients


def join(variables, dtype):
    """Move the values of ``variables`` into one new flat array of ``dtype`` and make each a view of it.

    Args:
        variables: Variables whose ``.data`` is replaced by a view (same values, same shape).
        dtype: the flat array's dtype.

    Returns:
        The flat array.

    Example:
        >>> from striate.autodiff import Variable
        >>> a, b = Variable(np.ones(2)), Variable(np.zeros((1, 2)))
        >>> join([a, b], "float32")
        array([1., 1., 0., 0.], dtype=float32)
    """
    flat = backend.xp().empty(sum(v.data.size for v in variables), dtype)
    for v, view in zip(variables, split(flat, variables)):
        view[...] = v.data
        v.data = view
    return flat


def split(flat, variables):
    """Views of the flat array ``flat``, one per variable in order, each of that variable's shape.

    Args:
        flat: a 1-D array at least as long as the variables' sizes together.
        variables: anything with ``.data`` (for its size and shape).

    Returns:
        A list of views.

    Example:
        >>> from striate.autodiff import Variable
        >>> [view.shape for view in split(np.arange(6.0), [Variable(np.ones(2)), Variable(np.ones((2, 2)))])]
        [(2,), (2, 2)]
    """
    views, start = [], 0
    for v in variables:
        views.append(flat[start:start + v.data.size].reshape(v.data.shape))
        start += v.data.size
    return views
