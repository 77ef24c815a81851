"""ut_plan2 (2026-12-03), a defect a user trial left: `plan serve` ran nvfp4 / mxfp4 weights weight-only on a V100,
where no published engine has an FP4 weight-only kernel. Each test names what it did before."""

from __future__ import annotations

import json

import pytest
from conftest import run_main


@pytest.mark.parametrize("dtype", ["nvfp4", "mxfp4"])
def test_fp4_weights_refused_on_v100(capsys: pytest.CaptureFixture[str], dtype: str) -> None:
    """Before: `plan serve --weight-dtype nvfp4/mxfp4` on a V100 ran the weights weight-only at the fp16 peak, but
    vLLM's FP4 Marlin kernel needs compute capability 7.5 (vllm@de5f26d5 marlin_utils_fp4.is_fp4_marlin_supported).
    Now exit 2 naming the device, the dtype and a fix; a T4 (7.5) still serves them."""
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "v100", "--weight-dtype", dtype],
                            capsys)
    assert code == 2
    assert f"--weight-dtype {dtype} on v100-sxm" in err and "fix: use --weight-dtype fp16" in err
    code, _, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "t4", "--weight-dtype", dtype,
                             "--json"], capsys)
    assert code == 0, err


def test_fp4_all_hardware_lists_v100_as_not_served(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --hardware all --weight-dtype nvfp4`: the V100 is listed with the reason, the others are served."""
    code, out, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "v100,t4,h100-sxm",
                               "--weight-dtype", "nvfp4", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert [e["device"] for e in res["errors"]] == ["v100-sxm"]
    assert "Marlin" in res["errors"][0]["problem"]
    assert {r["device"] for r in res["results"]} == {"t4", "h100-sxm"}
