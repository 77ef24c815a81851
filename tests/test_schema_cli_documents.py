"""Every --json document a user's variant of a command prints validates against the schema `accelopt schema KIND`
prints (tests/test_report_schema.py checks one run per kind against the library's schema; these are the variants a
new user reaches: unlimited bandwidth (inf in the design), the row-stationary dataflow, a sweep over 'inf' GB/s,
Eyeriss's published check, a device file of one's own with few fields and a markup-like name, int8 and fp8
comparisons)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import run_main

DEVICE = """[[device]]
name = "acme-[red]x1[/red]"
display_name = "ACME [bold]X1[/bold]"
kind = "asic"
vendor = "ACME"
peak_flop_per_s = { bf16 = [200e12, "our sheet"], fp8 = [400e12, "our sheet"] }
memory_bytes = [64e9, "our sheet"]
memory_bandwidth_byte_per_s = [2e12, "our sheet"]
tdp_w = [300, "our sheet"]
"""

CASES = {
    "simulate-unlimited-bandwidth": ["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--unlimited-bandwidth"],
    "simulate-row-stationary": ["simulate", "run", "-d", "eyeriss", "-m", "alexnet-conv", "--batch", "2"],
    "simulate-scalesim-code": ["simulate", "run", "-d", "edge-npu", "-m", "alexnet-conv", "--convention",
                               "scalesim-code"],
    "sweep-inf-bandwidth": ["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16", "--cols", "16", "--sram-kib",
                            "64", "--bandwidth-gbps", "10,inf"],
    "sweep-rs": ["simulate", "sweep", "-m", "alexnet-conv", "-d", "eyeriss", "--rows", "12", "--cols", "14",
                 "--sram-kib", "108", "--dataflow", "ws,rs"],
    "published-eyeriss": ["simulate", "published", "--chip", "eyeriss"],
    "compare-own-device": ["catalog", "compare", "h100-sxm", "acme-[red]x1[/red]", "--catalog", "DEVICE"],
    "compare-int8": ["catalog", "compare", "edge-tpu", "h100-sxm", "--dtype", "int8"],
    "compare-fp8": ["catalog", "compare", "h100-sxm", "mi300x", "gaudi2", "--dtype", "fp8"],
}


def _printed_schema(kind: str, capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run_main(["schema", kind], capsys)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_document_validates_against_the_printed_schema(case: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    device = tmp_path / "dev.toml"
    device.write_text(DEVICE)
    argv = [str(device) if a == "DEVICE" else a for a in CASES[case]]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    kind = doc["schema"].removeprefix("accelopt.")
    jsonschema.Draft202012Validator(_printed_schema(kind, capsys)).validate(doc)
