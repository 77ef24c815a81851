"""ut_plan2 (2026-12-03), a defect a user trial left: a soft-capped model (Gemma 2) was timed by `plan` / `plan
explain` with the default cuDNN fused attention, which takes no cap. Each test names what it did before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

GEMMA2_2B = {"model_type": "gemma2", "hidden_size": 2304, "num_hidden_layers": 26, "num_attention_heads": 8,
             "num_key_value_heads": 4, "head_dim": 256, "intermediate_size": 9216, "vocab_size": 256000,
             "max_position_embeddings": 8192, "sliding_window": 4096, "query_pre_attn_scalar": 256,
             "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "tie_word_embeddings": True}
"""google/gemma-2-2b's config.json shape (the ut_plan trial's Gemma-2-2B config)."""

_EXPLAIN = ["plan", "explain", "--devices", "16", "--zero", "3", "--mbs", "2", "--json"]


def _config(tmp_path: Path) -> str:
    cfg = tmp_path / "gemma-2-2b" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps(GEMMA2_2B), encoding="utf-8")
    return str(cfg)


def _explain(capsys: pytest.CaptureFixture[str], model: str, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run_main([*_EXPLAIN, "--model", model, *extra], capsys)
    return code, (json.loads(out) if code == 0 else {}), err


def test_softcapped_model_is_timed_with_flash2_by_default_on_hopper(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Before: --attention-kernel left out timed Gemma-2-2B on 16 x h100-sxm with cuDNN fused attention (9.69 s),
    which Transformer Engine does not run for a soft-capped model; only a note pointed at flash2 (10.54 s). Now the
    default is the kernel that runs it, flash2, with a note naming the choice; the figure is flash2's to the digit."""
    cfg = _config(tmp_path)
    code, auto, err = _explain(capsys, cfg, "--hardware", "h100-sxm")
    assert code == 0, err
    code, flash2, err = _explain(capsys, cfg, "--hardware", "h100-sxm", "--attention-kernel", "flash2")
    assert code == 0, err
    assert auto["attention_kernel"] == "flash2"
    assert auto["prediction"]["step_time_s"] == flash2["prediction"]["step_time_s"]
    chosen = [n for n in auto["notes"] if n.startswith("attention kernel chosen")]
    assert len(chosen) == 1 and "flash2 on h100-sxm" in chosen[0] and "softcap" in chosen[0]


def test_softcap_keeps_fused_where_no_softcap_kernel_is_modelled(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A TPU and an AMD GPU have no soft-capping kernel in the model: today's fused figure stays, said in a note."""
    cfg = _config(tmp_path)
    for device in ("tpu-v5p", "mi300x"):
        code, res, err = _explain(capsys, cfg, "--hardware", device)
        assert code == 0, err
        assert res["attention_kernel"] == "fused"
        assert any(n.startswith("attention kernel chosen") and f"fused kernel on {device}" in n
                   for n in res["notes"])


def test_explicit_fused_with_a_softcapped_model_is_refused(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Before: --attention-kernel fused timed the soft-capped model on cuDNN fused attention without a word of
    refusal. Now exit 2 with the problem and the fix, as nki_flash with a sliding window is refused."""
    code, _, err = _explain(capsys, _config(tmp_path), "--hardware", "h100-sxm", "--attention-kernel", "fused")
    assert code == 2
    assert "--attention-kernel fused" in err and "soft-capping" in err and "leave --attention-kernel out" in err


def test_plan_search_chooses_the_kernel_per_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` over an H100 and a TPU: flash2 on the H100, fused on the TPU, each named; an explicit fused leaves the
    H100 out of the search with the reason, not a crash."""
    cfg = _config(tmp_path)
    base = ["plan", "--model", cfg, "--devices", "16", "--tokens", "1e9", "--top", "1", "--json"]
    code, out, err = run_main([*base, "--hardware", "h100-sxm,tpu-v5p"], capsys)
    assert code == 0, err
    notes = [n for n in json.loads(out)["notes"] if n.startswith("attention kernel chosen")]
    assert len(notes) == 1 and "flash2 on h100-sxm" in notes[0] and "fused kernel on tpu-v5p" in notes[0]
    code, out, err = run_main([*base, "--hardware", "h100-sxm,tpu-v5p", "--attention-kernel", "fused"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert "soft-capping" in res["skipped_devices"]["h100-sxm"]
    assert {r["hardware"] for r in res["best"]} == {"tpu-v5p"}


def test_preset_gemma2_soft_caps_as_its_config(capsys: pytest.CaptureFixture[str]) -> None:
    """The gemma2-9b preset carries the cap too (attn_logit_softcap 50.0): flash2 on an A100 by default."""
    code, res, err = _explain(capsys, "gemma2-9b", "--hardware", "a100-sxm-80gb", "--tp", "8")
    assert code == 0, err
    assert res["attention_kernel"] == "flash2"


@pytest.mark.parametrize("hardware", ["a100-sxm-80gb", "mi300x"])  # t4 until leftovers3: triton is refused there
def test_explicit_triton_with_a_softcapped_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            hardware: str) -> None:
    """review_s16: flash_attn_triton takes no cap on any GPU (FlashAttnFunc.forward(q, k, v, bias, causal,
    softmax_scale) at 00583fb), so --attention-kernel triton with a soft-capped model times a kernel no run of it
    uses. Before: timed (exit 0 on an A100, with the cuDNN fused note beside it), as fused was before ut_plan2. Now
    refused as fused is: exit 2, naming triton, the cap and the fix; `plan` leaves the device out with the reason."""
    cfg = _config(tmp_path)
    code, _, err = _explain(capsys, cfg, "--hardware", hardware, "--attention-kernel", "triton")
    assert code == 2 and "Traceback" not in err
    assert "--attention-kernel triton" in err and "soft-capping" in err and "leave --attention-kernel out" in err
    # `plan` over two GPUs: both left out for the cap, so exit 2 with the soft-cap fix (not 'add a GPU', not fused)
    base = ["plan", "--model", cfg, "--devices", "16", "--tokens", "1e9", "--top", "1"]
    code, _, err = run_main([*base, "--hardware", f"{hardware},h100-sxm", "--attention-kernel", "triton"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "soft-capping" in err and "fix: leave --attention-kernel out" in err and "add a GPU" not in err
