"""`--edge-stage-layers` on a model of fewer than 3 layers (no pipeline of pp >= 3 holds it): the error said the first
and last stages 'must each hold 1..0 layers' and the fix 'give --edge-stage-layers between 1 and 0', an empty range.
It now says the model is too short for uneven stages and to leave the flag out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

TINY = {"model_type": "llama", "hidden_size": 256, "intermediate_size": 688, "num_attention_heads": 4,
        "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 1000, "max_position_embeddings": 512,
        "tie_word_embeddings": True}


@pytest.mark.parametrize("command", [["plan", "explain", "--devices", "4", "--tp", "1", "--pp", "2"],
                                     ["plan", "--devices", "4..8"]])
def test_two_layers_have_no_edge_stages(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        command: list[str]) -> None:
    cfg = tmp_path / "tiny" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps(TINY))
    code, _, err = run_main([*command, "--model", str(cfg), "--hardware", "h100-sxm", "--tokens", "1e9",
                             "--edge-stage-layers", "1"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "Traceback" not in err, err
    assert "1..0" not in text and "between 1 and 0" not in text, text
    assert "2-layer" in text and "too few layers" in text and "leave --edge-stage-layers out" in text, text
