"""`accelopt simulate run --hf CONFIG` of a config.json with a misspelt num_hiden_layers simulated BertConfig's default
12 layers, the heading, the --json document and the HTML page saying nothing; the description now carries
workload.hf.config_notes (as profile's and optimize's notes), and a complete config adds none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

pytest.importorskip("transformers")

TINY_BERT = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 32, "intermediate_size": 64,
             "num_attention_heads": 2, "vocab_size": 100, "max_position_embeddings": 16}


def _run(tmp_path: Path, cfg: dict[str, object], capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "--hf", str(tmp_path / "config.json"),
                               "--seq-len", "8", "--json"], capsys)
    assert code == 0, err
    return json.dumps(json.loads(out))


def test_a_misspelt_size_is_said_in_the_simulated_model_description(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(tmp_path, {**TINY_BERT, "num_hiden_layers": 1}, capsys)
    assert "ignored when the model was built: num_hiden_layers" in doc and "num_hidden_layers 12" in doc, doc
    doc = _run(tmp_path, {**TINY_BERT, "num_hidden_layers": 1, "torch_dtype": "bfloat16"}, capsys)
    assert "config.json:" not in doc, doc  # the design fixes the dtype: no torch_dtype note
