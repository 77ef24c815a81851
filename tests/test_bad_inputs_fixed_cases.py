"""Bad inputs found by a final fuzzing pass: each must end in `error:` + `fix:` and exit status 2 (no traceback,
no silent wrong default). One test per fixed case."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.units import parse_int_range


def _expect_input_error(capsys: pytest.CaptureFixture[str], *args: str, says: str) -> str:
    code, _, err = run_main(list(args), capsys)
    assert code == 2, err
    assert "Traceback" not in err
    assert "error:" in err and "fix:" in err, err
    assert says in err, err
    return err


def _binary(tmp_path: Path) -> Path:
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\x00\xa4\xff\xfe" * 16)
    return p


def _runs_csv(tmp_path: Path, edit: tuple[str, str] | None = None, keep_rows: int = 1) -> Path:
    """The bundled runs CSV's header plus its first `keep_rows` rows, with one text substitution in row 1."""
    text = (resources.files("accelopt.predict") / "data" / "published_training_runs.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")][: 1 + keep_rows]
    if edit is not None:
        assert edit[0] in lines[1]
        lines[1] = lines[1].replace(edit[0], edit[1], 1)
    p = tmp_path / "runs.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


# --- files that are folders or not UTF-8 (were IsADirectoryError / UnicodeDecodeError tracebacks) ---

def test_catalog_file_is_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "catalog", "list", "--catalog", str(tmp_path), says="not a file")


def test_catalog_file_binary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "catalog", "show", str(_binary(tmp_path)), says="not UTF-8")


def test_calibration_file_is_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "validate", "--calibration", str(tmp_path), says="not a file")


def test_calibration_file_binary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "plan", "--model", "gpt3-125m", "--calibration", str(_binary(tmp_path)),
                        says="not UTF-8")


def test_runs_file_is_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "validate", "--runs", str(tmp_path), says="not a file")


def test_collectives_file_is_a_device(capsys: pytest.CaptureFixture[str]) -> None:
    # /dev/null is neither a file nor a folder: the error says which it is (it said 'not a folder')
    _expect_input_error(capsys, "plan", "serve", "--model", "llama3-8b", "--collectives", "/dev/null",
                        says="is a device or pipe, not a file")


def test_runs_file_empty_string(capsys: pytest.CaptureFixture[str]) -> None:
    _expect_input_error(capsys, "validate", "--runs", "", says="--runs '' is empty")  # not the current folder


def test_runs_file_binary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "validate", "--runs", str(_binary(tmp_path)), says="not UTF-8")


def test_workload_file_is_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _expect_input_error(capsys, "simulate", "run", "--design", "tpu-v1", "--workload", str(tmp_path),
                        says="not a file")


# --- validate --runs: CSV content (were tracebacks or a silent empty / NaN report) ---

def test_runs_file_without_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "header_only.csv"
    p.write_text(_runs_csv(tmp_path).read_text().splitlines()[0] + "\n", encoding="utf-8")
    _expect_input_error(capsys, "validate", "--runs", str(p), says="holds no runs")


def test_runs_file_toml_given_as_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "cal.toml"
    p.write_text("[family.x]\nmatmul_eff_max = 0.5\n", encoding="utf-8")
    _expect_input_error(capsys, "validate", "--runs", str(p), says="lacks the column(s) id")


def test_runs_file_missing_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = _runs_csv(tmp_path)
    rows = [",".join(ln.split(",")[:10]) for ln in p.read_text().splitlines()]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _expect_input_error(capsys, "validate", "--runs", str(p), says="lacks the column(s) seq")


def test_runs_cell_not_a_number(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = _runs_csv(tmp_path, (",32,1.7,", ",abc,1.7,"))
    _expect_input_error(capsys, "validate", "--runs", str(p), says="devices = 'abc'")


def test_runs_cell_nan_published_figure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = _runs_csv(tmp_path, (",137,44,", ",nan,44,"))  # a NaN figure made a null error, silently
    _expect_input_error(capsys, "validate", "--runs", str(p), says="tflops_per_gpu = 'nan'")


def test_runs_cell_zero_published_figure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = _runs_csv(tmp_path, (",137,44,", ",0,44,"))  # was ZeroDivisionError
    _expect_input_error(capsys, "validate", "--runs", str(p), says="tflops_per_gpu = '0'")


def test_runs_cell_negative_devices(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = _runs_csv(tmp_path, (",32,1.7,", ",-4,1.7,"))  # gave a -112% "error" silently
    _expect_input_error(capsys, "validate", "--runs", str(p), says="devices = '-4'")


def test_runs_row_without_published_figure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = _runs_csv(tmp_path, (",137,44,", ",,44,"))
    # 2026-12-05 (utval, be71b6c8): a row whose only figure is an mfu_pct that is not compared now names that cell and
    # why it is not compared (it said "no published figure (tflops_per_gpu is blank)")
    _expect_input_error(capsys, "validate", "--runs", str(p), says="is the compared figure only for sources starting")


# --- plan facility flags and price: NaN / inf were accepted silently ---

@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--grid-kg-per-kwh", "nan", "grid_kg_co2_per_kwh"),
    ("--host-w", "inf", "host_power_w_per_device"),
    ("--host-w", "nan", "host_power_w_per_device"),
    ("--pue", "inf", "pue"),
])
def test_plan_facility_not_finite(capsys: pytest.CaptureFixture[str], flag: str, value: str, says: str) -> None:
    _expect_input_error(capsys, "plan", "--model", "gpt3-125m", "--devices", "8", flag, value, says=says)


def test_serve_price_inf(capsys: pytest.CaptureFixture[str]) -> None:
    _expect_input_error(capsys, "plan", "serve", "--model", "gpt3-125m", "--hardware", "h100-sxm",
                        "--price-usd-per-hour", "inf", says="finite number")


# --- duplicates and ranges (were silently listed twice / truncated) ---

def test_plan_hardware_named_twice(capsys: pytest.CaptureFixture[str]) -> None:
    _expect_input_error(capsys, "plan", "--model", "gpt3-125m", "--devices", "8", "--hardware", "h100-sxm,h100-sxm",
                        says="more than once")


def test_catalog_compare_same_device_twice(capsys: pytest.CaptureFixture[str]) -> None:
    _expect_input_error(capsys, "catalog", "compare", "h100-sxm", "h100-sxm", says="more than once")


def test_devices_fraction_is_not_truncated(capsys: pytest.CaptureFixture[str]) -> None:
    _expect_input_error(capsys, "plan", "--model", "gpt3-125m", "--devices", "1.5", says="not a whole number")


def test_devices_empty_item(capsys: pytest.CaptureFixture[str]) -> None:
    _expect_input_error(capsys, "plan", "--model", "gpt3-125m", "--devices", "8,,16", says="empty item")


def test_int_range_drops_repeats_and_rejects_fractional_bounds() -> None:
    assert parse_int_range("8,8,16", "--devices") == [8, 16]
    with pytest.raises(InputError, match="whole number"):
        parse_int_range("2.5..8", "--devices")


def test_sweep_repeated_dataflow_evaluated_once(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, err = run_main(["simulate", "sweep", "--model", "alexnet-conv", "--dataflow", "os,os", "--rows", "16",
                               "--cols", "16", "--sram-kib", "64", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["evaluated"] == 1
