"""`plan serve` on a quantized checkpoint's config.json given the flags its quantization_config says (ut4srv: gpt-oss
with `--weight-dtype bf16 --expert-weight-dtype mxfp4` still warned 'ignored: quantization_config', as if the flags
did nothing). The key is now said to be read through the flags; it is listed as ignored only where the run's flags
disagree with it (and the note then names the flags this run used and those that predict the weights as stored).
Every quantization_config form the config reader knows is run twice: as a user would first (no flags: the note's
advice), then with the flags that advice names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]

# openai/gpt-oss-20b config.json (its published sizes; layer_types as published, alternating)
GPT_OSS_20B: dict[str, Any] = {
    "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880,
    "head_dim": 64, "num_attention_heads": 64, "num_key_value_heads": 8, "num_hidden_layers": 24,
    "num_local_experts": 32, "num_experts_per_tok": 4, "experts_per_token": 4, "vocab_size": 201088,
    "max_position_embeddings": 131072, "sliding_window": 128, "tie_word_embeddings": False,
    "layer_types": ["sliding_attention", "full_attention"] * 12,
    "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": [
        "model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]},
}

# quantization_config forms of published checkpoints (their config.json files): DeepSeek-V3's / Qwen3-*-FP8's fp8
# blocks, AutoAWQ and GPTQ 4-bit, llm-compressor's compressed-tensors FP8 and W4A16, bitsandbytes 4- and 8-bit
DENSE_FORMS: dict[str, dict[str, Any]] = {
    "fp8-block": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                  "weight_block_size": [128, 128]},
    "awq-int4-g64": {"quant_method": "awq", "bits": 4, "group_size": 64, "zero_point": True, "version": "gemm"},
    "gptq-int4-g128": {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False, "sym": True},
    "gptq-int8": {"quant_method": "gptq", "bits": 8, "group_size": 128},
    "ct-fp8": {"quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
               "config_groups": {"group_0": {"targets": ["Linear"],
                                             "weights": {"num_bits": 8, "type": "float", "strategy": "channel"},
                                             "input_activations": {"num_bits": 8, "type": "float",
                                                                   "dynamic": True}}}},
    "ct-w4a16": {"quant_method": "compressed-tensors", "format": "pack-quantized", "ignore": ["lm_head"],
                 "config_groups": {"group_0": {"targets": ["Linear"],
                                               "weights": {"num_bits": 4, "type": "int", "group_size": 128}}}},
    # llm-compressor's FP8 weights with an FP8 KV cache (Meta-Llama-3-8B-Instruct-FP8-KV): --kv-dtype fp8 too
    "ct-fp8-kv": {"quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
                  "config_groups": {"group_0": {"targets": ["Linear"],
                                                "weights": {"num_bits": 8, "type": "float", "strategy": "tensor"},
                                                "input_activations": {"num_bits": 8, "type": "float",
                                                                      "strategy": "tensor", "dynamic": False}}},
                  "kv_cache_scheme": {"num_bits": 8, "type": "float", "strategy": "tensor", "dynamic": False,
                                      "symmetric": True}},
    "bnb-4bit": {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"},
    "bnb-8bit": {"quant_method": "bitsandbytes", "load_in_8bit": True},
}


def _dense(tmp_path: Path, quant: dict[str, Any]) -> Path:
    cfg = json.loads((ROOT / "examples" / "hf_tiny_llama" / "config.json").read_text())
    p = tmp_path / "config.json"
    # MLP width 384 (344 as published): a whole number of a 64-weight AWQ group
    p.write_text(json.dumps({**cfg, "intermediate_size": 384, "quantization_config": quant}))
    return p


def _serve(capsys: pytest.CaptureFixture[str], model: Path, *flags: str) -> tuple[dict[str, Any], str]:
    code, out, err = run_main(["plan", "serve", "--model", str(model), "--hardware", "h100-sxm", "--batch", "1",
                               "--json", *flags], capsys)
    assert code == 0, err
    return json.loads(out), err


def _quant_note(doc: dict[str, Any]) -> str:
    notes = [n for n in doc["notes"] if "stores its weights quantized" in n]
    assert len(notes) == 1, doc["notes"]
    return notes[0]


def _read_through_flags(capsys: pytest.CaptureFixture[str], model: Path) -> None:
    """First run (no flags): the key is listed as ignored, the note names the run's weight dtype and the flags that
    predict the weights as stored; second run with those flags: not listed, the note says it was read through them."""
    doc, err = _serve(capsys, model)
    assert "quantization_config" in doc["unused_config_keys"]
    assert "ignored:" in err and "quantization_config" in err
    note = _quant_note(doc)
    assert "serving is predicted at --weight-dtype bf16" in note and "(this run's), not as stored" in note, note
    advised = re.search(r"pass `plan serve ([^`]+)` to predict", note)
    assert advised is not None, note
    flags = advised.group(1).split()
    doc, err = _serve(capsys, model, *flags)
    assert "quantization_config" not in doc["unused_config_keys"]
    assert "quantization_config" not in "".join(line for line in err.splitlines() if "ignored" in line), err
    assert f"read through {advised.group(1)}, as this run gives them" in _quant_note(doc)


@pytest.mark.parametrize("form", sorted(DENSE_FORMS))
def test_dense_quantized_config_read_through_its_flags(form: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _read_through_flags(capsys, _dense(tmp_path, DENSE_FORMS[form]))


def test_gpt_oss_read_through_expert_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report of ut4srv: gpt-oss-20b with --weight-dtype bf16 --expert-weight-dtype mxfp4."""
    p = tmp_path / "config.json"
    p.write_text(json.dumps(GPT_OSS_20B))
    _read_through_flags(capsys, p)


