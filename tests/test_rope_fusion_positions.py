"""--rope-fusion unfused on models whose RoPE rotates part of the head, or that have no RoPE (utsmall, session 32,
issue 10; the charge is compute.rope_unfused_extra_s, the term t_rope_unfused_s).

Before: (a) GPT-NeoX-20B (rotary_pct 0.25: 24 of 96 dims rotated; transformers GPTNeoXAttention rotary_ndims =
int(head_size x rotary_pct)) was charged the unfused passes over the full 96-wide heads, 4x the rotated part;
(b) BLOOM / MPT / Falcon with ALiBi (no RoPE) were charged RoPE passes with exit 0, as GPT-3 was before rvs32a
(tests/test_rope_fusion.py::test_unfused_on_a_model_without_rope_exits_2). Both fail before the change."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main
from test_config_families_plan3 import BLOOM_7B1, NEOX_20B
from test_hf_config_dbrx_cohere import GLM4_9B

from accelopt.errors import InputError
from accelopt.predict import compute as C
from accelopt.workload.presets import load_hf_config

# EleutherAI/gpt-j-6b config.json (the keys that size the model; rotary_dim 64 of a 256-wide head)
GPTJ_6B = {"model_type": "gptj", "n_embd": 4096, "n_head": 16, "n_layer": 28, "n_positions": 2048,
           "rotary_dim": 64, "vocab_size": 50400, "activation_function": "gelu_new", "tie_word_embeddings": False}
# microsoft/phi-2 config.json (partial_rotary_factor 0.4 of an 80-wide head: 32)
PHI_2 = {"model_type": "phi", "hidden_size": 2560, "intermediate_size": 10240, "num_attention_heads": 32,
         "num_hidden_layers": 32, "max_position_embeddings": 2048, "partial_rotary_factor": 0.4,
         "vocab_size": 51200, "hidden_act": "gelu_new", "tie_word_embeddings": False}
# mosaicml/mpt-7b config.json (the keys that size it): attn_config.alibi true
MPT_7B = {"model_type": "mpt", "d_model": 4096, "n_heads": 32, "n_layers": 32, "max_seq_len": 2048,
          "vocab_size": 50432, "expansion_ratio": 4, "no_bias": True, "learned_pos_emb": True,
          "attn_config": {"alibi": True, "attn_type": "multihead_attention"}}

# tiiuae/falcon-rw-1b config.json (the keys that size it): alibi true
FALCON_RW_1B = {"model_type": "falcon", "alibi": True, "hidden_size": 2048, "num_attention_heads": 32,
                "num_hidden_layers": 24, "vocab_size": 50304, "multi_query": False, "new_decoder_architecture": False,
                "parallel_attn": False, "bias": True}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


@pytest.mark.parametrize(("cfg", "rot"), [(NEOX_20B, 24), (GPTJ_6B, 64), (PHI_2, 32),
                                          (GLM4_9B, 64)])  # ChatGLM: half of kv_channels 128, no config key
def test_the_rotated_width_is_read(tmp_path: Path, cfg: dict[str, Any], rot: int) -> None:
    assert load_hf_config(_write(tmp_path, cfg)).rotary_dim == rot


def test_a_full_rotary_model_keeps_none(tmp_path: Path) -> None:
    assert load_hf_config(_write(tmp_path, {**NEOX_20B, "rotary_pct": 1.0})).rotary_dim is None


def test_a_bad_rotary_fraction_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"rotary_pct = 1\.5"):
        load_hf_config(_write(tmp_path, {**NEOX_20B, "rotary_pct": 1.5}))


def test_partial_rotary_charges_the_rotated_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes and kernels the charge asks memory_ops_s for, stated before they were computed: forward the five eager
    kernels before the final cat, 2+1+2+2+3 = 10 accesses x 2 B on the 24-wide rotated part of every query and key
    head (the cat writes the full width, as the fused kernel does); backward 10 accesses x 2 B on it, 5 kernels."""
    seen: list[tuple[float, float]] = []
    monkeypatch.setattr(C, "memory_ops_s", lambda b, dev, k: seen.append((float(b), float(k))) or 0.0)
    neox = load_hf_config(_write(tmp_path, NEOX_20B))
    T, tp = 4096.0, 1.0
    C.rope_unfused_extra_s(neox, T, tp, 2.0, None)  # type: ignore[arg-type]
    elements = T * (64 + 64) * 24  # 64 query + 64 key heads (multi-head), 24 rotated dims of 96
    assert seen == [(20.0 * elements, 2 * 11.0), (20.0 * elements, 2 * 5.0)]
    seen.clear()
    C.rope_unfused_extra_s(replace(neox, rotary_dim=None), T, tp, 2.0, None)  # type: ignore[arg-type]
    full = T * (64 + 64) * 96  # the full-rotary charge as it was: (24 - 4) B and (20 - 4) B per element
    assert seen == [(20.0 * full, 2 * 11.0), (16.0 * full, 2 * 4.0)]


@pytest.mark.parametrize("cfg", [BLOOM_7B1, MPT_7B, FALCON_RW_1B],
                         ids=["bloom", "mpt-alibi", "falcon-alibi"])
def test_unfused_on_an_alibi_model_exits_2(tmp_path: Path, cfg: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, cfg)
    assert load_hf_config(path).alibi and load_hf_config(path).rotary_dim is None
    argv = ["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8",
            "--global-batch", "64", "--seq-len", "2048", "--rope-fusion", "unfused"]
    code, out, err = run_main(argv, capsys)
    assert code == 2 and "t_rope_unfused_s" not in out
    assert "--rope-fusion unfused" in err and "ALiBi" in err and "fix:" in err
    code, out, err = run_main(argv[:-2], capsys)  # fused (the default) still runs
    assert code == 0, err
