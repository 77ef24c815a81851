"""The package graph runs one way (DESIGN.md, 'The layout'):
cli -> report -> optimize, distributed -> measure, predict, simulate -> workload, hardware -> units -> errors.

Every import counts, the lazy ones inside functions too: a lazy import still makes a cycle, it only hides it
until run time. Packages on one tier do not import each other (that is how cycles start)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "accelopt"

# tier of each top-level module or package of accelopt; a module may import only from lower tiers.
TIERS: dict[str, int] = {
    "errors": 0, "paths": 0,  # paths imports nothing of accelopt (a leaf, like errors)
    "interrupts": 0,  # Ctrl-C held while a stopped run is kept: the launcher (distributed) and the commands use it
    "units": 1, "userio": 1, "dtypes": 1,
    "hardware": 2, "workload": 2,
    "measure": 3, "predict": 3, "simulate": 3,
    "optimize": 4, "distributed": 4,
    "report": 5,
    "cli": 6, "__main__": 7, "__init__": 7,
}


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "accelopt" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "accelopt":  # `from accelopt import predict`
                found += [(node.lineno, f"accelopt.{a.name}") for a in node.names]
    return found


def _owner(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def test_every_package_has_a_tier() -> None:
    owners = {_owner(p) for p in SRC.rglob("*.py")}
    assert owners <= set(TIERS), f"give these a tier in TIERS (and DESIGN.md's layout): {owners - set(TIERS)}"


def test_imports_run_one_way() -> None:
    bad: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        owner = _owner(path)
        for line, module in _imports(path):
            target = _top(module)
            if target is None or target == owner or target not in TIERS:
                continue
            if TIERS[target] >= TIERS[owner]:
                bad.append(f"{path.relative_to(SRC)}:{line} ({owner}, tier {TIERS[owner]}) imports {module} "
                           f"(tier {TIERS[target]})")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)
