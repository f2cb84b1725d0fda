"""The package's imports run one way: no module reaches itself through its imports.

Every import is read from the source (module level and inside functions alike, so a local
import cannot hide a cycle), resolved to the package's own modules, and the graph is checked
for cycles (strongly connected components of more than one module, or a module importing
itself). ``from durn_teach import name`` counts as an import of the module that defines it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "durn_teach"
LAYERS = [  # the README's layering, bottom first: a module may import only from its own layer or below
    {"layers", "norms", "attention", "blocks", "networks", "degrade", "losses", "metrics", "baselines",
     "sampling", "train.step", "names", "images", "manifests", "files", "machine", "speed", "diagram",
     "colab", "arguments", "cross_task"},
    {"checkpoints", "pretrained", "models", "authors"},
    {"data", "download", "inference"},
    {"train", "evaluate", "check"},
    {"compare", "compare_tasks", "precision", "bench", "export", "crops", "report"},
    {"cli", "__main__"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def homes() -> dict[str, str]:
    """The lazily exported names of ``durn_teach/__init__.py`` and the modules that define them."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if isinstance(target, ast.Name) and target.id == "_HOMES":
                table = ast.literal_eval(node.value)
                return {key: value.removeprefix("durn_teach.") for key, value in table.items()}
    return {}


def imports(known: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports of the package's own modules."""
    lazy = homes()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for full in names:
                if not full.startswith("durn_teach"):
                    continue
                inner = full.removeprefix("durn_teach").lstrip(".")
                if inner in lazy:
                    inner = lazy[inner]
                while inner and inner not in known:  # "train.loop.fit" -> "train.loop"
                    inner = inner.rpartition(".")[0]
                if inner and inner != name:
                    targets.add(inner)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(name: str) -> int:
    for level, members in enumerate(LAYERS):
        if name in members or name.split(".")[0] in members and name not in {"train.step"}:
            return level
    raise AssertionError(f"durn_teach.{name} is in no layer of tests/test_structure.py's LAYERS: add it")


def test_the_package_has_no_import_cycle():
    assert cycles(imports(modules())) == []


def test_each_module_imports_only_from_its_layer_or_below():
    graph = imports(modules())
    upward = [f"durn_teach.{name} (layer {layer_of(name) + 1}) imports durn_teach.{target} "
              f"(layer {layer_of(target) + 1})"
              for name, targets in sorted(graph.items()) if name for target in sorted(targets)
              if layer_of(target) > layer_of(name)]
    assert upward == []


def test_the_checker_finds_a_cycle_and_a_lazy_name():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert homes()["build_model"] == "models"
