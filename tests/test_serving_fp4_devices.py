"""ut_plan2 (2026-12-03), a defect a user trial left: `plan serve` ran nvfp4 / mxfp4 weights weight-only on a V100,
where no published engine has an FP4 weight-only kernel; leftovers3 the same off a GPU (TPU, Gaudi, Trainium, CPU)
and nvfp4 at an MI355X's MXFP4 peak. Each test names what it did before."""

from __future__ import annotations

import json

import pytest
from conftest import run_main


@pytest.mark.parametrize("dtype", ["nvfp4", "mxfp4"])
def test_fp4_weights_refused_on_v100(capsys: pytest.CaptureFixture[str], dtype: str) -> None:
    """Before: `plan serve --weight-dtype nvfp4/mxfp4` on a V100 ran the weights weight-only at the fp16 peak, but
    vLLM's FP4 Marlin kernel needs compute capability 7.5 (vllm@de5f26d5 marlin_utils_fp4.is_fp4_marlin_supported).
    Now exit 2 naming the device, the dtype and a fix. (A T4 serves nvfp4 only: fix_t4fp4's tests below.)"""
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "v100", "--weight-dtype", dtype],
                            capsys)
    assert code == 2
    assert f"--weight-dtype {dtype} on v100-sxm" in err and "fix: use --weight-dtype fp16" in err


