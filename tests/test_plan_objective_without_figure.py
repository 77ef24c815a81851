"""`plan --objective cost|energy` with a device that has no price / TDP: its layouts fit but have no figure to rank.
Alone it said "no feasible layout ... the closest to fitting memory are listed" (exit 2) though 1,600 layouts fit;
beside a priced device it vanished from the ranking without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

NO_PRICE_NO_TDP = """[[device]]
name = "bare-gpu"
kind = "gpu"
peak_flop_per_s = { bf16 = [989e12, "ds"] }
memory_bytes = [80e9, "ds"]
memory_bandwidth_byte_per_s = [3.35e12, "ds"]
scaleout_bandwidth_byte_per_s = [50e9, "ds"]
"""
ARGS = ["plan", "--model", "gpt3-125m", "--devices", "8", "--top", "2", "--tokens", "1e9"]


def _catalog(tmp_path: Path) -> str:
    p = tmp_path / "bare.toml"
    p.write_text(NO_PRICE_NO_TDP, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("objective, field", [("energy", "tdp_w"), ("cost", "price_usd_per_hour")])
def test_alone_it_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str], objective: str,
                                       field: str) -> None:
    code, _out, err = run_main([*ARGS, "--catalog", _catalog(tmp_path), "--hardware", "bare-gpu", "--objective",
                                objective], capsys)
    assert code == 2 and "closest to fitting memory" not in err
    assert f"--objective {objective}" in err and "bare-gpu" in err and field in err and "--objective time" in err


def test_beside_a_priced_device_it_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGS, "--catalog", _catalog(tmp_path), "--hardware", "bare-gpu,h100-sxm",
                               "--objective", "cost", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["hardware"] for r in doc["best"]} == {"h100-sxm"}
    assert any(n.startswith("bare-gpu: no price_usd_per_hour") for n in doc["notes"])
