"""Element-wise arithmetic ops (keras.ops names), each with its backward."""
from striate.autodiff import Function
from striate.ops._base import broadcast_error


class _Binary(Function):
    """Element-wise op of two broadcastable inputs; turns NumPy's broadcast error into ours."""
    name = "op"

    def forward(self, xp, a, b):
        try:
            y = self.compute(xp, a, b)
        except ValueError as e:
            if "broadcast" in str(e):
                raise broadcast_error(self.name, a, b) from None
            raise
        self.a, self.b = a, b
        return y


class Add(_Binary):
    name = "add"

    def compute(self, xp, a, b):
        return a + b

    def backward(self, xp, gy):
        return gy, gy


class Sub(_Binary):
    name = "subtract"

    def compute(self, xp, a, b):
        return a - b

    def backward(self, xp, gy):
        return gy, -gy


class Mul(_Binary):
    name = "multiply"

    def compute(self, xp, a, b):
        return a * b

    def backward(self, xp, gy):
        n = self.needs_grad
        return (gy * self.b if n[0] else None), (gy * self.a if n[1] else None)


class Div(_Binary):
    name = "divide"

    def compute(self, xp, a, b):
        return a / b

    def backward(self, xp, gy):
        ga = gy / self.b
        return ga, (-ga * self.a / self.b if self.needs_grad[1] else None)


class Pow(_Binary):
    name = "power"

    def compute(self, xp, a, b):
        self.y = a ** b
        return self.y

    def backward(self, xp, gy):
        a, b = self.a, self.b
        ga = gy * b * a ** (b - 1) if self.needs_grad[0] else None
        # NOTE: d(a^b)/db = a^b log a, defined for a > 0; taken as 0 where a <= 0.
        gb = gy * self.y * xp.log(xp.where(a > 0, a, 1)) if self.needs_grad[1] else None
        return ga, gb


class Maximum(_Binary):
    name = "maximum"

    def compute(self, xp, a, b):
        return xp.maximum(a, b)

    def backward(self, xp, gy):
        mask = self.a >= self.b  # NOTE: ties send the gradient to the first input, as torch does half/half
        return gy * mask, gy * ~mask


class Minimum(_Binary):
    name = "minimum"

    def compute(self, xp, a, b):
        return xp.minimum(a, b)

    def backward(self, xp, gy):
        mask = self.a <= self.b
        return gy * mask, gy * ~mask


class Neg(Function):
    def forward(self, xp, x):
        return -x

    def backward(self, xp, gy):
        return -gy


class Square(Function):
    def forward(self, xp, x):
        self.x = x
        return x * x

    def backward(self, xp, gy):
        return 2 * gy * self.x


class Sqrt(Function):
    def forward(self, xp, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, xp, gy):
        return gy / (2 * self.y)


class Exp(Function):
    def forward(self, xp, x):
        self.y = xp.exp(x)
        return self.y

    def backward(self, xp, gy):
        return gy * self.y


class Log(Function):
    def forward(self, xp, x):
        self.x = x
        return xp.log(x)

    def backward(self, xp, gy):
        return gy / self.x


class Abs(Function):
    def forward(self, xp, x):
        self.x = x
        return xp.abs(x)

    def backward(self, xp, gy):
        return gy * xp.sign(self.x)


class Clip(Function):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, xp, x):
        self.x = x
        return xp.clip(x, self.lo, self.hi)

    def backward(self, xp, gy):
        return gy * ((self.x >= self.lo) & (self.x <= self.hi))


class Where(Function):
    def forward(self, xp, cond, a, b):
        self.cond = cond
        try:
            return xp.where(cond, a, b)
        except ValueError:
            raise ValueError(f"where: condition {cond.shape}, x1 {getattr(a, 'shape', ())} and x2 "
                             f"{getattr(b, 'shape', ())} cannot be broadcast together") from None

    def backward(self, xp, gy):
        return None, xp.where(self.cond, gy, 0), xp.where(self.cond, 0, gy)


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, xp, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype, copy=False)

    def backward(self, xp, gy):
        return gy.astype(self.in_dtype, copy=False) if self.in_dtype.kind == "f" else None
