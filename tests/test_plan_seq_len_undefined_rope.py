"""`plan` / `plan explain` with a --seq-len beyond the positions of a model whose rope scaling reaches an undefined
length (dynamic NTK, linear): the note says the scaling may reach further by an amount the config does not define, as
`plan serve` says it (ContextLimit.note). It said 'give --seq-len <= 32768 to plan the model as built' as if the
positions were the model's reach, while plan serve said that reach is not defined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_train_seq_len_context import EXPLAIN, PHI3ISH, _context_notes

DYNAMIC = {**PHI3ISH, "max_position_embeddings": 32768, "rope_scaling": {"type": "dynamic", "factor": 2.0}}


def test_explain_says_the_reach_is_not_defined(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(DYNAMIC), encoding="utf-8")
    code, out, err = run_main([*EXPLAIN, "--model", str(cfg), "--seq-len", "65536", "--json"], capsys)
    assert code == 0, err
    [note] = _context_notes(json.loads(out)["notes"])
    assert "32768 positions" in note and "how far is not defined" in note and "dynamic NTK" in note
    assert "to plan the model as built" not in note


def test_within_the_positions_no_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(DYNAMIC), encoding="utf-8")
    code, out, err = run_main([*EXPLAIN, "--model", str(cfg), "--seq-len", "32768", "--json"], capsys)
    assert code == 0 and not _context_notes(json.loads(out)["notes"]), err
