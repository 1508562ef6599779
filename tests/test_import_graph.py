"""models/, saving/, trainers/ and callbacks/ build on one another in one direction: no import circles.

Every import counts, those inside functions included (they are dependencies all the same). The order
is saving < callbacks < trainers < models: a model saves itself through saving and trains through
trainers, fit runs callbacks, and saving learns the model classes from striate.models, which
register themselves (``saving.registry.register_model_classes``).
"""
import ast
import pathlib

import striate

PACKAGES = ("models", "saving", "trainers", "callbacks")
ROOT = pathlib.Path(striate.__file__).parent


def imported_packages(path):
    """The packages among PACKAGES that the module at ``path`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "striate" and len(parts) > 1 and parts[1] in PACKAGES:
                found.add(parts[1])
    return found


def package_graph():
    return {package: set().union(*(imported_packages(p) for p in (ROOT / package).rglob("*.py"))) - {package}
            for package in PACKAGES}


def test_no_import_circles_among_models_saving_trainers_callbacks():
    graph = package_graph()

    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, seen + (n,))) for n in graph[start])

    circles = [p for p in PACKAGES if reaches(p, p)]
    assert not circles, f"import circles through {circles}: {graph}"


def test_the_order_is_saving_callbacks_trainers_models():
    order = ("saving", "callbacks", "trainers", "models")
    graph = package_graph()
    for low, package in enumerate(order):
        assert graph[package] <= set(order[:low]), (package, graph[package])
