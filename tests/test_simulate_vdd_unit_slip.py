"""A design's `vdd_v` written in millivolts is refused, as other unit slips of a design file are.

Before, `vdd_v = 900` (meant as 900 mV) ran: every on-chip energy came out ~1.5e6x too high (the Stillmaker & Baas
factor is quadratic in Vdd: 28.6 pJ of MACs became 42.5 µJ on a 4x4 array) with no word; now it is an error naming
the field and the fix, while supplies a 7-180 nm node can have still run."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], vdd: str) -> tuple[int, str, str]:
    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML + f"vdd_v = {vdd}\n")
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    return run_main(["simulate", "run", "-d", str(tmp_path / "d.toml"), "--topology", str(tmp_path / "g.csv")],
                    capsys)


def test_millivolts_are_refused_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    code, out, err = _run(tmp_path, capsys, "850")
    assert code == 2, out
    assert "vdd_v = 850 V" in err and "mV" in err
    assert "vdd_v = 0.85" in err  # the fix says what to write
    assert "Traceback" not in err


@pytest.mark.parametrize("vdd", ["0.85", "1.8", "3.3"])
def test_volts_still_run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                         vdd: str) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    code, out, err = _run(tmp_path, capsys, vdd)
    assert code == 0, err
    assert f"at {float(vdd):.2f} V by Stillmaker & Baas 2017" in out


def test_a_sweep_base_design_is_checked_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML + "vdd_v = 900\n")
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    code, out, err = run_main(["simulate", "sweep", "-d", str(tmp_path / "d.toml"), "--topology",
                               str(tmp_path / "g.csv"), "--rows", "4", "--cols", "4", "--sram-kib", "1"], capsys)
    assert code == 2 and "vdd_v = 900 V" in err, out + err
