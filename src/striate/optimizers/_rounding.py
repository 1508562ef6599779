"""Round Python floats to a float dtype's precision, the way a 0-d tensor of that dtype stores them.

Keras computes an optimizer's scalars (learning rate, ``beta_1 ** t``, bias corrections) as 0-d float32
tensors. striate keeps them as Python floats, so no 0-d array ever upcasts an update, and rounds each one
where Keras's tensor would be rounded: the updates then match Keras's to float32 rounding.
"""
import functools
import struct

_FORMATS = {"float16": "e", "float32": "f"}


@functools.lru_cache(maxsize=None)
def rounder(dtype):
    """Return a function that rounds a Python float to ``dtype`` precision (identity for float64)."""
    fmt = _FORMATS.get(str(dtype))
    if fmt is None:
        return float
    packer = struct.Struct(fmt)
    return lambda x: packer.unpack(packer.pack(x))[0]
