"""`plan serve` and the positions a model covers: rope scaling read as Hugging Face transformers reads it
(workload/context.py cites modeling_rope_utils), and the presets' positions (each cited in workload/presets.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

TINY = {"model_type": "llama", "num_hidden_layers": 4, "hidden_size": 1024, "num_attention_heads": 8,
        "intermediate_size": 4096, "vocab_size": 32000}
# Qwen2.5/Qwen3 model cards: add this rope_scaling to a config of max_position_embeddings 32768 for 131072 tokens
QWEN_YARN = {"max_position_embeddings": 32768,
             "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}
# meta-llama/Llama-3.1-8B config.json: the extension is already in max_position_embeddings
LLAMA31 = {"max_position_embeddings": 131072,
           "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                            "original_max_position_embeddings": 8192, "rope_type": "llama3"}}


def _notes(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict[str, Any], prompt: int,
           output: int = 100) -> list[str]:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({**TINY, **extra}), encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "--model", str(cfg), "--batch", "1", "--prompt", str(prompt),
                               "--output", str(output), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert not {"rope_scaling", "original_max_position_embeddings"} & set(doc["unused_config_keys"])
    return [n for n in doc["notes"] if "--prompt" in n]


def test_yarn_extends_the_positions_and_the_note_says_it_relies_on_it(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert not _notes(tmp_path, capsys, QWEN_YARN, 32668)  # 32768 exactly: plain positions
    within = _notes(tmp_path, capsys, QWEN_YARN, 40000)
    assert len(within) == 1 and "within the 131072 it supports with rope scaling" in within[0]
    assert "yarn, factor 4 x original 32768" in within[0] and "rely on" in within[0]
    assert not any("beyond the 131072" in n for n in within)
    beyond = _notes(tmp_path, capsys, QWEN_YARN, 131000)  # 131100 > 4 x 32768
    assert len(beyond) == 1 and "beyond the 131072 positions the model supports with rope scaling" in beyond[0]


def test_rope_type_under_its_new_name_and_yarn_without_an_original_length(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # transformers _compute_yarn_parameters: no original_max_position_embeddings -> max_position_embeddings is it
    cfg = {"max_position_embeddings": 4096, "rope_scaling": {"rope_type": "yarn", "factor": 2.0}}
    assert "within the 8192" in _notes(tmp_path, capsys, cfg, 6000)[0]


def test_llama3_rope_is_already_counted_in_max_position_embeddings(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert not _notes(tmp_path, capsys, LLAMA31, 100000)  # 8 x 8192 = 65536 < 131072: no note below 131072
    note = _notes(tmp_path, capsys, LLAMA31, 131000)[0]
    assert "beyond the model's 131072 positions" in note and "already counted" in note


@pytest.mark.parametrize("rope", [{"type": "dynamic", "factor": 2.0}, {"rope_type": "linear", "factor": 4.0},
                                  {"rope_type": "mrope", "mrope_section": [16, 24, 24]}])
def test_a_rope_type_whose_reach_is_not_defined_says_so(rope: dict[str, Any], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = {"max_position_embeddings": 4096, "rope_scaling": rope}
    assert not _notes(tmp_path, capsys, cfg, 3996)
    note = _notes(tmp_path, capsys, cfg, 6000)[0]
    assert "beyond the model's 4096 positions" in note and "how far is not defined" in note


@pytest.mark.parametrize(("rope", "named"), [({"rope_type": "yarn", "factor": "four"}, "rope_scaling.factor"),
                                             ({"rope_type": "yarn", "factor": 0.5}, "rope_scaling.factor"),
                                             ({"rope_type": 3}, "rope_type"), ("yarn", "rope_scaling")])
def test_a_bad_rope_scaling_names_the_key(rope: Any, named: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({**TINY, "max_position_embeddings": 4096, "rope_scaling": rope}), encoding="utf-8")
    code, _, err = run_main(["plan", "serve", "--model", str(cfg), "--batch", "1"], capsys)
    assert code == 2 and named in err and "fix:" in err and "Traceback" not in err


@pytest.mark.parametrize(("model", "prompt", "says"), [
    ("llama2-7b", 4000, "beyond the model's 4096 positions"),
    ("llama3-8b", 20000, "beyond the model's 8192 positions"),
    ("gpt3-1.3b", 2000, "beyond the model's 2048 positions (n_ctx)"),
    ("mistral-7b", 33000, "beyond the model's 32768 positions"),
    ("llama3.1-8b", 140000, "beyond the model's 131072 positions"),
])
def test_presets_carry_their_positions(model: str, prompt: int, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", model, "--batch", "1", "--prompt", str(prompt),
                               "--output", "100", "--json"], capsys)
    assert code == 0, err
    assert any(says in n for n in json.loads(out)["notes"])


def test_llama31_aliases_reach_further_than_llama3(capsys: pytest.CaptureFixture[str]) -> None:
    for model, noted in (("llama3-8b", True), ("llama3.1-8b", False)):
        code, out, err = run_main(["plan", "serve", "--model", model, "--batch", "1", "--prompt", "20000",
                                   "--json"], capsys)
        assert code == 0, err
        assert any("--prompt 20000" in n for n in json.loads(out)["notes"]) is noted


def test_qwen3_preset_beyond_its_native_context_relies_on_yarn(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "qwen3-235b-a22b", "--tp", "8", "--batch", "1",
                               "--prompt", "40000", "--json"], capsys)
    assert code == 0, err
    assert any("within the 131072 it supports with rope scaling" in n for n in json.loads(out)["notes"])


# ----------------------------------------------------------------- --catalog with a file that adds no device
CATALOG_COMMANDS = {
    "plan": ["plan", "--model", "gpt3-125m", "--devices", "8"],
    "plan explain": ["plan", "explain", "--model", "gpt3-125m", "--devices", "8", "--hardware", "h100-sxm"],
    "plan serve": ["plan", "serve", "--model", "gpt3-125m", "--batch", "1"],
    "catalog list": ["catalog", "list"],
    "catalog show": ["catalog", "show", "h100-sxm"],
    "catalog compare": ["catalog", "compare", "h100-sxm", "a100"],
}


@pytest.mark.parametrize("command", sorted(CATALOG_COMMANDS))
@pytest.mark.parametrize(("text", "says"), [("", "is empty"), ("  \n# a comment\n", "is empty"),
                                            ('[sources]\nx = "y"\n', "has no [[device]] table"),
                                            ("device = 3\n", "has device = 3")])
def test_a_catalog_without_devices_names_the_flag_and_the_fix(command: str, text: str, says: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    cat = tmp_path / "mine.toml"
    cat.write_text(text, encoding="utf-8")
    code, _, err = run_main([*CATALOG_COMMANDS[command], "--catalog", str(cat)], capsys)
    problem, _, fix = " ".join(err.split()).partition("fix:")
    assert code == 2 and "Traceback" not in err
    assert f"--catalog {cat}" in problem and says in problem
    assert "[[device]]" in fix and f"leave out --catalog {cat}" in fix
