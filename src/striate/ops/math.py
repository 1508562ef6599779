"""Element-wise arithmetic ops (keras.ops names), each with its backward; `UNARY` tabulates the
one-input functions (sin, log1p, rsqrt, ...) as their value and derivative."""
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


class Mod(_Binary):
    name = "mod"

    def compute(self, xp, a, b):
        return xp.mod(a, b)

    def backward(self, xp, gy):
        # NOTE: a mod b = a - b floor(a / b), and floor is flat almost everywhere.
        return gy, (-gy * xp.floor(self.a / self.b) if self.needs_grad[1] else None)


class Arctan2(_Binary):
    name = "arctan2"

    def compute(self, xp, a, b):
        return xp.arctan2(a, b)

    def backward(self, xp, gy):
        g = gy / (self.a * self.a + self.b * self.b)
        return g * self.b, -g * self.a


class LogAddExp(_Binary):
    name = "logaddexp"

    def compute(self, xp, a, b):
        self.y = xp.logaddexp(a, b)
        return self.y

    def backward(self, xp, gy):
        n = self.needs_grad
        return (gy * xp.exp(self.a - self.y) if n[0] else None), (gy * xp.exp(self.b - self.y) if n[1] else None)


class Elementwise(Function):
    """A one-input element-wise function given by its value and its derivative: ``UNARY[name]``."""

    def __init__(self, name):
        self.value, self.derivative = UNARY[name]

    def forward(self, xp, x):
        self.x = x
        self.y = self.value(xp, x)
        return self.y

    def backward(self, xp, gy):
        return gy * self.derivative(xp, self.x, self.y)


_LN2, _LN10 = 0.6931471805599453, 2.302585092994046

# name: (value of x, derivative from the input x and the output y)
UNARY = {
    "sin": (lambda xp, x: xp.sin(x), lambda xp, x, y: xp.cos(x)),
    "cos": (lambda xp, x: xp.cos(x), lambda xp, x, y: -xp.sin(x)),
    "tan": (lambda xp, x: xp.tan(x), lambda xp, x, y: 1 + y * y),
    "arcsin": (lambda xp, x: xp.arcsin(x), lambda xp, x, y: 1 / xp.sqrt(1 - x * x)),
    "arccos": (lambda xp, x: xp.arccos(x), lambda xp, x, y: -1 / xp.sqrt(1 - x * x)),
    "arctan": (lambda xp, x: xp.arctan(x), lambda xp, x, y: 1 / (1 + x * x)),
    "sinh": (lambda xp, x: xp.sinh(x), lambda xp, x, y: xp.cosh(x)),
    "cosh": (lambda xp, x: xp.cosh(x), lambda xp, x, y: xp.sinh(x)),
    "arcsinh": (lambda xp, x: xp.arcsinh(x), lambda xp, x, y: 1 / xp.sqrt(x * x + 1)),
    "arccosh": (lambda xp, x: xp.arccosh(x), lambda xp, x, y: 1 / xp.sqrt(x * x - 1)),
    "arctanh": (lambda xp, x: xp.arctanh(x), lambda xp, x, y: 1 / (1 - x * x)),
    "log1p": (lambda xp, x: xp.log1p(x), lambda xp, x, y: 1 / (1 + x)),
    "expm1": (lambda xp, x: xp.expm1(x), lambda xp, x, y: y + 1),
    "log2": (lambda xp, x: xp.log2(x), lambda xp, x, y: 1 / (x * _LN2)),
    "log10": (lambda xp, x: xp.log10(x), lambda xp, x, y: 1 / (x * _LN10)),
    "exp2": (lambda xp, x: xp.exp2(x), lambda xp, x, y: y * _LN2),
    "reciprocal": (lambda xp, x: xp.reciprocal(x), lambda xp, x, y: -y * y),
    "rsqrt": (lambda xp, x: 1 / xp.sqrt(x), lambda xp, x, y: -0.5 * y * y * y),
    "cbrt": (lambda xp, x: xp.cbrt(x), lambda xp, x, y: 1 / (3 * y * y)),
}
