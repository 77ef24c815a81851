"""Training layouts whose tensor parallelism splits the K/V heads into fractions (Phi-3-medium: 10 KV heads, --tp 4:
2.5 heads per rank) are invalid, as `plan serve` already held: tp must divide the KV heads (Megatron-Core divides
num_query_groups by tp) or be a multiple of them (replicated heads, TransformerConfig.kv_heads_per_device). Before,
`plan explain --tp 4` predicted it and `plan` searched it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# microsoft/Phi-3-medium-4k-instruct config.json dims, fewer layers to run fast
PHI3_MEDIUM = {"model_type": "phi3", "num_hidden_layers": 8, "hidden_size": 5120, "num_attention_heads": 40,
               "num_key_value_heads": 10, "intermediate_size": 17920, "vocab_size": 32064,
               "max_position_embeddings": 4096, "tie_word_embeddings": False}


def _cfg(tmp_path: Path) -> str:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(PHI3_MEDIUM), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("tp, ok", [(2, True), (4, False), (8, False)])
def test_explain_refuses_fractional_kv_heads(tmp_path: Path, capsys: pytest.CaptureFixture[str], tp: int,
                                             ok: bool) -> None:
    code, _out, err = run_main(["plan", "explain", "--model", _cfg(tmp_path), "--hardware", "h100-sxm", "--devices",
                                "8", "--tp", str(tp), "--zero", "3", "--tokens", "1e9"], capsys)
    if ok:
        assert code == 0, err
    else:
        # every divisor of the 40 heads that splits the 10 KV heads (2026-12-05, utdist: it was "(1, 2)", powers of two
        # only, hiding --tp 5 / 10 / 20 / 40)
        assert code == 2 and "10 KV heads" in err and "(1, 2, 5, 10, 20, 40)" in err


def test_plan_searches_only_whole_kv_heads(tmp_path: Path) -> None:
    from accelopt.predict.search import candidate_axes
    from accelopt.predict.training import Setup
    from accelopt.workload.presets import load_hf_config

    mdl = load_hf_config(_cfg(tmp_path))
    setup = Setup(model=mdl, seq_len=4096, global_batch=256, tokens=1e9)
    assert candidate_axes(setup)["tp"] == [1, 2]  # 40 heads allow 4 and 8 too; 10 KV heads do not


def test_the_refusal_says_which_stacks_build_which_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The rule cited Megatron-Core for replication, which its divide(num_query_groups, tp) refuses: the message now
    says Megatron-Core builds only a divisor, and a multiple is replication (PaLM's TPU runs)."""
    code, _out, err = run_main(["plan", "explain", "--model", _cfg(tmp_path), "--hardware", "h100-sxm", "--devices",
                                "8", "--tp", "4", "--zero", "3", "--tokens", "1e9"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "Megatron-Core builds only this" in flat and "replicated" in flat and "PaLM" in flat
