"""`plan serve` on quantized checkpoints (rvserve): gpt-oss's MXFP4 experts on Hopper (weight-only 4-bit), which
weights a checkpoint quantizes (--expert-weight-dtype), and the typed figures of `plan` JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_unseen_families import GPT_OSS_20B

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving, serving_moe
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


def _point(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run_main(["plan", "serve", "--batch", "1", "--json", *args], capsys)
    assert code == 0, err
    return json.loads(out)["results"][0]["points"][0]


def test_gpt_oss_experts_alone_are_mxfp4(gpt_oss: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-oss-20b's checkpoint keeps attention, router, embeddings and LM head in bf16 and the experts in MXFP4:
    12.8 GiB = 13.74 GB on the Hub (OpenAI, gpt-oss model card, sec. 2: 'checkpoint of 12.8 GiB'); tolerance 1%,
    stated before measuring. Hand count: (20.908e9 - 19.110e9 expert params) x 2 B + 19.110e9 x 0.53125 B =
    13.748 GB. --weight-dtype alone could only put attention in MXFP4 too (or the experts in bf16: 41.8 GB)."""
    p = _point(capsys, "--model", str(gpt_oss), "--hardware", "h100-sxm", "--weight-dtype", "bf16",
               "--expert-weight-dtype", "mxfp4")
    assert p["weights_bytes_per_device"] == pytest.approx(12.8 * 2**30, rel=0.01)
    m = load_hf_config(gpt_oss)
    experts = m.moe_layers * m.experts * m.mlp_params_per_expert()
    assert p["weights_bytes_per_device"] == pytest.approx((m.params_total() - experts) * 2 + experts * 0.53125)
    assert (p["expert_weight_dtype"], p["expert_compute_dtype"], p["compute_dtype"]) == ("mxfp4", "bf16", "bf16")
    # one decode step reads the non-expert linear weights and the LM head in bf16 (the untied input embedding only
    # looked up), top_k = 4 experts per layer in MXFP4: 1.279 + 1.158 + 1.269 = 3.706 GB
    head = m.vocab * m.hidden
    read = serving.decode_weight_bytes_read(m, 1, "bf16", moe=serving_moe.MoELayout(expert_weight_dtype="mxfp4"))
    assert read == pytest.approx((m.params_total() - experts - 2 * head) * 2 + head * 2
                                 + 24 * 4 * m.mlp_params_per_expert() * 0.53125)
    assert read == pytest.approx(3.706e9, rel=1e-3)


