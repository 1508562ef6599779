"""What the pictures share: matplotlib loaded on first use, the grid of image tiles, and atomic saving.

Figures are ``matplotlib.figure.Figure`` objects drawn by the Agg canvas, never pyplot's: nothing
global changes (no backend switch, no figure registry) and no display is needed.
"""
import math
import os

import numpy as np

from striate.saving.atomic import atomic_write


def require_matplotlib(caller):
    """Import matplotlib's Figure and Agg canvas, or raise an ImportError naming ``caller`` and striate[plot]."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{caller} needs matplotlib: pip install 'striate[plot]'") from None
    return Figure, FigureCanvasAgg


def new_figure(caller, figsize):
    """An empty Figure with constrained layout on an Agg canvas."""
    Figure, FigureCanvasAgg = require_matplotlib(caller)
    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def finish(figure, to_file, dpi):
    """Save ``figure`` to ``to_file`` (when given) atomically, in the format its extension names; return it."""
    if to_file is None:
        return figure
    path = os.fspath(to_file)
    file_format = os.path.splitext(path)[1][1:].lower()
    formats = figure.canvas.get_supported_filetypes()
    if file_format not in formats:
        raise ValueError(f"to_file {path!r}: the extension must name an image format, one of "
                         f"{', '.join('.' + name for name in sorted(formats))}")
    with atomic_write(path, "wb") as f:
        figure.savefig(f, format=file_format, dpi=dpi)
    return figure


def unit_range(image):
    """``image`` stretched to [0, 1] (a constant image becomes 0.5), as imshow needs RGB values."""
    low, high = float(image.min()), float(image.max())
    if high == low:
        return np.full(image.shape, 0.5, dtype="float32")
    return ((image - low) / (high - low)).astype("float32")


def tile_figure(caller, tiles, titles, title, cmap, tile_inches=1.2):
    """One tile per image, row-major in a near-square grid, each tile scaled on its own.

    Args:
        caller: the public function's name, for the ImportError.
        tiles: 2-D arrays (shown with ``cmap``, the colour scale from the tile's own minimum to its
            maximum; the AxesImage keeps the values as given) or ``(h, w, 3)`` arrays (shown as RGB,
            stretched to [0, 1]).
        titles: one short title per tile.
        title: the figure's title.
        cmap: the colour map of 2-D tiles.
        tile_inches: the width and height of one tile.

    Returns:
        The Figure, its axes in the order of ``tiles``.
    """
    columns = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    figure = new_figure(caller, (max(columns * tile_inches, 3.0), rows * (tile_inches + 0.2) + 0.5))
    for k, (tile, name) in enumerate(zip(tiles, titles)):
        axes = figure.add_subplot(rows, columns, k + 1)
        if tile.ndim == 3:
            axes.imshow(unit_range(tile), interpolation="nearest")
        else:
            axes.imshow(tile, cmap=cmap, vmin=float(tile.min()), vmax=float(tile.max()), interpolation="nearest")
        axes.set_xticks([])
        axes.set_yticks([])
        axes.set_title(name, fontsize=8)
    figure.suptitle(title)
    return figure
