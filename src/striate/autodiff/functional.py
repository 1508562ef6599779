"""JAX-style function transformations: grad and value_and_grad."""
from striate import backend
from striate.autodiff.tensor import Tensor


def value_and_grad(fn, argnums=0):
    """Return a function computing ``fn(*args)`` and its gradient with respect to ``args[argnums]``.

    Args:
        fn: a function of Tensors/arrays returning a scalar.
        argnums: an int, or a tuple of ints for several gradients.

    Returns:
        A function returning ``(value, grads)``, both as arrays; ``grads`` is a tuple when
        ``argnums`` is a tuple.

    Example:
        >>> f = value_and_grad(lambda x: (x * x).sum())
        >>> f(np.array([1.0, 2.0]))
        (array(5.), array([2., 4.]))
    """
    many = isinstance(argnums, (tuple, list))
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args, **kwargs):
        args = list(args)
        for i in nums:
            if i >= len(args):
                raise ValueError(f"argnums={argnums} names argument {i}, but the function got {len(args)}")
            data = args[i].data if isinstance(args[i], Tensor) else backend.asarray(args[i])
            if data.dtype.kind != "f":
                raise TypeError(f"argument {i} has dtype {data.dtype}: gradients need a floating-point "
                                "input; cast it with .astype('float32')")
            args[i] = Tensor._make(data, None)
            args[i].requires_grad = True
        out = fn(*args, **kwargs)
        if not isinstance(out, Tensor) or out.size != 1:
            shape = out.shape if hasattr(out, "shape") else type(out).__name__
            raise TypeError(f"value_and_grad needs fn to return a scalar Tensor, received {shape}")
        if out.requires_grad:
            out.backward()
        xp = backend.xp()
        grads = tuple(args[i].grad if args[i].grad is not None else xp.zeros_like(args[i].data)
                      for i in nums)
        return out.data, (grads if many else grads[0])

    return wrapped


def grad(fn, argnums=0):
    """Like :func:`value_and_grad`, returning only the gradient."""
    vg = value_and_grad(fn, argnums)
    return lambda *args, **kwargs: vg(*args, **kwargs)[1]
