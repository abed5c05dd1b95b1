"""The layers import downwards only: workloads know no server, the engine knows nothing above it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What sits above the engine (``server/lab``): it may import none of these.
ABOVE_THE_ENGINE = (
    "server.serverlab",
    "server.web",
    "server.render",
    "server.manager",
    "server.store",
    "server.settings",
    "server.comparisons",
    "server.cli",
    "server.executors",
    "server.spec",
)


def imported(path: Path) -> set[str]:
    """Every module a file imports, wherever the import statement is (in functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("server/lab"), ids=lambda p: p.name)
def test_the_engine_imports_nothing_above_it(path: Path) -> None:
    upward = sorted(n for n in imported(path) if under(n, ABOVE_THE_ENGINE))
    assert upward == [], f"{path.relative_to(ROOT)} imports {upward}"


@pytest.mark.parametrize("path", modules("experiments"), ids=lambda p: str(p.relative_to(ROOT)))
def test_workloads_and_lessons_import_nothing_from_the_server(path: Path) -> None:
    server = sorted(n for n in imported(path) if under(n, ("server",)))
    assert server == [], f"{path.relative_to(ROOT)} imports {server}"


def test_loading_the_engine_loads_nothing_above_it() -> None:
    # A fresh interpreter: this one has loaded every layer already.
    code = (
        "import sys, json, server.lab.run, server.lab.executors, server.lab.runner;"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    loaded = [n for n in json.loads(out) if under(n, ABOVE_THE_ENGINE)]
    assert loaded == []


@pytest.mark.parametrize("path", modules("server/render"), ids=lambda p: p.name)
def test_rendering_knows_no_web_layer_and_no_run_manager(path: Path) -> None:
    # Renderers turn run logs into markup: HTTP, brokers and the manager's queue are above them.
    upward = sorted(
        n for n in imported(path) if under(n, ("server.web", "server.manager", "server.store"))
    )
    assert upward == [], f"{path.relative_to(ROOT)} imports {upward}"