def test_fp4_all_hardware_lists_v100_as_not_served(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --hardware all --weight-dtype nvfp4`: the V100 is listed with the reason, the others are served."""
    code, out, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "v100,t4,h100-sxm",
                               "--weight-dtype", "nvfp4", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert [e["device"] for e in res["errors"]] == ["v100-sxm"]
    assert "Marlin" in res["errors"][0]["problem"]
    assert {r["device"] for r in res["results"]} == {"t4", "h100-sxm"}


def _serve_json(capsys: pytest.CaptureFixture[str], hardware: str, dtype: str) -> tuple[int, dict, str]:
    code, out, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", hardware, "--weight-dtype",
                               dtype, "--json"], capsys)
    return code, (json.loads(out) if out.strip() else {}), err


@pytest.mark.parametrize("hardware", ["tpu-v5p", "gaudi3", "trainium2", "xeon-8480plus"])
@pytest.mark.parametrize("dtype", ["nvfp4", "mxfp4"])
def test_fp4_weights_refused_off_a_gpu(capsys: pytest.CaptureFixture[str], hardware: str, dtype: str) -> None:
    """leftovers3: before, a TPU, Gaudi, Trainium or CPU served nvfp4/mxfp4 weights weight-only with the note citing
    vLLM's Marlin / triton_kernels on Hopper; vLLM's get_mxfp4_backend (mxfp4.py at 007d500) has no backend off CUDA,
    XPU and ROCm, and no stored source gives these devices an FP4 weight path. Now exit 2 with that source and a fix."""
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", hardware, "--weight-dtype", dtype],
                            capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert f"--weight-dtype {dtype} on {hardware}" in said and "get_mxfp4_backend returns NONE" in said
    assert "fix: use --weight-dtype bf16" in said and "an AMD GPU (mi300x)" in said
    assert "Traceback" not in err


def test_fp4_search_lists_a_tpu_as_not_served(capsys: pytest.CaptureFixture[str]) -> None:
    code, res, err = _serve_json(capsys, "tpu-v5p,h100-sxm", "mxfp4")
    assert code == 0, err
    assert [e["device"] for e in res["errors"]] == ["tpu-v5p"]
    assert {r["device"] for r in res["results"]} == {"h100-sxm"}


def test_nvfp4_on_mi355x_runs_at_the_16_bit_peak(capsys: pytest.CaptureFixture[str]) -> None:
    """leftovers3: before, nvfp4 weights on an MI355X ran W4A4 at its fp4 peak (10 PFLOPS), which the datasheet gives
    for MXFP4/MXFP6; AMD has no native NVFP4 path (ROCm/aiter PR #4021, meta-pytorch/MSLK PR #381) and vLLM runs
    NVFP4 there by emulation (vllm PR #35733). Now the matmuls run at the bf16 peak, said with the assumption; mxfp4
    keeps the fp4 peak."""
    code, res, err = _serve_json(capsys, "mi355x", "nvfp4")
    assert code == 0, err
    assert {p["compute_dtype"] for p in res["results"][0]["points"]} == {"bf16"}
    notes = " ".join(res["notes"])
    assert "mi355x has no NVFP4 path" in notes and "ROCm/aiter PR #4021" in notes and "lower bound" in notes
    code, res, err = _serve_json(capsys, "mi355x", "mxfp4")
    assert code == 0, err
    assert {p["compute_dtype"] for p in res["results"][0]["points"]} == {"fp4"}


def test_mxfp4_on_mi300x_cites_vllms_rocm_backend(capsys: pytest.CaptureFixture[str]) -> None:
    """leftovers3: before, the weight-only note on an AMD GPU cited vLLM's kernels 'on Hopper'; now vLLM's ROCm Triton
    MXFP4 backend (mxfp4.py at 007d500)."""
    code, res, err = _serve_json(capsys, "mi300x", "mxfp4")
    assert code == 0, err
    notes = " ".join(res["notes"])
    assert "returns TRITON on ROCm" in notes and "on Hopper" not in notes


def test_weight_dtype_help_names_the_fp4_refusals(capsys: pytest.CaptureFixture[str]) -> None:
    """review_prod: `plan serve --help` said nvfp4/mxfp4 run 'elsewhere weight-only 4-bit at the 16-bit peak' after
    leftovers3 refused them off a GPU (and ut_plan2 on a V100) and ran nvfp4 at the 16-bit peak on an MI355X."""
    code, out, _ = run_main(["plan", "serve", "--help"], capsys)
    assert code == 0
    words = " ".join(out.replace("│", " ").split())
    assert "elsewhere weight-only" not in words
    assert "refused on a device that is not a GPU" in words and "older than Turing" in words
    assert "nvfp4 on AMD ones, weight-only" in words


# fix_t4fp4 (2026-12-03): vLLM's gates differ by format. Mxfp4Config.get_min_capability() is 80 (vllm mxfp4.py at
# 007d5005, the commit get_mxfp4_backend is cited at), so vLLM refuses MXFP4 checkpoints on a T4 (sm75) although its
# FP4 Marlin kernel runs from sm75 (marlin_utils_fp4.py at de5f26d5); ModelOptNvFp4Config.get_min_capability() is 75
# (modelopt.py at 00155cde), so NVFP4 loads on a T4. Before, `plan serve` served mxfp4 on a T4 and its fix named t4.


@pytest.mark.parametrize(("hardware", "dtype", "served"), [
    ("t4", "nvfp4", True), ("t4", "mxfp4", False), ("v100", "nvfp4", False), ("v100", "mxfp4", False),
    ("a100", "nvfp4", True), ("a100", "mxfp4", True), ("l4", "mxfp4", True), ("l40s", "mxfp4", True),
    ("l40s", "nvfp4", True)])
def test_fp4_served_where_vllm_loads_it(capsys: pytest.CaptureFixture[str], hardware: str, dtype: str,
                                        served: bool) -> None:
    """Before: mxfp4 on a T4 was served weight-only (exit 0); now exit 2 as vLLM's MXFP4 minimum capability 8.0."""
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", hardware, "--weight-dtype", dtype,
                             "--json"], capsys)
    assert (code == 0) == served, err


def test_mxfp4_on_t4_cites_the_minimum_capability(capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal cites Mxfp4Config.get_min_capability 80 and its fix names Ampere GPUs, not the T4 itself."""
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "t4", "--weight-dtype", "mxfp4"],
                            capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "--weight-dtype mxfp4 on t4" in said and "Mxfp4Config.get_min_capability() returns 80" in said
    assert "fix: use --weight-dtype fp16 or int8 or w8a8 or int4 on t4" in said
    assert "Ampere or newer (a100, l4, h100-sxm)" in said and "(t4," not in said


def test_fp4_fix_names_the_gpus_of_its_format(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the V100's fix named t4 for both formats; now t4 for nvfp4 (ModelOptNvFp4Config 75), a100 for mxfp4."""
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "v100", "--weight-dtype", "nvfp4"],
                            capsys)
    said = " ".join(err.split())
    assert code == 2 and "Turing or newer (t4, a100, h100-sxm)" in said
    assert "ModelOptNvFp4Config.get_min_capability() returns 75" in said
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "v100", "--weight-dtype", "mxfp4"],
                            capsys)
    said = " ".join(err.split())
    assert code == 2 and "Ampere or newer (a100, l4, h100-sxm)" in said and "(t4," not in said


def test_mxfp4_search_lists_t4_as_not_served(capsys: pytest.CaptureFixture[str]) -> None:
    code, res, err = _serve_json(capsys, "v100,t4,a100", "mxfp4")
    assert code == 0, err
    assert sorted(e["device"] for e in res["errors"]) == ["t4", "v100-sxm"]
    assert {r["device"] for r in res["results"]} == {"a100-sxm-80gb"}


def test_mxfp4_experts_refused_on_t4(capsys: pytest.CaptureFixture[str]) -> None:
    """--expert-weight-dtype mxfp4 (gpt-oss's checkpoint form) follows the same gate, and the memory fix on a T4 no
    longer suggests mxfp4 experts (before: '--expert-weight-dtype mxfp4 or int4'); nvfp4 experts pass the gate and
    stop at memory (26.6 GiB of weights on one 15 GiB T4)."""
    base = ["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "t4", "--batch", "1", "--weight-dtype", "fp16"]
    code, _, err = run_main([*base, "--expert-weight-dtype", "mxfp4", "--tp", "4"], capsys)  # refused before any link
    assert code == 2 and "get_min_capability() returns 80" in " ".join(err.split())
    code, _, err = run_main([*base, "--expert-weight-dtype", "nvfp4"], capsys)
    said = " ".join(err.split())
    assert code == 2 and "the weights alone need" in said and "get_min_capability" not in said
    # int4 experts (24.8 GiB of weights) do not fit its 13.5 GiB either: no expert dtype is named (utmisc 2026-12-04)
    assert "--expert-weight-dtype" not in said.split("fix:", 1)[1] and "mxfp4 or int4" not in said


def test_weight_dtype_help_names_the_mxfp4_ampere_floor(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "serve", "--help"], capsys)
    assert code == 0
    assert "mxfp4 older than Ampere" in " ".join(out.replace("│", " ").split())


def test_nvfp4_note_on_t4_cites_the_fp4_marlin_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the weight-only note for nvfp4 on a T4 said the weights run 'as vLLM's Marlin / triton_kernels MXFP4
    kernels do on Hopper'; vLLM serves NVFP4 off FP4 tensor cores with its FP4 Marlin kernel, from sm75."""
    code, res, err = _serve_json(capsys, "t4", "nvfp4")
    assert code == 0, err
    notes = " ".join(res["notes"])
    assert "FP4 Marlin kernel does from compute capability 7.5" in notes and "on Hopper" not in notes


def test_mxfp4_note_on_a100_names_the_capability_not_hopper(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: MXFP4 weight-only on an A100 (no fp4 peak, compute capability 8.0) read 'as vLLM's Marlin /
    triton_kernels MXFP4 kernels do on Hopper', a device it is not; vLLM's MXFP4 floor is compute capability 8.0."""
    code, res, err = _serve_json(capsys, "a100-sxm-80gb", "mxfp4")
    assert code == 0, err
    notes = " ".join(res["notes"])
    assert "compute capability 8.0 or newer" in notes and "on Hopper" not in notes
