"""The NVFP4 KV-cache refusals name the GPUs the code accepts (issue 10, Serving: "FP4 KV cache"; rvs32b, s32,
2026-12-05, a leftover of uttrial4's read): the fix of a non-Blackwell device listed b200, gb200, b300 and left out
gb300, which kv_device_problem accepts (an NVIDIA GPU with an fp4 peak, compute capability 10.3), and left out
rtx-pro-6000-server, which it accepts with --engine sglang or no engine. The names now come from
serving.NVFP4_KV_DATACENTER_GPUS / NVFP4_KV_SM120_GPUS, checked here against the bundled catalog and against what
kv_device_problem itself accepts, so the list cannot drift from the rule. Fails before: the constants are new and the
h100 fix named no gb300.
"""

from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.hardware.catalog import default_catalog, get_device
from accelopt.predict.serving import (
    NVFP4_KV_DATACENTER_GPUS,
    NVFP4_KV_ENGINES,
    NVFP4_KV_SM100_ENGINES,
    NVFP4_KV_SM120_GPUS,
    kv_device_problem,
)


def _bundled_nvidia_fp4(major: int) -> set[str]:
    return {s.name for s in default_catalog() if s.kind == "gpu" and s.vendor == "NVIDIA"
            and s.peak("fp4") is not None and (s.cuda_capability() or (0, 0))[0] == major}


def test_the_named_gpus_are_the_catalogs_blackwell_parts_and_the_ones_accepted() -> None:
    assert set(NVFP4_KV_DATACENTER_GPUS) == _bundled_nvidia_fp4(10)
    assert set(NVFP4_KV_SM120_GPUS) == _bundled_nvidia_fp4(12)
    accepted_any = {s.name for s in default_catalog() if kv_device_problem(s, "nvfp4") is None}
    assert accepted_any == set(NVFP4_KV_DATACENTER_GPUS) | set(NVFP4_KV_SM120_GPUS)
    hopper = {s.name for s in default_catalog() if s.kind == "gpu" and s.vendor == "NVIDIA"
              and (s.cuda_capability() or (0, 0))[0] in (8, 9)}  # utleft7: Ampere and Ada too
    for engine in NVFP4_KV_ENGINES:
        accepted = {s.name for s in default_catalog() if kv_device_problem(s, "nvfp4", engine) is None}
        # utserve (2026-12-06): SGLang's FP4 KV cache runs on Hopper too (tests/test_serve_kv_nvfp4_sglang_hopper.py)
        assert accepted == (set(NVFP4_KV_DATACENTER_GPUS) if engine in NVFP4_KV_SM100_ENGINES
                            else accepted_any | (hopper if engine == "sglang" else set()))


@pytest.mark.parametrize("engine", [None, "trtllm", "sglang"])
def test_a_non_blackwell_fix_names_every_gpu_that_would_take_it(engine: str | None) -> None:
    # v100 (not Hopper, Ada or Ampere: since utserve / utleft7 those take SGLang's FP4 KV cache, and their fix names
    # --engine sglang)
    why, fix = kv_device_problem(get_device("v100-sxm"), "nvfp4", engine) or ("", "")
    assert "lists no fp4 peak" in why
    wanted = NVFP4_KV_DATACENTER_GPUS + (() if engine in NVFP4_KV_SM100_ENGINES else NVFP4_KV_SM120_GPUS)
    assert f"a Blackwell GPU ({', '.join(wanted)}) for an NVFP4 KV cache" in fix


def test_the_sm120_fix_and_the_help_name_gb300(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, fix = kv_device_problem(get_device("rtx-pro-6000-server"), "nvfp4", "vllm") or ("", "")
    assert fix.endswith(f"or a datacenter Blackwell GPU ({', '.join(NVFP4_KV_DATACENTER_GPUS)})")
    monkeypatch.setenv("COLUMNS", "400")  # one option a row: no box border inside the text
    code, out, _ = run_main(["plan", "serve", "--help"], capsys)
    flat = " ".join(" ".join(r.strip("│ ") for r in out.splitlines()).split())
    assert code == 0
    assert f"Blackwell GPUs ({', '.join(NVFP4_KV_DATACENTER_GPUS + NVFP4_KV_SM120_GPUS)})" in flat


def test_the_kv_dtype_help_names_the_refusals(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """fr1 (2026-12-06): --help said fp8 without an fp8 peak is taken with a note and vLLM refuses nvfp4 for MLA only,
    while kv_device_problem refuses fp8 there under --engine trtllm / trtllm-session and kv_engine_refusal refuses
    vLLM's nvfp4 for a head size off its TRTLLM backend's grid; and --engine trtllm counts the FP4 MLA side pools."""
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run_main(["plan", "serve", "--help"], capsys)
    flat = " ".join(" ".join(r.strip("│ ") for r in out.splitlines()).split())
    assert code == 0
    assert "refused there on an NVIDIA GPU with --engine trtllm or trtllm-session" in flat
    assert "head size not a multiple of 16 or above 256" in flat
    assert "counts TensorRT-LLM's FP4 MLA side pools" in flat
