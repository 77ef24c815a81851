"""A command given --json that stops on bad input (exit 2) prints an `error` document on stdout: a script reading
stdout as JSON got an empty stdout beside the exit 2 (json.loads: 'Expecting value') and had to scrape stderr for
why (a user trial of `plan` / `plan explain` / `plan serve` on config.json files, uthf)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import schema

BERT = {"model_type": "bert", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
        "intermediate_size": 3072, "vocab_size": 30522, "max_position_embeddings": 512}


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("argv", "command", "said"), [
    (["plan", "--hardware", "h100-sxm", "--devices", "8"], "accelopt plan", "not JSON"),
    (["plan", "explain", "--hardware", "h100-sxm", "--devices", "8", "--tp", "1"], "accelopt plan explain",
     "not JSON"),
    (["plan", "serve", "--hardware", "h100-sxm"], "accelopt plan serve", "not JSON"),
])
def test_a_bad_config_prints_an_error_document(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                               command: str, said: str) -> None:
    code, out, err = run_main([*argv, "--model", _config(tmp_path, '{"model_type": '), "--json"], capsys)
    assert code == 2
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.error" and doc["schema_version"] == schema.result_class("error")[1]
    assert doc["command"] == command and said in doc["error"] and doc["fix"] and doc["exit_status"] == 2
    assert "error:" in err and "fix:" in err  # stderr says it as before


def test_a_refused_model_and_a_usage_error_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "serve", "--model", _config(tmp_path, json.dumps(BERT)), "--hardware",
                             "h100-sxm", "--json"], capsys)
    assert code == 2 and "encoder-only" in json.loads(out)["error"]
    code, out, _ = run_main(["plan", "--model", "llama2-7b", "--no-such-flag", "--json"], capsys)
    assert code == 2 and "--no-such-flag" in json.loads(out)["error"]


def test_without_json_stdout_stays_empty_and_a_printed_document_is_not_followed_by_another(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "--model", _config(tmp_path, ""), "--hardware", "h100-sxm"], capsys)
    assert code == 2 and out == ""
    # plan's search with nothing fitting prints its own document (the closest layouts) and exits 2: that one alone
    code, out, _ = run_main(["plan", "--model", "llama3-405b", "--hardware", "h100-sxm", "--devices", "8",
                             "--json"], capsys)
    assert code == 2 and json.loads(out)["schema"] == "accelopt.plan"


@pytest.mark.parametrize(("text", "said"), [
    ("", "is empty (0 bytes)"),  # was 'not valid JSON syntax: Expecting value: line 1 column 1 (char 0)'
    (" \n", "is empty (2 blank characters)"),
    # a checkpoint's model.safetensors.index.json was asked whether it was a generation_config.json
    (json.dumps({"metadata": {"total_size": 15442649088}, "weight_map": {"lm_head.weight": "model-00004.safetensors"}}),
     "is a safetensors index"),
    # Mistral's native params.json (mistralai/Mistral-Small-3.1-24B-Instruct-2503 ships it beside config.json): it was
    # told it 'holds no model sizes'
    (json.dumps({"dim": 5120, "n_layers": 40, "head_dim": 128, "hidden_dim": 32768, "n_heads": 32, "n_kv_heads": 8,
                 "norm_eps": 1e-05, "vocab_size": 131072}), "is a Mistral-format params.json"),
])
def test_what_the_file_is_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str) -> None:
    code, out, err = run_main(["plan", "serve", "--model", _config(tmp_path, text), "--hardware", "h100-sxm",
                               "--json"], capsys)
    assert code == 2 and said in json.loads(out)["error"] and said in " ".join(err.split())
