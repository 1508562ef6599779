"""A kernel's rows as banded matrices: the strip strategy's kernel matrix (see ``lowered.Strips``)."""
from striate import backend


class BandedRows:
    """A kernel's rows as banded ("Toeplitz") matrices, for convolving whole image rows at once.

    A convolution along one image row is a matrix product: with the row as a vector (W * C_in) and
    kernel row i as the matrix T_i (W * C_in, OW * C_out) whose block (u, v) is kernel[i, j] where
    u = v * stride + j * dilation (zero elsewhere), the output row is the sum over i of
    input_row(v_row + i) @ T_i. Stacked, the T_i form one (kh * W * C_in, OW * C_out) matrix.

    Built once per geometry (cached): ``gather`` picks each entry of the stacked matrix from the
    flattened kernel (index ``kernel.size`` for the zeros), and ``scatter`` lists, as OW rows, the
    entries that hold each kernel value, so the kernel's gradient is the sum of the matrix's gradient there.
    """

    def __init__(self, xp, kernel_shape, in_w, out_w, stride, dilation):
        kh, kw, cin, cout = kernel_shape
        self.size = kh * kw * cin * cout
        i, u, ci, v, co = xp.ogrid[:kh, :in_w, :cin, :out_w, :cout]
        j, rest = xp.divmod(u - v * stride, dilation)
        valid = (u - v * stride >= 0) & (rest == 0) & (j < kw)
        flat = ((i * kw + xp.where(valid, j, 0)) * cin + ci) * cout + co
        self.gather = xp.where(valid, flat, self.size).reshape(kh * in_w * cin, out_w * cout)
        v, i, j, ci, co = xp.ogrid[:out_w, :kh, :kw, :cin, :cout]
        self.scatter = ((((i * in_w + v * stride + j * dilation) * cin + ci) * out_w + v) * cout + co).reshape(
            out_w, self.size)

    def matrix(self, xp, kernel):
        """The stacked banded matrices of ``kernel`` (kh, kw, C_in, C_out)."""
        return xp.concatenate([kernel.reshape(-1), xp.zeros(1, kernel.dtype)])[self.gather]

    def kernel_grad(self, matrix_grad, kernel_shape):
        """The kernel's gradient from the gradient of its stacked banded matrices."""
        # summed across rows (OW adds of whole rows), not along each short row (see benchmarks/NOTES.md)
        return matrix_grad.reshape(-1)[self.scatter].sum(axis=0).reshape(kernel_shape)


_bands = {}


def banded_rows(xp, kernel_shape, in_w, out_w, stride, dilation):
    """The ``BandedRows`` of one geometry, built once and kept."""
    return backend.memo(_bands, (id(xp), kernel_shape, in_w, out_w, stride, dilation),
                        lambda: BandedRows(xp, kernel_shape, in_w, out_w, stride, dilation))

