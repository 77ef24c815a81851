"""`plan infer` of a config whose model_type the installed transformers does not know (Qwen3, Mistral, Gemma 2,
DeepSeek-V3 under the dev venv's 4.31, which llm-analysis pins) named only 'upgrade transformers'. accelopt's own
config reader reads those types: the fix now names `plan serve -m` and `plan --model` with the file (a user trial,
utplan3). A model_type no reader knows (a typo) gets no such pointer."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import run_main

from accelopt.workload.hf import _unknown_type_fix

QWEN3_8B = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 4096, "head_dim": 128,
            "intermediate_size": 12288, "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8,
            "vocab_size": 151936, "max_position_embeddings": 40960, "tie_word_embeddings": False}


def _tf(*types: str) -> SimpleNamespace:  # a transformers that knows `types` only
    mapping = SimpleNamespace(CONFIG_MAPPING=dict.fromkeys(types))
    return SimpleNamespace(__version__="4.31.0", models=SimpleNamespace(auto=SimpleNamespace(
        configuration_auto=mapping)))


def test_a_type_accelopts_reader_knows_points_to_plan_serve(tmp_path: Path) -> None:
    p = tmp_path / "my model" / "config.json"
    fix = _unknown_type_fix(_tf("llama", "gpt2"), "qwen3", p)
    assert "pip install -U transformers" in fix
    assert f"`accelopt plan serve -m '{p}'`" in fix and f"`accelopt plan --model '{p}'`" in fix


def test_a_typo_gets_the_close_match_and_no_pointer(tmp_path: Path) -> None:
    fix = _unknown_type_fix(_tf("llama", "gpt2"), "lamma", tmp_path / "config.json")
    assert "did you mean 'llama'?" in fix and "plan serve" not in fix


def test_plan_infer_of_an_unknown_qwen3_config_exits_2_with_the_pointer(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    tf = pytest.importorskip("transformers")
    if "qwen3" in tf.models.auto.configuration_auto.CONFIG_MAPPING:
        pytest.skip(f"transformers {tf.__version__} builds qwen3")
    p = tmp_path / "config.json"
    p.write_text(json.dumps(QWEN3_8B), encoding="utf-8")
    code, _, err = run_main(["plan", "infer", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "is not known to transformers" in err and "accelopt plan serve -m" in err
    # and the pointer is true: plan serve plans it
    code, _, err = run_main(["plan", "serve", "-m", str(p), "--hardware", "h100-sxm", "--batch", "1", "--prompt",
                             "128", "--output", "8"], capsys)
    assert code == 0, err
