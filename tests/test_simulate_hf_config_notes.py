"""`accelopt simulate run --hf CONFIG` of a config.json with a misspelt num_hiden_layers simulated BertConfig's default
12 layers, the heading, the --json document and the HTML page saying nothing; the description now carries
workload.hf.config_notes (as profile's and optimize's notes), and a complete config adds none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TINY_BERT, run_main, write_config

pytest.importorskip("transformers")



def _run(tmp_path: Path, cfg: dict[str, object], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "--hf", str(write_config(tmp_path, cfg)),
                               "--seq-len", "8", "--json"], capsys)
    assert code == 0, err
    return json.dumps(json.loads(out))


def test_a_misspelt_size_is_said_in_the_simulated_model_description(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(tmp_path, {**TINY_BERT, "num_hiden_layers": 1}, capsys)
    assert "ignored when the model was built: num_hiden_layers" in doc and "num_hidden_layers 12" in doc, doc
    doc = _run(tmp_path, {**TINY_BERT, "num_hidden_layers": 1, "torch_dtype": "bfloat16"}, capsys)
    assert "config.json:" not in doc, doc  # the design fixes the dtype: no torch_dtype note
