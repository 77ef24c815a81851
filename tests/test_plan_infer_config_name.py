"""`plan infer NAME/config.json` (or the NAME folder) named the model 'hf-llama (LlamaForCausalLM)' whatever its
folder, where `plan` and `plan serve` name the same file NAME: two of a user's configs of one type could not be told
apart in the table, the JSON `model` or the run history. It is named as `plan` names it now (its _name_or_path, else
its folder, else its file name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

TINY = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 176,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
        "max_position_embeddings": 256, "tie_word_embeddings": False, "hidden_act": "silu"}


def _infer_name(argv_model: str, capsys: pytest.CaptureFixture[str]) -> str:
    pytest.importorskip("transformers")
    code, out, err = run_main(["plan", "infer", argv_model, "--hardware", "l4", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    return str(json.loads(out)["model"])


def test_folder_names_the_model_as_plan_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "tiny-ours"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(TINY), encoding="utf-8")
    assert _infer_name(str(folder), capsys) == "tiny-ours (LlamaForCausalLM)"
    assert _infer_name(str(folder / "config.json"), capsys) == "tiny-ours (LlamaForCausalLM)"
    code, out, err = run_main(["plan", "serve", "--model", str(folder / "config.json"), "--hardware", "l4",
                               "--batch", "1", "--prompt", "64", "--output", "8", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["results"][0]["model"] == "tiny-ours"


def test_other_file_names_and_name_or_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "llama-small.json").write_text(json.dumps(TINY), encoding="utf-8")
    assert _infer_name(str(tmp_path / "llama-small.json"), capsys) == "llama-small (LlamaForCausalLM)"
    (tmp_path / "named.json").write_text(json.dumps({**TINY, "_name_or_path": "acme/tiny"}), encoding="utf-8")
    assert _infer_name(str(tmp_path / "named.json"), capsys) == "acme/tiny (LlamaForCausalLM)"
