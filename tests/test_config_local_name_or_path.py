"""A config.json whose _name_or_path is a folder of the machine that saved it is named by its own folder.

Found by a usertest on the original LLaVA-1.5-13B config (liuhaotian/llava-v1.5-13b: _name_or_path
'./checkpoints/vicuna-13b-v1.5', the base model's training folder): `plan`, `plan serve` and `plan infer` named the
model './checkpoints/vicuna-13b-v1.5' in every table, JSON `model` and the run history (ut_plan3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.workload.presets import config_model_name, load_hf_config

TINY = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 176,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
        "max_position_embeddings": 256, "tie_word_embeddings": False, "hidden_act": "silu"}


@pytest.mark.parametrize(("given", "named"), [
    ("./checkpoints/vicuna-13b-v1.5", "llava-v1.5-13b"), ("/fsx/runs/step_1000", "llava-v1.5-13b"),
    ("../out", "llava-v1.5-13b"), ("~/models/m", "llava-v1.5-13b"), ("C:\\models\\m", "llava-v1.5-13b"),
    ("lmsys/vicuna-13b-v1.5", "lmsys/vicuna-13b-v1.5"), ("my-model", "my-model"), (None, "llava-v1.5-13b"),
])
def test_a_local_path_is_not_the_name(given: str | None, named: str) -> None:
    assert config_model_name(given, Path("/data/llava-v1.5-13b/config.json")) == named


def test_plan_and_plan_serve_name_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "llava-v1.5-13b"
    folder.mkdir()
    path = folder / "config.json"
    path.write_text(json.dumps({**TINY, "_name_or_path": "./checkpoints/vicuna-13b-v1.5"}), encoding="utf-8")
    assert load_hf_config(path).name == "llava-v1.5-13b"
    code, out, err = run_main(["plan", "serve", "--model", str(path), "--hardware", "l4", "--batch", "1",
                               "--prompt", "64", "--output", "8", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["results"][0]["model"] == "llava-v1.5-13b"


def test_plan_infer_names_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    folder = tmp_path / "tiny-ours"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({**TINY, "_name_or_path": "/home/me/ckpt"}), encoding="utf-8")
    code, out, err = run_main(["plan", "infer", str(folder), "--hardware", "l4", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["model"] == "tiny-ours (LlamaForCausalLM)"
