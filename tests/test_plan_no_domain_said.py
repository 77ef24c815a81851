"""A spec TOML that lists no scale-up link leaves scaleup_domain_devices at its default 1: every collective,
tensor-parallel ones inside an 8-GPU node too, then runs on the scale-out figure. That default moved a user's
torchtitan Llama 3.1 70B run (256 H100, FSDP 32 x TP 8; pytorch/torchtitan@eaea6f6 docs/performance.md Table 4,
829 tokens/s per GPU = a 19.76 s step) to a 3.2 min prediction with only the scale-out defaults said; the domain
default is said beside the result, in the JSON `assumed` list and in `validate`'s assumed lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# The user's spec: figures from the torchtitan page (H100 96GB HBM2e, 2.4 TB/s, 500 W), no scale-up link figures;
# its network port only (a spec with no link at all stops with an error since utleft3: tests/test_no_link_stops.py).
NO_LINKS = """
[[device]]
name = "h100-gt-nolinks"
kind = "gpu"
vendor = "NVIDIA"
peak_flop_per_s = { bf16 = [989.4e12, "h100 datasheet"] }
memory_bytes = [96e9, "torchtitan docs/performance.md"]
memory_bandwidth_byte_per_s = [2.4e12, "torchtitan docs/performance.md"]
tdp_w = [500, "torchtitan docs/performance.md"]
scaleout_bandwidth_byte_per_s = [50e9, "ConnectX-7 400 Gb/s per GPU"]
"""

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--tp", "8", "--mbs", "1", "--zero", "3", "--recompute",
           "full", "--seq-len", "8192", "--global-batch", "16seq", "--stack", "pytorch-fsdp"]


def _spec(tmp_path: Path, text: str = NO_LINKS) -> str:
    path = tmp_path / "node.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_domain_default_in_json_and_console(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hw = _spec(tmp_path)
    code, out, _ = run_main([*EXPLAIN, "--hardware", hw, "--devices", "16", "--json"], capsys)
    assert code == 0
    [dom] = [a for a in json.loads(out)["assumed"] if a["field"] == "scaleup_domain_devices"]
    assert dom["value"] == 1 and dom["scope"] == "scale-out" and "tensor-parallel" in dom["basis"]
    code, out, _ = run_main([*EXPLAIN, "--hardware", hw, "--devices", "16"], capsys)
    assert code == 0
    assert "scaleup_domain_devices = 1 (assumed, not in the spec" in " ".join(out.split())


def test_domain_default_not_said_for_one_device_or_a_given_domain(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    code, out, _ = run_main(["plan", "explain", "--model", "gpt3-125m", "--hardware", _spec(tmp_path), "--devices",
                             "1", "--json"], capsys)
    assert code == 0 and not json.loads(out)["assumed"]  # one device: no link used
    given = NO_LINKS + 'scaleup_domain_devices = [8, "one node"]\nscaleup_bandwidth_byte_per_s = [450e9, "NVLink"]\n'
    code, out, _ = run_main([*EXPLAIN, "--hardware", _spec(tmp_path, given), "--devices", "16", "--json"], capsys)
    assert code == 0
    assert "scaleup_domain_devices" not in {a["field"] for a in json.loads(out)["assumed"]}


def test_validate_names_the_domain_default(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _spec(tmp_path)
    (tmp_path / "runs.csv").write_text(
        "id,source,hardware,devices,layers,hidden,heads,kv_heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,recompute,"
        "step_s,flash,overlap,zero,stack\n"
        "tt-8b,torchtitan eaea6f6 Table1,node.toml,8,32,4096,32,8,14336,128256,8192,swiglu,16,1,1,8,op,2.8434,1,1,3,"
        "pytorch-fsdp\n", encoding="utf-8")
    code, out, _ = run_main(["validate", "--runs", str(tmp_path / "runs.csv")], capsys)
    assert code == 0
    assert "scaleup_domain_devices = 1 (assumed, not in the spec" in " ".join(out.split())
