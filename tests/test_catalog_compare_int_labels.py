"""`catalog compare --dtype int4/int8` labelled its integer rows 'FLOP' ('int4 FLOP per joule at TDP', ridge
'(FLOP per byte)') while the values are OP; and a device file without scaleup_domain_devices showed
'scaleup domain devices 1 (0.12x)' as if the file gave 1 (the spec's default for a missing figure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml"


@pytest.mark.parametrize("dtype", ["int8", "int4"])
def test_integer_rows_say_op(dtype: str) -> None:
    out = CliRunner().invoke(app, ["catalog", "compare", "h100-sxm", "a100", "--dtype", dtype, "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["rows"]
    derived = [r for r in rows if r["path"].split(".")[0] in ("ridge_flop_per_byte", "flop_per_j", "flop_per_usd")]
    assert len(derived) == 3
    for r in derived:
        text = " ".join([r["metric"], r["unit"], r["formula"] or ""])
        assert "FLOP" not in text, r
        assert "OP" in r["unit"], r
    table = CliRunner().invoke(app, ["catalog", "compare", "h100-sxm", "a100", "--dtype", dtype]).output
    assert f"{dtype} OP per joule" in table and "FLOP per" not in table, table


def test_float_rows_still_say_flop() -> None:
    out = CliRunner().invoke(app, ["catalog", "compare", "h100-sxm", "a100", "--dtype", "bf16", "--json"])
    metrics = [r["metric"] for r in json.loads(out.output)["rows"]]
    assert "bf16 FLOP per joule at TDP" in metrics


def test_missing_scaleup_size_is_not_shown_as_one() -> None:
    args = ["catalog", "compare", "h100-sxm", "my-asic", "--catalog", str(EXAMPLE)]
    doc = json.loads(CliRunner().invoke(app, [*args, "--json"]).output)
    row = next(r for r in doc["rows"] if r["path"] == "scaleup_domain_devices")
    assert row["values"] == [8.0, None] and row["ratio_vs_first"] == [1.0, None], row
    table = CliRunner().invoke(app, args).output
    line = next(ln for ln in table.splitlines() if "scaleup domain devices" in ln)
    assert "0.12x" not in line and " 1 " not in line, line
