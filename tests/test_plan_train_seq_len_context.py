"""`plan` and `plan explain` with a --seq-len beyond the model's positions (rope scaling included): a note in the
console and in the JSON `notes`, as `plan serve` notes a prompt beyond them (tests/test_plan_serve_context.py). It was
accepted without a word (a 4096-position Phi-3-mini config planned at 100000 tokens)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# microsoft/Phi-3-mini-4k-instruct config.json dims (max_position_embeddings 4096), fewer layers to run fast
PHI3ISH = {"model_type": "phi3", "num_hidden_layers": 4, "hidden_size": 3072, "num_attention_heads": 32,
           "num_key_value_heads": 32, "intermediate_size": 8192, "vocab_size": 32064, "max_position_embeddings": 4096,
           "tie_word_embeddings": False}
EXPLAIN = ["plan", "explain", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3", "--tokens", "1e9"]


def _cfg(tmp_path: Path) -> str:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(PHI3ISH), encoding="utf-8")
    return str(p)


def _context_notes(notes: list[str]) -> list[str]:
    return [n for n in notes if "--seq-len" in n and "positions" in n]


@pytest.mark.parametrize("seq_len, noted", [(4096, False), (8192, True)])
def test_explain_notes_a_seq_len_beyond_the_config_positions(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            seq_len: int, noted: bool) -> None:
    code, out, err = run_main([*EXPLAIN, "--model", _cfg(tmp_path), "--seq-len", str(seq_len), "--json"], capsys)
    assert code == 0, err
    found = _context_notes(json.loads(out)["notes"])
    assert bool(found) is noted
    if noted:
        assert "8192" in found[0] and "4096 positions" in found[0] and "--seq-len <= 4096" in found[0]


def test_plan_notes_it_in_console_and_json_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--model", _cfg(tmp_path), "--seq-len", "8192", "--devices", "8", "--top", "1", "--tokens", "1e9"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    [note] = _context_notes(json.loads(out)["notes"])
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "beyond the model's 4096 positions" in " ".join(out.split())
    assert note.split(":")[0] in " ".join(out.split())


def test_preset_within_its_rope_scaling_is_not_noted_but_past_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    """Qwen3-8B: 32768 native positions, 131072 with YaRN (model card): the default 40960 is within its reach."""
    code, out, err = run_main([*EXPLAIN, "--model", "qwen3-8b", "--cp", "8", "--json"], capsys)
    assert code == 0 and not _context_notes(json.loads(out)["notes"]), err
    code, out, err = run_main([*EXPLAIN, "--model", "llama3-8b", "--seq-len", "16384", "--recompute", "full",
                               "--json"], capsys)
    assert code == 0, err
    [note] = _context_notes(json.loads(out)["notes"])
    assert "8192 positions" in note


def test_simulate_names_a_prompt_beyond_the_positions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate run -m CONFIG --seq-len N` (a prefill of N tokens) says so in the model line and the JSON source."""
    argv = ["simulate", "run", "-d", "tpu-v1", "-m", _cfg(tmp_path), "--json"]
    code, out, err = run_main([*argv, "--seq-len", "8192"], capsys)
    assert code == 0, err
    assert "8192 (--seq-len) is beyond the model's 4096 positions" in json.loads(out)["source"]
    code, out, err = run_main([*argv, "--seq-len", "4096"], capsys)
    assert code == 0 and "beyond" not in json.loads(out)["source"], err


def test_simulate_calls_a_config_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The model line said 'transformer preset Phi-3-...' for a config.json the user wrote."""
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", _cfg(tmp_path), "--json"], capsys)
    assert code == 0 and json.loads(out)["source"].startswith("transformer config "), err
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "gpt3-125m", "--seq-len", "64", "--json"],
                              capsys)
    assert code == 0 and json.loads(out)["source"].startswith("transformer preset gpt3-125m"), err
