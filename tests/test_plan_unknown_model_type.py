"""A config.json whose model_type none of the reader's rules names was read as a common decoder block without a
word (MLP gated or not by hidden_act alone, no biases): now a note says so, in the text and the JSON notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.cli.main import main
from accelopt.workload.presets import load_hf_config

CFG = {"model_type": "zzzmodel", "num_hidden_layers": 4, "hidden_size": 256, "num_attention_heads": 4,
       "vocab_size": 1000, "max_position_embeddings": 512, "intermediate_size": 1024, "tie_word_embeddings": False}


def _load(tmp_path: Path, **extra: object) -> tuple[str, ...]:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({**CFG, **extra}), encoding="utf-8")
    return load_hf_config(p).config_defaults


def test_unknown_type_is_noted_with_the_mlp_read(tmp_path: Path) -> None:
    gelu = _load(tmp_path, hidden_act="gelu")
    assert len(gelu) == 1 and "'zzzmodel' has no rule" in gelu[0] and "plain MLP (2 matrices; hidden_act 'gelu')" \
        in gelu[0]
    assert "gated MLP (3 matrices; hidden_act silu)" in _load(tmp_path, hidden_act="silu")[0]


@pytest.mark.parametrize("mtype", ["llama", "gpt2", "gemma3_text", "falcon", "bert", "deepseek_v2"])
def test_known_types_are_not(tmp_path: Path, mtype: str) -> None:
    assert not any("no rule" in n for n in _load(tmp_path, model_type=mtype))


def test_cli_prints_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(CFG), encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", str(p), "--batch", "1", "--json"])
    assert e.value.code == 0
    assert any("no rule in this reader" in n for n in json.loads(capsys.readouterr().out)["notes"])


@pytest.mark.parametrize(("typed", "meant"), [("qwen2moe", "qwen2_moe"), ("qwen2-moe", "qwen2_moe"),
                                              ("gpt-neox", "gpt_neox")])
def test_a_known_type_with_other_separators_is_named(tmp_path: Path, typed: str, meant: str) -> None:
    """uttrial: 'qwen2moe' (qwen2_moe without its underscore) was read as the generic block, its q/k/v biases left
    out, with no word on the type meant."""
    notes = _load(tmp_path, model_type=typed)
    assert f"'{typed}' has no rule" in notes[0] and f"did you mean model_type '{meant}'" in notes[0], notes


@pytest.mark.parametrize("mtype", ["zzzmodel", "olmo", "mistral3"])
def test_a_type_of_its_own_is_not_respelt(tmp_path: Path, mtype: str) -> None:
    assert not any("did you mean" in n for n in _load(tmp_path, model_type=mtype))