def test_expert_dtype_equal_to_weight_dtype_changes_nothing(gpt_oss: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--expert-weight-dtype X with --weight-dtype X is the prediction without it (the default: every linear layer
    in --weight-dtype), under tensor and expert parallelism."""
    for layout in ([], ["--tp", "2", "--ep", "2"]):
        base = ["--model", str(gpt_oss), "--hardware", "b200", "--weight-dtype", "fp8", *layout]
        a, b = _point(capsys, *base), _point(capsys, *base, "--expert-weight-dtype", "fp8")
        for k in ("ttft_s", "tpot_s", "weights_bytes_per_device", "max_batch"):
            assert a[k] == pytest.approx(b[k], rel=1e-12), k


def test_expert_dtype_under_expert_parallelism(gpt_oss: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--ep 2: each device holds half the experts, in the experts' dtype; attention split over tp in bf16."""
    p = _point(capsys, "--model", str(gpt_oss), "--hardware", "h100-sxm", "--tp", "2", "--ep", "2",
               "--weight-dtype", "bf16", "--expert-weight-dtype", "mxfp4")
    m = load_hf_config(gpt_oss)
    experts = m.moe_layers * m.experts * m.mlp_params_per_expert()
    assert p["moe"]["expert_weight_bytes_per_device"] == pytest.approx(experts * 0.53125 / 2)


@pytest.mark.parametrize(("model", "dtype", "words"), [
    ("llama3-8b", "mxfp4", "dense model"), ("gpt-oss", "fp3", "is not supported")])
def test_expert_dtype_refused(gpt_oss: Path, capsys: pytest.CaptureFixture[str], model: str, dtype: str,
                              words: str) -> None:
    code, _, err = run_main(["plan", "serve", "--model", str(gpt_oss) if model == "gpt-oss" else model,
                             "--hardware", "h100-sxm", "--expert-weight-dtype", dtype, "--batch", "1"], capsys)
    assert code == 2 and words in err and "--expert-weight-dtype" in err and "Traceback" not in err


def test_plan_and_explain_json_carry_typed_model_figures(gpt_oss: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` / `plan explain` JSON carried the parameter count and training FLOPs per token only inside a note
    string. gpt-oss-20b: 20.91B parameters, 3.61B active + the 0.58B input embedding (model card Table 1; 0.5%).
    Training FLOPs per token by hand at sequence 4096: 3 x (2 x (active - input embedding) + 2 x (keys x 64 heads x
    64 x 2) per layer), keys 4096 on the 12 full layers and 128 on the 12 windowed ones; the router's 2 h E is in
    the active weights' count (within 0.1%)."""
    from accelopt.units import fmt_count

    code, out, err = run_main(["plan", "--model", str(gpt_oss), "--hardware", "h100-sxm", "--devices", "8",
                               "--top", "1", "--seq-len", "4096", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    f = doc["model_figures"]
    m = load_hf_config(gpt_oss)
    assert f["params_total"] == m.params_total() == pytest.approx(20.91e9, rel=5e-3)
    assert f["params_active"] - m.vocab * m.hidden == pytest.approx(3.61e9, rel=5e-3)
    attn = 12 * 4096 * 4 * 64 * 64 + 12 * 128 * 4 * 64 * 64
    assert f["training_flops_per_token"] == pytest.approx(3 * (2 * (f["params_active"] - m.vocab * m.hidden) + attn),
                                                          rel=1e-3)
    assert f["seq_len"] == 4096
    # the printed note is rendered from the same object
    note = next(n for n in doc["notes"] if "as read from its config" in n)
    assert f"{fmt_count(f['training_flops_per_token'])} training FLOPs" in note
    code, out, err = run_main(["plan", "explain", "--model", str(gpt_oss), "--hardware", "h100-sxm", "--devices",
                               "8", "--seq-len", "4096", "--json"], capsys)
    assert code in (0, 2), err
    assert json.loads(out)["model_figures"] == f


def test_expert_dtype_without_a_device_peak_names_its_flag(gpt_oss: Path) -> None:
    """An expert dtype the device cannot run was refused as if --weight-dtype had asked for it."""
    from dataclasses import replace

    from accelopt.errors import InfeasibleError

    h100 = get_device("h100-sxm")
    # no 16-bit peak, so no measured fused-attention rate either (h100-sxm's since rhopperadopt2, 2026-12-05)
    int8_only = replace(h100, peak_flop_per_s={"int8": h100.peak_flop_per_s["int8"]}, measured_matmul_flop_per_s={},
                        measured_fused_attention_flop_per_s={})
    with pytest.raises(InfeasibleError) as e:
        serving.predict_serving(load_hf_config(gpt_oss), int8_only, prompt_len=128, output_len=8, weight_dtype="w8a8",
                                moe=serving_moe.MoELayout(expert_weight_dtype="fp8"), allow_oom=True)
    assert "--expert-weight-dtype fp8" in e.value.problem and "--expert-weight-dtype w8a8" in e.value.fix


def test_moe_that_does_not_fit_names_expert_quantization(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-oss-120b in bf16 (233.6 GB) on one H100: the fix named only --weight-dtype, not the routed experts' dtype
    its checkpoint uses; with --expert-weight-dtype mxfp4 it fits: 65.2 GB (model card: 60.8 GiB = 65.3 GB, 1%)."""
    cfg = {**GPT_OSS_20B, "num_hidden_layers": 36, "num_local_experts": 128,
           "layer_types": ["sliding_attention", "full_attention"] * 18}
    p = tmp_path / "gpt-oss-120b.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    # fp8 experts (~120 GB) do not fit one H100 either, so only the 4-bit ones are named (utmisc 2026-12-04)
    assert code == 2 and "--expert-weight-dtype mxfp4 or int4 (" in err and "fp8 or mxfp4" not in err
    pt = _point(capsys, "--model", str(p), "--hardware", "h100-sxm", "--weight-dtype", "bf16",
                "--expert-weight-dtype", "mxfp4")
    assert pt["fits"] and pt["weights_bytes_per_device"] == pytest.approx(60.8 * 2**30, rel=0.01)
