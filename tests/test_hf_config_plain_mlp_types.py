"""A family whose MLP class is always two matrices (GPT-NeoX's dense_h_to_4h / dense_4h_to_h, BERT's intermediate /
output, GPT-2's c_fc / c_proj, OPT's fc1 / fc2, ...) stays two matrices when its config names silu: the activation
changes the elementwise op, not the layer count. A user trial (uttrial, 2026-12-05): a GPT-NeoX config with
hidden_act silu was read as a gated 3-matrix MLP, 50% more MLP weights and FLOPs, with nothing said. Types without a
rule of their own keep the silu rule (their note says how they were read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.workload.presets import load_hf_config

SMALL = {"hidden_size": 512, "num_attention_heads": 8, "num_hidden_layers": 2, "vocab_size": 1000}
PLAIN: dict[str, dict[str, Any]] = {
    "gpt_neox": {"model_type": "gpt_neox", "intermediate_size": 2048, **SMALL},
    "bert": {"model_type": "bert", "intermediate_size": 2048, **SMALL},
    "opt": {"model_type": "opt", "ffn_dim": 2048, **SMALL},
    "gpt2": {"model_type": "gpt2", "n_embd": 512, "n_head": 8, "n_layer": 2, "vocab_size": 1000},
}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


@pytest.mark.parametrize("mtype", sorted(PLAIN))
def test_a_plain_mlp_family_stays_plain_under_silu(tmp_path: Path, mtype: str) -> None:
    key = "activation_function" if mtype in ("gpt2", "opt") else "hidden_act"
    as_given = load_hf_config(_write(tmp_path, PLAIN[mtype]))
    silu = load_hf_config(_write(tmp_path, {**PLAIN[mtype], key: "silu"}))
    assert as_given.mlp == "gelu" and silu.mlp == "gelu"
    assert silu.params_total() == as_given.params_total()


def test_a_type_without_a_rule_still_reads_silu_as_gated(tmp_path: Path) -> None:
    cfg = {"model_type": "olmo", "intermediate_size": 2048, "hidden_act": "silu", **SMALL}
    assert load_hf_config(_write(tmp_path, cfg)).mlp == "swiglu"
