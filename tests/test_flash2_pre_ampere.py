"""`plan` and `plan explain` took an explicit --attention-kernel flash2 on v100-sxm and t4 and timed it, though
FlashAttention-2 runs on NVIDIA Ampere, Ada and Hopper only (Dao-AILab/flash-attention README at 014c349, 'NVIDIA CUDA
Support': Turing 'coming soon', Volta not listed). It is now refused on an NVIDIA GPU older than Ampere with exit 2,
the problem and a fix; a search over several devices leaves such a device out with the reason shown. No runs-file
row times flash2 on a pre-Ampere GPU (test_no_runs_file_row_uses_flash2_before_ampere)."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.compute import attention_kernel_device_problem

_PLAN = ["plan", "--model", "llama2-7b", "--dtype", "fp16", "--devices", "8", "--tokens", "1e9", "--top", "1",
         "--attention-kernel", "flash2"]


@pytest.mark.parametrize("device", ["v100-sxm", "t4"])
def test_plan_refuses_flash2_before_ampere(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_PLAN, "--hardware", device], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "--attention-kernel flash2 needs an NVIDIA GPU of Ampere or newer" in said
    assert f"{device} is older" in said
    assert "fix: give --attention-kernel fused (the default) or unfused" in said
    assert "Traceback" not in err


@pytest.mark.parametrize("device", ["v100-sxm", "t4"])
def test_plan_explain_refuses_flash2_before_ampere(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "llama2-7b", "--dtype", "fp16", "--devices", "8",
                             "--tp", "8", "--pp", "1", "--attention-kernel", "flash2", "--hardware", device], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "--attention-kernel flash2 needs an NVIDIA GPU of Ampere or newer" in said
    assert "or an NVIDIA GPU of Ampere or newer or an AMD MI200/MI300" in said.split("fix:")[1]


def test_search_leaves_pre_ampere_devices_out_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_PLAN, "--hardware", "v100-sxm,h100-sxm"], capsys)
    said = " ".join((out + err).split())
    assert code == 0, err
    assert "not searched: v100-sxm (--attention-kernel flash2 needs an NVIDIA GPU of Ampere or newer" in said
    # the skipped device gets no per-device attention-kernel note as if it had been timed
    assert "v100-sxm: attention kernel flash2" not in said


@pytest.mark.parametrize("device", ["a100-sxm-80gb", "h100-sxm", "l4", "mi300x"])
def test_flash2_stays_allowed_on_the_gpus_its_readme_lists(device: str) -> None:
    assert attention_kernel_device_problem("flash2", get_device(device)) == ""


def test_triton_and_fused_stay_allowed_on_v100() -> None:
    v100 = get_device("v100-sxm")
    assert attention_kernel_device_problem("triton", v100) == ""
    assert attention_kernel_device_problem("fused", v100) == ""


def test_no_runs_file_row_uses_flash2_before_ampere() -> None:
    text = resources.files("accelopt.predict.data").joinpath("published_training_runs.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    pre_ampere = [r["id"] for r in rows
                  if r["attention_kernel"] == "flash2" and attention_kernel_device_problem("flash2",
                                                                                           get_device(r["hardware"]))]
    assert pre_ampere == []
