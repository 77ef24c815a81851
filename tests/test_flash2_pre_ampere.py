"""`plan` and `plan explain` took an explicit --attention-kernel flash2 or triton on v100-sxm and t4 and timed it,
though FlashAttention-2 runs on NVIDIA Ampere, Ada and Hopper only (Dao-AILab/flash-attention README at 014c349, 'NVIDIA
CUDA Support': Turing 'coming soon', Volta not listed), and FlashAttention in Triton neither: Triton supports NVIDIA
GPUs of compute capability 8.0+ (triton-lang/triton README at c449ceff, 'Compatibility'), Triton's own FlashAttention
op refuses compute capability below 8.0 (python/triton/ops/flash_attention.py at 41e336fd, _attention.forward) and
flash_attn_triton 'has only been tested on A100' (Dao-AILab/flash-attention at 00583fb, its header; triton refused
since leftovers3). Both are now refused on an NVIDIA GPU older than Ampere with exit 2, the problem and a fix; a
search over several devices leaves such a device out with the reason shown. No runs-file row times either on a
pre-Ampere GPU (test_no_runs_file_row_uses_a_gpu_kernel_before_ampere)."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.compute import attention_kernel_device_problem

KERNELS = ("flash2", "triton")
_PLAN = ["plan", "--model", "llama2-7b", "--dtype", "fp16", "--devices", "8", "--tokens", "1e9", "--top", "1"]
_FIX_DEVICES = {"flash2": "or an NVIDIA GPU of Ampere or newer or an AMD MI200/MI300",
                "triton": "or an NVIDIA GPU of Ampere or newer or an AMD GPU"}
_CITED = {"flash2": "FlashAttention-2 with CUDA supports Ampere, Ada, or Hopper GPUs",
          "triton": "NVIDIA GPUs of compute capability 8.0+"}


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("device", ["v100-sxm", "t4"])
def test_plan_refuses_the_kernel_before_ampere(device: str, kernel: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_PLAN, "--attention-kernel", kernel, "--hardware", device], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert f"--attention-kernel {kernel} needs an NVIDIA GPU of Ampere or newer" in said
    assert _CITED[kernel] in said
    assert f"{device} is older" in said
    assert "fix: give --attention-kernel fused (the default) or unfused" in said
    assert "Traceback" not in err


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("device", ["v100-sxm", "t4"])
def test_plan_explain_refuses_the_kernel_before_ampere(device: str, kernel: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "llama2-7b", "--dtype", "fp16", "--devices", "8",
                             "--tp", "8", "--pp", "1", "--attention-kernel", kernel, "--hardware", device], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert f"--attention-kernel {kernel} needs an NVIDIA GPU of Ampere or newer" in said
    assert _FIX_DEVICES[kernel] in said.split("fix:")[1]


@pytest.mark.parametrize("kernel", KERNELS)
def test_search_leaves_pre_ampere_devices_out_with_the_reason(kernel: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_PLAN, "--attention-kernel", kernel, "--hardware", "v100-sxm,h100-sxm"], capsys)
    said = " ".join((out + err).split())
    assert code == 0, err
    assert f"not searched: v100-sxm (--attention-kernel {kernel} needs an NVIDIA GPU of Ampere or newer" in said
    # the skipped device gets no per-device attention-kernel note as if it had been timed
    assert f"v100-sxm: attention kernel {kernel}" not in said


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("device", ["a100-sxm-80gb", "h100-sxm", "l4", "mi300x"])
def test_the_kernel_stays_allowed_on_the_gpus_its_sources_list(device: str, kernel: str) -> None:
    assert attention_kernel_device_problem(kernel, get_device(device)) == ""


def test_triton_stays_allowed_on_every_amd_gpu_of_the_catalog() -> None:
    """Triton's README: AMD GPUs (ROCm 6.2+), no CDNA generation named; the catalog's AMD GPUs are CDNA2 or newer."""
    for name in ("mi250x", "mi250x-gcd", "mi300x", "mi325x", "mi355x"):
        assert attention_kernel_device_problem("triton", get_device(name)) == ""


def test_fused_stays_allowed_on_v100() -> None:
    assert attention_kernel_device_problem("fused", get_device("v100-sxm")) == ""


def test_no_runs_file_row_uses_a_gpu_kernel_before_ampere() -> None:
    text = resources.files("accelopt.predict.data").joinpath("published_training_runs.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    pre_ampere = [r["id"] for r in rows
                  if r["attention_kernel"] in KERNELS and attention_kernel_device_problem(r["attention_kernel"],
                                                                                           get_device(r["hardware"]))]
    assert pre_ampere == []


def test_attention_kernel_help_names_the_pre_ampere_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    """review_prod: `plan --help` said flash2 and triton are refused on a non-GPU device only, while both are refused
    on a V100 or T4 too (985f6a75 for triton)."""
    code, out, _ = run_main(["plan", "--help"], capsys)
    assert code == 0
    words = " ".join(out.replace("│", " ").split())
    assert "Ampere or newer on NVIDIA (refused on a TPU or other non-GPU device and on a V100 or T4" in words
