"""The package's floors: every import points down (or stays on its floor), and no two parts import each other.

Walks the AST of every module under colorize/ (imports inside functions count). Imports under
`if TYPE_CHECKING:` never run, so the floors ignore them, but the cycle checks count them: two
modules that name each other, even for annotations only, are one module in two files.
docs/ARCHITECTURE.md draws the same floors.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "colorize"

# Bottom floor first. A module may import from its own floor or any floor below it.
FLOORS: dict[str, int] = {
    "errors": 0, "images": 0, "progress": 0, "runtime": 0, "config": 0, "resources": 0, "__init__": 0,
    "media": 1,
    "lineart": 2, "cel": 2,   # cel: regions, paint and kept lines of line-art frames (colorize.cel)
    "nets": 3,
    "metrics": 4,
    "data": 5,
    "gans": 6,
    "engine": 7,    # the inference engine: Colorizer (load, backends, tiling, upsampling)
    "filters": 8,   # frame filters over colour streams: temporal, smoothing, on one flow-reliability core
    "jobs": 9,
    "pipeline": 10, "api": 10,
    "cli": 11, "__main__": 11, "app": 11,   # app: the browser preview app, beside the CLI (`colorize app` calls it)
}


# The one upward import the package's own __init__ may make: `colorize.load_model` and friends are
# colorize.api's functions, imported on first use (PEP 562 __getattr__), so `import colorize` stays light.
PACKAGE_REEXPORTS = {"colorize.api"}

# Pairs that the floors alone would allow but the design forbids: the GAN core is generic, so it
# knows batches and networks, never the datasets of data/ (the jobs hand them over).
FORBIDDEN = {("gans", "data")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST, type_checking: bool = False):
    """Every node except those under `if TYPE_CHECKING:` (annotation-only imports), unless
    `type_checking`, which keeps them too."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not type_checking and isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def imports_of(path: Path, type_checking: bool = False) -> set[str]:
    """The colorize modules (or packages) `path` imports, absolute names ("colorize.media.video");
    with `type_checking`, the annotation-only ones too."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(), package, type_checking)


def imports_in(source: str, package: str, type_checking: bool = False) -> set[str]:
    """The colorize modules imported by `source`, a module of `package` (relative imports resolved)."""
    found = set()
    for node in _runtime_nodes(ast.parse(source), type_checking):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from colorize import runtime` imports the module colorize.runtime
            found.update(f"{target}.{alias.name}" for alias in node.names
                         if (PACKAGE.parent / Path(*f"{target}.{alias.name}".split("."))).with_suffix(".py").exists())
    return {m for m in found if m == "colorize" or m.startswith("colorize.")}


def part_of(module: str) -> str:
    """The floor's part a module belongs to: 'media', 'jobs', 'config', '__init__' ..."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph(type_checking: bool = False) -> dict[str, set[str]]:
    return {module_name(p): imports_of(p, type_checking) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_part_has_a_floor():
    unknown = {part_of(m) for m in graph()} - FLOORS.keys()
    assert not unknown, f"parts without a floor in tests/test_layers.py: {sorted(unknown)}"


def test_imports_only_point_down():
    upward = []
    for module, targets in graph().items():
        for target in targets:
            src, dst = part_of(module), part_of(target)
            if dst == "__init__" and target == "colorize":
                continue  # `from colorize import __version__` / submodules are checked one by one
            if module == "colorize" and target in PACKAGE_REEXPORTS:
                continue  # the package's lazy __getattr__ hands out the public API
            if FLOORS.get(dst, 99) > FLOORS.get(src, -1):
                upward.append(f"{module} -> {target} ({src} floor {FLOORS.get(src)} < {dst} floor {FLOORS.get(dst)})")
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_forbidden_pairs_stay_apart():
    found = sorted(f"{module} -> {target}" for module, targets in graph().items() for target in targets
                   if (part_of(module), part_of(target)) in FORBIDDEN)
    assert not found, "imports the design forbids:\n" + "\n".join(found)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_no_cycles_between_parts():
    edges: dict[str, set[str]] = {}
    for module, targets in graph(type_checking=True).items():
        for target in targets:
            if target != "colorize" and part_of(target) != part_of(module):
                edges.setdefault(part_of(module), set()).add(part_of(target))
    assert not _cycles(edges), f"import cycles between parts: {_cycles(edges)}"


def test_no_module_import_cycles():
    edges = {m: {t for t in ts if t != "colorize"} for m, ts in graph(type_checking=True).items()}
    assert not _cycles(edges), f"import cycles between modules: {_cycles(edges)}"


@pytest.mark.parametrize("source, expected", [
    ("from colorize.media.video import probe\n", {"colorize.media.video"}),
    ("def f():\n    from ..jobs.train import TrainConfig\n", {"colorize.jobs.train"}),
    ("from colorize import runtime\n", {"colorize", "colorize.runtime"}),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from colorize.jobs import train\n", set()),
])
def test_imports_in_reads_function_level_relative_and_skips_type_checking(source, expected):
    assert imports_in(source, "colorize.media") == expected


def test_imports_in_counts_type_checking_imports_when_asked():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from colorize.jobs import train\n"
    assert imports_in(source, "colorize.media", type_checking=True) == {"colorize.jobs", "colorize.jobs.train"}
