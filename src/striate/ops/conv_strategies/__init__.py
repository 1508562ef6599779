"""How ``ops.conv`` computes a convolution fast: the strategies that ``ops.conv.choose_strategy`` picks.

Each has the contract ``forward(xp, x, w, b)`` (NHWC input, (kh, kw, C_in, C_out) kernel, optional
bias; the output) and ``backward(xp, gy, needs_grad)`` (the input's, kernel's and bias's gradients),
and each is tested against ``ops.conv.ReferenceConv``, the textbook version:

- ``lowered.Patches``: im2col, one product per part of the batch;
- ``lowered.Strips``: banded rows, for few channels;
- both fuse the bias, the activation and an average or max pool, on striate's threads, with
  striate[fast]'s compiled kernels where they help (``lowered.Lowered``);
- ``direct3x3.Direct3x3``: 3x3, stride 1, "same" padding, from a 3x (not 9x) copy of the image;
- ``direct_compiled.DirectCompiled``: 3x3, stride 1, few channels, by striate[fast]'s compiled
  kernels (``backend._conv_kernels``), nothing lowered;
- ``pointwise.Pointwise``: 1x1, stride 1, two products like a Dense layer's;
- ``tiles.Tiles``: a transposed convolution whose stride equals its kernel (``ops.conv.ConvTranspose``
  picks it; tested against that op's reference), one product and a reshuffle.

The helpers they share: ``patches`` (im2col, col2im, padding), ``blocks`` (block means and maxima,
also ``ops.pool``'s), ``banded`` (the strips' kernel matrices).
"""
from striate.ops.conv_strategies.direct3x3 import Direct3x3
from striate.ops.conv_strategies.direct_compiled import DirectCompiled
from striate.ops.conv_strategies.lowered import Lowered, Patches, Strips
from striate.ops.conv_strategies.pointwise import Pointwise
from striate.ops.conv_strategies.tiles import Tiles

__all__ = ["Direct3x3", "DirectCompiled", "Lowered", "Patches", "Pointwise", "Strips", "Tiles"]
