"""`simulate export` wrote a design's spec without tdp_w and said nothing: `plan` and `plan infer` then printed the
device's energy n/a with no word at export of why or how to give it. The export now says so in its text and in the
file's header, and takes the power figure with --tdp-w (TPU v1: TDP 75 W, Jouppi et al., ISCA 2017, Table 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib
from conftest import run_main

from accelopt.hardware.catalog import load_file


def test_export_without_a_power_figure_says_so_in_text_and_file(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tpu.toml"
    code, text, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(out), "--no-calibration"], capsys)
    assert code == 0, err
    assert "no TDP" in text and "--tdp-w" in text
    body = out.read_text(encoding="utf-8")
    assert body.startswith("#") and "no TDP" in body.split("[[device]]")[0]  # the file's header says it too
    assert "tdp_w" not in tomllib.loads(body)["device"][0]


def test_tdp_flag_lands_in_the_spec_with_its_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tpu.toml"
    code, text, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(out), "--no-calibration",
                                "--tdp-w", "75"], capsys)
    assert code == 0, err
    assert "TDP 75 W (--tdp-w on the command line)" in text and "no TDP" not in text
    (spec,) = load_file(out)
    assert spec.tdp_w == 75.0 and spec.sources["tdp_w"] == "--tdp-w on the command line"
    assert "no TDP" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "said"), [
    (["--tdp-w", "0"], "--tdp-w 0 is not a finite number of watts > 0"),
    (["--tdp-w", "1e400"], "--tdp-w 1e400 is not finite"),
    (["--tdp-w", "abc"], "--tdp-w 'abc' is not a number"),
    (["--tdp-w", "75000"], "--tdp-w is in watts: give 75 if 75000 is in mW"),
])
def test_bad_tdp_is_refused_naming_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                            said: str) -> None:
    out = tmp_path / "tpu.toml"
    code, _, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(out), "--no-calibration", *args],
                            capsys)
    assert code == 2 and said in err and not out.exists()


def test_tdp_with_a_scalesim_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(tmp_path / "t.cfg"), "--tdp-w", "75"],
                            capsys)
    assert code == 2 and "SCALE-Sim config has no power figure" in err


@pytest.mark.parametrize(("args", "said", "field"), [
    (["--tdp-w", "2e6"], "--tdp-w 2e6 is more than 1e+06 W, past any accelerator built", "tdp_w"),
    (["--dram-bytes", "1e30"], "--dram-bytes 1e30 is more than 1e+16 bytes (10 PB), past any accelerator's memory",
     "memory_bytes"),
])
def test_a_figure_past_any_device_is_refused_naming_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             args: list[str], said: str, field: str) -> None:
    """Past the catalog's limits these were refused by the spec's check, naming its field and asking for SI units
    ("memory_bytes = 1e+30 is not a finite number up to 1e+16 ...; give memory_bytes in SI units (bytes, bytes/s,
    seconds, watts, USD)"): the user typed --dram-bytes, in bytes already."""
    out = tmp_path / "tpu.toml"
    code, _, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(out), "--no-calibration", *args],
                            capsys)
    flat = " ".join(err.split())
    assert code == 2 and said in flat and not out.exists(), flat
    assert f"{field} =" not in flat and "SI units" not in flat
