"""--model given another command's --json output names it as an accelopt result document (exit 2), not as a
config missing num_hidden_layers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.parametrize("argv", [["plan"], ["plan", "serve"]])
def test_a_result_document_is_named_as_one(argv: list[str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "result.json"
    doc.write_text(json.dumps({"schema": "accelopt.plan-serve", "schema_version": 4, "results": []}))
    code, _, err = run_main([*argv, "--model", str(doc), "--hardware", "h100"], capsys)
    assert code == 2, err
    assert "accelopt result document (schema accelopt.plan-serve, version 4)" in err
    assert "--list-models" in err and "num_hidden_layers" not in err and "Traceback" not in err


def test_a_config_with_an_unrelated_schema_key_still_reads(tmp_path: Path) -> None:
    from accelopt.workload.presets import load_hf_config

    cfg = {"schema": "mine", "model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64,
           "num_attention_heads": 4, "vocab_size": 100, "intermediate_size": 128}
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    assert load_hf_config(p).layers == 2
