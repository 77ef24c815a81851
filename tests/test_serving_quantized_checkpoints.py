"""`plan serve` on quantized checkpoints (rvserve): gpt-oss's MXFP4 experts on Hopper (weight-only 4-bit), which
weights a checkpoint quantizes (--expert-weight-dtype), and the typed figures of `plan` JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_unseen_families import GPT_OSS_20B

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.workload.presets import load_hf_config

# openai/gpt-oss-20b config.json's quantization_config, as published: only the MoE experts are MXFP4
GPT_OSS_QUANT = {"modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                                            "model.embed_tokens", "lm_head"], "quant_method": "mxfp4"}


@pytest.fixture
def gpt_oss(tmp_path: Path) -> Path:
    p = tmp_path / "gpt-oss-20b-config.json"
    p.write_text(json.dumps({**GPT_OSS_20B, "quantization_config": GPT_OSS_QUANT}), encoding="utf-8")
    return p


def test_mxfp4_on_hopper_runs_weight_only(gpt_oss: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was exit 2 'no fp4 peak'. vLLM serves gpt-oss's MXFP4 experts on SM90 through Marlin / triton_kernels with
    bf16 activations: the matmuls at the bf16 peak, the weights read at 4.25 bits (0.5 B + one E8M0 scale per 32)."""
    code, out, err = run_main(["plan", "serve", "--model", str(gpt_oss), "--hardware", "h100-sxm", "--weight-dtype",
                               "mxfp4", "--batch", "1"], capsys)
    assert code == 0, err
    assert "weight-only 4-bit" in out and "bf16 peak" in out
    code, out, err = run_main(["plan", "serve", "--model", str(gpt_oss), "--hardware", "h100-sxm", "--weight-dtype",
                               "mxfp4", "--batch", "1", "--json"], capsys)
    p = json.loads(out)["results"][0]["points"][0]
    assert (p["weight_dtype"], p["compute_dtype"]) == ("mxfp4", "bf16")
    # Blackwell keeps the fp4 matmul path
    b200 = serving.predict_serving(load_hf_config(gpt_oss), get_device("b200"), prompt_len=128, output_len=8,
                                   weight_dtype="mxfp4")
    assert b200.compute_dtype == "fp4" and serving.weight_only_note(b200) is None


def test_kv_cache_bytes_per_token_doc_says_before_windows() -> None:
    """The field is the uncapped figure (gpt-oss: 12 of 24 layers keep 128 tokens); its documentation said only
    'whole model, all layers' and so read as the cache a token costs."""
    from accelopt.report.schema import docs_markdown

    line = next(ln for ln in docs_markdown().splitlines() if "kv_cache_bytes_per_token" in ln)
    assert "before sliding windows cap the cache" in line
