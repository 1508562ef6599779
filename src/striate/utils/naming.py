"""Names: Keras's snake_case rule and lookups that suggest the closest known name."""
import difflib
import re


def snake_case(name):
    """Keras's rule: ``'MaxPooling2D'`` -> ``'max_pooling2d'``, ``'CategoricalCrossentropy'`` ->
    ``'categorical_crossentropy'``, ``'AUC'`` -> ``'auc'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def lookup(kind, name, table):
    """``table[name]``, or a ValueError naming the closest known name and listing the known ones.

    Example:
        >>> from striate.utils.naming import lookup
        >>> lookup("activation", "relu", {"relu": 1, "tanh": 2})
        1
        >>> lookup("activation", "rellu", {"relu": 1, "tanh": 2})
        Traceback (most recent call last):
        ...
        ValueError: Unknown activation 'rellu'. Did you mean 'relu'?
    """
    if name in table:
        return table[name]
    close = difflib.get_close_matches(str(name), [str(k) for k in table], n=1)
    hint = f"Did you mean '{close[0]}'?" if close else f"Known: {', '.join(sorted(map(str, table)))}."
    raise ValueError(f"Unknown {kind} {name!r}. {hint}")
