"""OPT's learned position table (OPTLearnedPositionalEmbedding: max_position_embeddings + 2 rows of hidden_size,
transformers models/opt/modeling_opt.py) was not counted: `plan --model opt-125m/config.json` printed 123,562,752
parameters for transformers' 125,239,296 (its weights without biases: 125,137,152; README: a learned position table
is counted, as GPT-2's and BERT's). Checked against transformers' own OPTForCausalLM built on the meta device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

# facebook/opt-125m config.json (the keys that set sizes)
OPT_125M: dict[str, Any] = {
    "_name_or_path": "facebook/opt-125m", "activation_function": "relu", "architectures": ["OPTForCausalLM"],
    "do_layer_norm_before": True, "ffn_dim": 3072, "hidden_size": 768, "max_position_embeddings": 2048,
    "model_type": "opt", "num_attention_heads": 12, "num_hidden_layers": 12, "vocab_size": 50272,
    "word_embed_proj_dim": 768, "pad_token_id": 1, "bos_token_id": 2, "eos_token_id": 2}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


def test_opt_position_table_is_counted(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, OPT_125M))
    assert m.learned_positions == 2048 + 2
    # By hand: 12 x (4 x 768^2 + 2 x 768 x 3072 + 2 norms x 768) + 50272 x 768 (tied) + 2050 x 768 (positions)
    # + 768 (final norm) = 125,137,152
    assert m.params_total() == 12 * (4 * 768**2 + 2 * 768 * 3072 + 2 * 768) + 50272 * 768 + 2050 * 768 + 768
    assert m.params_total() == 125_137_152


def test_opt_count_equals_transformers_weights(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    cfg = tf.OPTConfig(**{k: v for k, v in OPT_125M.items() if k not in ("_name_or_path", "architectures",
                                                                        "model_type")})
    with torch.device("meta"):
        named = list(tf.OPTForCausalLM(cfg).named_parameters())  # the LM head is tied: listed once
    weights = sum(p.numel() for n, p in named if not n.endswith(".bias"))  # this reader counts no OPT biases
    assert load_hf_config(_write(tmp_path, OPT_125M)).params_total() == weights


def test_plan_prints_the_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", str(_write(tmp_path, OPT_125M)), "--hardware", "h100-sxm",
                               "--devices", "8", "--tokens", "1e10", "--top", "1"], capsys)
    assert code == 0, err
    assert "as read from its config: 125,137,152 parameters" in " ".join(out.split())
