"""convert/ is layered one way: no module imports one that imports it back, and no module uses
another's private (underscore) names. Read from the source with ``ast``, so nothing is imported."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "convert"
MODULES = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def _imports(path: Path):
    """(module imported, names taken from it, line) for every import of a sibling module, lazy ones included."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:  # from .x import a, b
                yield node.module.split(".")[0], [a.name for a in node.names], node.lineno
            else:  # from . import x, y
                for alias in node.names:
                    yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("convert."):
            yield node.module.split(".")[1], [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("convert."):
                    yield alias.name.split(".")[1], [], node.lineno


def graph() -> dict[str, set[str]]:
    return {name: {m for m, _, _ in _imports(PACKAGE / f"{name}.py") if m in MODULES} for name in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by a depth-first search, each as the modules around it."""
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def private_uses() -> list[str]:
    """``module.py:line: other._name`` for each private name of a sibling taken or read across modules."""
    out = []
    for name in MODULES:
        path = PACKAGE / f"{name}.py"
        tree = ast.parse(path.read_text())
        aliases = {}
        for module, taken, line in _imports(path):
            if module not in MODULES:
                continue
            out += [f"{name}.py:{line}: {module}.{t}" for t in taken if t.startswith("_")]
            aliases[module] = module
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                out.append(f"{name}.py:{node.lineno}: {node.value.id}.{node.attr}")
    return sorted(out)


def test_the_checks_find_what_they_look_for():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"cli": {"train"}, "train": {"runs"}, "runs": set()}) == []


def test_no_import_cycle_in_convert():
    assert cycles(graph()) == []


def test_no_private_name_is_used_across_modules():
    assert private_uses() == []


def test_the_command_line_is_the_top_and_nothing_imports_it():
    edges = graph()
    assert not [name for name, targets in edges.items() if "cli" in targets]
    # The lowest layer, the run folder and the data folders, imports no pipeline and no network.
    for low in ("runs", "data", "images", "vgg"):
        assert not edges[low] & {"train", "adain", "distill", "evaluate", "publish", "gatys", "paint",
                                 "networks", "losses", "cli"}, low
