"""One config.json, one parameter count across `plan`, `plan serve` and `plan infer` (or a refusal naming the key).

`plan` and `plan serve` read a config.json themselves (workload/presets.load_hf_config); `plan infer` (and profile,
optimize, simulate) build the model with the installed transformers. transformers 4.31 (the dev venv's: llm-analysis
0.2.2 requires huggingface-hub < 0.15, which transformers 4.32 on refuse) builds LlamaAttention with head_dim =
hidden_size / num_attention_heads whatever the file says (custom head_dim came with transformers PR #32857, 2024-08,
released in 4.45), and LlamaConfig 4.31 has no MoE keys: a Qwen3-4B-shaped llama config (hidden 2560, 32 heads of
head_dim 128) counted 3.67 B parameters in plan infer and 4.02 B in plan serve, the note naming head_dim as ignored
but the figures planned for the other model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main, write_hf_config

from accelopt.workload.presets import load_hf_config

pytest.importorskip("transformers")

# small llama shapes so that transformers builds them fast; head_dim 64 = 2 x hidden / heads
LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 128, "intermediate_size": 344,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1024,
         "max_position_embeddings": 256, "hidden_act": "silu", "tie_word_embeddings": False}
PARAMS_TOLERANCE = 0.01  # the bar stated before any count was compared (hf.PARAMS_TOLERANCE)


def _infer(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any] | None, str]:
    code, out, err = run_main(["plan", "infer", str(path), "--hardware", "h100-sxm", "--batch", "1",
                               "--input-size", "16", "--json"], capsys)
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.parametrize(("extra", "key"), [({"head_dim": 64}, "head_dim"),
                                             ({"num_local_experts": 4, "num_experts_per_tok": 2}, "num_local_experts")])
def test_plan_infer_counts_what_plan_serve_counts_or_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  extra: dict[str, Any], key: str) -> None:
    path = write_hf_config(tmp_path, "cfg", {**LLAMA, **extra})
    serve_params = load_hf_config(path).params_total()  # what `plan` and `plan serve` count
    code, doc, err = _infer(path, capsys)
    if code == 0:  # a transformers that reads the key: the same model
        assert doc is not None and abs(doc["params"] / serve_params - 1) <= PARAMS_TOLERANCE, (doc["params"],
                                                                                            serve_params)
        return
    assert code == 2, err
    assert key in err and f"{serve_params:,}" in err, err  # the key it cannot use and the config's own count
    assert "upgrade transformers" in err and "plan serve" in err, err  # the two ways out
    assert "Traceback" not in err


def test_an_ignored_key_that_changes_nothing_still_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Llama 3.2 1B writes head_dim 64 = hidden_size / num_attention_heads: the model is the same either way
    path = write_hf_config(tmp_path, "cfg", {**LLAMA, "head_dim": 32})
    code, doc, err = _infer(path, capsys)
    assert code == 0 and doc is not None, err
    assert doc["params"] == load_hf_config(path).params_total()


# a BERT masked LM: transformers builds its MLM transform (hidden x hidden + norm) and decoder bias, which the config
# reader leaves out (3.8% of this small one): the bar must judge the ignored key, not that difference
BERT = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 128, "intermediate_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 1000, "max_position_embeddings": 256}


@pytest.mark.parametrize("extra", [{"head_dim": 32}, {"num_key_value_heads": 4}])
def test_an_ignored_key_that_changes_nothing_is_not_refused_for_another_difference(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict[str, Any]) -> None:
    # BertConfig 4.31 defines neither key; both say what BERT is anyway (32 = 128 / 4; as many KV heads as heads)
    code, doc, err = _infer(write_hf_config(tmp_path, "cfg", {**BERT, **extra}), capsys)
    assert code == 0 and doc is not None, err


def test_an_ignored_key_that_changes_the_count_is_refused_on_bert_too(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = write_hf_config(tmp_path, "cfg", {**BERT, "num_key_value_heads": 2})
    code, doc, err = _infer(path, capsys)
    if code == 0:  # a BertConfig that reads the key (none yet)
        assert doc is not None and abs(doc["params"] / load_hf_config(path).params_total() - 1) <= PARAMS_TOLERANCE
        return
    assert code == 2 and "num_key_value_heads" in err, err


def test_the_bundled_tiny_llama_counts_alike() -> None:
    from accelopt.workload.hf import build_from_hf_config

    path = Path(__file__).resolve().parents[1] / "examples" / "hf_tiny_llama" / "config.json"
    assert build_from_hf_config(str(path), meta=True, seq_len=8).meta["params"] == load_hf_config(path).params_total()
