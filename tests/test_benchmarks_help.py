"""Every benchmark script answers `--help` with its usage and measures nothing.

A reviewer's first command on a script is `--help`; before this test, bench_history.py died with a
ValueError traceback, bench_probe.py / bench_cpu_gemm_curve.py / bench_plan_infer.py ignored the flag and ran
the whole benchmark, and gpu_compress.py / gpu_optimize.py answered "no CUDA GPU" instead of their usage.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))
HELP_TIMEOUT_S = 90  # imports only (torch included), on a loaded 2-core machine; a measurement takes minutes


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_help_prints_usage_and_runs_nothing(script: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ACCELOPT_NO_HISTORY": "1"}
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=HELP_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("usage:"), proc.stdout[:500]
    assert "Traceback" not in proc.stderr
    # the usage says what the script compares against (the brief: a figure and a ratio against a peer or bound):
    # the whole module docstring, where each states its peer, bound and PASS rule (five printed its first line only)
    import ast

    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    assert doc and " ".join(doc.split()) in " ".join(proc.stdout.split()), f"{script.name}: --help lacks its docstring"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_flag_says_what_it_sets(script: Path) -> None:
    """Checked on the source (nothing imported): each add_argument carries a help text."""
    import ast

    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            assert any(k.arg == "help" for k in node.keywords), f"{script.name}:{node.lineno} has no help="
            kw = {k.arg: k.value for k in node.keywords}
            default = kw.get("default")
            if default is not None and not (isinstance(default, ast.Constant) and default.value is None):
                text = ast.unparse(kw["help"])  # an f-string or %(default)s names its default in --help
                assert "(default" in text, f"{script.name}:{node.lineno}: --help does not say its default"
