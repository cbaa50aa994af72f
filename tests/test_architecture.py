"""The tree keeps its architecture: imports flow one way, and packages are used through their faces.

See docs/architecture.md. Imports are read from the source with ``ast`` (nothing is imported).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("app", "pages", "components", "core", "analytics", "data", "benchmarks")
# Which top-level packages each layer may import (besides itself and third-party libraries).
ALLOWED = {
    "pages": {"components", "core", "analytics", "data"},
    "components": set(),
    "core": {"analytics", "data"},
    "analytics": {"data"},
    "data": set(),
    "benchmarks": {"analytics", "data", "core"},
}
FRAMEWORKS = {"dash", "plotly", "flask", "flask_caching", "flask_talisman", "dash_bootstrap_components",
              "dash_ag_grid", "dash_vtk"}
# Entry points compose the layers: they may read settings from core (python -m data, the Alembic env).
ENTRY_POINTS = {"data/__main__.py": {"core"}, "analytics/chat/__main__.py": {"core"},
                "analytics/chat/cli.py": {"core"}, "analytics/insights/cli.py": {"core"}}
# Domain packages: code outside a package imports only its face (the package itself or a listed public part).
PACKAGES = {
    "data.ingest": {"data.ingest", "data.ingest.connectors"},
    "data.sample": {"data.sample"},
    "data.stream": {"data.stream"},
    "data.public": {"data.public"},
    "analytics.kpis": {"analytics.kpis"},
    "analytics.forecasting": {"analytics.forecasting", "analytics.forecasting.customers"},
    "analytics.insights": {"analytics.insights"},
    "analytics.health": {"analytics.health"},
    "analytics.retention": {"analytics.retention", "analytics.retention.churn", "analytics.retention.clv"},
    # core.auth's face plus the parts that wire it into Flask (they import core.settings, which imports
    # core.auth.config: putting them in the face would make the two packages import each other).
    "core.auth": {"core.auth", "core.auth.audit", "core.auth.config", "core.auth.guard", "core.auth.embeds",
                  "core.auth.limits"},
    "core.api": {"core.api", "core.api.jobs"},
    "core.push": {"core.push"},
    # core.health's face and its settings (core.settings imports them).
    "core.health": {"core.health", "core.health.config"},
    "analytics.chat": {"analytics.chat"},
    # core.chat's face, its settings (core.settings imports them) and the model process's client and server.
    "core.chat": {"core.chat", "core.chat.config", "core.chat.service", "core.chat.llm"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] not in LAYERS and path.name != "app.py" or {".venv", "__pycache__"} & set(parts):
            continue
        name = ".".join(parts)[:-3].removesuffix(".__init__")
        found[name] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts a.b, and a.b.c when c is a module)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES}
    return names


MODULES = _modules()

# Read once while the tests are collected: CPython 3.11's ast.parse can fail with "AST constructor recursion depth
# mismatch" late in a long run (a test deep in the suite left the interpreter's recursion accounting off).
IMPORTS = {module: _imports(path, module) for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_one_way(module):
    layer = module.split(".")[0]
    if layer == "app":
        return
    imported = IMPORTS[module]
    tops = {name.split(".")[0] for name in imported}
    allowed = ALLOWED[layer] | ENTRY_POINTS.get(str(MODULES[module].relative_to(ROOT)), set())
    wrong = sorted(tops & (set(LAYERS) - {layer} - allowed))
    assert not wrong, f"{module} imports {wrong}; {layer}/ may import only {sorted(allowed) or 'nothing of ours'}"
    assert "app" not in tops, f"{module} imports app.py; nobody does"
    if layer in {"analytics", "data"}:
        assert not tops & FRAMEWORKS, f"{module} imports {sorted(tops & FRAMEWORKS)}; {layer}/ stays framework-free"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_packages_are_used_through_their_faces(module):
    imported = IMPORTS[module]
    for package, faces in PACKAGES.items():
        if module == package or module.startswith(package + "."):
            continue
        private = sorted(name for name in imported if name.startswith(package + ".") and name not in faces)
        assert not private, f"{module} imports {private}: outside {package}, use its face {sorted(faces)}"


def test_every_domain_package_declares_its_face():
    for package in PACKAGES:
        source = MODULES[package].read_text()
        assert "__all__" in source, f"{package}/__init__.py declares no __all__"
