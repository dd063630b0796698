"""The house rules, checked on the source tree: small rooms, no cycles, no private imports
across packages, no environment read outside the settings module, no pickle."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "honestcount"
MAX_FUNCTION = 120
MAX_MODULE = 800


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def package_of(module: str) -> str:
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def top_level_imports(module: str) -> list[tuple[str, list[str]]]:
    """(imported module, names) for imports executed when the module is imported."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out: list[tuple[str, list[str]]] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                out.extend((a.name, []) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = package_of(module).split(".")
                    pkg = pkg[: len(pkg) - node.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                out.append((base, [a.name for a in node.names]))
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(getattr(node, "orelse", []))

    visit(tree.body)
    return out


def resolve(target: str, names: list[str]) -> list[str]:
    hits = []
    for name in names or [""]:
        full = f"{target}.{name}" if name else target
        if full in MODULES:
            hits.append(full)
        elif target in MODULES:
            hits.append(target)
    return hits


def test_no_function_over_the_limit():
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION:
                    long.append(f"{module}.{node.name}: {n} lines")
    assert not long, long


def test_no_module_over_the_limit():
    big = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE
    }
    assert not big, big


def test_no_import_cycles():
    """Module dependencies (imports inside functions too) form no cycle."""
    graph = {
        m: {
            d
            for target, names in top_level_imports(m) + function_imports(m)
            for d in resolve(target, names)
        }
        - {m}
        for m in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            # a package importing its own submodules in __init__ is not a cycle
            real = [c for c in comp if MODULES[c].name != "__init__.py"]
            if len(real) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            connect(v)
    assert not cycles, cycles


def test_no_private_names_imported_across_packages():
    bad = []
    for module in MODULES:
        here = module.split(".")[1] if "." in module else ""
        for target, names in top_level_imports(module) + function_imports(module):
            if not target.startswith("honestcount.") or target.split(".")[1] == here:
                continue
            bad += [f"{module}: {target}.{n}" for n in names if n.startswith("_")]
    assert not bad, bad


def function_imports(module: str) -> list[tuple[str, list[str]]]:
    """Every absolute ``from`` import, inside functions too, but not those for type checkers."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    return [
        (node.module or "", [a.name for a in node.names])
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and id(node) not in typing_only
    ]


def test_environment_is_read_only_by_the_settings_module():
    readers = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if module != "honestcount.settings" and ("os.environ" in text or "getenv(" in text):
            readers.append(module)
    assert not readers, readers


def test_no_pickle():
    users = [m for m, p in MODULES.items() if "pickle" in p.read_text(encoding="utf-8")]
    assert not users, users