def test_disagreeing_flags_keep_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fp8 weights predicted at int8, an AWQ group of 64 at the default 128: the key stays listed as ignored, and the
    note names what this run used."""
    doc, err = _serve(capsys, _dense(tmp_path, DENSE_FORMS["fp8-block"]), "--weight-dtype", "int8")
    assert "quantization_config" in doc["unused_config_keys"] and "quantization_config" in err
    assert "predicted at --weight-dtype int8 (this run's), not as stored" in _quant_note(doc)
    doc, err = _serve(capsys, _dense(tmp_path, DENSE_FORMS["awq-int4-g64"]), "--weight-dtype", "int4")
    assert "quantization_config" in doc["unused_config_keys"]
    assert "--weight-dtype int4 --int4-group-size 128 (this run's)" in _quant_note(doc)


def test_unknown_format_stays_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A format no flag says (HQQ) is ignored whatever the flags: listed, with the closest-dtype advice."""
    doc, err = _serve(capsys, _dense(tmp_path, {"quant_method": "hqq", "nbits": 4}), "--weight-dtype", "int4")
    assert "quantization_config" in doc["unused_config_keys"] and "quantization_config" in err
    assert "closest to its format" in _quant_note(doc)


def test_fp8_kv_cache_scheme_needs_the_kv_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A checkpoint whose kv_cache_scheme stores an FP8 cache's scales: --weight-dtype fp8 alone does not say what
    the key says (it was said to be read through it), so the key stays listed and the note names --kv-dtype fp8."""
    model = _dense(tmp_path, DENSE_FORMS["ct-fp8-kv"])
    doc, err = _serve(capsys, model, "--weight-dtype", "fp8")
    assert "quantization_config" in doc["unused_config_keys"] and "quantization_config" in err
    note = _quant_note(doc)
    assert "--weight-dtype fp8 --kv-dtype bf16 (this run's)" in note and "--kv-dtype fp8` to predict" in note, note
    doc, err = _serve(capsys, model, "--weight-dtype", "fp8", "--kv-dtype", "fp8_e4m3")
    assert "quantization_config" not in doc["unused_config_keys"] and "ignored" not in err, err


def test_a_weights_refusal_names_the_stored_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-oss-20b on an L4 without flags: its bf16 weights do not fit, and the exit-2 error (which prints no note)
    says the checkpoint stores them otherwise; given those flags it is served."""
    p = tmp_path / "config.json"
    p.write_text(json.dumps(GPT_OSS_20B))
    argv = ["plan", "serve", "--model", str(p), "--hardware", "l4", "--batch", "1"]
    code, _, err = run_main(argv, capsys)
    assert code == 2, err
    assert ("its checkpoint stores them as --weight-dtype bf16 --expert-weight-dtype mxfp4 (quantization_config), "
            "not given") in " ".join(err.split()), err
    code, _, err = run_main([*argv, "--expert-weight-dtype", "mxfp4"], capsys)
    assert code == 0 and "not given" not in err, err
