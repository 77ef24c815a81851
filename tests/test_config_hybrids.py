"""Hybrid models whose layers are not all softmax attention and whose configs say so without layer_types: read
before as transformers whose every layer attends (a KV cache on each), their state-space / linear-attention keys only
in the unused-keys warning. They stop as Mamba, Jamba and Qwen3-Next do (exit 2, error + fix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

BASE = {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 8, "num_attention_heads": 16,
        "num_key_value_heads": 4, "vocab_size": 32000, "max_position_embeddings": 4096}
HYBRIDS = {
    # moonshotai/Kimi-Linear-48B-A3B-Instruct: KDA layers listed apart from the full-attention (MLA) ones
    "kimi_linear": {"linear_attn_config": {"kda_layers": [1, 2, 3, 5, 6, 7], "full_attn_layers": [4, 8]}},
    "hymba": {"mamba_expand": 2, "mamba_d_state": 16},  # nvidia/Hymba-1.5B-Base
    "plamo2": {"mamba_d_state": 64, "mamba_step": 2},  # pfnet/plamo-2-1b
    "phi4flash": {"mb_per_layer": 2},  # microsoft/Phi-4-mini-flash-reasoning
}


@pytest.mark.parametrize("mtype", sorted(HYBRIDS))
def test_hybrid_types_are_refused(tmp_path: Path, mtype: str, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": mtype, **BASE, **HYBRIDS[mtype]}))
    with pytest.raises(InputError, match=f"model_type '{mtype}' has .* beside .*: the predictors model transformers"):
        load_hf_config(p)
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "error:" in err and "fix:" in err and "Traceback" not in err


@pytest.mark.parametrize(("mtype", "words"), [
    ("qwen3_next", "has Gated DeltaNet linear-attention layers beside gated softmax attention"),
    ("kimi_linear", "has Kimi Delta Attention (KDA) linear-attention layers beside MLA softmax attention"),
    ("minimax_m1", "has lightning (linear) attention layers beside softmax attention"),
    ("mamba", "has Mamba state-space layers and no attention"),
    ("rwkv6", "has RWKV recurrent layers and no attention"),
])
def test_the_refusal_names_the_layers(tmp_path: Path, mtype: str, words: str) -> None:
    """Linear-attention hybrids were called 'state-space/recurrent' models (rev3): each refusal names the layer kind."""
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": mtype, **BASE, **HYBRIDS.get(mtype, {})}))
    with pytest.raises(InputError) as e:
        load_hf_config(p)
    assert words in e.value.problem and "state-space/recurrent" not in e.value.problem
    assert e.value.fix.startswith("pass a transformer's config.json")


def test_every_refused_type_names_its_layers() -> None:
    from accelopt.workload import presets
    assert set(presets._NO_ATTENTION_TYPES) == set(presets._MIXER_KIND)
