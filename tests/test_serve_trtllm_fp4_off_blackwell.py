"""ut3srv (2026-12-06), a defect a user trial found: `plan serve --engine trtllm --weight-dtype nvfp4` on an H100
printed a prediction under a note naming vLLM's FP4 Marlin kernel, a path TensorRT-LLM does not have: its
quantization hardware support matrix (NVIDIA/TensorRT-LLM docs/source/features/quantization.md at 09d4c79b) lists
NVFP4 and MXFP4 on Blackwell only, and its one off-Blackwell FP4 path is gpt-oss's MXFP4 routed experts on Hopper
(TRITON MoE backend, its GPT-OSS deployment guide). Each test says what it did before."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import run_main, write_csv


@pytest.mark.parametrize("engine", ["trtllm", "trtllm-session"])
@pytest.mark.parametrize(("hardware", "dtype"), [("h100-sxm", "nvfp4"), ("h100-sxm", "mxfp4"),
                                                 ("a100-sxm-80gb", "nvfp4"), ("l40s", "mxfp4")])
def test_trtllm_fp4_weights_refused_without_an_fp4_peak(capsys: pytest.CaptureFixture[str], engine: str,
                                                        hardware: str, dtype: str) -> None:
    """Before: exit 0 with the vLLM Marlin note. Now exit 2 naming the flags, the source and the fixes."""
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", hardware, "--weight-dtype", dtype,
                             "--engine", engine, "--batch", "1"], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert f"--weight-dtype {dtype} with --engine {engine} on {hardware}" in said
    assert "'Hardware Support Matrix'" in said and "fix: use --engine vllm" in said
    assert ("--weight-dtype fp8 or int4" in said) == (hardware != "a100-sxm-80gb")  # no fp8 on Ampere
    assert "Traceback" not in err


def test_vllm_and_blackwell_keep_serving_fp4(capsys: pytest.CaptureFixture[str]) -> None:
    """The weight-only path stays vLLM's on Hopper, and TensorRT-LLM's W4A4 on Blackwell; a search lists the H100 as
    not served under --engine trtllm, with the reason, beside the B200's points."""
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--weight-dtype",
                               "nvfp4", "--engine", "vllm", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    assert [r["device"] for r in json.loads(out)["results"]] == ["h100-sxm"]
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm,b200",
                               "--weight-dtype", "nvfp4", "--engine", "trtllm", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["b200"]
    assert [e["device"] for e in doc["errors"]] == ["h100-sxm"]
    assert "TensorRT-LLM's quantization hardware support matrix" in doc["errors"][0]["problem"]


def test_trtllm_mxfp4_experts_run_on_hopper_not_ampere(capsys: pytest.CaptureFixture[str]) -> None:
    """MXFP4 routed experts beside bf16 layers: TensorRT-LLM's TRITON MoE backend runs them on Hopper (exit 0), not
    on Ampere (exit 2 naming --expert-weight-dtype); an MoE model's fix on Hopper names that split."""
    argv = ["plan", "serve", "--model", "mixtral-8x7b", "--tp", "2", "--weight-dtype", "bf16", "--engine", "trtllm",
            "--batch", "1"]
    code, _, err = run_main([*argv, "--hardware", "h100-sxm", "--expert-weight-dtype", "mxfp4"], capsys)
    assert code == 0, err
    code, _, err = run_main([*argv, "--hardware", "a100-sxm-80gb", "--expert-weight-dtype", "mxfp4"], capsys)
    assert code == 2 and "--expert-weight-dtype mxfp4 with --engine trtllm on a100-sxm-80gb" in " ".join(err.split())
    code, _, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--tp", "2", "--weight-dtype", "nvfp4",
                             "--engine", "trtllm", "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "--weight-dtype bf16 --expert-weight-dtype mxfp4, run on Hopper" in " ".join(err.split())


def test_validate_serving_refuses_such_a_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A runs file's trtllm nvfp4 row on an H100 (a bundled B200 row with its hardware cell edited): before, it was
    predicted with vLLM's path; now the row is refused, naming the source, as plan serve refuses it."""
    runs = Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/published_serving_runs.csv"
    lines = runs.read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    row = next(r for r in rows if r["engine"] == "trtllm" and r["hardware"] == "b200" and r["weight_dtype"] == "nvfp4")
    path = write_csv(tmp_path / "runs.csv", [{**row, "hardware": "h100-sxm", "role": "test"}])
    code, _, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
    assert code == 2, err
    assert "TensorRT-LLM's quantization hardware support matrix" in " ".join(err.split())
