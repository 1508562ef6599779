"""The report ``striate demo`` writes: what the two lecture models did, as pictures on one HTML page.

Seed 000 asks to "extract the weights of the convolution layer to find the features (filters) that were
learnt" and to "apply the filters to some example images"; seed 002 to watch the training and validation
loss. The page shows, for the feed-forward net and the CNN: their training curves, the CNN's learned
filters, the CNN's feature maps of a few test digits, and both confusion matrices.

The pictures need matplotlib (``pip install 'striate[plot]'``).
"""
import html
import os

from striate.saving.atomic import atomic_write


def write_report(out_dir, runs, cnn, images, labels):
    """Write ``index.html`` and its pictures into ``out_dir``; return the page's path.

    Args:
        out_dir: the report folder (created if missing; files already there with the same names are
            replaced, each only once its new version is complete).
        runs: one dict per model, in page order, with ``model``, ``history`` (fit's History),
            ``y_true`` (test labels), ``probs`` (predicted probabilities) and ``accuracy``.
        cnn: the trained CNN, whose first Conv2D's filters and feature maps are shown.
        images: a few test images as the CNN takes them, ``(n, 28, 28, 1)``.
        labels: their labels.

    Returns:
        The path of ``index.html``.
    """
    from striate import visualize
    from striate.layers import Conv2D
    os.makedirs(out_dir, exist_ok=True)
    sections = []

    def picture(name, figure_fn, caption):
        figure_fn(os.path.join(out_dir, name))
        return f'<figure><img src="{name}" alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}</figcaption></figure>'

    for run in runs:
        name = run["model"].name
        figures = [
            picture(f"{name}_history.png", lambda path: visualize.plot_history(run["history"], to_file=path),
                    f"{name}: loss and accuracy per epoch"),
            picture(f"{name}_confusion.png",
                    lambda path: visualize.plot_confusion_matrix(run["y_true"], run["probs"], to_file=path),
                    f"{name}: confusion matrix on the test set (rows: true digit, columns: predicted)"),
        ]
        sections.append(f"<h2>{html.escape(name)}: test accuracy {run['accuracy']:.4f}</h2>\n" + "\n".join(figures))

    conv = next(layer for layer in cnn.layers if isinstance(layer, Conv2D))
    figures = [picture("cnn_filters.png", lambda path: visualize.plot_filters(conv, to_file=path),
                       f"the {conv.filters} learned {conv.kernel_size[0]}x{conv.kernel_size[1]} filters of "
                       f"'{conv.name}'")]
    for k, (image, label) in enumerate(zip(images, labels)):
        figures.append(picture(f"cnn_feature_maps_{k}.png",
                               lambda path: visualize.plot_feature_maps(cnn, conv, image, to_file=path),
                               f"'{conv.name}' applied to a test image of class {label}"))
    sections.append("<h2>What the CNN learned</h2>\n" + "\n".join(figures))

    page = os.path.join(out_dir, "index.html")
    with atomic_write(page, "w") as f:
        f.write(_PAGE.format(body="\n".join(sections)))
    return page


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>striate demo: a feed-forward net and a CNN on the digits</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
figure {{ display: inline-block; margin: 0.5em; vertical-align: top; }}
img {{ max-width: 520px; border: 1px solid #ddd; }}
figcaption {{ font-size: 0.9em; color: #555; max-width: 520px; }}
</style>
</head>
<body>
<h1>striate demo: a feed-forward net and a CNN on the digits</h1>
{body}
</body>
</html>
"""
