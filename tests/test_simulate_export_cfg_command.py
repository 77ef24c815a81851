"""`simulate export --out X.cfg` said 'run it with scalesim -c X.cfg': scalesim 3.0.0 (PyPI) installs no `scalesim`
command, and its scale.py stops with 'Layout file not found' unless -l names a layout file (its default is
./layouts/conv_nets/test.csv) and needs -t for a topology (utsim's trial). The export now prints (and writes into
the file's header) the command that runs: python -m scalesim.scale -c X.cfg -t TOPOLOGY.csv -l LAYOUT.csv -p OUT_DIR.
The command is run here, as printed, through scalesim's own scale.py where scalesim is installed."""

from __future__ import annotations

import contextlib
import io
import runpy
import shlex
import sys
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main


def _export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[Path, str]:
    design = tmp_path / "d.toml"
    design.write_text(SMALL_DESIGN_TOML.replace("12.8e9", "inf"))  # CALC mode: scalesim runs it fast
    cfg = tmp_path / "my design.cfg"
    code, out, err = run_main(["simulate", "export", "-d", str(design), "--out", str(cfg)], capsys)
    assert code == 0, err
    return cfg, out


def test_export_prints_a_scalesim_command_that_exists(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg, out = _export(capsys, tmp_path)
    assert "run it with scalesim -c" not in out
    command = f"python -m scalesim.scale -c {shlex.quote(str(cfg))} -t TOPOLOGY.csv -l LAYOUT.csv -p OUT_DIR"
    assert command in out
    assert "# Run: python -m scalesim.scale -c THIS_FILE.cfg -t TOPOLOGY.csv -l LAYOUT.csv" in cfg.read_text()


def _scale_py(argv: list[str]) -> str:
    """scalesim's scale.py run as `python -m scalesim.scale ARGV` (NumPy >= 2.3 shimmed, as the reference runs)."""
    from accelopt.simulate.reference import _numpy2_shim

    saved, sys.argv = sys.argv, ["scale.py", *argv]
    buf = io.StringIO()
    try:
        with _numpy2_shim(), contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
            runpy.run_module("scalesim.scale", run_name="__main__")
    finally:
        sys.argv = saved
    return buf.getvalue()


def test_the_printed_command_runs_in_scalesim(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("scalesim")
    from importlib.metadata import distribution

    eps = distribution("scalesim").entry_points
    assert not [e for e in eps if e.group == "console_scripts" and e.name == "scalesim"]  # no such command
    cfg, _ = _export(capsys, tmp_path)
    topo, layout = tmp_path / "t.csv", tmp_path / "layout.csv"
    topo.write_text("Layer, M, N, K,\ng1, 16, 8, 12,\n")
    layout.write_text("Layer name,\n")
    monkeypatch.chdir(tmp_path)  # the default layout path is relative: absent here
    said = _scale_py(["-c", str(cfg), "-t", str(topo), "-p", str(tmp_path / "out0"), "-i", "gemm", "-s", "N"])
    assert "Layout file not found" in said  # what the old hint led to
    _scale_py(["-c", str(cfg), "-t", str(topo), "-l", str(layout), "-p", str(tmp_path / "out"), "-i", "gemm",
               "-s", "N"])
    reports = list((tmp_path / "out").glob("*/COMPUTE_REPORT.csv"))
    assert len(reports) == 1 and len(reports[0].read_text().splitlines()) == 2  # header + the one layer
